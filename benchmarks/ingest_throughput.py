"""Ingest + normalise throughput from a loopback feed, and the 195 real ads through normalisation.

Part 1 serves feed entries over real HTTP on 127.0.0.1 (pipelines.sources.loopback) and times
`ingest_feed` (pages, concurrent entry fetches, one transaction per page) and `normalise_pending`, in ads
(feed entries) per second: without faults, with 20 % injected faults, and with 20 ms of server latency
per request at 1 and 4 workers (what concurrency buys against a real, distant server).

Part 2 wraps the 195 real ads of ../shared/data/job_ads/ads.jsonl as feed entries, normalises them
(crashes counted), reports the language and county distributions, links near-duplicates and lists every
pair whose text similarity lies near the threshold with the decision taken — the evidence for
pipelines/dedupe.py's thresholds.

    .venv/bin/python benchmarks/ingest_throughput.py [--copies 4]

Writes benchmarks/results/ingest_throughput.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loopback_corpus import TOKEN, feed_server  # noqa: E402
from pipelines.dedupe import DedupeConfig, jaccard, link_duplicates, shingles, title_similarity  # noqa: E402
from pipelines.ingest import ingest_feed  # noqa: E402
from pipelines.normalise import normalise_entry  # noqa: E402
from pipelines.sources.files import FILE_STREAM, entry_from_record, ingest_files  # noqa: E402
from pipelines.sources.loopback import Faults  # noqa: E402
from pipelines.sources.nav_feed import FeedClient  # noqa: E402
from pipelines.sources.sample import load_sample_entries  # noqa: E402
from pipelines.stages import normalise_pending  # noqa: E402
from warehouse.db import open_warehouse  # noqa: E402

REAL_ADS = ROOT.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
OUT = ROOT / "benchmarks" / "results" / "ingest_throughput.json"


def corpus(copies: int) -> list[dict[str, Any]]:
    """The sample feed plus the real ads, `copies` times over with fresh uuids (each copy a distinct ad)."""
    base = load_sample_entries()
    if REAL_ADS.exists():
        base += [entry_from_record(json.loads(line)) for line in REAL_ADS.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    entries = []
    for copy in range(copies):
        for entry in base:
            clone = json.loads(json.dumps(entry))
            clone["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{entry['uuid']}|{copy}"))
            clone["sistEndret"] = clone.get("sistEndret") or "2026-01-01T00:00:00Z"
            if clone.get("ad_content"):
                clone["ad_content"]["uuid"] = clone["uuid"]
            entries.append(clone)
    return entries


def run_once(entries: list[dict[str, Any]], *, faults: Faults, latency: float, workers: int, page_size: int
             ) -> dict[str, Any]:
    """One full ingestion + normalisation into a fresh warehouse, timed stage by stage."""
    with feed_server(entries, faults=faults, latency=latency) as feed, tempfile.TemporaryDirectory() as tmp:
        con = open_warehouse(Path(tmp) / "w.duckdb")
        source = f"nav:{feed.url}"
        with FeedClient(feed.url, TOKEN, page_size=page_size, workers=workers, timeout=1.0, backoff=0.05,
                        max_attempts=8) as client:
            start = time.perf_counter()
            report = ingest_feed(con, client, source=source, run_id="bench")
            ingest_s = time.perf_counter() - start
        start = time.perf_counter()
        normalise_pending(con, "bench", source=source)
        normalise_s = time.perf_counter() - start
        start = time.perf_counter()
        links = link_duplicates(con)
        dedupe_s = time.perf_counter() - start
        stored = con.execute("SELECT count(*) FROM ad_versions").fetchall()[0][0]
        con.close()
    requests, injected = feed.served["requests"], sum(feed.served["faults_injected"].values())
    assert stored == len(entries) and report.quarantined == 0, (stored, len(entries), report)
    total = ingest_s + normalise_s
    return {"entries": len(entries), "pages": report.pages, "workers": workers, "page_size": page_size,
            "server_latency_s": latency, "fault_rate": faults.rate, "requests": requests,
            "faults_injected": injected, "ingest_s": round(ingest_s, 2), "normalise_s": round(normalise_s, 2),
            "link_duplicates_s": round(dedupe_s, 2), "duplicates_linked": links,
            "ingest_ads_per_s": round(len(entries) / ingest_s, 1),
            "normalise_ads_per_s": round(len(entries) / normalise_s, 1),
            "ingest_plus_normalise_ads_per_s": round(len(entries) / total, 1)}


def real_ads_report() -> dict[str, Any]:
    """The 195 real ads: crashes, languages, counties, near-duplicates and the pairs near the threshold."""
    records = [json.loads(line) for line in REAL_ADS.read_text(encoding="utf-8").splitlines() if line.strip()]
    crashes, ads = [], []
    for record in records:
        try:
            ads.append(normalise_entry(entry_from_record(record), entry_id=record["id"]))
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            crashes.append(f"{record['id']}: {type(exc).__name__}: {exc}")
    cfg = DedupeConfig()
    with tempfile.TemporaryDirectory() as tmp:
        con = open_warehouse(Path(tmp) / "real.duckdb")
        ingest_files(con, REAL_ADS, run_id="real")
        normalise_pending(con, "real", source=FILE_STREAM)
        linked = link_duplicates(con, cfg)
        links = con.execute("""SELECT d.ad_id, d.duplicate_of, d.text_jaccard, d.title_jaccard, a.title, b.title
                               FROM ad_duplicates d JOIN ads a ON a.ad_id = d.ad_id
                               JOIN ads b ON b.ad_id = d.duplicate_of ORDER BY d.text_jaccard DESC""").fetchall()
        rows = con.execute("""SELECT s.ad_id, v.title, v.text, v.municipality_code_2024, s.duplicate_of
                              FROM ad_state s JOIN ad_versions v ON v.entry_id = s.content_entry_id""").fetchall()
        con.close()
    sets = {ad_id: shingles(text, cfg.shingle_words) for ad_id, _, text, _, _ in rows}
    info = {ad_id: (title, place, dup) for ad_id, title, _, place, dup in rows}
    near = []
    for a, b in itertools.combinations(sorted(sets), 2):
        score = jaccard(sets[a], sets[b])
        if score < 0.4:
            continue
        title = title_similarity(info[a][0], info[b][0])
        linked_pair = info[a][2] == b or info[b][2] == a
        reason = ("linked" if linked_pair else
                  "text below threshold" if score < cfg.threshold else
                  "titles differ" if title is not None and title < cfg.title_threshold else
                  "different municipalities" if info[a][1] and info[b][1] and info[a][1] != info[b][1] else
                  "other original already taken")
        near.append({"a": a, "b": b, "text_jaccard": round(score, 3),
                     "title_jaccard": None if title is None else round(title, 3),
                     "titles": [info[a][0], info[b][0]], "decision": reason})
    near.sort(key=lambda p: -p["text_jaccard"])
    return {
        "ads": len(records), "normalised": len(ads), "crashes": crashes,
        "languages": dict(Counter(ad.language for ad in ads).most_common()),
        "counties_2024": dict(Counter(ad.county_name_2024 or "unresolved" for ad in ads).most_common()),
        "municipality_resolved": sum(ad.municipality_code_2024 is not None for ad in ads),
        "styrk08_coded": sum(ad.styrk08 is not None for ad in ads),
        "near_duplicates_linked": linked,
        "links": [{"ad_id": a, "duplicate_of": b, "text_jaccard": t, "title_jaccard": tt, "titles": [x, y]}
                  for a, b, t, tt, x, y in links],
        "dedupe_config": {"shingle_words": cfg.shingle_words, "num_perm": cfg.num_perm,
                          "threshold": cfg.threshold, "candidate_threshold": cfg.candidate_threshold,
                          "title_threshold": cfg.title_threshold, "min_shingles": cfg.min_shingles},
        "pairs_with_text_jaccard_at_least_0_4": near,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="How many times the corpus is repeated.")
    args = parser.parse_args()
    entries = corpus(args.copies)
    load_before = os.getloadavg()
    runs = [
        run_once(entries, faults=Faults(), latency=0.0, workers=4, page_size=100),
        run_once(entries, faults=Faults(rate=0.2, seed=5, retry_after=0, stall_seconds=2.0), latency=0.0,
                 workers=4, page_size=100),
        run_once(entries, faults=Faults(), latency=0.02, workers=1, page_size=100),
        run_once(entries, faults=Faults(), latency=0.02, workers=4, page_size=100),
    ]
    result = {
        "benchmark": "ingest_throughput",
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]},
        "note": ("Loopback HTTP on 127.0.0.1, server in a separate process; ads/s counts feed entries (each one ad "
                 "version). "
                 "Faulted run: 500/503/429(Retry-After 0)/cut body/cut JSON/stall at 20 %, client timeout 1 s."),
        "runs": runs,
        "real_ads": real_ads_report() if REAL_ADS.exists() else "../shared/data/job_ads/ads.jsonl absent",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    for run in runs:
        print(f"workers={run['workers']} latency={run['server_latency_s']}s faults={run['fault_rate']}: "
              f"ingest {run['ingest_ads_per_s']}/s, normalise {run['normalise_ads_per_s']}/s, "
              f"together {run['ingest_plus_normalise_ads_per_s']} ads/s ({run['entries']} entries)")
    if isinstance(result["real_ads"], dict):
        real = result["real_ads"]
        print(f"real ads: {real['normalised']}/{real['ads']} normalised, {len(real['crashes'])} crashes, "
              f"languages {real['languages']}, {real['near_duplicates_linked']} near-duplicates")
    print(f"→ {OUT}")


if __name__ == "__main__":
    main()
