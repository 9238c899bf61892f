"""Prefect flows: composition only. Every stage is a plain function elsewhere; tasks add retries and logs."""

from __future__ import annotations

import ctypes
import gc
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

from extractors.extract import Extractor
from pipelines.briefing.build import build_briefing
from pipelines.briefing.pdf import find_chromium
from pipelines.dedupe import link_duplicates
from pipelines.errors import ConfigError, InputError
from pipelines.ingest import IngestReport, ingest_feed
from pipelines.regions import FORUM_COUNTIES
from pipelines.scale import ExtractorSpec, dask_task_runner, extract_on_dask
from pipelines.settings import Settings
from pipelines.sources.nav_feed import FeedClient
from pipelines.sources.sample import SAMPLE_FEED_URL, SAMPLE_TOKEN, sample_feed_server
from pipelines.stages import StageReport, extract_pending, load_occupation_classifier, normalise_pending
from pipelines.strategy import default_registry_path, ingest_strategies
from warehouse.db import fetch_value, open_warehouse
from warehouse.load import record_run
from warehouse.publish import publish_snapshot
from warehouse.trends import iso_week_of, latest_data_week, parse_iso_week, previous_week, refresh_trends

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

AD_SOURCE = "nav"
# Timeouts on the I/O tasks only (a hung socket, disk or Chromium fails the task and its retry resumes);
# the CPU stages are bounded by their input and get none. A first ingestion of the whole feed that needs
# longer goes on from its cursor in the retry and in the next run.
INGEST_TIMEOUT_S = 2 * 3600
STRATEGY_TIMEOUT_S = 30 * 60
PUBLISH_TIMEOUT_S = 10 * 60
BRIEFING_TIMEOUT_S = 15 * 60


def make_feed_client(settings: Settings, *, demo: bool) -> FeedClient:
    """The production client; in demo mode it reads the bundled sample through an in-process transport."""
    if demo:
        server = sample_feed_server()
        return FeedClient(SAMPLE_FEED_URL, SAMPLE_TOKEN, transport=server.as_transport(),
                          page_size=server.default_page_size)
    return FeedClient(settings.feed_url, settings.require_token(), page_size=settings.page_size)


@task(name="ingest", retries=2, retry_delay_seconds=[5, 30], timeout_seconds=INGEST_TIMEOUT_S,
      cache_policy=NO_CACHE)
def ingest_task(con: duckdb.DuckDBPyConnection, client: FeedClient, cursor_key: str, run_id: str) -> IngestReport:
    """Feed → raw entries; retried as a whole because the cursor makes a retry resume, not repeat."""
    return ingest_feed(con, client, source=cursor_key, run_id=run_id)


@task(name="normalise", cache_policy=NO_CACHE)
def normalise_task(con: duckdb.DuckDBPyConnection, cursor_key: str, run_id: str,
                   occupation_model: str | None = None) -> StageReport:
    """Raw entries → masked, located ad versions, uncoded ones given a STYRK-08 code by the occupation classifier."""
    return normalise_pending(con, run_id, source=cursor_key, classifier=load_occupation_classifier(occupation_model))


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe_task(con: duckdb.DuckDBPyConnection) -> int:
    """Link re-posted ads (across all sources) to their originals, so trends count distinct ads."""
    return link_duplicates(con)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str, processes: int = 1
                 ) -> StageReport:
    """Ad versions → competence mentions (load included, batch by batch)."""
    return extract_pending(con, extractor, run_id, processes=processes)


@task(name="strategies", retries=1, retry_delay_seconds=30, timeout_seconds=STRATEGY_TIMEOUT_S,
      cache_policy=NO_CACHE)
def strategy_task(con: duckdb.DuckDBPyConnection, extractor: Extractor, registry: Path, cache_dir: Path,
                  run_id: str) -> dict[str, Any]:
    """Strategy documents → sections, sentences, weighted priorities (unchanged documents are skipped)."""
    return ingest_strategies(con, extractor, registry, cache_dir, run_id).as_dict()


@task(name="trends", cache_policy=NO_CACHE)
def trends_task(con: duckdb.DuckDBPyConnection, week: str, min_ads: int) -> dict[str, int]:
    """Rebuild the trend tables for the report week."""
    return refresh_trends(con, week, min_ads=min_ads)


