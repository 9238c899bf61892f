"""Versioned artefact directories: model files, a model card, and a content hash that deterministic training repeats.

Layout: ``<root>/<name>/<version>/`` holds the model's files plus ``model_card.json`` (machine-readable) and
``MODEL_CARD.md`` (for people); ``<root>/<name>/CURRENT`` names the version the pipelines load by default.
The content hash covers the model files only, never the card, so the same data and parameters give the same
hash on any day.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
CURRENT = "CURRENT"
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class ArtefactError(Exception):
    """An artefact is missing, incomplete or fails its content hash; the message says how to rebuild it."""


@dataclass(frozen=True)
class Artefact:
    """One stored model version."""

    name: str
    version: str
    path: Path
    card: dict[str, Any]

    @property
    def content_hash(self) -> str:
        """sha256 of the model files, as recorded at training time."""
        return str(self.card["content_hash"])

    def file(self, name: str) -> Path:
        """Path of one model file inside the artefact."""
        return self.path / name


def default_root() -> Path:
    """models/artefacts inside the package, where small artefacts are committed."""
    return Path(__file__).resolve().parent / "artefacts"


def content_hash(files: Mapping[str, bytes]) -> str:
    """sha256 over the sorted file names and their bytes."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        digest.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
        digest.update(data)
    return digest.hexdigest()


def directory_hash(path: Path) -> str:
    """The content hash of an artefact directory as it is on disk (card files excluded)."""
    files = {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*"))
             if p.is_file() and p.name not in (CARD_JSON, CARD_MD)}
    return content_hash(files)


def check_version(version: str) -> str:
    """A version must be usable as one directory name."""
    if not VERSION_RE.match(version) or version in (".", ".."):
        raise ArtefactError(f"invalid artefact version {version!r}: use letters, digits, '.', '_' or '-'")
    return version


def save_artefact(root: Path, name: str, version: str, files: Mapping[str, bytes], card: Mapping[str, Any],
                  *, make_current: bool = True) -> Artefact:
    """Write files and card to <root>/<name>/<version>/ atomically (a finished directory or nothing)."""
    check_version(version)
    target_parent = root / name
    target_parent.mkdir(parents=True, exist_ok=True)
    full_card = {**card, "name": name, "version": version, "content_hash": content_hash(files),
                 "files": {n: len(files[n]) for n in sorted(files)}}
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=target_parent))
    try:
        for rel, data in files.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        (staging / CARD_JSON).write_text(json.dumps(full_card, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                         encoding="utf-8")
        (staging / CARD_MD).write_text(render_card(full_card), encoding="utf-8")
        target = target_parent / version
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_current:
        (target_parent / CURRENT).write_text(version + "\n", encoding="utf-8")
    return Artefact(name, version, target, full_card)


def current_version(root: Path, name: str) -> str:
    """The version named in <root>/<name>/CURRENT."""
    pointer = root / name / CURRENT
    if not pointer.is_file():
        raise ArtefactError(f"no trained {name!r} model under {root / name}: train it first (its `radar train…` "
                            f"command reads ../shared/data) or point the model directory option at one that has it")
    return check_version(pointer.read_text(encoding="utf-8").strip())


def load_artefact(name: str, version: str | None = None, root: Path | None = None, *, verify: bool = True) -> Artefact:
    """Open an artefact by version (default: CURRENT); with verify, refuse files that do not match the card's hash."""
    root = root or default_root()
    version = check_version(version) if version else current_version(root, name)
    path = root / name / version
    card_path = path / CARD_JSON
    if not card_path.is_file():
        known = sorted(p.name for p in (root / name).glob("*") if (p / CARD_JSON).is_file()) if (root / name).is_dir() else []
        raise ArtefactError(f"no {name!r} artefact version {version!r} under {root / name} "
                            f"(available: {', '.join(known) or 'none'}); train it first or pick an available version")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if verify:
        actual = directory_hash(path)
        if actual != card.get("content_hash"):
            raise ArtefactError(f"{path}: files do not match the model card's content hash "
                                f"({actual[:12]} ≠ {str(card.get('content_hash'))[:12]}); restore the files or retrain it")
    return Artefact(name, version, path, card)


def render_card(card: Mapping[str, Any]) -> str:
    """A readable model card: what it is, what it was trained on, how it was set up and how well it does."""
    lines = [f"# Model card: {card['name']} {card['version']}", ""]
    if card.get("description"):
        lines += [str(card["description"]), ""]
    lines += [f"- content hash (sha256 of the model files): `{card['content_hash']}`",
              f"- trained: {card.get('created', '?')}",
              f"- training time: {card.get('training_seconds', '?')} s on {card.get('cpu_count', '?')} cores"]
    for key in ("code", "environment"):
        if card.get(key):
            lines.append(f"- {key}: " + ", ".join(f"{k} {v}" for k, v in card[key].items()))
    for title, key in (("Data", "data"), ("Parameters", "params"), ("Metrics", "metrics")):
        if card.get(key):
            lines += ["", f"## {title}", "", "```json", json.dumps(card[key], indent=2, ensure_ascii=False,
                                                                  sort_keys=True), "```"]
    if card.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in card["notes"]]
    lines += ["", "## Files", ""] + [f"- `{n}` ({size} bytes)" for n, size in card.get("files", {}).items()]
    return "\n".join(lines) + "\n"
