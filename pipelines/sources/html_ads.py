"""Job ads from web pages: arbeidsplassen ad pages and any page with schema.org JobPosting JSON-LD.

Parsing is pure: `parse_ad_page(html, url)` returns a feed entry ({uuid, status, sistEndret, ad_content})
so web ads go through the same normalisation as the feed's. Fetching is polite: robots.txt obeyed
(urllib.robotparser, cached per host in the warehouse for a day), one request at a time per host with a
minimum interval (or the site's Crawl-delay), an identifying User-Agent, conditional GET from the ETag
and Last-Modified stored per URL, and retries with backoff on 5xx/429 (Retry-After honoured).
"""

from __future__ import annotations

import gzip
import hashlib
import html as html_lib
import json
import re
import time
import urllib.robotparser
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import duckdb
import httpx
from bs4 import BeautifulSoup, Tag

from pipelines.errors import SourceError
from pipelines.ingest import failure_row, insert_raw, raw_row, release_quarantine, transaction
from pipelines.normalise import EMAIL_RE, PHONE_RE
from pipelines.sources.nav_feed import USER_AGENT, RetryPolicy, send_once
from warehouse.load import quarantine

HTML_STREAM = "html"
ROBOTS_AGENT = "Kompetanseradar"
HTML_NAMESPACE = uuid.UUID("8d3b0f7e-2c41-4a7e-b0c5-7f1e9a2d4c63")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
ARBEIDSPLASSEN_AD_RE = re.compile(r"/stillinger/stilling/(" + UUID_RE.pattern + ")", re.IGNORECASE)
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_[ce]id|ref|source)$", re.IGNORECASE)
NOT_NAMES = re.compile(r"^(kopier|kontaktperson|telefon|e-post|mobil|tlf|send|ring)\b", re.IGNORECASE)
MONTHS = {m: i for i, m in enumerate(
    "januar februar mars april mai juni juli august september oktober november desember".split(), start=1)}
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "okt": 10,
               "nov": 11, "des": 12})
EMPLOYMENT_EXTENT = {"FULL_TIME": "Heltid", "PART_TIME": "Deltid"}


# --------------------------------------------------------------------------------------------- parsing


def canonical_url(url: str, soup: BeautifulSoup | None = None) -> str:
    """The page's own canonical link when it has one, else the URL without fragment and tracking parameters."""
    if soup is not None:
        link = soup.find("link", rel=lambda v: v and "canonical" in (v if isinstance(v, list) else [v]))
        href = link.get("href") if isinstance(link, Tag) else None
        if isinstance(href, str) and href.strip():
            url = urljoin(url, href.strip())
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)])
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def origin_of(url: str) -> str:
    """scheme://host[:port], the unit of robots.txt and of the rate limit."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _walk_json_ld(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, through lists and @graph."""
    if isinstance(value, list):
        for item in value:
            yield from _walk_json_ld(item)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in value:
                yield from _walk_json_ld(value[key])


def _is_type(obj: Mapping[str, Any], name: str) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] == name for k in kinds)


