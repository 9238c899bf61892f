"""pipelines.regions: municipality and county at the ad's date and in 2024 borders (real cases)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

import pytest

from pipelines.regions import FORUM_COUNTIES, Region, county_2024_names, normalise_name, resolve_region


def _packaged(name: str) -> list[dict[str, str]]:
    with resources.files("pipelines").joinpath("data", name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------------------ the tables
def test_municipality_counts_per_period():
    rows = _packaged("municipalities.csv")

    def valid_on(d: date) -> int:
        return sum(
            1 for r in rows
            if date.fromisoformat(r["valid_from"]) <= d
            and (not r["valid_to"] or d <= date.fromisoformat(r["valid_to"]))
        )

    assert valid_on(date(2014, 6, 1)) == 428
    assert valid_on(date(2017, 6, 1)) == 426
    assert valid_on(date(2018, 6, 1)) == 422
    assert valid_on(date(2021, 6, 1)) == 356
    assert valid_on(date(2024, 6, 1)) == 357


def test_every_code_maps_to_a_2024_code():
    rows = _packaged("municipalities.csv")
    codes_2024 = {r["code"] for r in rows if not r["valid_to"]}
    assert len(codes_2024) == 357
    assert all(r["code_2024"] in codes_2024 for r in rows)
    assert len({r["code"] for r in rows}) == len(rows)  # one row per code and period, no code reused


def test_counties_table():
    rows = {r["county_code"]: r for r in _packaged("counties.csv")}
    assert rows["30"]["county_name"] == "Viken" and rows["30"]["county_code_2024"] == ""
    assert rows["06"]["county_code_2024"] == "33"
    assert "Troms og Finnmárku" in rows["54"]["name_variants"].split("|")
    assert county_2024_names() == [
        "Oslo", "Rogaland", "Møre og Romsdal", "Nordland", "Østfold", "Akershus", "Buskerud", "Innlandet",
        "Vestfold", "Telemark", "Agder", "Vestland", "Trøndelag", "Troms", "Finnmark",
    ]
    assert set(FORUM_COUNTIES) <= set(county_2024_names())


def test_normalise_name_keeps_aeoeaa_and_drops_other_accents():
    assert normalise_name("INDRE ØSTFOLD") == normalise_name("Indre Østfold") == "indre østfold"
    assert normalise_name("Kárášjohka") == "karasjohka"
    assert normalise_name("Bærum kommune") == "bærum"
    assert normalise_name("Sør-Odal") == "sør odal"


# ------------------------------------------------------------------------------------ the resolver
def _code(**kwargs) -> str | None:
    r = resolve_region(**kwargs)
    return r.municipality_code if r else None


def _code24(**kwargs) -> str | None:
    r = resolve_region(**kwargs)
    return r.municipality_code_2024 if r else None


def test_halden_2021_viken_code_counts_for_ostfold():
    r = resolve_region(code="3001", on=date(2021, 5, 1))
    assert r == Region("3001", "Halden", "30", "Viken", "3101", "Halden", "31", "Østfold")


def test_halden_2018_old_code():
    r = resolve_region(code="0101", municipality="HALDEN", county="ØSTFOLD", on=date(2018, 3, 1))
    assert (r.municipality_code, r.county_name, r.county_code_2024) == ("0101", "Østfold", "31")


def test_askim_before_and_after_the_merger():
    r19 = resolve_region(municipality="ASKIM", on=date(2019, 6, 1))
    assert (r19.municipality_code, r19.county_name) == ("0124", "Østfold")
    assert (r19.municipality_code_2024, r19.municipality_name_2024, r19.county_name_2024) == (
        "3118", "Indre Østfold", "Østfold")
    r21 = resolve_region(municipality="ASKIM", on=date(2021, 6, 1))
    assert (r21.municipality_code, r21.municipality_name, r21.county_name) == (
        "3014", "Indre Østfold", "Viken")
    assert r21.municipality_code_2024 == "3118"


def test_baerum_viken_2022_is_akershus_3201():
    r = resolve_region(municipality="BÆRUM", county="VIKEN", on=date(2022, 2, 1))
    assert (r.municipality_code, r.county_name, r.municipality_code_2024, r.county_name_2024) == (
        "3024", "Viken", "3201", "Akershus")
    # the old county name is accepted too, and so is NAV's early use of VIKEN in 2019
    assert _code(municipality="BÆRUM", county="AKERSHUS", on=date(2022, 2, 1)) == "3024"
    early = resolve_region(municipality="NORDRE FOLLO", county="VIKEN", on=date(2019, 11, 28))
    assert (early.municipality_code_2024, early.county_name_2024) == ("3207", "Akershus")


def test_drammen_2023_and_lillestrom_are_forum_counties():
    d = resolve_region(municipality="DRAMMEN", on=date(2023, 9, 1))
    assert (d.municipality_code, d.county_name_2024) == ("3005", "Buskerud")
    l = resolve_region(municipality="LILLESTRØM", on=date(2022, 9, 1))
    assert (l.municipality_code_2024, l.county_name_2024) == ("3205", "Akershus")
    assert resolve_region(municipality="Skedsmo", on=date(2018, 1, 5)).county_name_2024 == "Akershus"
    roy = resolve_region(municipality="Røyken", county="Buskerud", on=date(2018, 11, 29))
    assert roy.county_name_2024 == "Akershus"  # Røyken went into Asker


def test_homonyms_need_the_county():
    assert resolve_region(municipality="HERØY", on=date(2018, 5, 1)) is None
    n = resolve_region(municipality="HERØY", county="NORDLAND", on=date(2018, 5, 1))
    assert (n.municipality_code, n.county_name) == ("1818", "Nordland")
    m = resolve_region(municipality="HERØY (MØRE OG ROMSDAL)", county="MØRE OG ROMSDAL", on=date(2018, 11, 3))
    assert m.municipality_code == "1515"
    assert _code24(municipality="Våler", county="Østfold", on=date(2022, 1, 1)) == "3114"
    assert _code24(municipality="Våler", county="Hedmark", on=date(2018, 1, 1)) == "3419"
    assert _code24(municipality="Bø i Telemark", on=date(2018, 1, 1)) == "4020"
    assert _code24(municipality="NES", county="BUSKERUD", on=date(2018, 1, 1)) == "3322"
    assert _code24(municipality="NES", county="AKERSHUS", on=date(2018, 1, 1)) == "3228"
    # after 2020 Nes (Buskerud) is called Nesbyen, so a bare NES is Nes in Akershus
    assert _code24(municipality="NES", on=date(2021, 1, 1)) == "3228"


def test_oslo_and_case_accents():
    r = resolve_region(municipality="OSLO", county="OSLO", on=date(2018, 10, 23))
    assert (r.municipality_code, r.county_code_2024) == ("0301", "03")
    assert resolve_region(municipality="oslo") == resolve_region(municipality="Oslo")
    assert resolve_region(municipality="BAERUM").municipality_code_2024 == "3201"  # ASCII spelling
    assert resolve_region(municipality="Kárásjohka").municipality_code_2024 == "5610"


@pytest.mark.parametrize(
    ("on", "code", "county_code", "county_name"),
    [
        (date(2019, 6, 1), "1902", "19", "Troms"),
        (date(2022, 6, 1), "5401", "54", "Troms og Finnmark"),
        (date(2024, 6, 1), "5501", "55", "Troms"),
    ],
)
def test_tromso_across_reforms(on, code, county_code, county_name):
    r = resolve_region(municipality="TROMSØ", on=on)
    assert (r.municipality_code, r.county_code, r.county_name) == (code, county_code, county_name)
    assert (r.municipality_code_2024, r.county_code_2024, r.county_name_2024) == ("5501", "55", "Troms")


def test_trondelag_2018_structure():
    r = resolve_region(municipality="TRONDHEIM", county="TRØNDELAG", on=date(2018, 11, 29))
    assert (r.municipality_code, r.county_name) == ("5001", "Trøndelag")
    old = resolve_region(municipality="Trondheim", on=date(2017, 6, 1))
    assert (old.municipality_code, old.county_name, old.county_code_2024) == ("1601", "Sør-Trøndelag", "50")


def test_haram_split_in_2024():
    r21 = resolve_region(municipality="Haram", on=date(2021, 1, 1))
    assert (r21.municipality_code, r21.municipality_code_2024) == ("1507", "1580")
    assert resolve_region(municipality="ÅLESUND", on=date(2021, 1, 1)).municipality_code_2024 == "1508"


def test_sami_names_of_2024():
    assert resolve_region(municipality="Tjeldsund", on=date(2024, 5, 1)).municipality_code == "5512"
    assert resolve_region(municipality="Hattfjelldal", on=date(2019, 5, 1)).municipality_code == "1826"
    assert resolve_region(municipality="Guovdageaidnu", on=date(2019, 5, 1)).municipality_code == "2011"


def test_county_only():
    r = resolve_region(county="Østfold", on=date(2024, 3, 1))
    assert r == Region(None, None, "31", "Østfold", None, None, "31", "Østfold")
    v = resolve_region(county="VIKEN", on=date(2022, 3, 1))
    assert (v.county_code, v.county_code_2024, v.municipality_code) == ("30", None, None)
    b = resolve_region(county="BUSKERUD", on=date(2018, 3, 1))
    assert (b.county_code, b.county_code_2024) == ("06", "33")
    t = resolve_region(county="Troms og Finnmárku", on=date(2021, 3, 1))
    assert (t.county_code, t.county_code_2024) == ("54", None)
    # a place that is no municipality falls back to its county
    k = resolve_region(municipality="Kråkerøy", county="Østfold", on=date(2017, 10, 25))
    assert (k.municipality_code, k.county_code, k.county_code_2024) == (None, "01", "31")


def test_free_text_locations():
    text = "Langelandsvegen 25, 6010 Ålesund, Hjemmekontor ikke mulig"
    assert _code(municipality=text, on=date(2024, 11, 1)) == "1508"
    two = resolve_region(municipality="Stavanger, Sandnes, Hjemmekontor ikke mulig", on=date(2024, 11, 1))
    assert (two.municipality_code, two.county_code) == (None, "11")
    assert resolve_region(municipality="Oslo, Asker, Bærum, Drammen", on=date(2024, 11, 1)) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"municipality": "Atlantis"},
        {"municipality": "JAN MAYEN", "county": "JAN MAYEN"},
        {"municipality": "OSLO", "county": "ROGALAND"},  # contradiction
        {"municipality": ""},
        {},
        {"code": "9999"},
        {"municipality": 42, "county": ["x"], "code": object(), "on": "not a date"},
    ],
)
def test_unknown_returns_none_and_never_raises(kwargs):
    assert resolve_region(**kwargs) is None


# ------------------------------------------------------------------------------------ real ads
def _published(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc).date()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return date.fromisoformat(str(value)[:10])


def test_real_ads_resolve(shared_data: Path):  # fixture from tests/conftest.py: skips without ../shared/data
    path = shared_data / "job_ads" / "ads.jsonl"
    if not path.exists():
        pytest.skip("../shared/data/job_ads/ads.jsonl is absent")
    ads = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    located = [a for a in ads if (a.get("municipal") or "").strip() or (a.get("county") or "").strip()]
    results = [
        (a, resolve_region(municipality=a.get("municipal"), county=a.get("county"),
                           on=_published(a.get("published"))))
        for a in located
    ]
    resolved = [r for _, r in results if r is not None]
    share = len(resolved) / len(located)
    assert len(located) >= 150
    assert share >= 0.80, f"only {share:.0%} of {len(located)} located ads resolved"
    # every ad that names a county resolves, except Jan Mayen (not part of any county)
    with_county = [(a, r) for a, r in results if a.get("county")]
    missing = [a["county"] for a, r in with_county if r is None]
    assert set(missing) <= {"JAN MAYEN"}, missing
    # what resolves has a 2024 county unless the ad only said Viken/Vestfold og Telemark/Troms og Finnmark
    by_county = Counter(r.county_name_2024 for r in resolved)
    assert by_county["Oslo"] >= 20 and by_county[None] == 0
