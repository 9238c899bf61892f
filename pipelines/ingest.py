"""Feed → raw_entries, one page per transaction with its cursor, so a killed run loses and doubles nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.errors import SourceError
from pipelines.normalise import strip_contacts
from pipelines.sources.nav_feed import FeedAuthError, FeedClient, FeedCursor, FeedItem, FeedPage, RetriesExhausted
from warehouse.load import load_cursor, quarantine, save_cursor

RAW_SCHEMA = pa.schema([
    ("entry_id", pa.string()), ("source", pa.string()), ("ad_uuid", pa.string()), ("status", pa.string()),
    ("modified", pa.string()), ("payload", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
])

# Quarantine rows whose error starts with this were transient (retries exhausted): the next run tries again.
TRANSIENT = "transient"
REJECTED = "rejected"


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
    recovered: int = 0
    skipped_known: int = 0
    errors: list[str] = field(default_factory=list)


Progress = Callable[[IngestReport], None]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all (a kill -9 inside leaves no trace)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def inactive_entry(item: FeedItem) -> dict[str, Any]:
    """A stopped ad's entry built from its feed line: NAV masks stopped ads, so there is nothing to fetch."""
    return {"uuid": item.ad_uuid, "status": "INACTIVE", "sistEndret": item.modified, "ad_content": None}


def next_cursor(page: FeedPage) -> FeedCursor:
    """After a page is stored: go on to the next page, or poll this last page with its ETag."""
    if page.next_id:
        return FeedCursor(page_id=page.next_id)
    return FeedCursor(page_id=page.page_id, etag=page.etag, last_modified=page.last_modified)


def raw_row(entry_id: str, source: str, payload: Mapping[str, Any], run_id: str, fetched_at: datetime,
            *, status: str | None = None, modified: str | None = None) -> dict[str, Any]:
    """A raw_entries row: the payload as received minus contact persons, masked where free text holds PII."""
    clean = strip_contacts(dict(payload))
    return {"entry_id": entry_id, "source": source, "ad_uuid": str(clean.get("uuid")),
            "status": str(clean.get("status") or status or "ACTIVE").upper(),
            "modified": str(clean.get("sistEndret") or modified or ""),
            "payload": json.dumps(clean, ensure_ascii=False), "fetched_at": fetched_at, "run_id": run_id}


