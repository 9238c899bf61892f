"""Lemmas from simplemma, because no pretrained Norwegian lemmatizer ships with spaCy."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import simplemma
from spacy.attrs import LEMMA, LOWER, NORM
from spacy.language import Language
from spacy.tokens import Doc


@lru_cache(maxsize=200_000)
def lemmatize_word(word: str, lang: str) -> str:
    """Cached simplemma lookup; ad vocabulary repeats heavily."""
    return simplemma.lemmatize(word, lang=lang)


class SimplemmaLemmatizer:
    """Sets token.lemma_ and token.norm_ (lower-case lemma) so matchers and the span model see lemmas.

    Works on the doc's attribute arrays with a cache keyed by the lower-case form's hash: no Token
    objects are created, which matters at hundreds of ads per second.
    """

    def __init__(self, lang: str, cache_size: int = 500_000) -> None:
        self.lang = lang
        self.cache_size = cache_size
        self._lemma_of: dict[int, int] = {}

    def lemma_hash(self, doc: Doc, lower: int) -> int:
        """Hash of the lemma of one lower-case form (words and hyphenated words only; the rest as is)."""
        cached = self._lemma_of.get(lower)
        if cached is not None:
            return cached
        strings = doc.vocab.strings
        text = strings[lower]
        lemma = lemmatize_word(text, self.lang).lower() if text.isalpha() or "-" in text else text
        value = strings.add(lemma)
        if len(self._lemma_of) < self.cache_size:
            self._lemma_of[lower] = value
        return value

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        # An ad has about half as many distinct forms as tokens: look each one up once.
        forms, where = np.unique(doc.to_array([LOWER]), return_inverse=True)
        lemma_of_form = np.fromiter((self.lemma_hash(doc, h) for h in forms.tolist()), dtype="uint64",
                                    count=len(forms))
        lemmas = lemma_of_form[where.reshape(-1)]
        doc.from_array([LEMMA, NORM], np.stack([lemmas, lemmas], axis=1))
        return doc


@Language.factory("radar_lemmatizer", default_config={"lang": None})
def make_lemmatizer(nlp: Language, name: str, lang: str | None) -> SimplemmaLemmatizer:
    """Factory: lemmatise in the pipeline's own language (nb or nn) unless told otherwise."""
    return SimplemmaLemmatizer(lang or nlp.lang)
