"""Trend tables count distinct ads per cell and flag growth only when the interval supports it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from warehouse.db import open_warehouse
from warehouse.load import upsert_ad_versions
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


def test_change_columns_follow_the_two_proportion_formulas_and_are_null_without_a_base(con) -> None:
    refresh_trends(con, "2026-W48", min_ads=5)
    query = """SELECT share_change, z_score, change_ci_low, change_ci_high, emerging FROM skill_trends
               WHERE window_weeks = ? AND region_name = 'Østfold' AND occupation_group = '*' AND concept_id = 'ki'"""
    change, z, lo, hi, emerging = con.execute(query, [4]).fetchone()
    pooled = 68 / 160  # 64 of 80 recent ads, 4 of 80 base ads
    assert change == pytest.approx(0.75)
    assert z == pytest.approx(0.75 / (pooled * (1 - pooled) * (2 / 80)) ** 0.5)
    assert lo < change < hi
    assert con.execute(query, [13]).fetchone() == (None, None, None, None, False)  # eight weeks of data: no base


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


def test_trends_by_occupation_group_split_the_all_occupations_row(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    for week in WEEKS:
        add_ads(con, week, "Akershus", 10, {"sveising": 6}, prefix="w", styrk08="7212")
        add_ads(con, week, "Akershus", 10, {"sveising": 1}, prefix="n", styrk08="2223")
    refresh_trends(con, "2026-W48")
    rows = dict(con.execute(
        """SELECT occupation_group, (ads_recent, ads_total_recent) FROM skill_trends
           WHERE window_weeks = 4 AND region_name = 'Akershus' AND concept_id = 'sveising'""").fetchall())
    assert rows == {"*": (28, 80), "7": (24, 40), "2": (4, 40)}
    labels = dict(con.execute("SELECT DISTINCT occupation_group, occupation_label FROM skill_trends").fetchall())
    assert labels == {"*": "Alle yrker", "7": "Håndverkere", "2": "Akademiske yrker"}
    con.close()


def test_municipality_level_sums_to_its_county(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    add_ads(con, "2026-W48", "Østfold", 6, {"ki": 4}, prefix="h", municipality=("3101", "Halden"))
    add_ads(con, "2026-W48", "Østfold", 3, {"ki": 3}, prefix="m", municipality=("3103", "Moss"))
    add_ads(con, "2026-W48", "Østfold", 2, {"ki": 1}, prefix="u")  # no municipality: county and nation only
    refresh_trends(con, "2026-W48")
    rows = con.execute("""SELECT region_level, region_name, ads_with_concept, ads_in_cell FROM skill_demand_weekly
                          WHERE occupation_group = '*' ORDER BY ALL""").fetchall()
    assert rows == [("county", "Østfold", 8, 11), ("municipality", "Halden", 4, 6), ("municipality", "Moss", 3, 3),
                    ("national", "Hele landet", 8, 11)]
    con.close()


def test_weeks_are_norwegian_weeks_whatever_the_session_time_zone(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    sunday_night_utc = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)  # Monday 00:30 in Oslo: week 49
    upsert_ad_versions(con, [{"entry_id": "e1", "ad_id": "test:late", "source": "test", "source_id": "late",
                              "status": "ACTIVE", "modified": sunday_night_utc, "published": sunday_night_utc,
                              "text": "x", "county_code_2024": "31", "county_name_2024": "Østfold"}], run_id="t")
    for zone in ("UTC", "America/New_York", "Europe/Oslo"):
        con.execute(f"SET TimeZone = '{zone}'")
        refresh_trends(con, "2026-W49")
        assert con.execute("SELECT DISTINCT iso_week FROM ads_weekly").fetchall() == [("2026-W49",)]
        assert con.execute("SELECT iso_week FROM ads").fetchall() == [("2026-W49",)]
    con.close()


def test_a_viken_ad_counts_for_its_county_in_2024_borders(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    published = datetime(2021, 3, 1, 9, tzinfo=timezone.utc)
    upsert_ad_versions(con, [{"entry_id": "e1", "ad_id": "test:halden-2021", "source": "test", "source_id": "h",
                              "status": "ACTIVE", "modified": published, "published": published, "text": "x",
                              "municipality_code": "3001", "municipality_name": "Halden", "county_code": "30",
                              "county_name": "Viken", "municipality_code_2024": "3101",
                              "municipality_name_2024": "Halden", "county_code_2024": "31",
                              "county_name_2024": "Østfold"}], run_id="t")
    refresh_trends(con, "2021-W09")
    assert con.execute("""SELECT region_level, region_code, region_name FROM ads_weekly
                          WHERE occupation_group = '*' ORDER BY ALL""").fetchall() == [
        ("county", "31", "Østfold"), ("municipality", "3101", "Halden"), ("national", "NO", "Hele landet")]
    con.close()


def test_emerging_terms_track_unmapped_phrases_only(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    for i, week in enumerate(WEEKS):
        late = i >= 4
        add_ads(con, week, "Østfold", 20, {"ki": 3}, prefix="o",
                unmapped_for={"KI-forordningen": 12 if late else 0, "vanlig frase": 5, "sjelden frase": int(i == 7)})
        add_ads(con, week, "Oslo", 10, {}, prefix="x", unmapped_for={"Ki-forordningen ": 1 if late else 0})
    refresh_trends(con, "2026-W48", min_ads=5)
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        """SELECT region_name, term, example_text, ads_recent, ads_total_recent, ads_base, first_seen_week, is_new,
                  rising, change_ci_low FROM emerging_terms WHERE window_weeks = 4""").fetchall()}
    example, recent, total, base, first, is_new, rising, low = rows[("Østfold", "ki-forordningen")]
    assert (example, recent, total, base, first, is_new, rising) == ("KI-forordningen", 48, 80, 0, "2026-W45", True, True)
    assert low > 0
    # the nation adds Oslo's differently written uses of the same phrase; the commonest spelling is the example
    assert rows[("Hele landet", "ki-forordningen")][:3] == ("KI-forordningen", 52, 120)
    _, recent, _, base, _, is_new, rising, _ = rows[("Østfold", "vanlig frase")]
    assert (recent, base, is_new, rising) == (20, 20, False, False)
    assert ("Østfold", "sjelden frase") not in rows  # one recent ad is not a trend
    assert rows[("Oslo", "ki-forordningen")][1] == 4 and not rows[("Oslo", "ki-forordningen")][6]  # < min_ads
    # unmapped phrases never enter the concept tables, and concepts never enter emerging_terms
    assert con.execute("SELECT count(*) FROM skill_demand_weekly WHERE concept_id IS NULL").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM emerging_terms WHERE term = 'ki'").fetchone() == (0,)
    con.close()


def test_trend_tables_are_refilled_not_recreated(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    add_ads(con, "2026-W48", "Oslo", 3, {"ki": 2}, prefix="a")
    refresh_trends(con, "2026-W48")
    comments = con.execute("""SELECT table_name, column_name, comment FROM duckdb_columns()
                              WHERE table_name IN ('skill_demand_weekly', 'skill_trends', 'emerging_terms')""").fetchall()
    assert comments and all(c for _, _, c in comments)
    con.close()


def test_ad_concepts_are_the_pairs_the_demand_table_counts(con) -> None:
    refresh_trends(con, "2026-W48")
    pairs = con.execute("""SELECT iso_week, county_name, concept_id, count(*), count(*) FILTER (WHERE required)
                           FROM ad_concepts GROUP BY ALL ORDER BY ALL""").fetchall()
    demand = con.execute("""SELECT iso_week, region_name, concept_id, ads_with_concept, ads_required
                            FROM skill_demand_weekly WHERE region_level = 'county' AND occupation_group = '*'
                            ORDER BY ALL""").fetchall()
    assert pairs == demand and len(pairs) == 32
    assert con.execute("SELECT count(*) FROM ad_concepts a JOIN ads USING (ad_id)").fetchone() == \
        con.execute("SELECT count(*) FROM ad_concepts").fetchone()
