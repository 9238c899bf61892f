"""`prefect deploy --all` from prefect.yaml against a real local Prefect server, and the schedule it created.

Starts `prefect server start` on a free loopback port with PREFECT_HOME in a temporary folder, creates the
process work pool `radar-pool` (concurrency limit 1: one warehouse writer), deploys every deployment of
prefect.yaml, then shows them with `prefect deployment ls` / `inspect`. No worker is started, so nothing runs.

    .venv/bin/python benchmarks/prefect_deploy.py

Writes every command with its output to benchmarks/results/prefect_deploy.txt.
"""

from __future__ import annotations

import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "prefect_deploy.txt"
PREFECT = [sys.executable, "-m", "prefect"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 180) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no Prefect server at {url} after {timeout} s")


def wait_for_scheduled_runs(api: str, timeout: float = 150) -> float:
    """Seconds until the scheduler service has put the weekly deployment's next runs on the calendar."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        found = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}},
                           timeout=10).json()
        if found:
            return time.monotonic() - start
        time.sleep(5)
    return time.monotonic() - start


def main() -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    transcript: list[str] = [
        f"# prefect deploy from prefect.yaml — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"# machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs",
    ]
    with tempfile.TemporaryDirectory(prefix="radar-prefect-") as home:
        env = dict(os.environ, PREFECT_HOME=home, PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   DO_NOT_TRACK="1", RADAR_PROJECT_DIR=str(ROOT), PREFECT_CLI_PROMPT="false", COLUMNS="160")
        log = Path(home) / "server.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(PREFECT + ["server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                      stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            took = wait_for(api)
            transcript.append(f"$ PREFECT_HOME={home} prefect server start --host 127.0.0.1 --port {port} &"
                              f"\n(healthy after {took:.1f} s)")
            transcript.append(f"$ export PREFECT_API_URL={api} RADAR_PROJECT_DIR={ROOT}")
            for args in (
                ["work-pool", "create", "radar-pool", "--type", "process"],
                ["work-pool", "set-concurrency-limit", "radar-pool", "1"],
                ["--no-prompt", "deploy", "--all"],
                ["deployment", "ls"],
                ["deployment", "inspect", "weekly/weekly"],
                ["deployment", "inspect", "backfill/backfill"],
                ["work-pool", "inspect", "radar-pool"],
            ):
                done = subprocess.run(PREFECT + args, cwd=ROOT, env=env, capture_output=True, text=True,
                                      timeout=300, check=False)
                transcript.append(f"$ prefect {shlex.join(args)}\n{done.stdout.rstrip()}"
                                  + (f"\n[stderr]\n{done.stderr.rstrip()}" if done.stderr.strip() else "")
                                  + (f"\n[exit {done.returncode}]" if done.returncode else ""))
                print(transcript[-1][:3000])
            waited = wait_for_scheduled_runs(api)
            done = subprocess.run(PREFECT + ["flow-run", "ls", "--flow-name", "weekly", "--state", "SCHEDULED"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
            transcript.append(f"# the server's scheduler created the upcoming runs after {waited:.0f} s\n"
                              f"$ prefect flow-run ls --flow-name weekly --state SCHEDULED\n{done.stdout.rstrip()}")
            print(transcript[-1])
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    OUT.write_text("\n\n".join(transcript) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
