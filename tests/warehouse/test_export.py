"""`radar export` writes the snapshot's analyst tables as Parquet, read-only."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.errors import InputError, WarehouseError
from warehouse.db import open_warehouse
from warehouse.export import export_parquet
from warehouse.publish import publish_snapshot
from warehouse.trends import refresh_trends
from tests.warehouse.helpers import add_ads


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    con = open_warehouse(tmp_path / "radar.duckdb")
    add_ads(con, "2026-W47", "Østfold", 4, {"ki": 3}, prefix="a")
    add_ads(con, "2026-W48", "Østfold", 5, {"ki": 5}, prefix="b")
    refresh_trends(con, "2026-W48")
    target = publish_snapshot(con, tmp_path / "analytics.duckdb")
    con.close()
    return target


def test_every_analyst_table_becomes_a_parquet_file_with_the_same_rows(snapshot: Path, tmp_path: Path) -> None:
    written = export_parquet(snapshot, tmp_path / "export")
    names = {w.name for w in written}
    assert {"ads", "mentions", "concepts", "skill_demand_weekly", "skill_trends", "emerging_terms", "runs"} <= names
    con = duckdb.connect(str(snapshot), read_only=True)
    for item in written:
        assert item.path == tmp_path / "export" / f"{item.name}.parquet"
        assert item.rows == con.execute(f"SELECT count(*) FROM {item.name}").fetchone()[0]
    assert con.execute(f"SELECT * FROM '{tmp_path / 'export' / 'skill_demand_weekly.parquet'}' ORDER BY ALL").fetchall() \
        == con.execute("SELECT * FROM skill_demand_weekly ORDER BY ALL").fetchall()
    con.close()
    assert not list((tmp_path / "export").glob(".*tmp"))


def test_unknown_names_and_a_missing_snapshot_are_explained(snapshot: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="choose from ads, mentions"):
        export_parquet(snapshot, tmp_path / "export", ["ads", "ad_state"])
    with pytest.raises(WarehouseError, match="radar weekly --demo"):
        export_parquet(tmp_path / "nothing.duckdb", tmp_path / "export")


def test_radar_export_command(snapshot: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--data-dir", str(snapshot.parent), "-t", "skill_trends",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "skill_trends.parquet" in result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["skill_trends.parquet"]
