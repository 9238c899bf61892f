"""The weekly run's stages after ingestion, as plain functions over the writer's connection."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from pipelines.errors import ConfigError
from pipelines.normalise import ad_source_of, normalise_entry
from warehouse.load import quarantine, replace_mentions, upsert_ad_versions, upsert_concepts

if TYPE_CHECKING:  # spaCy takes seconds to import; normalising needs none of it
    from extractors.extract import Extractor, Mention
    from models.occupation import OccupationClassifier

Progress = Callable[[int], None]
Item = tuple[str, str, str]  # (ad_id, text, lang): all an extractor (or a Dask worker) sees of an ad
ChunkResult = list[tuple[str, list["Mention"]]]


@dataclass
class StageReport:
    """Counts from one stage, for the run record."""

    processed: int = 0
    written: int = 0
    failed: int = 0


@dataclass
class NormaliseReport(StageReport):
    """Counts of the normalise stage, with the ads the occupation classifier coded and those it left uncoded."""

    classified: int = 0
    abstained: int = 0

    def count(self, records: list[dict]) -> None:
        """Add the classification records of one batch."""
        self.classified += sum(r["styrk08"] is not None for r in records)
        self.abstained += sum(r["styrk08"] is None for r in records)


def load_occupation_classifier(version: str | None = None) -> OccupationClassifier:
    """The occupation classifier the stages are given (default: CURRENT of the committed artefacts), loaded once
    per process at the edge (flow or CLI); a missing or damaged artefact is a configuration error with its fix."""
    from models.artefacts import ArtefactError
    from models.occupation import load_classifier

    try:
        return load_classifier(version)
    except (ArtefactError, ValueError) as exc:
        raise ConfigError(f"occupation classifier: {exc} (RADAR_OCCUPATION_MODEL names the version; unset it "
                          f"to use models/artefacts/occupation/CURRENT)") from exc


def with_occupation(rows: list[dict], classifier: OccupationClassifier | None) -> tuple[list[dict], list[dict]]:
    """Rows with their code's provenance; with a classifier, rows without a code get one (or an abstention)."""
    if classifier is None:
        return [dict(r, styrk08_source="feed" if r.get("styrk08") else None, styrk08_score=None,
                     occupation_model_version=None) for r in rows], []
    from models.occupation import classify_missing

    return classify_missing(rows, classifier)


def normalise_pending(con: duckdb.DuckDBPyConnection, run_id: str, *, source: str = "nav",
                      batch_size: int = 1000, progress: Progress | None = None,
                      classifier: OccupationClassifier | None = None) -> NormaliseReport:
    """Normalise raw entries that have no ad version yet; a bad entry is quarantined, the rest go on.

    `source` is the stream key of ingest_feed ("nav:<feed url>"); ads are named by ad_source_of(source).
    Each batch's versions, ad states and quarantine rows commit together, so a killed run redoes at most
    one batch and never leaves an ad_state behind its versions. With a classifier, versions that came without
    a STYRK-08 code (web pages, files, the odd feed ad) are coded by it in the same batch, and stored versions
    that were never classified (normalised without one) are classified afterwards.
    """
    ad_source = ad_source_of(source)
    pending = con.execute(
        "SELECT entry_id, payload, fetched_at FROM raw_entries r WHERE source = ? "
        "AND NOT EXISTS (SELECT 1 FROM ad_versions v WHERE v.entry_id = r.entry_id) ORDER BY modified, entry_id",
        [source],
    ).fetchall()
    report = NormaliseReport(processed=len(pending))
    for offset in range(0, len(pending), batch_size):
        rows, bad = [], []
        for entry_id, payload, fetched_at in pending[offset:offset + batch_size]:
            try:
                ad = normalise_entry(json.loads(payload), entry_id=entry_id, source=ad_source, seen_at=fetched_at)
                rows.append(ad.as_row())
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                bad.append({"source": source, "ref": entry_id, "error": f"normalise: {type(exc).__name__}: {exc}",
                            "payload": payload, "run_id": run_id})
        rows, records = with_occupation(rows, classifier)
        report.count(records)
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
    if classifier is not None:
        classify_pending(con, classifier, report, batch_size=batch_size)
    return report


