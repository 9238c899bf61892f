"""kill -9 in the middle of an ingestion, then a restart: nothing lost, nothing doubled, then 304."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.sources.feed_server import FeedServer
from pipelines.sources.loopback import Faults, LoopbackServer
from pipelines.sources.sample import load_sample_entries
from tests.pipelines.feed_check import check_warehouse
from warehouse.db import open_warehouse

TOKEN = "kill-test-token"


def ingest(url: str, data_dir: Path) -> subprocess.Popen:
    """`radar ingest nav` in its own process, as an operator would run it."""
    env = dict(os.environ, RADAR_NAV_TOKEN=TOKEN, HF_HUB_OFFLINE="1", PREFECT_HOME=str(data_dir / ".prefect"))
    command = [sys.executable, "-m", "pipelines.cli", "ingest", "nav", "--feed-url", url, "--data-dir", str(data_dir),
               "--page-size", "10", "--workers", "4", "--timeout", "0.3", "--retries", "6", "--backoff", "0.01"]
    return subprocess.Popen(command, env=env, cwd=data_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_run_then_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    entries = load_sample_entries()
    feed = FeedServer(entries, token=TOKEN)
    # 20 % faults as in test_loopback_faults, with Retry-After: 0 so the subprocesses need not sleep
    with LoopbackServer(feed, faults=Faults(rate=0.2, seed=3, retry_after=0, stall_seconds=1.0),
                        latency=0.02) as server:
        stream = f"nav:{server.url}"
        victim = ingest(server.url, tmp_path)
        deadline = time.monotonic() + 30
        while server.outcomes("/api/v1/feed/")["200"] < 4 and time.monotonic() < deadline:
            assert victim.poll() is None, victim.communicate()
            time.sleep(0.01)
        assert victim.poll() is None, "the run ended before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        assert victim.returncode == -signal.SIGKILL

        con = open_warehouse(tmp_path / "radar.duckdb")
        stored = con.execute("SELECT count(*) FROM raw_entries").fetchall()[0][0]
        con.close()
        assert 0 < stored < len(entries), "the kill must land mid-run"

        rerun = ingest(server.url, tmp_path)
        out, err = rerun.communicate(timeout=60)
        assert rerun.returncode == 0, err

        again = ingest(server.url, tmp_path)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0 and "not modified (304)" in out, err

    con = open_warehouse(tmp_path / "radar.duckdb")
    check_warehouse(con, entries, source=stream)
    con.close()
