"""The feed client over real HTTP with 20 % injected faults: complete, incremental, nothing doubled."""

from __future__ import annotations

import time
from pathlib import Path


from pipelines.ingest import ingest_feed
from pipelines.sources.feed_server import FeedServer
from pipelines.sources.loopback import FAULT_KINDS, Faults, LoopbackServer
from pipelines.sources.nav_feed import FeedClient
from pipelines.stages import normalise_pending
from tests.pipelines.feed_check import check_warehouse, split_sample
from warehouse.db import open_warehouse

TOKEN = "loopback-secret-token"
SOURCE = "nav:loopback"


class Waits:
    """Records the waits the client asks for; sleeps a token amount so the test stays fast."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(min(seconds, 0.01))


def run(con, url: str, waits: Waits):
    with FeedClient(url, TOKEN, page_size=7, timeout=0.3, max_attempts=6, workers=4, sleep=waits) as client:
        report = ingest_feed(con, client, source=SOURCE, run_id="r")
    normalise_pending(con, "r", source=SOURCE)
    return report


def test_faults_updates_stops_and_304(tmp_path: Path) -> None:
    first, later = split_sample()
    feed = FeedServer(first, token=TOKEN)
    faults = Faults(rate=0.2, seed=1, retry_after=3, stall_seconds=1.0)
    waits = Waits()
    con = open_warehouse(tmp_path / "w.duckdb")
    with LoopbackServer(feed, faults=faults) as server:
        report = run(con, server.url, waits)
        assert report.new_entries == len(first) and report.quarantined == 0
        check_warehouse(con, first, source=SOURCE)

        feed.append(later)
        report = run(con, server.url, waits)
        # only the changes are new: the grown last page is re-read without fetching known entries again
        assert report.new_entries == len(later) and report.inactive == sum(e["status"] == "INACTIVE" for e in later)
        check_warehouse(con, first + later, source=SOURCE)
        before = con.execute("SELECT * FROM ad_versions ORDER BY entry_id").fetchall()

        report = run(con, server.url, waits)
        assert report.not_modified and report.new_entries == 0
        assert con.execute("SELECT * FROM ad_versions ORDER BY entry_id").fetchall() == before

        answered = server.outcomes()
        total = sum(answered.values())
    con.close()
    # every kind of fault was met, at about the rate asked for, and a 304 ended the last run
    assert set(server.injected) == set(FAULT_KINDS)
    assert 0.12 < sum(server.injected.values()) / total < 0.3
    assert answered["304"] >= 1
    # every 429 was honoured with the server's Retry-After (3 s, not a step of the 0.5·2ⁿ backoff)
    assert waits.asked.count(3.0) == server.injected["429"] > 0
