"""concept_phrasings_weekly gives the same spellings, requirement levels and counts as reading every mention."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.db import open_warehouse
from warehouse.load import replace_mentions
from warehouse.trends import refresh_trends
from tests.warehouse.helpers import add_ads

# The benchmark's question ("how do ads word one concept, last 4 weeks") read straight from the mentions.
DIRECT = """
    SELECT m.text, m.requirement, count(*) AS mentions, count(DISTINCT m.ad_id) AS ads
    FROM mentions m
    SEMI JOIN (SELECT ad_id FROM ad_concepts WHERE concept_id = $concept
                 AND week_start > $week::DATE - 28 AND week_start <= $week::DATE) c ON c.ad_id = m.ad_id
    WHERE m.concept_id = $concept
    GROUP BY ALL ORDER BY ALL"""
FROM_TABLE = """
    SELECT text, requirement, sum(mentions) AS mentions, sum(ads) AS ads
    FROM concept_phrasings_weekly
    WHERE concept_id = $concept AND week_start > $week::DATE - 28 AND week_start <= $week::DATE
    GROUP BY ALL ORDER BY ALL"""
# Every phrasing of every counted (original, dated) ad, per Norwegian week, computed without the trend tables.
ALL_DIRECT = """
    SELECT CAST(date_trunc('week', timezone('Europe/Oslo', a.published)) AS DATE) AS week_start, m.concept_id,
           m.text, m.requirement, count(*) AS mentions, count(DISTINCT m.ad_id) AS ads
    FROM mentions m JOIN ads a USING (ad_id)
    WHERE a.duplicate_of IS NULL AND a.published IS NOT NULL AND m.concept_id IS NOT NULL
    GROUP BY ALL ORDER BY ALL"""
ALL_TABLE = """SELECT week_start, concept_id, text, requirement, mentions, ads FROM concept_phrasings_weekly
               ORDER BY ALL"""


def mention(ad_id: str, i: int, text: str, requirement: str, concept: str | None) -> dict:
    return {"ad_id": ad_id, "entry_id": f"{ad_id}-v1", "start": 10 * i, "end": 10 * i + 5, "text": text,
            "type": "SKILL", "requirement": requirement, "concept_id": concept, "concept_label": concept,
            "score": 1.0 if concept else None, "method": "test" if concept else "unmapped"}


def word_ads(con: duckdb.DuckDBPyConnection, ids: list[str], phrasings: list[list[tuple[str, str, str | None]]]) -> None:
    """Give ad k the mentions phrasings[k % len(phrasings)]: (text, requirement, concept) each."""
    rows = [mention(ad_id, i, *p) for k, ad_id in enumerate(ids) for i, p in enumerate(phrasings[k % len(phrasings)])]
    replace_mentions(con, ids, rows)


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    for w, week in enumerate(["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"]):
        ids = add_ads(con, week, "Østfold", 7 + w, {}, prefix="o")
        word_ads(con, ids, [
            [("Python", "REQUIRED", "python"), ("python", "REQUIRED", "python"), ("Python", "REQUIRED", "python")],
            [("Python", "PREFERRED", "python"), ("SQL", "REQUIRED", "sql"), ("Pyhton", "UNSPECIFIED", "python")],
            [("SQL-kunnskap", "PREFERRED", "sql"), ("ny frase", "UNSPECIFIED", None)],
            [],
        ])
        ids = add_ads(con, week, "Buskerud", 3, {}, prefix="b")
        word_ads(con, ids, [[("python", "UNSPECIFIED", "python"), ("PYTHON", "REQUIRED", "python")]])
    yield con
    con.close()


def test_phrasings_equal_a_direct_count_over_the_mentions(con) -> None:
    con.execute("UPDATE ad_state SET duplicate_of = 'test:o-2026-W48-0' WHERE ad_id = 'test:o-2026-W48-4'")
    refresh_trends(con, "2026-W48")
    table = con.execute(ALL_TABLE).fetchall()
    assert table == con.execute(ALL_DIRECT).fetchall()
    params = {"concept": "python", "week": "2026-11-23"}
    answer = con.execute(FROM_TABLE, params).fetchall()
    assert answer == con.execute(DIRECT, params).fetchall()
    # the known answer for the last 4 weeks (W45-W48): ads 0, 4 of each Østfold week repeat 'Python' REQUIRED
    assert ("Python", "REQUIRED", 8 + 4 + 4 + 4, 4 + 2 + 2 + 2) in answer  # W48's ad 4 is a duplicate: not counted
    assert ("PYTHON", "REQUIRED", 12, 12) in answer


def test_rows_carry_week_label_and_concept_label(con) -> None:
    refresh_trends(con, "2026-W48")
    assert con.execute("""SELECT DISTINCT iso_week, strftime(week_start, '%G-W%V') = iso_week
                          FROM concept_phrasings_weekly ORDER BY 1""").fetchall()[0] == ("2026-W44", True)
    assert con.execute("SELECT count(*) FROM concept_phrasings_weekly WHERE concept_id IS NULL").fetchone() == (0,)
    assert con.execute("""SELECT sum(ads) FROM concept_phrasings_weekly WHERE concept_id = 'sql'""").fetchone() == \
        con.execute("SELECT count(*) FROM ad_concepts WHERE concept_id = 'sql'").fetchone()  # one phrasing per ad


def test_concepts_with_more_phrasings_than_bits_are_counted_exactly(tmp_path: Path) -> None:
    """Beyond a concept's 64 commonest phrasings the ads are counted one by one: still exact."""
    con = open_warehouse(tmp_path / "w.duckdb")
    ids = add_ads(con, "2026-W48", "Akershus", 100, {}, prefix="a")
    spellings = [f"sveis{i}" for i in range(90)]
    levels = ("REQUIRED", "PREFERRED")
    own = [[(spellings[(k * 7 + j) % 90], levels[j % 2], "sveising") for j in range(k % 5 + 1)] for k in range(100)]
    word_ads(con, ids, [phrasings + phrasings[:1] for phrasings in own])  # each ad repeats its first phrasing
    refresh_trends(con, "2026-W48")
    assert con.execute(ALL_TABLE).fetchall() == con.execute(ALL_DIRECT).fetchall()
    assert con.execute("SELECT count(*) FROM concept_phrasings_weekly").fetchone()[0] > 64
    con.close()


def test_rebuild_keeps_the_comments(con) -> None:
    refresh_trends(con, "2026-W48")
    comments = con.execute("""SELECT column_name, comment FROM duckdb_columns()
                              WHERE table_name = 'concept_phrasings_weekly'""").fetchall()
    assert len(comments) == 8 and all(c for _, c in comments)
