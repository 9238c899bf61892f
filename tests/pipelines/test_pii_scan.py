"""A scan of the whole warehouse after ingesting every kind of source finds no contact data."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.dedupe import link_duplicates
from pipelines.ingest import ingest_feed
from pipelines.sources.feed_server import FeedServer
from pipelines.sources.files import FILE_STREAM, ingest_files
from pipelines.sources.html_ads import HTML_STREAM
from pipelines.sources.nav_feed import FeedClient
from pipelines.sources.sample import load_sample_entries
from pipelines.stages import normalise_pending
from tests.pipelines.entries import ELEKTRIKER, SJUKEPLEIAR
from tests.pipelines.pages import arbeidsplassen_page, elektriker_page, json_ld_page
from warehouse.db import open_warehouse

REAL_ADS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "job_ads" / "ads.jsonl"
# Written independently of the masking rules: any address, any 8-digit Norwegian number however grouped.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w.,:/-])(?:\+47[ ]?)?(?:\d{2}[ .]?\d{2}[ .]?\d{2}[ .]?\d{2}|\d{3}[ .]?\d{2}[ .]?\d{3})(?![\w,/-])")
NOT_PHONES = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2}[T ][\d:.]+"
                        r"(?:[+-]\d{2}:?\d{2}|Z)?", re.IGNORECASE)


def contact_names(entries: list[dict]) -> set[str]:
    return {c["name"] for e in entries for c in ((e.get("ad_content") or {}).get("contactList") or []) if c.get("name")}


def test_no_email_phone_or_contact_name_anywhere(tmp_path: Path) -> None:
    entries = load_sample_entries() + [ELEKTRIKER, SJUKEPLEIAR]
    names = contact_names(entries) | {"Helene Dahl", "Ola Berg", "Sigrid Haugland"}
    assert len(names) > 80
    con = open_warehouse(tmp_path / "w.duckdb")
    feed = FeedServer(entries, token="t")
    with FeedClient("http://feed.test", "t", transport=feed.as_transport(), page_size=50, sleep=lambda s: None) as client:
        ingest_feed(con, client, source="nav:test", run_id="r")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "kino.html").write_text(arbeidsplassen_page(), encoding="utf-8")
    (pages / "vann.html").write_text(json_ld_page(), encoding="utf-8")
    (pages / "elektriker.html").write_text(elektriker_page(), encoding="utf-8")
    ingest_files(con, pages, run_id="r")
    if REAL_ADS.exists():
        ingest_files(con, REAL_ADS, run_id="r")
    for stream in ("nav:test", HTML_STREAM, FILE_STREAM):
        normalise_pending(con, "r", source=stream)
    assert link_duplicates(con) >= 1

    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
    found: list[tuple[str, str]] = []
    scanned = 0
    for table in tables:
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type NOT IN ('BLOB')",
            [table]).fetchall()]
        selected = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
        for row in con.execute(f'SELECT {selected} FROM "{table}"').fetchall():
            for value in row:
                if not value:
                    continue
                scanned += 1
                text = NOT_PHONES.sub(" ", value)
                found += [(table, m) for m in EMAIL.findall(value) + PHONE.findall(text)]
                lowered = value.lower()
                found += [(table, n) for n in names if n.lower() in lowered]
    con.close()
    assert scanned > 2000 and not found, found[:20]
