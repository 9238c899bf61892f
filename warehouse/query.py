"""Read-only queries on the analysts' snapshot, for `radar sql`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, TextIO

import duckdb

from pipelines.errors import InputError, WarehouseError


def run_readonly_query(snapshot: Path, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one query on the snapshot opened read-only; a writing statement is refused with the reason."""
    if not snapshot.exists():
        raise WarehouseError(f"No snapshot at {snapshot}: run `radar weekly --demo` (or wait for the weekly run).")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cur = con.execute(query)
    except (duckdb.InvalidInputException, duckdb.PermissionException) as exc:
        con.close()
        raise InputError(f"Refused: the analysts' snapshot is read-only, so `radar sql` only reads ({exc}).") from exc
    except duckdb.Error as exc:
        con.close()
        raise InputError(f"Query failed: {exc}") from exc
    try:
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def write_result(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, out: TextIO) -> None:
    """Write rows as a table, CSV or JSON lines."""
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        for row in rows:
            out.write(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False) + "\n")
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(file=out, width=200).print(table)
    else:
        raise InputError(f"--format must be table, csv or json, not {fmt!r}")
