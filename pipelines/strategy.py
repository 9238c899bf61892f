"""Strategy documents → sections → sentences → weighted priority statements linked to taxonomy concepts.

A priority statement is a sentence that says a competence is needed, short, in growing demand or to be
given priority ("Det er stort behov for sykepleiere", "mangel på fagarbeidere", "Fylkeskommunen vil
prioritere ...", "auka etterspurnad etter ..."). Its weight says how strongly (see CUES):

    weight = strongest cue in the sentence × 1.25 if intensified ("stort behov", "særleg", "størst")
                                           × 1.25 if a heading above it names priorities ("Prioriterte
                                             områder", "Satsingsområde", "Tiltak", "Mål og strategier")

and is 0 when the need is negated or shrinking ("ikke behov for", "mindre etterspørsel"). The competence
mentions in the sentence (found by the same extractor as for job ads) carry that weight times the
mention's own score; every row keeps its document, page and heading path, so each priority can be cited.

Each priority sentence is also placed in the occupation areas it speaks of (pipelines/data/occupation_areas.yaml:
"helse og omsorg", "sjukepleiarar", "bygg og anlegg" …, or the heading above it; or a linked concept's ESCO
occupation through its STYRK-08 code), so `policy_vs_demand` can set it against the ads of those STYRK-08 codes.

`ingest_strategies` is the stage the weekly flow calls: registry → fetch (cached) → text → structure →
priorities → warehouse, one document per transaction, a bad document recorded and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import yaml

from extractors.extract import Extractor
from pipelines.errors import InputError, SourceError
from pipelines.regions import normalise_name, resolve_region
from pipelines.sources.strategy_docs import (
    TOC_TITLE_RE,
    DocumentFetcher,
    DocumentText,
    StrategySource,
    TextBlock,
    document_text,
    load_registry,
)
from warehouse.load import upsert_concepts
from warehouse.strategy_load import (
    document_state,
    record_document_failure,
    refresh_document_metadata,
    replace_document,
    replace_occupation_areas,
)

# 0.2: occupation areas per priority sentence. The stored structure_version adds the area mapping's hash, so a
# change to the mapping re-reads every document.
STRUCTURE_VERSION = "strategy-0.2"


def default_registry_path(*, demo: bool = False) -> Path:
    """The shipped registry of real national and regional documents, or the sample corpus's in demo mode."""
    if demo:
        return Path(str(resources.files("pipelines") / "sample_data" / "strategy" / "registry.yaml"))
    return Path(str(resources.files("pipelines") / "strategy_registry.yaml"))


# ----------------------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class Section:
    """A heading and the text under it; `path` is the chain of headings from the top ('3 …', '3.1 …')."""

    section_no: int
    heading: str | None
    level: int
    path: tuple[str, ...]
    page: int | None
    is_toc: bool = False


@dataclass(frozen=True)
class Sentence:
    """A sentence with where it stands: section, page and whether it was a list item."""

    sentence_no: int
    section_no: int
    text: str
    page: int | None
    kind: str  # text | item


@dataclass(frozen=True)
class StructuredDocument:
    """A document's sections and sentences in reading order, plus the title its first heading gave."""

    sections: list[Section]
    sentences: list[Sentence]
    title: str | None = None


