"""Job ads from files: JSON/JSONL in the feed's shape, and folders of saved HTML ad pages.

JSON and JSONL may hold feed entries ({uuid, status, sistEndret, ad_content}, as /api/v1/feedentry returns
them), bare FeedAds (the `ad_content` object, or pam-public-feed's `content[]`), or flat ad records as in
../shared/data/job_ads/ads.jsonl ({id, title, employer, municipal, county, text_html, ...}). Each becomes a
feed entry under the stream "nav:files" (ads named "nav:<uuid>", so a file and the feed agree on an ad);
HTML pages go through pipelines.sources.html_ads under the stream "html". A record that cannot be read is
quarantined with its file and line, and the rest are stored.
"""

from __future__ import annotations

import html as html_lib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pipelines.errors import InputError
from pipelines.ingest import insert_raw, raw_row, release_quarantine, transaction
from pipelines.normalise import parse_time
from pipelines.sources.feed_server import entry_id_for
from pipelines.sources.html_ads import HTML_STREAM, html_entry_id, parse_ad_page
from pipelines.sources.nav_feed import parse_feed_entry
from warehouse.load import quarantine

FILE_STREAM = "nav:files"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class FileRecord:
    """One record read from a file: an entry to store, or the reason it cannot be."""

    ref: str
    stream: str
    entry_id: str | None = None
    entry: dict[str, Any] | None = None
    error: str | None = None


def _iso(value: Any) -> str | None:
    """A timestamp of any shape the sources use (ISO, epoch ms) as ISO, or None."""
    when = parse_time(value)
    return when.isoformat() if when else None


def entry_from_ad(ad: Mapping[str, Any], status: str = "ACTIVE") -> dict[str, Any]:
    """A bare FeedAd (an entry's `ad_content`) wrapped as a feed entry."""
    changed = _iso(ad.get("updated")) or _iso(ad.get("published"))
    return {"uuid": str(ad["uuid"]), "status": status, "sistEndret": changed, "ad_content": dict(ad)}


def _text_as_html(text: str) -> str:
    """Plain text with one paragraph per line, so html_to_text keeps its lines."""
    return "".join(f"<p>{html_lib.escape(line)}</p>" for line in text.splitlines() if line.strip())


def entry_from_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A flat ad record (the team's job_ads/ads.jsonl shape) wrapped as a feed entry."""
    raw_id = str(record["id"])
    ad_uuid = raw_id[4:] if raw_id.startswith("nav:") else raw_id
    published = _iso(record.get("published"))
    location = {"country": None, "address": None, "city": None, "postalCode": record.get("postal_code"),
                "county": record.get("county"), "municipal": record.get("municipal")}
    description = record.get("text_html") or _text_as_html(str(record.get("text") or ""))
    employer = str(record.get("employer") or "").strip() or None
    blurb = None
    if employer and ("\n" in employer or len(employer) > 120):  # scraped pages put "Om bedriften" here
        employer, blurb = None, _text_as_html(employer)
    return {
        "uuid": ad_uuid,
        "status": "ACTIVE",
        "sistEndret": published,
        "ad_content": {
            "uuid": ad_uuid, "published": published, "expires": None, "updated": published,
            "workLocations": [location] if any(location.values()) else [],
            "contactList": [], "title": record.get("title"), "description": description,
            "source": record.get("source_system"), "jobtitle": record.get("jobtitle"),
            "employer": {"name": employer, "orgnr": None, "description": blurb, "homepage": None},
            "categoryList": [{"categoryType": c.get("type") or "STYRK08", "code": c.get("code"), "name": c.get("name")}
                             for c in record.get("occupation_codes") or [] if isinstance(c, dict)],
        },
    }


def feed_entries(value: Any) -> list[dict[str, Any]]:
    """The feed entries a JSON value holds; raises ValueError saying which shapes are understood."""
    if isinstance(value, list):
        return [entry for item in value for entry in feed_entries(item)]
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object or array, got {type(value).__name__}")
    if "uuid" in value and ("ad_content" in value or "json" in value or "sistEndret" in value):
        parse_feed_entry(value, "file")  # validates the shape
        return [value]
    if isinstance(value.get("content"), list):  # pam-public-feed search result
        return [entry_from_ad(ad) for ad in value["content"] if isinstance(ad, dict) and ad.get("uuid")]
    if "uuid" in value and ("description" in value or "title" in value):
        return [entry_from_ad(value)]
    if "id" in value and ("text_html" in value or "text" in value):
        return [entry_from_record(value)]
    if isinstance(value.get("items"), list):
        raise ValueError("this is a feed page: it lists entries without their content; save the entries "
                         "(/api/v1/feedentry/{id}) instead")
    raise ValueError("not a feed entry ({uuid, status, sistEndret, ad_content}), a FeedAd ({uuid, title, "
                     "description, ...}) or an ad record ({id, text_html | text, ...})")


def list_files(path: Path) -> list[Path]:
    """The readable files at a path: the file itself, or every JSON/JSONL/HTML file below a folder."""
    if not path.exists():
        raise InputError(f"{path} does not exist: give a .json/.jsonl file, an .html page or a folder of them.")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in JSON_SUFFIXES + HTML_SUFFIXES)
    if not files:
        raise InputError(f"{path} holds no .json, .jsonl or .html files.")
    return files


