"""Turns texts into typed, graded, linked competence mentions with character offsets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.sections import NOT_ANNOTATED, requirement_for
from extractors.components.lexicon_matcher import SCORES, LexiconMatcher
from extractors.pipeline import build_pipeline
from extractors.taxonomy import Lexicon

EXTRACTOR_NAME = "radar-extractor"
EXTRACTOR_CODE_VERSION = "0.1"
MAX_CHARS = 100_000


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
        return asdict(self)


def mentions_from_doc(doc: Doc, lexicon: Lexicon) -> list[Mention]:
    """Mentions in annotated sections only, with the requirement level their section and sentence give."""
    out = []
    for span in doc.spans.get("candidates", []):
        section = span[0]._.section
        if section in NOT_ANNOTATED or span[0]._.is_heading:
            continue
        concept = lexicon.concepts.get(span.label_)
        if concept is None:
            continue
        sentence = span.sent.text if doc.has_annotation("SENT_START") else span.text
        text = span.text.rstrip("-")  # 'samarbeids-' in 'samarbeids- og kommunikasjonsevner'
        out.append(
            Mention(
                start=span.start_char,
                end=span.start_char + len(text),
                text=text,
                type=concept.type,
                requirement=requirement_for(section, sentence),
                concept_id=concept.concept_id,
                concept_label=concept.label_nb or concept.label_en,
                score=SCORES.get(span.kb_id_, 0.5),
                method=span.kb_id_,
            )
        )
    return out


class Extractor:
    """The nb and nn pipelines behind one call, routed by each text's language."""

    def __init__(self, pipelines: dict[str, Language]) -> None:
        self.pipelines = pipelines
        matcher = pipelines["nb"].get_pipe("radar_lexicon_matcher")
        assert isinstance(matcher, LexiconMatcher)
        self.lexicon = matcher.lexicon

    @classmethod
    def load(cls, *, lexicon_dir: Path | None = None) -> "Extractor":
        """Build both pipelines once; reuse the Extractor for every batch."""
        return cls({lang: build_pipeline(lang, lexicon_dir=lexicon_dir) for lang in ("nb", "nn")})

    @property
    def version(self) -> str:
        """Identifies the code and data that produced a mention, recorded beside it in the warehouse."""
        return f"{EXTRACTOR_NAME}-{EXTRACTOR_CODE_VERSION}+{self.lexicon.version}"

    def extract(self, text: str, lang: str = "nb") -> list[Mention]:
        """Mentions of one text."""
        return next(self.extract_many([("_", text, lang)]))[1]

    def extract_many(self, items: Iterable[tuple[str, str, str]], batch_size: int = 64
                     ) -> Iterator[tuple[str, list[Mention]]]:
        """(id, text, lang) → (id, mentions), in input order; texts beyond MAX_CHARS are cut, not dropped."""
        batch: list[tuple[str, str, str]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self._run(batch)
                batch = []
        if batch:
            yield from self._run(batch)

    def _run(self, batch: list[tuple[str, str, str]]) -> Iterator[tuple[str, list[Mention]]]:
        """Process one batch, each language through its own pipeline, keeping input order."""
        results: dict[int, list[Mention]] = {}
        for lang, nlp in self.pipelines.items():
            idx = [i for i, (_, _, l) in enumerate(batch) if (l == "nn") == (lang == "nn")]
            texts = [batch[i][1][:MAX_CHARS] for i in idx]
            for i, doc in zip(idx, nlp.pipe(texts)):
                results[i] = mentions_from_doc(doc, self.lexicon)
        for i, (item_id, _, _) in enumerate(batch):
            yield item_id, results[i]
