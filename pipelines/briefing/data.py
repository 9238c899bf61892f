"""Queries that gather a briefing's figures from the warehouse (the analysts' snapshot or the run's own connection).

Every figure comes from the analyst tables and views (ads_weekly, skill_demand_weekly, skill_trends, emerging_terms,
policy_vs_demand, ads, mentions, runs, documents); rendering is then a pure function of the BriefingData.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable

import duckdb

from pipelines.briefing.evidence import ad_url, sentence_around
from pipelines.briefing.stats import newcombe, wilson
from pipelines.errors import InputError, WarehouseError
from pipelines.regions import normalise_name
from warehouse.trends import TREND_TABLES, iso_week_of, parse_iso_week, refresh_trends

NATIONAL = "Hele landet"
NATIONAL_ALIASES = {"hele landet", "norge", "national", "nasjonalt", "landet"}
TREND_WINDOWS = (4, 13, 52)


@dataclass(frozen=True)
class CellRule:
    """The one rule for thin cells: counts are always shown (flagged below the minimum); a share or change
    whose denominator has fewer ads is not computed, and growth or decline is claimed only from enough ads."""

    min_ads: int

    def thin(self, n: int | None) -> bool:
        """True when a figure rests on fewer than the minimum number of ads."""
        return n is None or n < self.min_ads

    def share(self, x: int | None, n: int | None) -> float | None:
        """x / n, or None (suppressed) when n is thin."""
        return None if self.thin(n) or x is None else x / n  # type: ignore[operator]


@dataclass
class BriefingData:
    """Everything a briefing shows, so rendering is a pure function of it."""

    week: str
    regions: list[str]
    min_cell_ads: int
    window_weeks: int = 4
    series_weeks: int = 16
    weeks: list[str] = field(default_factory=list)
    headline: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, dict[str, int]] = field(default_factory=dict)
    top: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    evidence: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    share_trends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    occupations: dict[str, Any] = field(default_factory=dict)
    comparison: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    emerging: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> CellRule:
        """The thin-cell rule every section applies."""
        return CellRule(self.min_cell_ads)

    @property
    def all_regions(self) -> list[str]:
        """The chosen regions, then the nation for comparison."""
        return [*self.regions, NATIONAL]

    @property
    def week_start(self) -> date:
        """Monday of the briefing week."""
        return parse_iso_week(self.week)

    @property
    def window_start(self) -> date:
        """Monday of the first week of the reporting window."""
        return self.week_start - timedelta(weeks=self.window_weeks - 1)


# ------------------------------------------------------------------------------------------------ connections
def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Run a query and return dict rows (the result fully consumed)."""
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _value(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[Any] = ()) -> Any:
    """First column of the first row, or None."""
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0][0] if rows else None


