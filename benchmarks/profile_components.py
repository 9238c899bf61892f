"""CPU milliseconds per ad for each step of extraction: tokenizer, every pipeline component, glue and linker.

Issue 9 asks where an ad's extraction time goes. The ads are the normalised real ads and sample ads that
benchmarks/extraction_floor.py uses, repeated to --ads texts. Each step runs over all texts in turn
(component.pipe in batches of the pipeline's batch_size, the docs handed from step to step as nlp.pipe
does), so one step's cost is measured alone; the linker links the mentions of each batch of 64 as
Extractor.extract_many does, with a link memo that starts empty every round. The bare spacy.blank('nb')
tokenizer is measured over the same texts as the floor.

    .venv/bin/python benchmarks/profile_components.py [--ads 500] [--rounds 3] [--no-linker] [--cprofile FILE]

Prints a table (process CPU ms per ad, median and minimum of the rounds, and median wall ms per ad; on a
shared machine the minimum is the steadier figure) and writes
benchmarks/results/profile_components.json with the load average before and after.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.extraction_floor import Item, real_items, sample_items  # noqa: E402
from benchmarks.loopback_corpus import write_result  # noqa: E402


def corpus(n: int) -> list[Item]:
    """The floor benchmark's texts (real ads, then sample ads), repeated to n."""
    base = real_items() + sample_items()
    return (base * (n // len(base) + 1))[:n]


def clear_caches() -> int:
    """Empty every functools cache in the extractor's modules (a cold start for texts never seen)."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("extractors.") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
                    cleared += 1
    return cleared


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, process CPU seconds and wall seconds of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = step()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def memo_factory() -> tuple[dict[str, Any], ...]:
    """A fresh link memo for a round (so every round links its texts once), where link_mentions takes one."""
    import inspect

    from extractors.extract import link_mentions

    return ({},) if "memo" in inspect.signature(link_mentions).parameters else ()


def one_round(extractor: Any, items: list[Item], blank: Any) -> dict[str, tuple[float, float]]:
    """Seconds (cpu, wall) per step over all items, each step alone."""
    from extractors.extract import chunks, link_mentions, mentions_from_doc

    out: dict[str, tuple[float, float]] = {}

    def add(name: str, cpu: float, wall: float) -> None:
        before = out.get(name, (0.0, 0.0))
        out[name] = (before[0] + cpu, before[1] + wall)

    texts = [text for _, text, _ in items]
    _, cpu, wall = timed(lambda: [blank(t) for t in texts])
    add("(floor: blank nb tokenizer)", cpu, wall)
    results: list[list[Any]] = [[] for _ in items]
    for lang, nlp in extractor.pipelines.items():
        pieces = [(i, offset, piece) for i, (_, text, l) in enumerate(items) if (l == "nn") == (lang == "nn")
                  for offset, piece in chunks(text or "")]
        if not pieces:
            continue
        docs, cpu, wall = timed(lambda: [nlp.make_doc(p) for _, _, p in pieces])
        add("tokenizer (radar rules)", cpu, wall)
        for name, proc in nlp.pipeline:
            docs, cpu, wall = timed(lambda: list(proc.pipe(docs, batch_size=nlp.batch_size))
                                    if hasattr(proc, "pipe") else [proc(d) for d in docs])
            add(name, cpu, wall)

        def glue() -> None:
            for (i, offset, _), doc in zip(pieces, docs):
                results[i].extend(mentions_from_doc(doc, offset))

        _, cpu, wall = timed(glue)
        add("glue (mentions_from_doc)", cpu, wall)
    if extractor.linker is not None:
        size, memo = 64, memo_factory()
        _, cpu, wall = timed(lambda: [link_mentions(extractor.linker, results[s:s + size], *memo)
                                      for s in range(0, len(results), size)])
        add("linker", cpu, wall)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ads", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--no-linker", action="store_true")
    parser.add_argument("--no-span-model", action="store_true")
    parser.add_argument("--span-model-version", default=None, help="default: the artefact's CURRENT version")
    parser.add_argument("--unique", action="store_true",
                        help="each distinct text once, and the extractor's functools caches emptied "
                             "before every round: the cost of texts never seen before")
    parser.add_argument("--cprofile", type=Path, default=None,
                        help="also write a cProfile of one end-to-end run")
    args = parser.parse_args()

    import spacy

    from extractors.extract import Extractor

    extractor = Extractor.load(models_dir=args.models_dir, use_linker=not args.no_linker,
                               use_span_model=not args.no_span_model,
                               span_model_version=args.span_model_version)
    blank = spacy.blank("nb").tokenizer
    items = corpus(args.ads)
    if args.unique:
        items = list({text: (ad_id, text, lang) for ad_id, text, lang in items}.values())
    list(extractor.extract_many(items[:20], save_cache=False))  # warm-up: first-call costs are not throughput
    load_before = os.getloadavg()
    rounds = []
    for _ in range(args.rounds):
        if args.unique:
            clear_caches()
        rounds.append(one_round(extractor, items, blank))
    load_after = os.getloadavg()
    n = len(items)
    table = {name: {"cpu_ms_per_ad": round(statistics.median(r[name][0] for r in rounds) * 1000 / n, 3),
                    "cpu_ms_per_ad_min": round(min(r[name][0] for r in rounds) * 1000 / n, 3),
                    "wall_ms_per_ad": round(statistics.median(r[name][1] for r in rounds) * 1000 / n, 3)}
             for name in rounds[0]}
    steps = [name for name in table if not name.startswith("(floor")]
    total = {key: round(sum(table[name][key] for name in steps), 3)
             for key in ("cpu_ms_per_ad", "cpu_ms_per_ad_min", "wall_ms_per_ad")}
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        list(extractor.extract_many(items, save_cache=False))
        profiler.disable()
        profiler.dump_stats(str(args.cprofile))
    result = {"extractor_version": extractor.version, "ads": n, "unique_cold": args.unique,
              "rounds": args.rounds, "steps": table,
              "total_excluding_floor": total,
              "load_average_before_after": [[round(x, 2) for x in load_before],
                                            [round(x, 2) for x in load_after]]}
    suffixes = (("_no_linker", args.no_linker), ("_no_span", args.no_span_model), ("_unique", args.unique))
    name = "profile_components" + "".join(suffix for suffix, on in suffixes if on)
    path = write_result(name, result)
    kind = " (distinct, cold caches)" if args.unique else ""
    print(f"{extractor.version}; {n} ads{kind}, {args.rounds} rounds; "
          f"load {result['load_average_before_after']}")
    print(f"{'step':34} {'CPU ms/ad':>10} {'min CPU':>8} {'wall ms/ad':>11}")
    for step, row in [*table.items(), ("total (without floor)", total)]:
        print(f"{step:34} {row['cpu_ms_per_ad']:>10.3f} {row['cpu_ms_per_ad_min']:>8.3f} "
              f"{row['wall_ms_per_ad']:>11.3f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
