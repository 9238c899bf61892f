"""Bulk, idempotent loads of strategy documents: a document's rows are replaced together or not at all."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.load import _stage

# Registry fields: refreshed on every run even when the document's content is unchanged.
REGISTRY_COLUMNS = tuple(
    "title issuer level region year valid_from valid_to url path url_verified note registry".split()
)
CHILD_TABLES = (
    "document_occupation_areas",
    "document_mentions",
    "document_sentences",
    "document_sections",
    "document_regions",
)
SCHEMAS = {
    "documents": pa.schema(
        [
            ("doc_id", pa.string()),
            ("title", pa.string()),
            ("document_title", pa.string()),
            ("issuer", pa.string()),
            ("level", pa.string()),
            ("region", pa.string()),
            ("year", pa.int32()),
            ("valid_from", pa.int32()),
            ("valid_to", pa.int32()),
            ("language", pa.string()),
            ("url", pa.string()),
            ("path", pa.string()),
            ("url_verified", pa.bool_()),
            ("note", pa.string()),
            ("registry", pa.string()),
            ("format", pa.string()),
            ("pages", pa.int32()),
            ("content_hash", pa.string()),
            ("fetch_origin", pa.string()),
            ("status", pa.string()),
            ("warnings", pa.string()),
            ("last_error", pa.string()),
            ("sections", pa.int32()),
            ("sentences", pa.int32()),
            ("priority_sentences", pa.int32()),
            ("priority_mentions", pa.int32()),
            ("extractor_version", pa.string()),
            ("taxonomy_version", pa.string()),
            ("structure_version", pa.string()),
            ("run_id", pa.string()),
            ("ingested_at", pa.timestamp("us", tz="UTC")),
            ("checked_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
    "document_regions": pa.schema(
        [
            ("doc_id", pa.string()),
            ("region_level", pa.string()),
            ("region_code", pa.string()),
            ("region_name", pa.string()),
        ]
    ),
    "document_sections": pa.schema(
        [
            ("doc_id", pa.string()),
            ("section_no", pa.int32()),
            ("heading", pa.string()),
            ("level", pa.int32()),
            ("heading_path", pa.list_(pa.string())),
            ("page", pa.int32()),
        ]
    ),
    "document_sentences": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sentence_no", pa.int32()),
            ("section_no", pa.int32()),
            ("page", pa.int32()),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("priority_kind", pa.string()),
            ("priority_cue", pa.string()),
            ("priority_weight", pa.float64()),
        ]
    ),
    "document_mentions": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sentence_no", pa.int32()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("text", pa.string()),
            ("type", pa.string()),
            ("concept_id", pa.string()),
            ("concept_label", pa.string()),
            ("score", pa.float64()),
            ("method", pa.string()),
            ("weight", pa.float64()),
        ]
    ),
    "document_occupation_areas": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sentence_no", pa.int32()),
            ("area_id", pa.string()),
            ("via", pa.string()),
            ("evidence", pa.string()),
            ("styrk08", pa.string()),
            ("weight", pa.float64()),
        ]
    ),
    "occupation_areas": pa.schema(
        [
            ("area_id", pa.string()),
            ("label_nb", pa.string()),
            ("label_nn", pa.string()),
            ("styrk08", pa.list_(pa.string())),
            ("mapping_version", pa.string()),
        ]
    ),
    "occupation_area_codes": pa.schema([("styrk08_prefix", pa.string()), ("area_id", pa.string())]),
}


def _table(name: str, rows: Sequence[Mapping[str, Any]], doc_id: str | None = None) -> pa.Table:
    """Rows → an Arrow table of the warehouse table's schema (missing fields as nulls)."""
    schema = SCHEMAS[name]
    filled = [
        {col: (doc_id if col == "doc_id" and doc_id is not None else row.get(col)) for col in schema.names}
        for row in rows
    ]
    return pa.Table.from_pylist(filled, schema=schema)


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> int:
    if not _stage(con, f"_stage_{name}", table):
        return 0
    con.execute(f"INSERT OR REPLACE INTO {name} BY NAME SELECT * FROM _stage_{name}")
    con.unregister(f"_stage_{name}")
    return table.num_rows


DOCUMENT_COLUMNS = tuple(SCHEMAS["documents"].names)


def document_state(con: duckdb.DuckDBPyConnection, doc_id: str) -> dict[str, Any] | None:
    """What was stored for a document (None if never ingested with content)."""
    cur = con.execute("SELECT * FROM documents WHERE doc_id = ? AND content_hash IS NOT NULL", [doc_id])
    rows = cur.fetchall()  # fetch to the end: DuckDB refuses new work while a result is unfinished
    return dict(zip([d[0] for d in cur.description], rows[0])) if rows else None


