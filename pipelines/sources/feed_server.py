"""An in-process server speaking pam-stilling-feed's protocol over a list of entries.

It serves the embedded sample through the production FeedClient (as an httpx transport) and backs
the loopback servers of the ingestion tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import httpx

ENTRY_NAMESPACE = uuid.UUID("3f0e1c55-6a49-4a0c-9d1e-6b8f2f6c2a11")


@dataclass(frozen=True)
class Response:
    """A plain HTTP response, independent of the HTTP stack that carries it."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


def entry_id_for(entry: Mapping[str, Any]) -> str:
    """A stable id for one change of one ad, as the feed gives each change its own entry."""
    return str(uuid.uuid5(ENTRY_NAMESPACE, f"{entry['uuid']}|{entry.get('sistEndret', '')}"))


def _feed_line(entry_id: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """The feed-page line announcing one entry, shaped as the real feed's FeedLine."""
    ad = entry.get("ad_content") or {}
    location = (ad.get("workLocations") or [{}])[0]
    return {
        "id": entry_id,
        "url": f"/api/v1/feedentry/{entry_id}",
        "title": ad.get("title") or "",
        "content_text": "Stillingsannonse",
        "date_modified": entry.get("sistEndret"),
        "_feed_entry": {
            "uuid": entry["uuid"],
            "status": entry.get("status", "ACTIVE"),
            "title": ad.get("title") or "",
            "businessName": (ad.get("employer") or {}).get("name") or "",
            "municipal": location.get("municipal") or "",
            "sistEndret": entry.get("sistEndret"),
        },
    }


class FeedServer:
    """The feed's endpoints over an append-only list of entries ordered by change time."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], *, token: str, default_page_size: int = 1000) -> None:
        self.token = token
        self.default_page_size = default_page_size
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._entries: dict[str, Mapping[str, Any]] = {}
        self.requests: list[str] = []
        self.append(entries)

    def append(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Add later changes at the end of the feed, as new ads and updates arrive."""
        for entry in sorted(entries, key=lambda e: str(e.get("sistEndret", ""))):
            entry_id = entry_id_for(entry)
            if entry_id not in self._entries:
                self._position[entry_id] = len(self._ids)
                self._ids.append(entry_id)
                self._entries[entry_id] = entry

    def handle(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        """Answer one request as the real service would."""
        self.requests.append(path)
        if method != "GET":
            return Response(405, {})
        if headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"Content-Type": "text/plain"}, b"Unauthorized")
        if path.startswith("/api/v1/feedentry/"):
            entry = self._entries.get(path.rsplit("/", 1)[-1])
            if entry is None:
                return Response(404, {})
            return Response(200, {"Content-Type": "application/json"}, json.dumps(entry).encode())
        if path == "/api/v1/feed" or path.startswith("/api/v1/feed/"):
            page_id = None if path == "/api/v1/feed" else path.rsplit("/", 1)[-1]
            return self._page(page_id, query, headers)
        return Response(404, {})

    def _page(self, page_id: str | None, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        """A page starts at an entry id and holds pageSize entries; its ETag changes when it grows."""
        size = max(1, min(int(query.get("pageSize") or self.default_page_size), 10_000))
        start = 0 if page_id is None else self._index_of(page_id)
        if start is None:
            return Response(404, {})
        ids = self._ids[start:start + size]
        next_id = self._ids[start + size] if start + size < len(self._ids) else None
        this_id = page_id or (ids[0] if ids else str(uuid.uuid5(ENTRY_NAMESPACE, "empty-feed")))
        body = {
            "version": "1.0",
            "title": "Stillingsfeeden fra arbeidsplassen.no",
            "home_page_url": "https://arbeidsplassen.nav.no",
            "feed_url": f"/api/v1/feed/{this_id}",
            "description": "Feed med stillingsannonser",
            "next_url": f"/api/v1/feed/{next_id}" if next_id else None,
            "id": this_id,
            "next_id": next_id,
            "items": [_feed_line(i, self._entries[i]) for i in ids],
        }
        payload = json.dumps(body).encode()
        etag = '"' + hashlib.sha1(payload).hexdigest() + '"'
        modified = max((str(self._entries[i].get("sistEndret")) for i in ids), default="")
        out_headers = {"ETag": etag, "Content-Type": "application/json", "Last-Modified": _http_date(modified)}
        if headers.get("if-none-match") == etag:
            return Response(304, out_headers)
        return Response(200, out_headers, payload)

    def _index_of(self, page_id: str) -> int | None:
        """Position of the entry a page starts at."""
        return self._position.get(page_id)

    def as_transport(self) -> httpx.MockTransport:
        """Wrap the server as an httpx transport, so the production client reads it unchanged."""

        def handler(request: httpx.Request) -> httpx.Response:
            reply = self.handle(
                request.method,
                request.url.path,
                dict(request.url.params),
                {k.lower(): v for k, v in request.headers.items()},
            )
            return httpx.Response(reply.status, headers=dict(reply.headers), content=reply.body)

        return httpx.MockTransport(handler)


def _http_date(iso: str) -> str:
    """RFC 1123 date for Last-Modified from the feed's ISO timestamps."""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        when = datetime(1970, 1, 1, tzinfo=timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)
