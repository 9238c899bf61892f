"""Extraction in chunks on a Dask cluster through prefect-dask's DaskTaskRunner; the DuckDB writer stays here.

Workers only ever receive (ad_id, text, lang) chunks and return mentions. This process reads the pending
ads, sends at most a few chunks per worker at a time (memory stays bounded however large the backlog),
and writes each returned chunk in one transaction, exactly as stages.extract_pending writes a batch: a
killed run loses at most the chunks in flight and re-extracts them, never doubles them.

Each chunk is a Prefect task run, cached by (the chunk's ids, texts and languages, extractor version): a
re-run after a crash takes the chunks that were computed but not written from the result store instead of
extracting them again. The results are kept where Prefect keeps results (PREFECT_LOCAL_STORAGE_PATH, by
default $PREFECT_HOME/storage) for CACHE_DAYS days; on a multi-machine cluster point
PREFECT_DEFAULT_RESULT_STORAGE_BLOCK at shared storage, or chunks are only re-used on the worker that made them.

Worker processes report their task runs to the Prefect API, so they need a real server (PREFECT_API_URL):
the temporary server Prefect starts when none is configured would be started once per worker.
"""

from __future__ import annotations

import hashlib
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
from prefect import task

from pipelines.errors import ConfigError
from pipelines.stages import ChunkResult, Item, StageReport, chunk_items, pending_refs, store_chunk
from warehouse.load import upsert_concepts

if TYPE_CHECKING:  # spaCy and Dask take seconds to import; the flow imports this module either way
    from prefect_dask import DaskTaskRunner

    from extractors.extract import Extractor

CACHE_DAYS = 14
DEFAULT_CHUNK_SIZE = 200
LOCAL = "local"
SCHEMES = ("tcp://", "tls://", "ucx://", "ws://", "wss://", "inproc://")
# A local cluster's workers: processes of one thread each, since extraction holds the GIL, started without torch
# (pipelines/dask_worker.py: they run the spaCy pipelines only, and torch would cost each of them ~150 MB).
LOCAL_CLUSTER: dict[str, Any] = {"threads_per_worker": 1, "processes": True, "dashboard_address": None,
                                 "preload": ["pipelines.dask_worker"]}


@dataclass(frozen=True)
class ExtractorSpec:
    """How a worker builds its Extractor; the flow's Extractor.load() defaults unless set."""

    models_dir: str | None = None
    encoder: str | None = None
    use_span_model: bool = True
    use_linker: bool = True

    def load(self) -> Extractor:
        """Build the extractor this spec names (seconds: done once per worker process)."""
        from extractors.extract import Extractor

        return Extractor.load(models_dir=Path(self.models_dir) if self.models_dir else None, encoder=self.encoder,
                              use_span_model=self.use_span_model, use_linker=self.use_linker)


@lru_cache(maxsize=2)
def worker_extractor(spec: ExtractorSpec) -> Extractor:
    """One Extractor per worker process and spec, built on the first chunk it gets."""
    return spec.load()


def run_chunk(extractor: Extractor, items: Sequence[Item], extractor_version: str) -> ChunkResult:
    """Mentions of each item, refusing to work with another extractor than the writer records."""
    if extractor.version != extractor_version:
        raise ConfigError(
            f"The Dask worker built extractor {extractor.version!r} but the run records {extractor_version!r}: "
            "install the same code, lexicon and models on the workers (and pass the flow's models_dir/encoder)."
        )
    return list(extractor.extract_many(items))


def chunk_key(items: Sequence[Item], extractor_version: str) -> str:
    """The chunk's cache key: what it holds and which extractor reads it, nothing about the run."""
    digest = hashlib.sha256(extractor_version.encode())
    for ad_id, text, lang in items:
        for part in (ad_id, lang, text):
            digest.update(b"\x1f" + part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return f"extract-chunk-{digest.hexdigest()}"


def _chunk_cache_key(_context: Any, parameters: dict[str, Any]) -> str:
    return chunk_key(parameters["items"], parameters["extractor_version"])


@task(name="extract-chunk", cache_key_fn=_chunk_cache_key, cache_expiration=timedelta(days=CACHE_DAYS),
      persist_result=True)
def extract_chunk(items: list[Item], extractor_version: str, spec: ExtractorSpec) -> ChunkResult:
    """(ad_id, text, lang) chunk → mentions per ad, on a Dask worker (CPU only: no retries, no timeout)."""
    return run_chunk(worker_extractor(spec), items, extractor_version)


def check_dask_address(address: str, workers: int | None = None) -> str:
    """The address cleaned, or the fix for it: checked before any cluster, server or write is started."""
    address = address.strip()
    if address != LOCAL and not address.startswith(SCHEMES):
        raise ConfigError(f"dask_address {address!r} is neither 'local' nor a scheduler address such as "
                          "tcp://10.0.0.5:8786.")
    if workers is not None and (address != LOCAL or workers < 1):
        raise ConfigError(f"dask_workers={workers} is wrong: it sizes a local cluster (dask_address='local') "
                          "and must be at least 1; a running cluster's size is set where its workers start.")
    return address


def dask_task_runner(address: str, *, workers: int | None = None, api_url: str | None = None) -> DaskTaskRunner:
    """'local' starts a LocalCluster of worker processes on this machine; 'tcp://host:8786' joins a running one.

    `api_url` is the Prefect API the workers will report to (the current setting when not given).
    """
    from prefect.settings import PREFECT_API_URL
    from prefect_dask import DaskTaskRunner

    address = check_dask_address(address, workers)
    if not (api_url or PREFECT_API_URL.value()):
        raise ConfigError("Extraction on Dask needs a Prefect server the workers can report to: start one "
                          "(`prefect server start`) and set PREFECT_API_URL=http://127.0.0.1:4200/api "
                          "(without it each worker process would start a temporary server of its own).")
    if address != LOCAL:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers or os.cpu_count() or 1, **LOCAL_CLUSTER})


