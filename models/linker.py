"""Links mentions the lexicon could not map to the nearest taxonomy concept with a multilingual encoder.

The inventory is every label of the curated lexicon (Norwegian labels and surface forms, English labels)
and the ESCO skills (preferred labels, optionally the alternative labels too) in the languages given,
so a Norwegian phrase can land on an English ESCO label. Labels are embedded once with the configured
encoder (multilingual-e5-small by default, "query: " prefix on both sides, as e5 does for symmetric
similarity) and stored with the calibration as an artefact in the model cache directory; a run only
embeds the mentions, and repeated mentions come from the encoder's cache.

e5 cosines are compressed (unrelated phrases score ~0.82-0.85), so the acceptance threshold is never a
round number: calibrate_and_save derives it from hand-judged links of real span-model mentions.
Below the threshold a mention stays unmapped and feeds the emerging-competence list.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from extractors.encoder import PhraseCache, TextEncoder, encoder_slug
from extractors.esco import EscoSkills
from extractors.taxonomy import Lexicon
from models.artefacts import Artefact, ArtefactError, load_artefact, save_artefact

MODEL_NAME = "linker"
FORMAT_VERSION = 1
MATRIX_FILE = "labels.npy"
TARGETS_FILE = "targets.jsonl"
CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Target:
    """One label of the inventory and the concept it names."""

    text: str
    concept_id: str
    label: str
    source: str  # "lexicon" or "esco:<lang>"
    type: str | None = None


@dataclass(frozen=True)
class Link:
    """The concept a mention was linked to and how similar their texts are."""

    concept_id: str
    label: str
    score: float
    source: str
    matched_text: str


def inventory(lexicon: Lexicon, esco: Iterable[EscoSkills] = (), *, alt_labels: bool = False) -> list[Target]:
    """Every label text with its concept, lexicon first; one row per distinct (text, concept)."""
    rows: dict[tuple[str, str], Target] = {}

    def add(text: str, target: Target) -> None:
        text = " ".join(text.split())
        if text and (text.lower(), target.concept_id) not in rows:
            rows[(text.lower(), target.concept_id)] = Target(text, target.concept_id, target.label, target.source,
                                                             target.type)

    for concept in lexicon.concepts.values():
        label = concept.label_nb or concept.label_en
        base = Target("", concept.concept_id, label, "lexicon", concept.type)
        for text in (concept.label_nb, concept.label_en):
            add(text, base)
    for form in lexicon.surfaces:
        concept = lexicon.concepts[form.concept_id]
        add(form.surface, Target("", concept.concept_id, concept.label_nb or concept.label_en, "lexicon", concept.type))
    for collection in esco:
        for skill in collection.skills:
            base = Target("", skill.uri, skill.preferred_label, f"esco:{skill.lang}", None)
            for text in skill.labels(alt=alt_labels):
                add(text, base)
    return list(rows.values())


def inventory_version(targets: Sequence[Target]) -> str:
    """Content hash of the label texts and their concepts (what the embedding matrix depends on)."""
    digest = hashlib.sha256()
    for t in targets:
        digest.update(f"{t.text}\t{t.concept_id}\n".encode())
    return digest.hexdigest()[:16]


def linker_version(encoder_id: str, inventory: str) -> str:
    """The artefact version of a linker: its encoder and its label inventory."""
    return f"{encoder_slug(encoder_id)}-{inventory}"


def build_key(encoder_id: str, targets: Sequence[Target], judgements: Sequence[dict[str, Any]],
              target_precision: float) -> dict[str, Any]:
    """Everything a linker's labels and threshold follow from: two builds with equal keys are the same linker.

    Stored in the card, so `radar train-extract linker --if-stale` (what ./dev setup runs) rebuilds only when the
    lexicon, the ESCO files, the encoder, the hand-judged links or the target precision changed.
    """
    judged = json.dumps([{k: j.get(k) for k in ("text", "concept_id", "verdict")} for j in judgements],
                        ensure_ascii=False, sort_keys=True)
    return {"version": linker_version(encoder_id, inventory_version(targets)),
            "judgements": hashlib.sha256(judged.encode("utf-8")).hexdigest()[:16],
            "target_precision": target_precision}


def current_build_key(root: Path) -> dict[str, Any] | None:
    """The build key of the current linker under root; None when there is none or it predates build keys."""
    try:
        return load_artefact(MODEL_NAME, None, root, verify=False).card.get("data", {}).get("build")
    except (ArtefactError, OSError, ValueError):
        return None


class Linker:
    """Nearest label by cosine; a link is accepted at or above the calibrated threshold."""

    def __init__(self, encoder: TextEncoder, targets: Sequence[Target], matrix: np.ndarray, threshold: float,
                 *, version: str = "", phrase_cache: PhraseCache | None = None, lexicon_version: str = "") -> None:
        if len(targets) != len(matrix):
            raise ValueError(f"{len(targets)} targets but {len(matrix)} label vectors")
        self.encoder = encoder
        self.targets = list(targets)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.threshold = float(threshold)
        self.version = version
        self.lexicon_version = lexicon_version  # the lexicon whose labels the matrix holds ('' when unknown)
        self.phrase_cache = phrase_cache or PhraseCache(None)

    def save_cache(self) -> None:
        """Keep this run's phrase embeddings for the next run."""
        self.phrase_cache.save()

    def nearest(self, phrases: Sequence[str], k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Indices and cosines of the k nearest labels per phrase, best first."""
        if not phrases:
            return np.zeros((0, k), int), np.zeros((0, k), np.float32)
        sims = self.phrase_cache.embed(self.encoder, list(phrases)) @ self.matrix.T
        k = min(k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else np.argsort(-sims, axis=1)
        order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
        top = np.take_along_axis(top, order, axis=1)
        return top, np.take_along_axis(sims, top, axis=1)

    def link(self, phrases: Sequence[str]) -> list[Link | None]:
        """The accepted link of each phrase, or None when its best label is below the threshold."""
        if not phrases:
            return []
        idx, scores = self.nearest(phrases, 1)
        out: list[Link | None] = []
        for i, s in zip(idx[:, 0], scores[:, 0]):
            t = self.targets[int(i)]
            out.append(Link(t.concept_id, t.label, round(float(s), 4), t.source, t.text) if s >= self.threshold
                       else None)
        return out


# ----------------------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Trial:
    """One calibration case: a mention whose right concepts are known, scored twice (see calibration_trials).

    `positive` is the best score once the lexicon's labels of the right concepts are hidden, and whether that
    best label belongs to a right concept; `negative` is the best score once all their labels are hidden.
    """

    text: str
    positive: float
    positive_correct: bool
    negative: float


@dataclass
class Calibration:
    """The chosen threshold and how it was chosen (stored in the linker artefact's card)."""

    threshold: float
    target_precision: float
    trials: int
    precision_at_threshold: float
    coverage_at_threshold: float
    curve: list[dict[str, float]] = field(default_factory=list)


def calibration_trials(linker: Linker, mentions: Sequence[tuple[str, frozenset[str]]]) -> list[Trial]:
    """Score each (text, right concept ids) pair as a hit case and as a missing-concept case.

    The hit case hides the mention's own text and the lexicon's labels of the right concepts that are forms
    of the same word (same first five letters: 'samarbeidsevne' for 'samarbeidsevner'), as for a mention the
    lexicon could not match: the concept has to be found through its other labels (synonyms, English,
    ESCO). The missing-concept case hides every label of the right concepts, so whatever comes first is wrong.
    """
    if not mentions:
        return []
    texts = [t for t, _ in mentions]
    sims = linker.encoder.encode(texts, kind="query") @ linker.matrix.T
    concept_of = np.asarray([t.concept_id for t in linker.targets], dtype=object)
    from_lexicon = np.asarray([t.source == "lexicon" for t in linker.targets])
    lowered = np.asarray([t.text.lower() for t in linker.targets], dtype=object)
    trials = []
    for row, (text, right) in zip(sims, mentions):
        is_right = np.isin(concept_of, list(right))
        stem = text.lower()[:5]
        same_word = np.asarray([t.startswith(stem) for t in lowered]) if len(stem) == 5 else (lowered == text.lower())
        hidden = (is_right & from_lexicon & same_word) | (lowered == text.lower())
        hit_scores = np.where(~hidden, row, -np.inf)
        best = int(np.argmax(hit_scores))
        miss = np.where(~is_right & ~hidden, row, -np.inf)
        trials.append(Trial(text, float(hit_scores[best]), bool(is_right[best]), float(miss.max())))
    return trials


def threshold_for(scored: Sequence[tuple[float, bool]], target_precision: float, *, cases: int | None = None,
                  covered: Callable[[float], int] | None = None) -> Calibration:
    """Lowest threshold at which the accepted (score, right?) pairs are right at least target_precision of the time.

    Below every score where precision falls short of the target nothing is accepted; when no threshold
    reaches the target the threshold is set above the best score, so nothing is linked.
    """
    if not scored:
        raise ValueError("no calibration cases: judge some links first (extractors/annotations/link_calibration.jsonl)")
    order = sorted(scored, key=lambda x: -x[0])
    cases = cases or len(order)
    best_threshold, best = None, (0.0, 0.0)
    curve = []
    right = accepted = 0
    for i, (score, ok) in enumerate(order):
        accepted += 1
        right += ok
        if i + 1 < len(order) and order[i + 1][0] == score:
            continue
        precision = right / accepted
        coverage = (covered(score) if covered else right) / cases
        if len(curve) < 400 and (not curve or abs(curve[-1]["threshold"] - score) >= 0.002):
            curve.append({"threshold": round(score, 4), "precision": round(precision, 4), "coverage": round(coverage, 4)})
        if precision >= target_precision:
            best_threshold, best = score, (precision, coverage)
    if best_threshold is None:
        best_threshold = order[0][0] + 1e-4
    return Calibration(round(float(best_threshold), 4), target_precision, len(order), round(best[0], 4),
                       round(best[1], 4), curve)


def choose_threshold(trials: Sequence[Trial], target_precision: float = 0.8) -> Calibration:
    """Threshold from known-concept trials: each counts its hit case and its missing-concept case (1:1 mix)."""
    if not trials:
        raise ValueError("no calibration trials: annotate mentions with known concepts first")
    scored = [(t.positive, t.positive_correct) for t in trials] + [(t.negative, False) for t in trials]
    return threshold_for(scored, target_precision, cases=len(trials),
                         covered=lambda s: sum(1 for t in trials if t.positive >= s and t.positive_correct))


def judged_pairs(linker: Linker, judgements: Sequence[dict[str, Any]]) -> tuple[list[tuple[float, bool]], int]:
    """(score now, judged right?) for every judged link whose best concept is still the judged one.

    A judgement is about one mention text and the concept the linker put first; when the inventory or the
    encoder changed and another concept comes first, that verdict says nothing and is skipped (counted).
    """
    if not judgements:
        return [], 0
    texts = [j["text"] for j in judgements]
    idx, scores = linker.nearest(texts, 1)
    pairs, stale = [], 0
    for j, i, score in zip(judgements, idx[:, 0], scores[:, 0]):
        if linker.targets[int(i)].concept_id != j["concept_id"]:
            stale += 1
            continue
        pairs.append((float(score), j["verdict"] == "correct"))
    return pairs, stale


def precision_on(trials: Sequence[Trial], threshold: float) -> dict[str, float]:
    """Precision and coverage of a threshold on trials it was not chosen on."""
    scored = [(t.positive, t.positive_correct) for t in trials] + [(t.negative, False) for t in trials]
    accepted = [ok for s, ok in scored if s >= threshold]
    return {"trials": len(trials), "precision": round(sum(accepted) / len(accepted), 4) if accepted else 0.0,
            "coverage": round(sum(1 for t in trials if t.positive >= threshold and t.positive_correct)
                              / max(len(trials), 1), 4),
            "false_accept_rate_missing_concept": round(sum(t.negative >= threshold for t in trials)
                                                       / max(len(trials), 1), 4)}


# ----------------------------------------------------------------------------------------- artefact


def save_linker(root: Path, linker: Linker, calibration: Calibration, *, data: dict[str, Any],
                metrics: dict[str, Any] | None = None, seconds: float | None = None,
                make_current: bool = True) -> Artefact:
    """Store label matrix, targets and calibration as <root>/linker/<version>/ (version = encoder + labels)."""
    buffer = _npy_bytes(linker.matrix.astype(np.float16))
    targets = "".join(json.dumps(asdict(t), ensure_ascii=False) + "\n" for t in linker.targets).encode("utf-8")
    calibration_json = json.dumps(asdict(calibration), indent=2).encode("utf-8")
    version = linker_version(linker.encoder.model_id, linker.version)
    card = {
        "description": "Mention → concept linker: nearest label by cosine of encoder embeddings, accepted at "
                       "or above the calibrated threshold.",
        "format_version": FORMAT_VERSION,
        "encoder": linker.encoder.model_id,
        "inventory_version": linker.version,
        "labels": len(linker.targets),
        "threshold": calibration.threshold,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(seconds, 1) if seconds is not None else None,
        "cpu_count": os.cpu_count(),
        "environment": {"python": platform.python_version()},
        "data": data,
        "params": {"target_precision": calibration.target_precision},
        "metrics": metrics or {},
    }
    return save_artefact(root, MODEL_NAME, version,
                         {MATRIX_FILE: buffer, TARGETS_FILE: targets, CALIBRATION_FILE: calibration_json}, card,
                         make_current=make_current)


def load_linker(root: Path, encoder: TextEncoder, version: str | None = None, *, verify: bool = False,
                phrase_cache_dir: Path | None = None) -> Linker:
    """The linker stored for this encoder; ArtefactError when it was built with another encoder or is absent.

    With phrase_cache_dir, mention embeddings persist between runs there (one file per encoder).
    """
    artefact = load_artefact(MODEL_NAME, version, root, verify=verify)
    card = artefact.card
    if card.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(f"{artefact.path}: linker format {card.get('format_version')} is not {FORMAT_VERSION}; "
                            f"rebuild it with `radar train-extract linker`")
    if card.get("encoder") != encoder.model_id:
        raise ArtefactError(f"the linker in {artefact.path} was built and calibrated with {card.get('encoder')}, "
                            f"not {encoder.model_id}; run `radar train-extract linker` for this encoder")
    targets = [Target(**json.loads(line)) for line in
               artefact.file(TARGETS_FILE).read_text(encoding="utf-8").splitlines() if line]
    matrix = np.load(artefact.file(MATRIX_FILE)).astype(np.float32)
    threshold = float(json.loads(artefact.file(CALIBRATION_FILE).read_text())["threshold"])
    cache = PhraseCache.in_directory(phrase_cache_dir, "phrases", encoder.model_id) if phrase_cache_dir else None
    return Linker(encoder, targets, matrix, threshold, version=str(card.get("inventory_version", "")),
                  phrase_cache=cache, lexicon_version=str(card.get("data", {}).get("lexicon", "")))


def build_linker(encoder: TextEncoder, targets: Sequence[Target], cache_dir: Path | None = None,
                 progress: Callable[[str], None] | None = None, batch: int = 2048) -> Linker:
    """Embed the inventory, threshold unset. Label vectors are kept by text in cache_dir (float32, so a rebuild
    calibrates on exactly the vectors a fresh build would): a lexicon edit embeds only the labels it adds."""
    labels = PhraseCache.in_directory(cache_dir, "labels", encoder.model_id, dtype="float32", max_phrases=5_000_000)
    texts = [t.text for t in targets]
    missing = [t for t in dict.fromkeys(texts) if t not in labels.vectors]
    started = time.perf_counter()
    for start in range(0, len(missing), batch):
        labels.embed(encoder, missing[start:start + batch])
        if progress:
            progress(f"embedded {min(start + batch, len(missing))}/{len(missing)} labels")
    if progress:
        progress(f"embedded {len(missing)} labels in {time.perf_counter() - started:.0f} s, "
                 f"{len(set(texts)) - len(missing)} came from the label cache")
    labels.save()
    return Linker(encoder, targets, labels.embed(encoder, texts), float("inf"), version=inventory_version(targets))


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def known_concept_mentions(examples: Iterable[Any], lexicon: Lexicon) -> list[tuple[str, frozenset[str]]]:
    """Annotated mentions whose text is a lexicon surface form: their right concepts are known.

    Right = the lexicon concept and the ESCO concept it is mapped to (linking to either is correct).
    """
    by_surface: dict[str, str] = {}
    for form in lexicon.surfaces:
        by_surface.setdefault(form.surface.lower(), form.concept_id)
    out = []
    for example in examples:
        for m in example.mentions:
            concept_id = by_surface.get(m["text"].lower())
            if concept_id is None:
                continue
            concept = lexicon.concepts[concept_id]
            out.append((m["text"], frozenset(x for x in (concept_id, concept.esco_uri) if x)))
    return out


def read_judgements(path: Path) -> list[dict[str, Any]]:
    """Hand-judged links (JSONL: text, concept_id, verdict 'correct' | 'wrong', ...)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = [r for r in rows if r.get("verdict") not in ("correct", "wrong") or "text" not in r or "concept_id" not in r]
    if bad:
        raise ValueError(f"{path}: {len(bad)} line(s) need text, concept_id and verdict 'correct' or 'wrong'")
    return rows


def calibrate_and_save(encoder: TextEncoder, lexicon: Lexicon, esco: Sequence[EscoSkills], sets: dict[str, list[Any]],
                       judgements: Sequence[dict[str, Any]], *, root: Path, cache_dir: Path | None,
                       alt_labels: bool = False, target_precision: float = 0.8,
                       progress: Callable[[str], None] | None = None) -> Artefact:
    """Build the label matrix (cached), choose the threshold on hand-judged links, store the linker.

    The judged links are span-model mentions of real ads with the concept the linker put first, each marked
    right or wrong by a person (extractors/annotations/link_calibration.jsonl). As a second, automatic check
    the threshold is also applied to annotated mentions whose concept the lexicon knows (calibration_trials).
    """
    started = time.perf_counter()
    targets = inventory(lexicon, esco, alt_labels=alt_labels)
    linker = build_linker(encoder, targets, cache_dir, progress)
    pairs, stale = judged_pairs(linker, judgements)
    calibration = threshold_for(pairs, target_precision)
    linker.threshold = calibration.threshold
    known = [m for examples in sets.values() for m in known_concept_mentions(examples, lexicon)]
    unique = list({(t.lower(), ids): (t, ids) for t, ids in known}.values())
    metrics = {"calibration": {k: v for k, v in asdict(calibration).items() if k != "curve"},
               "judged_links_used": len(pairs), "judged_links_stale": stale,
               "known_concept_check": precision_on(calibration_trials(linker, unique), calibration.threshold)}
    data = {"lexicon": lexicon.version, "esco": [{"source": c.source, "lang": c.lang, "skills": len(c.skills),
                                                 "version": c.version} for c in esco],
            "alt_labels": alt_labels, "judged_links": len(judgements), "known_concept_mentions": len(unique),
            "annotation_sets": {name: len(examples) for name, examples in sets.items()},
            "build": build_key(encoder.model_id, targets, judgements, target_precision)}
    return save_linker(root, linker, calibration, data=data, metrics=metrics,
                       seconds=time.perf_counter() - started)
