"""A lemmatizer component on simplemma, since no trained Norwegian lemmatizer ships with spaCy."""

from __future__ import annotations

from functools import lru_cache

import simplemma
from spacy.language import Language
from spacy.tokens import Doc


@lru_cache(maxsize=200_000)
def lemmatize_word(word: str, lang: str) -> str:
    """Cached simplemma lookup; ad vocabulary repeats heavily."""
    return simplemma.lemmatize(word, lang=lang)


class SimplemmaLemmatizer:
    """Sets token.lemma_ and token.norm_ (lower-case lemma) so matchers can work on lemmas."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.is_alpha or "-" in token.text:
                lemma = lemmatize_word(token.lower_, self.lang)
            else:
                lemma = token.lower_
            token.lemma_ = lemma
            token.norm_ = lemma.lower()
        return doc


@Language.factory("radar_lemmatizer", default_config={"lang": None})
def make_lemmatizer(nlp: Language, name: str, lang: str | None) -> SimplemmaLemmatizer:
    """Factory: lemmatise in the pipeline's own language (nb or nn) unless told otherwise."""
    return SimplemmaLemmatizer(lang or nlp.lang)
