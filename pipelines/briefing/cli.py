"""`radar brief`: write a forum briefing (HTML, PDF, Markdown) from the analysts' snapshot.

Registered by the CLI as `app.command("brief")(brief)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def brief(
    week: Annotated[Optional[str], typer.Option(
        help="ISO week to report on, e.g. 2026-W48 (default: the week of the last weekly run).")] = None,
    region: Annotated[Optional[list[str]], typer.Option(
        "--region", "-r", help="County (2024 borders); repeat for several side by side (default: the forum's "
                               "Østfold, Akershus, Buskerud). The whole country is always shown beside them.")] = None,
    window: Annotated[int, typer.Option(
        help="Weeks in the reporting window (4, 13 or 52): top competences over it, changes against the "
             "window before.")] = 4,
    min_cell_ads: Annotated[Optional[int], typer.Option(
        help="Fewest ads a share or change may rest on (default: $RADAR_MIN_CELL_ADS or 5).")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Folder for the files (default: <data dir>/briefings).", file_okay=False)] = None,
    db: Annotated[Optional[Path], typer.Option(
        help="DuckDB file to read (default: the analysts' snapshot <data dir>/analytics.duckdb).",
        dir_okay=False)] = None,
    pdf: Annotated[bool, typer.Option(help="Also print the PDF (needs Chromium).")] = True,
    chromium: Annotated[Optional[Path], typer.Option(
        envvar="RADAR_CHROMIUM", help="Chromium binary for the PDF (default: chromium on PATH).", dir_okay=False)] = None,
    data_dir: Annotated[Optional[Path], typer.Option(
        "--data-dir", help="Data directory (default: $RADAR_DATA_DIR or ./data).")] = None,
) -> None:
    """Write the forum briefing for a week and regions: self-contained HTML, a PDF and Markdown for e-mail."""
    import time

    from pipelines.briefing.build import build_briefing
    from pipelines.briefing.data import open_for_week
    from pipelines.briefing.pdf import find_chromium
    from pipelines.regions import FORUM_COUNTIES
    from pipelines.settings import Settings

    started = time.perf_counter()
    settings = Settings.from_env().with_overrides(data_dir=data_dir, min_cell_ads=min_cell_ads)
    if pdf:
        find_chromium(chromium)  # fail before any work when the PDF cannot be printed
    con, week, recomputed = open_for_week(db or settings.snapshot_path, week, min_ads=settings.min_cell_ads)
    try:
        files = build_briefing(con, week, list(region or FORUM_COUNTIES), out or settings.briefings_dir,
                               min_cell_ads=settings.min_cell_ads, window_weeks=window, pdf=pdf, chromium=chromium,
                               recomputed=recomputed)
    finally:
        con.close()
    total = time.perf_counter() - started
    typer.echo(f"Briefing {files.data.week} for {', '.join(files.data.regions)} (+ Hele landet), "
               f"{files.data.window_weeks}-week window{' (trend tables rebuilt for the week)' if recomputed else ''}:")
    for path in (files.html, files.pdf, files.markdown):
        if path is not None:
            typer.echo(f"  {path}  ({path.stat().st_size / 1024:.0f} KiB)")
    typer.echo("sections: " + " · ".join(files.sections))
    typer.echo("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in files.durations.items()) + f", total {total:.2f}")
