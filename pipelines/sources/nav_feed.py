"""Client for NAV's pam-stilling-feed: pages, entries, ETags and polite retries."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from pipelines.errors import SourceError

log = logging.getLogger(__name__)

FEED_PATH = "/api/v1/feed"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
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


class _Retryable(Exception):
    """A response or failure worth another try; carries the server's Retry-After when given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


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


def parse_feed_page(payload: dict[str, Any], etag: str | None = None, last_modified: str | None = None) -> FeedPage:
    """Turn a feed page's JSON into a FeedPage, tolerating missing optional fields."""
    try:
        page_id = str(payload["id"])
        raw_items = payload.get("items") or []
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a feed page (no 'id'): {exc}") from exc
    items = []
    for raw in raw_items:
        entry = raw.get("_feed_entry") or {}
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
    ) -> None:
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            follow_redirects=True,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> "FeedClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        """Honour Retry-After when the server sent one, else back off exponentially."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff)
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff)

    def _get_json(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
                  ) -> tuple[httpx.Response, Any]:
        """GET with retries on transport errors, 5xx, 429 and unreadable JSON; 304 returns no body."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path, params, headers)
        except _Retryable as exc:
            raise SourceError(
                f"GET {path} failed after {self.max_attempts} attempts ({exc}); the run stopped before this "
                "point and the next run resumes from the stored cursor."
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, path: str, params: dict[str, Any] | None, headers: dict[str, str] | None
                  ) -> tuple[httpx.Response, Any]:
        """One GET; raises _Retryable for anything another try may fix."""
        try:
            response = self._client.get(path, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}") from exc
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After")))
        if response.status_code == 304:
            return response, None
        if response.status_code in (401, 403):
            raise SourceError(
                f"The feed refused the token (HTTP {response.status_code}): check RADAR_NAV_TOKEN; "
                "public tokens rotate, fetch a fresh one or ask NAV for a private token."
            )
        if response.status_code >= 400:
            raise SourceError(f"GET {path} answered HTTP {response.status_code}; check --feed-url.")
        try:
            return response, json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Retryable(f"unreadable JSON ({exc.__class__.__name__})") from exc

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
        _, payload = self._get_json(item.url)
        return parse_feed_entry(payload, item.entry_id)

    def iter_pages(self, cursor: FeedCursor) -> Iterator[FeedPage]:
        """Yield pages from the cursor on, polling the cursor's page with its ETag first."""
        page = self.get_page(cursor.page_id, etag=cursor.etag, last_modified=cursor.last_modified)
        while page is not None:
            yield page
            if not page.next_id:
                return
            page = self.get_page(page.next_id)
