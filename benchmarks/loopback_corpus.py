"""What the whole-system benchmarks share: a synthetic feed, a loopback feed server, a Prefect server, flow runs.

* `synthetic_feed(n)` varies the 90 sample ads and the 195 real ads (../shared/data) into n feed entries: new
  uuids, publication dates spread over the weeks before the report week, work places drawn from the ads' own,
  list items shuffled and paragraphs dropped, ~5 % later updates and ~3 % stops. Every entry is marked
  synthetic (`"synthetic": true`, `ad_content.source` = SYNTHETIC_SOURCE) so it can never pass for real data.
* `feed_server(entries)` serves them over HTTP on 127.0.0.1 from a child process (its own interpreter lock,
  like a remote server), optionally with injected network faults.
* `prefect_api()` starts a real Prefect server (the flows' tasks and Dask workers report to it).
* `run_flow()` runs `weekly` or `backfill` in a subprocess, samples the resident memory of its whole process
  tree, and can kill -9 the tree at a given moment.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "data" / "models"  # where ./dev builds the encoder and the linker
# The shipped registry names real documents on the internet, which this machine cannot reach (each would cost its
# retries): the loopback runs read the sample corpus's strategy documents from disk instead.
SAMPLE_REGISTRY = ROOT / "pipelines" / "sample_data" / "strategy" / "registry.yaml"
sys.path.insert(0, str(ROOT))

from pipelines.sources.feed_server import FeedServer
from pipelines.sources.files import entry_from_record
from pipelines.sources.loopback import Faults, LoopbackServer
from pipelines.sources.sample import load_sample_entries
from warehouse.trends import parse_iso_week

REAL_ADS = ROOT.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
RESULTS = ROOT / "benchmarks" / "results"
TOKEN = "benchmark-token-not-secret"
SYNTHETIC_SOURCE = "synthetic:kompetanseradar-benchmark"
NAMESPACE = uuid.UUID("6b3f5f0e-2c1d-4e8a-9a0b-5d7c3e1f2a90")
REPORT_WEEK = "2026-W48"


def machine() -> dict[str, Any]:
    """Where a figure was measured, and how busy the machine was."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": _cpu_name(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def base_entries() -> list[dict[str, Any]]:
    """One entry per sample ad (its first version) and per real ad."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in load_sample_entries():
        if entry.get("ad_content") and entry["uuid"] not in seen:
            seen[entry["uuid"]] = entry
    bases = list(seen.values())
    if REAL_ADS.exists():
        bases += [entry_from_record(json.loads(line)) for line in REAL_ADS.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return bases


LIST_RE = re.compile(r"<(ul|ol)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
ITEM_RE = re.compile(r"<li>.*?</li>", re.DOTALL | re.IGNORECASE)
PARAGRAPH_RE = re.compile(r"<p>.*?</p>", re.DOTALL | re.IGNORECASE)


def vary_description(html: str, rng: random.Random) -> str:
    """The same ad told a little differently: list items in another order, now and then a paragraph less."""
    def shuffle(match: re.Match[str]) -> str:
        items = ITEM_RE.findall(match.group(2))
        rng.shuffle(items)
        return f"<{match.group(1)}>{''.join(items)}</{match.group(1)}>" if items else match.group(0)

    html = LIST_RE.sub(shuffle, html)
    paragraphs = PARAGRAPH_RE.findall(html)
    if len(paragraphs) > 2 and rng.random() < 0.3:
        html = html.replace(rng.choice(paragraphs[1:]), "", 1)
    return html


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def synthetic_feed(n: int, *, seed: int = 7, weeks: int = 16, last_week: str = REPORT_WEEK,
                   update_share: float = 0.05, stop_share: float = 0.03) -> list[dict[str, Any]]:
    """n feed entries (new ads, updates and stops) varied from the sample and the real ads, all marked synthetic."""
    rng = random.Random(seed)
    bases = base_entries()
    places = [loc for b in bases for loc in (b["ad_content"].get("workLocations") or [])
              if isinstance(loc, dict) and loc.get("municipal")]
    end = datetime.combine(parse_iso_week(last_week), datetime.min.time(), tzinfo=timezone.utc) + timedelta(days=7)
    start = end - timedelta(weeks=weeks)
    n_ads = round(n / (1 + update_share + stop_share))
    entries: list[dict[str, Any]] = []
    for i in range(n_ads):
        base = bases[i % len(bases)]
        entry = copy.deepcopy(base)
        ad = entry["ad_content"]
        ad_uuid = str(uuid.uuid5(NAMESPACE, f"{seed}|{i}|{base['uuid']}"))
        published = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds() - 3600))
        ad.update(uuid=ad_uuid, published=_iso(published), updated=_iso(published + timedelta(minutes=2)),
                  expires=_iso(published + timedelta(days=28)), source=SYNTHETIC_SOURCE,
                  description=vary_description(str(ad.get("description") or ""), rng),
                  workLocations=[copy.deepcopy(rng.choice(places))] if places else ad.get("workLocations"))
        entry.update(uuid=ad_uuid, status="ACTIVE", sistEndret=ad["updated"], synthetic=True)
        entries.append(entry)
        roll = rng.random()
        if roll < update_share:
            update = copy.deepcopy(entry)
            changed = published + timedelta(days=rng.uniform(1, 6))
            update["ad_content"]["description"] += "<p>Søknadsfristen er forlenget med to uker.</p>"
            update["ad_content"]["updated"] = update["sistEndret"] = _iso(changed)
            entries.append(update)
        elif roll < update_share + stop_share:
            stop = copy.deepcopy(entry)
            stop.update(status="INACTIVE", sistEndret=_iso(published + timedelta(days=rng.uniform(3, 20))))
            entries.append(stop)
    return entries


def _serve(entries: list[dict[str, Any]], faults: Faults, latency: float, urls: Any, stop: Any) -> None:
    """Child process: serve the feed until told to stop, then report what was served."""
    with LoopbackServer(FeedServer(entries, token=TOKEN), faults=faults, latency=latency) as server:
        urls.put(server.url)
        stop.wait()
        urls.put((sum(server.outcomes().values()), dict(server.injected)))


@dataclass
class FeedProcess:
    """A loopback feed server in a child process."""

    url: str
    served: dict[str, Any]


@contextmanager
def feed_server(entries: list[dict[str, Any]], *, fault_rate: float = 0.0, seed: int = 0,
                latency: float = 0.0, faults: Faults | None = None) -> Iterator[FeedProcess]:
    """Serve `entries` over loopback HTTP from a child process; `served` holds the request counts afterwards.

    The server has its own process, so its work does not share the measured process's interpreter lock.
    `faults` replaces the fault_rate/seed shorthand when a benchmark needs other fault settings.
    """
    context = multiprocessing.get_context("fork")
    urls, stop = context.Queue(), context.Event()
    faults = faults or Faults(rate=fault_rate, seed=seed, retry_after=0, stall_seconds=1.0)
    child = context.Process(target=_serve, args=(entries, faults, latency, urls, stop), daemon=True)
    child.start()
    handle = FeedProcess(urls.get(timeout=120), {})
    try:
        yield handle
    finally:
        stop.set()
        requests, injected = urls.get(timeout=60)
        handle.served.update(requests=requests, faults_injected=injected)
        child.join(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prefect_api(home: Path) -> Iterator[tuple[str, float]]:
    """A real Prefect server on a free loopback port (PREFECT_HOME in `home`); yields its API URL and start-up s."""
    os.environ.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    from pipelines.local_server import local_prefect_server

    start = time.perf_counter()
    with local_prefect_server(free_port(), home / "server.log", timeout=240) as api:
        yield api, round(time.perf_counter() - start, 1)


def models_for_run(source: Path, target: Path) -> Path:
    """A private copy of the model cache (encoder, linker, occupation vectors) without the linker's phrase
    embeddings: every phrase is new to the run, and the benchmark's synthetic phrases never reach the developer's
    cache. An absent source leaves an empty folder, where the flow builds the models (slowly) on its first run."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("phrases-*"))
    else:
        target.mkdir(parents=True)
    return target


def flow_env(api: str, data_dir: Path, feed_url: str, models_dir: Path, **extra: str) -> dict[str, str]:
    """The environment a deployed worker would give the flow: a real API, the feed, its token, the model cache."""
    return dict(os.environ, PREFECT_API_URL=api, RADAR_NAV_TOKEN=TOKEN, RADAR_DATA_DIR=str(data_dir),
                RADAR_FEED_URL=feed_url, RADAR_MODELS_DIR=str(models_dir), HF_HUB_OFFLINE="1",
                TRANSFORMERS_OFFLINE="1", PREFECT_LOGGING_LEVEL="INFO",
                **{"RADAR_STRATEGY_REGISTRY": str(SAMPLE_REGISTRY), **extra})


RUNNER = ("import json, sys\nfrom pipelines import flows\n"
          "summary = getattr(flows, sys.argv[1])(**json.loads(sys.argv[2]))\n"
          "print('RESULT ' + json.dumps(summary, default=str), flush=True)\n")


@dataclass
class FlowRun:
    """How a flow subprocess went."""

    returncode: int
    wall_s: float
    peak_tree_rss_mb: float
    peak_tree_pss_mb: float
    max_rss_mb: float
    summary: dict[str, Any] | None
    log: Path
    killed_at_s: float | None = None


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) bytes of a process and its descendants now. RSS counts shared pages once per process (Chromium
    runs several), PSS shares them out, so the PSS sum is what the tree really holds."""
    rss = pss = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def run_flow(flow: str, params: dict[str, Any], env: dict[str, str], log: Path, *, kill_after: float | None = None,
             timeout: float = 1800, sample_every: float = 0.2) -> FlowRun:
    """Run a flow of pipelines.flows in its own process group; kill -9 the whole group at `kill_after` s if set."""
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, flow, json.dumps(params)], env=env, cwd=ROOT,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    watched = psutil.Process(proc.pid)
    start = time.perf_counter()
    peak_rss = peak_pss = 0
    killed_at = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            rss, pss = tree_memory(watched)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        except psutil.NoSuchProcess:
            pass
        elapsed = time.perf_counter() - start
        if kill_after is not None and killed_at is None and elapsed >= kill_after:
            os.killpg(proc.pid, signal.SIGKILL)
            killed_at = round(elapsed, 2)
        if elapsed > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            raise TimeoutError(f"{flow} ran over {timeout} s; see {log}")
        time.sleep(sample_every)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if killed_at is not None:  # what the group left behind (a Chromium, Dask workers) goes with it
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    summary = None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("RESULT "):
            summary = json.loads(line[len("RESULT "):])
    return FlowRun(proc.returncode, round(wall, 2), round(peak_rss / 2**20, 1), round(peak_pss / 2**20, 1),
                   round(usage.ru_maxrss / 1024, 1), summary, log, killed_at)


def write_result(name: str, result: dict[str, Any]) -> Path:
    """benchmarks/results/<name>.json, with the machine it ran on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **result}, indent=2, ensure_ascii=False,
                               default=str) + "\n", encoding="utf-8")
    return path


def scratch(prefix: str) -> tempfile.TemporaryDirectory:
    """A temporary folder for one benchmark's data and Prefect home."""
    return tempfile.TemporaryDirectory(prefix=f"radar-{prefix}-")
