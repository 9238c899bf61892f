"""One Settings object, read at the edges (CLI, flow parameters) and passed inward."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipelines.errors import ConfigError

DEFAULT_FEED_URL = "https://pam-stilling-feed.nav.no"


def default_extract_processes() -> int:
    """One worker per usable core, at most four: each holds its own copy of the spaCy pipelines (~0.3 GB)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about its environment; nothing deeper reads os.environ."""

    data_dir: Path = Path("data")
    feed_url: str = DEFAULT_FEED_URL
    nav_token: str | None = field(default=None, repr=False)
    models_dir: Path | None = None
    encoder: str | None = None
    occupation_model: str | None = None  # occupation classifier version; None: models/artefacts/occupation/CURRENT
    strategy_registry: Path | None = None  # the forum's own registry of strategy documents; None: the shipped one
    page_size: int = 1000
    min_cell_ads: int = 5
    extract_processes: int = 1  # forked spaCy workers of the extract stage (the linker stays in the flow's process)

    def __post_init__(self) -> None:
        """A bad worker count stops here, whether it came from the environment, the CLI or a flow parameter."""
        if self.extract_processes < 1:
            raise ConfigError(f"extract_processes must be 1 or more, not {self.extract_processes}: set "
                              "RADAR_EXTRACT_PROCESSES, --processes or the flow parameter to a whole number ≥ 1.")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Build settings from RADAR_* variables so deployments configure without code."""
        env = dict(os.environ if environ is None else environ)
        try:
            page_size = int(env.get("RADAR_PAGE_SIZE", "1000"))
            min_cell = int(env.get("RADAR_MIN_CELL_ADS", "5"))
            processes = int(env.get("RADAR_EXTRACT_PROCESSES") or default_extract_processes())
        except ValueError as exc:
            raise ConfigError("RADAR_PAGE_SIZE / RADAR_MIN_CELL_ADS / RADAR_EXTRACT_PROCESSES must be whole numbers: "
                              f"{exc}") from exc
        models = env.get("RADAR_MODELS_DIR")
        return cls(
            data_dir=Path(env.get("RADAR_DATA_DIR", "data")),
            feed_url=env.get("RADAR_FEED_URL", DEFAULT_FEED_URL),
            nav_token=env.get("RADAR_NAV_TOKEN") or None,
            models_dir=Path(models) if models else None,
            encoder=env.get("RADAR_ENCODER") or None,
            occupation_model=env.get("RADAR_OCCUPATION_MODEL") or None,
            strategy_registry=Path(env["RADAR_STRATEGY_REGISTRY"]) if env.get("RADAR_STRATEGY_REGISTRY") else None,
            page_size=page_size,
            min_cell_ads=min_cell,
            extract_processes=processes,
        )

    def with_overrides(self, **changes: object) -> "Settings":
        """Apply CLI options over the environment, ignoring options left unset."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def warehouse_path(self) -> Path:
        """The private database only the weekly run writes."""
        return self.data_dir / "radar.duckdb"

    @property
    def snapshot_path(self) -> Path:
        """The published read-only copy analysts query."""
        return self.data_dir / "analytics.duckdb"

    @property
    def briefings_dir(self) -> Path:
        """Where the weekly briefings are written."""
        return self.data_dir / "briefings"

    @property
    def model_cache_dir(self) -> Path:
        """Converted and trained model artefacts that are too large to commit."""
        return self.models_dir or self.data_dir / "models"

    def require_token(self) -> str:
        """Fail early with the fix when production ingestion has no token."""
        if not self.nav_token:
            raise ConfigError(
                "No NAV feed token: set RADAR_NAV_TOKEN to your pam-stilling-feed token "
                "(or run `radar weekly --demo` to use the embedded sample feed)."
            )
        return self.nav_token
