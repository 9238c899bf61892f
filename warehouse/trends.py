"""Rebuilds the trend tables (weekly demand, changes with intervals) from the stores."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

import duckdb

from pipelines.errors import InputError
from warehouse.db import fetch_value

TREND_TABLES = ("ads_weekly", "skill_demand_weekly", "skill_trends", "emerging_terms", "ad_concepts",
                "concept_phrasings_weekly")


def parse_iso_week(week: str) -> date:
    """'2026-W48' → the Monday that starts it; the message shows the expected form."""
    try:
        year, num = week.upper().split("-W")
        return date.fromisocalendar(int(year), int(num), 1)
    except ValueError as exc:
        raise InputError(f"Week {week!r} is not an ISO week: write it as 2026-W48.") from exc


def iso_week_of(day: date) -> str:
    """The ISO week label of a date, as the trend tables key weeks."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(day: date) -> str:
    """The week a Monday-morning run reports on: the one that just ended."""
    return iso_week_of(day - timedelta(days=1))


def latest_data_week(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest ISO week (Norwegian time, as the trend tables count weeks) any original ad was published in."""
    return fetch_value(con, "SELECT strftime(timezone('Europe/Oslo', max(published)), '%G-W%V') FROM ads "
                            "WHERE duplicate_of IS NULL")


def refresh_trends(con: duckdb.DuckDBPyConnection, ref_week: str, *, min_ads: int = 5, z: float = 1.96) -> dict[str, int]:
    """Refill the trend tables for a reference week in one transaction; returns their row counts."""
    monday = parse_iso_week(ref_week)
    con.execute("SET VARIABLE ref_week = ?", [monday])
    con.execute("SET VARIABLE ref_iso = ?", [iso_week_of(monday)])
    con.execute("SET VARIABLE min_ads = ?", [min_ads])
    con.execute("SET VARIABLE z = ?", [z])
    sql = (resources.files("warehouse") / "trends.sql").read_text(encoding="utf-8")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql)
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return {
        table: fetch_value(con, f"SELECT count(*) FROM {table}")
        for table in TREND_TABLES
    }
