"""The feed client against the protocol server: paging, ETags, retries, auth."""

from __future__ import annotations

import httpx
import pytest

from pipelines.errors import SourceError
from pipelines.sources.feed_server import FeedServer
from pipelines.sources.nav_feed import FeedClient, FeedCursor, parse_feed_entry, parse_retry_after
from tests.pipelines.entries import ELEKTRIKER, SJUKEPLEIAR, changed

TOKEN = "t0ken"


def client_for(server: FeedServer, sleeps: list[float] | None = None, transport: httpx.BaseTransport | None = None,
               page_size: int = 1) -> FeedClient:
    return FeedClient("http://feed.test", TOKEN, transport=transport or server.as_transport(), page_size=page_size,
                      sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_pages_are_followed_to_the_end_and_then_polled_with_etag() -> None:
    server = FeedServer([ELEKTRIKER, SJUKEPLEIAR, changed(ELEKTRIKER, "2026-11-25T10:00:00Z")], token=TOKEN)
    client = client_for(server)
    pages = list(client.iter_pages(FeedCursor()))
    assert [len(p.items) for p in pages] == [1, 1, 1]
    assert pages[-1].next_id is None and pages[-1].etag
    assert [p.items[0].ad_uuid for p in pages] == [SJUKEPLEIAR["uuid"], ELEKTRIKER["uuid"], ELEKTRIKER["uuid"]]
    last = pages[-1]
    assert client.get_page(last.page_id, etag=last.etag) is None  # 304


def test_entry_is_fetched_by_the_item_url() -> None:
    server = FeedServer([ELEKTRIKER], token=TOKEN)
    client = client_for(server)
    item = next(client.iter_pages(FeedCursor())).items[0]
    entry = client.get_entry(item)
    assert entry.ad_uuid == ELEKTRIKER["uuid"] and entry.status == "ACTIVE"
    assert entry.ad["title"] == "Elektriker til service og nybygg"


def flaky(server: FeedServer, failures: list[httpx.Response]) -> httpx.MockTransport:
    """Answer with the given failures first, then as the server."""
    inner = server.as_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            return failures.pop(0)
        return inner.handle_request(request)

    return httpx.MockTransport(handler)


def test_retries_5xx_429_and_truncated_json_honouring_retry_after() -> None:
    server = FeedServer([ELEKTRIKER], token=TOKEN)
    failures = [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(200, content=b'{"id": "trunc', headers={"Content-Type": "application/json"})]
    sleeps: list[float] = []
    client = client_for(server, sleeps, flaky(server, failures))
    page = client.get_page(None)
    assert page is not None and len(page.items) == 1
    assert sleeps[1] == 7.0 and len(sleeps) == 3


def test_gives_up_with_a_clear_error_after_max_attempts() -> None:
    server = FeedServer([ELEKTRIKER], token=TOKEN)
    client = client_for(server, [], flaky(server, [httpx.Response(500)] * 10))
    with pytest.raises(SourceError, match="resumes from the stored cursor"):
        client.get_page(None)


def test_bad_token_names_the_variable_to_fix_and_never_echoes_the_token() -> None:
    server = FeedServer([ELEKTRIKER], token="right")
    client = FeedClient("http://feed.test", "wrong-secret", transport=server.as_transport())
    with pytest.raises(SourceError, match="RADAR_NAV_TOKEN") as info:
        client.get_page(None)
    assert "wrong-secret" not in str(info.value)


def test_parse_entry_accepts_the_documented_json_key_and_rejects_non_entries() -> None:
    legacy = {"uuid": "x", "status": "ACTIVE", "sistEndret": "2026-01-01T00:00:00Z", "json": {"title": "T"}}
    assert parse_feed_entry(legacy, "e1").ad == {"title": "T"}
    with pytest.raises(ValueError):
        parse_feed_entry({"items": []}, "e2")


def test_retry_after_as_seconds_and_http_date() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert parse_retry_after("soon") is None
