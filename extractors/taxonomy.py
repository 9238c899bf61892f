"""The concepts mentions are linked to: the team's curated Norwegian lexicon (and ESCO, see esco.py)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipelines.errors import InputError

MENTION_TYPES = ("SKILL", "SOFT", "QUALIFICATION", "LANGUAGE")


@dataclass(frozen=True)
class Concept:
    """A competence concept: an ESCO skill or a project concept (`radar:` id)."""

    concept_id: str
    label_nb: str
    label_en: str
    type: str
    esco_uri: str | None
    group: str


@dataclass(frozen=True)
class SurfaceForm:
    """A way a concept is written in ads (what stands in the text as the span)."""

    surface: str
    concept_id: str
    lang: str


@dataclass(frozen=True)
class Lexicon:
    """Concepts with their surface forms, and a version that changes when either file changes."""

    concepts: dict[str, Concept]
    surfaces: tuple[SurfaceForm, ...]
    version: str

    def concept(self, concept_id: str) -> Concept:
        """The concept behind an id; KeyError names the id when the lexicon lacks it."""
        return self.concepts[concept_id]


def default_lexicon_dir() -> Path:
    """The curated lexicon packaged with the extractors."""
    return Path(str(resources.files("extractors") / "lexicon"))


def load_lexicon(directory: Path | None = None) -> Lexicon:
    """Read concepts.csv and surface_forms.csv; reject rows that would silently mis-type mentions."""
    directory = directory or default_lexicon_dir()
    concepts_path, surfaces_path = directory / "concepts.csv", directory / "surface_forms.csv"
    for path in (concepts_path, surfaces_path):
        if not path.exists():
            raise InputError(f"Lexicon file {path} is missing: point the extractor at a folder with "
                             "concepts.csv and surface_forms.csv (see extractors/lexicon/README.md).")
    digest = hashlib.sha256()
    concepts: dict[str, Concept] = {}
    with concepts_path.open(encoding="utf-8", newline="") as handle:
        digest.update(concepts_path.read_bytes())
        for lineno, row in enumerate(csv.DictReader(handle), start=2):
            kind = (row.get("type") or "").strip().upper()
            if kind not in MENTION_TYPES:
                raise InputError(f"{concepts_path}:{lineno}: type {kind!r} is not one of {', '.join(MENTION_TYPES)}")
            concept_id = row["concept_id"].strip()
            concepts[concept_id] = Concept(
                concept_id=concept_id,
                label_nb=(row.get("label_nb") or "").strip(),
                label_en=(row.get("label_en") or "").strip(),
                type=kind,
                esco_uri=(row.get("esco_uri") or "").strip() or None,
                group=(row.get("group") or "").strip(),
            )
    surfaces = []
    with surfaces_path.open(encoding="utf-8", newline="") as handle:
        digest.update(surfaces_path.read_bytes())
        for lineno, row in enumerate(csv.DictReader(handle), start=2):
            concept_id = row["concept_id"].strip()
            if concept_id not in concepts:
                raise InputError(f"{surfaces_path}:{lineno}: concept {concept_id!r} is not in concepts.csv")
            surface = (row.get("surface") or "").strip()
            if surface:
                surfaces.append(SurfaceForm(surface, concept_id, (row.get("lang") or "both").strip()))
    return Lexicon(concepts, tuple(surfaces), "lexicon-" + digest.hexdigest()[:12])


def write_lexicon(lexicon: Lexicon, directory: Path) -> None:
    """Write a lexicon as the two CSV files load_lexicon reads (used to save it with a trained pipeline)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "concepts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["concept_id", "label_nb", "label_en", "type", "esco_uri", "group"])
        for c in lexicon.concepts.values():
            writer.writerow([c.concept_id, c.label_nb, c.label_en, c.type, c.esco_uri or "", c.group])
    with (directory / "surface_forms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["surface", "concept_id", "lang"])
        for form in lexicon.surfaces:
            writer.writerow([form.surface, form.concept_id, form.lang])
