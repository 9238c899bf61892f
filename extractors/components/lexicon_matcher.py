"""Finds taxonomy phrases by surface, by lemma, inside compounds and in 'X- og Y' coordinations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from extractors.components.lemmatizer import lemmatize_word
from extractors.taxonomy import Lexicon, load_lexicon

COORDINATORS = frozenset({"og", "eller", "and", "or", "/"})
MIN_COMPOUND_HEAD = 6
MIN_COMPOUND_MODIFIER = 3
SCORES = {"lexicon": 1.0, "lexicon-lemma": 0.9, "lexicon-coordination": 0.8, "lexicon-compound": 0.6}


class LexiconMatcher:
    """Adds candidate spans to doc.spans['candidates'] labelled with the concept id."""

    def __init__(self, nlp: Language, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.surface_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.lemma_matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.single: dict[str, str] = {}
        self.single_lemma: dict[str, str] = {}
        by_concept: dict[str, list[str]] = {}
        for form in lexicon.surfaces:
            by_concept.setdefault(form.concept_id, []).append(form.surface)
        lang = nlp.lang if nlp.lang in ("nb", "nn") else "nb"
        for concept_id, surfaces in by_concept.items():
            docs = [nlp.make_doc(s) for s in surfaces]
            self.surface_matcher.add(concept_id, docs)
            lemma_docs = []
            for doc in docs:
                for token in doc:
                    token.norm_ = lemmatize_word(token.lower_, lang) if token.is_alpha else token.lower_
                lemma_docs.append(doc)
                if len(doc) == 1:
                    self.single.setdefault(doc[0].lower_, concept_id)
                    self.single_lemma.setdefault(doc[0].norm_, concept_id)
            self.lemma_matcher.add(concept_id, lemma_docs)

    def lookup(self, word: str) -> str | None:
        """Concept of a single word by surface, then by lemma."""
        lower = word.lower()
        return self.single.get(lower) or self.single_lemma.get(lower)

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for matcher, method in ((self.surface_matcher, "lexicon"), (self.lemma_matcher, "lexicon-lemma")):
            for match_id, start, end in matcher(doc):
                spans.append(Span(doc, start, end, label=doc.vocab.strings[match_id], kb_id=method))
        spans.extend(self._coordinations(doc))
        covered = {t.i for s in spans for t in s}
        spans.extend(self._compounds(doc, covered))
        doc.spans["candidates"] = filter_spans(sorted(spans, key=lambda s: SCORES[s.kb_id_], reverse=True))
        return doc

    def _coordinations(self, doc: Doc) -> Iterable[Span]:
        """'samarbeids- og kommunikasjonsevner': the truncated first conjunct borrows the second's head."""
        for token in doc[:-2]:
            if not (token.text.endswith("-") and len(token.text) > MIN_COMPOUND_MODIFIER + 1):
                continue
            if doc[token.i + 1].lower_ not in COORDINATORS:
                continue
            second = doc[token.i + 2]
            if self.lookup(second.text) is None and self.lookup(second.lemma_ or "") is None:
                continue
            stem = token.text[:-1].lower()
            for cut in range(1, len(second.text) - 2):
                concept = self.lookup(stem + second.lower_[cut:])
                if concept:
                    span = doc.char_span(token.idx, token.idx + len(token.text) - 1, label=concept,
                                         kb_id="lexicon-coordination", alignment_mode="expand")
                    if span is not None:
                        yield span
                    break

    def _compounds(self, doc: Doc, covered: set[int]) -> Iterable[Span]:
        """A compound whose head is a known competence ('sveisesertifikat' ← 'sertifikat') is a candidate."""
        for token in doc:
            if token.i in covered or not token.is_alpha or len(token.text) < MIN_COMPOUND_HEAD + MIN_COMPOUND_MODIFIER:
                continue
            lower = token.lower_
            for cut in range(MIN_COMPOUND_MODIFIER, len(lower) - MIN_COMPOUND_HEAD + 1):
                concept = self.single.get(lower[cut:]) if lower[cut:].isalpha() else None
                if concept:
                    yield Span(doc, token.i, token.i + 1, label=concept, kb_id="lexicon-compound")
                    break


@Language.factory("radar_lexicon_matcher", default_config={"lexicon_dir": None})
def make_lexicon_matcher(nlp: Language, name: str, lexicon_dir: str | None) -> LexiconMatcher:
    """Factory: the packaged curated lexicon unless a folder is given."""
    return LexiconMatcher(nlp, load_lexicon(Path(lexicon_dir) if lexicon_dir else None))
