"""kill -9 at random moments of whole weekly runs, over a faulty network, then re-runs: nothing lost, nothing doubled.

A synthetic feed (benchmarks/loopback_corpus.py; new ads, updates and stops) is served over loopback HTTP with
5 % injected network faults (500, 503, 429, cut bodies, cut JSON, stalls). One undisturbed weekly run gives the
reference warehouse and its duration T. Then, for each trial, a fresh data folder: the weekly flow starts in its
own process group and the whole group (flow, Chromium, anything it started) gets SIGKILL at a moment drawn
uniformly from (1 s, T); every third trial its first re-run is killed as well; then it runs again to completion.
The result must equal the reference: every entry, ad version, ad and mention exactly once, the same trend
table, a snapshot and a briefing.

    .venv/bin/python benchmarks/fault_injection.py [--trials 9] [--entries 1500] [--fault-rate 0.05]

Writes benchmarks/results/fault_injection.json. Target: 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import random
import re
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

FINISHED_RE = re.compile(r"Task run '([a-z_-]+?)-[0-9a-z]+' - Finished in state (\w+)")


def state_of(data_dir: Path) -> dict[str, Any]:
    """Everything the comparison needs from the private warehouse, as sets and counts."""
    import duckdb

    con = duckdb.connect(str(data_dir / "radar.duckdb"), read_only=True)

    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]

    state = {
        "raw": one("SELECT count(*) FROM raw_entries"), "raw_distinct": one("SELECT count(DISTINCT entry_id) FROM raw_entries"),
        "versions": one("SELECT count(*) FROM ad_versions"),
        "versions_distinct": one("SELECT count(DISTINCT entry_id) FROM ad_versions"),
        "ads": {r[0] for r in con.execute("SELECT ad_id FROM ads").fetchall()},
        "ads_rows": one("SELECT count(*) FROM ads"),
        "ad_state": set(con.execute("SELECT ad_id, status, current_entry_id, versions, stopped_at, duplicate_of "
                                    "FROM ad_state").fetchall()),
        "mentions": one("SELECT count(*) FROM mentions"),
        "mention_keys": set(con.execute('SELECT ad_id, entry_id, start, "end", concept_id, requirement '
                                        "FROM mentions").fetchall()),
        "mentions_doubled": one('SELECT count(*) - count(DISTINCT (ad_id, entry_id, start, "end", type)) FROM mentions'),
        "extractions_doubled": one("SELECT count(*) - count(DISTINCT (ad_id, entry_id, extractor_version)) "
                                   "FROM extractions"),
        "not_extracted": one("SELECT count(*) FROM ad_state s WHERE s.content_entry_id IS NOT NULL AND NOT EXISTS "
                             "(SELECT 1 FROM extractions e WHERE e.ad_id = s.ad_id "
                             "AND e.entry_id = s.content_entry_id)"),
        "quarantine": one("SELECT count(*) FROM quarantine"),
        "demand": set(con.execute("SELECT * EXCLUDE (computed_at) FROM skill_demand_weekly").fetchall())
        if "computed_at" in {c[0] for c in con.execute("DESCRIBE skill_demand_weekly").fetchall()}
        else set(con.execute("SELECT * FROM skill_demand_weekly").fetchall()),
        "runs": [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()],
        "extractor_version": one("SELECT max(extractor_version) FROM extractions"),
    }
    con.close()
    state["snapshot"] = (data_dir / "analytics.duckdb").exists()
    state["briefing"] = any((data_dir / "briefings").glob(f"{REPORT_WEEK}_*.html"))
    return state


def compare(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """Lost and doubled, counted at every level, against the undisturbed run."""
    return {
        "ads_expected": len(want["ads"]), "ads_found": len(got["ads"]),
        "ads_lost": len(want["ads"] - got["ads"]), "ads_extra": len(got["ads"] - want["ads"]),
        "ads_doubled": got["ads_rows"] - len(got["ads"]),
        "entries_expected": want["raw_distinct"], "entries_found": got["raw_distinct"],
        "entries_doubled": got["raw"] - got["raw_distinct"], "versions_doubled": got["versions"] - got["versions_distinct"],
        "ad_state_differs": len(got["ad_state"] ^ want["ad_state"]),
        "mentions_expected": want["mentions"], "mentions_found": got["mentions"],
        "mentions_lost": len(want["mention_keys"] - got["mention_keys"]),
        "mentions_extra": len(got["mention_keys"] - want["mention_keys"]),
        "mentions_doubled": got["mentions_doubled"], "extractions_doubled": got["extractions_doubled"],
        "ads_not_extracted": got["not_extracted"], "quarantined": got["quarantine"],
        "trend_rows_differ": len(got["demand"] ^ want["demand"]),
        "snapshot": got["snapshot"], "briefing": got["briefing"], "runs": got["runs"],
    }


def last_finished(log: Path) -> str:
    """The last task the killed run finished (the kill hit the stage after it)."""
    found = FINISHED_RE.findall(log.read_text(errors="replace"))
    return found[-1][0] if found else "(none: start-up or ingest)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=9)
    parser.add_argument("--entries", type=int, default=1500)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR,
                        help="model cache with the encoder and linker (copied; its phrase cache is left out)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    entries = synthetic_feed(args.entries, seed=11)
    params = {"week": REPORT_WEEK}
    trials: list[dict[str, Any]] = []
    with scratch("faults") as tmp:
        home = Path(tmp)
        models = models_for_run(args.models_dir, home / "models")
        with prefect_api(home / "prefect") as (api, _), \
                feed_server(entries, fault_rate=args.fault_rate, seed=args.seed) as feed:
            references: dict[str, dict[str, Any]] = {}

            def reference_for(version: str | None) -> dict[str, Any] | None:
                """The undisturbed run made with this extractor (models may change while the benchmark runs)."""
                for _ in range(2):
                    if version in references:
                        return references[version]
                    data_dir = home / f"reference-{len(references)}"
                    run = run_flow("weekly", params, flow_env(api, data_dir, feed.url, models),
                                   home / f"reference-{len(references)}.log")
                    if run.returncode != 0:
                        raise SystemExit(f"a reference run failed:\n{run.log.read_text()[-3000:]}")
                    state = state_of(data_dir)
                    references[state["extractor_version"]] = dict(state, run=run)
                    print(f"reference ({state['extractor_version']}): {run.wall_s} s, {len(state['ads'])} ads, "
                          f"{state['mentions']} mentions")
                    if version is None:
                        return references[state["extractor_version"]]
                return references.get(version)

            first = reference_for(None)
            reference, span = first["run"], first["run"].wall_s
            for number in range(1, args.trials + 1):
                data_dir = home / f"trial-{number}"
                env = flow_env(api, data_dir, feed.url, models)
                kills = []
                for attempt in range(2 if number % 3 == 0 else 1):
                    at = round(rng.uniform(1.0, span), 2)
                    victim = run_flow("weekly", params, env, home / f"trial-{number}-kill-{attempt}.log", kill_after=at)
                    kills.append({"planned_s": at, "killed_at_s": victim.killed_at_s,
                                  "finished_first": victim.killed_at_s is None, "returncode": victim.returncode,
                                  "after_task": last_finished(victim.log)})
                started = time.perf_counter()
                rerun = run_flow("weekly", params, env, home / f"trial-{number}-rerun.log")
                outcome: dict[str, Any] = {"rerun_failed": True}
                if rerun.returncode == 0:
                    got = state_of(data_dir)
                    want = reference_for(got["extractor_version"])
                    outcome = (dict(compare(got, want), extractor_version=got["extractor_version"]) if want
                               else {"no_reference_for_extractor": got["extractor_version"]})
                trials.append({"trial": number, "kills": kills, "rerun_returncode": rerun.returncode,
                               "rerun_s": round(time.perf_counter() - started, 1), **outcome})
                print(number, kills, {k: outcome.get(k) for k in ("ads_found", "ads_lost", "ads_doubled",
                                                                   "mentions_lost", "mentions_doubled")})
        served = feed.served
    killed = sum(1 for t in trials for k in t["kills"] if not k["finished_first"])
    totals = {key: sum(int(t.get(key) or 0) for t in trials)
              for key in ("ads_lost", "ads_extra", "ads_doubled", "entries_doubled", "versions_doubled",
                          "ad_state_differs", "mentions_lost", "mentions_extra", "mentions_doubled", "extractions_doubled",
                          "ads_not_extracted", "quarantined", "trend_rows_differ")}
    result = {
        "entries": len(entries), "ads": len(first["ads"]), "fault_rate": args.fault_rate, "seed": args.seed,
        "reference_run_s": reference.wall_s, "reference_stages_s": reference.summary["durations"],
        "runs_killed": killed, "trials": len(trials),
        "ads_expected_per_trial": len(first["ads"]),
        "references": {version: {"mentions": ref["mentions"], "run_s": ref["run"].wall_s}
                       for version, ref in references.items()},
        "totals": totals, "all_reruns_completed": all(t["rerun_returncode"] == 0 for t in trials),
        "all_snapshots_and_briefings": all(t.get("snapshot") and t.get("briefing") for t in trials),
        "all_compared": all("ads_found" in t for t in trials),
        "zero_lost_zero_doubled": all(v == 0 for v in totals.values()), "feed_requests": served,
        "trial_details": trials,
        "note": "Each kill is SIGKILL to the flow's whole process group at a uniform random moment of a run's "
                "duration; after_task is the last task the killed run finished. Counts are against an undisturbed "
                "run of the same feed made with the same extractor version (the models may change while this "
                "runs, so a reference is made for each version met).",
    }
    path = write_result("fault_injection", result)
    print({k: result[k] for k in ("runs_killed", "totals", "zero_lost_zero_doubled")}, f"wrote {path}")


if __name__ == "__main__":
    main()
