"""Fuzzing at volume: the strategies of tests/pipelines/fuzz_strategies.py, many more cases than the tests run.

Each target is called with hypothesis-generated input under the contract its caller relies on (see
tests/pipelines/test_fuzz_inputs.py). An exception outside the contract is a crash: counted, its first
occurrences kept, and fuzzing goes on. Targets: html_to_text; parse_feed_page; parse_feed_entry → raw_row →
normalise_entry; pdf_text on damaged copies of the sample strategy plan; and the ingest + normalise stages over
whole adversarial feeds (every entry stored or quarantined).

    .venv/bin/python benchmarks/fuzz_inputs.py [--scale 1.0]

Writes benchmarks/results/fuzz_inputs.json. Target: 0 crashes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from benchmarks.loopback_corpus import write_result  # noqa: E402
from pipelines.ingest import raw_row  # noqa: E402
from pipelines.normalise import html_to_text, normalise_entry  # noqa: E402
from pipelines.sources.nav_feed import parse_feed_entry, parse_feed_page  # noqa: E402
from pipelines.sources.strategy_docs import pdf_text  # noqa: E402
from pipelines.stages import normalise_pending  # noqa: E402
from tests.pipelines import fuzz_strategies as fz  # noqa: E402
from tests.pipelines.test_fuzz_inputs import ingest_adversarial_feed  # noqa: E402
from warehouse.db import open_warehouse  # noqa: E402

SAMPLE_PDF = ROOT / "pipelines" / "sample_data" / "strategy" / "regional_kompetanseplan_ostfold_2026.pdf"


class Tally:
    """Cases tried and crashes (an exception outside the target's contract), by where they were raised."""

    def __init__(self, name: str) -> None:
        self.name, self.cases, self.crashes, self.samples = name, 0, 0, []
        self.start = time.perf_counter()

    def crash(self, exc: BaseException, case: Any) -> None:
        self.crashes += 1
        if len(self.samples) < 5:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.samples.append({"error": f"{type(exc).__name__}: {str(exc)[:200]}",
                                 "at": f"{Path(where.filename).name}:{where.lineno}", "input": repr(case)[:300]})

    def report(self) -> dict[str, Any]:
        return {"cases": self.cases, "crashes": self.crashes, "seconds": round(time.perf_counter() - self.start, 1),
                "crash_samples": self.samples}


def fuzz(strategy: st.SearchStrategy[Any], examples: int, target: Callable[[Any], None], name: str) -> dict[str, Any]:
    """Run `target` over `examples` generated inputs; it raises only what breaks its contract."""
    tally = Tally(name)

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case: Any) -> None:
        tally.cases += 1
        try:
            target(case)
        except Exception as exc:  # noqa: BLE001 - a crash is what is being counted
            tally.crash(exc, case)

    run()
    print(name, tally.report())
    return tally.report()


def html_target(html: str) -> None:
    html_to_text(html)


def page_target(payload: Any) -> None:
    try:
        parse_feed_page(payload)
    except (ValueError, KeyError, TypeError):  # FeedClient.get_page reports these as a SourceError
        pass


def entry_target(payload: Any) -> None:
    try:
        entry = parse_feed_entry(payload, "e1")
    except ValueError:  # quarantined
        return
    row = raw_row("e1", "nav:fuzz", entry.raw, "r", datetime.now(timezone.utc))
    try:
        normalise_entry(json.loads(row["payload"]), entry_id="e1")
    except (ValueError, TypeError, KeyError, AttributeError):  # quarantined by normalise_pending
        pass


def pdf_target(data: bytes) -> None:
    pdf_text(data)


def feed_target(con: Any) -> Callable[[list[Any]], None]:
    runs = iter(range(10**9))

    def run(entries: list[Any]) -> None:
        stream, ids, stored, held = ingest_adversarial_feed(con, entries, next(runs))
        if stored | held != set(ids):
            raise AssertionError(f"entries neither stored nor quarantined: {set(ids) - stored - held}")
        normalise_pending(con, "fuzz", source=stream)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every target's number of cases")
    args = parser.parse_args()

    def n(cases: int) -> int:
        return max(1, int(cases * args.scale))

    targets = {
        "html_to_text": fuzz(fz.html, n(5000), html_target, "html_to_text"),
        "parse_feed_page": fuzz(fz.feed_pages.map(fz.json_roundtrip), n(5000), page_target, "parse_feed_page"),
        "feed_entry_to_normalised_ad": fuzz(fz.feed_entries.map(fz.json_roundtrip), n(5000), entry_target,
                                            "feed_entry_to_normalised_ad"),
        "pdf_text_damaged_sample": fuzz(fz.mutated(SAMPLE_PDF.read_bytes()), n(400), pdf_target,
                                        "pdf_text_damaged_sample"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        con = open_warehouse(Path(tmp) / "fuzz.duckdb")
        targets["ingest_and_normalise_adversarial_feeds"] = fuzz(
            st.lists(fz.feed_entries | fz.json_values, min_size=1, max_size=8), n(300), feed_target(con),
            "ingest_and_normalise_adversarial_feeds")
        con.close()
    result = {"targets": targets, "cases": sum(t["cases"] for t in targets.values()),
              "crashes": sum(t["crashes"] for t in targets.values()),
              "note": "A crash is an exception outside the contract the caller relies on (see "
                      "tests/pipelines/test_fuzz_inputs.py). Inputs: tests/pipelines/fuzz_strategies.py."}
    print(f"{result['cases']} cases, {result['crashes']} crashes; wrote {write_result('fuzz_inputs', result)}")


if __name__ == "__main__":
    main()
