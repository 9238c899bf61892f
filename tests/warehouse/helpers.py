"""Builders of small warehouse contents with known answers."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

import duckdb

from warehouse.load import replace_mentions, upsert_ad_versions

COUNTIES = {"Østfold": "31", "Akershus": "32", "Buskerud": "33", "Oslo": "03"}


def add_ads(con: duckdb.DuckDBPyConnection, week: str, county: str, n: int, concepts_for: dict[str, int],
            prefix: str, styrk08: str = "7411", unmapped_for: dict[str, int] | None = None,
            municipality: tuple[str, str] | None = None) -> list[str]:
    """n ads published on the Monday of `week` in `county`; the first k of them mention each concept.

    `unmapped_for` gives phrases the extractor could not link (concept_id NULL, method 'unmapped') the same way;
    `municipality` is a (code, name) in 2024 borders.
    """
    year, num = week.split("-W")
    published = datetime.combine(date.fromisocalendar(int(year), int(num), 1), time(9), tzinfo=timezone.utc)
    ids = [f"test:{prefix}-{week}-{i}" for i in range(n)]
    code, name = municipality or (None, None)
    rows: list[dict[str, Any]] = [
        {"entry_id": f"{ad_id}-v1", "ad_id": ad_id, "source": "test", "source_id": ad_id, "status": "ACTIVE",
         "modified": published, "published": published, "text": "tekst", "language": "nb",
         "county_code_2024": COUNTIES[county], "county_name_2024": county, "municipality_code_2024": code,
         "municipality_name_2024": name, "styrk08": styrk08}
        for ad_id in ids
    ]
    upsert_ad_versions(con, rows, run_id="test")
    mentions = [
        {"ad_id": ad_id, "entry_id": f"{ad_id}-v1", "start": 0, "end": 5, "text": concept, "type": "SKILL",
         "requirement": "REQUIRED", "concept_id": concept, "concept_label": concept, "score": 1.0, "method": "test"}
        for concept, k in concepts_for.items() for ad_id in ids[:k]
    ]
    mentions += [
        {"ad_id": ad_id, "entry_id": f"{ad_id}-v1", "start": 0, "end": 5, "text": phrase, "type": "SKILL",
         "requirement": "UNSPECIFIED", "concept_id": None, "concept_label": None, "score": None, "method": "unmapped"}
        for phrase, k in (unmapped_for or {}).items() for ad_id in ids[:k]
    ]
    # one mention per (ad, concept or phrase): give each its own offsets
    for i, m in enumerate(mentions):
        m["start"], m["end"] = 10 * i, 10 * i + 5
    replace_mentions(con, ids, mentions)
    return ids