def has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view exists in the current database (older snapshots may lack newer views)."""
    return bool(_value(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                            "AND table_catalog = current_database()", [name]))


def trends_week(con: duckdb.DuckDBPyConnection) -> str | None:
    """The reference week skill_trends was computed for (None while it is empty)."""
    return _value(con, "SELECT min(ref_week) FROM skill_trends")


def open_for_week(path: Path, week: str | None, *, min_ads: int) -> tuple[duckdb.DuckDBPyConnection, str, bool]:
    """(connection, week, recomputed): the snapshot read-only when its trend tables are for the week, else an
    in-memory database whose trend tables are rebuilt for it by warehouse/trends.sql over the snapshot's stores."""
    if not path.exists():
        raise WarehouseError(f"No warehouse at {path}: run `radar weekly --demo` (or wait for the weekly run), "
                             "or point --db at a DuckDB file.")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"Cannot open {path} read-only: {exc}") from exc
    ref = trends_week(con)
    week = week or ref
    if week is None:
        con.close()
        raise InputError(f"{path} has no trend tables yet: run `radar weekly` first, or give --week.")
    week = iso_week_of(parse_iso_week(week))
    if week == ref:
        return con, week, False
    con.close()
    mem = duckdb.connect(":memory:")
    mem.execute(f"ATTACH '{path}' AS snapshot (READ_ONLY)")
    relations = [r[0] for r in mem.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'snapshot' UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'snapshot' AND NOT internal").fetchall()]
    for name in relations:
        if name in TREND_TABLES:
            mem.execute(f'CREATE TABLE "{name}" AS FROM snapshot."{name}" LIMIT 0')
        else:
            mem.execute(f'CREATE VIEW "{name}" AS FROM snapshot."{name}"')
    refresh_trends(mem, week, min_ads=min_ads)
    return mem, week, True


# ------------------------------------------------------------------------------------------------ regions
def resolve_regions(con: duckdb.DuckDBPyConnection, regions: Iterable[str]) -> list[str]:
    """County names as the trend tables spell them (any case, with or without 'fylke'); the nation is implied."""
    known = {normalise_name(r[0]): r[0] for r in con.execute(
        "SELECT DISTINCT region_name FROM ads_weekly WHERE region_level = 'county'").fetchall()}
    out: list[str] = []
    for region in regions:
        key = normalise_name(region)
        if key in NATIONAL_ALIASES:
            continue
        if key not in known:
            raise InputError(f"Unknown region {region!r}: give a county in 2024 borders that has ads in the "
                             f"warehouse ({', '.join(sorted(known.values())) or 'none yet'}); the whole country "
                             "is always shown beside it.")
        if known[key] not in out:
            out.append(known[key])
    return out


def region_filter(region: str) -> tuple[str, str]:
    """(level, name) for a region as the briefing names it."""
    return ("national", NATIONAL) if normalise_name(region) in NATIONAL_ALIASES else ("county", region)


def same_week_last_year(monday: date) -> date:
    """The same ISO week number a year earlier (week 53 falls back to 52)."""
    year, week, _ = monday.isocalendar()
    try:
        return date.fromisocalendar(year - 1, week, 1)
    except ValueError:
        return date.fromisocalendar(year - 1, 52, 1)


# ------------------------------------------------------------------------------------------------ gather
def gather(con: duckdb.DuckDBPyConnection, week: str, regions: list[str], *, min_cell_ads: int = 5,
           window_weeks: int = 4, top_n: int = 10, series_weeks: int = 16, evidence_n: int = 5,
           recomputed: bool = False) -> BriefingData:
    """Collect the briefing's figures for a week and regions; the nation is always added for comparison."""
    if window_weeks not in TREND_WINDOWS:
        raise InputError(f"--window must be one of {', '.join(map(str, TREND_WINDOWS))} weeks, not {window_weeks}.")
    monday = parse_iso_week(week)
    week = iso_week_of(monday)
    ref = trends_week(con)
    if ref is not None and ref != week:
        raise InputError(f"The trend tables are for {ref}, not {week}: open the warehouse with open_for_week() "
                         f"(which rebuilds them for the week), or run `radar weekly --week {week}`.")
    first, last = con.execute("SELECT min(week_start), max(week_start) FROM ads_weekly").fetchone()
    if first is None or not first <= monday <= last:
        span = f"{iso_week_of(first)} to {iso_week_of(last)}" if first else "no weeks yet"
        raise InputError(f"No ads in {week}: the warehouse has {span}. Choose a week in that range.")
    regions = resolve_regions(con, regions)
    if not regions:
        raise InputError("Give at least one county with --region (the whole country is always shown beside it).")
    data = BriefingData(week=week, regions=regions, min_cell_ads=min_cell_ads, window_weeks=window_weeks,
                        series_weeks=series_weeks)
    data.weeks = [iso_week_of(monday - timedelta(weeks=k)) for k in range(series_weeks - 1, -1, -1)]
    totals = _window_totals(con, data)
    data.headline = [_headline(con, data, r, totals) for r in data.all_regions]
    data.series = {r: _weekly_ads(con, r, data.weeks) for r in data.all_regions}
    data.top = {r: _top(con, data, r, totals[r], top_n) for r in data.all_regions}
    data.evidence = {r: _evidence(con, data, r, [t["concept_id"] for t in data.top[r][:evidence_n]])
                     for r in data.all_regions}
    data.share_trends = {r: _share_trends(con, data, r, [t["concept_id"] for t in data.top[r][:3]])
                         for r in data.all_regions}
    data.changes = {r: _changes(con, data, r) for r in data.all_regions}
    data.occupations = _occupations(con, data, totals)
    data.comparison = _comparison(con, data, totals)
    data.policy = _policy(con, data)
    data.emerging = {r: _emerging(con, data, r) for r in data.all_regions}
    data.provenance = gather_provenance(con)
    data.provenance["recomputed"] = recomputed
    data.provenance["trends_week"] = ref or week
    return data


def _window_sql(data: BriefingData) -> tuple[str, list[Any]]:
    """SQL condition and parameters selecting the weeks of the reporting window."""
    return "week_start >= ? AND week_start <= ?", [data.window_start, data.week_start]


def _window_totals(con: duckdb.DuckDBPyConnection, data: BriefingData) -> dict[str, int]:
    """Ads per region in the reporting window: the denominator of every share in the briefing."""
    cond, params = _window_sql(data)
    out = {}
    for region in data.all_regions:
        level, name = region_filter(region)
        out[region] = int(_value(con, f"SELECT coalesce(sum(ads), 0) FROM ads_weekly WHERE region_level = ? "
                                      f"AND region_name = ? AND occupation_group = '*' AND {cond}",
                                 [level, name, *params]))
    return out


def _headline(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str, totals: dict[str, int]) -> dict[str, Any]:
    """This week against last week and the same week a year earlier, plus the region's share of the nation."""
    rule = data.rule
    level, name = region_filter(region)
    monday = data.week_start
    last_week, last_year = monday - timedelta(weeks=1), same_week_last_year(monday)
    counts = {r["week_start"]: int(r["ads"]) for r in _rows(
        con, "SELECT week_start, ads FROM ads_weekly WHERE region_level = ? AND region_name = ? "
             "AND occupation_group = '*' AND week_start IN (?, ?, ?)", [level, name, monday, last_week, last_year])}
    first = _value(con, "SELECT min(week_start) FROM ads_weekly")
    this, prev = counts.get(monday, 0), counts.get(last_week, 0)
    year_ago = counts.get(last_year, 0) if first is not None and first <= last_year else None

    def change(now: int, then: int | None) -> float | None:
        return None if then is None or rule.thin(now) or rule.thin(then) else now / then - 1

    window = totals[region]
    return {"region": region, "this_week": this, "last_week": prev, "last_year": year_ago,
            "last_week_label": iso_week_of(last_week), "last_year_label": iso_week_of(last_year),
            "vs_last_week": change(this, prev), "vs_last_year": change(this, year_ago),
            "window_ads": window, "share_of_national": rule.share(window, totals[NATIONAL]) if region != NATIONAL
            else None}


def _weekly_ads(con: duckdb.DuckDBPyConnection, region: str, weeks: list[str]) -> dict[str, int]:
    """Ads per week on the shared axis, zero where the table has no row."""
    level, name = region_filter(region)
    found = {r["iso_week"]: int(r["ads"]) for r in _rows(
        con, "SELECT iso_week, ads FROM ads_weekly WHERE region_level = ? AND region_name = ? "
             "AND occupation_group = '*' AND iso_week >= ? AND iso_week <= ?", [level, name, weeks[0], weeks[-1]])}
    return {w: found.get(w, 0) for w in weeks}


def _top(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str, total: int, top_n: int) -> list[dict[str, Any]]:
    """The competences most asked for in the window: counts always, shares only from enough ads."""
    level, name = region_filter(region)
    cond, params = _window_sql(data)
    rows = _rows(con, f"""
        SELECT concept_id, any_value(concept_label) AS concept_label, any_value(concept_type) AS concept_type,
               any_value(skill_group) AS skill_group, sum(ads_with_concept) AS ads, sum(ads_required) AS required
        FROM skill_demand_weekly
        WHERE region_level = ? AND region_name = ? AND occupation_group = '*' AND {cond}
        GROUP BY concept_id ORDER BY ads DESC, concept_label LIMIT ?""", [level, name, *params, top_n])
    for r in rows:
        r["ads"], r["required"] = int(r["ads"]), int(r["required"])
        r["total"] = total
        r["share"] = data.rule.share(r["ads"], total)
        r["interval"] = wilson(r["ads"], total) if r["share"] is not None else None
        r["required_share"] = data.rule.share(r["required"], r["ads"])
        r["thin"] = data.rule.thin(r["ads"])
    return rows


def _evidence(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str,
              concept_ids: list[str]) -> dict[str, dict[str, Any]]:
    """One masked sentence per headline competence, from an ad of the region and window (required ones first)."""
    if not concept_ids:
        return {}
    level, name = region_filter(region)
    place = "" if level == "national" else "AND a.county_name_2024 = ?"
    rows = _rows(con, f"""
        SELECT m.concept_id, m.start, m."end", v.text, a.ad_id, a.source, a.source_id, a.title, a.employer,
               a.iso_week, m.requirement
        FROM mentions m
        JOIN ads a ON a.ad_id = m.ad_id
        JOIN ad_versions v ON v.entry_id = m.entry_id
        WHERE m.concept_id IN (SELECT unnest(?::VARCHAR[])) AND a.duplicate_of IS NULL
          AND a.iso_week >= ? AND a.iso_week <= ? {place}
        QUALIFY row_number() OVER (PARTITION BY m.concept_id
                                   ORDER BY m.requirement = 'REQUIRED' DESC, m.score DESC NULLS LAST,
                                            a.published DESC, a.ad_id, m.start) = 1
        """, [concept_ids, iso_week_of(data.window_start), data.week, *([] if level == "national" else [name])])
    out = {}
    for r in rows:
        text = r.pop("text") or ""
        try:
            snippet = sentence_around(text, r["start"], r["end"])
        except ValueError:
            continue  # offsets from an older text version: better no evidence than wrong evidence
        out[r["concept_id"]] = {**r, "snippet": snippet, "url": ad_url(r["source"], r["source_id"])}
    return out


def _share_trends(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str,
                  concept_ids: list[str]) -> list[dict[str, Any]]:
    """Rolling window share (with its Wilson interval) of the region's top competences over the series weeks."""
    if not concept_ids:
        return []
    level, name = region_filter(region)
    w = data.window_weeks
    first = parse_iso_week(data.weeks[0]) - timedelta(weeks=w - 1)
    axis = [first + timedelta(weeks=k) for k in range(len(data.weeks) + w - 1)]
    n = {r["week_start"]: int(r["ads"]) for r in _rows(
        con, "SELECT week_start, ads FROM ads_weekly WHERE region_level = ? AND region_name = ? "
             "AND occupation_group = '*' AND week_start >= ? AND week_start <= ?", [level, name, first, data.week_start])}
    x: dict[str, dict[date, int]] = defaultdict(dict)
    labels = {}
    for r in _rows(con, """SELECT concept_id, week_start, ads_with_concept, concept_label FROM skill_demand_weekly
                           WHERE region_level = ? AND region_name = ? AND occupation_group = '*'
                             AND week_start >= ? AND week_start <= ? AND concept_id IN (SELECT unnest(?::VARCHAR[]))""",
                   [level, name, first, data.week_start, concept_ids]):
        x[r["concept_id"]][r["week_start"]] = int(r["ads_with_concept"])
        labels[r["concept_id"]] = r["concept_label"]
    out = []
    for cid in concept_ids:
        points = []
        for i, week in enumerate(data.weeks):
            span = axis[i:i + w]
            xs, ns = sum(x[cid].get(d, 0) for d in span), sum(n.get(d, 0) for d in span)
            share = data.rule.share(xs, ns)
            points.append({"iso_week": week, "x": xs, "n": ns, "share": share,
                           "interval": wilson(xs, ns) if share is not None else None})
        out.append({"concept_id": cid, "concept_label": labels.get(cid, cid), "points": points})
    return out


def verdict(row: dict[str, Any], rule: CellRule) -> str:
    """What the interval lets us say about a change in share: a claim only when it excludes zero on enough ads."""
    low, high = row.get("change_ci_low"), row.get("change_ci_high")
    if low is None or high is None:
        return "unknown"
    if low > 0:
        return "growing" if not rule.thin(row["ads_recent"]) else "uncertain_few"
    if high < 0:
        return "declining" if not rule.thin(row["ads_base"]) else "uncertain_few"
    return "no_change"


def _changes(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str, limit: int = 6) -> dict[str, Any]:
    """Fastest growing and declining shares (window against the window before) with their 95 % intervals."""
    level, name = region_filter(region)
    w = data.window_weeks
    base_start = data.week_start - timedelta(weeks=2 * w - 1)
    n = {r["recent"]: int(r["ads"]) for r in _rows(
        con, "SELECT week_start > ? AS recent, sum(ads) AS ads FROM ads_weekly WHERE region_level = ? "
             "AND region_name = ? AND occupation_group = '*' AND week_start >= ? AND week_start <= ? GROUP BY ALL",
        [data.week_start - timedelta(weeks=w), level, name, base_start, data.week_start])}
    n_recent, n_base = n.get(True, 0), n.get(False, 0)
    result: dict[str, Any] = {"n_recent": n_recent, "n_base": n_base, "growing": [], "declining": [],
                              "supported": [], "shown": not (data.rule.thin(n_recent) or data.rule.thin(n_base))}
    if not result["shown"]:
        return result
    rows = _rows(con, """
        SELECT concept_id, concept_label, concept_type, ads_recent, ads_total_recent, share_recent, ads_base,
               ads_total_base, share_base, share_change, change_ci_low, change_ci_high, z_score
        FROM skill_trends
        WHERE window_weeks = ? AND region_level = ? AND region_name = ? AND occupation_group = '*'
          AND share_change IS NOT NULL""", [w, level, name])
    for r in rows:
        r["verdict"] = verdict(r, data.rule)
    result["growing"] = sorted((r for r in rows if r["share_change"] > 0),
                               key=lambda r: (-r["share_change"], r["concept_label"]))[:limit]
    result["declining"] = sorted((r for r in rows if r["share_change"] < 0),
                                 key=lambda r: (r["share_change"], r["concept_label"]))[:limit]
    result["supported"] = sorted((r for r in rows if r["verdict"] in ("growing", "declining")),
                                 key=lambda r: (-abs(r["share_change"]), r["concept_label"]))
    return result


def _occupations(con: duckdb.DuckDBPyConnection, data: BriefingData, totals: dict[str, int]) -> dict[str, Any]:
    """Ads per STYRK-08 major group in each region, and the competences each group asks for most."""
    cond, params = _window_sql(data)
    groups = _rows(con, "SELECT code, label FROM occupation_groups ORDER BY code")
    groups.append({"code": "?", "label": "Ukjent yrke"})
    counts: dict[tuple[str, str], int] = {}
    for region in data.all_regions:
        level, name = region_filter(region)
        for r in _rows(con, f"""SELECT occupation_group, sum(ads) AS ads FROM ads_weekly
                                WHERE region_level = ? AND region_name = ? AND occupation_group <> '*' AND {cond}
                                GROUP BY ALL""", [level, name, *params]):
            counts[(region, r["occupation_group"])] = int(r["ads"])
    rows = []
    for g in groups:
        cells = {r: {"ads": counts.get((r, g["code"]), 0),
                     "share": data.rule.share(counts.get((r, g["code"]), 0), totals[r])} for r in data.all_regions}
        if any(c["ads"] for c in cells.values()):
            rows.append({**g, "cells": cells})
    forum_label = ", ".join(data.regions)
    top: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for label, where, args in (
            (forum_label, "region_level = 'county' AND region_name IN (SELECT unnest(?::VARCHAR[]))", [data.regions]),
            (NATIONAL, "region_level = 'national'", [])):
        group_n = {r["occupation_group"]: int(r["ads"]) for r in _rows(
            con, f"SELECT occupation_group, sum(ads) AS ads FROM ads_weekly WHERE {where} AND {cond} "
                 "AND occupation_group <> '*' GROUP BY ALL", [*args, *params])}
        for r in _rows(con, f"""
                SELECT * FROM (
                    SELECT occupation_group, concept_id, any_value(concept_label) AS concept_label,
                           sum(ads_with_concept) AS ads
                    FROM skill_demand_weekly WHERE {where} AND {cond} AND occupation_group <> '*'
                    GROUP BY occupation_group, concept_id)
                QUALIFY row_number() OVER (PARTITION BY occupation_group ORDER BY ads DESC, concept_label) <= 3
                ORDER BY occupation_group, ads DESC, concept_label""", [*args, *params]):
            n = group_n.get(r["occupation_group"], 0)
            top[r["occupation_group"]].setdefault(label, []).append(
                {"concept_label": r["concept_label"], "ads": int(r["ads"]), "total": n,
                 "share": data.rule.share(int(r["ads"]), n)})
    return {"groups": rows, "totals": totals, "forum_label": forum_label, "top": dict(top)}


def _comparison(con: duckdb.DuckDBPyConnection, data: BriefingData, totals: dict[str, int]) -> list[dict[str, Any]]:
    """Shares of the headline competences in each chosen county beside the whole country, with each county
    tested against the rest of the country (Newcombe interval of the difference)."""
    chosen: list[str] = []
    for region, k in [(NATIONAL, 10), *((r, 5) for r in data.regions)]:
        for row in data.top.get(region, [])[:k]:
            if row["concept_id"] not in chosen:
                chosen.append(row["concept_id"])
    if not chosen:
        return []
    cond, params = _window_sql(data)
    found: dict[tuple[str, str], int] = {}
    labels: dict[str, str] = {}
    for r in _rows(con, f"""
            SELECT CASE WHEN region_level = 'national' THEN ? ELSE region_name END AS region, concept_id,
                   any_value(concept_label) AS concept_label, sum(ads_with_concept) AS ads
            FROM skill_demand_weekly
            WHERE occupation_group = '*' AND {cond} AND concept_id IN (SELECT unnest(?::VARCHAR[]))
              AND (region_level = 'national' OR (region_level = 'county'
                                                AND region_name IN (SELECT unnest(?::VARCHAR[]))))
            GROUP BY ALL""", [NATIONAL, *params, chosen, data.regions]):
        found[(r["region"], r["concept_id"])] = int(r["ads"])
        labels[r["concept_id"]] = r["concept_label"]
    rule, nat_n = data.rule, totals[NATIONAL]
    out = []
    for cid in chosen:
        nat_x = found.get((NATIONAL, cid), 0)
        cells = {NATIONAL: {"ads": nat_x, "total": nat_n, "share": rule.share(nat_x, nat_n), "against": None}}
        for region in data.regions:
            x, n = found.get((region, cid), 0), totals[region]
            rest_x, rest_n = nat_x - x, nat_n - n
            cell = {"ads": x, "total": n, "share": rule.share(x, n), "against": None, "interval": None}
            if cell["share"] is not None and not rule.thin(rest_n):
                low, high = newcombe(x, n, rest_x, rest_n)  # type: ignore[misc]
                cell["interval"] = (low, high)
                if low > 0 and not rule.thin(x):
                    cell["against"] = "higher"
                elif high < 0 and not rule.thin(rest_x):
                    cell["against"] = "lower"
            cells[region] = cell
        out.append({"concept_id": cid, "concept_label": labels.get(cid, cid), "cells": cells})
    out.sort(key=lambda r: (-(r["cells"][NATIONAL]["ads"]), r["concept_label"]))
    return out


POLICY_STATUSES = ("aligned", "priority_little_demand", "demand_not_in_strategy")


def _policy(con: duckdb.DuckDBPyConnection, data: BriefingData, limit: int = 6) -> dict[str, Any]:
    """Strategy priorities against demand in ads for each chosen county and the briefing's year."""
    year = data.week_start.isocalendar()[0]
    if not has_relation(con, "policy_vs_demand"):
        return {"available": False, "year": year, "documents": [], "regions": {}}
    documents = _rows(con, "SELECT doc_id, coalesce(document_title, title) AS title, issuer, level, region, year "
                           "FROM documents WHERE content_hash IS NOT NULL ORDER BY level, region, title") \
        if has_relation(con, "documents") else []
    for number, d in enumerate(documents, start=1):
        d["number"] = number
    numbers = {d["doc_id"]: d["number"] for d in documents}
    regions: dict[str, Any] = {}
    for region in data.regions:
        level, name = region_filter(region)
        rows = _rows(con, """SELECT level, key, label, skill_group, priority_weight, priority_share,
                                    priority_mentions, documents, ads_with, ads, demand_share, status
                             FROM policy_vs_demand
                             WHERE region_level = ? AND region_name = ? AND year = ?""", [level, name, year])
        for r in rows:
            r["ads_with"], r["ads"] = int(r["ads_with"] or 0), int(r["ads"] or 0)
            r["demand_share"] = data.rule.share(r["ads_with"], r["ads"])
            r["document_numbers"] = sorted(numbers[d] for d in (r["documents"] or []) if d in numbers)
        concepts = [r for r in rows if r["level"] == "concept"]
        by_status = {
            "aligned": sorted((r for r in concepts if r["status"] == "aligned"),
                              key=lambda r: (-r["priority_weight"], r["label"]))[:limit],
            "priority_little_demand": sorted((r for r in concepts if r["status"] == "priority_little_demand"),
                                             key=lambda r: (-r["priority_weight"], r["label"]))[:limit],
            "demand_not_in_strategy": sorted((r for r in concepts if r["status"] == "demand_not_in_strategy"),
                                             key=lambda r: (-r["ads_with"], r["label"]))[:limit],
        }
        counts = {s: sum(1 for r in concepts if r["status"] == s) for s in POLICY_STATUSES}
        groups = sorted((r for r in rows if r["level"] == "skill_group"),
                        key=lambda r: (-(r["priority_share"] or 0), r["label"]))
        areas = sorted((r for r in rows if r["level"] == "occupation_area"),
                       key=lambda r: (-(r["priority_weight"] or 0), r["label"]))
        regions[region] = {"concepts": by_status, "counts": counts, "groups": groups, "areas": areas,
                           "year_ads": rows[0]["ads"] if rows else 0}
    thresholds = _rows(con, "SELECT * FROM policy_thresholds LIMIT 1") if has_relation(con, "policy_thresholds") else []
    return {"available": True, "year": year, "documents": documents, "regions": regions,
            "thresholds": thresholds[0] if thresholds else None}


def _emerging(con: duckdb.DuckDBPyConnection, data: BriefingData, region: str, limit: int = 10) -> list[dict[str, Any]]:
    """Unmapped phrases used in the window, new or rising ones first: candidates for the curators' lexicon."""
    if not has_relation(con, "emerging_terms"):
        return []
    level, name = region_filter(region)
    rows = _rows(con, """SELECT term, example_text, mention_type, first_seen_week, ads_recent, ads_total_recent,
                                share_recent, ads_base, ads_total_base, share_change, change_ci_low, change_ci_high,
                                is_new, rising
                         FROM emerging_terms WHERE window_weeks = ? AND region_level = ? AND region_name = ?
                         ORDER BY is_new DESC, rising DESC, ads_recent DESC, term LIMIT ?""",
                 [data.window_weeks, level, name, limit])
    for r in rows:
        r["share_recent"] = data.rule.share(r["ads_recent"], r["ads_total_recent"])
        r["verdict"] = verdict(r, data.rule) if not (data.rule.thin(r["ads_total_recent"])
                                                     or data.rule.thin(r["ads_total_base"])) else "unknown"
    return rows


def gather_provenance(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Sources, counts and versions behind every figure, for the methods section."""
    counts = _rows(con, """SELECT (SELECT count(*) FROM ads) AS ads,
                                  (SELECT count(*) FROM ads WHERE duplicate_of IS NULL) AS originals,
                                  (SELECT count(*) FROM ads WHERE status = 'ACTIVE') AS active_ads,
                                  (SELECT count(*) FROM ad_versions) AS versions,
                                  (SELECT count(*) FROM mentions_store) AS mentions,
                                  (SELECT count(*) FROM mentions_store WHERE concept_id IS NULL) AS unmapped,
                                  (SELECT count(*) FROM quarantine) AS quarantined""")[0]
    versions = _rows(con, """SELECT extractor_version, taxonomy_version, count(*) AS mentions FROM mentions_store
                             GROUP BY ALL ORDER BY mentions DESC, extractor_version""")
    sources = _rows(con, """SELECT source, count(*) AS ads, count(*) FILTER (WHERE duplicate_of IS NULL) AS originals,
                                   min(iso_week) AS first_week, max(iso_week) AS last_week
                            FROM ads GROUP BY source ORDER BY source""")
    runs = _rows(con, """SELECT run_id, week, status, started_at, finished_at, extractor_version, taxonomy_version
                         FROM runs WHERE flow = 'weekly' AND status = 'COMPLETED'
                         ORDER BY finished_at DESC LIMIT 1""")
    span = _rows(con, "SELECT min(iso_week) AS first_week, max(iso_week) AS last_week FROM ads_weekly")[0]
    concepts = _value(con, "SELECT count(*) FROM concepts_store")
    return {"counts": counts, "versions": versions, "sources": sources, "last_run": runs[0] if runs else None,
            "span": span, "concepts": concepts}