def job_postings(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """The schema.org JobPosting objects in a page's JSON-LD scripts (unreadable scripts are skipped)."""
    found = []
    for script in soup.find_all("script", type=lambda t: t and t.lower().strip() == "application/ld+json"):
        text = script.string or script.get_text() or ""
        try:
            data = json.loads(text.strip().rstrip(";"))
        except (json.JSONDecodeError, ValueError):
            continue
        found.extend(obj for obj in _walk_json_ld(data) if _is_type(obj, "JobPosting"))
    return found


def _text(value: Any) -> str | None:
    """A JSON-LD value as one string ("name" of an object, first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("@value")
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _identifier(value: Any) -> str | None:
    """A JobPosting identifier: a plain value or a PropertyValue's value."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("value") or value.get("@id") or value.get("name")
    return str(value).strip() if value not in (None, "") else None


def _description_html(value: Any) -> str:
    """JSON-LD descriptions are HTML, sometimes entity-escaped once more."""
    text = str(value or "")
    if "<" not in text and "&lt;" in text:
        text = html_lib.unescape(text)
    return text


def _locations(value: Any) -> list[dict[str, Any]]:
    """JobPosting jobLocation(s) as the feed's workLocations."""
    places = value if isinstance(value, list) else [value]
    out = []
    for place in places:
        if not isinstance(place, dict):
            continue
        address = place.get("address") if isinstance(place.get("address"), dict) else place
        city = _text(address.get("addressLocality"))
        out.append({"country": _text(address.get("addressCountry")), "address": _text(address.get("streetAddress")),
                    "city": city, "postalCode": _text(address.get("postalCode")),
                    "county": _text(address.get("addressRegion")), "municipal": city})
    return [loc for loc in out if any(loc.values())]


def _categories(value: Any) -> list[dict[str, Any]]:
    """occupationalCategory as categoryList: 4-digit codes are ISCO-08, which STYRK-08 follows."""
    out = []
    for cat in value if isinstance(value, list) else [value]:
        code = cat.get("codeValue") if isinstance(cat, dict) else cat
        name = cat.get("name") if isinstance(cat, dict) else None
        match = re.match(r"^\s*(\d{4})(?:\.\d+)?\b\s*(.*)$", str(code or ""))
        if match:
            out.append({"categoryType": "STYRK08", "code": match.group(1), "name": name or match.group(2) or None})
    return out


def _contacts_from_posting(posting: Mapping[str, Any]) -> list[dict[str, Any]]:
    contacts = []
    for key in ("applicationContact", "contactPoint"):
        for person in posting.get(key) if isinstance(posting.get(key), list) else [posting.get(key)]:
            if isinstance(person, dict):
                contacts.append({"name": _text(person.get("name")), "email": _text(person.get("email")),
                                 "phone": _text(person.get("telephone"))})
    return contacts


def page_contacts(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Contact persons named on an arbeidsplassen page ("Kontaktperson(er) for stillingen"), to mask them."""
    contacts = []
    for heading in soup.find_all(["h2", "h3"], string=re.compile(r"Kontaktperson", re.IGNORECASE)):
        box = heading.parent
        if not isinstance(box, Tag):
            continue
        for piece in box.stripped_strings:
            if piece == heading.get_text(strip=True) or NOT_NAMES.match(piece):
                continue
            if EMAIL_RE.search(piece) or PHONE_RE.search(piece) or re.search(r"\d", piece):
                continue
            tokens = piece.split()
            if 2 <= len(tokens) <= 5 and all(t[:1].isupper() for t in tokens):
                contacts.append({"name": piece, "email": None, "phone": None})
    return contacts


def _labelled(soup: BeautifulSoup, label: str) -> Tag | None:
    """The element around the h2 whose text starts with `label` (arbeidsplassen's section headings)."""
    heading = soup.find("h2", string=re.compile(r"^\s*" + re.escape(label), re.IGNORECASE))
    return heading.parent if isinstance(heading, Tag) and isinstance(heading.parent, Tag) else None


def _definitions(box: Tag | None) -> dict[str, str]:
    """dt → dd pairs of the first dl in (or just above) a section."""
    if box is None:
        return {}
    dl = box.find("dl") or (box.parent.find("dl") if isinstance(box.parent, Tag) else None)
    if not isinstance(dl, Tag):
        return {}
    pairs = {}
    for dt in dl.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            pairs[dt.get_text(" ", strip=True).rstrip(":")] = dd.get_text(" ", strip=True)
    return pairs


def parse_norwegian_date(text: str | None) -> str | None:
    """'25. oktober 2024', '25.10.2024' or ISO → ISO date, so arbeidsplassen's dates can be ordered."""
    if not text:
        return None
    text = text.strip().lower()
    if match := re.search(r"(\d{4})-(\d{2})-(\d{2})", text):
        return "-".join(match.groups())
    if match := re.search(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
        day, month, year = map(int, match.groups())
    elif match := re.search(r"(\d{1,2})\.?\s+([a-zæøå]+)\.?\s+(\d{4})", text):
        day, month, year = int(match.group(1)), MONTHS.get(match.group(2), 0), int(match.group(3))
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def entry_from_job_posting(posting: Mapping[str, Any], url: str, *, seen_at: datetime) -> dict[str, Any]:
    """A feed entry from a schema.org JobPosting."""
    org = posting.get("hiringOrganization") if isinstance(posting.get("hiringOrganization"), dict) else {}
    org_id = _identifier(org.get("identifier"))
    ident = _identifier(posting.get("identifier"))
    employment = posting.get("employmentType")
    employment = employment if isinstance(employment, list) else [employment]
    ad = {
        "uuid": None,
        "published": _text(posting.get("datePosted")),
        "expires": _text(posting.get("validThrough")),
        "workLocations": _locations(posting.get("jobLocation")),
        "contactList": _contacts_from_posting(posting),
        "title": _text(posting.get("title")),
        "description": _description_html(posting.get("description")),
        "sourceurl": url,
        "source": "html",
        "applicationUrl": _text(posting.get("url")),
        "categoryList": _categories(posting.get("occupationalCategory")),
        "jobtitle": _text(posting.get("title")),
        "link": url,
        "employer": {"name": _text(org.get("name")), "homepage": _text(org.get("sameAs") or org.get("url")),
                     "orgnr": org_id if org_id and re.fullmatch(r"\d{9}", org_id) else None, "description": None},
        "extent": next((EMPLOYMENT_EXTENT[e] for e in employment if e in EMPLOYMENT_EXTENT), None),
        "engagementtype": ", ".join(str(e) for e in employment if e) or None,
    }
    host = urlsplit(url).netloc.lower()
    arbeidsplassen = ARBEIDSPLASSEN_AD_RE.search(url)
    if ident and UUID_RE.fullmatch(ident):
        ad["uuid"] = ident.lower()
    elif arbeidsplassen:
        ad["uuid"] = arbeidsplassen.group(1).lower()
    elif ident:
        ad["uuid"] = f"{host}:{ident}"
    else:
        ad["uuid"] = hashlib.sha1(url.encode()).hexdigest()[:20]
    return _entry(ad, seen_at)


def entry_from_arbeidsplassen(soup: BeautifulSoup, url: str, *, seen_at: datetime) -> dict[str, Any] | None:
    """A feed entry from arbeidsplassen's ad page markup (FORMAT_NOTES D); None when the page has no ad text."""
    body = soup.select_one('div[class*="job-posting-text"]')
    if body is None:
        return None
    root = soup.find(id="main-content") or soup
    article = root.find("article") or root
    h1 = article.find("h1")
    company = location = None
    section = article.find("section")
    if isinstance(section, Tag):
        cells = [div.find("p") for div in section.find_all("div", recursive=False)]
        texts = [p.get_text(" ", strip=True) for p in cells if isinstance(p, Tag)]
        company, location = (texts + [None, None])[:2]
    employer_box = _labelled(soup, "Om bedriften")
    employer_div = employer_box.find("div") if employer_box else None
    apply_box = _labelled(soup, "Søk på jobben")
    deadline = apply_box.find("p") if apply_box else None
    facts = _definitions(_labelled(soup, "Om jobben"))
    meta = _definitions(_labelled(soup, "Annonsedata"))
    match = ARBEIDSPLASSEN_AD_RE.search(url)
    ident = match.group(1).lower() if match else (meta.get("Referanse") or "").lower() or None
    if not ident or not UUID_RE.fullmatch(ident):
        ident = hashlib.sha1(url.encode()).hexdigest()[:20]
    postal = re.search(r"\b(\d{4})\s+\w", location or "")
    extent = next((x for x in ("Heltid", "Deltid") if x.lower() in (facts.get("Type ansettelse") or "").lower()), None)
    ad = {
        "uuid": ident,
        "published": None,
        "expires": None,
        "workLocations": [{"country": None, "address": None, "city": None,
                           "postalCode": postal.group(1) if postal else None, "county": None,
                           "municipal": location}] if location else [],
        "contactList": [],
        "title": h1.get_text(" ", strip=True) if isinstance(h1, Tag) else None,
        "description": body.decode_contents(),
        "sourceurl": url,
        "source": "html",
        "applicationDue": deadline.get_text(" ", strip=True) if isinstance(deadline, Tag) else None,
        "categoryList": [],
        "jobtitle": facts.get("Stillingstittel"),
        "link": url,
        "employer": {"name": company, "orgnr": None, "homepage": None,
                     "description": employer_div.decode_contents() if isinstance(employer_div, Tag) else None},
        "engagementtype": facts.get("Type ansettelse"),
        "extent": extent,
        "starttime": facts.get("Oppstart"),
        "positioncount": facts.get("Antall stillinger"),
        "sector": facts.get("Sektor"),
    }
    changed = parse_norwegian_date(meta.get("Sist endret"))
    ad["updated"] = changed
    return _entry(ad, seen_at)


def _entry(ad: dict[str, Any], seen_at: datetime) -> dict[str, Any]:
    """Wrap ad content as a feed entry; the change time is when this content was seen."""
    return {"uuid": ad["uuid"], "status": "ACTIVE", "sistEndret": seen_at.astimezone(timezone.utc).isoformat(),
            "ad_content": ad}


def parse_ad_page(html: str, url: str, *, seen_at: datetime | None = None) -> dict[str, Any] | None:
    """A feed entry for the job ad on a page (JSON-LD JobPosting first, then arbeidsplassen markup), or None."""
    soup = BeautifulSoup(html, "lxml")
    canonical = canonical_url(url, soup)
    seen_at = seen_at or datetime.now(timezone.utc)
    postings = job_postings(soup)
    if postings:
        entry = entry_from_job_posting(postings[0], canonical, seen_at=seen_at)
        if not html_text_present(entry):
            fallback = entry_from_arbeidsplassen(soup, canonical, seen_at=seen_at)
            if fallback:
                entry["ad_content"]["description"] = fallback["ad_content"]["description"]
    else:
        entry = entry_from_arbeidsplassen(soup, canonical, seen_at=seen_at)
    if entry is None:
        return None
    entry["ad_content"]["contactList"] = entry["ad_content"]["contactList"] + page_contacts(soup)
    return entry


def html_text_present(entry: Mapping[str, Any]) -> bool:
    """Whether the entry carries ad text."""
    return bool(BeautifulSoup(entry["ad_content"].get("description") or "", "lxml").get_text(strip=True))


def content_hash(entry: Mapping[str, Any]) -> str:
    """Hash of what a page says about the ad (not when it was seen), so an unchanged page is one version."""
    ad = dict(entry.get("ad_content") or {})
    ad.pop("updated", None)
    return hashlib.sha1(json.dumps([entry.get("status"), ad], sort_keys=True, default=str).encode()).hexdigest()


def html_entry_id(entry: Mapping[str, Any]) -> str:
    """A stable id for one version of a web ad: the same content gives the same id."""
    return str(uuid.uuid5(HTML_NAMESPACE, f"{entry['uuid']}|{content_hash(entry)}"))


def gone_entry(ident: str, seen_at: datetime) -> dict[str, Any]:
    """A stopped web ad: its page answers 404/410 now."""
    return {"uuid": ident, "status": "INACTIVE", "sistEndret": seen_at.astimezone(timezone.utc).isoformat(),
            "ad_content": None}


# -------------------------------------------------------------------------------------------- fetching


class HostThrottle:
    """At most one request per `interval` seconds to each host (or the host's Crawl-delay when longer)."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self.waited = 0.0

    def wait(self, origin: str, interval: float | None = None) -> None:
        """Sleep until this host may be asked again."""
        gap = max(self.interval, interval or 0.0)
        last = self._last.get(origin)
        if last is not None:
            pause = last + gap - self._clock()
            if pause > 0:
                self.waited += pause
                self._sleep(pause)
        self._last[origin] = self._clock()


class HtmlFetcher:
    """GETs web pages politely: identifying User-Agent, per-host throttle, retries with backoff."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None, user_agent: str = USER_AGENT,
                 timeout: float = 20.0, min_interval: float = 1.0, retry: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.user_agent = user_agent
        self.retry = retry
        self.throttle = HostThrottle(min_interval, clock=clock, sleep=retry.sleep)
        self.delays: dict[str, float] = {}
        self.client = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=True,
                                   headers={"User-Agent": user_agent,
                                            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9"})

    def close(self) -> None:
        """Release connections."""
        self.client.close()

    def __enter__(self) -> "HtmlFetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """The final response (any status but retryable ones), each attempt throttled per host."""
        origin = origin_of(url)

        def attempt() -> httpx.Response:
            self.throttle.wait(origin, self.delays.get(origin))
            return send_once(self.client, url, headers=dict(headers or {}))

        return self.retry.call(attempt, f"GET {url}", "it is kept in the quarantine and fetched again next run")


class Robots:
    """robots.txt per host: read once a day (cached in the warehouse), RFC 9309's rules for failures."""

    def __init__(self, con: duckdb.DuckDBPyConnection, fetcher: HtmlFetcher, *, agent: str = ROBOTS_AGENT,
                 ttl: timedelta = timedelta(hours=24)) -> None:
        self.con = con
        self.fetcher = fetcher
        self.agent = agent
        self.ttl = ttl
        self._parsers: dict[str, urllib.robotparser.RobotFileParser] = {}

    def parser(self, origin: str) -> urllib.robotparser.RobotFileParser:
        """The rules of a host, from the warehouse cache when fresh, else fetched."""
        if origin in self._parsers:
            return self._parsers[origin]
        rows = self.con.execute("SELECT status, body, fetched_at FROM robots_cache WHERE host = ?", [origin]).fetchall()
        row = rows[0] if rows else None
        now = datetime.now(timezone.utc)
        if row and row[2] and now - row[2] < self.ttl:
            status, body = row[0], row[1]
        else:
            status, body = self._fetch(origin)
            self.con.execute("INSERT OR REPLACE INTO robots_cache VALUES (?, ?, ?, ?)", [origin, status, body, now])
        rules = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        if 200 <= status < 300:
            rules.parse((body or "").splitlines())
        elif 400 <= status < 500:
            rules.allow_all = True  # "unavailable": no rules
        else:
            rules.disallow_all = True  # "unreachable": assume complete disallow until it answers
        delay = rules.crawl_delay(self.agent) if not (rules.allow_all or rules.disallow_all) else None
        if delay:
            self.fetcher.delays[origin] = float(delay)
        self._parsers[origin] = rules
        return rules

    def _fetch(self, origin: str) -> tuple[int, str | None]:
        try:
            response = self.fetcher.get(origin + "/robots.txt")
        except SourceError:
            return 0, None
        return response.status_code, response.text if response.status_code == 200 else None

    def allowed(self, url: str) -> bool:
        """Whether our agent may fetch this URL."""
        return self.parser(origin_of(url)).can_fetch(self.agent, url)


def parse_sitemap(content: bytes) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(page URL, lastmod) pairs of a urlset and child sitemaps of a sitemap index; gzip is unpacked."""
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    soup = BeautifulSoup(content, "xml")
    pages = []
    for node in soup.find_all("url"):
        loc = node.find("loc")
        lastmod = node.find("lastmod")
        if loc and loc.get_text(strip=True):
            pages.append((loc.get_text(strip=True), lastmod.get_text(strip=True) if lastmod else None))
    children = [loc.get_text(strip=True) for node in soup.find_all("sitemap") if (loc := node.find("loc"))]
    return pages, children


def sitemap_urls(fetcher: HtmlFetcher, robots: Robots, url: str, *, match: str | None = None,
                 max_depth: int = 3) -> list[str]:
    """Page URLs listed by a sitemap (following sitemap indexes), optionally only those matching a regex."""
    pattern = re.compile(match) if match else None
    seen: set[str] = set()
    out: list[str] = []

    def visit(sitemap: str, depth: int) -> None:
        if sitemap in seen or depth > max_depth or not robots.allowed(sitemap):
            return
        seen.add(sitemap)
        response = fetcher.get(sitemap)
        if response.status_code != 200:
            raise SourceError(f"Sitemap {sitemap} answered HTTP {response.status_code}; check the --sitemap URL.")
        pages, children = parse_sitemap(response.content)
        out.extend(page for page, _ in pages if pattern is None or pattern.search(page))
        for child in children:
            visit(urljoin(sitemap, child), depth + 1)

    visit(url, 0)
    return list(dict.fromkeys(out))


@dataclass
class HtmlReport:
    """What one web ingestion did, URL by URL."""

    urls: int = 0
    new_entries: int = 0
    unchanged: int = 0
    not_modified: int = 0
    stopped: int = 0
    blocked: int = 0
    not_ads: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _cache_row(con: duckdb.DuckDBPyConnection, url: str) -> dict[str, Any] | None:
    rows = con.execute("SELECT status, etag, last_modified, ad_id, content_hash FROM http_cache WHERE url = ?",
                       [url]).fetchall()
    row = rows[0] if rows else None
    return dict(zip(("status", "etag", "last_modified", "ad_id", "content_hash"), row)) if row else None


def _save_cache(con: duckdb.DuckDBPyConnection, url: str, status: int, *, response: httpx.Response | None,
                previous: Mapping[str, Any] | None, ad_id: str | None, digest: str | None, now: datetime) -> None:
    """Remember validators (kept on a 304, dropped when the page is gone) and what the page held."""
    prev = previous or {}
    headers = response.headers if response is not None and status == 200 else {}
    con.execute(
        """INSERT OR REPLACE INTO http_cache (url, host, status, etag, last_modified, ad_id, content_hash,
                                              fetched_at, checked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [url, origin_of(url), status,
         headers.get("ETag") if status == 200 else prev.get("etag") if status == 304 else None,
         headers.get("Last-Modified") if status == 200 else prev.get("last_modified") if status == 304 else None,
         ad_id, digest,
         now if status == 200 else None, now],
    )


def _seen_time(response: httpx.Response, now: datetime) -> datetime:
    """Last-Modified when the server gives it (versions then order by the site's clock), else now."""
    value = response.headers.get("Last-Modified")
    if value:
        try:
            return parsedate_to_datetime(value).astimezone(timezone.utc)
        except (TypeError, ValueError):
            pass
    return now


def fetch_page(con: duckdb.DuckDBPyConnection, fetcher: HtmlFetcher, url: str, *, run_id: str,
               stream: str = HTML_STREAM) -> str:
    """Fetch one page conditionally and store what changed in one transaction; returns the outcome's name."""
    previous = _cache_row(con, url)
    headers = {}
    if previous and previous["status"] in (200, 304):
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    try:
        response = fetcher.get(url, headers)
    except SourceError as exc:
        with transaction(con):
            quarantine(con, [failure_row(stream, url, exc, run_id, {"url": url})])
        return "failed"
    now = datetime.now(timezone.utc)
    status = response.status_code
    with transaction(con):
        release_quarantine(con, stream, [url])
        if status == 304:
            _save_cache(con, url, 304, response=None, previous=previous, ad_id=(previous or {}).get("ad_id"),
                        digest=(previous or {}).get("content_hash"), now=now)
            return "not_modified"
        if status in (404, 410):
            outcome = "not_ads"
            if previous and previous.get("ad_id") and previous["status"] not in (404, 410):
                ident = previous["ad_id"].split(":", 1)[1]
                entry = gone_entry(ident, now)
                entry_id = str(uuid.uuid5(HTML_NAMESPACE, f"{ident}|gone|{previous.get('content_hash')}"))
                insert_raw(con, [raw_row(entry_id, stream, entry, run_id, now)])
                outcome = "stopped"
            _save_cache(con, url, status, response=None, previous=previous, ad_id=(previous or {}).get("ad_id"),
                        digest=(previous or {}).get("content_hash"), now=now)
            return outcome
        if status != 200:
            exc = SourceError(f"GET {url} answered HTTP {status}")
            quarantine(con, [failure_row(stream, url, exc, run_id, {"url": url})])
            return "failed"
        entry = parse_ad_page(response.text, str(response.url), seen_at=_seen_time(response, now))
        if entry is None:
            _save_cache(con, url, 200, response=response, previous=previous, ad_id=None, digest=None, now=now)
            return "not_ads"
        digest = content_hash(entry)
        new = insert_raw(con, [raw_row(html_entry_id(entry), stream, entry, run_id, now)]) \
            if not _known(con, html_entry_id(entry)) else []
        _save_cache(con, url, 200, response=response, previous=previous, ad_id=f"html:{entry['uuid']}",
                    digest=digest, now=now)
        return "new_entries" if new else "unchanged"


def _known(con: duckdb.DuckDBPyConnection, entry_id: str) -> bool:
    return bool(con.execute("SELECT 1 FROM raw_entries WHERE entry_id = ?", [entry_id]).fetchall())


def ingest_html(con: duckdb.DuckDBPyConnection, fetcher: HtmlFetcher, urls: Iterable[str] = (), *, run_id: str,
                sitemaps: Sequence[str] = (), match: str | None = None, stream: str = HTML_STREAM,
                progress: Callable[[str, str], None] | None = None,
                on_total: Callable[[int], None] | None = None) -> HtmlReport:
    """Fetch ad pages (listed, and from sitemaps) into raw_entries under `stream`; robots.txt decides first."""
    robots = Robots(con, fetcher)
    wanted = [canonical_url(u) for u in urls]
    for sitemap in sitemaps:
        wanted.extend(canonical_url(u) for u in sitemap_urls(fetcher, robots, sitemap, match=match))
    wanted = list(dict.fromkeys(wanted))
    if on_total:
        on_total(len(wanted))
    report = HtmlReport(urls=len(wanted))
    for url in wanted:
        if not robots.allowed(url):
            outcome = "blocked"
        else:
            outcome = fetch_page(con, fetcher, url, run_id=run_id, stream=stream)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome == "failed":
            report.errors.append(url)
        if progress:
            progress(url, outcome)
    return report