ABBREVIATIONS = frozenset(
    """f.eks bl.a mv m.m m.v nr ca jf jfr dvs osv o.l m.fl evt ev inkl ift iht mht vs dr
    prof st meld prop kap pkt mill mrd kr tlf etc e.l t.o.m f.o.m pga ref innst mnd fig tab avd adm utg red
    fhv nou ofl o.a s.k sk resp bl vedr""".split()
)
SENTENCE_BREAK_RE = re.compile(r"[.!?…]+[\"»”’)]*\s+")
SENTENCE_START_RE = re.compile(r"[\"«(“]?[A-ZÆØÅÄÖÜ]")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: . ! ? before a capital, unless an abbreviation or initial ends there."""
    spans, start = [], 0
    for match in SENTENCE_BREAK_RE.finditer(text):
        after = text[match.end() :]
        if not SENTENCE_START_RE.match(after):
            continue
        before = text[start : match.start() + 1].split()
        last = before[-1].rstrip(".!?…").lstrip('(«"').lower() if before else ""
        if "." in match.group() and (last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def structure(blocks: list[TextBlock]) -> StructuredDocument:
    """Blocks → sections with heading paths and sentences with pages; the first heading is the title when
    it stands above all others (a single <h1>, a PDF's cover title), and a table of contents is skipped."""
    headings = [b for b in blocks if b.kind == "heading"]
    title_block = None
    if headings:
        first, rest = headings[0], headings[1:]
        if not rest or first.level < min(b.level for b in rest):
            title_block = first
    sections = [Section(0, None, 0, (), _first_page(blocks), False)]
    sentences: list[Sentence] = []
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if block is title_block:
            continue
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            sections.append(
                Section(
                    len(sections),
                    block.text,
                    block.level,
                    tuple(h for _, h in stack),
                    block.page_at(0),
                    bool(TOC_TITLE_RE.match(block.text.strip())),
                )
            )
            continue
        section = sections[-1]
        if section.is_toc:
            continue
        for start, end in split_sentences(block.text):
            text = block.text[start:end].strip()
            if len(re.findall(r"[^\W\d_]{2,}", text)) < 2:  # page furniture, stray numbers
                continue
            sentences.append(
                Sentence(
                    len(sentences),
                    section.section_no,
                    text,
                    block.page_at(start),
                    "item" if block.kind == "item" else "text",
                )
            )
    used = {s.section_no for s in sentences} | {s.section_no for s in sections if s.heading}
    sections = [s for s in sections if s.section_no in used]
    return StructuredDocument(sections, sentences, title_block.text if title_block else None)


def _first_page(blocks: list[TextBlock]) -> int | None:
    return next((b.page_at(0) for b in blocks if b.pages), None)


# ----------------------------------------------------------------------------------------- priorities
@dataclass(frozen=True)
class Cue:
    """A wording that makes a sentence a priority statement, with its kind and base weight."""

    kind: str  # priority | shortage | need | demand | action
    weight: float
    pattern: re.Pattern[str]


def _cue(kind: str, weight: float, pattern: str) -> Cue:
    return Cue(kind, weight, re.compile(pattern, re.IGNORECASE))


# Bokmål and Nynorsk forms side by side; weights: explicit priority or shortage 1.0, need ("behov for", "må
# utdannes"), rising demand or unfilled posts 0.8, plain "trenger"/"etterspør" 0.6, an action item starting
# with a verb ("Øke antallet lærekontrakter ...") 0.5.
CUES: tuple[Cue, ...] = (
    _cue(
        "priority",
        1.0,
        r"\bprioriter(e|er|es|ast|ar|t|te|ing|inga|ingen|inger|ingar)?\b|\bhøy(t)? prioritet\b|"
        r"\bhovudprioritet|\bhovedprioritet",
    ),
    _cue(
        "priority", 1.0, r"\bsats(e|er|es|ast|ar|a)\s+(\w+\s+)?på\b|\bsatsing(a|en)?\s+på\b|\bsatsingsområd"
    ),
    _cue(
        "shortage",
        1.0,
        r"\bmangel(en)?\s+på\b|\bmangl(er|ar|a|et|ende)\b|\bunderskot(t)?\s+på\b|"
        r"\bunderskudd(et)?\s+på\b|\bknapphet\s+på\b|\budekk(et|te)\b|"
        r"\bvanskeleg\s+å\s+(rekruttere|få tak i)|\bvanskelig\s+å\s+(rekruttere|få tak i)|"
        r"\b(ikke|ikkje)\s+få(r)?\s+(tak i|rekruttert)\b|\brekrutteringsutfordring",
    ),
    _cue("shortage", 0.8, r"\b(ikke|ikkje)\s+(blir|vert|blei|ble)\s+(besatt|besett|fylt)\b|\bubesatte\b"),
    _cue("need", 0.6, r"\btreng(er)?\b"),
    _cue(
        "need",
        0.8,
        r"\bbehov(et|a|ene)?\s+for\b|\bmå\s+(\w+\s+)?utdann(es|ast|ast)\b|"
        r"\bmå\s+(styrkes|styrkjast|økes|aukast|bygges\s+opp|byggjast\s+opp)\b|"
        r"\bbehov\s+(i|innan|innen)\b",
    ),
    _cue(
        "demand",
        0.8,
        r"\b(økt|økte|økende|økande|auka|aukande|stigende|stigande|vaksande|voksende|høy|høg)\s+"
        r"(etterspørsel|etterspurnad)|\betterspørsel(en)?\s+etter\b[^.]*\bøker\b|"
        r"\betterspurnad(en)?\s+etter\b[^.]*\baukar\b|\bøker\s+etterspørselen\b|"
        r"\baukar\s+etterspurnaden\b",
    ),
    _cue("demand", 0.6, r"\betterspør\b|\betterspørsel(en)?\s+etter\b|\betterspurnad(en)?\s+etter\b"),
    _cue(
        "action",
        0.5,
        r"^(øke|auke|styrke|styrkje|etablere|utvikle|heve|sikre|utdanne|fleire|flere|"
        r"bygge ut|byggje ut|utvide|tilby|tilby|gje|gi)\b",
    ),
)
INTENSIFIER_RE = re.compile(
    r"\b(stort|stor|sterkt|særlig|særleg|spesielt|størst|kritisk|akutt|betydelig|"
    r"betydeleg|aukande|økende|prekær)\b",
    re.IGNORECASE,
)
NEGATION_RE = re.compile(
    r"\b(ikke|ikkje|ingen|lite|mindre|redusert|minkande|synkende|lavere|lågare|fallende|"
    r"fallande)\s+(\w+\s+)?(behov|mangel|etterspørsel|etterspurnad)\b|"
    r"\b(behov|etterspørsel|etterspurnad)(en|et|a)?\s+(\w+\s+)?(går ned|minker|søkk|fell|"
    r"er lav|er låg)\b",
    re.IGNORECASE,
)
PRIORITY_HEADING_RE = re.compile(
    r"priorit|satsing|innsatsområd|tiltak|anbefaling|tilråding|strategi|"
    r"\bmål\b|handlingsprogram",
    re.IGNORECASE,
)
INTENSIFIER = 1.25
HEADING_BOOST = 1.25


@dataclass(frozen=True)
class PriorityStatement:
    """Why a sentence is a priority statement and how strongly."""

    kind: str
    cue: str
    weight: float


def priority_of(sentence: str, heading_path: Iterable[str] = ()) -> PriorityStatement | None:
    """The sentence's priority statement (None when it states no need, shortage or priority)."""
    text = sentence.strip()
    best: tuple[Cue, re.Match[str]] | None = None
    for cue in CUES:
        match = cue.pattern.search(text)
        if match and (best is None or cue.weight > best[0].weight):
            best = (cue, match)
    if best is None:
        return None
    cue, match = best
    if NEGATION_RE.search(text):
        return None
    weight = cue.weight
    if INTENSIFIER_RE.search(text):
        weight *= INTENSIFIER
    if any(PRIORITY_HEADING_RE.search(h) for h in heading_path):
        weight *= HEADING_BOOST
    return PriorityStatement(cue.kind, match.group(0).strip().lower(), round(weight, 4))


def cue_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of every cue wording in a sentence: "prioritere" there is the policy's verb, not the
    soft skill 'prioritering' the lexicon knows, so mentions overlapping a cue are not competences."""
    return [m.span() for cue in CUES for m in cue.pattern.finditer(sentence)]


# Policy prose that reads like a personal quality to a job-ad extractor: "i samarbeid med høgskolen" is how a
# measure is run, "fleksible tilbud" describes courses, "modulstrukturert" opplæring is no trait.
COOPERATION_RE = re.compile(
    r"\b(i|et|eit|tett|tettere|tettare|godt|nært|styrke)\s+samarbeid(et)?\s+(med|mellom|om)\b", re.IGNORECASE
)
OFFER_AFTER_RE = re.compile(
    r"^\w*\s+(\w+)?(tilbud|tilbod|ordning|ordningar|ordninger|løp|løsninger|løysingar|"
    r"utdanning|utdanningar|utdanninger|opplæring|kurs)\b",
    re.IGNORECASE,
)


def is_policy_prose(sentence: str, mention: Any) -> bool:
    """True for a soft-skill mention that describes the policy rather than a competence."""
    if mention.type != "SOFT":
        return False
    if mention.method == "lexicon-compound":
        return True
    window = sentence[max(0, mention.start - 12) : mention.end + 12]
    if COOPERATION_RE.search(window):
        return True
    return bool(OFFER_AFTER_RE.match(sentence[mention.end - len(mention.text.split()[-1]) :]))


# ----------------------------------------------------------------------------------------- regions
@lru_cache(maxsize=1)
def _county_rows() -> tuple[dict[str, str], ...]:
    with (resources.files("pipelines") / "data" / "counties.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        return tuple(csv.DictReader(handle))


def document_regions(source: StrategySource) -> list[dict[str, str]]:
    """The regions (in 2024 borders) a document speaks for; a split county (Viken) speaks for its heirs.

    National documents get ('national', 'NO'), and count for every region in `policy_vs_demand`.
    """
    if source.level == "national":
        return [{"region_level": "national", "region_code": "NO", "region_name": "Hele landet"}]
    on = date(source.year, 7, 1)
    if source.level == "municipal":
        region = resolve_region(municipality=source.region, on=on) or resolve_region(
            municipality=source.region
        )
        if region is None or not region.municipality_code_2024:
            raise InputError(
                f"Document {source.doc_id}: region {source.region!r} is not a Norwegian municipality; "
                "write its name as in SSB's list (e.g. 'Fredrikstad')."
            )
        return [
            {
                "region_level": "municipality",
                "region_code": region.municipality_code_2024,
                "region_name": region.municipality_name_2024 or source.region or "",
            },
            {
                "region_level": "county",
                "region_code": region.county_code_2024 or "??",
                "region_name": region.county_name_2024 or "",
            },
        ]
    key = normalise_name(source.region)
    rows = [
        r
        for r in _county_rows()
        if key
        in {normalise_name(r["county_name"])} | {normalise_name(v) for v in r["name_variants"].split("|")}
    ]
    if not rows:
        known = sorted({r["county_name"] for r in _county_rows()})
        raise InputError(
            f"Document {source.doc_id}: region {source.region!r} is not a county; use one of "
            f"{', '.join(known)}."
        )
    valid = [
        r
        for r in rows
        if r["valid_from"] <= on.isoformat() and (not r["valid_to"] or on.isoformat() <= r["valid_to"])
    ]
    row = (valid or sorted(rows, key=lambda r: r["valid_from"]))[-1]
    if row["county_code_2024"]:
        return [
            {
                "region_level": "county",
                "region_code": row["county_code_2024"],
                "region_name": row["county_name_2024"],
            }
        ]
    heirs = {
        (r["county_code_2024"], r["county_name_2024"])
        for r in _county_rows()
        if r["successor_code"] == row["county_code"] and r["county_code_2024"]
    }
    return [
        {"region_level": "county", "region_code": code, "region_name": name} for code, name in sorted(heirs)
    ]


# ----------------------------------------------------------------------------------------- rows
def language_of(source: StrategySource, text: DocumentText) -> str:
    """The registry's language, else the page's lang attribute, else detected from the text."""
    if source.language:
        return source.language
    if text.language in ("nb", "nn", "en"):
        return text.language
    from pipelines.normalise import detect_language

    sample = " ".join(b.text for b in text.blocks)[:4000]
    lang = detect_language(sample)
    return lang if lang in ("nb", "nn", "en") else "nb"


def analyse(
    structured: StructuredDocument, extractor: Extractor, lang: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Section, sentence and mention rows (without doc_id) of a structured document."""
    paths = {s.section_no: s.path for s in structured.sections}
    section_rows = [
        {
            "section_no": s.section_no,
            "heading": s.heading,
            "level": s.level,
            "heading_path": list(s.path),
            "page": s.page,
        }
        for s in structured.sections
    ]
    sentence_rows, statements = [], {}
    for sentence in structured.sentences:
        statement = priority_of(sentence.text, paths.get(sentence.section_no, ()))
        statements[sentence.sentence_no] = statement
        sentence_rows.append(
            {
                "sentence_no": sentence.sentence_no,
                "section_no": sentence.section_no,
                "page": sentence.page,
                "kind": sentence.kind,
                "text": sentence.text,
                "priority_kind": statement.kind if statement else None,
                "priority_cue": statement.cue if statement else None,
                "priority_weight": statement.weight if statement else 0.0,
            }
        )
    extract_lang = lang if lang in ("nb", "nn") else "nb"
    # A sentence without final punctuation reads as a heading to the section tagger; a full stop fixes that.
    items = (
        (s.sentence_no, s.text if s.text.endswith((".", "!", "?")) else s.text + ".", extract_lang)
        for s in structured.sentences
    )
    mention_rows = []
    for sentence_no, mentions in extractor.extract_many(items):
        statement = statements[sentence_no]
        text = structured.sentences[sentence_no].text
        cues = cue_spans(text)
        for m in mentions:
            if m.end > len(text) or any(m.start < end and start < m.end for start, end in cues):
                continue  # the added full stop, or the cue word itself ("prioritere", "behov")
            if is_policy_prose(text, m):
                continue
            mention_rows.append(
                {
                    "sentence_no": sentence_no,
                    "start": m.start,
                    "end": m.end,
                    "text": m.text,
                    "type": m.type,
                    "concept_id": m.concept_id,
                    "concept_label": m.concept_label,
                    "score": m.score,
                    "method": m.method,
                    "weight": round(statement.weight * m.score, 4) if statement else 0.0,
                }
            )
    return section_rows, sentence_rows, mention_rows


# ----------------------------------------------------------------------------------------- occupation areas
@dataclass(frozen=True)
class OccupationArea:
    """A field of work strategies name, with the STYRK-08 code prefixes of its ads and its words (nb and nn)."""

    area_id: str
    label_nb: str
    label_nn: str
    styrk08: tuple[str, ...]
    terms: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class OccupationAreas:
    """The curated areas, the STYRK-08 codes of the ESCO occupations the lexicon links to, and a version."""

    areas: tuple[OccupationArea, ...]
    esco_styrk08: dict[str, tuple[str, ...]]
    version: str

    def area_of_code(self, styrk08: str | None) -> str | None:
        """The area of a STYRK-08 code: the one with the longest prefix it starts with (None if none)."""
        if not styrk08:
            return None
        best: tuple[int, str] | None = None
        for area in self.areas:
            for prefix in area.styrk08:
                if styrk08.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), area.area_id)
        return best[1] if best else None

    def named_in(self, text: str) -> dict[str, str]:
        """Areas whose words occur in a text → the first whole word found (a stem widened to its word)."""
        found: dict[str, str] = {}
        for area in self.areas:
            for pattern in area.terms:
                match = pattern.search(text)
                if match:
                    start, end = match.span()
                    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
                        start -= 1
                    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
                        end += 1
                    found[area.area_id] = text[start:end] if end > start else match.group(0)
                    break
        return found