class Handle(Protocol):
    """A submitted chunk: concurrent.futures.Future and Prefect's futures both fit."""

    def result(self) -> ChunkResult: ...

    def add_done_callback(self, fn: Callable[[Any], None]) -> None: ...


Submit = Callable[[list[Item]], Handle]
Progress = Callable[[int], None]


def _chunks(refs: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    for offset in range(0, len(refs), size):
        yield refs[offset:offset + size]


def extract_in_chunks(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str, submit: Submit, *,
                      chunk_size: int = DEFAULT_CHUNK_SIZE, in_flight: int = 4, link_here: bool = False,
                      progress: Progress | None = None) -> StageReport:
    """Send pending ads out in chunks through `submit`, keep `in_flight` chunks busy, write each as it returns.

    With link_here the workers run without the linker and this process links each returned chunk with
    extractor.linker: one encoder (about 1 GB with torch) in the writer instead of one per worker.
    A chunk that fails stops the stage with its error after the chunks already returned are written.
    """
    if chunk_size < 1 or in_flight < 1:
        raise ValueError("chunk_size and in_flight must be at least 1")
    version, taxonomy_version = extractor.version, extractor.lexicon.version
    upsert_concepts(con, extractor.lexicon)
    refs = pending_refs(con, version)
    report = StageReport(processed=len(refs))
    todo = _chunks(refs, chunk_size)
    returned: queue.SimpleQueue[tuple[Handle, dict[str, str]]] = queue.SimpleQueue()
    running = 0

    def launch() -> bool:
        chunk = next(todo, None)
        if chunk is None:
            return False
        handle = submit(chunk_items(con, chunk))
        entry_of = dict(chunk)
        # the callback may run on the cluster client's event loop: it only hands the handle over
        handle.add_done_callback(lambda _done: returned.put((handle, entry_of)))
        return True

    while running < in_flight and launch():
        running += 1
    while running:
        handle, entry_of = returned.get()
        running -= 1
        results = handle.result()
        if link_here and extractor.linker is not None:
            from extractors.extract import link_mentions, one_thread_here

            with one_thread_here():  # the cluster's workers hold the cores
                link_mentions(extractor.linker, [mentions for _, mentions in results])
        report.written += store_chunk(con, results, entry_of, extractor_version=version,
                                      taxonomy_version=taxonomy_version, run_id=run_id)
        if progress:
            progress(len(entry_of))
        if launch():
            running += 1
    if link_here and extractor.linker is not None:
        extractor.linker.save_cache()
    return report


def extract_on_dask(con: duckdb.DuckDBPyConnection, extractor: Extractor, run_id: str,
                    runner: DaskTaskRunner, *, spec: ExtractorSpec = ExtractorSpec(),
                    chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress | None = None) -> StageReport:
    """The extract stage on a Dask cluster: chunks as Prefect task runs, two per worker thread in flight.

    The workers run the spaCy pipelines only; the linker stays in this process (see extract_in_chunks).
    """
    link_here = extractor.linker is not None
    worker_spec = replace(spec, use_linker=False) if link_here else spec
    version = extractor.pipeline_version if link_here else extractor.version
    with runner:
        threads = sum(runner.client.nthreads().values()) or 1

        def submit(items: list[Item]) -> Handle:
            return runner.submit(extract_chunk, {"items": items, "extractor_version": version, "spec": worker_spec})

        return extract_in_chunks(con, extractor, run_id, submit, chunk_size=chunk_size, in_flight=2 * threads,
                                 link_here=link_here, progress=progress)
