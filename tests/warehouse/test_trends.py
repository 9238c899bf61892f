"""Trend tables count distinct ads per cell and flag growth only when the interval supports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.db import open_warehouse
from warehouse.trends import parse_iso_week, refresh_trends
from tests.warehouse.helpers import add_ads

WEEKS = [f"2026-W{w}" for w in range(41, 49)]


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    for i, week in enumerate(WEEKS):
        late = i >= 4
        add_ads(con, week, "Østfold", 20, {"ki": 16 if late else 1, "truck": 10}, prefix="o")
        add_ads(con, week, "Oslo", 10, {"ki": 2, "truck": 5}, prefix="x")
    yield con
    con.close()


def test_weekly_demand_counts_distinct_ads_per_cell(con) -> None:
    refresh_trends(con, "2026-W48", min_ads=5)
    row = con.execute("""SELECT ads_with_concept, ads_in_cell, share, required_share FROM skill_demand_weekly
                         WHERE iso_week = '2026-W48' AND region_level = 'county' AND region_name = 'Østfold'
                           AND occupation_group = '*' AND concept_id = 'ki'""").fetchone()
    assert row == (16, 20, 0.8, 1.0)
    national = con.execute("""SELECT ads_in_cell FROM skill_demand_weekly WHERE iso_week = '2026-W48'
                              AND region_level = 'national' AND occupation_group = '7' AND concept_id = 'truck'""").fetchone()
    assert national == (30,)


def test_growth_is_flagged_only_with_interval_support(con) -> None:
    refresh_trends(con, "2026-W48", min_ads=5)
    rows = {r[0]: r[1:] for r in con.execute(
        """SELECT concept_id, share_recent, share_base, change_ci_low, change_ci_high, emerging, declining
           FROM skill_trends WHERE window_weeks = 4 AND region_name = 'Østfold'""").fetchall()}
    share_recent, share_base, lo, hi, emerging, declining = rows["ki"]
    assert (share_recent, share_base) == (0.8, 0.05)
    assert 0 < lo < 0.75 < hi and emerging and not declining
    _, _, lo, hi, emerging, declining = rows["truck"]
    assert lo < 0 < hi and not emerging and not declining


def test_duplicates_are_not_counted(con) -> None:
    con.execute("UPDATE ad_state SET duplicate_of = 'test:o-2026-W48-0' WHERE ad_id = 'test:o-2026-W48-1'")
    refresh_trends(con, "2026-W48")
    assert con.execute("""SELECT ads FROM ads_weekly WHERE iso_week = '2026-W48' AND region_name = 'Østfold'
                          AND occupation_group = '*'""").fetchone() == (19,)


def test_rebuild_is_idempotent(con) -> None:
    first = refresh_trends(con, "2026-W48")
    snapshot = con.execute("SELECT * FROM skill_trends ORDER BY ALL").fetchall()
    assert refresh_trends(con, "2026-W48") == first
    assert con.execute("SELECT * FROM skill_trends ORDER BY ALL").fetchall() == snapshot


def test_iso_week_errors_say_the_expected_form() -> None:
    assert str(parse_iso_week("2026-W01")) == "2025-12-29"
    with pytest.raises(Exception, match="2026-W48"):
        parse_iso_week("week 48")
