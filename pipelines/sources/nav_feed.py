"""Client for NAV's pam-stilling-feed: pages, entries, ETags and polite retries."""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from pipelines.errors import SourceError

log = logging.getLogger(__name__)

FEED_PATH = "/api/v1/feed"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
USER_AGENT = "Kompetanseradar/0.1 (+https://github.com/kompetanseradar; competence-needs research)"


@dataclass(frozen=True)
class FeedItem:
    """One line of a feed page: a change to one ad."""

    entry_id: str
    ad_uuid: str
    status: str
    modified: str
    url: str
    title: str | None = None
    business_name: str | None = None
    municipal: str | None = None


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed with the validators needed to poll it again."""

    page_id: str
    items: tuple[FeedItem, ...]
    next_id: str | None
    next_url: str | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FeedEntry:
    """The full state of an ad at one change (`ad_content` is None for some stopped ads)."""

    entry_id: str
    ad_uuid: str
    status: str
    modified: str
    ad: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class FeedCursor:
    """Where the last run stopped: the page to poll next and its ETag."""

    page_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None


T = TypeVar("T")


class Retryable(Exception):
    """A response or failure worth another try; carries the server's Retry-After when given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RetriesExhausted(SourceError):
    """Every attempt failed for a reason another run may not meet (5xx, 429, timeout, bad JSON)."""


class FeedAuthError(SourceError):
    """The server refused the credentials: no later request of this run can succeed, so the run stops."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff, Retry-After honoured up to a ceiling."""

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, state: RetryCallState) -> float:
        """Honour Retry-After when the server sent one, else back off exponentially."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff)
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff)

    def call(self, attempt: Callable[[], T], what: str,
             then: str = "the run stopped before this point and the next run resumes from the stored cursor") -> T:
        """Run `attempt` until it stops raising Retryable; then a RetriesExhausted that says what failed and what next."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            retry=retry_if_exception_type(Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for trial in retrying:
                with trial:
                    return attempt()
        except Retryable as exc:
            raise RetriesExhausted(f"{what} failed after {self.max_attempts} attempts ({exc}); {then}.") from exc
        raise AssertionError("unreachable")  # pragma: no cover


