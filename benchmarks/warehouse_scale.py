"""Warehouse at scale: time to rebuild the trend tables and latency of ten typical analyst queries.

On the SYNTHETIC history of benchmarks/synthetic_history.py (2M ads, ~40M mentions, ~3 years). Targets: rebuild
< 2 min, p95 < 1 s per query, on 2 cores / 24 GB. Each query runs the way `radar sql` runs it: a fresh read-only
connection to the published snapshot, the query, all rows fetched, the connection closed; the first of the
repeats is therefore a cold start for DuckDB (the OS file cache may be warm).

Run:  .venv/bin/python benchmarks/synthetic_history.py --out data/bench/synthetic.duckdb
      .venv/bin/python benchmarks/warehouse_scale.py --db data/bench/synthetic.duckdb
Writes benchmarks/results/warehouse_scale.json and prints the Markdown block for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from warehouse.db import fetch_one, fetch_value, open_warehouse  # noqa: E402
from warehouse.publish import publish_snapshot  # noqa: E402
from warehouse.trends import TREND_TABLES, parse_iso_week, refresh_trends  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "warehouse_scale.json"

# (name, what an analyst asks, SQL). $concept is the most-mentioned concept, $week the reference week's Monday.
QUERIES: list[tuple[str, str, str]] = [
    ("top_concepts_county_4w", "Top 20 concepts in Østfold, last 4 weeks, with required share", """
        SELECT concept_label, sum(ads_with_concept) AS ads,
               sum(ads_with_concept) / (SELECT sum(ads) FROM ads_weekly WHERE region_level = 'county'
                   AND region_name = 'Østfold' AND occupation_group = '*'
                   AND week_start > $week::DATE - 28 AND week_start <= $week::DATE) AS share,
               sum(ads_required) / sum(ads_with_concept) AS required_share
        FROM skill_demand_weekly
        WHERE region_level = 'county' AND region_name = 'Østfold' AND occupation_group = '*'
          AND week_start > $week::DATE - 28 AND week_start <= $week::DATE
        GROUP BY concept_label ORDER BY ads DESC LIMIT 20"""),
    ("concept_series_3y", "Weekly share of one concept in Akershus over the whole history (zero weeks included)", """
        SELECT w.week_start, w.ads, coalesce(s.ads_with_concept, 0) AS ads_with,
               coalesce(s.ads_with_concept, 0) / w.ads AS share
        FROM ads_weekly w
        LEFT JOIN skill_demand_weekly s ON s.week_start = w.week_start AND s.region_level = w.region_level
             AND s.region_code = w.region_code AND s.occupation_group = w.occupation_group AND s.concept_id = $concept
        WHERE w.region_level = 'county' AND w.region_name = 'Akershus' AND w.occupation_group = '*'
        ORDER BY w.week_start"""),
    ("emerging_forum_13w", "Emerging concepts in the three forum counties, 13-week window", """
        SELECT region_name, concept_label, ads_recent, share_recent, share_base, change_ci_low, change_ci_high, z_score
        FROM skill_trends
        WHERE window_weeks = 13 AND region_level = 'county' AND occupation_group = '*'
          AND region_name IN ('Østfold', 'Akershus', 'Buskerud') AND emerging
        ORDER BY z_score DESC LIMIT 50"""),
    ("occupation_changes_52w", "Largest changes for academic occupations (STYRK 2) nationally, year on year", """
        SELECT concept_label, share_recent, share_base, share_change, change_ci_low, change_ci_high, emerging, declining
        FROM skill_trends
        WHERE window_weeks = 52 AND region_level = 'national' AND occupation_group = '2'
        ORDER BY abs(z_score) DESC NULLS LAST LIMIT 25"""),
    ("municipality_top_52w", "Top concepts in Fredrikstad over the last 52 weeks", """
        SELECT concept_label, sum(ads_with_concept) AS ads, sum(ads_with_concept) / any_value(n) AS share
        FROM skill_demand_weekly,
             (SELECT sum(ads) AS n FROM ads_weekly WHERE region_level = 'municipality' AND region_name = 'Fredrikstad'
                AND week_start > $week::DATE - 364 AND week_start <= $week::DATE)
        WHERE region_level = 'municipality' AND region_name = 'Fredrikstad'
          AND week_start > $week::DATE - 364 AND week_start <= $week::DATE
        GROUP BY concept_label ORDER BY ads DESC LIMIT 20"""),
    # Quarters in Norwegian time, as the warehouse counts weeks (not the session's time zone); truncating the local
    # timestamp also skips ICU's calendar arithmetic per row, most of this query's time.
    ("ads_by_county_quarter", "Ads per county (2024 borders) and quarter over the whole history (ads)", """
        SELECT county_name_2024, date_trunc('quarter', timezone('Europe/Oslo', published)) AS quarter, count(*) AS ads,
               count(*) FILTER (WHERE status = 'ACTIVE') AS still_active
        FROM ads WHERE duplicate_of IS NULL
        GROUP BY ALL ORDER BY ALL"""),
    ("ads_asking_for_concept", "Ads in Buskerud in the last 4 weeks that ask for one concept (ad_concepts ⋈ ads)", """
        SELECT a.ad_id, a.title, a.employer, a.municipality_name_2024, a.published, c.required, c.mentions
        FROM ad_concepts c JOIN ads a ON a.ad_id = c.ad_id
        WHERE c.concept_id = $concept AND c.county_name = 'Buskerud'
          AND c.week_start > $week::DATE - 28 AND c.week_start <= $week::DATE
        ORDER BY a.published DESC LIMIT 200"""),
    ("concept_phrasings_4w",
     "How ads word one concept, last 4 weeks: spellings and requirement levels (concept_phrasings_weekly)", """
        SELECT text, requirement, sum(mentions) AS mentions, sum(ads) AS ads
        FROM concept_phrasings_weekly
        WHERE concept_id = $concept AND week_start > $week::DATE - 28 AND week_start <= $week::DATE
        GROUP BY ALL ORDER BY mentions DESC, text, requirement LIMIT 30"""),
    ("cooccurring_concepts_13w", "Concepts most often asked for together with one concept, last 13 weeks", """
        WITH target AS (SELECT ad_id FROM ad_concepts WHERE concept_id = $concept
                          AND week_start > $week::DATE - 91 AND week_start <= $week::DATE)
        SELECT c.concept_label, count(*) AS ads, count(*) / (SELECT count(*) FROM target) AS share_of_those_ads
        FROM ad_concepts c SEMI JOIN target t ON t.ad_id = c.ad_id
        WHERE c.week_start > $week::DATE - 91 AND c.week_start <= $week::DATE AND c.concept_id <> $concept
        GROUP BY c.concept_label ORDER BY ads DESC LIMIT 20"""),
    ("rising_unmapped_terms", "Rising phrases the lexicon lacks, nation, 13-week window", """
        SELECT term, example_text, mention_type, ads_recent, ads_base, share_change, change_ci_low, is_new
        FROM emerging_terms
        WHERE window_weeks = 13 AND region_level = 'national' AND rising
        ORDER BY change_ci_low DESC LIMIT 30"""),
]

# Query 8 as it was before concept_phrasings_weekly: the same question over every mention, run once to check that the
# table gives the same answer at scale.
PHRASINGS_FROM_MENTIONS = """
    SELECT m.text, m.requirement, count(*) AS mentions, count(DISTINCT m.ad_id) AS ads
    FROM mentions m
    SEMI JOIN (SELECT ad_id FROM ad_concepts WHERE concept_id = $concept
                 AND week_start > $week::DATE - 28 AND week_start <= $week::DATE) c ON c.ad_id = m.ad_id
    WHERE m.concept_id = $concept
    GROUP BY ALL ORDER BY mentions DESC, text, requirement LIMIT 30"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with 10 samples p95 is the slowest run)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def run_query(snapshot: Path, sql: str, params: dict[str, Any]) -> tuple[float, int]:
    """One query as `radar sql` runs it: fresh read-only connection, every row fetched."""
    start = time.perf_counter()
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    return time.perf_counter() - start, len(rows)


