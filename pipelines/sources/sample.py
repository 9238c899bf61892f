"""The embedded default: the team's sample feed and strategy documents shipped in the package."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pipelines.sources.feed_server import FeedServer

SAMPLE_FEED_URL = "http://sample-feed.kompetanseradar.invalid"
SAMPLE_TOKEN = "sample-token-not-secret"


def sample_dir() -> Path:
    """Folder of the packaged sample corpus."""
    return Path(str(resources.files("pipelines") / "sample_data"))


def load_sample_entries() -> list[dict[str, Any]]:
    """All bundled feed entries (several per ad where an ad changed), in change order."""
    entries: list[dict[str, Any]] = []
    for path in sorted((sample_dir() / "ads").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            entries.extend(json.loads(line) for line in handle if line.strip())
    return sorted(entries, key=lambda e: str(e.get("sistEndret", "")))


def sample_feed_server(page_size: int = 25) -> FeedServer:
    """A feed server over the sample; small pages so the demo exercises paging."""
    return FeedServer(load_sample_entries(), token=SAMPLE_TOKEN, default_page_size=page_size)
