"""Queries that gather a briefing's figures from the warehouse (works on the snapshot too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import duckdb

from warehouse.trends import iso_week_of, parse_iso_week

NATIONAL = "Hele landet"


@dataclass
class BriefingData:
    """Everything a briefing shows, so rendering is a pure function of it."""

    week: str
    regions: list[str]
    min_cell_ads: int
    series_weeks: int = 16
    headline: list[dict[str, Any]] = field(default_factory=list)
    top: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    county_vs_national: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Run a query and return dict rows."""
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def region_filter(region: str) -> tuple[str, str]:
    """(level, name) for a region as the user writes it."""
    return ("national", NATIONAL) if region in (NATIONAL, "Norge", "national") else ("county", region)


def gather(con: duckdb.DuckDBPyConnection, week: str, regions: list[str], *, min_cell_ads: int = 5,
           top_n: int = 12, series_weeks: int = 16) -> BriefingData:
    """Collect the briefing's figures for a week and regions (the nation is always added for comparison)."""
    monday = parse_iso_week(week)
    data = BriefingData(week=week, regions=regions, min_cell_ads=min_cell_ads, series_weeks=series_weeks)
    last_week = iso_week_of(monday - timedelta(days=7))
    last_year = iso_week_of(monday - timedelta(days=364))
    for region in [*regions, NATIONAL]:
        level, name = region_filter(region)
        counts = {r["iso_week"]: r["ads"] for r in _rows(
            con,
            "SELECT iso_week, ads FROM ads_weekly WHERE region_level = ? AND region_name = ? "
            "AND occupation_group = '*' AND iso_week IN (?, ?, ?)",
            [level, name, week, last_week, last_year],
        )}
        data.headline.append({"region": region, "this_week": counts.get(week, 0),
                              "last_week": counts.get(last_week, 0), "last_year": counts.get(last_year)})
        data.top[region] = _rows(
            con,
            """SELECT concept_label, concept_type, skill_group, sum(ads_with_concept) AS ads,
                      sum(ads_with_concept) / any_value(total) AS share,
                      sum(ads_with_concept * required_share) / sum(ads_with_concept) AS required_share
               FROM skill_demand_weekly,
                    (SELECT sum(ads) AS total FROM ads_weekly WHERE region_level = $1 AND region_name = $2
                       AND occupation_group = '*' AND week_start > $3::DATE - INTERVAL 28 DAY AND week_start <= $3::DATE)
               WHERE region_level = $1 AND region_name = $2 AND occupation_group = '*'
                 AND week_start > $3::DATE - INTERVAL 28 DAY AND week_start <= $3::DATE
               GROUP BY concept_label, concept_type, skill_group
               ORDER BY ads DESC, concept_label LIMIT $4""",
            [level, name, monday, top_n],
        )
        data.changes[region] = _rows(
            con,
            """SELECT concept_label, concept_type, ads_recent, ads_total_recent, share_recent, ads_base,
                      ads_total_base, share_base, share_change, change_ci_low, change_ci_high, z_score,
                      emerging, declining
               FROM skill_trends
               WHERE window_weeks = 4 AND region_level = ? AND region_name = ? AND share_base IS NOT NULL
               ORDER BY abs(z_score) DESC NULLS LAST, concept_label LIMIT 10""",
            [level, name],
        )
        data.series[region] = _rows(
            con,
            """SELECT week_start, iso_week, ads FROM ads_weekly
               WHERE region_level = ? AND region_name = ? AND occupation_group = '*'
                 AND week_start > ?::DATE - INTERVAL (7 * ?) DAY AND week_start <= ?::DATE
               ORDER BY week_start""",
            [level, name, monday, series_weeks, monday],
        )
    data.county_vs_national = _rows(
        con,
        """SELECT region_name, sum(ads) AS ads FROM ads_weekly
           WHERE region_level = 'county' AND occupation_group = '*'
             AND week_start > ?::DATE - INTERVAL 28 DAY AND week_start <= ?::DATE
           GROUP BY region_name ORDER BY ads DESC""",
        [monday, monday],
    )
    data.provenance = gather_provenance(con)
    return data


def gather_provenance(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Sources, counts and versions behind every figure, for the methods section."""
    counts = _rows(con, """SELECT (SELECT count(*) FROM ads) AS ads,
                                  (SELECT count(*) FROM ads WHERE status = 'ACTIVE') AS active_ads,
                                  (SELECT count(*) FROM ad_versions) AS versions,
                                  (SELECT count(*) FROM mentions_store) AS mentions,
                                  (SELECT count(*) FROM quarantine) AS quarantined""", [])[0]
    versions = _rows(con, """SELECT DISTINCT extractor_version, taxonomy_version FROM mentions_store
                             ORDER BY 1, 2""", [])
    sources = _rows(con, "SELECT source, count(*) AS ads FROM ads GROUP BY source ORDER BY source", [])
    return {"counts": counts, "versions": versions, "sources": sources}