def default_occupation_areas_path() -> Path:
    return Path(str(resources.files("pipelines") / "data" / "occupation_areas.yaml"))


def load_occupation_areas(
    path: Path | None = None, esco_path: Path | None = None
) -> OccupationAreas:
    """Read the curated occupation areas and the ESCO → STYRK-08 links; reject what would mis-place priorities."""
    path = Path(path or default_occupation_areas_path())
    esco_path = Path(esco_path or path.with_name("esco_occupation_styrk08.csv"))
    digest = hashlib.sha256()
    try:
        raw = path.read_bytes()
        doc = yaml.safe_load(raw)
        esco_raw = esco_path.read_bytes()
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"Occupation areas: cannot read {exc}; restore pipelines/data/occupation_areas.yaml "
                         "and esco_occupation_styrk08.csv from the repository.") from exc
    digest.update(raw)
    digest.update(esco_raw)
    areas, owners = [], {}
    for n, entry in enumerate((doc or {}).get("areas") or [], start=1):
        where = f"{path}: area {n} ({entry.get('id', '?')})"
        missing = [k for k in ("id", "label_nb", "label_nn", "styrk08", "terms") if not entry.get(k)]
        if missing:
            raise InputError(f"{where} lacks {', '.join(missing)}; every area needs all five.")
        codes = tuple(str(c) for c in entry["styrk08"])
        for code in codes:
            if not re.fullmatch(r"\d{1,4}", code):
                raise InputError(f"{where}: STYRK-08 prefix {code!r} is not 1-4 digits (quote it: '01').")
            if code in owners:
                raise InputError(f"{where}: STYRK-08 prefix {code} is already in area {owners[code]}; "
                                 "a code prefix belongs to one area.")
            owners[code] = entry["id"]
        try:
            terms = tuple(re.compile(t, re.IGNORECASE) for t in entry["terms"])
        except re.error as exc:
            raise InputError(f"{where}: term {exc.pattern!r} is not a valid regular expression ({exc}).") from exc
        areas.append(OccupationArea(entry["id"], entry["label_nb"], entry["label_nn"], codes, terms))
    if not areas:
        raise InputError(f"{path} defines no occupation areas.")
    links: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(esco_raw.decode("utf-8"))):
        links.setdefault(row["esco_uri"], []).append(row["styrk08"])
    return OccupationAreas(
        tuple(areas), {uri: tuple(codes) for uri, codes in links.items()}, digest.hexdigest()[:12]
    )


