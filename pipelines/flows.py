"""Prefect flows: composition only. Every stage is a plain function elsewhere; tasks add retries and logs."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

from extractors.extract import Extractor
from pipelines.briefing.data import gather
from pipelines.briefing.render import render_html, write_briefing
from pipelines.ingest import IngestReport, ingest_feed
from pipelines.regions import FORUM_COUNTIES
from pipelines.settings import Settings
from pipelines.sources.nav_feed import FeedClient
from pipelines.sources.sample import SAMPLE_FEED_URL, SAMPLE_TOKEN, sample_feed_server
from pipelines.stages import StageReport, extract_pending, normalise_pending
from warehouse.db import fetch_value, open_warehouse
from warehouse.load import record_run
from warehouse.publish import publish_snapshot
from warehouse.trends import latest_data_week, previous_week, refresh_trends

AD_SOURCE = "nav"


def make_feed_client(settings: Settings, *, demo: bool) -> FeedClient:
    """The production client; in demo mode it reads the bundled sample through an in-process transport."""
    if demo:
        server = sample_feed_server()
        return FeedClient(SAMPLE_FEED_URL, SAMPLE_TOKEN, transport=server.as_transport(),
                          page_size=server.default_page_size)
    return FeedClient(settings.feed_url, settings.require_token(), page_size=settings.page_size)


@task(name="ingest", retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)
def ingest_task(con: duckdb.DuckDBPyConnection, client: FeedClient, cursor_key: str, run_id: str) -> IngestReport:
    """Feed → raw entries; retried as a whole because the cursor makes a retry resume, not repeat."""
    return ingest_feed(con, client, source=cursor_key, run_id=run_id)


@task(name="normalise", cache_policy=NO_CACHE)
def normalise_task(con: duckdb.DuckDBPyConnection, cursor_key: str, run_id: str) -> StageReport:
    """Raw entries → masked, located ad versions."""
    return normalise_pending(con, run_id, source=cursor_key)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str) -> StageReport:
    """Ad versions → competence mentions (load included, batch by batch)."""
    return extract_pending(con, extractor, run_id)


@task(name="trends", cache_policy=NO_CACHE)
def trends_task(con: duckdb.DuckDBPyConnection, week: str, min_ads: int) -> dict[str, int]:
    """Rebuild the trend tables for the report week."""
    return refresh_trends(con, week, min_ads=min_ads)


@task(name="publish", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_task(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Atomically replace the analysts' snapshot."""
    return publish_snapshot(con, target)


@task(name="briefing", cache_policy=NO_CACHE)
def briefing_task(con: duckdb.DuckDBPyConnection, week: str, regions: list[str], settings: Settings) -> Path:
    """Write the week's forum briefing from the trend tables."""
    data = gather(con, week, regions, min_cell_ads=settings.min_cell_ads)
    return write_briefing(render_html(data), settings.briefings_dir, week, regions)


def _run_id() -> str:
    """The Prefect flow run id when there is one, so warehouse rows link to the Prefect UI."""
    try:
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - outside a flow run (direct .fn() call)
        return str(uuid.uuid4())


@contextmanager
def timed(durations: dict[str, float], name: str) -> Iterator[None]:
    """Record how long a stage took, for the runs table."""
    start = time.perf_counter()
    try:
        yield
    finally:
        durations[name] = round(time.perf_counter() - start, 3)


@flow(name="weekly", log_prints=False)
def weekly(week: str | None = None, demo: bool = False, data_dir: str | None = None, feed_url: str | None = None,
           regions: list[str] | None = None) -> dict[str, Any]:
    """Ingest → normalise → extract → load → trends → publish → briefing, recorded in `runs`."""
    logger = get_run_logger()
    settings = Settings.from_env().with_overrides(data_dir=Path(data_dir) if data_dir else None, feed_url=feed_url)
    regions = list(regions or FORUM_COUNTIES)
    run_id = _run_id()
    cursor_key = f"{AD_SOURCE}:{SAMPLE_FEED_URL if demo else settings.feed_url}"
    run: dict[str, Any] = {"run_id": run_id, "flow": "weekly", "started_at": datetime.now(timezone.utc),
                           "status": "RUNNING", "source": cursor_key}
    durations: dict[str, float] = {}
    counts: dict[str, Any] = {}
    con = open_warehouse(settings.warehouse_path)
    try:
        record_run(con, run)
        with timed(durations, "ingest"), make_feed_client(settings, demo=demo) as client:
            ingest = ingest_task(con, client, cursor_key, run_id)
        counts["ingest"] = asdict(ingest)
        with timed(durations, "normalise"):
            counts["normalise"] = asdict(normalise_task(con, cursor_key, run_id))
        with timed(durations, "load_models"):
            extractor = Extractor.load()
        with timed(durations, "extract"):
            counts["extract"] = asdict(extract_task(con, extractor, run_id))
        week = week or (latest_data_week(con) if demo else None) or previous_week(date.today())
        with timed(durations, "trends"):
            counts["trends"] = trends_task(con, week, settings.min_cell_ads)
        run.update(week=week, extractor_version=extractor.version, taxonomy_version=extractor.lexicon.version)
        counts["warehouse"] = table_counts(con)
        run.update(status="COMPLETED", finished_at=datetime.now(timezone.utc), counts=counts, durations=durations)
        record_run(con, run)
        with timed(durations, "publish"):
            snapshot = publish_task(con, settings.snapshot_path)
        with timed(durations, "briefing"):
            briefing = briefing_task(con, week, regions, settings)
        record_run(con, dict(run, durations=durations))
    except BaseException as exc:
        run.update(status="FAILED", finished_at=datetime.now(timezone.utc), counts=counts, durations=durations,
                   errors=[f"{type(exc).__name__}: {exc}"])
        record_run(con, run)
        raise
    finally:
        con.close()
    summary = {"run_id": run_id, "week": week, "regions": regions, "warehouse": str(settings.warehouse_path),
               "snapshot": str(snapshot), "briefing": str(briefing), "counts": counts, "durations": durations}
    create_markdown_artifact(key="weekly-summary", markdown=summary_markdown(summary),
                             description=f"Kompetanseradar weekly run for {week}")
    logger.info("weekly run for %s done: %s", week, counts["warehouse"])
    return summary


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the tables analysts use, for the summary and the runs table."""
    tables = ("raw_entries", "ad_versions", "ads", "mentions", "concepts", "quarantine", "ads_weekly",
              "skill_demand_weekly", "skill_trends")
    return {t: fetch_value(con, f"SELECT count(*) FROM {t}") for t in tables}


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as Markdown, for the Prefect artifact."""
    lines = [f"# Kompetanseradar – {summary['week']}", "", f"Briefing: `{summary['briefing']}`",
             f"Snapshot: `{summary['snapshot']}`", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["counts"].get("warehouse", {}).items()]
    lines += ["", "| stage | seconds |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in summary["durations"].items()]
    return "\n".join(lines)
