"""A weekly run of 10,000 ads from a loopback feed to the briefing: wall time per stage and peak memory.

10,000 synthetic feed entries (benchmarks/loopback_corpus.py: the sample and the real ads varied, every entry
marked synthetic, with updates and stops) are served over HTTP on 127.0.0.1 from a child process. The weekly
flow runs in its own process against a real Prefect server, with the feed URL and a token as a deployment
would set them, into an empty data folder: ingest → normalise → dedupe → extract → strategies → trends →
publish → briefing. Run once per mode: extraction with two forked spaCy workers (the default on 2 cores), in
the flow's process alone, and on a local Dask cluster (dask_address="local", two worker processes). The
resident memory of the flow's whole process tree (extraction workers and Chromium included) is sampled every
0.2 s.

    .venv/bin/python benchmarks/weekly_10k.py [--entries 10000] [--modes processes,serial,dask]

Writes benchmarks/results/weekly_10k.json. Targets: < 3 min, peak RSS ≤ 2.5 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loopback_corpus import (  # noqa: E402
    MODELS_DIR,
    REPORT_WEEK,
    feed_server,
    flow_env,
    models_for_run,
    prefect_api,
    run_flow,
    scratch,
    synthetic_feed,
    write_result,
)

MODES: dict[str, dict[str, Any]] = {"processes": {"extract_processes": 2}, "serial": {"extract_processes": 1},
                                    "dask": {"dask_address": "local"}}


def check(data_dir: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """What the run left: every entry stored once, every ad once, nothing quarantined, a briefing on disk."""
    import duckdb

    con = duckdb.connect(str(data_dir / "analytics.duckdb"), read_only=True)
    ads = len({e["uuid"] for e in entries})
    found = {
        "ads": con.execute("SELECT count(*) FROM ads").fetchone()[0],
        "ad_versions": con.execute("SELECT count(*) FROM ad_versions").fetchone()[0],
        "mentions": con.execute("SELECT count(*) FROM mentions").fetchone()[0],
        "quarantine": con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
        "duplicates_linked": con.execute("SELECT count(*) FROM ads WHERE duplicate_of IS NOT NULL").fetchone()[0],
        "skill_demand_weekly": con.execute("SELECT count(*) FROM skill_demand_weekly").fetchone()[0],
        "extractor_version": con.execute("SELECT extractor_version FROM runs ORDER BY started_at DESC LIMIT 1"
                                         ).fetchone()[0],
        "active_entries_marked_synthetic": con.execute(  # stopped ads are stored from the feed line alone
            "SELECT count(*) FILTER (WHERE json_extract(payload, '$.synthetic') = true) || ' of ' || count(*) "
            "FROM raw_entries WHERE status = 'ACTIVE'").fetchone()[0],
    }
    con.close()
    briefings = sorted(p.name for p in (data_dir / "briefings").glob("*"))
    found.update(expected_ads=ads, expected_entries=len(entries), briefing_files=briefings,
                 complete=found["ads"] == ads and found["ad_versions"] == len(entries) and not found["quarantine"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--modes", default="processes,serial,dask",
                        help="processes: two forked extraction workers (the default on 2 cores); serial: one process; "
                             "dask: a local Dask cluster")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR,
                        help="model cache with the encoder and linker (copied; its phrase cache is left out)")
    args = parser.parse_args()
    started = time.perf_counter()
    entries = synthetic_feed(args.entries)
    generate_s = time.perf_counter() - started
    runs: dict[str, Any] = {}
    with scratch("weekly10k") as tmp:
        home = Path(tmp)
        with prefect_api(home / "prefect") as (api, server_s), feed_server(entries) as feed:
            for mode in args.modes.split(","):
                data_dir = home / f"data-{mode}"
                params = {"week": REPORT_WEEK, **MODES[mode]}
                models = models_for_run(args.models_dir, home / f"models-{mode}")
                run = run_flow("weekly", params, flow_env(api, data_dir, feed.url, models), home / f"{mode}.log")
                if run.returncode != 0 or run.summary is None:
                    print(run.log.read_text()[-5000:])
                    raise SystemExit(f"weekly ({mode}) failed with exit code {run.returncode}")
                durations = run.summary["durations"]
                runs[mode] = {
                    "wall_s": run.wall_s, "stages_s": durations, "stages_total_s": round(sum(durations.values()), 2),
                    "ads_per_s_end_to_end": round(args.entries / run.wall_s, 1),
                    "extract_ads_per_s": round(run.summary["counts"]["extract"]["processed"] / durations["extract"], 1),
                    "peak_tree_pss_mb": run.peak_tree_pss_mb, "peak_tree_rss_mb": run.peak_tree_rss_mb,
                    "flow_process_max_rss_mb": run.max_rss_mb,
                    "counts": {k: run.summary["counts"][k] for k in ("ingest", "normalise", "extract", "duplicates")},
                    "check": check(data_dir, entries),
                    "under_3_min": run.wall_s < 180, "under_2_5_gb": run.peak_tree_pss_mb <= 2560,
                }
                print(mode, runs[mode]["check"]["extractor_version"],
                      json.dumps({k: runs[mode][k] for k in ("wall_s", "stages_s", "peak_tree_pss_mb", "peak_tree_rss_mb")}))
        served = feed.served
    result = {
        "entries": len(entries), "ads": len({e["uuid"] for e in entries}),
        "updates_and_stops": len(entries) - len({e["uuid"] for e in entries}),
        "report_week": REPORT_WEEK, "generate_s": round(generate_s, 1), "prefect_server_start_s": server_s,
        "feed_requests": served, "runs": runs,
        "note": "Synthetic entries (marked `synthetic: true`) varied from the 90 sample and 195 real ads; served over "
                "loopback HTTP from a child process; the flow in its own process against a real Prefect server. "
                "wall_s is the flow process from start to exit (interpreter, imports and Prefect included); "
                "peak_tree_pss_mb sums the proportional set size of the flow process and its children (Dask "
                "workers, Chromium), peak_tree_rss_mb their resident sizes (shared pages counted once per process, "
                "an upper bound); flow_process_max_rss_mb is the flow process's own high-water mark. The strategies "
                "stage reads the sample corpus's 4 documents from disk (loopback_corpus.flow_env): the shipped "
                "registry's URLs cannot be reached from this machine. The linker is on with an empty phrase cache "
                "(every phrase is new to the run): the slowest case.",
    }
    path = write_result("weekly_10k", result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
