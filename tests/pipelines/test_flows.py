"""Real runs of the weekly flow on the embedded sample, under a temporary Prefect server."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.flows import weekly

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def demo_runs(harness, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    data_dir = tmp_path_factory.mktemp("demo")
    first = weekly(demo=True, data_dir=str(data_dir))
    second = weekly(demo=True, data_dir=str(data_dir))
    return first, second, data_dir


def test_demo_writes_warehouse_snapshot_and_briefing(demo_runs) -> None:
    first, _, data_dir = demo_runs
    assert first["week"] == "2026-W48"
    assert (data_dir / "radar.duckdb").exists() and (data_dir / "analytics.duckdb").exists()
    briefing = Path(first["briefing"]).read_text(encoding="utf-8")
    assert "Østfold" in briefing and "Akershus" in briefing and "Buskerud" in briefing and "<svg" in briefing
    counts = first["counts"]["warehouse"]
    assert counts["ads"] == 90 and counts["mentions"] > 500 and counts["skill_demand_weekly"] > 0
    assert first["counts"]["ingest"]["new_entries"] == 101


def test_second_run_gets_304_and_changes_nothing(demo_runs) -> None:
    first, second, data_dir = demo_runs
    assert second["counts"]["ingest"]["not_modified"]
    assert second["counts"]["warehouse"] == first["counts"]["warehouse"]
    con = duckdb.connect(str(data_dir / "analytics.duckdb"), read_only=True)
    assert con.execute("SELECT list(status) FROM runs").fetchone()[0] == ["COMPLETED", "COMPLETED"]
    con.close()


def test_trend_table_counts_the_extracted_mentions(demo_runs) -> None:
    _, _, data_dir = demo_runs
    con = duckdb.connect(str(data_dir / "analytics.duckdb"), read_only=True)
    direct = con.execute(
        """SELECT a.county_name_2024, m.concept_id, count(DISTINCT a.ad_id)
           FROM ads a JOIN mentions m USING (ad_id)
           WHERE a.iso_week = '2026-W48' AND a.duplicate_of IS NULL AND m.concept_id IS NOT NULL
           GROUP BY ALL ORDER BY ALL""").fetchall()
    table = con.execute(
        """SELECT region_name, concept_id, ads_with_concept FROM skill_demand_weekly
           WHERE iso_week = '2026-W48' AND region_level = 'county' AND occupation_group = '*' ORDER BY ALL""").fetchall()
    assert direct and table == direct
    con.close()


def test_briefing_is_linked_as_prefect_artifacts(demo_runs) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

    first, _, _ = demo_runs
    with get_client(sync_client=True) as client:
        artifacts = {a.key: a for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="forum-briefing")),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[first["run_id"]])))}
    assert Path(first["briefing"]).as_uri() in artifacts["forum-briefing"].data
    assert "# Kompetanseradar: Østfold, Akershus, Buskerud – uke 48 2026" in artifacts["forum-briefing-markdown"].data
