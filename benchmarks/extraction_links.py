"""Link precision on hand-judged mentions, and the share of span-model mentions left unmapped.

Step 1 (`sample`): run the full extractor (lexicon + span model + linker) over the dev ads and the team's
90 sample ads (pipelines/sample_data), and write a
seeded random sample of the linked mentions as judgement lines (verdict empty) for a person to judge.
Mention texts used to calibrate the threshold (extractors/annotations/link_calibration.jsonl) are left out,
so the precision is measured on links the threshold was not chosen on.
Step 2 (`score`): read extractors/annotations/link_judgements.jsonl (the same lines with "verdict":
"correct" | "wrong", and a note) and report link precision with a 95 % Wilson interval, together with the
unmapped share over all span-model mentions of the run.

Run:  .venv/bin/python benchmarks/extraction_links.py sample --models-dir DIR > /tmp/to_judge.jsonl
      .venv/bin/python benchmarks/extraction_links.py score --models-dir DIR
Writes benchmarks/results/extraction_links.json. Test-split ads are never read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
JUDGEMENTS = REPO / "extractors" / "annotations" / "link_judgements.jsonl"
CALIBRATION = REPO / "extractors" / "annotations" / "link_calibration.jsonl"
RESULTS = REPO / "benchmarks" / "results"


def linked_run(models_dir: Path, ads_path: Path) -> tuple[list[dict], dict[str, int]]:
    """Span-model mentions of every dev ad (linked and unmapped), with context, and counts by method."""
    from extractors.extract import LINKED, UNMAPPED, Extractor
    from pipelines.normalise import detect_language

    extractor = Extractor.load(models_dir=models_dir)
    if extractor.linker is None or extractor.span_model is None:
        sys.exit("the span model and the linker must both be available (see the warnings above)")
    rows = [json.loads(line) for line in ads_path.open(encoding="utf-8")]
    dev = [r for r in rows if r.get("split") == "dev"] + sample_ads()
    texts = {r["id"]: r["text"] for r in dev}
    out, counts = [], {}
    for ad_id, mentions in extractor.extract_many((r["id"], r["text"], detect_language(r["text"])) for r in dev):
        for m in mentions:
            counts[m.method] = counts.get(m.method, 0) + 1
            if m.method in (LINKED, UNMAPPED):
                text = texts[ad_id]
                out.append({"ad_id": ad_id, "start": m.start, "end": m.end, "text": m.text, "type": m.type,
                            "context": text[max(0, m.start - 60):m.end + 40].replace("\n", " | "),
                            "concept_id": m.concept_id, "concept_label": m.concept_label, "score": m.score,
                            "method": m.method})
    return out, counts


def sample_ads() -> list[dict]:
    """The team-written sample corpus (pipelines/sample_data) as {id, text}: more real-shaped ads to judge."""
    from pipelines.normalise import normalise_entry
    from pipelines.sources.sample import load_sample_entries

    out = []
    for entry in load_sample_entries():
        try:
            ad = normalise_entry(entry, entry_id=entry.get("uuid", "x"), source="sample")
        except (ValueError, TypeError, KeyError):
            continue
        if ad.text:
            out.append({"id": f"sample:{entry.get('uuid')}", "text": ad.text})
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 4), round(centre + half, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["sample", "score"])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--ads", type=Path, default=ADS)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction_links.json")
    args = parser.parse_args()
    mentions, counts = linked_run(args.models_dir, args.ads)
    linked = [m for m in mentions if m["method"] == "span-model-linked"]
    if args.step == "sample":
        calibrated = {json.loads(line)["text"] for line in CALIBRATION.open(encoding="utf-8") if line.strip()}
        unique = {}
        for m in linked:
            if m["text"] not in calibrated:
                unique.setdefault(m["text"], m)
        pool = [unique[t] for t in sorted(unique)]
        for m in random.Random(0).sample(pool, min(args.n, len(pool))):
            print(json.dumps({**m, "verdict": "", "note": ""}, ensure_ascii=False))
        return
    judged = [json.loads(line) for line in args.judgements.open(encoding="utf-8") if line.strip()]
    if any(j.get("verdict") not in ("correct", "wrong") for j in judged):
        sys.exit(f"{args.judgements}: every line needs verdict 'correct' or 'wrong'")
    produced = {(m["ad_id"], m["start"], m["concept_id"]) for m in linked}
    current = [j for j in judged if (j["ad_id"], j["start"], j["concept_id"]) in produced]

    def precision(rows: list[dict]) -> dict:
        right = sum(j["verdict"] == "correct" for j in rows)
        return {"judged": len(rows), "correct": right, "precision": round(right / max(len(rows), 1), 4),
                "precision_95ci": wilson(right, len(rows))}

    span_total = counts.get("span-model-linked", 0) + counts.get("span-model-unmapped", 0)
    result = {
        "benchmark": "extraction_links",
        "what": "precision of accepted links on hand-judged mentions (disjoint from the 150 calibration links)",
        "links_made_by_this_run": precision(current),
        "all_judged_links": precision(judged),
        "by_concept_id": {name: precision([j for j in current if j["concept_id"].startswith(prefix)])
                          for name, prefix in (("esco_uri", "http://data.europa.eu/esco/"), ("radar", "radar:"))},
        "mentions_by_method": counts,
        "span_model_mentions": span_total,
        "unmapped_share_of_span_model_mentions": round(counts.get("span-model-unmapped", 0) / max(span_total, 1), 4),
        "unmapped_share_of_all_mentions": round(counts.get("span-model-unmapped", 0) / max(sum(counts.values()), 1), 4),
        "notes": ["all_judged_links also counts links judged on an earlier span-model configuration that the "
                  "current span model no longer proposes; the linker and its threshold are the same"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