@task(name="publish", retries=2, retry_delay_seconds=5, timeout_seconds=PUBLISH_TIMEOUT_S,
      cache_policy=NO_CACHE)
def publish_task(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Atomically replace the analysts' snapshot."""
    return publish_snapshot(con, target)


@task(name="briefing", retries=1, retry_delay_seconds=10, timeout_seconds=BRIEFING_TIMEOUT_S,
      cache_policy=NO_CACHE)
def briefing_task(con: duckdb.DuckDBPyConnection, week: str, regions: list[str], settings: Settings) -> Path:
    """Write the week's forum briefing (HTML, Markdown, and PDF where Chromium is installed) and link it in Prefect.

    A missing Chromium costs the run its PDF, not its data: the warning and the artifact both say how to fix it.
    """
    logger = get_run_logger()
    try:
        chromium: Path | None = find_chromium()
    except ConfigError as exc:
        chromium = None
        logger.warning("briefing PDF not written: %s", exc)
    files = build_briefing(con, week, regions, settings.briefings_dir, min_cell_ads=settings.min_cell_ads,
                           pdf=chromium is not None, chromium=chromium)
    logger.info("briefing %s written in %s s: %s", week, files.durations, files.html)
    title = f"Ukebrief {week}: {', '.join(files.data.regions)}"
    create_link_artifact(key="forum-briefing", link=files.html.resolve().as_uri(), link_text=f"{title} (HTML)",
                         description=f"Forum briefing for {week}, self-contained HTML: {files.html}")
    if files.pdf is not None:
        create_link_artifact(key="forum-briefing-pdf", link=files.pdf.resolve().as_uri(), link_text=f"{title} (PDF)",
                             description=f"Forum briefing for {week}, PDF: {files.pdf}")
    note = "" if files.pdf is not None else (
        "> PDF ikke laget: Chromium mangler på maskinen (`apt-get install chromium`).\n\n")
    create_markdown_artifact(key="forum-briefing-markdown", markdown=note + files.markdown.read_text(encoding="utf-8"),
                             description=f"Forum briefing for {week} as Markdown (the e-mail text)")
    return files.html


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


@dataclass
class RunBook:
    """A run's row in `runs` with its counts and stage times: the bookkeeping every flow keeps the same way."""

    flow: str
    con: duckdb.DuckDBPyConnection
    row: dict[str, Any]
    counts: dict[str, Any] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """The id warehouse rows carry, to find the run in the Prefect UI."""
        return self.row["run_id"]

    def complete(self) -> None:
        """Record the run COMPLETED before publishing, so the snapshot carries its own run."""
        self.row.update(status="COMPLETED", finished_at=datetime.now(timezone.utc), counts=self.counts,
                        durations=self.durations)
        record_run(self.con, self.row)

    def record_durations(self) -> None:
        """Record the stage times of what ran after `complete` (publish, briefing) in the private warehouse."""
        record_run(self.con, dict(self.row, durations=self.durations))

    def publish_counts(self) -> None:
        """The counts table artifact, for finished and failed runs alike."""
        publish_counts_artifact(self.flow, self.row, self.counts, self.durations)


@contextmanager
def booked_run(flow_name: str, settings: Settings, *, source: str, **fields: Any) -> Iterator[RunBook]:
    """Open the warehouse and keep the run's row in `runs`: RUNNING at once, FAILED with its error (and the
    counts artifact) when the block raises; the connection is closed either way."""
    row: dict[str, Any] = {"run_id": _run_id(), "flow": flow_name, "started_at": datetime.now(timezone.utc),
                           "status": "RUNNING", "source": source, **fields}
    con = open_warehouse(settings.warehouse_path)
    book = RunBook(flow_name, con, row)
    try:
        record_run(con, row)
        yield book
    except BaseException as exc:
        row.update(status="FAILED", finished_at=datetime.now(timezone.utc), counts=book.counts,
                   durations=book.durations, errors=[f"{type(exc).__name__}: {exc}"])
        record_run(con, row)
        book.publish_counts()
        raise
    finally:
        con.close()


def run_settings(data_dir: str | None, feed_url: str | None, extract_processes: int | None = None) -> Settings:
    """The environment's settings with the flow's parameters over them: flows read configuration here only."""
    return Settings.from_env().with_overrides(data_dir=Path(data_dir) if data_dir else None, feed_url=feed_url,
                                              extract_processes=extract_processes)


def feed_cursor_key(settings: Settings, *, demo: bool) -> str:
    """The stream the ingest cursor is kept under: the sample and NAV's feed never share a cursor."""
    return f"{AD_SOURCE}:{SAMPLE_FEED_URL if demo else settings.feed_url}"


def task_runner(dask_address: str | None, dask_workers: int | None) -> DaskTaskRunner | None:
    """The Dask runner for extraction, or None to extract in this process; a bad address fails before any write."""
    if dask_address is None:
        if dask_workers is not None:
            raise ConfigError("dask_workers sizes a local Dask cluster: also set dask_address='local'.")
        return None
    return dask_task_runner(dask_address, workers=dask_workers)


@flow(name="weekly", log_prints=False)
def weekly(week: str | None = None, demo: bool = False, data_dir: str | None = None, feed_url: str | None = None,
           regions: list[str] | None = None, dask_address: str | None = None,
           dask_workers: int | None = None, extract_processes: int | None = None) -> dict[str, Any]:
    """Ingest → normalise → extract → load → trends → publish → briefing, recorded in `runs`.

    dask_address: extract on Dask ("local" for a LocalCluster of `dask_workers` processes, one per core by
    default, or a scheduler's tcp:// address); see pipelines.scale. Without Dask, extract_processes forked
    workers run the spaCy pipelines (default: RADAR_EXTRACT_PROCESSES, else one per core, at most four).
    """
    logger = get_run_logger()
    settings = run_settings(data_dir, feed_url, extract_processes)
    regions = list(regions or FORUM_COUNTIES)
    cursor_key = feed_cursor_key(settings, demo=demo)
    runner = task_runner(dask_address, dask_workers)
    with booked_run("weekly", settings, source=cursor_key) as book:
        con, counts, durations = book.con, book.counts, book.durations
        versions = update_stores(con, settings, demo=demo, run_id=book.run_id, cursor_key=cursor_key,
                                 runner=runner, counts=counts, durations=durations)
        week = week or (latest_data_week(con) if demo else None) or previous_week(date.today())
        with timed(durations, "trends"):
            counts["trends"] = trends_task(con, week, settings.min_cell_ads)
        book.row.update(week=week, **versions)
        counts["warehouse"] = table_counts(con)
        book.complete()
        with timed(durations, "publish"):
            snapshot = publish_task(con, settings.snapshot_path)
        with timed(durations, "briefing"):
            briefing = briefing_task(con, week, regions, settings)
        book.record_durations()
    summary = {"run_id": book.run_id, "week": week, "regions": regions, "warehouse": str(settings.warehouse_path),
               "snapshot": str(snapshot), "briefing": str(briefing), "counts": counts, "durations": durations}
    create_markdown_artifact(key="weekly-summary", markdown=summary_markdown(summary),
                             description=f"Kompetanseradar weekly run for {week}")
    book.publish_counts()
    logger.info("weekly run for %s done: %s", week, counts["warehouse"])
    return summary


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the tables analysts use, for the summary and the runs table."""
    tables = ("raw_entries", "ad_versions", "ads", "mentions", "concepts", "quarantine", "ads_weekly",
              "skill_demand_weekly", "skill_trends", "emerging_terms", "ad_concepts")
    return {t: fetch_value(con, f"SELECT count(*) FROM {t}") for t in tables}


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as Markdown, for the Prefect artifact."""
    lines = [f"# Kompetanseradar – {summary['week']}", "", f"Briefing: `{summary['briefing']}`",
             f"Snapshot: `{summary['snapshot']}`", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["counts"].get("warehouse", {}).items()]
    lines += ["", "| stage | seconds |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in summary["durations"].items()]
    return "\n".join(lines)


def extract_stage(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str,
                  runner: DaskTaskRunner | None, settings: Settings) -> StageReport:
    """In this process, or in chunks on the runner's Dask cluster (whose workers build the same extractor)."""
    if runner is None:
        return extract_task(con, extractor, run_id, settings.extract_processes)
    spec = ExtractorSpec(models_dir=str(Path(settings.model_cache_dir).resolve()), encoder=settings.encoder)
    return extract_on_dask(con, extractor, run_id, runner, spec=spec)


def counts_rows(counts: dict[str, Any], durations: dict[str, float]) -> list[dict[str, Any]]:
    """Every number of a run as (stage, measure, value) rows: one table however the stages' reports differ."""
    rows: list[dict[str, Any]] = []
    for stage, value in counts.items():
        items = value.items() if isinstance(value, dict) else [("count", value)]
        rows += [{"stage": stage, "measure": measure, "value": number} for measure, number in items
                 if isinstance(number, (int, float)) and not isinstance(number, bool)]
    rows += [{"stage": stage, "measure": "seconds", "value": seconds} for stage, seconds in durations.items()]
    return rows


def publish_counts_artifact(flow_name: str, run: dict[str, Any], counts: dict[str, Any],
                            durations: dict[str, float]) -> None:
    """The run's counts as a Prefect table artifact, failed runs included; a report never fails the run."""
    try:
        create_table_artifact(key=f"{flow_name}-counts", table=counts_rows(counts, durations),
                              description=f"Kompetanseradar {flow_name} run {run['run_id']}: {run['status']}, "
                                          f"week {run.get('week') or '?'}")
    except Exception as exc:  # noqa: BLE001 - the API being away must not turn a finished run into a failure
        get_run_logger().warning("counts artifact not written: %s", exc)


def parse_week(value: str) -> str:
    """An ISO week ('2026-W40') or a date ('2026-10-01', meaning its week) as an ISO week label."""
    text = value.strip()
    if "W" in text.upper():
        return iso_week_of(parse_iso_week(text))
    try:
        return iso_week_of(date.fromisoformat(text))
    except ValueError as exc:
        raise InputError(f"{value!r} is neither an ISO week nor a date: write 2026-W40 or 2026-10-01.") from exc


def week_range(start: str, end: str) -> list[str]:
    """Every ISO week from start to end, both included, oldest first."""
    first, last = parse_iso_week(parse_week(start)), parse_iso_week(parse_week(end))
    if last < first:
        raise InputError(f"The backfill ends ({end}) before it starts ({start}): give start ≤ end.")
    return [iso_week_of(first + timedelta(weeks=n)) for n in range((last - first).days // 7 + 1)]


def update_stores(con: duckdb.DuckDBPyConnection, settings: Settings, *, demo: bool, run_id: str, cursor_key: str,
                  runner: DaskTaskRunner | None, counts: dict[str, Any], durations: dict[str, float]) -> dict[str, str]:
    """The weekly run's stages before trends (ingest → normalise → dedupe → extract → strategies), incremental.

    Returns the extractor's and the lexicon's versions, not the extractor: the e5 encoder and its torch weights
    (~0.5 GB) are freed here, before trends, publishing and the briefing's Chromium add their own memory.
    """
    with timed(durations, "ingest"), make_feed_client(settings, demo=demo) as client:
        counts["ingest"] = asdict(ingest_task(con, client, cursor_key, run_id))
    with timed(durations, "normalise"):
        counts["normalise"] = asdict(normalise_task(con, cursor_key, run_id, settings.occupation_model))
    with timed(durations, "dedupe"):
        counts["duplicates"] = dedupe_task(con)
    with timed(durations, "load_models"):
        extractor = Extractor.load(models_dir=settings.model_cache_dir, encoder=settings.encoder)
    with timed(durations, "extract"):
        counts["extract"] = asdict(extract_stage(con, extractor, run_id, runner, settings))
    with timed(durations, "strategies"):
        registry = settings.strategy_registry or default_registry_path(demo=demo)
        counts["strategy"] = strategy_task(con, extractor, registry,
                                           settings.data_dir / "cache" / "strategy", run_id)
    versions = {"extractor_version": extractor.version, "taxonomy_version": extractor.lexicon.version}
    del extractor
    release_memory()
    return versions


def release_memory() -> None:
    """Collect the extractor's reference cycles and hand the freed heap back to the OS.

    glibc keeps freed memory in its arenas: after the encoder is gone a process still holds ~0.3 GB it no longer
    uses until malloc_trim returns it (measured: PSS 0.92 GB loaded, 0.86 GB after collection, 0.57 GB trimmed).
    """
    gc.collect()  # spaCy components point back at their pipeline
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps its own counsel
        pass


@flow(name="backfill", log_prints=False)
def backfill(start: str, end: str | None = None, demo: bool = False, data_dir: str | None = None,
             feed_url: str | None = None, regions: list[str] | None = None, briefings: bool = True,
             dask_address: str | None = None, dask_workers: int | None = None,
             extract_processes: int | None = None) -> dict[str, Any]:
    """Bring the stores up to date once, then trend tables and a briefing for every week from start to end.

    start and end are ISO weeks (2026-W40) or dates (their weeks); end defaults to last week. The stores are
    updated by the weekly run's own stages, so a backfill and the weekly runs never disagree; the trend tables
    are left as of `end`, as that week's weekly run leaves them, and the snapshot is published once at the end.
    dask_address, dask_workers and extract_processes: how extraction runs, as in `weekly`.
    """
    logger = get_run_logger()
    settings = run_settings(data_dir, feed_url, extract_processes)
    regions = list(regions or FORUM_COUNTIES)
    weeks = week_range(start, end or previous_week(date.today()))
    cursor_key = feed_cursor_key(settings, demo=demo)
    per_week: dict[str, dict[str, float]] = {}
    written: dict[str, str] = {}
    runner = task_runner(dask_address, dask_workers)
    with booked_run("backfill", settings, source=cursor_key, week=weeks[-1]) as book:
        con, counts, durations = book.con, book.counts, book.durations
        versions = update_stores(con, settings, demo=demo, run_id=book.run_id, cursor_key=cursor_key,
                                  runner=runner, counts=counts, durations=durations)
        book.row.update(**versions)
        for week in weeks:
            spent = per_week[week] = {}
            with timed(spent, "trends"):
                counts["trends"] = trends_task(con, week, settings.min_cell_ads)
            if briefings:
                with timed(spent, "briefing"):
                    written[week] = str(briefing_task(con, week, regions, settings))
            logger.info("backfill %s: %s", week, spent)
        for stage in ("trends", "briefing"):
            if any(stage in spent for spent in per_week.values()):
                durations[stage] = round(sum(spent.get(stage, 0.0) for spent in per_week.values()), 3)
        counts["backfill"] = {"weeks": len(weeks), "briefings": len(written)}
        counts["warehouse"] = table_counts(con)
        book.complete()
        with timed(durations, "publish"):
            snapshot = publish_task(con, settings.snapshot_path)
        book.record_durations()
    summary = {"run_id": book.run_id, "weeks": weeks, "regions": regions, "warehouse": str(settings.warehouse_path),
               "snapshot": str(snapshot), "briefings": written, "counts": counts, "durations": durations,
               "per_week": per_week}
    create_markdown_artifact(key="backfill-summary", markdown=backfill_markdown(summary),
                             description=f"Kompetanseradar backfill {weeks[0]} – {weeks[-1]}")
    book.publish_counts()
    logger.info("backfill %s – %s done: %s", weeks[0], weeks[-1], counts["warehouse"])
    return summary


def backfill_markdown(summary: dict[str, Any]) -> str:
    """The backfill summary as Markdown: one line per week, then the tables and stage times."""
    weeks = summary["weeks"]
    lines = [f"# Kompetanseradar backfill {weeks[0]} – {weeks[-1]} ({len(weeks)} weeks)", "",
             f"Snapshot: `{summary['snapshot']}`", "", "| week | trends s | briefing s | briefing |", "|---|---:|---:|---|"]
    lines += [f"| {week} | {spent.get('trends', '')} | {spent.get('briefing', '')} | "
              f"{'`' + summary['briefings'][week] + '`' if week in summary['briefings'] else ''} |"
              for week, spent in summary["per_week"].items()]
    lines += ["", "| table | rows |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["counts"].get("warehouse", {}).items()]
    lines += ["", "| stage | seconds |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in summary["durations"].items()]
    return "\n".join(lines)
