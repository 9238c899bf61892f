"""Briefings render from the trend tables alone: sections, flags for thin cells, no external assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.briefing.data import gather
from pipelines.briefing.render import pct, pp, render_html, write_briefing
from warehouse.db import open_warehouse
from warehouse.trends import refresh_trends
from tests.warehouse.helpers import add_ads


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    con.execute("""INSERT INTO concepts_store VALUES
        ('ki', 'Kunstig intelligens', 'artificial intelligence', 'SKILL', NULL, 'Data og kunstig intelligens', 'v'),
        ('truck', 'Truckførerbevis', 'forklift licence', 'QUALIFICATION', NULL, 'Sertifikater og førerkort', 'v')""")
    for i, week in enumerate(f"2026-W{w}" for w in range(41, 49)):
        add_ads(con, week, "Østfold", 20, {"ki": 16 if i >= 4 else 1, "truck": 10}, prefix="o")
        add_ads(con, week, "Akershus", 3, {"truck": 1}, prefix="a")
    refresh_trends(con, "2026-W48", min_ads=5)
    yield con
    con.close()


def test_briefing_has_its_sections_and_supports_growth_only_with_its_interval(con, tmp_path: Path) -> None:
    data = gather(con, "2026-W48", ["Østfold", "Akershus"], min_cell_ads=5)
    html = render_html(data)
    for heading in ("Hovedtall", "Mest etterspurte kompetanser – Østfold", "Økende og synkende – Østfold",
                    "Fylkene mot hele landet", "Metode og kilder"):
        assert heading in html
    østfold = {r["concept_label"]: r for r in data.changes["Østfold"]}
    assert østfold["Kunstig intelligens"]["emerging"] and "Økende" in html
    assert not østfold["Truckførerbevis"]["emerging"] and "Ingen sikker endring" in html
    assert "Færre enn 5 annonser" in html  # Akershus has 3 ads a week
    path = write_briefing(html, tmp_path / "b", "2026-W48", ["Østfold", "Akershus"])
    assert path.name == "2026-W48_østfold_akershus.html"


def test_briefing_loads_nothing_from_outside(con) -> None:
    html = render_html(gather(con, "2026-W48", ["Østfold"]))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html and html.count("<svg") >= 3


def test_norwegian_number_formats() -> None:
    assert pct(0.125) == "12,5 %" and pp(-0.034) == "-3,4 pp" and pct(None) == "–"
