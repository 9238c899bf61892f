"""Throughput and peak memory of `radar extract` with everything on (lexicon, span model, linker).

Input: the 155 dev ads of ../shared/data/job_ads/ads.jsonl plus the 90 team-written sample ads
(pipelines/sample_data), i.e. 245 distinct real-shaped ads, repeated to --ads lines in shuffled order with
fresh ids. The command runs as a subprocess exactly as a user runs it; its process tree's resident memory is
sampled every 0.1 s. Reported:
- cold: a run whose linker has never seen a phrase (empty phrase cache; repetitions inside the run hit the
  in-memory cache, as repeated phrases in a week of real ads do);
- warm: the same input again, with the phrase embeddings the cold run left in the model cache (a weekly
  run sees mostly phrases of earlier weeks);
- model load time, measured with a one-line input, so ads/s can be given with and without start-up;
- CPU seconds of the whole process tree, so that on a shared machine (other jobs running) the rate two
  dedicated cores would reach can be estimated as 2 x ads / CPU seconds (perfect use of both cores).

Run:  .venv/bin/python benchmarks/extraction_throughput.py [--ads 2000] [--processes 2] [--models-dir DIR]
Writes benchmarks/results/extraction_throughput.json. Test-split ads are never read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
RESULTS = REPO / "benchmarks" / "results"


def corpus(ads_path: Path) -> list[str]:
    """Texts of the dev ads and the sample corpus (never the test split)."""
    from pipelines.normalise import normalise_entry
    from pipelines.sources.sample import load_sample_entries

    texts = []
    with ads_path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("split") == "dev":
                texts.append(row["text"])
    for entry in load_sample_entries():
        try:
            texts.append(normalise_entry(entry, entry_id=entry.get("uuid", "x"), source="sample").text)
        except (ValueError, TypeError, KeyError):
            continue
    return [t for t in texts if t]


def run(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time, CPU time (whole process tree) and peak resident memory (tree, sampled) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak_tree = peak_main = 0
    while proc.poll() is None:
        try:
            tree = [ps] + ps.children(recursive=True)
            rss = [p.memory_info().rss for p in tree]
            peak_tree, peak_main = max(peak_tree, sum(rss)), max(peak_main, rss[0])
        except psutil.Error:
            pass
        time.sleep(0.1)
    stderr = proc.stderr.read() if proc.stderr else ""
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr}")
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_main_mb": round(peak_main / 2**20), "peak_rss_tree_mb":
            round(peak_tree / 2**20), "stderr_tail": stderr.strip().splitlines()[-3:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ads", type=int, default=2000, help="input lines")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--shared-ads", type=Path, default=ADS)
    parser.add_argument("--no-link", action="store_true", help="measure without the linker")
    parser.add_argument("--no-span-model", action="store_true", help="measure the lexicon alone")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    mode = "lexicon" if args.no_span_model and args.no_link else "no-link" if args.no_link else \
        "no-span-model" if args.no_span_model else "everything"
    args.out = args.out or RESULTS / ("extraction_throughput.json" if mode == "everything"
                                      else f"extraction_throughput_{mode}.json")
    if not args.shared_ads.is_file():
        sys.exit(f"{args.shared_ads} not found: this benchmark needs ../shared/data")

    texts = corpus(args.shared_ads)
    rng = random.Random(0)
    lines = [{"id": f"bench-{i}", "text": texts[rng.randrange(len(texts))]} for i in range(args.ads)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    radar = [sys.executable, "-m", "pipelines.cli", "extract"]
    common = ["--processes", str(args.processes)]
    if args.models_dir:
        common += ["--models-dir", str(args.models_dir)]
    common += ["--no-link"] if args.no_link else []
    common += ["--no-span-model"] if args.no_span_model else []
    with tempfile.TemporaryDirectory() as tmp:
        src, one, out = Path(tmp) / "in.jsonl", Path(tmp) / "one.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
        one.write_text(json.dumps(lines[0], ensure_ascii=False) + "\n", encoding="utf-8")
        if args.models_dir:  # the same models, but an empty phrase cache: the first run is cold
            view = Path(tmp) / "models"
            view.mkdir()
            for entry in Path(args.models_dir).iterdir():
                if entry.name != "linker-cache":
                    (view / entry.name).symlink_to(entry.resolve())
            common[common.index("--models-dir") + 1] = str(view)
        load = run(radar + [str(one), "-o", str(out)] + common, env)
        full = run(radar + [str(src), "-o", str(out)] + common, env)
        warm = run(radar + [str(src), "-o", str(out)] + common, env)
        methods: dict[str, int] = {}
        mentions = 0
        for line in out.read_text(encoding="utf-8").splitlines():
            for m in json.loads(line)["mentions"]:
                mentions += 1
                methods[m["method"]] = methods.get(m["method"], 0) + 1
    processing = max(full["wall_s"] - load["wall_s"], 1e-9)
    cpu_processing = max(full["cpu_s"] - load["cpu_s"], 1e-9)
    result = {
        "benchmark": "extraction_throughput",
        "mode": mode,
        "command": "radar extract IN.jsonl -o OUT.jsonl " + " ".join(common),
        "ads": args.ads,
        "distinct_texts": len(texts),
        "mean_chars": round(sum(len(x["text"]) for x in lines) / len(lines)),
        "load_run": load,
        "full_run": full,
        "warm_run": warm,
        "ads_per_s_warm_after_load": round(args.ads / max(warm["wall_s"] - load["wall_s"], 1e-9), 1),
        "cpu_ms_per_ad_warm_after_load": round(max(warm["cpu_s"] - load["cpu_s"], 1e-9) / args.ads * 1000, 2),
        "ads_per_s_warm_on_2_dedicated_cores_estimate": round(2 * args.ads / max(warm["cpu_s"] - load["cpu_s"], 1e-9), 1),
        "ads_per_s_including_load": round(args.ads / full["wall_s"], 1),
        "ads_per_s_after_load": round(args.ads / processing, 1),
        "cpu_ms_per_ad_after_load": round(cpu_processing / args.ads * 1000, 2),
        "ads_per_s_on_2_dedicated_cores_estimate": round(2 * args.ads / cpu_processing, 1),
        "mentions": mentions,
        "methods": methods,
        "unmapped_share_of_mentions": round(methods.get("span-model-unmapped", 0) / max(mentions, 1), 4),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg(), "python": platform.python_version()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
