"""`radar`: thin command-line wrappers over the pipeline's functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines.prefect_env import configure_prefect_env

configure_prefect_env()  # before anything imports prefect

from pipelines.errors import InputError, RadarError  # noqa: E402
from pipelines.settings import Settings  # noqa: E402

app = typer.Typer(
    help="Kompetanseradar: competence needs in Norwegian job ads and strategy documents, week by week.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Data directory (default: $RADAR_DATA_DIR or ./data).")]


def _settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Environment first, then command-line options."""
    return Settings.from_env().with_overrides(data_dir=data_dir, **overrides)


@app.command()
def weekly(
    demo: Annotated[bool, typer.Option(help="Run on the embedded sample corpus instead of NAV's feed.")] = False,
    week: Annotated[Optional[str], typer.Option(help="ISO week to report on, e.g. 2026-W48 (default: last week).")] = None,
    region: Annotated[Optional[list[str]], typer.Option(help="Region for the briefing; repeat for several.")] = None,
    data_dir: DataDir = None,
    feed_url: Annotated[Optional[str], typer.Option(help="Base URL of pam-stilling-feed.")] = None,
) -> None:
    """Run the weekly flow: ingest, normalise, extract, load, trends, snapshot, briefing."""
    from pipelines.flows import weekly as weekly_flow

    summary = weekly_flow(week=week, demo=demo, data_dir=str(data_dir) if data_dir else None,
                          feed_url=feed_url, regions=region)
    print_summary(summary)


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
def extract(
    input_path: Annotated[Path, typer.Argument(help="JSONL with one {\"id\", \"text\"} per line.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the mentions (JSONL).")],
    lang: Annotated[Optional[str], typer.Option(help="Force nb or nn (default: detect per text).")] = None,
) -> None:
    """Extract competence mentions from texts; bad lines are reported and skipped (exit code 4)."""
    from rich.progress import track

    from extractors.extract import Extractor
    from pipelines.normalise import detect_language

    lines = input_path.read_text(encoding="utf-8").splitlines()
    items, skipped = [], 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.append((str(record["id"]), str(record["text"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            skipped += 1
            typer.echo(f"{input_path}:{number}: skipped, not a {{\"id\", \"text\"}} object ({exc})", err=True)
    extractor = Extractor.load()
    with output.open("w", encoding="utf-8") as out:
        triples = ((i, t, lang or detect_language(t)) for i, t in items)
        for item_id, mentions in track(extractor.extract_many(triples), total=len(items),
                                       description="Extracting", console=None, transient=True):
            out.write(json.dumps({"id": item_id, "mentions": [m.as_dict() for m in mentions]}, ensure_ascii=False) + "\n")
    typer.echo(f"{len(items)} texts → {output}" + (f"; {skipped} line(s) skipped" if skipped else ""), err=True)
    if skipped:
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
