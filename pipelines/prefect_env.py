"""Prefect defaults the project applies before Prefect is imported (telemetry off, local home)."""

from __future__ import annotations

import os
from pathlib import Path

PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
}


def configure_prefect_env(project_dir: Path | None = None) -> None:
    """Set Prefect's environment defaults without overriding what the user already set."""
    home = (project_dir or Path.cwd()) / ".prefect"
    os.environ.setdefault("PREFECT_HOME", str(home))
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
