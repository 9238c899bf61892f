"""Trains the span model: spaCy `ner` over the radar pipeline, learning competence mentions from annotations.

The model sees every token's lemma, shape and affixes plus the rule components' evidence (the lexicon's
BIO verdict and the section, see extractors/components/span_features.py), so it learns which lexicon hits
are annotated in context and finds competences the lexicon lacks. It is small (32-wide CNN, hashed
embeddings) and trains on CPU in a minute or two; the same data, parameters and seed give the same
weights. The trained pipeline is an ordinary spaCy directory (spacy.load reads it) stored as a versioned
artefact with a model card (models/artefacts.py).
"""

from __future__ import annotations

import os
import platform
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example as SpacyExample
from spacy.util import fix_random_seed, minibatch

from extractors.corpus import Example
from extractors.extract import mentions_from_doc, restore_offsets
from extractors.mojibake import repair_mojibake
from extractors.pipeline import SPAN_COMPONENT, build_pipeline, load_pipeline
from models.artefacts import Artefact, ArtefactError, default_root, load_artefact, save_artefact

MODEL_NAME = "span_model"
# Bump when the pipeline's inputs change in a way old weights cannot follow (features, labels).
FORMAT_VERSION = 1
RULE_COMPONENTS = ("radar_lemmatizer", "radar_sections", "radar_lexicon_matcher", "radar_span_features")


@dataclass(frozen=True)
class SpanTrainParams:
    """Everything that decides the weights besides the data."""

    epochs: int = 30
    dropout: float = 0.2
    batch_size: int = 4
    learn_rate: float = 0.001
    seed: int = 0
    model: tuple[tuple[str, Any], ...] = ()  # config overrides of the span model, e.g. (("...encode.depth", 2),)


def _progress(message: str) -> None:
    """Default progress sink: nothing (the CLI passes typer.echo)."""


def to_training_examples(nlps: dict[str, Language], examples: Sequence[Example]) -> list[SpacyExample]:
    """spaCy Examples: predicted = the rule components' output (in the nb vocab), reference = gold spans.

    Nynorsk texts go through the nn rule components (its lemmatizer and lemma patterns) and are then moved
    into the Bokmål pipeline's vocab, because one model serves both. Gold spans that do not fall on token
    boundaries (glued words in scraped ads), that hold a whitespace token ("CAD\xa0for el-tegning") or that run
    over a sentence start ("gr. L") are left out rather than guessed: spaCy's ner cannot be supervised on them (E024).
    """
    target = nlps["nb"]
    out: list[SpacyExample] = []
    for example in examples:
        nlp = nlps.get(example.lang, target)
        doc = nlp.make_doc(example.text)
        for name in RULE_COMPONENTS:
            doc = nlp.get_pipe(name)(doc)
        if nlp is not target:
            doc = Doc(target.vocab).from_bytes(doc.to_bytes())
        entities = []
        for m in example.mentions:
            span = doc.char_span(m["start"], m["end"])
            if span is not None and not any(t.is_space or (t.i > span.start and t.is_sent_start) for t in span):
                entities.append((m["start"], m["end"], m["type"]))
        out.append(SpacyExample.from_dict(doc, {"entities": entities}))
    return out


def rule_pipelines(lexicon_dir: Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Language]:
    """The nb and nn pipelines with an untrained span model in the config (nb's is trained)."""
    return {lang: build_pipeline(lang, lexicon_dir=lexicon_dir, with_span_model=True, overrides=overrides)
            for lang in ("nb", "nn")}


def train_span_model(examples: Sequence[Example], params: SpanTrainParams = SpanTrainParams(), *,
                     lexicon_dir: Path | None = None, progress: Callable[[str], None] = _progress,
                     nlps: dict[str, Language] | None = None) -> Language:
    """Train the span model on annotated texts; returns the nb pipeline with trained weights."""
    if not examples:
        raise ValueError("no annotated examples to train the span model on")
    fix_random_seed(params.seed)
    nlps = nlps or rule_pipelines(lexicon_dir, dict(params.model))
    nlp = nlps["nb"]
    train = to_training_examples(nlps, examples)
    with nlp.select_pipes(enable=[SPAN_COMPONENT]):
        optimizer = nlp.initialize(get_examples=lambda: train)
    optimizer.learn_rate = params.learn_rate
    rng = random.Random(params.seed)
    for epoch in range(params.epochs):
        order = list(train)
        rng.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch(order, size=params.batch_size):
            nlp.update(batch, sgd=optimizer, drop=params.dropout, losses=losses,
                       exclude=[n for n in nlp.pipe_names if n != SPAN_COMPONENT])
        progress(f"epoch {epoch + 1}/{params.epochs}: loss {losses.get(SPAN_COMPONENT, 0.0):.1f}")
    return nlp