def esco_styrk08_rows(
    esco_uris: Iterable[str], crosswalk: Iterable[dict[str, str]], styrk08_names: dict[str, str]
) -> list[dict[str, str]]:
    """The rows of esco_occupation_styrk08.csv: for each ESCO occupation the lexicon links to, its 4-digit
    STYRK-08 codes in the official crosswalk (every relation but 'no relation')."""
    wanted = set(esco_uris)
    rows = set()
    for row in crosswalk:
        uri = row["Classification 1 URI"]
        code = row["Classification 2 URI"].rsplit("/", 1)[-1].lstrip("C").zfill(4)
        if uri in wanted and row["Mapping relation"] != "no relation" and len(code) == 4 and code in styrk08_names:
            rows.add((uri, row["Classification 1 PrefLabel"], code, styrk08_names[code], row["Mapping relation"]))
    keys = ("esco_uri", "esco_label", "styrk08", "styrk08_label", "relation")
    return [dict(zip(keys, r)) for r in sorted(rows)]


VIA_ORDER = {"sentence": 0, "concept": 1, "heading": 2}


def occupation_area_rows(
    structured: StructuredDocument,
    sentence_rows: list[dict[str, Any]],
    mention_rows: list[dict[str, Any]],
    areas: OccupationAreas,
    concept_esco: dict[str, str | None],
) -> list[dict[str, Any]]:
    """The occupation areas of each priority sentence, with how it names them and the weight it gives each.

    A sentence names an area by its words ("behov for sjukepleiarar" → helse_omsorg) or by a linked concept whose
    ESCO occupation has a STYRK-08 code in the area (fagbrev tømrer → 7115 → bygg_anlegg); one that names none
    takes the areas of the nearest heading above it that names some ("3.1 IKT og digitalisering"). The weight is
    the sentence's (a concept's: its mention weight), once per sentence and area however often it is named.
    """
    headings = {s.section_no: s.path for s in structured.sections}
    section_of = {s.sentence_no: s.section_no for s in structured.sentences}
    by_sentence: dict[int, list[dict[str, Any]]] = {}
    for m in mention_rows:
        by_sentence.setdefault(m["sentence_no"], []).append(m)
    rows = []
    for sentence in sentence_rows:
        weight = sentence["priority_weight"]
        if weight <= 0:
            continue
        found: dict[str, tuple[str, str, str | None, float]] = {}  # area → (via, evidence, styrk08, weight)
        for area, words in areas.named_in(sentence["text"]).items():
            _offer(found, area, ("sentence", words, None, weight))
        for m in by_sentence.get(sentence["sentence_no"], []):
            uri = concept_esco.get(m.get("concept_id") or "")
            for code in areas.esco_styrk08.get(uri or "", ()):
                area = areas.area_of_code(code)
                if area and m["weight"] > 0:
                    _offer(found, area, ("concept", m.get("concept_label") or m["text"], code, m["weight"]))
        if not found:
            for heading in reversed(headings.get(section_of.get(sentence["sentence_no"], -1), ())):
                named = areas.named_in(heading)
                for area, words in named.items():
                    _offer(found, area, ("heading", words, None, weight))
                if named:
                    break
        for area, (via, evidence, code, w) in sorted(found.items()):
            rows.append(
                {
                    "sentence_no": sentence["sentence_no"],
                    "area_id": area,
                    "via": via,
                    "evidence": evidence,
                    "styrk08": code,
                    "weight": round(w, 4),
                }
            )
    return rows