def dataset_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the benchmark ran on."""
    return {
        "ads": fetch_value(con, "SELECT count(*) FROM ad_state"),
        "synthetic_ads": fetch_value(con, "SELECT count(*) FROM ad_state WHERE source = 'synthetic'"),
        "ad_versions": fetch_value(con, "SELECT count(*) FROM ad_versions"),
        "mentions": fetch_value(con, "SELECT count(*) FROM mentions_store"),
        "unmapped_mentions": fetch_value(con, "SELECT count(*) FROM mentions_store WHERE concept_id IS NULL"),
        "concepts": fetch_value(con, "SELECT count(DISTINCT concept_id) FROM mentions_store"),
        "weeks": fetch_value(con, "SELECT count(DISTINCT date_trunc('week', published)) FROM ad_versions"),
    }


def markdown(result: dict[str, Any]) -> str:
    """The block the README shows."""
    data, rebuild = result["dataset"], result["rebuild"]
    lines = [
        f"Synthetic history (benchmarks/synthetic_history.py, source `synthetic`): {data['ads']:,} ads, "
        f"{data['mentions']:,} mentions over {data['weeks']} weeks; {result['environment']['cpus']} cores, "
        f"DuckDB {result['environment']['duckdb']}.",
        "",
        f"- Rebuild of the trend tables (`refresh_trends`): {rebuild['seconds']} s "
        f"(runs: {', '.join(str(s) for s in rebuild['runs_s'])} s wall, "
        f"{', '.join(str(s) for s in rebuild['cpu_s'])} s CPU over all threads; target < 120 s) → "
        + ", ".join(f"{k} {v:,} rows" for k, v in rebuild["rows"].items()),
        f"- Publishing the snapshot (copy of the warehouse without keys, `ads` and `policy_vs_demand` stored): "
        f"{result['publish_s']} s ({result['publish_cpu_s']} s CPU), {result['snapshot_gb']} GB",
        f"- Load average of the machine (other jobs were running): before {result['environment']['load_average_before']}, "
        f"after {result['environment']['load_average_after']}",
        "",
        "| # | analyst query | p50 s | p95 s | cold s | rows |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for i, q in enumerate(result["queries"], start=1):
        lines.append(f"| {i} | {q['description']} (`{q['name']}`) | {q['p50_s']:.3f} | {q['p95_s']:.3f} | "
                     f"{q['cold_s']:.3f} | {q['rows']} |")
    lines.append("")
    check = result["phrasings_check"]
    lines.append(f"Query 8 reads concept_phrasings_weekly; the same question over every mention (⋈ ad_concepts) took "
                 f"{check['mentions_query_s']:.3f} s and gave "
                 f"{'the same rows' if check['same_answer_as_mentions'] else 'DIFFERENT rows'}.")
    lines.append(f"p95 over all {result['repeats']}×{len(result['queries'])} executions: {result['p95_all_s']:.3f} s "
                 f"(target < 1 s per query: {'met' if result['targets']['query_p95_met'] else 'MISSED'}).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "data" / "bench" / "synthetic.duckdb")
    parser.add_argument("--week", default=None, help="reference ISO week (default: the newest week with ads)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rebuilds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} is missing: make it with benchmarks/synthetic_history.py --out {args.db}")

    load_before = os.getloadavg()
    con = open_warehouse(args.db)
    con.execute("SET enable_progress_bar = false")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    threads, memory_limit = fetch_one(con, "SELECT current_setting('threads'), current_setting('memory_limit')")
    week = args.week or fetch_value(con, "SELECT strftime(timezone('Europe/Oslo', max(published)), '%G-W%V') FROM ads")
    counts = dataset_counts(con)

    runs, cpu, rows = [], [], {}
    for _ in range(args.rebuilds):
        start, start_cpu = time.perf_counter(), time.process_time()
        rows = refresh_trends(con, week)
        runs.append(round(time.perf_counter() - start, 1))
        cpu.append(round(time.process_time() - start_cpu, 1))
    snapshot = args.db.with_name(args.db.stem + ".analytics.duckdb")
    start, start_cpu = time.perf_counter(), time.process_time()
    publish_snapshot(con, snapshot)
    publish_s, publish_cpu_s = round(time.perf_counter() - start, 1), round(time.process_time() - start_cpu, 1)
    concept = fetch_value(con, """SELECT concept_id FROM skill_trends WHERE window_weeks = 52 AND region_level = 'national'
                                  AND occupation_group = '*' ORDER BY ads_recent DESC, concept_id LIMIT 1""")
    con.close()

    params = {"week": parse_iso_week(week), "concept": concept}
    queries = []
    for name, description, sql in QUERIES:
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        times, n_rows = [], 0
        for _ in range(args.repeats):
            seconds, n_rows = run_query(snapshot, sql, used)
            times.append(seconds)
        queries.append({"name": name, "description": description, "sql": " ".join(sql.split()),
                        "params": {k: str(v) for k, v in used.items()}, "rows": n_rows,
                        "cold_s": round(times[0], 4), "p50_s": round(statistics.median(times), 4),
                        "p95_s": round(percentile(times, 95), 4), "max_s": round(max(times), 4),
                        "times_s": [round(t, 4) for t in times]})
    check_s, _ = run_query(snapshot, PHRASINGS_FROM_MENTIONS, params)
    with duckdb.connect(str(snapshot), read_only=True) as reader:
        same = (reader.execute(PHRASINGS_FROM_MENTIONS, params).fetchall()
                == reader.execute(dict((n, q) for n, _, q in QUERIES)["concept_phrasings_4w"], params).fetchall())
    all_times = [t for q in queries for t in q["times_s"]]
    result = {
        "benchmark": "warehouse_scale",
        "synthetic": True,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {"cpus": os.cpu_count(), "duckdb_threads": threads, "duckdb_memory_limit": memory_limit,
                        "duckdb": duckdb.__version__, "python": platform.python_version(),
                        "load_average_before": [round(x, 2) for x in load_before],
                        "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "dataset": counts | {"db": str(args.db), "db_gb": round(args.db.stat().st_size / 1e9, 2)},
        "reference_week": week,
        "rebuild": {"seconds": max(runs), "runs_s": runs, "cpu_s": cpu, "rows": rows, "tables": list(TREND_TABLES)},
        "publish_s": publish_s,
        "publish_cpu_s": publish_cpu_s,
        "snapshot_gb": round(snapshot.stat().st_size / 1e9, 2),
        "repeats": args.repeats,
        "queries": queries,
        "p95_all_s": round(percentile(all_times, 95), 4),
        "phrasings_check": {"same_answer_as_mentions": same, "mentions_query_s": round(check_s, 4)},
        "targets": {"rebuild_s": 120, "rebuild_met": max(runs) < 120, "query_p95_s": 1.0,
                    "query_p95_met": all(q["p95_s"] < 1.0 for q in queries)},
    }
    result["markdown"] = markdown(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(result["markdown"])
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
