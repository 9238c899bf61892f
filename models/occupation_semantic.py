"""Semantic evidence for the STYRK-08 classifier: how close an ad's title is, in e5 embedding space, to each code's
taxonomy labels and coded ads, mixed with the linear model's probabilities.

The n-gram model misses titles that share no letters with a label ("Driftsleiar IT" ~ "IKT-leder"); the encoder
reads them as near. Label vectors are embedded once at training time and stored in the artefact, so prediction only
embeds the ads' titles. Without an encoder (or with another one) the classifier falls back to the linear model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

# Mixture grid: linear softmax temperature × semantic softmax temperature × semantic weight.
LINEAR_TEMPERATURES = (0.05, 0.1, 0.2, 0.5)
SEMANTIC_TEMPERATURES = (0.01, 0.02, 0.05, 0.1)
WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0)
QUERY_CHUNK = 1024  # ads scored at once: bounds the (ads × references) similarity matrix


@dataclass(frozen=True)
class Fusion:
    """How linear and semantic evidence are mixed: (1 - weight)·softmax(linear/T1) + weight·softmax(semantic/T2),
    then sharpened or flattened by `temperature` on the log of the mixture so its top probability is calibrated."""

    linear_temperature: float
    semantic_temperature: float
    weight: float
    temperature: float = 1.0

    def as_dict(self) -> dict[str, float]:
        """The JSON shape stored in the artefact's config."""
        return asdict(self)


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax at a temperature."""
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fuse(decisions: np.ndarray, semantic: np.ndarray, fusion: Fusion) -> np.ndarray:
    """Class probabilities from linear decision values and per-code semantic similarities."""
    mixture = softmax(decisions, fusion.linear_temperature)
    if fusion.weight > 0:
        mixture = (1.0 - fusion.weight) * mixture + fusion.weight * softmax(semantic, fusion.semantic_temperature)
    if fusion.temperature == 1.0:
        return mixture
    return softmax(np.log(np.clip(mixture, 1e-300, None)), fusion.temperature)


def fusion_grid() -> list[Fusion]:
    """Every mixture the training and the benchmark choose from."""
    return [Fusion(t1, t2, w) for t1, t2, w in itertools.product(LINEAR_TEMPERATURES, SEMANTIC_TEMPERATURES, WEIGHTS)]


def fusion_score(decisions: np.ndarray, semantic: np.ndarray, gold: Sequence[str], classes: Sequence[str],
                 fusion: Fusion) -> float:
    """4-digit accuracy plus half the 1-digit accuracy of the mixture's top codes (the issue's two targets)."""
    top = np.asarray(classes)[fuse(decisions, semantic, fusion).argmax(axis=1)]
    four = np.mean([p == g for p, g in zip(top, gold)])
    one = np.mean([p[:1] == g[:1] for p, g in zip(top, gold)])
    return float(four + 0.5 * one)


def choose_fusion(decisions: np.ndarray, semantic: np.ndarray, gold: Sequence[str], classes: Sequence[str]) -> Fusion:
    """The grid mixture that scores best on out-of-fold ads; ties go to the weight nearest an even mix."""
    return max(fusion_grid(), key=lambda f: (fusion_score(decisions, semantic, gold, classes, f),
                                             -abs(f.weight - 0.5), -f.linear_temperature, -f.semantic_temperature))


@dataclass
class SemanticIndex:
    """Reference vectors (taxonomy labels and coded ads, L2-normalised) and the class index each one speaks for."""

    encoder_id: str
    vectors: np.ndarray
    codes: np.ndarray

    def scores(self, queries: np.ndarray, n_classes: int) -> np.ndarray:
        """Per class, the highest cosine between each query and that class's references (0 where it has none)."""
        order = np.argsort(self.codes, kind="stable")
        codes = self.codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=int)
        refs = self.vectors[order].astype(np.float32)
        out = np.zeros((len(queries), n_classes), dtype=np.float64)
        if not len(codes):
            return out
        for start in range(0, len(queries), QUERY_CHUNK):
            sims = np.asarray(queries[start:start + QUERY_CHUNK], dtype=np.float32) @ refs.T
            out[start:start + QUERY_CHUNK, codes[starts]] = np.maximum.reduceat(sims, starts, axis=1)
        return out


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors as int8 with one float16 scale per row: a quarter of float32, cosines off by about 1e-3."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = (np.abs(vectors).max(axis=1) / 127.0).astype(np.float16) if len(vectors) else np.zeros(0, np.float16)
    safe = np.where(scale > 0, scale.astype(np.float32), 1.0)[:, None]
    return np.clip(np.rint(vectors / safe), -127, 127).astype(np.int8), scale


def dequantise(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The float32 vectors `quantise` stands for."""
    return codes.astype(np.float32) * scale.astype(np.float32)[:, None]


def build_index(encoder_id: str, texts: Sequence[str], codes: Sequence[str], classes: Sequence[str],
                vectors: np.ndarray) -> SemanticIndex:
    """An index over (text, code) references, keeping one row per distinct pair of a known class."""
    column = {c: j for j, c in enumerate(classes)}
    seen: dict[tuple[str, str], int] = {}
    for i, (text, code) in enumerate(zip(texts, codes)):
        if code in column and text and (text, code) not in seen:
            seen[(text, code)] = i
    rows = sorted(seen.values())
    return SemanticIndex(encoder_id, np.asarray(vectors[rows], dtype=np.float32).reshape(len(rows), -1),
                         np.asarray([column[codes[i]] for i in rows], dtype=np.int32))


def out_of_fold_scores(base_vectors: np.ndarray, base_codes: Sequence[str], held_vectors: np.ndarray,
                       held_codes: Sequence[str], folds: Sequence[int], classes: Sequence[str],
                       encoder_id: str = "") -> np.ndarray:
    """Semantic scores of each held-out ad against the base references plus the held ads of the other folds only."""
    column = {c: j for j, c in enumerate(classes)}
    folds_arr = np.asarray(folds)
    keep = [i for i, c in enumerate(base_codes) if c in column]
    base = SemanticIndex(encoder_id, base_vectors[keep], np.asarray([column[base_codes[i]] for i in keep],
                                                                    dtype=np.int32))
    base_scores = base.scores(held_vectors, len(classes))
    out = np.zeros_like(base_scores)
    for k in sorted(set(folds)):
        mine = np.flatnonzero(folds_arr == k)
        other = [i for i in np.flatnonzero(folds_arr != k) if held_codes[i] in column]
        others = SemanticIndex(encoder_id, held_vectors[other], np.asarray([column[held_codes[i]] for i in other],
                                                                            dtype=np.int32))
        out[mine] = np.maximum(base_scores[mine], others.scores(held_vectors[mine], len(classes)))
    return out


def unique_texts(texts: Iterable[str]) -> list[str]:
    """Distinct non-empty texts in first-seen order."""
    return [t for t in dict.fromkeys(texts) if t]
