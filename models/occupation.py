"""STYRK-08 occupation classifier: title-weighted character n-grams and a linear model over taxonomy and ad examples.

Training reads facts the project may hold — SSB's STYRK-08 titles, ESCO's Norwegian occupation labels mapped to
STYRK-08 through the official crosswalk, the team's sample ads and (optionally) the team's hand-coded dev ads —
and produces an artefact that predicts from title, job title and the opening of the text alone. Trained with the
e5 encoder, the artefact also mixes in how near an ad's title is to each code's labels and ads (occupation_semantic).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from extractors.encoder import PhraseCache, TextEncoder
from models.artefacts import Artefact, content_hash, default_root, load_artefact, save_artefact
from models.occupation_semantic import (Fusion, SemanticIndex, build_index, choose_fusion, dequantise, fuse,
                                        out_of_fold_scores, quantise, softmax)

MODEL_NAME = "occupation"
# Bump when feature extraction or scoring changes, so old artefacts are not read with new code.
# 2: optional semantic part (e5 label vectors and a mixture with the linear model); format 1 is the same linear
# model without it, so it is still read.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)

STYRK_FILE = Path("taxonomies/styrk08_ssb_klass7_nb.csv")
ESCO_FILE = Path("taxonomies/esco/occupations_no_v1.0.8.csv")
CROSSWALK_FILE = Path("taxonomies/esco/esco_styrk08_crosswalk_NO_mapping_2022-09-20.csv")
ESCO_EN_ZIP = Path("taxonomies/esco/ESCO dataset - v1.1.1 - classification - en - csv.zip")
ESCO_EN_MEMBER = "occupations_en.csv"
# NAV's job seekers by occupation: its `yrkesbetegnelse` column lists the job titles NAV files under each code.
NAV_TITLES_FILE = Path("labour_market/nav_arbeidssokere_yrke_2002-2017.csv")
# Sources of taxonomy labels (every other source is an ad).
TAXONOMY_SOURCES = ("styrk08", "esco", "esco_en", "nav_titles")
# Norwegian label sources: they name codes in the words of ads, so they share the occupation heads and one
# per-code weight budget.
NORWEGIAN_LABEL_SOURCES = ("styrk08", "esco", "nav_titles")
ENGLISH_LABELS = ("none", "preferred", "all")
ADS_FILE = Path("job_ads/ads.jsonl")
GOLD_FILE = Path(__file__).resolve().parent / "data" / "styrk08_gold_dev.csv"
# Ad titles and openings the team wrote, each coded by hand: how real ads name occupations, for codes the dev
# ads never reach.
WRITTEN_ADS_FILE = Path(__file__).resolve().parent / "data" / "written_occupation_ads.jsonl"

# -- text ------------------------------------------------------------------------------------------------------

WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Plural and definite endings of agent nouns, bokmål and nynorsk, longest first. A rule list rather than
# simplemma: simplemma turns agent nouns into verbs (leder → led, selger → selge, sykepleier → sykepleie).
PLURAL_ENDINGS = (
    ("arane", "ar"), ("arar", "ar"), ("erne", "er"), ("ere", "er"),
    ("ørane", "ør"), ("ørene", "ør"), ("ørar", "ør"), ("ører", "ør"),
    ("istar", "ist"), ("ister", "ist"), ("entar", "ent"), ("enter", "ent"), ("atar", "at"), ("ater", "at"),
    ("ogar", "og"), ("oger", "og"), ("orar", "or"), ("orer", "or"), ("ktar", "kt"), ("kter", "kt"),
    ("ntar", "nt"), ("nter", "nt"), ("kkar", "kk"), ("kker", "kk"), ("grar", "gr"), ("grer", "gr"),
)
# Words of ad titles that say nothing about the occupation (terms, hype, calls to apply).
TITLE_FILLER = frozenset("""
    vi søker søkes søkjer søkjast ser etter nå no ny nye nytt dyktig dyktige erfaren erfarne engasjert engasjerte
    motivert motiverte flink flinke flere fleire ledig ledige stilling stillinger stillingar fast faste midlertidig
    vikariat vikar vikarer tilkallingsvikar tilkallingsvikarer tilkallingsvikarar deltid heltid fulltid prosent
    snarlig snarleg tiltredelse ansettelse tilsetting haster hastar the and for to of a an in at
    til i på hos ved med og eller som en ei et ein eit du deg er har vil kan bli vår vårt våre din ditt dine
    oss jobb jobbe jobbar arbeid om av fra frå inn innen innan as asa iks
    medarbeider kollega kolleg ansatt personell talent kandidat
""".split())


# Nynorsk (and common short) forms of occupation-word endings, mapped to the bokmål forms the taxonomy uses.
NYNORSK_ENDINGS = (
    ("medarbeidar", "medarbeider"), ("arbeidar", "arbeider"), ("pleiar", "pleier"), ("leiar", "leder"),
    ("nikar", "niker"), ("rikar", "riker"), ("tikar", "tiker"), ("lærar", "lærer"), ("rådgjevar", "rådgiver"), ("forvaltar", "forvalter"),
    ("seljar", "selger"), ("snikkar", "snekker"), ("målar", "maler"), ("tenester", "tjenester"),
    ("teneste", "tjeneste"), ("tilsett", "ansatt"), ("kontrollør", "kontrollør"),
)
NYNORSK_PREFIXES = (("sjuke", "syke"), ("heime", "hjemme"), ("eigedom", "eiendom"))
HEAD_STOP = re.compile(r",|\s(?:i|innen|innenfor|for|av|på|ved|til|med|under)\s|(?<!-)\s(?:og|eller)\s")
# Verbs and verbal nouns of ad prose that end like an occupation (ut+fører, an+setter); never mentions.
NOT_MENTIONS = frozenset("""utfører gjennomfører omsetter ansetter fortsetter oversetter legger styrer leverer
    forsterker ønsker trenger tilbyr søker bidrar""".split())


def fold(text: str | None) -> str:
    """NFKC, lower case, one space: the form every feature is computed on."""
    text = unicodedata.normalize("NFKC", text or "").replace("\u00a0", " ").replace("ï¿½", "")
    return re.sub(r"\s+", " ", text).strip().lower()


@lru_cache(maxsize=100_000)
def singular(word: str) -> str:
    """Strip a plural or definite ending from an agent noun, so elektrikere and elektrikarar meet elektriker."""
    if len(word) >= 6:
        for ending, replacement in PLURAL_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)] + replacement
                break
    for ending, replacement in NYNORSK_ENDINGS:
        if word.endswith(ending):
            word = word[: -len(ending)] + replacement
            break
    for prefix, replacement in NYNORSK_PREFIXES:
        if word.startswith(prefix):
            word = replacement + word[len(prefix):]
            break
    return word


def words(text: str | None) -> list[str]:
    """Folded word tokens with plural endings stripped; hyphenated compounds stay one token."""
    return [singular(w.strip("-")) for w in WORD_RE.findall(fold(text)) if w.strip("-")]


# "Prosjektleder til Railcom", "Sykepleier ved Medisinsk avdeling": a preposition before a capitalised name
# starts the employer or place, which says nothing about the occupation (and "Astrup" looks like "astronom").
NAME_TAIL_RE = re.compile(r"\s+(?:til|hos|ved|for|i|på|in|at|with)\s+(?=[A-ZÆØÅ0-9])")
# "KIWI Tigerplassen søker etter butikkmedarbeider": what is sought follows the verb.
SEEKS_RE = re.compile(r"\b(?:søker|søkjer|ser etter|trenger|treng)\b", re.IGNORECASE)
LEGAL_FORMS = frozenset("as asa sa ba da ks ans avd avdeling iks hf kf nuf ltd ab gmbh".split())


def title_core(title: str | None, employer: str | None = None) -> str:
    """A title without "X søker", a trailing employer/place phrase, or the employer's own name."""
    title = title or ""
    seeks = SEEKS_RE.search(title)
    if seeks and title[seeks.end():].strip(" .,!?:-"):
        title = title[seeks.end():]
    match = NAME_TAIL_RE.search(title)
    if match and match.start() > 0 and WORD_RE.search(title[: match.start()]):
        title = title[: match.start()]
    employer_words = WORD_RE.findall(fold(employer))
    if employer_words and len(employer_words) <= 6:  # a name, not a description that slipped into the field
        names = {w for w in employer_words if len(w) >= 3 and w not in LEGAL_FORMS}
        if names:
            kept = "".join(w for w in re.split(r"(\s+)", title) if fold(w).strip(".,!?:;()") not in names)
            title = kept if WORD_RE.search(kept) else title
    return title


