"""A local Prefect server for `radar serve`: the temporary server cannot run schedules."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from pipelines.errors import ConfigError


def wait_for_health(url: str, timeout: float) -> None:
    """Poll the API's health endpoint until it answers, or fail with where to look."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ConfigError(f"The local Prefect server at {url} did not start within {timeout:.0f} s; "
                      "see .prefect/server.log, or set PREFECT_API_URL to a running server.")


@contextmanager
def local_prefect_server(port: int, log_path: Path, timeout: float = 120.0) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:port for the life of the block; yields the API URL."""
    url = f"http://127.0.0.1:{port}/api"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
        )
    try:
        wait_for_health(url, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
