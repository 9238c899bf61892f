"""Reads the official ESCO CSV download (any language) into skills with their labels.

ESCO publishes one `skills_<lang>.csv` per language, in the same layout: conceptType, conceptUri,
skillType, reuseLevel, preferredLabel, altLabels (one label per line inside the field), hiddenLabels,
status, modifiedDate, scopeNote, definition, inScheme, description. The loader takes the download as it
comes: the classification zip (`ESCO dataset - v1.1.1 - classification - en - csv.zip`), a folder
unpacked from it, or one CSV file (`skills_no.csv`, or a sample of it with any file name).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import InputError

SKILLS_FILE = re.compile(r"(?:^|/)skills_([a-z]{2,3})(?:_[^/]*)?\.csv$", re.IGNORECASE)
REQUIRED_COLUMNS = ("conceptUri", "preferredLabel")
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"

csv.field_size_limit(1 << 24)  # descriptions and label lists can be long


@dataclass(frozen=True)
class EscoSkill:
    """One ESCO skill/knowledge concept with its labels in one language."""

    uri: str
    preferred_label: str
    alt_labels: tuple[str, ...]
    skill_type: str
    reuse_level: str
    lang: str

    def labels(self, *, alt: bool = True) -> tuple[str, ...]:
        """Preferred label first, then the alternative labels (without duplicates)."""
        seen: dict[str, None] = {self.preferred_label: None}
        if alt:
            for label in self.alt_labels:
                seen.setdefault(label, None)
        return tuple(seen)


@dataclass(frozen=True)
class EscoSkills:
    """The skills of one ESCO file, with where they came from and a version that changes with the file."""

    skills: tuple[EscoSkill, ...]
    lang: str
    source: str
    version: str

    def by_uri(self) -> dict[str, EscoSkill]:
        """Skills keyed by URI."""
        return {s.uri: s for s in self.skills}


def _split_labels(field: str | None) -> tuple[str, ...]:
    """ESCO puts one label per line inside the altLabels field."""
    return tuple(label.strip() for label in (field or "").splitlines() if label.strip())


def parse_skills_csv(text: str, *, lang: str, source: str) -> list[EscoSkill]:
    """Skills from the text of a skills_<lang>.csv; only released concepts are kept."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{source} is not an ESCO skills file (no column {', '.join(missing)}); pass "
                         f"skills_<lang>.csv from the ESCO download or the classification zip")
    skills = []
    for row in reader:
        uri = (row.get("conceptUri") or "").strip()
        label = (row.get("preferredLabel") or "").strip()
        if not uri or not label or (row.get("status") or "released").strip() != "released":
            continue
        skills.append(EscoSkill(uri, label, _split_labels(row.get("altLabels")), (row.get("skillType") or "").strip(),
                                (row.get("reuseLevel") or "").strip(), lang))
    return skills


def _lang_of(name: str, default: str | None) -> str:
    """The language code in an ESCO file name (skills_no.csv → no), else the default."""
    match = SKILLS_FILE.search(name)
    if match:
        return match.group(1).lower()
    if default:
        return default
    raise InputError(f"cannot tell the language of {name}: name it skills_<lang>.csv or pass lang=")


def _read_sources(path: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every skills CSV in a zip, a folder or a single file."""
    if not path.exists():
        raise InputError(f"ESCO file not found: {path}; download the ESCO CSV package "
                         f"(https://esco.ec.europa.eu/en/use-esco/download) and pass the zip or skills_<lang>.csv")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.csv") if SKILLS_FILE.search(p.name))
        for file in files:
            yield file.name, file.read_text(encoding="utf-8-sig")
        return
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if SKILLS_FILE.search(name):
                    yield name, archive.read(name).decode("utf-8-sig")
        return
    yield path.name, path.read_text(encoding="utf-8-sig")


def load_esco_skills(path: Path, *, lang: str | None = None) -> EscoSkills:
    """ESCO skills from the official download (zip, folder or CSV), in the language of the file."""
    path = Path(path)
    skills: list[EscoSkill] = []
    digest = hashlib.sha256()
    langs: set[str] = set()
    for name, text in _read_sources(path):
        file_lang = _lang_of(name, lang)
        langs.add(file_lang)
        digest.update(name.encode() + b"\0" + text.encode("utf-8"))
        skills.extend(parse_skills_csv(text, lang=file_lang, source=f"{path}:{name}"))
    if not skills:
        raise InputError(f"no ESCO skills found in {path}: expected skills_<lang>.csv (alone, in a folder or "
                         f"in the classification zip)")
    return EscoSkills(tuple(skills), "+".join(sorted(langs)), str(path), "esco-" + digest.hexdigest()[:12])


def merge(collections: Iterable[EscoSkills]) -> EscoSkills:
    """Several language files as one inventory (a URI keeps one entry per language)."""
    items = list(collections)
    skills = tuple(s for c in items for s in c.skills)
    digest = hashlib.sha256("|".join(c.version for c in items).encode()).hexdigest()[:12]
    langs = "+".join(sorted({c.lang for c in items}))
    return EscoSkills(skills, langs, ";".join(c.source for c in items), "esco-" + digest)