def pipeline_files(nlp: Language) -> dict[str, bytes]:
    """The trained pipeline directory as {relative path: bytes}, for a content-hashed artefact."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        nlp.to_disk(tmp)
        root = Path(tmp)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def save_span_model(nlp: Language, *, version: str, data: dict[str, Any], params: SpanTrainParams,
                    metrics: dict[str, Any] | None = None, root: Path | None = None, seconds: float | None = None,
                    notes: Sequence[str] = ()) -> Artefact:
    """Store the trained pipeline as <root>/span_model/<version>/ with its model card."""
    card = {
        "description": "Competence span model: spaCy `ner` (32-wide CNN, hashed embeddings of lemma, form, "
                       "affixes, shape, lexicon verdict and section) inside the radar pipeline; loads with "
                       "spacy.load(<artefact dir>).",
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(seconds, 1) if seconds is not None else None,
        "cpu_count": os.cpu_count(),
        "environment": {"python": platform.python_version(), "spacy": spacy.__version__},
        "data": data,
        "params": asdict(params),
        "metrics": metrics or {},
        "notes": list(notes),
    }
    return save_artefact(root or default_root(), MODEL_NAME, version, pipeline_files(nlp), card)


def load_span_pipelines(root: Path | None = None, version: str | None = None, *, lexicon_dir: Path | None = None,
                        verify: bool = True) -> tuple[dict[str, Language], Artefact]:
    """The trained pipeline for nb and nn (one artefact, loaded twice with the language overridden)."""
    artefact = load_artefact(MODEL_NAME, version, root, verify=verify)
    if artefact.card.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(f"{artefact.path}: span model format {artefact.card.get('format_version')} is not "
                            f"{FORMAT_VERSION}; retrain with `radar train-extract span`")
    return {lang: load_pipeline(artefact.path, lang, lexicon_dir=lexicon_dir) for lang in ("nb", "nn")}, artefact


def folds(examples: Sequence[Example], k: int, seed: int = 0) -> list[list[Example]]:
    """k disjoint folds of whole documents, shuffled with a fixed seed (cross-validation by document)."""
    order = list(examples)
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def examples_by_lang(examples: Iterable[Example]) -> dict[str, int]:
    """How many training texts per language, for the model card."""
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.lang] = counts.get(e.lang, 0) + 1
    return counts


def share_span_model(trained: Language, other: Language) -> Language:
    """Put the trained span model into the other language's pipeline (one model serves nb and nn)."""
    position = other.pipe_names.index(SPAN_COMPONENT)
    other.remove_pipe(SPAN_COMPONENT)
    other.add_pipe(SPAN_COMPONENT, source=trained, before=other.pipe_names[position])
    return other


def predicted_mentions(nlp: Language, example: Example) -> list[dict[str, Any]]:
    """The pipeline's mentions of one annotated text, in the reference's JSON shape."""
    repair = repair_mojibake(example.text)
    return [{"start": m.start, "end": m.end, "text": m.text, "type": m.type, "requirement": m.requirement,
             "method": m.method} for m in restore_offsets(mentions_from_doc(nlp(repair.text)), repair)]


def cross_validate(sets: dict[str, list[Example]], params: SpanTrainParams, *, k: int = 5,
                   progress: Callable[[str], None] = _progress, lexicon_dir: Path | None = None,
                   n_process: int = 1) -> dict[str, Any]:
    """k-fold cross-validation by document over every annotated set at once.

    Each fold trains on the other folds of all sets and predicts its own documents, so every ad and every
    sentence is scored by a model that never saw it. Returns the scores per set and the predictions.
    Folds run in n_process forked processes when asked (each trains single-threaded).
    """
    from extractors.evaluate import score

    split = {name: folds(examples, k, params.seed) for name, examples in sets.items()}
    job = _FoldJob(split, params, lexicon_dir)
    if n_process > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(n_process) as pool:
            results = pool.map(job, range(k), chunksize=1)
    else:
        results = [job(fold) for fold in range(k)]
    predictions: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in sets}
    for fold, (fold_predictions, seconds) in enumerate(results):
        for name, preds in fold_predictions.items():
            predictions[name].update(preds)
        progress(f"fold {fold + 1}/{k}: {seconds:.0f} s")
    metrics: dict[str, Any] = {"folds": k, "seed": params.seed}
    for name, examples in sets.items():
        metrics[name] = score({e.id: e.mentions for e in examples}, predictions[name]).as_dict()
    metrics["predictions"] = predictions
    return metrics


@dataclass(frozen=True)
class _FoldJob:
    """One fold of cross_validate: train on the other folds, predict this one (picklable for a pool)."""

    split: dict[str, list[list[Example]]]
    params: SpanTrainParams
    lexicon_dir: Path | None

    def __call__(self, fold: int) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], float]:
        started = time.perf_counter()
        train = [e for name in self.split for j, part in enumerate(self.split[name]) if j != fold for e in part]
        nlps = rule_pipelines(self.lexicon_dir, dict(self.params.model))
        nlp = train_span_model(train, self.params, nlps=nlps)
        nn = share_span_model(nlp, nlps["nn"])
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name, parts in self.split.items():
            out[name] = {e.id: predicted_mentions(nn if e.lang == "nn" else nlp, e) for e in parts[fold]}
        return out, time.perf_counter() - started
