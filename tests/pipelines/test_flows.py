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


def _artifacts(run_id: str, key: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                     flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))


def test_every_run_leaves_a_table_of_its_counts(demo_runs) -> None:
    import json

    first, _, _ = demo_runs
    (artifact,) = _artifacts(first["run_id"], "weekly-counts")
    rows = {(r["stage"], r["measure"]): r["value"] for r in json.loads(artifact.data)}
    assert rows[("ingest", "new_entries")] == 101 and rows[("warehouse", "ads")] == 90
    assert rows[("extract", "written")] == first["counts"]["extract"]["written"] and ("briefing", "seconds") in rows


def test_backfill_writes_a_briefing_per_week_from_the_same_stores(demo_runs) -> None:
    from pipelines.flows import backfill

    first, _, data_dir = demo_runs
    summary = backfill(start="2026-11-16", end="2026-W48", demo=True, data_dir=str(data_dir))
    assert summary["weeks"] == ["2026-W47", "2026-W48"] and set(summary["briefings"]) == set(summary["weeks"])
    assert all(Path(path).exists() for path in summary["briefings"].values())
    assert summary["counts"]["ingest"]["not_modified"] and summary["counts"]["extract"]["processed"] == 0
    assert summary["counts"]["warehouse"] == first["counts"]["warehouse"]  # trend tables as of the last week
    con = duckdb.connect(str(data_dir / "analytics.duckdb"), read_only=True)
    assert con.execute("SELECT flow, status, week FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == \
        ("backfill", "COMPLETED", "2026-W48")
    con.close()
    assert _artifacts(summary["run_id"], "backfill-counts")


def test_a_failed_run_is_recorded_with_its_error_and_its_counts(harness, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.errors import ConfigError

    monkeypatch.delenv("RADAR_NAV_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="RADAR_NAV_TOKEN"):
        weekly(data_dir=str(tmp_path))
    con = duckdb.connect(str(tmp_path / "radar.duckdb"), read_only=True)
    run_id, status, errors, finished = con.execute(
        "SELECT run_id, status, errors, finished_at FROM runs").fetchone()
    con.close()
    assert status == "FAILED" and finished is not None and "ConfigError: No NAV feed token" in errors
    assert _artifacts(run_id, "weekly-counts")


def test_a_bad_dask_address_fails_before_anything_is_written(harness, tmp_path: Path) -> None:
    from pipelines.errors import ConfigError

    with pytest.raises(ConfigError, match="neither 'local' nor a scheduler address"):
        weekly(demo=True, data_dir=str(tmp_path), dask_address="10.0.0.5:8786")
    assert not (tmp_path / "radar.duckdb").exists()


def test_cli_backfill_on_a_local_dask_cluster_writes_what_the_serial_run_wrote(
        demo_runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`radar backfill --dask-local 1` end to end: chunks extracted by a Dask worker, same mentions as in-process.

    The worker is a thread (processes=False) to keep the test ~20 s faster; the chunks still go through the
    cluster's scheduler as Prefect task runs. A fresh result store makes the worker compute every chunk.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterName
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings
    from typer.testing import CliRunner

    from pipelines import scale
    from pipelines.cli import app

    _, _, serial_dir = demo_runs
    monkeypatch.setitem(scale.LOCAL_CLUSTER, "processes", False)
    data_dir = tmp_path / "dask"
    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: tmp_path / "results"}):
        result = CliRunner().invoke(app, ["backfill", "--start", "2026-11-16", "--end", "2026-11-23", "--demo",
                                          "--no-briefings", "--dask-local", "1", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "2026-W47 to 2026-W48 (2 weeks)" in result.output and "extracted 90 ads" in result.output
    mentions = 'SELECT ad_id, entry_id, start, "end", text, type, requirement, concept_id FROM mentions ORDER BY ALL'
    dask, serial = (duckdb.connect(str(d / "analytics.duckdb"), read_only=True) for d in (data_dir, serial_dir))
    assert dask.execute(mentions).fetchall() == serial.execute(mentions).fetchall()
    assert dask.execute("SELECT count(*) FROM mentions").fetchone()[0] > 500
    run_id, flow_name, status, counts = dask.execute("SELECT run_id, flow, status, counts FROM runs").fetchone()
    assert (flow_name, status) == ("backfill", "COMPLETED") and '"briefings": 0' in counts
    dask.close()
    serial.close()
    with get_client(sync_client=True) as client:
        chunks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
                                       task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="extract-chunk")))
    assert chunks and all(c.state.is_completed() for c in chunks)
