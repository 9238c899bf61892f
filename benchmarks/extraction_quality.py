"""Extraction quality by ANNOTATION.md on the team's annotations, measured on texts the models never saw.

The span model is cross-validated by document (k folds over the annotated dev ads and the nb/nn sentences at
once: every text is scored by a model trained without it). The lexicon-only pipeline (no training) is
scored on the same texts for comparison; its lexicon was curated on the first 45 dev ads, so its figures
are optimistic there (benchmarks/extraction_heldout.py scores ads annotated after a model was trained). The requirement level is rule-based (no training), tuned on the same dev ads.

Run:  .venv/bin/python benchmarks/extraction_quality.py [--folds 5] [--processes 2]
Writes benchmarks/results/extraction_quality.json (and the out-of-fold predictions next to it).
Never reads the texts of ads marked "split": "test".
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

from extractors.corpus import team_examples  # noqa: E402
from extractors.evaluate import format_report, score  # noqa: E402
from extractors.extract import Extractor  # noqa: E402
from models.span_model import SpanTrainParams, cross_validate  # noqa: E402

ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
RESULTS = REPO / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ads", type=Path, default=ADS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=SpanTrainParams().epochs)
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction_quality.json")
    args = parser.parse_args()
    if not args.ads.is_file():
        sys.exit(f"{args.ads} not found: this benchmark needs ../shared/data (the annotated dev ads)")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    sets = team_examples(args.ads)
    started = time.perf_counter()
    params = SpanTrainParams(epochs=args.epochs)
    cv = cross_validate(sets, params, k=args.folds, n_process=args.processes, progress=print)
    cv_seconds = time.perf_counter() - started
    predictions = cv.pop("predictions")

    rules = Extractor.load(use_span_model=False, use_linker=False)
    baseline = {}
    for name, examples in sets.items():
        pred = {i: [m.as_dict() for m in ms] for i, ms in rules.extract_many((e.id, e.text, e.lang) for e in examples)}
        baseline[name] = score({e.id: e.mentions for e in examples}, pred).as_dict()

    for name, examples in sets.items():
        ref = {e.id: e.mentions for e in examples}
        print(format_report(score(ref, predictions[name]), f"== {name}: lexicon + span model, {args.folds}-fold CV"))
    result = {
        "benchmark": "extraction_quality",
        "what": "lexicon + span model, k-fold cross-validated by document; lexicon-only for comparison",
        "span_model_cv": cv,
        "lexicon_only": baseline,
        "params": {"epochs": params.epochs, "dropout": params.dropout, "batch_size": params.batch_size,
                   "seed": params.seed, "folds": args.folds},
        "data": {name: {"texts": len(ex), "mentions": sum(len(e.mentions) for e in ex)} for name, ex in sets.items()},
        "notes": [
            "The lexicon was curated on the first 45 dev ads, so lexicon hits are easier there than on unseen ads.",
            "Requirement rules were written against the dev ads; nb/nn sentences are the less biased check.",
        ],
        "seconds": round(cv_seconds, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    args.out.with_name(args.out.stem + "_predictions.json").write_text(
        json.dumps(predictions, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