def classify_pending(con: duckdb.DuckDBPyConnection, classifier: OccupationClassifier,
                     report: NormaliseReport | None = None, *, batch_size: int = 1000) -> int:
    """Classify stored ad versions that have no code and were never classified; returns how many were tried.

    Versions normalised before the classifier was wired in, or by a caller that passed none, catch up here;
    a version once classified keeps the model version that decided it.
    """
    pending = con.execute(
        "SELECT entry_id, ad_id, title, text, jobtitle, employer FROM ad_versions "
        "WHERE coalesce(styrk08, '') = '' AND occupation_model_version IS NULL "
        "AND (coalesce(trim(title), '') <> '' OR coalesce(trim(text), '') <> '') ORDER BY entry_id").fetchall()
    columns = ("entry_id", "ad_id", "title", "text", "jobtitle", "employer")
    for offset in range(0, len(pending), batch_size):
        rows = [dict(zip(columns, row), styrk08=None, styrk08_label=None) for row in pending[offset:offset + batch_size]]
        rows, records = with_occupation(rows, classifier)
        if report is not None:
            report.count(records)
        staged = pa.Table.from_pylist(
            [{k: r[k] for k in ("entry_id", "styrk08", "styrk08_label", "styrk08_source", "styrk08_score",
                                "occupation_model_version")} for r in rows],
            schema=pa.schema([("entry_id", pa.string()), ("styrk08", pa.string()), ("styrk08_label", pa.string()),
                              ("styrk08_source", pa.string()), ("styrk08_score", pa.float64()),
                              ("occupation_model_version", pa.string())]))
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_stage_occupations", staged)
            con.execute("""UPDATE ad_versions SET styrk08 = s.styrk08, styrk08_label = s.styrk08_label,
                                  styrk08_source = s.styrk08_source, styrk08_score = s.styrk08_score,
                                  occupation_model_version = s.occupation_model_version
                           FROM _stage_occupations s WHERE ad_versions.entry_id = s.entry_id""")
            con.unregister("_stage_occupations")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return len(pending)


def extract_pending(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str,
                    progress: Progress | None = None, batch_size: int = 256, processes: int = 1) -> StageReport:
    """Extract mentions from each ad's current content version that this extractor has not seen yet.

    The backlog streams through one extract_many call, so `processes` > 1 keeps one pool of forked workers
    for the whole stage (the linker stays here) and the phrase cache is saved once; every batch_size ads
    are stored in their own transaction, so a killed run redoes at most one batch.
    """
    version = extractor.version
    taxonomy_version = extractor.lexicon.version
    upsert_concepts(con, extractor.lexicon)
    refs = pending_refs(con, version)
    entry_of = dict(refs)
    report = StageReport(processed=len(refs))
    texts = (item for offset in range(0, len(refs), batch_size)
             for item in chunk_items(con, refs[offset:offset + batch_size]))
    batch: list[tuple[str, list[Mention]]] = []

    def store(results: list[tuple[str, list[Mention]]]) -> None:
        report.written += store_chunk(con, results, {ad_id: entry_of[ad_id] for ad_id, _ in results},
                                      extractor_version=version, taxonomy_version=taxonomy_version, run_id=run_id)
        if progress:
            progress(len(results))

    for result in extractor.extract_many(texts, n_process=processes):
        batch.append(result)
        if len(batch) == batch_size:
            store(batch)
            batch = []
    if batch:
        store(batch)
    return report


def pending_refs(con: duckdb.DuckDBPyConnection, extractor_version: str) -> list[tuple[str, str]]:
    """(ad_id, entry_id) of each ad whose current content this extractor has not read yet (serial or on Dask)."""
    return con.execute(
        """SELECT s.ad_id, s.content_entry_id
           FROM ad_state s JOIN ad_versions v ON v.entry_id = s.content_entry_id
           WHERE NOT EXISTS (SELECT 1 FROM extractions e WHERE e.ad_id = s.ad_id
                             AND e.entry_id = s.content_entry_id AND e.extractor_version = ?)
           ORDER BY s.ad_id""",
        [extractor_version],
    ).fetchall()


def chunk_items(con: duckdb.DuckDBPyConnection, refs: Sequence[tuple[str, str]]) -> list[Item]:
    """The texts of one batch, read only when it is about to be extracted (the backlog stays ids only)."""
    con.register("_stage_refs", pa.table({"ad_id": pa.array([a for a, _ in refs], pa.string()),
                                          "entry_id": pa.array([e for _, e in refs], pa.string())}))
    try:
        rows = con.execute(
            """SELECT r.ad_id, coalesce(v.text, ''), coalesce(v.language, 'nb')
               FROM _stage_refs r JOIN ad_versions v ON v.entry_id = r.entry_id ORDER BY r.ad_id""").fetchall()
    finally:
        con.unregister("_stage_refs")
    return [(ad_id, text, lang) for ad_id, text, lang in rows]


def store_chunk(con: duckdb.DuckDBPyConnection, results: ChunkResult, entry_of: dict[str, str], *,
                extractor_version: str, taxonomy_version: str, run_id: str) -> int:
    """Replace a batch's mentions and mark its ads extracted, in one transaction; returns mentions written."""
    now = datetime.now(timezone.utc)
    rows = [dict(m.as_dict(), ad_id=ad_id, entry_id=entry_of[ad_id], extractor_version=extractor_version,
                 taxonomy_version=taxonomy_version, run_id=run_id)
            for ad_id, mentions in results for m in mentions]
    done = [{"ad_id": ad_id, "entry_id": entry_of[ad_id], "extractor_version": extractor_version,
             "mentions": len(mentions), "run_id": run_id, "extracted_at": now} for ad_id, mentions in results]
    con.execute("BEGIN TRANSACTION")
    try:
        written = replace_mentions(con, [ad_id for ad_id, _ in results], rows)
        if done:
            con.register("_stage_extractions", pa.Table.from_pylist(done))
            con.execute("INSERT OR REPLACE INTO extractions BY NAME SELECT * FROM _stage_extractions")
            con.unregister("_stage_extractions")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return written
