"""Extraction throughput in ads/s against its floor, the bare spaCy tokenizer, on the same texts in the same run.

The texts are what the extract stage reads: the 195 real ads of ../shared/data/job_ads and the 90 sample ads,
normalised (HTML → text, PII masked, language detected) exactly as the pipeline does. The real ads are repeated
to about 2,000 texts. Each measurement alternates the full Extractor (as the weekly flow loads it) with
spacy.blank("nb").tokenizer over the same texts, three rounds each; the median counts. The extractor helper's
benchmarks/extraction_throughput.py measures the extractor's parts; this one gives the ratio the issue asks for.

    .venv/bin/python benchmarks/extraction_floor.py [--repeat-to 2000] [--rounds 3]

Writes benchmarks/results/extraction_floor.json. Targets: ≥ 150 ads/s and ≥ 1/3 of the tokenizer's ads/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.loopback_corpus import REAL_ADS, machine, write_result  # noqa: E402
from pipelines.normalise import normalise_entry  # noqa: E402
from pipelines.settings import Settings  # noqa: E402
from pipelines.sources.files import entry_from_record  # noqa: E402
from pipelines.sources.sample import load_sample_entries  # noqa: E402

Item = tuple[str, str, str]


def real_items() -> list[Item]:
    """(id, text, lang) of the 195 real ads, normalised as the pipeline stores them."""
    items = []
    for line in REAL_ADS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            ad = normalise_entry(entry_from_record(record), entry_id=record["id"])
            items.append((ad.ad_id, ad.text, ad.language))
    return items


def sample_items() -> list[Item]:
    """(id, text, lang) of the sample ads' latest active versions."""
    latest: dict[str, Item] = {}
    for entry in load_sample_entries():
        if entry.get("status") == "ACTIVE" and entry.get("ad_content"):
            ad = normalise_entry(entry, entry_id=entry["uuid"] + entry["sistEndret"])
            latest[ad.ad_id] = (ad.ad_id, ad.text, ad.language)
    return list(latest.values())


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else float("inf")


def measure(items: list[Item], extractor: Any, tokenizer: Any, rounds: int) -> dict[str, Any]:
    """Alternate tokenizer and extractor over the same texts; medians of ads/s, mentions and characters."""
    texts = [text for _, text, _ in items]
    tok_rates, ext_rates, mentions = [], [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        tokens = sum(len(doc) for doc in tokenizer.pipe(texts, batch_size=256))
        tok_rates.append(per_second(len(items), time.perf_counter() - start))
        start = time.perf_counter()
        mentions = sum(len(found) for _, found in extractor.extract_many(items))
        ext_rates.append(per_second(len(items), time.perf_counter() - start))
    extraction, floor = statistics.median(ext_rates), statistics.median(tok_rates)
    return {"ads": len(items), "characters": sum(map(len, texts)), "tokens": tokens, "mentions": mentions,
            "languages": {lang: sum(1 for *_, l in items if l == lang) for lang in sorted({l for *_, l in items})},
            "tokenizer_ads_per_s": floor, "tokenizer_rounds": tok_rates,
            "extraction_ads_per_s": extraction, "extraction_rounds": ext_rates,
            "ratio_to_floor": round(extraction / floor, 3),
            "meets_150_ads_per_s": extraction >= 150, "meets_third_of_floor": extraction >= floor / 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat-to", type=int, default=2000, help="real-ad texts, repeated to about this many")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="model cache (default $RADAR_MODELS_DIR, else a temporary one)")
    args = parser.parse_args()

    import spacy

    from extractors.extract import Extractor

    settings = Settings.from_env()
    models_dir = args.models_dir or settings.models_dir or Path("/tmp/radar-bench-models")
    load_average_before = os.getloadavg()[0]
    start = time.perf_counter()
    extractor = Extractor.load(models_dir=models_dir, encoder=settings.encoder)  # as pipelines.flows loads it
    load_s = time.perf_counter() - start
    tokenizer = spacy.blank("nb").tokenizer
    real = real_items()
    repeated = (real * (args.repeat_to // len(real) + 1))[:args.repeat_to]
    repeated = [(f"{ad_id}#{n}", text, lang) for n, (ad_id, text, lang) in enumerate(repeated)]
    list(extractor.extract_many(real[:20]))  # warm-up: first-call costs are not throughput
    result = {
        "extractor_version": extractor.version,
        "span_model": extractor.span_model, "linker": extractor.linker is not None,
        "extractor_load_s": round(load_s, 2),
        "real_ads_repeated": measure(repeated, extractor, tokenizer, args.rounds),
        "sample_ads": measure(sample_items(), extractor, tokenizer, args.rounds),
    }
    if extractor.span_model or extractor.linker is not None:  # what the rule pipeline alone costs, for comparison
        rules = Extractor.load(models_dir=models_dir, encoder=settings.encoder, use_span_model=False, use_linker=False)
        list(rules.extract_many(real[:20]))
        result["rules_only"] = {"extractor_version": rules.version,
                                "real_ads_repeated": measure(repeated, rules, tokenizer, args.rounds)}
    result |= {
        "load_average_1min_before_after": [round(load_average_before, 2), round(os.getloadavg()[0], 2)],
        "note": "ads/s on one core; the floor is spacy.blank('nb').tokenizer over the same texts, measured "
                "alternately in this run. Texts are normalised as the pipeline stores them.",
    }
    path = write_result("extraction_floor", result)
    print(json.dumps({k: result[k] for k in ("extractor_version", "extractor_load_s")}, indent=1))
    parts = {name: result[name] for name in ("real_ads_repeated", "sample_ads")}
    if "rules_only" in result:
        parts["rules_only"] = result["rules_only"]["real_ads_repeated"]
    for name, part in parts.items():
        print(f"{name}: {part['ads']} ads, extraction {part['extraction_ads_per_s']} ads/s, tokenizer "
              f"{part['tokenizer_ads_per_s']} ads/s, ratio {part['ratio_to_floor']}")
    print(f"machine: {machine()}; wrote {path}")


if __name__ == "__main__":
    main()
