"""Bulk, idempotent loads: Arrow tables staged and upserted, never row-by-row inserts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from extractors.taxonomy import Lexicon
from pipelines.sources.nav_feed import FeedCursor
from warehouse.db import fetch_one

# One row per ad from all its versions: the latest status and entry, the latest readable content, when it was
# first and last seen, when it stopped (the first INACTIVE change after its last ACTIVE one, so a later edit
# of a stopped ad does not move the date) and how many versions it has. duplicate_of is kept: it is set by
# pipelines.dedupe.link_duplicates, not by a new version.
AD_STATE_SQL = """
INSERT OR REPLACE INTO ad_state
WITH v AS (
    SELECT *, max(modified) FILTER (WHERE status = 'ACTIVE') OVER (PARTITION BY ad_id) AS last_active
    FROM ad_versions
    WHERE ad_id IN (SELECT ad_id FROM _touched)
)
SELECT v.ad_id,
       any_value(v.source),
       any_value(v.source_id),
       arg_max(v.status, v.modified),
       arg_max(v.entry_id, v.modified),
       arg_max(v.entry_id, v.modified) FILTER (WHERE v.status = 'ACTIVE' AND coalesce(v.text, '') <> ''),
       min(coalesce(v.published, v.modified)),
       max(v.modified),
       CASE WHEN arg_max(v.status, v.modified) = 'INACTIVE'
            THEN min(v.modified) FILTER (WHERE v.status = 'INACTIVE'
                                          AND (v.last_active IS NULL OR v.modified > v.last_active)) END,
       count(*),
       any_value(o.duplicate_of)
FROM v
LEFT JOIN ad_state o ON o.ad_id = v.ad_id
GROUP BY v.ad_id
"""


def _stage(con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[Mapping[str, Any]] | pa.Table) -> bool:
    """Register rows as a staging relation; False when there is nothing to stage."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
    if table.num_rows == 0:
        return False
    con.register(name, table)
    return True


def upsert_ad_versions(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]], run_id: str) -> int:
    """Store ad versions by entry id (a re-run replaces, never duplicates) and refresh their ads' state."""
    now = datetime.now(timezone.utc)
    staged = [dict(row, ingested_at=now, run_id=run_id) for row in rows]
    if not _stage(con, "_stage_versions", staged):
        return 0
    con.execute("INSERT OR REPLACE INTO ad_versions BY NAME SELECT * FROM _stage_versions")
    con.execute("CREATE OR REPLACE TEMP TABLE _touched AS SELECT DISTINCT ad_id FROM _stage_versions")
    con.execute(AD_STATE_SQL)
    con.unregister("_stage_versions")
    return len(staged)


def replace_mentions(con: duckdb.DuckDBPyConnection, ad_ids: Iterable[str], rows: Sequence[Mapping[str, Any]]) -> int:
    """Replace the mentions of the given ads with a new extraction (so re-extraction is idempotent)."""
    ids = sorted(set(ad_ids))
    if not ids:
        return 0
    con.register("_stage_ids", pa.table({"ad_id": pa.array(ids, pa.string())}))
    con.execute("DELETE FROM mentions_store WHERE ad_id IN (SELECT ad_id FROM _stage_ids)")
    con.unregister("_stage_ids")
    if not _stage(con, "_stage_mentions", rows):
        return 0
    con.execute("INSERT OR REPLACE INTO mentions_store BY NAME SELECT * FROM _stage_mentions")
    con.unregister("_stage_mentions")
    return len(rows)


def upsert_concepts(con: duckdb.DuckDBPyConnection, lexicon: Lexicon) -> int:
    """Write the taxonomy the mentions link to, versioned, so analysts can join labels and groups."""
    rows = [
        {"concept_id": c.concept_id, "label_nb": c.label_nb, "label_en": c.label_en, "type": c.type,
         "esco_uri": c.esco_uri, "skill_group": c.group, "taxonomy_version": lexicon.version}
        for c in lexicon.concepts.values()
    ]
    if not _stage(con, "_stage_concepts", rows):
        return 0
    con.execute("INSERT OR REPLACE INTO concepts_store BY NAME SELECT * FROM _stage_concepts")
    con.unregister("_stage_concepts")
    return len(rows)


def load_cursor(con: duckdb.DuckDBPyConnection, source: str) -> FeedCursor:
    """Where the last run of this source stopped (empty cursor on first run)."""
    row = fetch_one(con, "SELECT page_id, etag, last_modified FROM feed_cursor WHERE source = ?", [source])
    return FeedCursor(*row) if row else FeedCursor()


def save_cursor(con: duckdb.DuckDBPyConnection, source: str, cursor: FeedCursor) -> None:
    """Remember the last fully stored page and its ETag."""
    con.execute(
        "INSERT OR REPLACE INTO feed_cursor VALUES (?, ?, ?, ?, now())",
        [source, cursor.page_id, cursor.etag, cursor.last_modified],
    )


def quarantine(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Keep bad inputs with their error so one bad entry never stops a run and none is lost silently."""
    now = datetime.now(timezone.utc)
    staged = [{"source": r["source"], "ref": r["ref"], "error": r["error"], "payload": r.get("payload"),
               "run_id": r.get("run_id"), "quarantined_at": now} for r in rows]
    if not _stage(con, "_stage_quarantine", staged):
        return 0
    con.execute("INSERT OR REPLACE INTO quarantine BY NAME SELECT * FROM _stage_quarantine")
    con.unregister("_stage_quarantine")
    return len(staged)


def record_run(con: duckdb.DuckDBPyConnection, run: Mapping[str, Any]) -> None:
    """Insert or update a run's provenance row (versions, counts, durations, errors)."""
    row = {k: (json.dumps(v, default=str) if k in ("counts", "durations", "errors") and v is not None else v)
           for k, v in run.items()}
    _stage(con, "_stage_run", [row])
    con.execute("INSERT OR REPLACE INTO runs BY NAME SELECT * FROM _stage_run")
    con.unregister("_stage_run")