def _in_transaction(con: duckdb.DuckDBPyConnection, work) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        work()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def replace_document(
    con: duckdb.DuckDBPyConnection,
    document: Mapping[str, Any],
    regions: Sequence[Mapping[str, Any]],
    sections: Sequence[Mapping[str, Any]],
    sentences: Sequence[Mapping[str, Any]],
    mentions: Sequence[Mapping[str, Any]],
    occupation_areas: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Store a freshly read document: row, regions, sections, sentences, mentions and the occupation areas of its
    priority sentences replace the old ones."""
    doc_id = str(document["doc_id"])
    now = datetime.now(timezone.utc)
    row = dict(document, checked_at=now, ingested_at=document.get("ingested_at") or now)

    def work() -> None:
        _delete_children(con, doc_id)
        _insert(con, "documents", _table("documents", [row]))
        _insert(con, "document_regions", _table("document_regions", regions, doc_id))
        _insert(con, "document_sections", _table("document_sections", sections, doc_id))
        _insert(con, "document_sentences", _table("document_sentences", sentences, doc_id))
        _insert(con, "document_mentions", _table("document_mentions", mentions, doc_id))
        _insert(con, "document_occupation_areas", _table("document_occupation_areas", occupation_areas, doc_id))

    _in_transaction(con, work)


def replace_occupation_areas(
    con: duckdb.DuckDBPyConnection,
    areas: Sequence[Mapping[str, Any]],
    codes: Sequence[Mapping[str, Any]],
) -> None:
    """Store the curated occupation areas and their STYRK-08 prefixes, replacing the previous mapping whole."""

    def work() -> None:
        con.execute("DELETE FROM occupation_area_codes")
        con.execute("DELETE FROM occupation_areas")
        _insert(con, "occupation_areas", _table("occupation_areas", areas))
        _insert(con, "occupation_area_codes", _table("occupation_area_codes", codes))

    _in_transaction(con, work)


def refresh_document_metadata(
    con: duckdb.DuckDBPyConnection,
    document: Mapping[str, Any],
    regions: Sequence[Mapping[str, Any]],
    note: str | None = None,
) -> None:
    """An unchanged document: take the registry's current fields and regions, keep the stored content."""
    doc_id = str(document["doc_id"])
    stored = document_state(con, doc_id)
    if stored is None:
        raise KeyError(doc_id)
    row = dict(
        stored,
        **{k: document.get(k) for k in REGISTRY_COLUMNS},
        run_id=document.get("run_id"),
        fetch_origin=document.get("fetch_origin", stored.get("fetch_origin")),
        last_error=note,
        checked_at=datetime.now(timezone.utc),
    )

    def work() -> None:
        con.execute("DELETE FROM document_regions WHERE doc_id = ?", [doc_id])
        _insert(con, "documents", _table("documents", [row]))
        _insert(con, "document_regions", _table("document_regions", regions, doc_id))

    _in_transaction(con, work)


def record_document_failure(
    con: duckdb.DuckDBPyConnection,
    document: Mapping[str, Any],
    regions: Sequence[Mapping[str, Any]],
    error: str,
) -> None:
    """A document that could not be fetched or read: note the error, keep whatever was stored before."""
    doc_id = str(document["doc_id"])
    stored = document_state(con, doc_id)
    now = datetime.now(timezone.utc)
    if stored is not None:
        row = dict(stored, last_error=error, checked_at=now, run_id=document.get("run_id"))
    else:
        row = {k: document.get(k) for k in DOCUMENT_COLUMNS}
        row.update(
            status="failed",
            content_hash=None,
            warnings=json.dumps([error], ensure_ascii=False),
            last_error=error,
            checked_at=now,
            ingested_at=None,
            sections=0,
            sentences=0,
            priority_sentences=0,
            priority_mentions=0,
        )

    def work() -> None:
        if stored is None:
            _delete_children(con, doc_id)
        else:
            con.execute("DELETE FROM document_regions WHERE doc_id = ?", [doc_id])
        _insert(con, "documents", _table("documents", [row]))
        _insert(con, "document_regions", _table("document_regions", regions, doc_id))

    _in_transaction(con, work)


def _delete_children(con: duckdb.DuckDBPyConnection, doc_id: str) -> None:
    for table in CHILD_TABLES:
        con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