def title_terms(title: str | None, employer: str | None = None) -> str:
    """The words of a title that can name an occupation (employer, filler, numbers and punctuation removed)."""
    return " ".join(w for w in words(title_core(title, employer)) if w not in TITLE_FILLER)


def label_head(label: str) -> str | None:
    """The occupation noun of a label whose core is one word: "selger, sko" → selger; "lærer i skolen" → lærer."""
    core = words(HEAD_STOP.split(fold(label), maxsplit=1)[0])
    return core[0] if len(core) == 1 else None


def occupation_heads(labels: Iterable[str], min_length: int = 4) -> frozenset[str]:
    """One-word occupation nouns of the taxonomy: the words that name an occupation when an ad's text uses them."""
    heads = {label_head(label) for label in labels}
    return frozenset(h for h in heads if h and len(h) >= min_length and h not in TITLE_FILLER and h not in NOT_MENTIONS)


def mentions(text: str, heads: frozenset[str], min_suffix: int = 6) -> list[str]:
    """Words of a text that are occupation heads or compounds ending in one (skipselektriker → elektriker)."""
    found = []
    for word in words(text):
        if word in NOT_MENTIONS:
            continue
        if word in heads:
            found.append(word)
            continue
        for start in range(3, len(word) - min_suffix + 1):
            if word[start:] in heads:
                found.append(word)
                break
    return found


def opening(text: str | None, chars: int) -> str:
    """The first `chars` characters of an ad's text, cut at a word boundary: ads name the job early."""
    text = text or ""
    if len(text) <= chars:
        return text
    cut = text.rfind(" ", 0, chars)
    return text[: cut if cut > 0 else chars]


# -- data ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One labelled training or evaluation item: a taxonomy label or an ad."""

    code: str
    title: str
    text: str = ""
    jobtitle: str = ""
    source: str = "taxonomy"
    key: str = ""
    employer: str = ""


@dataclass(frozen=True)
class Item:
    """What the classifier reads from an ad."""

    id: str
    title: str
    text: str = ""
    jobtitle: str = ""
    employer: str = ""


def read_styrk08(shared_data: Path) -> dict[str, str]:
    """All STYRK-08 codes on all four levels with SSB's name."""
    path = shared_data / STYRK_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def read_crosswalk(shared_data: Path) -> list[dict[str, str]]:
    """The ESCO ↔ STYRK-08 crosswalk rows; the header follows a metadata block of unknown length."""
    lines = (shared_data / CROSSWALK_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("Classification 1 URI,")), None)
    if start is None:
        raise ValueError(f"{shared_data / CROSSWALK_FILE}: no 'Classification 1 URI' header line")
    return list(csv.DictReader(io.StringIO("".join(lines[start:]))))


def crosswalk_code(uri: str) -> str:
    """STYRK-08 code of a crosswalk target URI (…/norwegian-occupations/C7411, …/110 → 0110)."""
    return uri.rsplit("/", 1)[-1].lstrip("C").zfill(4)


def read_esco_labels(shared_data: Path, english: bool = False, alternatives: bool = True) -> dict[str, list[str]]:
    """Preferred (and alternative) labels per ESCO occupation URI: Norwegian (v1.0.8) or English (v1.1.1 zip)."""
    import zipfile

    labels: dict[str, list[str]] = {}
    if english:
        with zipfile.ZipFile(shared_data / ESCO_EN_ZIP) as archive:
            member = next(n for n in archive.namelist() if n.rsplit("/", 1)[-1] == ESCO_EN_MEMBER)
            rows = list(csv.DictReader(io.TextIOWrapper(archive.open(member), encoding="utf-8", newline="")))
    else:
        with (shared_data / ESCO_FILE).open(encoding="utf-8", newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if row["preferredLabelIsEnglishFallback"].lower() != "true"]
    for row in rows:
        if row["conceptType"] != "Occupation":
            continue
        alts = [a.strip() for a in (row["altLabels"] or "").split("\n") if a.strip()]
        labels[row["conceptUri"]] = [row["preferredLabel"].strip(), *(alts if alternatives else [])]
    return labels


