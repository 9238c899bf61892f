"""Shared fixtures: offline model hubs, project-local Prefect, the shared data folder when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pipelines.prefect_env import configure_prefect_env  # noqa: E402

configure_prefect_env(ROOT)

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a clean skip where this checkout has none."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent: real-data checks skipped")
    return SHARED_DATA


@pytest.fixture(scope="session")
def extractor():
    """One Extractor for the whole session: building the matchers takes a second."""
    from extractors.extract import Extractor

    return Extractor.load()


@pytest.fixture(scope="session")
def lexicon_extractor(tmp_path_factory):
    """Lexicon-only extractors over small written lexicons: tests that move with neither the curated one nor models."""
    from extractors.extract import Extractor

    def build(concepts_csv: str, surfaces_csv: str):
        folder = tmp_path_factory.mktemp("lexicon")
        (folder / "concepts.csv").write_text(concepts_csv, encoding="utf-8")
        (folder / "surface_forms.csv").write_text(surfaces_csv, encoding="utf-8")
        return Extractor.load(lexicon_dir=folder, use_span_model=False, use_linker=False)

    return build
