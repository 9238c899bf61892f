"""Dask worker preload: keeps torch out of worker processes that only run the spaCy pipelines.

The workers of a run extract without the linker (the flow process links), so they never need torch. spaCy's
thinc imports torch whenever it is installed, which costs each worker about 150 MB of private memory for
nothing; blocking the import keeps the Dask run's process tree within its memory budget and changes no
mention (thinc falls back to its numpy ops, which the span model uses anyway). A local cluster preloads this
module; workers of an existing cluster can be started with `dask worker --preload pipelines.dask_worker`.
"""

from __future__ import annotations

import sys
from typing import Any


def block_torch() -> bool:
    """Make `import torch` fail in this process (thinc then runs without it); False when already imported."""
    if sys.modules.get("torch") is not None:
        return False
    sys.modules["torch"] = None  # type: ignore[assignment]  # the import system's documented "not importable"
    return True


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run once as the worker process starts, before any task is unpickled."""
    block_torch()
