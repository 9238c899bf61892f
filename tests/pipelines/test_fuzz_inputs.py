"""Property-based fuzzing of what comes from outside: ad HTML, feed pages and entries, PDF bytes.

The contract each property checks is the one its caller relies on: html_to_text never raises; a feed page
parses or raises what FeedClient.get_page turns into a SourceError; an entry parses or raises the ValueError
that sends it to quarantine; normalisation raises only what normalise_pending quarantines; a PDF gives text
and warnings, never an exception. The last test runs the stages themselves over an adversarial feed: every
entry ends up stored or quarantined with its error, and nothing else stops the run.
(benchmarks/fuzz_inputs.py runs the same strategies with many more cases.)
"""

from __future__ import annotations

import io
import json
import math
from datetime import datetime, timezone
from itertools import count
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup, Comment
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pipelines.errors import SourceError
from pipelines.ingest import ingest_feed, raw_row
from pipelines.normalise import (
    BLOCK_TAGS,
    DROP_TAGS,
    LONE_SURROGATE_RE,
    html_to_text,
    normalise_entry,
    tidy_text,
)
from pipelines.sources.nav_feed import FeedClient, parse_feed_entry, parse_feed_page
from pipelines.sources.strategy_docs import pdf_text
from pipelines.stages import normalise_pending
from tests.pipelines import fuzz_strategies as fz
from warehouse.db import open_warehouse

FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
QUARANTINED = (ValueError, TypeError, KeyError, AttributeError)  # what normalise_pending catches


