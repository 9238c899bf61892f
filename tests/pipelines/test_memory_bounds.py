"""Bounded memory and time on hostile input: a 100 MB ad page and PDF bombs, measured in a fresh process.

Peak RSS (ru_maxrss) of a process is its high-water mark, so each case runs in its own interpreter and
reports the growth over its state just before the call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pipelines.normalise import normalise_entry
from pipelines.sources.strategy_docs import pdf_text
from tests.pipelines import pdf_bombs

def measure(call):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = call()
    return result, round(time.perf_counter() - start, 2), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024

case = sys.argv[2]
if case == "html":
    unit = "<h2>Kvalifikasjoner</h2><p>Vi søker en <b>sykepleier</b> med fagbrev.</p><ul><li>Førerkort</li></ul>\n"
    entry = {"uuid": "big", "status": "ACTIVE", "sistEndret": "2026-11-23T08:00:00Z",
             "ad_content": {"title": "Stor annonse", "description": unit * (100_000_000 // len(unit.encode()) + 1),
                            "workLocations": [{"municipal": "FREDRIKSTAD", "county": "ØSTFOLD"}]}}
    ad, seconds, grown = measure(lambda: normalise_entry(entry, entry_id="big"))
    out = {"seconds": seconds, "grown_mb": grown, "html_mb": len(entry["ad_content"]["description"].encode()) // 10**6,
           "text_chars": len(ad.text), "starts": ad.text[:40]}
else:  # every bomb in turn, smallest first: the high-water mark after each is what the worst one cost so far
    bombs = {"forms": lambda: pdf_bombs.nested_forms(6, 10), "pages": lambda: pdf_bombs.many_pages(4000),
             "deflate": lambda: pdf_bombs.deflate_bomb(70, pages=3), "tree": lambda: pdf_bombs.many_pages(25_000),
             "operators": lambda: pdf_bombs.operator_flood(260_000)}
    out = {}
    for name, make in bombs.items():
        data = make()
        text, seconds, grown = measure(lambda: pdf_text(data))
        out[name] = {"seconds": seconds, "grown_mb": grown, "file_kb": len(data) // 1000, "pages": text.pages,
                     "warnings": text.warnings, "damaged": text.damaged}
print(json.dumps(out))
"""


def probe(case: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT), case], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_100_mb_ad_page_is_cut_not_parsed_whole() -> None:
    result = probe("html")
    assert result["html_mb"] >= 100
    assert result["starts"].startswith("Kvalifikasjoner\nVi søker en sykepleier")
    assert 0 < result["text_chars"] < 1_000_000  # the first MAX_HTML_CHARS of markup, as text
    assert result["grown_mb"] < 400 and result["seconds"] < 30, result  # whole, it took minutes and gigabytes


def test_pdf_bombs_cost_seconds_and_a_warning() -> None:
    expected = {
        "pages": "only the first 1500 were read",
        "tree": "over the reading limits",
        "deflate": "LimitReachedError",
        "forms": "form XObject invocations",
        "operators": "more than 200000 content operators",
    }
    results = probe("pdf")
    for case, warning in expected.items():
        result = results[case]
        assert any(warning in w for w in result["warnings"]), (case, result)
        assert result["seconds"] < 20, (case, result)
    assert sum(r["grown_mb"] for r in results.values()) < 500, results  # without limits: minutes and gigabytes
