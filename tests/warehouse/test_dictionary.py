"""Every analyst-facing column is documented, and docs/data_dictionary.md is what the schema says."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import open_warehouse
from warehouse.dictionary import DEFAULT_PATH, analyst_relations, render_markdown, schema_dictionary, undocumented
from warehouse.trends import refresh_trends
from tests.warehouse.helpers import add_ads

REQUIRED = {"ads", "mentions", "concepts", "skill_demand_weekly", "skill_trends", "emerging_terms", "runs"}


def test_every_column_of_every_analyst_view_has_a_comment(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    add_ads(con, "2026-W48", "Oslo", 3, {"ki": 2}, prefix="a", unmapped_for={"ny frase": 2})
    refresh_trends(con, "2026-W48")  # a run refills the trend tables; their comments must survive it
    relations = analyst_relations(con)
    assert REQUIRED <= {r.name for r in relations}
    assert {r.name for r in relations if r.kind == "view"} == {
        name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert undocumented(relations) == []
    con.close()


def test_undocumented_columns_are_named(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    con.execute("CREATE VIEW new_view AS SELECT ad_id, status AS state FROM ads")
    con.execute("COMMENT ON COLUMN new_view.ad_id IS 'Ad id.'")
    assert undocumented([r for r in analyst_relations(con) if r.name == "new_view"]) == ["new_view", "new_view.state"]
    con.close()


def test_the_committed_dictionary_matches_the_schema() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == schema_dictionary(), \
        "docs/data_dictionary.md is stale: run `python -m warehouse.dictionary`"


def test_markdown_lists_each_relation_with_its_columns(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    text = render_markdown(analyst_relations(con))
    con.close()
    assert "## skill_trends" in text and "| `change_ci_low` | DOUBLE |" in text
    assert "| `county_code_2024` | VARCHAR | County number in 2024 borders" in text
