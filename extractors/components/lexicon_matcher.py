"""Finds taxonomy phrases by surface, by lemma, inside compounds and in 'X- og Y' coordinations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from spacy.attrs import LENGTH, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from extractors.components.lemmatizer import lemmatize_word
from extractors.taxonomy import Lexicon, load_lexicon, write_lexicon

COORDINATORS = frozenset({"og", "eller", "and", "or", "/"})
MIN_COMPOUND_HEAD = 6
MIN_COMPOUND_MODIFIER = 3
SCORES = {"lexicon": 1.0, "lexicon-lemma": 0.9, "lexicon-coordination": 0.8, "lexicon-compound": 0.6}


class LexiconMatcher:
    """Adds candidate spans to doc.spans['candidates'] labelled with the concept id.

    Serialisable: to_disk writes the lexicon's two CSV files next to the pipeline, so a saved pipeline
    carries the lexicon it was built with; from_disk reads them back unless the component was created
    with an explicit lexicon_dir (then that folder wins, e.g. the repository's current lexicon).
    """

    def __init__(self, nlp: Language, lexicon: Lexicon, *, pinned: bool = False) -> None:
        self.nlp = nlp
        self.pinned = pinned
        self._build(lexicon)

    def _build(self, lexicon: Lexicon) -> None:
        nlp = self.nlp
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
        self._compound_cache: dict[str, str | None] = {}

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write concepts.csv and surface_forms.csv so the saved pipeline is self-contained."""
        write_lexicon(self.lexicon, Path(path))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "LexiconMatcher":
        """Rebuild from the saved lexicon, unless an explicit lexicon_dir was configured."""
        if not self.pinned and (Path(path) / "concepts.csv").exists():
            self._build(load_lexicon(Path(path)))
        return self

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
        covered = {i for s in spans for i in range(s.start, s.end)}
        spans.extend(self._compounds(doc, covered))
        doc.spans["candidates"] = filter_spans(sorted(spans, key=lambda s: SCORES[s.kb_id_], reverse=True))
        return doc

    def _coordinations(self, doc: Doc) -> Iterable[Span]:
        """'samarbeids- og kommunikasjonsevner': the truncated first conjunct borrows the second's head.

        Chains work too ('behandlings-, pleie- og omsorgsarbeid'); the hyphen is its own token.
        """
        hyphen = doc.vocab.strings["-"]
        orths = doc.to_array(ORTH)
        for i in np.flatnonzero(orths[1:-2] == hyphen):  # token i is followed by a hyphen token
            token, nxt = doc[int(i)], doc[int(i) + 1]
            if not (token.is_alpha and len(token.text) >= MIN_COMPOUND_MODIFIER and nxt.whitespace_):
                continue
            head = self._coordination_head(doc, token.i + 2)
            if head is None or (self.lookup(head.text) is None and self.lookup(head.lemma_ or "") is None):
                continue
            stem = token.lower_
            for cut in range(1, len(head.text) - 2):
                concept = self.lookup(stem + head.lower_[cut:])
                if concept:
                    yield Span(doc, token.i, token.i + 1, label=concept, kb_id="lexicon-coordination")
                    break

    @staticmethod
    def _coordination_head(doc: Doc, i: int) -> Token | None:
        """The word that ends a coordination chain starting at token i ('og omsorgsarbeid' → omsorgsarbeid)."""
        saw_coordinator = False
        end = min(len(doc), i + 12)  # a chain is a handful of conjuncts; stop scanning running text
        while i < end:
            token = doc[i]
            if token.lower_ in COORDINATORS or token.text == ",":
                saw_coordinator = True
                i += 1
                continue
            if token.is_alpha and i + 1 < len(doc) and doc[i + 1].text == "-" and doc[i + 1].whitespace_:
                i += 2  # another truncated conjunct
                continue
            return token if saw_coordinator and token.is_alpha else None
        return None

    def _compounds(self, doc: Doc, covered: set[int]) -> Iterable[Span]:
        """A compound whose head is a known competence ('sveisesertifikat' ← 'sertifikat') is a candidate."""
        minimum = MIN_COMPOUND_HEAD + MIN_COMPOUND_MODIFIER
        strings = doc.vocab.strings
        # Only tokens long enough (LENGTH is the text's length), each distinct form once, then in token order.
        values = doc.to_array([ORTH, LENGTH])
        long_enough = np.flatnonzero(values[:, 1] >= minimum)
        forms, where = np.unique(values[long_enough, 0], return_inverse=True)
        concepts = [self.compound_concept(strings[orth].lower()) for orth in forms.tolist()]
        for i, form in zip(long_enough.tolist(), where.reshape(-1).tolist()):
            if concepts[form] and i not in covered:
                yield Span(doc, i, i + 1, label=concepts[form], kb_id="lexicon-compound")

    def compound_concept(self, lower: str) -> str | None:
        """Concept of the longest known head of a one-word compound (cached: ad vocabulary repeats)."""
        if lower in self._compound_cache:
            return self._compound_cache[lower]
        concept = None
        if lower.isalpha():
            for cut in range(MIN_COMPOUND_MODIFIER, len(lower) - MIN_COMPOUND_HEAD + 1):
                concept = self.single.get(lower[cut:])
                if concept:
                    break
        if len(self._compound_cache) < 200_000:
            self._compound_cache[lower] = concept
        return concept


@Language.factory("radar_lexicon_matcher", default_config={"lexicon_dir": None})
def make_lexicon_matcher(nlp: Language, name: str, lexicon_dir: str | None) -> LexiconMatcher:
    """Factory: the packaged curated lexicon unless a folder is given (a given folder also wins over a
    lexicon saved with a trained pipeline)."""
    return LexiconMatcher(nlp, load_lexicon(Path(lexicon_dir) if lexicon_dir else None), pinned=bool(lexicon_dir))