def read_nav_titles(shared_data: Path) -> dict[str, list[str]]:
    """NAV's job titles per STYRK-08 code (rows coded in ISCO-08, i.e. STYRK-08, from 2012 on): the occupation
    name and each `yrkesbetegnelse`. Titles are listed with ", " between them; a part that starts in lower case
    continues the title before it ("Leder innen skogbruk, gartnerier mv.")."""
    path = shared_data / NAV_TITLES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is absent: pass nav_titles=False (Params) or put NAV's "
                                f"'Arbeidssøkere yrke år' dataset there")
    titles: dict[str, list[str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            code = (row.get("yrkeskode") or "").strip()
            if row.get("isco_versjon") != "ISCO-08" or not re.fullmatch(r"\d{4}", code) or code == "0000":
                continue
            parts: list[str] = []
            for part in (row.get("yrkesbetegnelse") or "").split(", "):
                part = part.strip()
                if not part or part == "*":
                    continue
                if parts and part[0].islower():
                    parts[-1] += ", " + part
                else:
                    parts.append(part)
            known = titles.setdefault(code, [])
            for title in [(row.get("yrke") or "").strip(), *parts]:
                if title and title not in known:
                    known.append(title)
    return titles


def taxonomy_examples(shared_data: Path, english: str = "none", nav_titles: bool = False) -> list[Example]:
    """STYRK-08 titles and every Norwegian ESCO label of an occupation the crosswalk maps to a 4-digit code; with
    `english` "preferred" or "all", English ESCO labels of the same occupations too (ads in Norway often have
    English titles; the many English alternative labels cost ten times the training time for no measured gain);
    with `nav_titles`, NAV's job titles per code too (read_nav_titles)."""
    if english not in ENGLISH_LABELS:
        raise ValueError(f"english labels {english!r}: use one of {', '.join(ENGLISH_LABELS)}")
    names = read_styrk08(shared_data)
    level4 = {code for code in names if len(code) == 4}
    examples = [Example(code, names[code], source="styrk08", key=f"styrk08:{code}") for code in sorted(level4)]
    sources = [("esco", read_esco_labels(shared_data))]
    if english != "none":
        sources.append(("esco_en", read_esco_labels(shared_data, english=True, alternatives=english == "all")))
    crosswalk = read_crosswalk(shared_data)
    for source, labels in sources:
        seen: set[tuple[str, str]] = set()
        for row in crosswalk:
            uri, relation = row["Classification 1 URI"], row["Mapping relation"]
            code = crosswalk_code(row["Classification 2 URI"])
            if not uri or relation == "no relation" or code not in level4:
                continue
            for label in labels.get(uri, []):
                if (label, code) not in seen:
                    seen.add((label, code))
                    examples.append(Example(code, label, source=source, key=uri))
    if nav_titles:
        examples.extend(Example(code, title, source="nav_titles", key=f"nav:{code}")
                        for code, titles in sorted(read_nav_titles(shared_data).items()) if code in level4
                        for title in titles)
    return examples


def sample_ad_examples(sample_dir: Path) -> list[Example]:
    """The team's sample feed entries that carry a STYRK-08 code; the last version of each ad wins."""
    from pipelines.normalise import html_to_text

    latest: dict[str, Example] = {}
    for path in sorted(sample_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                entry = json.loads(line)
                ad = entry.get("ad_content") or {}
                codes = [str(c.get("code") or "") for c in ad.get("categoryList") or []
                         if str(c.get("categoryType") or "").upper().startswith("STYRK08")]
                codes = [c[:4] for c in codes if re.match(r"^\d{4}", c)]
                if not codes or not ad.get("title"):
                    continue
                employer = (ad.get("employer") or {}).get("name") or ""
                latest[entry["uuid"]] = Example(codes[0], ad["title"], html_to_text(ad.get("description")),
                                                ad.get("jobtitle") or "", source="sample_ad", key=entry["uuid"],
                                                employer=employer)
    return [latest[key] for key in sorted(latest)]


def written_ad_examples(path: Path | None = WRITTEN_ADS_FILE) -> list[Example]:
    """The team's written, hand-coded ads (none when the file is absent or not asked for)."""
    from extractors.corpus import read_jsonl

    if path is None or not path.is_file():
        return []
    examples = []
    for number, row in read_jsonl(path):
        code = str(row.get("styrk08") or "")
        if not re.fullmatch(r"\d{4}", code):
            raise ValueError(f"{path}:{number}: styrk08 {code!r} is not a 4-digit STYRK-08 code")
        examples.append(Example(code, row.get("title") or "", row.get("text") or "", row.get("jobtitle") or "",
                                source="written_ad", key=str(row["id"])))
    return examples


def read_dev_ads(shared_data: Path) -> dict[str, dict[str, Any]]:
    """Ads of the dev split, keyed by id; test-split rows are dropped before any other field is read."""
    ads: dict[str, dict[str, Any]] = {}
    with (shared_data / ADS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("split") != "dev":
                continue
            ads[row["id"]] = row
    return ads


def read_gold(path: Path = GOLD_FILE) -> dict[str, str]:
    """Hand-coded STYRK-08 of the dev ads (id → 4-digit code); ads coded as no occupation are left out."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["styrk08"] for row in csv.DictReader(handle) if row["styrk08"]}


def dev_ad_examples(shared_data: Path, gold_path: Path = GOLD_FILE) -> list[Example]:
    """The dev ads with their gold code, in gold-file order."""
    ads = read_dev_ads(shared_data)
    examples = []
    for ad_id, code in read_gold(gold_path).items():
        ad = ads.get(ad_id)
        if ad is None:
            raise ValueError(f"{gold_path}: id {ad_id} is not a dev ad of {shared_data / ADS_FILE}")
        examples.append(Example(code, ad.get("title") or "", ad.get("text") or "", ad.get("jobtitle") or "",
                                source="dev_ad", key=ad_id, employer=ad.get("employer") or ""))
    return examples


# -- features --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """Everything that shapes a trained model; stored in its model card."""

    title_char_ngrams: tuple[int, int] = (2, 5)
    title_char_weight: float = 1.0
    title_word_weight: float = 0.5
    text_word_weight: float = 0.3
    mention_weight: float = 0.6
    exact_weight: float = 0.5
    first_weight: float = 0.5
    fit_intercept: bool = True
    text_chars: int = 600
    label_as_text: bool = True
    jobtitle_in_title: bool = True
    C: float = 0.5
    ad_weight: float = 1.0  # with NAV titles, best of 0.3, 1.0 and 3.0 in grouped CV (1 and 2 digits; 4 tied)
    class_balance: float = 0.5
    hash_bits: int = 20
    prune: float = 0.5
    english_labels: str = "none"  # English ESCO labels: none, preferred or all (see taxonomy_examples)
    english_weight: float = 0.5
    nav_titles: bool = True  # NAV's job titles per code among the training labels (see read_nav_titles)
    title_from_text: int = 2  # occupation words of the opening text that stand in for a title naming none
    semantic_english: str = "preferred"  # English ESCO labels among the e5 references: none, preferred or all
    calibration_folds: int = 5
    target_precision: float = 0.9
    seed: int = 0


def title_phrases(title: str, jobtitle: str = "", employer: str = "") -> list[str]:
    """Whole title phrases as single tokens (title, job title and each "/"-separated part): an exact-lookup feature."""
    phrases = []
    for source in (title, jobtitle):
        for part in [source, *re.split(r"\s*[/|•]\s*|\s+[-–]\s+", source or "")]:
            terms = title_terms(part, employer)
            if terms and terms.replace(" ", "_") not in phrases:
                phrases.append(terms.replace(" ", "_"))
    return phrases


# Where a title lists several positions, the first named is the main one (the coding rule of the gold labels).
LIST_SPLIT_RE = re.compile(r"\s*[/|•,;]\s*|\s{3,}|\s+[-–]\s+|(?<!-)\s+(?:og|eller|and|or)\s+", re.IGNORECASE)


def first_occupation(title: str, jobtitle: str = "", employer: str = "") -> str:
    """The first listed position of the title (or, if the title names none, of the job title)."""
    for source in (title, jobtitle):
        for part in LIST_SPLIT_RE.split(title_core(source, employer)):
            terms = title_terms(part, employer)
            if terms:
                return terms
    return ""


def title_view(title: str, jobtitle: str, employer: str, params: Params) -> str:
    """The occupation-naming words of title and job title together."""
    parts = [title_terms(title, employer)]
    if params.jobtitle_in_title and jobtitle and fold(jobtitle) != fold(title):
        parts.append(title_terms(jobtitle, employer))
    return " ".join(p for p in parts if p)


def query_text(item: Item, params: Params) -> str:
    """What the encoder reads of an ad: the occupation words of title and job title (the raw title if none)."""
    return title_view(item.title, item.jobtitle, item.employer, params) or item.title or opening(item.text, 120)


def reference_text(ex: Example, params: Params) -> str:
    """What the encoder reads of a training example: a taxonomy label as it is, an ad as `query_text`."""
    return ex.title if ex.source in TAXONOMY_SOURCES else query_text(as_item(ex), params)


class Featurizer:
    """Hashed n-gram blocks (stateless) with IDF weights learned at fit time, so only the IDF is stored."""

    BLOCKS = ("title_char", "title_word", "text_word", "mention_char", "title_exact", "title_first")

    def __init__(self, params: Params, heads: Iterable[str] = (), columns: Mapping[str, np.ndarray] | None = None,
                 idf: Mapping[str, np.ndarray] | None = None) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.params = params
        common = dict(n_features=2 ** params.hash_bits, alternate_sign=False, norm=None, lowercase=False,
                      dtype=np.float64)
        self.vectorizers = {
            "title_char": HashingVectorizer(analyzer="char_wb", ngram_range=params.title_char_ngrams, **common),
            "title_word": HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", **common),
            "text_word": HashingVectorizer(analyzer="word", ngram_range=(1, 1), token_pattern=r"\S+", **common),
            "mention_char": HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common),
            "title_exact": HashingVectorizer(analyzer="word", ngram_range=(1, 1), token_pattern=r"\S+", **common),
            "title_first": HashingVectorizer(analyzer="char_wb", ngram_range=params.title_char_ngrams, **common),
        }
        self.weights = {"title_char": params.title_char_weight, "title_word": params.title_word_weight,
                        "text_word": params.text_word_weight, "mention_char": params.mention_weight,
                        "title_exact": params.exact_weight, "title_first": params.first_weight}
        self.heads = frozenset(heads)
        self.columns = dict(columns or {})
        self.idf = dict(idf or {})

    def views(self, items: Sequence[Item]) -> dict[str, list[str]]:
        """The strings each block hashes.

        A title that names no occupation ("Er du i slutten av studiet?", "LEDIGE STILLINGER") borrows the first
        occupation words of the opening text ("... søker en anleggsleder"), up to `title_from_text` of them.
        """
        title = [title_view(i.title, i.jobtitle, i.employer, self.params) for i in items]
        openings = [opening(i.text, self.params.text_chars) for i in items]
        found = [mentions(x, self.heads) for x in openings]
        first = [first_occupation(i.title, i.jobtitle, i.employer) for i in items]
        if self.params.title_from_text:
            for k, words_of_text in enumerate(found):
                if words_of_text and not mentions(title[k], self.heads):
                    title[k] = " ".join([title[k], *words_of_text[: self.params.title_from_text]]).strip()
                    first[k] = first[k] or words_of_text[0]
        return {"title_char": title, "title_word": title, "text_word": [" ".join(words(x)) for x in openings],
                "mention_char": [" ".join(x) for x in found],
                "title_exact": [" ".join(title_phrases(i.title, i.jobtitle, i.employer)) for i in items],
                "title_first": first}

    def counts(self, views: Mapping[str, Sequence[str]]) -> dict[str, sp.csr_matrix]:
        """Raw term counts per block, over the full hash space."""
        return {b: self.vectorizers[b].transform(views[b]).tocsr() for b in self.BLOCKS}

    def fit_idf(self, counts: Mapping[str, sp.csr_matrix]) -> None:
        """Keep the hashed terms seen in training (a vocabulary by hash) with their smoothed IDF."""
        for block, matrix in counts.items():
            df = np.bincount(matrix.indices, minlength=matrix.shape[1])
            self.columns[block] = np.flatnonzero(df).astype(np.int64)
            self.idf[block] = np.log((1 + matrix.shape[0]) / (1 + df[self.columns[block]])) + 1.0

    def transform(self, counts: Mapping[str, sp.csr_matrix]) -> sp.csr_matrix:
        """Sublinear TF-IDF on the training terms (unseen terms dropped), L2 per block, blocks weighted side by side."""
        from sklearn.preprocessing import normalize

        blocks = []
        for block in self.BLOCKS:
            matrix = counts[block][:, self.columns[block]].astype(np.float64)
            matrix.data = 1.0 + np.log(matrix.data)
            matrix = normalize(matrix @ sp.diags(self.idf[block]), copy=False)
            blocks.append(matrix * self.weights[block])
        return sp.hstack(blocks, format="csr")


# -- model -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """One classification: the code (None when the model abstains), its label, its probability and the top 3."""

    id: str
    styrk08: str | None
    label: str | None
    score: float
    top3: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `radar occupation`."""
        return asdict(self)


def as_item(ex: Example, params: Params | None = None) -> Item:
    """An example as the classifier reads it; a taxonomy label doubles as its own text when asked."""
    text = ex.text
    if not text and params is not None and params.label_as_text and ex.source in TAXONOMY_SOURCES:
        text = ex.title
    return Item(ex.key, ex.title, text, ex.jobtitle, ex.employer)


def example_weights(examples: Sequence[Example], params: Params) -> np.ndarray:
    """Ads weigh `ad_weight`; each of a code's n labels from one taxonomy source weighs n^-balance, so codes rich in
    ESCO labels (hundreds of "selger, X") do not drown the rest; English labels weigh `english_weight` on top."""
    per_code: dict[tuple[str, str], int] = {}
    for ex in examples:
        if ex.source in TAXONOMY_SOURCES:
            key = (ex.code, "en" if ex.source == "esco_en" else "nb")
            per_code[key] = per_code.get(key, 0) + 1
    weights = []
    for ex in examples:
        if ex.source in TAXONOMY_SOURCES:
            n = per_code[(ex.code, "en" if ex.source == "esco_en" else "nb")]
            weights.append(n ** (1.0 - params.class_balance) / n * (params.english_weight if ex.source == "esco_en"
                                                                     else 1.0))
        else:
            weights.append(params.ad_weight)
    return np.asarray(weights, dtype=np.float64)


@dataclass(frozen=True)
class Semantic:
    """The optional e5 part of a model: reference vectors, the mixture with the linear model and its threshold."""

    index: SemanticIndex
    fusion: Fusion
    threshold: float


class OccupationClassifier:
    """A linear model over `Featurizer` features, with a softmax temperature and an abstention threshold; with a
    `Semantic` part and a matching encoder, its probabilities are mixed with e5 similarities to labels and ads."""

    def __init__(self, params: Params, classes: Sequence[str], coef: sp.csr_matrix, intercept: np.ndarray,
                 heads: Iterable[str], columns: Mapping[str, np.ndarray], idf: Mapping[str, np.ndarray], labels: Mapping[str, str],
                 temperature: float = 1.0,
                 threshold: float = 0.0, version: str = "unversioned", semantic: Semantic | None = None,
                 encoder: TextEncoder | None = None) -> None:
        self.semantic = semantic
        self.encoder = encoder
        self.params = params
        self.classes = list(classes)
        self.coef = coef.tocsr()
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.featurizer = Featurizer(params, heads, columns, idf)
        self.labels = dict(labels)
        self.temperature = float(temperature)
        self.threshold = float(threshold)
        self.version = version

    @classmethod
    def fit(cls, examples: Sequence[Example], labels: Mapping[str, str], params: Params = Params()) -> "OccupationClassifier":
        """Train on taxonomy labels and ads; deterministic for the same examples and params."""
        examples = [ex for ex in examples if ex.code != "0000"]
        if len({ex.code for ex in examples}) < 2:
            raise ValueError("training needs examples of at least two STYRK-08 codes")
        heads = occupation_heads(ex.title for ex in examples if ex.source in NORWEGIAN_LABEL_SOURCES)
        featurizer = Featurizer(params, heads)
        views = featurizer.views([as_item(ex, params) for ex in examples])
        counts = featurizer.counts(views)
        featurizer.fit_idf(counts)
        X = featurizer.transform(counts)
        y = np.asarray([ex.code for ex in examples])
        weights = example_weights(examples, params)
        coef, intercept, classes = fit_linear(X, y, weights, params)
        if params.prune > 0:
            coef = prune(coef, params.prune)
        return cls(params, classes, coef, intercept, featurizer.heads, featurizer.columns, featurizer.idf, labels)

    def with_threshold(self, threshold: float) -> "OccupationClassifier":
        """The same model abstaining at another probability (0 never abstains), with or without its encoder."""
        other = copy.copy(self)
        other.threshold = float(threshold)
        if other.semantic is not None:
            other.semantic = Semantic(other.semantic.index, other.semantic.fusion, float(threshold))
        return other

    def with_encoder(self, encoder: TextEncoder | None) -> "OccupationClassifier":
        """The same model reading ads through an encoder (None: the linear model alone)."""
        other = copy.copy(self)
        other.encoder = encoder
        return other

    @property
    def uses_semantic(self) -> bool:
        """Whether predictions mix in e5 evidence: the model has a semantic part and the encoder it was built with."""
        return (self.semantic is not None and self.encoder is not None
                and self.encoder.model_id == self.semantic.index.encoder_id)

    @property
    def active_threshold(self) -> float:
        """The abstention threshold of the probabilities `proba` gives (mixture or linear alone)."""
        return self.semantic.threshold if self.uses_semantic and self.semantic else self.threshold

    @property
    def active_version(self) -> str:
        """The version recorded with predictions; "+linear" marks a semantic model run without its encoder."""
        return self.version if self.semantic is None or self.uses_semantic else f"{self.version}+linear"

    def semantic_scores(self, items: Sequence[Item]) -> np.ndarray:
        """Per class, the best e5 cosine between each ad's title and that class's references."""
        assert self.semantic is not None and self.encoder is not None
        queries = self.encoder.encode([query_text(i, self.params) for i in items], kind="query")
        return self.semantic.index.scores(queries, len(self.classes))

    def decision(self, items: Sequence[Item]) -> np.ndarray:
        """Linear decision values, one row per item and one column per class."""
        f = self.featurizer
        X = f.transform(f.counts(f.views(items)))
        return (X @ self.coef.T).toarray() + self.intercept

    def proba(self, items: Sequence[Item]) -> np.ndarray:
        """Calibrated class probabilities (the linear/e5 mixture when the encoder is there)."""
        if self.uses_semantic and self.semantic is not None:
            return fuse(self.decision(items), self.semantic_scores(items), self.semantic.fusion)
        return softmax(self.decision(items), self.temperature)

    def predict(self, items: Sequence[Item]) -> list[Prediction]:
        """Top code, label, probability and top 3 per item; styrk08 is None below the threshold."""
        if not items:
            return []
        probs = self.proba(items)
        out = []
        for item, row in zip(items, probs):
            order = np.argsort(-row, kind="stable")[:3]
            top3 = [{"styrk08": self.classes[k], "label": self.labels.get(self.classes[k]),
                     "score": round(float(row[k]), 4)} for k in order]
            best = top3[0]
            keep = best["score"] >= self.active_threshold
            out.append(Prediction(item.id, best["styrk08"] if keep else None, best["label"] if keep else None,
                                  best["score"], top3))
        return out


def fit_linear(X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, params: Params
               ) -> tuple[sp.csr_matrix, np.ndarray, list[str]]:
    """One-vs-rest linear SVM (liblinear, seeded: deterministic); returns sparse coef, intercept, classes."""
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=params.C, loss="squared_hinge", dual=True, max_iter=5000, random_state=params.seed,
                      fit_intercept=params.fit_intercept)
    model.fit(X, y, sample_weight=weights)
    intercept = np.asarray(model.intercept_, dtype=np.float64) * np.ones(len(model.classes_))
    return sp.csr_matrix(model.coef_), intercept, [str(c) for c in model.classes_]


def prune(coef: sp.csr_matrix, fraction: float) -> sp.csr_matrix:
    """Drop each class's smallest weights that together hold `fraction` of its absolute weight mass."""
    coef = coef.tocsr(copy=True)
    for r in range(coef.shape[0]):
        start, end = coef.indptr[r], coef.indptr[r + 1]
        data = coef.data[start:end]
        order = np.argsort(np.abs(data), kind="stable")
        cum = np.cumsum(np.abs(data[order]))
        drop = order[cum <= fraction * cum[-1]] if len(cum) else order
        data[drop] = 0.0
    coef.eliminate_zeros()
    return coef


# -- persistence -----------------------------------------------------------------------------------------------


def npy_bytes(array: np.ndarray) -> bytes:
    """np.save to bytes: a fixed header and raw data, so equal arrays give equal bytes."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_load(path: Path) -> np.ndarray:
    """Load an array saved by `npy_bytes` (never pickles)."""
    return np.load(path, allow_pickle=False)


def classifier_files(model: "OccupationClassifier") -> dict[str, bytes]:
    """The model as files: config JSON and plain .npy arrays (no pickle, stable across library versions)."""
    config = {
        "format_version": FORMAT_VERSION,
        "params": asdict(model.params),
        "classes": model.classes,
        "labels": {code: model.labels.get(code) for code in model.classes},
        "heads": sorted(model.featurizer.heads),
        "temperature": model.temperature,
        "threshold": model.threshold,
    }
    if model.semantic is not None:
        config["semantic"] = {"encoder": model.semantic.index.encoder_id, "fusion": model.semantic.fusion.as_dict(),
                              "threshold": model.semantic.threshold, "references": len(model.semantic.index.codes)}
    files = {"config.json": (json.dumps(config, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()}
    coef = model.coef.tocsr()
    files["coef_data.npy"] = npy_bytes(coef.data.astype(np.float16))
    files["coef_indices.npy"] = npy_bytes(coef.indices.astype(np.int32))
    files["coef_indptr.npy"] = npy_bytes(coef.indptr.astype(np.int64))
    files["coef_shape.npy"] = npy_bytes(np.asarray(coef.shape, dtype=np.int64))
    files["intercept.npy"] = npy_bytes(model.intercept.astype(np.float32))
    for block in Featurizer.BLOCKS:
        files[f"columns_{block}.npy"] = npy_bytes(model.featurizer.columns[block].astype(np.int32))
        files[f"idf_{block}.npy"] = npy_bytes(model.featurizer.idf[block].astype(np.float32))
    if model.semantic is not None:
        quantised, scale = quantise(model.semantic.index.vectors)
        files["semantic_vectors_int8.npy"] = npy_bytes(quantised)
        files["semantic_scale.npy"] = npy_bytes(scale)
        files["semantic_codes.npy"] = npy_bytes(model.semantic.index.codes.astype(np.int32))
    return files


def classifier_from_dir(path: Path, version: str = "unversioned",
                        encoder: TextEncoder | None = None) -> "OccupationClassifier":
    """Rebuild a classifier from the files `classifier_files` wrote; with an encoder, its semantic part is used."""
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    if config.get("format_version") not in READABLE_FORMATS:
        raise ValueError(f"{path}: artefact format {config.get('format_version')}, this code reads "
                         f"{', '.join(map(str, READABLE_FORMATS))}; retrain with `radar train occupation`")
    params_dict = dict(config["params"])
    unknown = set(params_dict) - set(Params.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{path}: parameters {sorted(unknown)} are unknown to this code; "
                         f"retrain with `radar train occupation`")
    params_dict["title_char_ngrams"] = tuple(params_dict["title_char_ngrams"])
    params_dict.setdefault("nav_titles", False)  # artefacts from before the option were trained without them
    params_dict.setdefault("title_from_text", 0)
    params = Params(**params_dict)
    shape = tuple(int(v) for v in npy_load(path / "coef_shape.npy"))
    coef = sp.csr_matrix((npy_load(path / "coef_data.npy").astype(np.float64), npy_load(path / "coef_indices.npy"),
                          npy_load(path / "coef_indptr.npy")), shape=shape)
    columns = {b: npy_load(path / f"columns_{b}.npy").astype(np.int64) for b in Featurizer.BLOCKS}
    idf = {b: npy_load(path / f"idf_{b}.npy").astype(np.float64) for b in Featurizer.BLOCKS}
    semantic = None
    if config.get("semantic"):
        part = config["semantic"]
        index = SemanticIndex(part["encoder"], dequantise(npy_load(path / "semantic_vectors_int8.npy"),
                                                          npy_load(path / "semantic_scale.npy")),
                              npy_load(path / "semantic_codes.npy").astype(np.int32))
        semantic = Semantic(index, Fusion(**part["fusion"]), float(part["threshold"]))
    return OccupationClassifier(params, config["classes"], coef, npy_load(path / "intercept.npy").astype(np.float64),
                                config["heads"], columns, idf, config["labels"], config["temperature"],
                                config["threshold"], version, semantic, encoder)


def as_stored(model: "OccupationClassifier") -> "OccupationClassifier":
    """The model with its arrays rounded to the stored float32, so in-memory and loaded predictions agree."""
    def rounded(matrix: sp.csr_matrix) -> sp.csr_matrix:
        return sp.csr_matrix((matrix.data.astype(np.float16).astype(np.float64), matrix.indices, matrix.indptr),
                             shape=matrix.shape)

    f = model.featurizer
    semantic = model.semantic
    if semantic is not None:
        index = semantic.index
        semantic = Semantic(SemanticIndex(index.encoder_id, dequantise(*quantise(index.vectors)), index.codes),
                            semantic.fusion, semantic.threshold)
    return OccupationClassifier(
        model.params, model.classes, rounded(model.coef), model.intercept.astype(np.float32).astype(np.float64),
        f.heads, f.columns, {b: v.astype(np.float32).astype(np.float64) for b, v in f.idf.items()}, model.labels,
        model.temperature, model.threshold, model.version, semantic, model.encoder)


# -- evaluation and calibration ----------------------------------------------------------------------------------


def duplicate_groups(examples: Sequence[Example], text_similarity: float = 0.6) -> list[int]:
    """Group ids joining near-identical ads (reposts, the same job through two channels) and ads with equal titles."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(examples)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n > 1:
        docs = [f"{ex.title}\n{ex.text}" for ex in examples]
        matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(docs)
        sims = (matrix @ matrix.T).tocoo()
        for i, j, value in zip(sims.row, sims.col, sims.data):
            if i < j and value >= text_similarity:
                parent[find(i)] = find(j)
    by_title: dict[str, int] = {}
    for i, ex in enumerate(examples):
        title = title_terms(ex.title)
        if title:
            if title in by_title:
                parent[find(i)] = find(by_title[title])
            else:
                by_title[title] = i
    roots = [find(i) for i in range(n)]
    renumber = {root: k for k, root in enumerate(dict.fromkeys(roots))}
    return [renumber[root] for root in roots]


def fold_of_groups(groups: Sequence[int], folds: int, seed: int) -> list[int]:
    """Assign whole groups to folds, shuffled deterministically and balanced by ad count."""
    sizes: dict[int, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    order = sorted(sizes)
    np.random.RandomState(seed).shuffle(order)
    order.sort(key=lambda g: -sizes[g])  # stable: big groups first, ties keep the shuffled order
    load = [0] * folds
    assigned = {}
    for g in order:
        k = min(range(folds), key=lambda f: (load[f], f))
        assigned[g] = k
        load[k] += sizes[g]
    return [assigned[g] for g in groups]


@dataclass
class CrossValidation:
    """Out-of-fold decision values for held-out ads, with what is needed to score and calibrate them."""

    examples: list[Example]
    classes: list[str]
    decisions: np.ndarray
    folds: list[int]
    groups: list[int]
    seconds_per_fit: list[float] = field(default_factory=list)

    def predicted(self) -> list[str]:
        """The top code per held-out ad."""
        return [self.classes[k] for k in self.decisions.argmax(axis=1)]


def cross_validate(base: Sequence[Example], held: Sequence[Example], labels: Mapping[str, str], params: Params,
                   folds: int = 5) -> CrossValidation:
    """Grouped K-fold over `held` ads: each is predicted by a model trained on `base` plus the other folds only."""
    held = list(held)
    groups = duplicate_groups(held)
    fold_ids = fold_of_groups(groups, folds, params.seed)
    classes: list[str] | None = None
    decisions = None
    timings = []
    for k in range(folds):
        test_idx = [i for i, f in enumerate(fold_ids) if f == k]
        if not test_idx:
            continue
        started = time.perf_counter()
        model = OccupationClassifier.fit([*base, *(ex for ex, f in zip(held, fold_ids) if f != k)], labels, params)
        timings.append(time.perf_counter() - started)
        if classes is None:
            classes = model.classes
            decisions = np.full((len(held), len(classes)), -np.inf)
        column = {c: j for j, c in enumerate(model.classes)}
        block = model.decision([as_item(held[i]) for i in test_idx])
        for row, i in zip(block, test_idx):
            for c, j in column.items():
                if c in classes:
                    decisions[i, classes.index(c)] = row[j]
    return CrossValidation(held, classes or [], decisions if decisions is not None else np.zeros((0, 0)),
                           fold_ids, groups, timings)


def fit_temperature(decisions: np.ndarray, gold: Sequence[str], classes: Sequence[str]) -> float:
    """The softmax temperature minimising the negative log-likelihood of the gold codes (grid search)."""
    index = {c: j for j, c in enumerate(classes)}
    rows = [i for i, g in enumerate(gold) if g in index]
    if not rows:
        return 1.0
    target = np.asarray([index[gold[i]] for i in rows])
    d = decisions[rows]
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.01), np.log(10.0), 241)):
        p = softmax(d, float(t))[np.arange(len(rows)), target]
        nll = -np.mean(np.log(np.clip(p, 1e-12, None)))
        if nll < best_nll - 1e-12:
            best, best_nll = float(t), nll
    return round(best, 6)


def choose_threshold(scores: Sequence[float], correct: Sequence[bool], target_precision: float,
                     min_coverage: float = 0.1) -> float:
    """The lowest score at which the kept predictions are right at least `target_precision` of the time."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    s = np.asarray(scores)[order]
    ok = np.asarray(correct, dtype=float)[order]
    if len(s) == 0:
        return 0.0
    precision = np.cumsum(ok) / np.arange(1, len(s) + 1)
    feasible = [k for k in range(len(s)) if precision[k] >= target_precision and (k + 1) / len(s) >= min_coverage
                and (k + 1 == len(s) or s[k + 1] < s[k])]
    if feasible:
        return round(float(s[max(feasible)]), 4)
    best = max(range(int(np.ceil(min_coverage * len(s))) - 1, len(s)), key=lambda k: (precision[k], -k))
    return round(float(s[best]), 4)


def accuracy_at(predicted: Sequence[str | None], gold: Sequence[str], digits: int) -> float:
    """Share of items whose predicted code agrees with gold on the first `digits` digits (abstentions count wrong)."""
    if not gold:
        return float("nan")
    return sum(bool(p) and p[:digits] == g[:digits] for p, g in zip(predicted, gold)) / len(gold)


def abstention_report(scores: Sequence[float], predicted: Sequence[str], gold: Sequence[str],
                      threshold: float) -> dict[str, float]:
    """Coverage and accuracy (1, 2, 4 digits) of the predictions kept at a threshold."""
    kept = [i for i, s in enumerate(scores) if s >= threshold]
    report = {"threshold": threshold, "coverage": round(len(kept) / len(gold), 4) if gold else float("nan")}
    for digits in (1, 2, 4):
        report[f"accuracy_{digits}_kept"] = (round(accuracy_at([predicted[i] for i in kept],
                                                               [gold[i] for i in kept], digits), 4)
                                             if kept else float("nan"))
    return report


# -- training entry point ----------------------------------------------------------------------------------------


def default_shared_data() -> Path:
    """../shared/data next to the repository, where the project's real data lives."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def default_sample_dir() -> Path:
    """The team's sample feed shipped in the pipelines package."""
    from pipelines.sources.sample import sample_dir

    return sample_dir() / "ads"


def file_sha256(path: Path) -> str:
    """sha256 of a file, for the model card's record of what was read."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def examples_sha256(examples: Sequence[Example]) -> str:
    """sha256 of the examples themselves (for sources that are subsets of a larger file)."""
    import hashlib

    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps(asdict(ex), ensure_ascii=False, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def semantic_references(shared_data: Path, params: Params) -> list[Example]:
    """English ESCO labels the e5 references add to the training examples (none, preferred or all): English job
    titles are common in Norwegian ads, and one preferred label per occupation measured better than none."""
    if params.semantic_english == "none":
        return []
    return [ex for ex in taxonomy_examples(shared_data, english=params.semantic_english) if ex.source == "esco_en"]


def distinct_references(examples: Sequence[Example], params: Params) -> tuple[list[str], list[str]]:
    """(text, code) reference pairs of examples, each pair once, in first-seen order."""
    pairs = dict.fromkeys((reference_text(ex, params), ex.code) for ex in examples)
    pairs.pop(("", ""), None)
    return [t for t, _ in pairs if t], [c for t, c in pairs if t]


def occupation_phrase_cache(directory: Path | None, encoder: TextEncoder) -> PhraseCache:
    """Label and ad vectors kept between training runs, in float32 so a retrained artefact is byte-identical."""
    return PhraseCache.in_directory(directory, "occupation-phrases", encoder.model_id, dtype="float32")


def semantic_cv_scores(encoder: TextEncoder, cache: PhraseCache, base: Sequence[Example], held: Sequence[Example],
                       folds: Sequence[int], classes: Sequence[str], params: Params) -> np.ndarray:
    """Out-of-fold e5 scores of held ads: references are the base examples and the held ads of the other folds."""
    texts, codes = distinct_references(base, params)
    held_vectors = cache.embed(encoder, [query_text(as_item(ex), params) for ex in held])
    return out_of_fold_scores(cache.embed(encoder, texts), codes, held_vectors, [ex.code for ex in held], folds,
                              classes, encoder.model_id)


def semantic_index(encoder: TextEncoder, cache: PhraseCache, examples: Sequence[Example], classes: Sequence[str],
                   params: Params) -> SemanticIndex:
    """The shipped reference index: every taxonomy label and training ad, embedded."""
    texts, codes = distinct_references(examples, params)
    return build_index(encoder.model_id, texts, codes, classes, cache.embed(encoder, texts))


def calibrated_fusion(decisions: np.ndarray, semantic: np.ndarray, gold: Sequence[str],
                      classes: Sequence[str]) -> Fusion:
    """The mixture most accurate on out-of-fold ads, with a temperature fitted so its probabilities are calibrated
    (the most accurate mixtures are flat: a top probability of 0.3 may be right 70 % of the time)."""
    fusion = choose_fusion(decisions, semantic, gold, classes)
    mixture = fuse(decisions, semantic, fusion)
    return replace(fusion, temperature=fit_temperature(np.log(np.clip(mixture, 1e-300, None)), gold, classes))


def evaluate_cv(cv: CrossValidation, probs: np.ndarray, threshold: float, source: str | None = None) -> dict[str, Any]:
    """Accuracy at 1, 2 and 4 digits and the abstention trade-off for the held-out ads of one source."""
    idx = [i for i, ex in enumerate(cv.examples) if source is None or ex.source == source]
    if not idx:
        return {"n": 0}
    probs = probs[idx]
    predicted = [cv.classes[k] for k in probs.argmax(axis=1)]
    gold = [cv.examples[i].code for i in idx]
    scores = probs.max(axis=1).tolist()
    return {
        "n": len(idx),
        "groups": len({cv.groups[i] for i in idx}),
        **{f"accuracy_{d}": round(accuracy_at(predicted, gold, d), 4) for d in (1, 2, 4)},
        "top3_accuracy_4": round(float(np.mean([g in [cv.classes[k] for k in np.argsort(-row)[:3]]
                                                for g, row in zip(gold, probs)])), 4),
        "at_threshold": abstention_report(scores, predicted, gold, threshold),
    }


def train(shared_data: Path, *, params: Params = Params(), sample_dir: Path | None = None,
          gold_path: Path | None = GOLD_FILE, written_path: Path | None = WRITTEN_ADS_FILE,
          root: Path | None = None, version: str | None = None,
          make_current: bool = True, encoder: TextEncoder | None = None, cache_dir: Path | None = None) -> Artefact:
    """Train, calibrate by grouped cross-validation, fit the final model and store it as a versioned artefact.

    With an encoder, the artefact also holds e5 vectors of every label and training ad and the mixture with the
    linear model chosen on the out-of-fold ads; cache_dir keeps phrase embeddings between runs.
    """
    import platform
    from datetime import datetime, timezone

    import sklearn

    started = time.perf_counter()
    labels = read_styrk08(shared_data)
    taxonomy = taxonomy_examples(shared_data, english=params.english_labels, nav_titles=params.nav_titles)
    samples = sample_ad_examples(sample_dir or default_sample_dir())
    dev = dev_ad_examples(shared_data, gold_path) if gold_path else []
    written = written_ad_examples(written_path)
    held = [*samples, *dev]
    # Written ads always train and never calibrate: the threshold is chosen on real ads only.
    cv = cross_validate([*taxonomy, *written], held, labels, params, params.calibration_folds)
    gold = [ex.code for ex in held]
    temperature = fit_temperature(cv.decisions, gold, cv.classes)
    probs = softmax(cv.decisions, temperature)
    predicted = [cv.classes[k] for k in probs.argmax(axis=1)]
    threshold = choose_threshold(probs.max(axis=1).tolist(), [p == g for p, g in zip(predicted, gold)],
                                 params.target_precision)
    linear_probs, fused_probs, semantic_card = probs, None, None
    if encoder is not None:
        embed_started = time.process_time()
        phrase_cache = occupation_phrase_cache(cache_dir, encoder)
        references = [*taxonomy, *semantic_references(shared_data, params)]
        scores = semantic_cv_scores(encoder, phrase_cache, references, held, cv.folds, cv.classes, params)
        fusion = calibrated_fusion(cv.decisions, scores, gold, cv.classes)
        fused_probs = fuse(cv.decisions, scores, fusion)
        fused_pred = [cv.classes[k] for k in fused_probs.argmax(axis=1)]
        fused_threshold = choose_threshold(fused_probs.max(axis=1).tolist(),
                                           [p == g for p, g in zip(fused_pred, gold)], params.target_precision)
    final_started = time.perf_counter()
    model = OccupationClassifier.fit([*taxonomy, *written, *held], labels, params)
    final_seconds = time.perf_counter() - final_started
    model.temperature, model.threshold = temperature, threshold
    if encoder is not None:
        index = semantic_index(encoder, phrase_cache, [*references, *held], model.classes, params)
        phrase_cache.save()
        model.semantic, model.encoder = Semantic(index, fusion, fused_threshold), encoder
        semantic_card = {"encoder": encoder.model_id, "references": len(index.codes), "fusion": fusion.as_dict(),
                         "threshold": fused_threshold, "embedding_cpu_seconds": round(time.process_time()
                                                                                      - embed_started, 1),
                         "english_references": params.semantic_english,
                         "english_reference_labels": (
                             {"file": str(ESCO_EN_ZIP), "sha256": file_sha256(shared_data / ESCO_EN_ZIP),
                              "examples": len(references) - len(taxonomy)}
                             if params.semantic_english != "none" else None)}
    files = classifier_files(as_stored(model))
    version = version or f"v{FORMAT_VERSION}-{content_hash(files)[:10]}"
    sources = {
        "styrk08_titles": {"file": str(STYRK_FILE), "sha256": file_sha256(shared_data / STYRK_FILE),
                           "examples": sum(ex.source == "styrk08" for ex in taxonomy)},
        "esco_labels": {"files": [str(ESCO_FILE), str(CROSSWALK_FILE)],
                        "sha256": [file_sha256(shared_data / ESCO_FILE), file_sha256(shared_data / CROSSWALK_FILE)],
                        "examples": sum(ex.source == "esco" for ex in taxonomy),
                        "occupations": len({ex.key for ex in taxonomy if ex.source == "esco"})},
        "nav_titles": ({"file": str(NAV_TITLES_FILE), "sha256": file_sha256(shared_data / NAV_TITLES_FILE),
                        "examples": sum(ex.source == "nav_titles" for ex in taxonomy),
                        "codes": len({ex.code for ex in taxonomy if ex.source == "nav_titles"})}
                       if params.nav_titles else None),
        "esco_english_labels": ({"file": str(ESCO_EN_ZIP), "sha256": file_sha256(shared_data / ESCO_EN_ZIP),
                                 "examples": sum(ex.source == "esco_en" for ex in taxonomy)}
                                if params.english_labels != "none" else None),
        "sample_ads": {"examples": len(samples), "sha256": examples_sha256(samples)},
        "written_ads": {"examples": len(written), "sha256": examples_sha256(written),
                        "codes": len({ex.code for ex in written}),
                        "file": written_path.name if written else None},
        "dev_ads": {"examples": len(dev), "sha256": examples_sha256(dev),
                    "gold": gold_path.name if gold_path else None,
                    "note": "dev split only; test-split rows are dropped before they are parsed further"},
    }
    card = {
        "description": "STYRK-08 (4-digit) occupation classifier for Norwegian job ads: hashed character and word "
                       "n-grams of title and job title (weighted above the text), words and occupation nouns of "
                       "the opening text, one-vs-rest linear SVM, softmax temperature and abstention threshold "
                       "fitted on grouped out-of-fold predictions" + (
                           "; mixed with the softmax of e5 (multilingual-e5-small) cosine similarity between the "
                           "ad's title and each code's labels and training ads, mixture chosen on the same "
                           "out-of-fold predictions." if semantic_card else "."),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_seconds": round(time.perf_counter() - started, 1),
        "final_fit_seconds": round(final_seconds, 1),
        "cv_fit_seconds": [round(t, 1) for t in cv.seconds_per_fit],
        "cpu_count": os.cpu_count(),
        "code": {"format_version": FORMAT_VERSION, "module": __name__},
        "environment": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                        "numpy": np.__version__, "scipy": __import__("scipy").__version__},
        "data": sources,
        "params": asdict(params),
        "semantic": semantic_card,
        "calibration": {"temperature": temperature, "threshold": threshold,
                        "target_precision_4_digit": params.target_precision,
                        "method": f"{params.calibration_folds}-fold cross-validation over sample and dev ads, "
                                  "near-duplicate ads kept in one fold"},
        "metrics": {
            "cv_dev_ads": evaluate_cv(cv, linear_probs if fused_probs is None else fused_probs,
                                      threshold if fused_probs is None else fused_threshold, "dev_ad"),
            "cv_sample_ads": evaluate_cv(cv, linear_probs if fused_probs is None else fused_probs,
                                         threshold if fused_probs is None else fused_threshold, "sample_ad"),
            "cv_dev_ads_linear_only": evaluate_cv(cv, linear_probs, threshold, "dev_ad"),
        },
        "classes": len(model.classes),
        "notes": [
            "Out-of-fold figures: each dev ad is predicted by a model that never saw it or its near-duplicates.",
            "The shipped model is trained on all sources, dev ads included; its own accuracy on unseen ads is "
            "measured on ads outside the dev split.",
            "Licences: STYRK-08 © SSB (NLOD); ESCO © European Union (CC BY 4.0).",
            *(["The mixture weights and threshold are chosen on the out-of-fold ads they are reported on "
               "(optimistic by a little); benchmarks/occupation_eval.py chooses them on the other folds.",
               "Without the encoder the model predicts with the linear part alone (version suffix '+linear')."]
              if semantic_card else []),
        ],
    }
    return save_artefact(root or default_root(), MODEL_NAME, version, files, card, make_current=make_current)


@lru_cache(maxsize=4)
def load_classifier(version: str | None = None, root: str | None = None,
                    encoder: TextEncoder | None = None) -> OccupationClassifier:
    """The classifier of an artefact version (default: CURRENT), hash-checked and cached per process; with the
    encoder its semantic part was built with, predictions mix in e5 evidence."""
    artefact = load_artefact(MODEL_NAME, version, Path(root) if root else None)
    return classifier_from_dir(artefact.path, f"{MODEL_NAME}-{artefact.version}", encoder)


def load_encoder(models_dir: Path) -> TextEncoder | None:
    """The project's default e5 encoder from the model cache, or None (with the reason logged) when absent."""
    import logging

    from extractors.encoder import Encoder, EncoderError, default_encoder_dir

    try:
        return Encoder.load(default_encoder_dir(models_dir))
    except EncoderError as exc:
        logging.getLogger(__name__).warning("occupation: no e5 encoder (%s); the linear model is used alone", exc)
        return None


# Where an ad version's STYRK-08 code came from (ad_versions.styrk08_source).
FROM_FEED = "feed"
FROM_CLASSIFIER = "classifier"


def classify_missing(rows: Sequence[Mapping[str, Any]], classifier: OccupationClassifier
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fill styrk08/styrk08_label of ad rows that have none and record where each row's code came from.

    Rows are `NormalisedAd.as_row()` dicts; each comes back with styrk08_source, styrk08_score and
    occupation_model_version: "feed" (and no score or version) for a code the ad came with, "classifier" with the
    probability and model version for a row the model classified — also when it abstained, leaving the code NULL,
    so the warehouse can tell "never classified" from "the model was unsure". Rows with neither code, title nor
    text are left unclassified (all three NULL). Also returns one record (score, top 3) per classified row.
    """
    out = [dict(row, styrk08_source=FROM_FEED if row.get("styrk08") else None, styrk08_score=None,
                occupation_model_version=None) for row in rows]
    todo = [i for i, row in enumerate(rows)
            if not row.get("styrk08") and ((row.get("title") or "").strip() or (row.get("text") or "").strip())]
    if not todo:
        return out, []
    items = [Item(str(rows[i].get("ad_id") or i), rows[i].get("title") or "", rows[i].get("text") or "",
                  rows[i].get("jobtitle") or "", rows[i].get("employer") or "") for i in todo]
    version = classifier.active_version
    records = []
    for i, prediction in zip(todo, classifier.predict(items)):
        out[i].update(styrk08=prediction.styrk08, styrk08_label=prediction.label, styrk08_source=FROM_CLASSIFIER,
                      styrk08_score=prediction.score, occupation_model_version=version)
        records.append({"ad_id": rows[i].get("ad_id"), "entry_id": rows[i].get("entry_id"),
                        "styrk08": prediction.styrk08, "score": prediction.score,
                        "top3": json.dumps(prediction.top3, ensure_ascii=False), "model_version": version})
    return out, records
