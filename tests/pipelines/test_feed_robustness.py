"""Feed client edges: bounded concurrency in page order, quarantine retried, auth stops, token kept secret."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from pipelines.ingest import fetch_page_entries, ingest_feed
from pipelines.sources.feed_server import FeedServer, entry_id_for
from pipelines.sources.nav_feed import FeedAuthError, FeedClient
from pipelines.sources.sample import load_sample_entries
from pipelines.stages import normalise_pending
from warehouse.db import open_warehouse

TOKEN = "s3cret-token-value"
SOURCE = "nav:test"


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()


def test_entries_are_fetched_concurrently_within_the_bound_and_kept_in_page_order() -> None:
    server = FeedServer(load_sample_entries()[:30], token=TOKEN)
    inner = server.as_transport()
    lock = threading.Lock()
    active = [0, 0]  # now, peak

    def handler(request: httpx.Request) -> httpx.Response:
        if "/feedentry/" in request.url.path:
            with lock:
                active[0] += 1
                active[1] = max(active)
            time.sleep(0.02)
            with lock:
                active[0] -= 1
        return inner.handle_request(request)

    with FeedClient("http://feed.test", TOKEN, transport=httpx.MockTransport(handler), page_size=30, workers=3) as client, \
            ThreadPoolExecutor(3) as pool:
        page = client.get_page(None)
        rows, bad = fetch_page_entries(client, page, SOURCE, "r", pool=pool)
    assert not bad and [r["entry_id"] for r in rows] == [i.entry_id for i in page.items]
    assert 2 <= active[1] <= 3


def test_entries_that_keep_failing_are_quarantined_then_fetched_by_the_next_run(con) -> None:
    entries = load_sample_entries()[:6]
    server = FeedServer(entries, token=TOKEN)
    inner = server.as_transport()
    down = {"on": True}
    victim = f"/api/v1/feedentry/{entry_id_for(entries[2])}"  # the sample is in change order, as the feed

    def handler(request: httpx.Request) -> httpx.Response:
        if down["on"] and request.url.path == victim:
            return httpx.Response(200, content=b'{"uuid": "cut off')  # invalid JSON every time
        return inner.handle_request(request)

    def run():
        with FeedClient("http://feed.test", TOKEN, transport=httpx.MockTransport(handler), page_size=4,
                        sleep=lambda s: None, max_attempts=3) as client:
            return ingest_feed(con, client, source=SOURCE, run_id="r")

    first = run()
    assert (first.new_entries, first.quarantined) == (5, 1)
    error = con.execute("SELECT error FROM quarantine").fetchall()[0][0]
    assert error.startswith("transient: RetriesExhausted") and "unreadable JSON" in error
    down["on"] = False
    second = run()
    assert second.not_modified and second.recovered == 1
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM raw_entries").fetchall()[0][0] == 6


def test_a_refused_token_stops_the_run_instead_of_quarantining_everything(con) -> None:
    server = FeedServer(load_sample_entries()[:4], token=TOKEN)
    inner = server.as_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if "/feedentry/" in request.url.path:
            return httpx.Response(401)
        return inner.handle_request(request)

    with FeedClient("http://feed.test", TOKEN, transport=httpx.MockTransport(handler), sleep=lambda s: None) as client:
        with pytest.raises(FeedAuthError, match="RADAR_NAV_TOKEN"):
            ingest_feed(con, client, source=SOURCE, run_id="r")
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM feed_cursor").fetchall()[0][0] == 0  # nothing skipped


def test_the_token_is_never_logged_stored_or_shown(con, caplog: pytest.LogCaptureFixture) -> None:
    server = FeedServer(load_sample_entries()[:5], token=TOKEN)
    caplog.set_level(logging.DEBUG)
    with FeedClient("http://feed.test", TOKEN, transport=server.as_transport(), page_size=2) as client:
        ingest_feed(con, client, source=SOURCE, run_id="r")
        shown = repr(client)
    normalise_pending(con, "r", source=SOURCE)
    assert caplog.records and TOKEN not in caplog.text and TOKEN not in shown
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall():
        dump = json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str)
        assert TOKEN not in dump, table
