"""Chunked extraction (the Dask path without the cluster): same mentions as the serial stage, safe to kill."""

from __future__ import annotations

import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.ingest import ingest_feed
from pipelines.scale import (check_dask_address, chunk_key, dask_task_runner, extract_in_chunks, pending_refs,
                             run_chunk)
from pipelines.sources.nav_feed import FeedClient
from pipelines.sources.sample import SAMPLE_FEED_URL, SAMPLE_TOKEN, sample_feed_server
from pipelines.stages import extract_pending, normalise_pending
from warehouse.db import open_warehouse

STREAM = f"nav:{SAMPLE_FEED_URL}"
MENTIONS = """SELECT ad_id, entry_id, start, "end", text, type, requirement, concept_id, score, method
              FROM mentions_store ORDER BY ALL"""


@pytest.fixture(scope="module")
def normalised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample feed ingested and normalised once; each test works on a copy."""
    path = tmp_path_factory.mktemp("scale") / "normalised.duckdb"
    server = sample_feed_server()
    con = open_warehouse(path)
    with FeedClient(SAMPLE_FEED_URL, SAMPLE_TOKEN, transport=server.as_transport(), page_size=25) as client:
        ingest_feed(con, client, source=STREAM, run_id="setup")
    normalise_pending(con, "setup", source=STREAM)
    con.close()
    return path


def copy_of(normalised: Path, tmp_path: Path, name: str):
    target = tmp_path / f"{name}.duckdb"
    shutil.copy(normalised, target)
    return open_warehouse(target)


def threads_submit(pool: ThreadPoolExecutor, extractor, fail_on: set[int] = frozenset()):
    """A stand-in for the Dask runner: each chunk runs in a thread through the workers' own function."""
    calls = []

    def submit(items):
        calls.append(len(items))
        if len(calls) in fail_on:
            failed: Future = Future()
            failed.set_exception(RuntimeError("worker lost"))
            return failed
        return pool.submit(run_chunk, extractor, items, extractor.version)

    return submit, calls


def test_chunks_write_what_the_serial_stage_writes(normalised: Path, tmp_path: Path, extractor) -> None:
    serial, chunked = copy_of(normalised, tmp_path, "serial"), copy_of(normalised, tmp_path, "chunked")
    report_serial = extract_pending(serial, extractor, "r")
    with ThreadPoolExecutor(2) as pool:
        submit, calls = threads_submit(pool, extractor)
        report = extract_in_chunks(chunked, extractor, "r", submit, chunk_size=16, in_flight=3)
    assert report.processed == report_serial.processed == 90 and len(calls) == 6  # 90 ads in chunks of 16
    assert report.written == report_serial.written > 500
    assert chunked.execute(MENTIONS).fetchall() == serial.execute(MENTIONS).fetchall()
    extractions = "SELECT ad_id, entry_id, extractor_version, mentions FROM extractions ORDER BY ALL"
    assert chunked.execute(extractions).fetchall() == serial.execute(extractions).fetchall()
    assert pending_refs(chunked, extractor.version) == []


def test_a_failed_chunk_keeps_the_returned_ones_and_a_rerun_doubles_nothing(normalised: Path, tmp_path: Path,
                                                                           extractor) -> None:
    con, serial = copy_of(normalised, tmp_path, "failing"), copy_of(normalised, tmp_path, "serial")
    extract_pending(serial, extractor, "r")
    with ThreadPoolExecutor(1) as pool:
        submit, _ = threads_submit(pool, extractor, fail_on={3})
        with pytest.raises(RuntimeError, match="worker lost"):
            extract_in_chunks(con, extractor, "r", submit, chunk_size=20, in_flight=1)
    # chunks 1 and 2 were written whole, chunk 3 not at all
    assert con.execute("SELECT count(*) FROM extractions").fetchone()[0] == 40
    assert len(pending_refs(con, extractor.version)) == 50
    with ThreadPoolExecutor(2) as pool:
        submit, calls = threads_submit(pool, extractor)
        report = extract_in_chunks(con, extractor, "r2", submit, chunk_size=20, in_flight=2)
    assert report.processed == 50 and len(calls) == 3
    assert con.execute(MENTIONS).fetchall() == serial.execute(MENTIONS).fetchall()


def test_workers_refuse_another_extractor_version(extractor) -> None:
    with pytest.raises(ConfigError, match="install the same code"):
        run_chunk(extractor, [("nav:1", "Vi søker sykepleier.", "nb")], extractor.version + "+other")


