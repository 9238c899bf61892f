"""Migrations apply once each and record themselves."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import migrate, migration_files, open_warehouse


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    versions = [v for v, _, _ in migration_files()]
    assert con.execute("SELECT list(version ORDER BY version) FROM schema_migrations").fetchone()[0] == versions
    assert migrate(con) == []
    for view in ("ads", "mentions", "concepts"):
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0
    con.close()