def failure_row(source: str, ref: str, exc: Exception, run_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """A quarantine row; transient failures are marked so the next run fetches them again."""
    kind = TRANSIENT if isinstance(exc, RetriesExhausted) else REJECTED
    return {"source": source, "ref": ref, "error": f"{kind}: {type(exc).__name__}: {exc}",
            "payload": json.dumps(dict(context), ensure_ascii=False), "run_id": run_id}


def _item_context(item: FeedItem) -> dict[str, Any]:
    """What a later run needs to fetch a quarantined entry again (no ad content, so no personal data)."""
    return {"url": item.url, "ad_uuid": item.ad_uuid, "status": item.status, "modified": item.modified}


def fetch_item(client: FeedClient, item: FeedItem) -> dict[str, Any]:
    """The entry behind one feed line; raises ValueError/SourceError for the quarantine."""
    payload = inactive_entry(item) if item.status == "INACTIVE" else client.get_entry(item).raw
    if payload.get("uuid") != item.ad_uuid:
        raise ValueError(f"entry uuid {payload.get('uuid')!r} differs from the feed line's {item.ad_uuid!r}")
    return payload


def fetch_page_entries(client: FeedClient, page: FeedPage, source: str, run_id: str, *,
                       skip: frozenset[str] | set[str] = frozenset(), pool: Executor | None = None
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw rows for the page's entries (in page order, fetched concurrently) and quarantine rows for the rest."""
    items = [item for item in page.items if item.entry_id not in skip]

    def attempt(item: FeedItem) -> dict[str, Any] | Exception:
        try:
            return fetch_item(client, item)
        except FeedAuthError:
            raise
        except (ValueError, SourceError) as exc:
            return exc

    outcomes = list(pool.map(attempt, items)) if pool is not None and len(items) > 1 else [attempt(i) for i in items]
    rows, bad = [], []
    now = datetime.now(timezone.utc)
    for item, outcome in zip(items, outcomes):
        if isinstance(outcome, Exception):
            bad.append(failure_row(source, item.entry_id, outcome, run_id, _item_context(item)))
        else:
            rows.append(raw_row(item.entry_id, source, outcome, run_id, now, status=item.status, modified=item.modified))
    return rows, bad


def insert_raw(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Upsert raw rows by entry id (inside the caller's transaction); returns the rows that were new."""
    if not rows:
        return []
    rows = list({r["entry_id"]: r for r in rows}.values())  # one row per entry, the last one read
    con.register("_stage_raw", pa.Table.from_pylist(rows, schema=RAW_SCHEMA))
    try:
        known = {r[0] for r in con.execute(
            "SELECT entry_id FROM raw_entries WHERE entry_id IN (SELECT entry_id FROM _stage_raw)").fetchall()}
        con.execute("INSERT OR REPLACE INTO raw_entries BY NAME SELECT * FROM _stage_raw")
    finally:
        con.unregister("_stage_raw")
    return [r for r in rows if r["entry_id"] not in known]


def release_quarantine(con: duckdb.DuckDBPyConnection, source: str, refs: Sequence[str]) -> None:
    """Drop quarantine rows that a later attempt has resolved."""
    if refs:
        con.register("_stage_refs", pa.table({"ref": pa.array(list(refs), pa.string())}))
        con.execute("DELETE FROM quarantine WHERE source = ? AND ref IN (SELECT ref FROM _stage_refs)", [source])
        con.unregister("_stage_refs")


def store_page(con: duckdb.DuckDBPyConnection, source: str, rows: list[dict[str, Any]],
               bad: list[dict[str, Any]], cursor: FeedCursor | None) -> list[Mapping[str, Any]]:
    """Raw entries, quarantine rows and the advanced cursor commit together or not at all; returns new rows."""
    with transaction(con):
        new = insert_raw(con, rows)
        release_quarantine(con, source, [r["entry_id"] for r in rows])
        quarantine(con, bad)
        if cursor is not None:
            save_cursor(con, source, cursor)
    return new


def known_entry_ids(con: duckdb.DuckDBPyConnection, entry_ids: Sequence[str]) -> set[str]:
    """Which of these entries are already stored, so a re-read page costs no entry requests."""
    if not entry_ids:
        return set()
    con.register("_stage_ids", pa.table({"entry_id": pa.array(list(entry_ids), pa.string())}))
    try:
        return {r[0] for r in con.execute(
            "SELECT entry_id FROM raw_entries WHERE entry_id IN (SELECT entry_id FROM _stage_ids)").fetchall()}
    finally:
        con.unregister("_stage_ids")


def retry_quarantined(con: duckdb.DuckDBPyConnection, client: FeedClient, *, source: str, run_id: str,
                      pool: Executor | None = None) -> tuple[int, int]:
    """Fetch again the entries an earlier run gave up on for transient reasons; returns (recovered, still bad)."""
    rows = con.execute(
        "SELECT ref, payload FROM quarantine WHERE source = ? AND starts_with(error, ?) ORDER BY quarantined_at",
        [source, TRANSIENT],
    ).fetchall()
    items = []
    for ref, payload in rows:
        context = json.loads(payload or "{}")
        if "ad_uuid" not in context:
            continue
        items.append(FeedItem(entry_id=ref, ad_uuid=context["ad_uuid"], status=context.get("status") or "ACTIVE",
                              modified=context.get("modified") or "",
                              url=context.get("url") or f"/api/v1/feedentry/{ref}"))
    if not items:
        return 0, 0
    page = FeedPage(page_id="quarantine", items=tuple(items), next_id=None, next_url=None)
    good, bad = fetch_page_entries(client, page, source, run_id, pool=pool)
    store_page(con, source, good, bad, cursor=None)
    return len(good), len(bad)


def _count(report: IngestReport, new: Sequence[Mapping[str, Any]]) -> None:
    report.new_entries += len(new)
    report.active += sum(r["status"] == "ACTIVE" for r in new)
    report.inactive += sum(r["status"] == "INACTIVE" for r in new)


def ingest_feed(con: duckdb.DuckDBPyConnection, client: FeedClient, *, source: str, run_id: str,
                max_pages: int | None = None, progress: Progress | None = None) -> IngestReport:
    """Read the feed from the stored cursor to its end, storing each page with the cursor after it.

    `source` is the stream key (the flow uses "nav:<feed url>"): raw entries and the cursor are kept per
    stream, while ads are named by the part before the colon ("nav:<uuid>"), see normalise.ad_source_of.
    """
    report = IngestReport()
    with ThreadPoolExecutor(max_workers=client.workers, thread_name_prefix="feed-entry") as pool:
        recovered, still_bad = retry_quarantined(con, client, source=source, run_id=run_id, pool=pool)
        report.recovered = recovered
        cursor = load_cursor(con, source)
        for page in client.iter_pages(cursor):
            known = known_entry_ids(con, [item.entry_id for item in page.items])
            rows, bad = fetch_page_entries(client, page, source, run_id, skip=known, pool=pool)
            new = store_page(con, source, rows, bad, next_cursor(page))
            report.pages += 1
            report.entries += len(rows)
            report.skipped_known += len(known)
            report.quarantined += len(bad)
            _count(report, new)
            if progress:
                progress(report)
            if max_pages is not None and report.pages >= max_pages:
                break
    report.not_modified = report.pages == 0
    return report
