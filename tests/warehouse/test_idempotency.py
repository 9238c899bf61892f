"""Running the same week twice changes nothing an analyst can see, even when the feed delivers everything again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipelines.ingest import ingest_feed
from pipelines.sources.nav_feed import FeedClient
from pipelines.sources.sample import SAMPLE_FEED_URL, SAMPLE_TOKEN, sample_feed_server
from pipelines.stages import extract_pending, normalise_pending
from warehouse.db import open_warehouse
from warehouse.dictionary import analyst_relations
from warehouse.trends import refresh_trends

STREAM = f"nav:{SAMPLE_FEED_URL}"
STORES = ("raw_entries", "ad_versions", "ad_state", "mentions_store", "extractions", "quarantine")


def run_week(con: duckdb.DuckDBPyConnection, extractor, run_id: str, week: str = "2026-W48") -> None:
    """The weekly flow's stages in its order, on the embedded sample feed."""
    server = sample_feed_server()
    with FeedClient(SAMPLE_FEED_URL, SAMPLE_TOKEN, transport=server.as_transport(),
                    page_size=server.default_page_size) as client:
        ingest_feed(con, client, source=STREAM, run_id=run_id)
    normalise_pending(con, run_id, source=STREAM)
    extract_pending(con, extractor, run_id)
    refresh_trends(con, week)


def analyst_contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every analyst table and view except `runs` (which records each run by design)."""
    return {r.name: con.execute(f'SELECT * FROM "{r.name}" ORDER BY ALL').fetchall()
            for r in analyst_relations(con) if r.name != "runs"}


def store_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in STORES}


def test_the_same_week_twice_changes_no_analyst_table(tmp_path: Path, extractor) -> None:
    con = open_warehouse(tmp_path / "radar.duckdb")
    run_week(con, extractor, "run-1")
    first, counts = analyst_contents(con), store_counts(con)
    assert len(first["ads"]) == 90 and len(first["mentions"]) > 500
    assert first["skill_demand_weekly"] and first["skill_trends"] and first["ads_weekly"]

    run_week(con, extractor, "run-2")  # the feed answers 304: nothing new
    assert analyst_contents(con) == first and store_counts(con) == counts

    con.execute("DELETE FROM feed_cursor")  # the feed delivers every entry again
    run_week(con, extractor, "run-3")
    assert analyst_contents(con) == first and store_counts(con) == counts
    con.close()