def _offer(
    found: dict[str, tuple[str, str, str | None, float]], area: str, reason: tuple[str, str, str | None, float]
) -> None:
    """Keep the strongest reason an area is named (on equal weight: own words, then concept, then heading)."""
    old = found.get(area)
    if old is None or (reason[3], -VIA_ORDER[reason[0]]) > (old[3], -VIA_ORDER[old[0]]):
        found[area] = reason


def occupation_area_table(areas: OccupationAreas) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the warehouse's occupation_areas and occupation_area_codes tables."""
    return (
        [
            {"area_id": a.area_id, "label_nb": a.label_nb, "label_nn": a.label_nn, "styrk08": list(a.styrk08),
             "mapping_version": areas.version}
            for a in areas.areas
        ],
        [{"styrk08_prefix": code, "area_id": a.area_id} for a in areas.areas for code in a.styrk08],
    )


# ----------------------------------------------------------------------------------------- stage
@dataclass
class StrategyReport:
    """What one ingest did, for the run record and the CLI."""

    documents: int = 0
    ingested: int = 0
    unchanged: int = 0
    failed: int = 0
    sections: int = 0
    sentences: int = 0
    priority_sentences: int = 0
    priority_mentions: int = 0
    occupation_area_statements: int = 0
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ingest_strategies(
    con: duckdb.DuckDBPyConnection,
    extractor: Extractor,
    registry_path: Path,
    cache_dir: Path,
    run_id: str,
    *,
    fetcher: DocumentFetcher | None = None,
    force: bool = False,
    occupation_areas: OccupationAreas | None = None,
) -> StrategyReport:
    """Registry → fetched (cached) text → sections, sentences, priorities → warehouse, document by document.

    A document whose bytes and extractor are unchanged since the last run is skipped (unless `force`). One
    that cannot be fetched or read is recorded with its warning; what was stored for it before is kept.
    An invalid registry or occupation-area mapping raises InputError before anything is written.
    """
    sources = load_registry(Path(registry_path))
    regions = {s.doc_id: document_regions(s) for s in sources}  # validate every region before writing
    areas = occupation_areas or load_occupation_areas()
    concept_esco = {c.concept_id: c.esco_uri for c in extractor.lexicon.concepts.values()}
    upsert_concepts(con, extractor.lexicon)
    replace_occupation_areas(con, *occupation_area_table(areas))
    report = StrategyReport(documents=len(sources))
    own_fetcher = fetcher is None
    fetcher = fetcher or DocumentFetcher(Path(cache_dir))
    base = _base_row(extractor, run_id, Path(registry_path), areas)
    try:
        for source in sources:
            meta = dict(base, **_source_row(source))
            try:
                fetched = fetcher.fetch(source)
            except SourceError as exc:
                _fail(con, report, meta, regions[source.doc_id], [str(exc)])
                continue
            content_hash = hashlib.sha256(fetched.content).hexdigest()
            previous = document_state(con, source.doc_id)
            warnings = list(fetched.warnings)
            if (
                not force
                and previous
                and previous["content_hash"] == content_hash
                and previous["extractor_version"] == meta["extractor_version"]
                and previous["structure_version"] == base["structure_version"]
                and source.language in (None, previous["language"])
            ):
                report.unchanged += 1
                refresh_document_metadata(
                    con,
                    dict(meta, fetch_origin=fetched.origin),
                    regions[source.doc_id],
                    "; ".join(warnings) or None,
                )
                if warnings:
                    report.warnings[source.doc_id] = warnings
                continue
            text = document_text(fetched.content, content_type=fetched.content_type, hint=source.format)
            warnings += text.warnings
            structured = structure(text.blocks)
            if previous and text.damaged:  # a damaged copy must not replace a good one
                _fail(con, report, meta, regions[source.doc_id], warnings + ["kept the version read before"])
                continue
            if not structured.sentences:
                _fail(
                    con,
                    report,
                    dict(meta, content_hash=None, format=text.format, pages=text.pages),
                    regions[source.doc_id],
                    warnings + ["no sentences could be read from the document"],
                )
                continue
            lang = language_of(source, text)
            sections, sentences, mentions = analyse(structured, extractor, lang)
            area_rows = occupation_area_rows(structured, sentences, mentions, areas, concept_esco)
            row = dict(
                meta,
                language=lang,
                format=text.format,
                pages=text.pages,
                content_hash=content_hash,
                fetch_origin=fetched.origin,
                status="warning" if warnings else "ok",
                warnings=json.dumps(warnings, ensure_ascii=False),
                last_error=None,
                document_title=structured.title or text.title,
                sections=len(sections),
                sentences=len(sentences),
                priority_sentences=sum(1 for s in sentences if s["priority_weight"] > 0),
                priority_mentions=sum(1 for m in mentions if m["weight"] > 0 and m["concept_id"]),
            )
            replace_document(con, row, regions[source.doc_id], sections, sentences, mentions, area_rows)
            report.ingested += 1
            report.sections += len(sections)
            report.sentences += len(sentences)
            report.priority_sentences += row["priority_sentences"]
            report.priority_mentions += row["priority_mentions"]
            report.occupation_area_statements += len(area_rows)
            if warnings:
                report.warnings[source.doc_id] = warnings
    finally:
        if own_fetcher:
            fetcher.close()
    return report


def _fail(
    con: duckdb.DuckDBPyConnection,
    report: StrategyReport,
    meta: dict[str, Any],
    regions: list[dict[str, str]],
    warnings: list[str],
) -> None:
    report.failed += 1
    report.warnings[meta["doc_id"]] = warnings
    record_document_failure(con, meta, regions, "; ".join(warnings))


def _base_row(extractor: Extractor, run_id: str, registry: Path, areas: OccupationAreas) -> dict[str, Any]:
    return {
        "extractor_version": extractor.version,
        "taxonomy_version": extractor.lexicon.version,
        "structure_version": f"{STRUCTURE_VERSION}+areas-{areas.version}",
        "run_id": run_id,
        "registry": str(registry),
        "ingested_at": datetime.now(timezone.utc),
    }


def _source_row(source: StrategySource) -> dict[str, Any]:
    return {
        "doc_id": source.doc_id,
        "title": source.title,
        "issuer": source.issuer,
        "level": source.level,
        "region": source.region,
        "year": source.year,
        "valid_from": source.valid_from,
        "valid_to": source.valid_to,
        "language": source.language,
        "url": source.url,
        "path": str(source.path) if source.path else None,
        "url_verified": source.url_verified,
        "note": source.note,
    }