def check_retryable(response: httpx.Response) -> None:
    """Raise Retryable for statuses another try may fix (5xx, 429, 408), with the server's Retry-After."""
    if response.status_code in RETRY_STATUSES:
        raise Retryable(f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After")))


def send_once(client: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
    """One GET whose transport failures (refused, reset, cut body, timeout) are worth another try."""
    try:
        response = client.get(url, **kwargs)
    except httpx.TransportError as exc:
        raise Retryable(type(exc).__name__) from exc
    check_retryable(response)
    return response


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Read Retry-After as seconds or an HTTP date, so 429s are honoured as the server asks."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def without_surrogates(value: Any) -> Any:
    """JSON with lone surrogates ("\\ud800" escapes) replaced by U+FFFD: no table or URL can hold them."""
    if isinstance(value, str):
        return LONE_SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    return value


def parse_feed_page(payload: dict[str, Any], etag: str | None = None, last_modified: str | None = None) -> FeedPage:
    """Turn a feed page's JSON into a FeedPage, tolerating missing optional fields."""
    try:
        page_id = str(payload["id"])
        raw_items = payload.get("items") or []
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a feed page (no 'id'): {exc}") from exc
    if not isinstance(raw_items, list):
        raise ValueError(f"feed page {page_id}: 'items' is not a list")
    items = []
    for number, raw in enumerate(raw_items):
        if not isinstance(raw, dict) or "id" not in raw:
            raise ValueError(f"feed page {page_id}: item {number} is not a feed line with an 'id'")
        entry = raw.get("_feed_entry") if isinstance(raw.get("_feed_entry"), dict) else {}
        items.append(
            FeedItem(
                entry_id=str(raw["id"]),
                ad_uuid=str(entry.get("uuid") or raw["id"]),
                status=str(entry.get("status") or "ACTIVE").upper(),
                modified=str(entry.get("sistEndret") or raw.get("date_modified") or ""),
                url=str(raw.get("url") or f"/api/v1/feedentry/{raw['id']}"),
                title=entry.get("title") or raw.get("title"),
                business_name=entry.get("businessName"),
                municipal=entry.get("municipal"),
            )
        )
    return FeedPage(
        page_id=page_id,
        items=tuple(items),
        next_id=payload.get("next_id"),
        next_url=payload.get("next_url"),
        etag=etag,
        last_modified=last_modified,
    )


def parse_feed_entry(payload: dict[str, Any], entry_id: str) -> FeedEntry:
    """Turn a feed entry's JSON into a FeedEntry; accepts `ad_content` and the older `json` key."""
    if not isinstance(payload, dict) or "uuid" not in payload:
        raise ValueError("not a feed entry (no 'uuid')")
    ad = payload.get("ad_content", payload.get("json"))
    if ad is not None and not isinstance(ad, dict):
        raise ValueError("feed entry 'ad_content' is not an object")
    return FeedEntry(
        entry_id=entry_id,
        ad_uuid=str(payload["uuid"]),
        status=str(payload.get("status") or "ACTIVE").upper(),
        modified=str(payload.get("sistEndret") or (ad or {}).get("updated") or ""),
        ad=ad,
        raw=payload,
    )


class FeedClient:
    """Reads the feed over HTTP with a Bearer token, conditional GETs and bounded retries."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        page_size: int = 1000,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = 4,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.page_size = page_size
        self.workers = workers
        self.retry = RetryPolicy(max_attempts=max_attempts, backoff=backoff, max_backoff=max_backoff, sleep=sleep)
        # The token lives only in this client's default headers: never in a message, a log line or a table.
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=workers + 1, max_keepalive_connections=workers + 1),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            follow_redirects=True,
        )

    @property
    def max_attempts(self) -> int:
        """Attempts per request before giving up."""
        return self.retry.max_attempts

    def __repr__(self) -> str:
        return f"FeedClient({str(self._client.base_url)!r}, workers={self.workers}, page_size={self.page_size})"

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> "FeedClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get_json(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                  **then: str) -> tuple[httpx.Response, Any]:
        """GET with retries on transport errors, 5xx, 429 and unreadable JSON; 304 returns no body."""
        return self.retry.call(lambda: self._get_once(path, params, headers), f"GET {path}", **then)

    def _get_once(self, path: str, params: dict[str, Any] | None, headers: dict[str, str] | None
                  ) -> tuple[httpx.Response, Any]:
        """One GET; raises Retryable for anything another try may fix."""
        response = send_once(self._client, path, params=params, headers=headers)
        if response.status_code == 304:
            return response, None
        if response.status_code in (401, 403):
            raise FeedAuthError(
                f"The feed refused the token (HTTP {response.status_code}): check RADAR_NAV_TOKEN; "
                "public tokens rotate, fetch a fresh one or ask NAV for a private token."
            )
        if response.status_code >= 400:
            raise SourceError(f"GET {path} answered HTTP {response.status_code}; check --feed-url.")
        try:
            return response, without_surrogates(json.loads(response.content))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Retryable(f"unreadable JSON ({exc.__class__.__name__})") from exc

    def get_page(self, page_id: str | None, *, etag: str | None = None,
                 last_modified: str | None = None) -> FeedPage | None:
        """Fetch a page (the first when page_id is None); None when the server says 304 Not Modified."""
        path = FEED_PATH if page_id is None else f"{FEED_PATH}/{page_id}"
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response, payload = self._get_json(path, params={"pageSize": self.page_size}, headers=headers)
        if payload is None:
            return None
        try:
            return parse_feed_page(payload, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"{path} did not return a feed page: {exc}") from exc

    def get_entry(self, item: FeedItem) -> FeedEntry:
        """Fetch the full ad behind a feed item; raises ValueError for a payload that is not an entry."""
        _, payload = self._get_json(item.url, then="the entry is quarantined and fetched again by the next run")
        return parse_feed_entry(payload, item.entry_id)

    def iter_pages(self, cursor: FeedCursor) -> Iterator[FeedPage]:
        """Yield pages from the cursor on, polling the cursor's page with its ETag first."""
        page = self.get_page(cursor.page_id, etag=cursor.etag, last_modified=cursor.last_modified)
        while page is not None:
            yield page
            if not page.next_id:
                return
            page = self.get_page(page.next_id)
