"""Web ads: parsing arbeidsplassen pages and JobPosting JSON-LD, polite fetching, conditional GET, stops."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines.dedupe import link_duplicates
from pipelines.ingest import ingest_feed
from pipelines.normalise import normalise_entry
from pipelines.sources.feed_server import FeedServer, Response
from pipelines.sources.html_ads import (
    HostThrottle,
    HtmlFetcher,
    Robots,
    canonical_url,
    html_entry_id,
    ingest_html,
    parse_ad_page,
    parse_norwegian_date,
)
from pipelines.sources.loopback import LoopbackServer
from pipelines.sources.nav_feed import FeedClient, RetryPolicy
from pipelines.stages import normalise_pending
from tests.pipelines.entries import ELEKTRIKER
from tests.pipelines.pages import KINO_UUID, NOT_AN_AD, arbeidsplassen_page, elektriker_page, json_ld_page
from warehouse.db import open_warehouse

SEEN = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()


def test_arbeidsplassen_page_becomes_a_feed_entry_without_contacts() -> None:
    entry = parse_ad_page(arbeidsplassen_page(), "https://arbeidsplassen.nav.no/stillinger/stilling/"
                          f"{KINO_UUID}?utm_source=x#top", seen_at=SEEN)
    ad = entry["ad_content"]
    assert entry["uuid"] == KINO_UUID and entry["status"] == "ACTIVE"
    assert ad["title"] == "Kinovert til Fredrikstad Kino" and ad["employer"]["name"] == "Fredrikstad Kinodrift AS"
    assert ad["jobtitle"] == "Kinobetjent" and ad["extent"] == "Deltid" and ad["updated"] == "2026-10-25"
    assert ad["contactList"] == [{"name": "Helene Dahl", "email": None, "phone": None}]
    version = normalise_entry(entry, entry_id=html_entry_id(entry), source="html")
    assert version.ad_id == f"html:{KINO_UUID}" and version.language == "nb"
    assert version.municipality_name_2024 == "Fredrikstad" and version.county_name_2024 == "Østfold"
    assert "- Billettsalg og kioskdrift" in version.text.split("\n")
    assert "Helene" not in version.text and "48 36" not in version.text and "@" not in version.text
    assert "[kontaktperson]" in version.text and "[telefon]" in version.text


def test_json_ld_job_posting_is_read_with_its_identifier_code_and_place() -> None:
    entry = parse_ad_page(json_ld_page(), "https://jobb.ngv.no/stillinger/driftsoperator", seen_at=SEEN)
    ad = entry["ad_content"]
    assert entry["uuid"] == "jobb.ngv.no:JOB-2026-114"
    assert ad["categoryList"][0]["code"] == "3132" and ad["employer"]["orgnr"] == "998877665"
    assert ad["extent"] == "Heltid" and ad["expires"].startswith("2026-12-15")
    version = normalise_entry(entry, entry_id=html_entry_id(entry), source="html")
    assert version.styrk08 == "3132" and version.county_name_2024 == "Østfold"
    assert version.municipality_name_2024 == "Sarpsborg"
    assert "- Fagbrev som VA-operatør" in version.text.split("\n")
    assert "Ola Berg" not in version.text and "909 12 345" not in version.text


def test_pages_without_an_ad_and_dates_and_canonical_urls() -> None:
    assert parse_ad_page(NOT_AN_AD, "https://kino.no/om") is None
    assert parse_norwegian_date("Sist endret 25. oktober 2024") == "2024-10-25"
    assert parse_norwegian_date("1.2.2025") == "2025-02-01" and parse_norwegian_date("snart") is None
    assert canonical_url("HTTPS://Example.NO/a?utm_medium=x&id=3#f") == "https://example.no/a?id=3"


def test_same_content_same_version_id_changed_content_new_id() -> None:
    one = parse_ad_page(arbeidsplassen_page(), "https://arbeidsplassen.nav.no/x", seen_at=SEEN)
    later = parse_ad_page(arbeidsplassen_page(), "https://arbeidsplassen.nav.no/x", seen_at=datetime.now(timezone.utc))
    edited = parse_ad_page(arbeidsplassen_page(title="Kinovert (50 %)"), "https://arbeidsplassen.nav.no/x", seen_at=SEEN)
    assert html_entry_id(one) == html_entry_id(later) != html_entry_id(edited)


def test_throttle_spaces_requests_per_host() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        now[0] += seconds

    throttle = HostThrottle(1.0, clock=lambda: now[0], sleep=sleep)
    throttle.wait("https://a.no")
    throttle.wait("https://b.no")  # another host: no wait
    now[0] += 0.25
    throttle.wait("https://a.no")
    throttle.wait("https://a.no", interval=2.0)  # the site's Crawl-delay is longer
    assert waits == [0.75, 2.0]


class Site:
    """A small web site: robots.txt, a sitemap and pages with ETags; records what crawlers sent."""

    def __init__(self, pages: dict[str, str], robots: str | None) -> None:
        self.pages = dict(pages)
        self.robots = robots
        self.hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.base = ""

    def handle(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        with self._lock:
            self.hits.append((path, headers.get("user-agent", "")))
        if path == "/robots.txt":
            return Response(200, {"Content-Type": "text/plain"}, self.robots.encode()) if self.robots else Response(404, {})
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in sorted(self.pages) + ["/private/ad"])
            body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return Response(200, {"Content-Type": "application/xml"}, body.encode())
        if path not in self.pages:
            return Response(404, {"Content-Type": "text/plain"}, b"not found")
        body = self.pages[path].encode()
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if headers.get("if-none-match") == etag:
            return Response(304, {"ETag": etag})
        return Response(200, {"Content-Type": "text/html; charset=utf-8", "ETag": etag}, body)


def test_crawl_obeys_robots_is_conditional_and_marks_removed_pages_stopped(con) -> None:
    ad_path = f"/stillinger/stilling/{KINO_UUID}"
    site = Site({ad_path: arbeidsplassen_page(), "/jobb/driftsoperator": json_ld_page(), "/om-oss": NOT_AN_AD},
                robots="User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n")
    waits: list[float] = []
    with LoopbackServer(site.handle) as server:
        site.base = server.url
        with HtmlFetcher(min_interval=0.0, retry=RetryPolicy(sleep=waits.append)) as fetcher:
            first = ingest_html(con, fetcher, run_id="r1", sitemaps=[f"{server.url}/sitemap.xml"])
            assert (first.urls, first.new_entries, first.blocked, first.not_ads) == (4, 2, 1, 1)
            # Crawl-delay: 1 spaced the requests to this host (the throttle asked for waits up to a second)
            assert waits and max(waits) <= 1.0 and sum(waits) > 2.0

            second = ingest_html(con, fetcher, [f"{server.url}{ad_path}", f"{server.url}/jobb/driftsoperator"],
                                 run_id="r2")
            assert (second.not_modified, second.new_entries) == (2, 0)

            del site.pages[ad_path]
            site.pages["/jobb/driftsoperator"] = site.pages["/jobb/driftsoperator"].replace("Prøvetaking", "Prøvetaking og analyse")
            third = ingest_html(con, fetcher, [f"{server.url}{ad_path}", f"{server.url}/jobb/driftsoperator"],
                                run_id="r3")
            assert (third.stopped, third.new_entries) == (1, 1)
    assert {ua for _, ua in site.hits} == {fetcher.user_agent} and "Kompetanseradar" in fetcher.user_agent
    assert [p for p, _ in site.hits].count("/robots.txt") == 1  # cached in the warehouse
    assert "/private/ad" not in [p for p, _ in site.hits]
    normalise_pending(con, "r3", source="html")
    state = dict(con.execute("SELECT ad_id, status FROM ad_state").fetchall())
    host = server.url.split("//")[1]
    assert state == {f"html:{KINO_UUID}": "INACTIVE", f"html:{host}:JOB-2026-114": "ACTIVE"}
    assert con.execute("SELECT versions FROM ad_state WHERE status = 'ACTIVE'").fetchall()[0] == (2,)
    cache = {url.rsplit("/", 1)[-1]: (status, etag is not None) for url, status, etag in
             con.execute("SELECT url, status, etag FROM http_cache").fetchall()}
    assert cache == {KINO_UUID: (404, False), "driftsoperator": (200, True), "om-oss": (200, True)}


def test_robots_failures_follow_rfc_9309(con) -> None:
    def missing(method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        return Response(404, {})

    def failing(method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        return Response(503, {})

    with LoopbackServer(missing) as open_site, LoopbackServer(failing) as down_site, \
            HtmlFetcher(retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)) as fetcher:
        robots = Robots(con, fetcher)
        assert robots.allowed(f"{open_site.url}/any/page")  # robots.txt 404: no rules, all allowed
        assert not robots.allowed(f"{down_site.url}/any/page")  # unreachable: assume all disallowed
        cached = dict(con.execute("SELECT host, status FROM robots_cache").fetchall())
        assert cached == {open_site.url: 404, down_site.url: 0}


def test_the_same_ad_from_feed_and_web_is_one_distinct_ad(con) -> None:
    feed = FeedServer([ELEKTRIKER], token="t")
    with FeedClient("http://feed.test", "t", transport=feed.as_transport(), sleep=lambda s: None) as client:
        ingest_feed(con, client, source="nav:test", run_id="r")
    site = Site({f"/stillinger/stilling/{ELEKTRIKER['uuid']}": elektriker_page()}, robots=None)
    with LoopbackServer(site.handle) as server, HtmlFetcher(min_interval=0.0) as fetcher:
        ingest_html(con, fetcher, [f"{server.url}/stillinger/stilling/{ELEKTRIKER['uuid']}"], run_id="r")
    normalise_pending(con, "r", source="nav:test")
    normalise_pending(con, "r", source="html")
    assert link_duplicates(con) == 1
    rows = dict(con.execute("SELECT ad_id, duplicate_of FROM ads").fetchall())
    assert rows == {f"nav:{ELEKTRIKER['uuid']}": None, f"html:{ELEKTRIKER['uuid']}": f"nav:{ELEKTRIKER['uuid']}"}
    raw = json.dumps(con.execute("SELECT payload FROM raw_entries").fetchall(), ensure_ascii=False)
    assert "Sigrid" not in raw and "913 45 678" not in raw


def test_cli_html_fetches_a_url_list(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    site = Site({f"/stillinger/stilling/{KINO_UUID}": arbeidsplassen_page(), "/jobb/vann": json_ld_page()}, robots=None)
    with LoopbackServer(site.handle) as server:
        listing = tmp_path / "urls.txt"
        listing.write_text(f"# ads\n{server.url}/jobb/vann\n", encoding="utf-8")
        args = ["ingest", "html", f"{server.url}/stillinger/stilling/{KINO_UUID}", "--urls-file", str(listing),
                "--delay", "0", "--data-dir", str(tmp_path / "d")]
        first = CliRunner().invoke(app, args)
        second = CliRunner().invoke(app, args)
    assert first.exit_code == 0 and "2 page(s): 2 new ad versions" in first.output, first.output
    assert second.exit_code == 0 and "2 not modified (304)" in second.output, second.output
