"""Opening the warehouse and applying its numbered migrations exactly once each."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pipelines.errors import WarehouseError

MIGRATION_RE = re.compile(r"^(\d{3})_([\w-]+)\.sql$")


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, turning a lock conflict into a message that says what to do."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise WarehouseError(
            f"Cannot open {path}: {exc}. Another process (a weekly run?) holds it. Analysts query the "
            "published snapshot instead: `radar sql` or `duckdb -readonly data/analytics.duckdb`."
        ) from exc


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """First row of a query, with the result consumed: DuckDB 2 refuses register() while a result is open."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def fetch_value(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """First column of the first row (None when there is no row)."""
    row = fetch_one(con, sql, params)
    return row[0] if row else None


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged migration, in order."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migration_files():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"Migration {version:03d}_{name} failed and was rolled back: {exc}") from exc
        applied.append(version)
    return applied


def open_warehouse(path: Path | str) -> duckdb.DuckDBPyConnection:
    """The writer's connection, migrated to the current schema."""
    con = connect(path)
    migrate(con)
    return con
