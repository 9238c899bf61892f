"""Parquet exports of the analysts' snapshot, for R, pandas, Power BI or anything else that reads Parquet."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import InputError, WarehouseError
from warehouse.db import fetch_value
from warehouse.dictionary import analyst_relations


@dataclass(frozen=True)
class Exported:
    """One written file and how many rows it holds."""

    name: str
    path: Path
    rows: int


def export_parquet(snapshot: Path, folder: Path, names: Sequence[str] | None = None) -> list[Exported]:
    """Write each analyst table and view of the snapshot (or the named ones) to <folder>/<name>.parquet.

    The snapshot is opened read-only, so an export never waits for or blocks a run; each file is written beside
    its target and renamed over it, so a reader of the folder never sees half a file.
    """
    if not snapshot.exists():
        raise WarehouseError(f"No snapshot at {snapshot}: run `radar weekly --demo` (or wait for the weekly run).")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        available = [r.name for r in analyst_relations(con)]
        wanted = list(dict.fromkeys(names)) if names else available
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise InputError(f"Cannot export {', '.join(unknown)}: choose from {', '.join(available)}.")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name in wanted:
            target = folder / f"{name}.parquet"
            tmp = folder / f".{name}.parquet.{os.getpid()}.tmp"
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{_quote(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
            os.replace(tmp, target)
            rows = fetch_value(con, "SELECT count(*) FROM read_parquet(?)", [str(target)])
            written.append(Exported(name, target, int(rows)))
        return written
    finally:
        con.close()


def _quote(path: Path) -> str:
    """A path inside a single-quoted SQL string literal."""
    return str(path).replace("'", "''")