def reference_html_to_text(html: str) -> str:
    """The first html_to_text (tree edits, quadratic in the page's size): the one-pass version must agree."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert_before("\n- ")
        li.insert_after("\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after(" ")
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return tidy_text(soup.get_text())


@settings(FUZZ, max_examples=80)
@given(fz.html)
def test_html_to_text_never_raises_and_agrees_with_the_tree_editing_version(html: str) -> None:
    text = html_to_text(html)
    assert all(line and line == line.strip() for line in text.split("\n")) or text == ""
    if not LONE_SURROGATE_RE.search(html):  # the old version raised on those
        assert text == reference_html_to_text(html)


def test_html_to_text_cuts_an_oversized_page_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    page = "<h2>Kvalifikasjoner</h2><ul><li>Fagbrev</li></ul>" + "<p>fyll</p>" * 2000 + "<p>HALE</p>"
    assert "HALE" in html_to_text(page)
    text = html_to_text(page, max_chars=5000)
    assert text.startswith("Kvalifikasjoner\n- Fagbrev\nfyll") and "HALE" not in text
    assert "cut to its first 5000" in caplog.text


@settings(FUZZ, max_examples=80)
@given(fz.feed_pages.map(fz.json_roundtrip))
def test_feed_page_parses_or_raises_what_the_client_reports(payload) -> None:
    try:
        page = parse_feed_page(payload)
    except (ValueError, KeyError, TypeError):  # FeedClient.get_page turns these into a SourceError
        return
    assert all(isinstance(item.entry_id, str) and isinstance(item.url, str) for item in page.items)


@settings(FUZZ, max_examples=80)
@given(fz.feed_entries.map(fz.json_roundtrip))
def test_feed_entry_is_stored_and_normalised_or_quarantined(payload) -> None:
    try:
        entry = parse_feed_entry(payload, "e1")
    except ValueError:  # quarantined by fetch_page_entries
        return
    row = raw_row("e1", "nav:fuzz", entry.raw, "r", datetime.now(timezone.utc))
    json.loads(row["payload"]).get("uuid")  # stored as JSON that reads back
    try:
        ad = normalise_entry(json.loads(row["payload"]), entry_id="e1")
    except QUARANTINED:
        return
    assert ad.ad_id.startswith("nav:") and isinstance(ad.text, str)


BODY = (("1 Kompetansebehov i Østfold", "Det er stort behov for sykepleiere og fagarbeidere med fagbrev."),
        ("2 Prioriterte tiltak", "Fylkeskommunen vil prioritere flere læreplasser i elektrofag."))


def small_pdf() -> bytes:
    """Two pages with a heading, body text and a running footer, compressed as real PDFs are."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    for page, (heading, body) in enumerate(BODY, start=1):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 780, heading)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 750, body)
        pdf.drawString(72, 60, f"Regional kompetanseplan – side {page}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


SMALL_PDF = small_pdf()


def test_the_undamaged_pdf_reads() -> None:
    text = pdf_text(SMALL_PDF)
    assert text.pages == 2 and any("sykepleiere" in b.text for b in text.blocks) and not text.damaged


@settings(FUZZ, max_examples=30)
@given(fz.mutated(SMALL_PDF))
def test_damaged_pdf_gives_text_or_warnings_never_an_exception(data: bytes) -> None:
    text = pdf_text(data)
    assert isinstance(text.blocks, list) and all(isinstance(w, str) for w in text.warnings)


RUNS = count()
TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    con = open_warehouse(tmp_path_factory.mktemp("fuzz") / "w.duckdb")
    yield con
    con.close()


def adversarial_feed(entries: list, run: int) -> tuple[httpx.MockTransport, list[str]]:
    """One feed page announcing each payload (as its uuid says, when it says one); the payloads as they are."""
    ids = [f"run{run}-e{n}" for n in range(len(entries))]  # entry ids are unique across streams
    lines = [{"id": i, "url": f"/api/v1/feedentry/{i}",
              "_feed_entry": {"uuid": str(e.get("uuid")) if isinstance(e, dict) else i, "status": "ACTIVE",
                              "sistEndret": "2026-11-23T08:00:00Z"}} for i, e in zip(ids, entries)]
    page = {"id": "p1", "items": lines, "next_id": None}

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/v1/feedentry/"):
            name = path.rsplit("/", 1)[-1]
            return httpx.Response(200, content=json.dumps(entries[ids.index(name)]).encode()) if name in ids \
                else httpx.Response(404)
        return httpx.Response(200, content=json.dumps(page).encode(), headers={"ETag": '"1"'})

    return httpx.MockTransport(handle), ids


def ingest_adversarial_feed(con: Any, entries: list, run: int) -> tuple[str, list[str], set[str], set[str]]:
    """Ingest an adversarial feed through the production client: (stream, ids sent, ids stored, ids quarantined)."""
    stream = f"nav:fuzz-{run}"
    transport, ids = adversarial_feed(entries, run)
    with FeedClient("http://fuzz.invalid", TOKEN, transport=transport, max_attempts=1, workers=2) as client:
        try:
            ingest_feed(con, client, source=stream, run_id="fuzz")
        except SourceError:
            pass
    stored = {r[0] for r in con.execute("SELECT entry_id FROM raw_entries WHERE source = ?", [stream]).fetchall()}
    held = {r[0] for r in con.execute("SELECT ref FROM quarantine WHERE source = ?", [stream]).fetchall()}
    return stream, ids, stored, held


@settings(FUZZ, max_examples=20)
@given(st.lists(fz.feed_entries | fz.json_values, min_size=1, max_size=6))
def test_every_entry_of_an_adversarial_feed_is_stored_or_quarantined(warehouse, entries: list) -> None:
    stream, ids, stored, held = ingest_adversarial_feed(warehouse, entries, next(RUNS))
    assert stored | held == set(ids) and not stored & held
    report = normalise_pending(warehouse, "fuzz", source=stream)
    versions = {r[0] for r in warehouse.execute(
        "SELECT entry_id FROM ad_versions WHERE entry_id IN (SELECT entry_id FROM raw_entries WHERE source = ?)",
        [stream]).fetchall()}
    failed = {r[0] for r in warehouse.execute(
        "SELECT ref FROM quarantine WHERE source = ? AND starts_with(error, 'normalise:')", [stream]).fetchall()}
    assert versions | failed == stored and report.written + report.failed == len(stored)


def test_fuzz_strategies_reach_the_nasty_cases() -> None:
    """The strategies must produce what the properties are about, or the tests above prove little."""
    search = settings(max_examples=5000, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    find(fz.html, lambda h: bool(LONE_SURROGATE_RE.search(h)), settings=search)
    find(fz.html, lambda h: "<script" in h, settings=search)
    find(fz.html, lambda h: "<li" in h, settings=search)
    find(fz.timestamps, lambda t: isinstance(t, int) and abs(t) > 10**15, settings=search)
    find(fz.timestamps, lambda t: isinstance(t, float) and math.isnan(t), settings=search)
    find(fz.feed_entries, lambda e: isinstance(e.get("ad_content"), dict)
         and not isinstance(e["ad_content"].get("workLocations", []), list), settings=search)
