"""`radar ingest strategy`: read the registered strategy documents into the warehouse.

Registered by the CLI as `ingest_app.command("strategy")(strategy)` (the `radar ingest` group).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer


def strategy(
    registry: Annotated[
        Optional[Path],
        typer.Option(
            "--registry",
            help="YAML registry of documents (default: the shipped national and regional list; "
            "with --demo the sample corpus).",
            dir_okay=False,
        ),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Use the embedded sample documents' registry.")] = False,
    force: Annotated[
        bool, typer.Option(help="Re-read documents even when their bytes are unchanged.")
    ] = False,
    publish: Annotated[bool, typer.Option(help="Publish the analysts' snapshot afterwards.")] = True,
    data_dir: Annotated[
        Optional[Path],
        typer.Option("--data-dir", help="Data directory (default: $RADAR_DATA_DIR or ./data)."),
    ] = None,
) -> None:
    """Fetch (cached), read and store strategy documents with their priorities and citations."""
    from rich.console import Console
    from rich.table import Table

    from extractors.extract import Extractor
    from pipelines.errors import SourceError
    from pipelines.settings import Settings
    from pipelines.strategy import default_registry_path, ingest_strategies
    from warehouse.db import open_warehouse
    from warehouse.load import record_run
    from warehouse.publish import publish_snapshot

    settings = Settings.from_env().with_overrides(data_dir=data_dir)
    registry_path = registry or default_registry_path(demo=demo)
    run_id = str(uuid.uuid4())
    run = {
        "run_id": run_id,
        "flow": "ingest-strategy",
        "started_at": datetime.now(timezone.utc),
        "status": "RUNNING",
        "source": str(registry_path),
    }
    con = open_warehouse(settings.warehouse_path)
    try:
        record_run(con, run)
        try:
            report = ingest_strategies(
                con,
                Extractor.load(),
                registry_path,
                settings.data_dir / "cache" / "strategy",
                run_id,
                force=force,
            )
        except BaseException as exc:
            record_run(
                con,
                dict(
                    run,
                    status="FAILED",
                    finished_at=datetime.now(timezone.utc),
                    errors=[f"{type(exc).__name__}: {exc}"],
                ),
            )
            raise
        record_run(
            con,
            dict(
                run,
                status="COMPLETED",
                finished_at=datetime.now(timezone.utc),
                counts={"strategy": report.as_dict()},
            ),
        )
        if publish:
            publish_snapshot(con, settings.snapshot_path)
        top = con.execute(
            "SELECT document, concept_label, round(sum(weight), 2) AS w, count(*) AS n FROM priorities "
            "GROUP BY ALL ORDER BY w DESC LIMIT 10"
        ).fetchall()
    finally:
        con.close()
    console = Console()
    console.print(
        f"[bold]Strategy documents[/bold] from {registry_path}: {report.documents} registered, "
        f"{report.ingested} read, {report.unchanged} unchanged, {report.failed} failed; "
        f"{report.sentences} sentences, {report.priority_sentences} priority statements, "
        f"{report.priority_mentions} linked priority mentions, "
        f"{report.occupation_area_statements} occupation-area statements"
    )
    for doc_id, warnings in report.warnings.items():
        for warning in warnings:
            console.print(f"[yellow]warning[/yellow] {doc_id}: {warning}")
    if top:
        table = Table("document", "concept", "weight", "mentions", title="Strongest priorities")
        for document, label, weight, n in top:
            table.add_row(document, label or "", str(weight), str(n))
        console.print(table)
    if publish:
        console.print(
            f'snapshot: {settings.snapshot_path} — try `radar sql "SELECT * FROM policy_vs_demand"`'
        )
    if report.documents and report.failed == report.documents:
        typer.echo("radar: no document could be read; see the warnings above.", err=True)
        raise typer.Exit(SourceError.exit_code)
