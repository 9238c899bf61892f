"""Feed → warehouse: incremental, idempotent, updated and stopped ads, quarantine, no contact data."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pipelines.ingest import ingest_feed
from pipelines.sources.feed_server import FeedServer
from pipelines.sources.nav_feed import FeedClient
from pipelines.stages import normalise_pending
from warehouse.db import open_warehouse
from tests.pipelines.entries import ELEKTRIKER, SJUKEPLEIAR, changed, stopped

TOKEN = "t"
SOURCE = "nav:test"


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()


def run(con, server: FeedServer, transport: httpx.BaseTransport | None = None):
    client = FeedClient("http://feed.test", TOKEN, transport=transport or server.as_transport(), page_size=1,
                        sleep=lambda s: None)
    report = ingest_feed(con, client, source=SOURCE, run_id="r")
    normalise_pending(con, "r", source=SOURCE)
    return report


def test_second_run_gets_304_and_changes_nothing(con) -> None:
    server = FeedServer([ELEKTRIKER, SJUKEPLEIAR], token=TOKEN)
    first = run(con, server)
    assert (first.pages, first.new_entries, first.active) == (2, 2, 2)
    before = con.execute("SELECT * FROM ad_versions ORDER BY entry_id").fetchall()
    second = run(con, server)
    assert second.not_modified and second.entries == 0
    assert con.execute("SELECT * FROM ad_versions ORDER BY entry_id").fetchall() == before


def test_updates_keep_every_version_and_stopped_ads_are_marked(con) -> None:
    server = FeedServer([ELEKTRIKER, SJUKEPLEIAR], token=TOKEN)
    run(con, server)
    server.append([changed(ELEKTRIKER, "2026-11-25T10:00:00Z", applicationDue="2026-12-31"),
                   stopped(SJUKEPLEIAR, "2026-11-26T10:00:00Z")])
    report = run(con, server)
    # the last page is read again (it grew) and stored idempotently: only the two changes are new
    assert (report.new_entries, report.active, report.inactive) == (2, 1, 1)
    state = dict(con.execute("SELECT source_id, status FROM ads").fetchall())
    assert state == {ELEKTRIKER["uuid"]: "ACTIVE", SJUKEPLEIAR["uuid"]: "INACTIVE"}
    assert con.execute("SELECT versions FROM ad_state WHERE source_id = ?", [ELEKTRIKER["uuid"]]).fetchone() == (2,)
    # the stopped ad keeps its last readable content for the trend counts
    row = con.execute("SELECT title, stopped_at IS NOT NULL FROM ads WHERE source_id = ?",
                      [SJUKEPLEIAR["uuid"]]).fetchone()
    assert row == ("Sjukepleiar til heimetenesta", True)


def test_a_bad_entry_is_quarantined_and_the_run_goes_on(con) -> None:
    server = FeedServer([ELEKTRIKER, SJUKEPLEIAR], token=TOKEN)
    inner = server.as_transport()
    broken = {"id": None}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/feedentry/") and broken["id"] in (None, request.url.path):
            broken["id"] = request.url.path
            return httpx.Response(200, json={"not": "an entry"})
        return inner.handle_request(request)

    report = run(con, server, httpx.MockTransport(handler))
    assert (report.entries, report.quarantined) == (1, 1)
    error = con.execute("SELECT error FROM quarantine").fetchone()[0]
    assert "uuid" in error


def test_no_contact_data_reaches_any_table(con) -> None:
    run(con, FeedServer([ELEKTRIKER, SJUKEPLEIAR], token=TOKEN))
    secrets = ["Sigrid", "Haugland", "sigrid.haugland", "913 45 678", "Bergset", "32 02 90 00", "@"]
    for table in ("raw_entries", "ad_versions", "quarantine"):
        dump = json.dumps(con.execute(f"SELECT * FROM {table}").fetchall(), default=str, ensure_ascii=False)
        assert not [s for s in secrets if s in dump], table
