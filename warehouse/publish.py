"""Publishes the read-only snapshot analysts query, atomically, so a run never blocks or tears a read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.db import fetch_value

SNAPSHOT_ALIAS = "radar_snapshot"
# Written in the storage format of DuckDB 1.5, so the standalone `duckdb` CLI (PyPI's duckdb-cli is 1.5.x; it
# cannot read the 2.0 format) opens the snapshot as well as the Python module does.
SNAPSHOT_STORAGE_VERSION = "v1.5.0"
# Views that join or aggregate the big stores are stored as tables in the snapshot (nothing there can go stale: it
# is only read), with the column that orders their rows for DuckDB's zone maps (None: any order).
MATERIALISED_VIEWS: dict[str, str | None] = {"ads": "published", "policy_vs_demand": None}


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Copy the warehouse into a fresh file beside the target, then rename it over the target.

    Readers that opened the previous snapshot keep reading it (the old inode); new readers get the new one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    source = fetch_value(con, "SELECT current_database()")
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{tmp}' AS {SNAPSHOT_ALIAS} (STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        copy_for_readers(con, source, SNAPSHOT_ALIAS)
    finally:
        con.execute(f"USE \"{source}\"")
        con.execute(f"DETACH {SNAPSHOT_ALIAS}")
    os.replace(tmp, target)
    return target


def copy_for_readers(con: duckdb.DuckDBPyConnection, source: str, dest: str) -> None:
    """Tables without keys or indexes (a reader needs none, and building them is most of a full copy's time),
    the heavy views as tables, the other views as views, and every comment."""
    tables = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT temporary ORDER BY table_name", [source]).fetchall()
    views = con.execute(
        "SELECT view_name, sql, comment FROM duckdb_views() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT internal AND NOT temporary ORDER BY view_name", [source]).fetchall()
    for name, _ in tables:
        con.execute(f'CREATE TABLE {dest}.main."{name}" AS SELECT * FROM "{source}".main."{name}"')
    for name, _, _ in views:
        if name in MATERIALISED_VIEWS:
            order = MATERIALISED_VIEWS[name]
            con.execute(f'CREATE TABLE {dest}.main."{name}" AS SELECT * FROM "{source}".main."{name}"'
                        + (f' ORDER BY "{order}"' if order else ""))
    pending = [(name, sql) for name, sql, _ in views if name not in MATERIALISED_VIEWS]
    con.execute(f"USE {dest}")  # view definitions name their tables unqualified: bind them to the copy
    while pending:  # a view may read another view: create in passes until all bind
        failed = []
        for name, sql in pending:
            try:
                con.execute(sql)
            except duckdb.CatalogException:
                failed.append((name, sql))
        if len(failed) == len(pending):
            raise duckdb.CatalogException(f"Cannot recreate views {[n for n, _ in failed]} in the snapshot")
        pending = failed
    con.execute(f'USE "{source}"')
    kinds = {name: "TABLE" for name, _ in tables} | {
        name: "TABLE" if name in MATERIALISED_VIEWS else "VIEW" for name, _, _ in views}
    comments = [(name, c) for name, c in tables] + [(name, c) for name, _, c in views]
    for name, comment in comments:
        if comment:
            con.execute(f"COMMENT ON {kinds[name]} {dest}.main.\"{name}\" IS {_literal(comment)}")
    for table, column, comment in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = 'main' AND comment IS NOT NULL AND comment <> ''", [source]).fetchall():
        if table in kinds:
            con.execute(f'COMMENT ON COLUMN {dest}.main."{table}"."{column}" IS {_literal(comment)}')


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
