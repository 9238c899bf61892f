"""Occupation areas of strategy priorities: the curated mapping, placing sentences in areas, and the
occupation_area level of policy_vs_demand against ads' STYRK-08 codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from pipelines.errors import InputError
from pipelines.sources.strategy_docs import TextBlock
from pipelines.strategy import (
    analyse,
    default_occupation_areas_path,
    esco_styrk08_rows,
    ingest_strategies,
    load_occupation_areas,
    occupation_area_rows,
    structure,
)
from tests.warehouse.helpers import add_ads
from warehouse.db import open_warehouse
from warehouse.trends import refresh_trends

NURSE_URI = "http://data.europa.eu/esco/occupation/8d3e8aaa-791b-4c75-a465-f3f827028f50"  # → 2223 in the crosswalk
CONCEPTS = f"""concept_id,label_nb,label_en,type,esco_uri,group
t:aut-sykepleier,autorisasjon som sykepleier,nurse authorisation,QUALIFICATION,{NURSE_URI},Autorisasjoner (helse)
t:dataanalyse,dataanalyse,data analysis,SKILL,,IKT
t:sveising,sveising,welding,SKILL,,Industri
"""
SURFACES = """surface,concept_id,lang
autorisasjon som sykepleier,t:aut-sykepleier,both
dataanalyse,t:dataanalyse,both
sveising,t:sveising,both
"""


@pytest.fixture(scope="module")
def small_extractor(lexicon_extractor):
    """Lexicon-only extractor over three concepts, one linked to an ESCO occupation."""
    return lexicon_extractor(CONCEPTS, SURFACES)


@pytest.fixture(scope="module")
def areas():
    return load_occupation_areas()


# ----------------------------------------------------------------------------------------- the mapping
@pytest.mark.parametrize(
    "code, area",
    [
        ("2223", "helse_omsorg"),  # sykepleiere
        ("5321", "helse_omsorg"),  # helsefagarbeidere (53 Pleie- og omsorgsarbeidere)
        ("5311", "undervisning_oppvekst"),  # barnehageassistenter: 531 beats 53
        ("2342", "undervisning_oppvekst"),
        ("2512", "ikt"),
        ("7115", "bygg_anlegg"),
        ("8342", "bygg_anlegg"),  # anleggsmaskinførere: 8342 beats 83
        ("8332", "transport_logistikk"),
        ("7411.01", "elektro"),  # NAV's six-digit variant
        ("74", "elektro"),  # NAV's two-digit codes
        ("7512", "reiseliv_mat"),  # bakere: 7512 beats 75
        ("1342", "helse_omsorg"),  # ledere av helsetjenester: 1342 beats 1
        ("1120", "ledelse"),
        ("0000", None),  # uoppgitt
        (None, None),
    ],
)
def test_an_ad_belongs_to_the_area_of_its_longest_styrk08_prefix(areas, code, area) -> None:
    assert areas.area_of_code(code) == area


def test_every_styrk08_occupation_has_exactly_one_area(areas, shared_data: Path) -> None:
    from models.occupation import read_styrk08

    names = read_styrk08(shared_data)
    prefixes = [p for a in areas.areas for p in a.styrk08]
    assert [p for p in prefixes if p not in names] == []  # every prefix is a real STYRK-08 code
    level4 = sorted(c for c in names if len(c) == 4)
    unplaced = [c for c in level4 if areas.area_of_code(c) is None]
    assert unplaced == ["0000"]
    assert len(level4) > 400


def test_the_shipped_esco_links_are_the_crosswalks_for_the_lexicons_occupations(shared_data: Path) -> None:
    from extractors.taxonomy import load_lexicon
    from models.occupation import read_crosswalk, read_styrk08

    uris = {c.esco_uri for c in load_lexicon().concepts.values() if c.esco_uri and "/occupation/" in c.esco_uri}
    expected = esco_styrk08_rows(uris, read_crosswalk(shared_data), read_styrk08(shared_data))
    shipped = Path(__file__).resolve().parents[2] / "pipelines" / "data" / "esco_occupation_styrk08.csv"
    with shipped.open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == expected
    assert len(expected) >= 80


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Det er stort behov for sykepleiere og spesialsykepleiere.", {"helse_omsorg"}),
        ("Det er stort behov for helsefagarbeidarar og sjukepleiarar i alle kommunane.", {"helse_omsorg"}),
        (
            "Mangelen på fagarbeidarar er størst innan helse, elektro, bygg og industri.",
            {"helse_omsorg", "elektro", "bygg_anlegg", "industri"},
        ),
        (
            "Mangelen på arbeidskraft vil være størst i helse og omsorg, bygg og anlegg og IKT.",
            {"helse_omsorg", "bygg_anlegg", "ikt"},
        ),
        ("Hytteutbygginga gjev behov for tømrarar, røyrleggjarar og elektrikarar.", {"bygg_anlegg", "elektro"}),
        ("Det er mangel på yrkesfaglærere og barnehagelærarar.", {"undervisning_oppvekst"}),
        ("Kommunane manglar vernepleiarar.", {"helse_omsorg"}),
        ("Det er stort behov for utviklere og IT-driftsfolk.", {"ikt"}),
        ("Det er mangel på ingeniørar innan elkraft.", {"ingenior_realfag"}),
        ("Vi vil prioritere læreplassar i restaurant- og matfag og reiseliv.", {"reiseliv_mat"}),
        ("Det er mangel på yrkessjåfører og lagermedarbeidere.", {"transport_logistikk"}),
        ("Havbruksnæringa manglar fagfolk.", {"naturbruk"}),
        # words that only look like an area
        ("Alle tilsette treng grunnleggjande IKT-ferdigheiter.", set()),
        ("Meld. St. 14 la grunnlaget for en politikk der ingen går ut på dato.", set()),
        ("Fylkeskommunen utvikler tilbud sammen med kollegene i bransjen.", set()),
        ("Satse på desentralisert sjukepleiarutdanning.", {"helse_omsorg"}),  # not leiarutdanning
        ("Det er behov for bioingeniører.", {"helse_omsorg"}),  # not ingenior_realfag
        ("Elevene lærer om it i skolen.", set()),
    ],
)
def test_sentences_name_occupation_areas_in_bokmal_and_nynorsk(areas, sentence, expected) -> None:
    assert set(areas.named_in(sentence)) == expected


def test_a_bad_mapping_is_refused_with_the_fix(tmp_path: Path) -> None:
    shipped = yaml.safe_load(default_occupation_areas_path().read_text(encoding="utf-8"))
    esco = tmp_path / "esco_occupation_styrk08.csv"
    esco.write_text("esco_uri,esco_label,styrk08,styrk08_label,relation\n", encoding="utf-8")

    def write(doc: dict) -> Path:
        path = tmp_path / "occupation_areas.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        return path

    twice = {"areas": shipped["areas"] + [dict(shipped["areas"][0], id="copy")]}
    with pytest.raises(InputError, match="already in area helse_omsorg"):
        load_occupation_areas(write(twice))
    bad_regex = {"areas": [dict(shipped["areas"][0], terms=["helse("])]}
    with pytest.raises(InputError, match="not a valid regular expression"):
        load_occupation_areas(write(bad_regex))
    unquoted = {"areas": [dict(shipped["areas"][0], styrk08=["2x"])]}
    with pytest.raises(InputError, match="not 1-4 digits"):
        load_occupation_areas(write(unquoted))
    with pytest.raises(InputError, match="lacks terms"):
        load_occupation_areas(write({"areas": [dict(shipped["areas"][0], terms=[])]}))
    assert load_occupation_areas(write(shipped)).version != load_occupation_areas().version  # esco file differs


# ----------------------------------------------------------------------------------------- sentences → areas
def test_priority_sentences_take_their_own_areas_else_the_nearest_headings(areas, small_extractor) -> None:
    blocks = [
        TextBlock("heading", "Plan", level=1),
        TextBlock("heading", "3 Prioriterte områder", level=2),
        TextBlock("heading", "3.1 Helse og omsorg", level=3),
        TextBlock("text", "Det er økt etterspørsel etter dataanalyse. Det er mangel på elektrikere og sykepleiere."),
        TextBlock("text", "Kommunen har 30 000 innbyggere."),  # no priority: no area
        TextBlock("text", "Vi vil prioritere autorisasjon som sykepleier."),
        TextBlock("heading", "3.2 Andre behov", level=3),
        TextBlock("text", "Det er behov for sveising."),  # neither the sentence nor its headings name an area
    ]
    structured = structure(blocks)
    _, sentences, mentions = analyse(structured, small_extractor, "nb")
    concept_esco = {c.concept_id: c.esco_uri for c in small_extractor.lexicon.concepts.values()}
    rows = occupation_area_rows(structured, sentences, mentions, areas, concept_esco)
    got = {(r["sentence_no"], r["area_id"]): (r["via"], r["evidence"], r["styrk08"], r["weight"]) for r in rows}
    assert got == {
        (0, "helse_omsorg"): ("heading", "Helse", None, 1.0),  # 0.8 × 1.25 under "Prioriterte områder"
        (1, "elektro"): ("sentence", "elektrikere", None, 1.25),
        (1, "helse_omsorg"): ("sentence", "sykepleiere", None, 1.25),
        (3, "helse_omsorg"): ("sentence", "sykepleier", None, 1.25),  # named twice (word and concept): once
    }


def test_a_concept_names_the_area_of_its_esco_occupation(areas, small_extractor) -> None:
    structured = structure([TextBlock("text", "Vi vil prioritere autorisasjon som sykepleier.")])
    _, sentences, mentions = analyse(structured, small_extractor, "nb")
    no_words = type(areas)(
        tuple(type(a)(a.area_id, a.label_nb, a.label_nn, a.styrk08, ()) for a in areas.areas),
        areas.esco_styrk08,
        areas.version,
    )
    rows = occupation_area_rows(
        structured, sentences, mentions, no_words, {"t:aut-sykepleier": NURSE_URI}
    )
    assert [(r["area_id"], r["via"], r["evidence"], r["styrk08"]) for r in rows] == [
        ("helse_omsorg", "concept", "autorisasjon som sykepleier", "2223")
    ]
    assert rows[0]["weight"] == pytest.approx(mentions[0]["weight"])


# ----------------------------------------------------------------------------------------- policy_vs_demand
def write_registry(folder: Path, entries: list[dict]) -> Path:
    path = folder / "registry.yaml"
    path.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_policy_vs_demand_sets_occupation_areas_against_ads_styrk08_codes(tmp_path: Path, small_extractor) -> None:
    (tmp_path / "n.html").write_text(
        "<html><body><main><h1>Nasjonal</h1><p>Det er stort behov for sykepleiere i hele landet.</p>"
        "</main></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "o.html").write_text(
        "<html lang='nn'><body><main><h1>Østfold</h1><h2>Bygg og anlegg</h2>"
        "<p>Det er mangel på fagarbeidarar.</p><p>Fylkeskommunen vil prioritere elektrikarar og sveising.</p>"
        "</main></body></html>",
        encoding="utf-8",
    )
    registry = write_registry(
        tmp_path,
        [
            {"id": "nasjonal", "title": "N", "issuer": "Staten", "level": "national", "year": 2026, "path": "n.html"},
            {"id": "ostfold", "title": "Ø", "issuer": "Østfold fk", "level": "county", "region": "Østfold",
             "year": 2026, "path": "o.html"},
        ],
    )
    con = open_warehouse(tmp_path / "w.duckdb")
    report = ingest_strategies(con, small_extractor, registry, tmp_path / "cache", "run-1")
    assert report.occupation_area_statements == 3
    add_ads(con, "2026-W40", "Østfold", 10, {}, prefix="n", styrk08="2223")  # sykepleiere
    add_ads(con, "2026-W40", "Østfold", 2, {}, prefix="e", styrk08="7411.01")  # elektrikere: too few
    add_ads(con, "2026-W40", "Østfold", 6, {}, prefix="s", styrk08="8332")  # sjåfører: no strategy names them
    add_ads(con, "2026-W40", "Østfold", 2, {}, prefix="u", styrk08="")  # no occupation code
    add_ads(con, "2026-W40", "Akershus", 5, {}, prefix="a", styrk08="7115")
    refresh_trends(con, "2026-W40", min_ads=3)
    rows = con.execute("""SELECT key, label, status, round(priority_weight, 3), priority_mentions, documents,
                                 ads_with, ads, ads_coded, round(demand_share, 2), occupation_codes
                          FROM policy_vs_demand
                          WHERE level = 'occupation_area' AND region_code = '31' AND year = 2026
                          ORDER BY key""").fetchall()
    assert rows == [
        # the heading names the area for the sentence that names none
        ("bygg_anlegg", "Bygg og anlegg", "priority_little_demand", 1.0, 1, ["ostfold"], 0, 20, 18, 0.0,
         ["71", "216", "931", "1323", "3123", "8342", "8343"]),
        ("elektro", "Elektro", "priority_little_demand", 1.0, 1, ["ostfold"], 2, 20, 18, 0.1, ["74"]),
        ("helse_omsorg", "Helse og omsorg", "aligned", 1.0, 1, ["nasjonal"], 10, 20, 18, 0.5,
         ["22", "32", "53", "1342", "1343", "1344", "2634", "2635", "3412"]),
        ("transport_logistikk", "Transport og logistikk", "demand_not_in_strategy", 0.0, 0, None, 6, 20, 18, 0.3,
         ["83", "315", "432", "511", "933", "1324"]),
    ]
    akershus = dict(con.execute("""SELECT key, status FROM policy_vs_demand
                                   WHERE level = 'occupation_area' AND region_code = '32'""").fetchall())
    assert akershus == {"bygg_anlegg": "demand_not_in_strategy", "helse_omsorg": "priority_little_demand"}
    national = dict(con.execute("""SELECT key, ads_with FROM policy_vs_demand
                                   WHERE level = 'occupation_area' AND region_code = 'NO'""").fetchall())
    assert national["bygg_anlegg"] == 5 and national["helse_omsorg"] == 10
    # the other levels are still there, and cite the same documents
    levels = dict(con.execute("""SELECT level, count(*) FROM policy_vs_demand WHERE region_code = '31'
                                 GROUP BY level""").fetchall())
    assert set(levels) == {"concept", "skill_group", "occupation_area"}
    cited = con.execute("""SELECT doc_id, area_id, via, evidence, sentence FROM occupation_area_priorities
                           ORDER BY doc_id, sentence_no, area_id""").fetchall()
    assert cited == [
        ("nasjonal", "helse_omsorg", "sentence", "sykepleiere", "Det er stort behov for sykepleiere i hele landet."),
        ("ostfold", "bygg_anlegg", "heading", "Bygg", "Det er mangel på fagarbeidarar."),
        ("ostfold", "elektro", "sentence", "elektrikarar", "Fylkeskommunen vil prioritere elektrikarar og sveising."),
    ]
    # unchanged documents are skipped; a changed mapping re-reads them
    assert ingest_strategies(con, small_extractor, registry, tmp_path / "cache", "run-2").unchanged == 2
    shipped = default_occupation_areas_path()
    edited = tmp_path / "areas" / "occupation_areas.yaml"
    edited.parent.mkdir()
    edited.write_text(shipped.read_text(encoding="utf-8").replace("'\\belektro\\b|", "'\\belektro\\b|elkraft|"),
                      encoding="utf-8")
    (edited.parent / "esco_occupation_styrk08.csv").write_bytes(shipped.with_name("esco_occupation_styrk08.csv")
                                                                .read_bytes())
    again = ingest_strategies(con, small_extractor, registry, tmp_path / "cache", "run-3",
                              occupation_areas=load_occupation_areas(edited))
    assert again.ingested == 2 and again.occupation_area_statements == 3
    con.close()


def test_the_shipped_mapping_reads_cleanly(areas) -> None:
    ids = [a.area_id for a in areas.areas]
    assert len(ids) == len(set(ids)) >= 12
    assert all(a.label_nb and a.label_nn and a.terms for a in areas.areas)
    reader = csv.DictReader(io.StringIO(
        default_occupation_areas_path()
        .with_name("esco_occupation_styrk08.csv").read_text(encoding="utf-8")))
    assert all(areas.area_of_code(row["styrk08"]) for row in reader)  # every ESCO link lands in an area
