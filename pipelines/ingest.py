"""Feed → raw_entries, one page per transaction with its cursor, so a killed run loses and doubles nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.errors import SourceError
from pipelines.normalise import strip_contacts
from pipelines.sources.nav_feed import FeedClient, FeedCursor, FeedItem, FeedPage
from warehouse.load import load_cursor, quarantine, save_cursor

RAW_SCHEMA = pa.schema([
    ("entry_id", pa.string()), ("source", pa.string()), ("ad_uuid", pa.string()), ("status", pa.string()),
    ("modified", pa.string()), ("payload", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
])


@dataclass
class IngestReport:
    """What one ingestion run did, for the run record and the summary."""

    pages: int = 0
    not_modified: bool = False
    entries: int = 0
    new_entries: int = 0
    active: int = 0
    inactive: int = 0
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)


def inactive_entry(item: FeedItem) -> dict[str, Any]:
    """A stopped ad's entry built from its feed line: NAV masks stopped ads, so there is nothing to fetch."""
    return {"uuid": item.ad_uuid, "status": "INACTIVE", "sistEndret": item.modified, "ad_content": None}


def next_cursor(page: FeedPage) -> FeedCursor:
    """After a page is stored: go on to the next page, or poll this last page with its ETag."""
    if page.next_id:
        return FeedCursor(page_id=page.next_id)
    return FeedCursor(page_id=page.page_id, etag=page.etag, last_modified=page.last_modified)


def fetch_page_entries(client: FeedClient, page: FeedPage, source: str, run_id: str
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw rows for the page's entries and quarantine rows for those that could not be read."""
    rows, bad = [], []
    now = datetime.now(timezone.utc)
    for item in page.items:
        try:
            payload = inactive_entry(item) if item.status == "INACTIVE" else client.get_entry(item).raw
            if payload.get("uuid") != item.ad_uuid:
                raise ValueError(f"entry uuid {payload.get('uuid')!r} differs from the feed line's {item.ad_uuid!r}")
        except (ValueError, SourceError) as exc:
            bad.append({"source": source, "ref": item.entry_id, "error": f"{type(exc).__name__}: {exc}",
                        "payload": json.dumps({"url": item.url, "ad_uuid": item.ad_uuid}), "run_id": run_id})
            continue
        clean = strip_contacts(payload)
        rows.append({"entry_id": item.entry_id, "source": source, "ad_uuid": item.ad_uuid,
                     "status": str(clean.get("status") or item.status).upper(),
                     "modified": str(clean.get("sistEndret") or item.modified),
                     "payload": json.dumps(clean, ensure_ascii=False), "fetched_at": now, "run_id": run_id})
    return rows, bad


def store_page(con: duckdb.DuckDBPyConnection, source: str, rows: list[dict[str, Any]],
               bad: list[dict[str, Any]], cursor: FeedCursor) -> list[dict[str, Any]]:
    """Raw entries, quarantine rows and the advanced cursor commit together or not at all; returns new rows."""
    con.execute("BEGIN TRANSACTION")
    try:
        new = rows
        if rows:
            con.register("_stage_raw", pa.Table.from_pylist(rows, schema=RAW_SCHEMA))
            known = {r[0] for r in con.execute(
                "SELECT entry_id FROM raw_entries WHERE entry_id IN (SELECT entry_id FROM _stage_raw)").fetchall()}
            new = [r for r in rows if r["entry_id"] not in known]
            con.execute("INSERT OR REPLACE INTO raw_entries BY NAME SELECT * FROM _stage_raw")
            con.unregister("_stage_raw")
        quarantine(con, bad)
        save_cursor(con, source, cursor)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return new


def ingest_feed(con: duckdb.DuckDBPyConnection, client: FeedClient, *, source: str, run_id: str,
                max_pages: int | None = None) -> IngestReport:
    """Read the feed from the stored cursor to its end, storing each page with the cursor after it."""
    report = IngestReport()
    cursor = load_cursor(con, source)
    for page in client.iter_pages(cursor):
        rows, bad = fetch_page_entries(client, page, source, run_id)
        new = store_page(con, source, rows, bad, next_cursor(page))
        report.pages += 1
        report.entries += len(rows)
        report.new_entries += len(new)
        report.active += sum(r["status"] == "ACTIVE" for r in new)
        report.inactive += sum(r["status"] == "INACTIVE" for r in new)
        report.quarantined += len(bad)
        if max_pages is not None and report.pages >= max_pages:
            break
    report.not_modified = report.pages == 0
    return report
