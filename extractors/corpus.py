"""Reads annotated references and the texts they point into, for training, calibration and `radar eval`.

A reference line is `{"id", "mentions": [...]}` with offsets into a text kept elsewhere (the ads stay in
../shared), or `{"id", "text", "lang", "mentions"}` with the text inline (the team's own sentences).
Texts of ads marked `"split": "test"` are never returned: they are a measurement set nobody tunes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pipelines.errors import InputError

HELD_OUT_SPLIT = "test"


@dataclass(frozen=True)
class Example:
    """One annotated text: what training, calibration and cross-validation iterate over."""

    id: str
    text: str
    lang: str
    mentions: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def default_annotations_dir() -> Path:
    """The team's annotations packaged with the extractors."""
    return Path(str(resources.files("extractors") / "annotations"))


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; a broken line is an InputError that names it."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; check the path") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg}); fix or remove the line") from exc
            if not isinstance(record, dict):
                raise InputError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            yield number, record


def load_reference(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Mentions by document id from a reference or prediction file."""
    out: dict[str, list[dict[str, Any]]] = {}
    for number, record in read_jsonl(path):
        if "id" not in record or not isinstance(record.get("mentions"), list):
            raise InputError(f"{path}:{number}: a line needs \"id\" and a \"mentions\" list")
        out[str(record["id"])] = record["mentions"]
    return out


def load_texts(path: Path, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """{"text", "lang"} by id for the wanted ids; test-split texts are skipped without being kept."""
    wanted = set(ids) if ids is not None else None
    out: dict[str, dict[str, Any]] = {}
    for number, record in read_jsonl(path):
        if record.get("split") == HELD_OUT_SPLIT or "id" not in record:
            continue
        doc_id = str(record["id"])
        if wanted is not None and doc_id not in wanted:
            continue
        if not isinstance(record.get("text"), str):
            raise InputError(f"{path}:{number}: record {doc_id!r} has no \"text\" string")
        out[doc_id] = {"text": record["text"], "lang": record.get("lang") or record.get("lang_guess")}
    return out


def check_offsets(reference: dict[str, list[dict[str, Any]]], texts: dict[str, dict[str, Any]],
                  source: Path) -> None:
    """Fail early when a mention's offsets do not point at its text: scores would be silently wrong."""
    for doc_id, mentions in reference.items():
        if doc_id not in texts:
            raise InputError(f"{source}: document {doc_id!r} has no text in the texts file; pass the file "
                             f"its offsets point into (for ads: ../shared/data/job_ads/ads.jsonl)")
        text = texts[doc_id]["text"]
        for m in mentions:
            try:
                start, end = int(m["start"]), int(m["end"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{source}: {doc_id}: mention {m!r} needs integer start and end") from exc
            if not 0 <= start < end <= len(text):
                raise InputError(f"{source}: {doc_id}: offsets {start}-{end} are outside the text "
                                 f"(length {len(text)})")
            if "text" in m and text[start:end] != m["text"]:
                raise InputError(f"{source}: {doc_id}: text[{start}:{end}] is {text[start:end]!r}, "
                                 f"not {m['text']!r}; the offsets point into another text")


def guess_lang(text: str, hint: str | None) -> str:
    """nb or nn for routing (English and unknown texts go through the Bokmål pipeline)."""
    if hint in ("nb", "nn"):
        return hint
    from pipelines.normalise import detect_language

    return "nn" if detect_language(text) == "nn" else "nb"


def load_examples(reference_path: Path, texts_path: Path | None = None) -> list[Example]:
    """Annotated examples from a reference file, with texts inline or from texts_path (e.g. ads.jsonl)."""
    records = [record for _, record in read_jsonl(reference_path)]
    inline = all(isinstance(r.get("text"), str) for r in records)
    if inline:
        texts = {str(r["id"]): {"text": r["text"], "lang": r.get("lang")} for r in records}
    elif texts_path is None:
        raise InputError(f"{reference_path} holds offsets only: pass the texts file they point into")
    else:
        texts = load_texts(texts_path, {str(r["id"]) for r in records})
    reference = {str(r["id"]): r.get("mentions", []) for r in records}
    check_offsets(reference, texts, reference_path)
    return [Example(doc_id, texts[doc_id]["text"], guess_lang(texts[doc_id]["text"], texts[doc_id].get("lang")),
                    tuple(mentions)) for doc_id, mentions in reference.items()]


def team_examples(ads_path: Path, annotations_dir: Path | None = None) -> dict[str, list[Example]]:
    """The annotated sets by name: dev_ads (texts from ads_path), nb_sentences, nn_sentences and, where the
    folder has it, written_ads (whole ads the team wrote, nb and nn)."""
    directory = annotations_dir or default_annotations_dir()
    sets = {
        "dev_ads": load_examples(directory / "dev_ads.jsonl", ads_path),
        "nb_sentences": load_examples(directory / "nb_sentences.jsonl"),
        "nn_sentences": load_examples(directory / "nn_sentences.jsonl"),
    }
    if (directory / "written_ads.jsonl").is_file():
        sets["written_ads"] = load_examples(directory / "written_ads.jsonl")
    return sets
