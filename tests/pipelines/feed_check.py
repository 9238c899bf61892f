"""What a complete ingestion of a feed must hold, computed from the entries the server published."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from pipelines.normalise import parse_time
from pipelines.sources.feed_server import entry_id_for
from pipelines.sources.sample import load_sample_entries


def split_sample() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The sample feed as two deliveries: every ad's first entry, then its updates and stops (+4 more stops)."""
    first: dict[str, dict[str, Any]] = {}
    later: list[dict[str, Any]] = []
    for entry in load_sample_entries():
        if entry["uuid"] in first:
            later.append(entry)
        else:
            first[entry["uuid"]] = entry
    changed = {e["uuid"] for e in later}
    for entry in [e for e in first.values() if e["uuid"] not in changed][:4]:
        stop = copy.deepcopy(entry)
        stop["status"] = "INACTIVE"
        stop["sistEndret"] = "2026-12-01T09:00:00.000Z"
        stop["ad_content"].update(title="", contactList=[])
        later.append(stop)
    return list(first.values()), later


def expected_state(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per ad: status and entry of its latest change, version count, and when it stopped."""
    by_ad: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        by_ad.setdefault(str(entry["uuid"]), []).append(entry)
    state = {}
    for ad, versions in by_ad.items():
        versions = sorted(versions, key=lambda e: parse_time(e["sistEndret"]))
        latest = versions[-1]
        last_active = max((parse_time(e["sistEndret"]) for e in versions if e["status"] == "ACTIVE"), default=None)
        stops = [parse_time(e["sistEndret"]) for e in versions
                 if e["status"] == "INACTIVE" and (last_active is None or parse_time(e["sistEndret"]) > last_active)]
        state[ad] = {"status": latest["status"], "entry_id": entry_id_for(latest), "versions": len(versions),
                     "stopped_at": min(stops) if latest["status"] == "INACTIVE" else None}
    return state


def check_warehouse(con: duckdb.DuckDBPyConnection, entries: list[Mapping[str, Any]], *, source: str) -> None:
    """Every entry stored once, every ad once with its latest version and status, stopped ads dated."""
    ids = {entry_id_for(e) for e in entries}
    raw = [r[0] for r in con.execute("SELECT entry_id FROM raw_entries WHERE source = ?", [source]).fetchall()]
    assert len(raw) == len(set(raw)) == len(ids) and set(raw) == ids
    versions = [r[0] for r in con.execute("SELECT entry_id FROM ad_versions").fetchall()]
    assert len(versions) == len(set(versions)) and set(versions) == ids
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
    want = expected_state(entries)
    got = {row[0]: row[1:] for row in con.execute(
        "SELECT source_id, status, current_entry_id, versions, stopped_at FROM ad_state").fetchall()}
    assert set(got) == set(want)
    for ad, expected in want.items():
        status, current, count, stopped_at = got[ad]
        assert (status, current, count) == (expected["status"], expected["entry_id"], expected["versions"]), ad
        assert stopped_at == expected["stopped_at"], ad
    active = sum(s["status"] == "ACTIVE" for s in want.values())
    assert con.execute("SELECT count(*) FROM ads WHERE status = 'ACTIVE'").fetchall()[0][0] == active
    # an active ad's analysable content is its latest version
    stale = con.execute("SELECT count(*) FROM ad_state WHERE status = 'ACTIVE' "
                        "AND content_entry_id IS DISTINCT FROM current_entry_id").fetchall()[0][0]
    assert stale == 0
