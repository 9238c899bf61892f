"""The weekly run's stages after ingestion, as plain functions over the writer's connection."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # spaCy takes seconds to import; normalising needs none of it
    from extractors.extract import Extractor
from pipelines.normalise import ad_source_of, normalise_entry
from warehouse.load import quarantine, replace_mentions, upsert_ad_versions, upsert_concepts

import pyarrow as pa

Progress = Callable[[int], None]


@dataclass
class StageReport:
    """Counts from one stage, for the run record."""

    processed: int = 0
    written: int = 0
    failed: int = 0


def normalise_pending(con: duckdb.DuckDBPyConnection, run_id: str, *, source: str = "nav",
                      batch_size: int = 1000, progress: Progress | None = None) -> StageReport:
    """Normalise raw entries that have no ad version yet; a bad entry is quarantined, the rest go on.

    `source` is the stream key of ingest_feed ("nav:<feed url>"); ads are named by ad_source_of(source).
    Each batch's versions, ad states and quarantine rows commit together, so a killed run redoes at most
    one batch and never leaves an ad_state behind its versions.
    """
    ad_source = ad_source_of(source)
    pending = con.execute(
        "SELECT entry_id, payload, fetched_at FROM raw_entries r WHERE source = ? "
        "AND NOT EXISTS (SELECT 1 FROM ad_versions v WHERE v.entry_id = r.entry_id) ORDER BY modified, entry_id",
        [source],
    ).fetchall()
    report = StageReport(processed=len(pending))
    for offset in range(0, len(pending), batch_size):
        rows, bad = [], []
        for entry_id, payload, fetched_at in pending[offset:offset + batch_size]:
            try:
                ad = normalise_entry(json.loads(payload), entry_id=entry_id, source=ad_source, seen_at=fetched_at)
                rows.append(ad.as_row())
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                bad.append({"source": source, "ref": entry_id, "error": f"normalise: {type(exc).__name__}: {exc}",
                            "payload": payload, "run_id": run_id})
        con.execute("BEGIN TRANSACTION")
        try:
            report.written += upsert_ad_versions(con, rows, run_id)
            quarantine(con, bad)
            if rows:
                con.register("_stage_done", pa.table({"ref": pa.array([r["entry_id"] for r in rows], pa.string())}))
                con.execute("DELETE FROM quarantine WHERE source = ? AND ref IN (SELECT ref FROM _stage_done)", [source])
                con.unregister("_stage_done")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        report.failed += len(bad)
        if progress:
            progress(len(rows) + len(bad))
    return report


def extract_pending(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str,
                    progress: Progress | None = None, batch_size: int = 256) -> StageReport:
    """Extract mentions from each ad's current content version that this extractor has not seen yet."""
    version = extractor.version
    taxonomy_version = extractor.lexicon.version
    upsert_concepts(con, extractor.lexicon)
    pending = con.execute(
        """SELECT s.ad_id, v.entry_id, v.text, v.language
           FROM ad_state s JOIN ad_versions v ON v.entry_id = s.content_entry_id
           WHERE NOT EXISTS (SELECT 1 FROM extractions e WHERE e.ad_id = s.ad_id
                             AND e.entry_id = s.content_entry_id AND e.extractor_version = ?)
           ORDER BY s.ad_id""",
        [version],
    ).fetchall()
    report = StageReport(processed=len(pending))
    for offset in range(0, len(pending), batch_size):
        batch = pending[offset:offset + batch_size]
        entry_of = {ad_id: entry_id for ad_id, entry_id, _, _ in batch}
        mention_rows, done = [], []
        now = datetime.now(timezone.utc)
        for ad_id, mentions in extractor.extract_many((ad_id, text or "", lang or "nb") for ad_id, _, text, lang in batch):
            mention_rows.extend(
                dict(m.as_dict(), ad_id=ad_id, entry_id=entry_of[ad_id], extractor_version=version,
                     taxonomy_version=taxonomy_version, run_id=run_id)
                for m in mentions
            )
            done.append({"ad_id": ad_id, "entry_id": entry_of[ad_id], "extractor_version": version,
                         "mentions": len(mentions), "run_id": run_id, "extracted_at": now})
        con.execute("BEGIN TRANSACTION")
        try:
            report.written += replace_mentions(con, entry_of, mention_rows)
            con.register("_stage_extractions", pa.Table.from_pylist(done))
            con.execute("INSERT OR REPLACE INTO extractions BY NAME SELECT * FROM _stage_extractions")
            con.unregister("_stage_extractions")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if progress:
            progress(len(batch))
    return report
