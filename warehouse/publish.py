"""Publishes the read-only snapshot analysts query, atomically, so a run never blocks or tears a read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.db import fetch_value

SNAPSHOT_ALIAS = "radar_snapshot"


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Copy the whole warehouse into a fresh file beside the target, then rename it over the target.

    Readers that opened the previous snapshot keep reading it (the old inode); new readers get the new one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    source = fetch_value(con, "SELECT current_database()")
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{tmp}' AS {SNAPSHOT_ALIAS}")
    try:
        con.execute(f'COPY FROM DATABASE "{source}" TO {SNAPSHOT_ALIAS}')
    finally:
        con.execute(f"DETACH {SNAPSHOT_ALIAS}")
    os.replace(tmp, target)
    return target