def read_file(path: Path) -> Iterator[FileRecord]:
    """Every record of one file, each an entry or an error."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield _html_record(path)
        return
    if suffix not in JSON_SUFFIXES:
        yield FileRecord(str(path), FILE_STREAM, error=f"unknown file type {suffix!r}: use .json, .jsonl or .html")
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield FileRecord(str(path), FILE_STREAM, error=f"cannot read: {exc}")
        return
    if suffix == ".json":
        lines = [(None, text)]
    else:
        lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for number, chunk in lines:
        ref = str(path) if number is None else f"{path}:{number}"
        try:
            entries = feed_entries(json.loads(chunk))
        except (json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
            yield FileRecord(ref, FILE_STREAM, error=f"{type(exc).__name__}: {exc}")
            continue
        for index, entry in enumerate(entries):
            yield FileRecord(ref if len(entries) == 1 else f"{ref}#{index}", FILE_STREAM, entry_id_for(entry), entry)


def _html_record(path: Path) -> FileRecord:
    try:
        page = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return FileRecord(str(path), HTML_STREAM, error=f"cannot read: {exc}")
    seen = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    entry = parse_ad_page(page, path.resolve().as_uri(), seen_at=seen)
    if entry is None:
        return FileRecord(str(path), HTML_STREAM, error="no job ad found (no JobPosting JSON-LD, no arbeidsplassen ad text)")
    return FileRecord(str(path), HTML_STREAM, html_entry_id(entry), entry)


@dataclass
class FilesReport:
    """What one file ingestion stored and what it could not read."""

    files: int = 0
    records: int = 0
    new_entries: int = 0
    quarantined: int = 0
    streams: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def ingest_files(con: duckdb.DuckDBPyConnection, path: Path, *, run_id: str, batch_size: int = 500,
                 progress: Callable[[Path], None] | None = None) -> FilesReport:
    """Store every readable record below `path` in raw_entries; bad records go to the quarantine."""
    files = list_files(path)
    report = FilesReport(files=len(files))
    batch: list[FileRecord] = []

    def flush() -> None:
        now = datetime.now(timezone.utc)
        good = [r for r in batch if r.entry is not None]
        bad = [r for r in batch if r.entry is None]
        with transaction(con):
            new = insert_raw(con, [raw_row(r.entry_id or "", r.stream, r.entry, run_id, now) for r in good])
            for stream in {r.stream for r in good}:
                release_quarantine(con, stream, [r.ref for r in good if r.stream == stream])
            quarantine(con, [{"source": r.stream, "ref": r.ref, "error": f"rejected: {r.error}", "payload": None,
                              "run_id": run_id} for r in bad])
        report.records += len(batch)
        report.new_entries += len(new)
        report.quarantined += len(bad)
        report.streams.update(r.stream for r in good)
        report.errors.extend(f"{r.ref}: {r.error}" for r in bad)
        batch.clear()

    for file in files:
        for record in read_file(file):
            batch.append(record)
            if len(batch) >= batch_size:
                flush()
        if progress:
            progress(file)
    if batch:
        flush()
    return report
