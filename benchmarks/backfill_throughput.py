"""Backfill throughput: 16 weeks of history from a loopback feed into an empty warehouse, then the same weeks again.

The backfill flow (pipelines.flows.backfill) first brings the stores up to date with the weekly stages (ingest →
normalise → dedupe → extract → strategies), then refreshes the trend tables and writes a briefing for every week
of the range, and publishes the snapshot once. Cold: an empty data folder and a feed of 10,000 synthetic entries
spread over the 16 weeks (benchmarks/loopback_corpus.py). Warm: the same backfill again, when the stores have
nothing new, so what remains is the per-week cost. Both run in their own process against a real Prefect server.

    .venv/bin/python benchmarks/backfill_throughput.py [--entries 10000] [--weeks 16]

Writes benchmarks/results/backfill_throughput.json.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
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
from warehouse.trends import iso_week_of, parse_iso_week  # noqa: E402


def describe(run: Any) -> dict[str, Any]:
    summary = run.summary
    per_week = summary["per_week"]
    trends = [w.get("trends", 0.0) for w in per_week.values()]
    briefing = [w.get("briefing", 0.0) for w in per_week.values()]
    week_s = sum(trends) + sum(briefing)
    return {
        "wall_s": run.wall_s, "stages_s": summary["durations"],
        "weeks": len(per_week), "week_s_mean": round(week_s / len(per_week), 2),
        "trends_s_mean": round(sum(trends) / len(trends), 2), "briefing_s_mean": round(sum(briefing) / len(briefing), 2),
        "weeks_per_minute": round(60 * len(per_week) / week_s, 1) if week_s else None,
        "entries_ingested": summary["counts"]["ingest"]["new_entries"],
        "entries_per_s_end_to_end": round(summary["counts"]["ingest"]["new_entries"] / run.wall_s, 1),
        "briefings": len(summary["briefings"]), "counts": summary["counts"].get("backfill"),
        "extract": summary["counts"].get("extract"),
        "peak_tree_pss_mb": run.peak_tree_pss_mb, "flow_process_max_rss_mb": run.max_rss_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR,
                        help="model cache with the encoder and linker (copied; its phrase cache is left out)")
    args = parser.parse_args()
    entries = synthetic_feed(args.entries, weeks=args.weeks)
    first = iso_week_of(parse_iso_week(REPORT_WEEK) - timedelta(weeks=args.weeks - 1))
    params = {"start": first, "end": REPORT_WEEK}
    with scratch("backfill") as tmp:
        home = Path(tmp)
        models = models_for_run(args.models_dir, home / "models")
        with prefect_api(home / "prefect") as (api, _), feed_server(entries) as feed:
            env = flow_env(api, home / "data", feed.url, models)
            runs = {}
            for name in ("cold", "warm"):
                run = run_flow("backfill", params, env, home / f"{name}.log")
                if run.returncode != 0 or run.summary is None:
                    raise SystemExit(f"backfill ({name}) failed:\n{run.log.read_text()[-4000:]}")
                runs[name] = describe(run)
                print(name, runs[name])
    result = {"entries": len(entries), "range": [first, REPORT_WEEK], "runs": runs,
              "note": "cold: empty warehouse, the stores filled by the weekly stages, then trends and a briefing "
                      "(HTML, Markdown, PDF) per week; warm: the same range again with nothing new to ingest. "
                      "Strategies read the shipped registry's URLs: without internet here that stage is retries."}
    print(f"wrote {write_result('backfill_throughput', result)}")


if __name__ == "__main__":
    main()
