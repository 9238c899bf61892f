"""Analysts read the snapshot from another process while the run writes, and are never blocked."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import InputError, WarehouseError
from warehouse.db import open_warehouse
from warehouse.publish import publish_snapshot
from warehouse.query import run_readonly_query
from tests.warehouse.helpers import add_ads

READER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM ads").fetchone()[0])
"""


LOCKED = """
import sys
from pipelines.errors import WarehouseError
from warehouse.db import connect
try:
    connect(sys.argv[1], read_only=True)
except WarehouseError as exc:
    print(exc)
"""


def read_in_other_process(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def test_reader_in_another_process_sees_the_last_snapshot_while_the_writer_holds_its_file(tmp_path: Path) -> None:
    private, snapshot = tmp_path / "radar.duckdb", tmp_path / "analytics.duckdb"
    con = open_warehouse(private)
    add_ads(con, "2026-W47", "Østfold", 3, {}, prefix="a")
    publish_snapshot(con, snapshot)
    add_ads(con, "2026-W48", "Østfold", 4, {}, prefix="b")  # the run goes on writing
    assert read_in_other_process(snapshot) == 3
    locked = subprocess.run([sys.executable, "-c", LOCKED, str(private)], capture_output=True, text=True, timeout=60)
    assert "analytics.duckdb" in locked.stdout  # the private file is the writer's alone; the error points on
    publish_snapshot(con, snapshot)
    assert read_in_other_process(snapshot) == 7
    con.close()


def test_open_reader_keeps_its_view_across_a_publish(tmp_path: Path) -> None:
    private, snapshot = tmp_path / "radar.duckdb", tmp_path / "analytics.duckdb"
    con = open_warehouse(private)
    add_ads(con, "2026-W47", "Oslo", 2, {}, prefix="a")
    publish_snapshot(con, snapshot)
    reader = duckdb.connect(str(snapshot), read_only=True)
    add_ads(con, "2026-W48", "Oslo", 5, {}, prefix="b")
    publish_snapshot(con, snapshot)
    assert reader.execute("SELECT count(*) FROM ads").fetchone()[0] == 2
    reader.close()
    assert read_in_other_process(snapshot) == 7
    con.close()


def test_radar_sql_refuses_writes_and_reads_views(tmp_path: Path) -> None:
    private, snapshot = tmp_path / "radar.duckdb", tmp_path / "analytics.duckdb"
    con = open_warehouse(private)
    add_ads(con, "2026-W47", "Oslo", 2, {}, prefix="a")
    publish_snapshot(con, snapshot)
    con.close()
    columns, rows = run_readonly_query(snapshot, "SELECT county_name_2024, count(*) AS n FROM ads GROUP BY 1")
    assert columns == ["county_name_2024", "n"] and rows == [("Oslo", 2)]
    with pytest.raises(InputError, match="read-only"):
        run_readonly_query(snapshot, "DELETE FROM ad_state")
    with pytest.raises(WarehouseError, match="radar weekly --demo"):
        run_readonly_query(tmp_path / "missing.duckdb", "SELECT 1")


@pytest.fixture()
def small_snapshot(tmp_path: Path) -> Path:
    con = open_warehouse(tmp_path / "radar.duckdb")
    add_ads(con, "2026-W47", "Oslo", 2, {"ki": 1}, prefix="a")
    snapshot = publish_snapshot(con, tmp_path / "analytics.duckdb")
    con.close()
    return snapshot


def test_snapshot_is_in_a_storage_format_the_pypi_duckdb_cli_reads(small_snapshot: Path) -> None:
    """PyPI's duckdb-cli is 1.5.x and reads storage versions 64-68, not DuckDB 2.0's own format."""
    header = small_snapshot.read_bytes()[:20]  # main header: checksum (8 bytes), b"DUCK", storage version (uint64)
    assert header[8:12] == b"DUCK" and 64 <= struct.unpack("<Q", header[12:20])[0] <= 68


def test_plain_duckdb_cli_reads_the_snapshot_and_cannot_write_it(small_snapshot: Path) -> None:
    cli = shutil.which("duckdb")
    if cli is None:
        pytest.skip("no duckdb CLI on PATH (pip install duckdb-cli)")
    out = subprocess.run([cli, "-readonly", str(small_snapshot), "-csv", "-c", "SELECT count(*) AS n FROM ads"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == ["n", "2"], out.stderr
    refused = subprocess.run([cli, "-readonly", str(small_snapshot), "-c", "DELETE FROM ad_state"],
                             capture_output=True, text=True, timeout=60)
    assert "read-only" in refused.stdout + refused.stderr


def test_snapshot_holds_the_same_analyst_data_with_heavy_views_stored_and_comments_kept(tmp_path: Path) -> None:
    from warehouse.dictionary import analyst_relations, undocumented
    from warehouse.trends import refresh_trends

    con = open_warehouse(tmp_path / "radar.duckdb")
    add_ads(con, "2026-W47", "Østfold", 4, {"ki": 3}, prefix="a", unmapped_for={"ny frase": 2})
    add_ads(con, "2026-W48", "Buskerud", 5, {"ki": 1, "truck": 4}, prefix="b")
    refresh_trends(con, "2026-W48")
    snapshot = publish_snapshot(con, tmp_path / "analytics.duckdb")
    private = {r.name: con.execute(f'SELECT * FROM "{r.name}" ORDER BY ALL').fetchall() for r in analyst_relations(con)}
    con.close()
    reader = duckdb.connect(str(snapshot), read_only=True)
    relations = analyst_relations(reader)
    assert {r.name: reader.execute(f'SELECT * FROM "{r.name}" ORDER BY ALL').fetchall() for r in relations} == private
    kinds = {r.name: r.kind for r in relations}
    assert kinds["ads"] == "table" and kinds["policy_vs_demand"] == "table" and kinds["mentions"] == "view"
    assert undocumented(relations) == []
    assert reader.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                          ).fetchone() == (0,)  # a reader needs no keys; building them was most of the copy time
    reader.close()