def test_chunk_cache_key_is_content_and_extractor_version() -> None:
    items = [("nav:1", "Fagbrev som elektriker.", "nb"), ("nav:2", "Sjukepleiar.", "nn")]
    assert chunk_key(items, "v1") == chunk_key(list(items), "v1")
    assert chunk_key(items, "v1") != chunk_key(items, "v2")
    assert chunk_key(items, "v1") != chunk_key([items[0], ("nav:2", "Sjukepleiar!", "nn")], "v1")
    assert chunk_key(items, "v1") != chunk_key([items[0], ("nav:2", "Sjukepleiar.", "nb")], "v1")
    assert chunk_key([("a", "bc", "nb")], "v") != chunk_key([("ab", "c", "nb")], "v")


def test_dask_address_is_checked_before_anything_runs() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with pytest.raises(ConfigError, match="neither 'local' nor a scheduler address"):
        dask_task_runner("10.0.0.5:8786", api_url="http://127.0.0.1:4200/api")
    with temporary_settings(restore_defaults={PREFECT_API_URL}), pytest.raises(ConfigError, match="PREFECT_API_URL"):
        dask_task_runner("local")
    remote = dask_task_runner("tcp://10.0.0.5:8786", api_url="http://127.0.0.1:4200/api")
    assert remote.address == "tcp://10.0.0.5:8786"
    local = dask_task_runner("local", workers=2, api_url="http://127.0.0.1:4200/api")
    assert local.address is None and local.cluster_kwargs["n_workers"] == 2
    assert local.cluster_kwargs["processes"] is True


def test_dask_workers_only_size_a_local_cluster() -> None:
    assert check_dask_address(" local ", 1) == "local"
    assert check_dask_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    with pytest.raises(ConfigError, match="sizes a local cluster"):
        check_dask_address("tcp://10.0.0.5:8786", 2)
    with pytest.raises(ConfigError, match="at least 1"):
        check_dask_address("local", 0)


class PrefixLinker:
    """A linker stand-in: links phrases starting with 'sveis' to one concept, leaves the rest unmapped."""

    version, threshold = "test", 0.9

    def __init__(self) -> None:
        self.saved = 0

    def link(self, phrases):
        from models.linker import Link

        return [Link("esco:welding", "sveising", 0.97, "esco", p) if p.lower().startswith("sveis") else None
                for p in phrases]

    def save_cache(self) -> None:
        self.saved += 1


def test_workers_without_the_linker_and_linking_in_the_writer_equal_the_serial_stage(
        normalised: Path, tmp_path: Path, extractor) -> None:
    import copy

    flow_side = copy.copy(extractor)
    flow_side.linker = PrefixLinker()
    serial, chunked = copy_of(normalised, tmp_path, "serial"), copy_of(normalised, tmp_path, "chunked")
    extract_pending(serial, flow_side, "r")
    flow_side.linker.saved = 0
    with ThreadPoolExecutor(2) as pool:
        def submit(items):  # the workers' extractor has no linker, and says so in its version
            return pool.submit(run_chunk, extractor, items, flow_side.pipeline_version)

        extract_in_chunks(chunked, flow_side, "r", submit, chunk_size=16, in_flight=2, link_here=True)
    assert flow_side.linker.saved == 1
    assert chunked.execute(MENTIONS).fetchall() == serial.execute(MENTIONS).fetchall()
    methods = dict(chunked.execute("SELECT method, count(*) FROM mentions_store GROUP BY 1").fetchall())
    assert methods.get("span-model-unmapped", 0) > 0
    versions = chunked.execute("SELECT DISTINCT extractor_version FROM extractions").fetchall()
    assert versions == [(flow_side.version,)] and "+link-test@0.9" in flow_side.version


def test_worker_processes_write_what_one_process_writes(normalised: Path, tmp_path: Path, extractor) -> None:
    one, two = copy_of(normalised, tmp_path, "one"), copy_of(normalised, tmp_path, "two")
    stored_one: list[int] = []
    stored_two: list[int] = []
    report_one = extract_pending(one, extractor, "r", progress=stored_one.append, batch_size=16)
    report_two = extract_pending(two, extractor, "r", progress=stored_two.append, batch_size=16, processes=2)
    assert report_two.processed == report_one.processed == 90
    assert stored_two == stored_one == [16] * 5 + [10]  # one transaction per 16 ads, the rest at the end
    assert report_two.written == report_one.written > 500
    assert two.execute(MENTIONS).fetchall() == one.execute(MENTIONS).fetchall()
    assert pending_refs(two, extractor.version) == []
