"""Extraction quality on annotated dev ads a span model never trained on: the closest measure to unseen ads.

Cross-validation scores ads the lexicon and the section rules were tuned on; ads annotated after a model was
trained are scored here by that model as it was shipped. Which ads trained it comes from its model card
(`data.dev_ad_ids`), or, for cards that predate that field, from `--trained-on-first N` (the first N lines of
extractors/annotations/dev_ads.jsonl, which only ever grows at the end).

Run:  .venv/bin/python benchmarks/extraction_heldout.py --version v2 --trained-on-first 45
Writes benchmarks/results/extraction_heldout_<version>.json. Never reads ads marked "split": "test".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
ANNOTATIONS = REPO / "extractors" / "annotations" / "dev_ads.jsonl"
SPAN_MODELS = REPO / "models" / "artefacts"
RESULTS = REPO / "benchmarks" / "results"


def trained_ids(root: Path, version: str, first: int | None) -> set[str]:
    """Ids of the dev ads the span model trained on (model card, else the first N annotation lines)."""
    card = json.loads((root / "span_model" / version / "model_card.json").read_text(encoding="utf-8"))
    ids = card.get("data", {}).get("dev_ad_ids")
    if ids is not None:
        return set(ids)
    if first is None:
        sys.exit(f"span model {version}'s card does not list its training ads: pass --trained-on-first N")
    lines = ANNOTATIONS.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["id"] for line in lines[:first]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True, help="span model version under models/artefacts/span_model")
    parser.add_argument("--root", type=Path, default=SPAN_MODELS, help="artefact root holding span_model/<version>")
    parser.add_argument("--trained-on-first", type=int, default=None)
    parser.add_argument("--ads", type=Path, default=ADS)
    args = parser.parse_args()
    if not args.ads.exists():
        sys.exit(f"{args.ads} not found: the held-out ads' texts live in ../shared/data")

    from extractors.corpus import load_examples
    from extractors.evaluate import format_report, score
    from extractors.extract import Extractor

    seen = trained_ids(args.root, args.version, args.trained_on_first)
    held = [e for e in load_examples(ANNOTATIONS, args.ads) if e.id not in seen]
    if not held:
        sys.exit(f"every annotated dev ad trained span model {args.version}: nothing is held out")
    reference = {e.id: e.mentions for e in held}
    extractor = Extractor.load(use_linker=False, span_model_root=args.root, span_model_version=args.version)
    if extractor.span_model is None:
        sys.exit(f"span model {args.version} could not be loaded from {args.root} (see the warning above)")
    started = time.perf_counter()
    predicted = {ad_id: [m.as_dict() for m in mentions] for ad_id, mentions in
                 extractor.extract_many((e.id, e.text, e.lang) for e in held)}
    report = score(reference, predicted)
    print(format_report(report, f"span model {args.version} on {len(reference)} dev ads it never trained on"))
    result = {"benchmark": "extraction_heldout", "span_model": args.version,
              "extractor_version": extractor.pipeline_version, "trained_on_ads": len(seen),
              "held_out_ads": len(reference), "seconds": round(time.perf_counter() - started, 1),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
              "scores": report.as_dict()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"extraction_heldout_{args.version}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
