"""The Dask worker preload keeps torch out of a worker and changes no mention."""

from __future__ import annotations

import json
import subprocess
import sys

from pipelines.scale import LOCAL_CLUSTER

SCRIPT = """
import json, sys
from pipelines.dask_worker import block_torch
blocked = block_torch() if sys.argv[1] == "block" else False
from extractors.extract import Extractor
extractor = Extractor.load(use_span_model=False, use_linker=False)
texts = ["Kvalifikasjoner:\\n- Fagbrev som elektriker\\n- God norsk muntlig og skriftlig\\n- Truckførerbevis"]
out = [[m.as_dict() for m in ms] for _, ms in extractor.extract_many((str(i), t, "nb") for i, t in enumerate(texts))]
print(json.dumps({"blocked": blocked, "torch": sys.modules.get("torch") is not None, "mentions": out}))
"""


def run(mode: str) -> dict:
    """Extract in a fresh interpreter, as a worker process would."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_local_clusters_preload_the_worker_module() -> None:
    assert "pipelines.dask_worker" in LOCAL_CLUSTER["preload"]


def test_a_worker_without_torch_extracts_the_same_mentions() -> None:
    plain, blocked = run("plain"), run("block")
    assert blocked["blocked"] and not blocked["torch"]
    assert blocked["mentions"] == plain["mentions"] and blocked["mentions"][0]
