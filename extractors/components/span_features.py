"""Hands the rule components' evidence to the span model as token attributes it can embed.

The span model (spaCy `ner`) only sees token attributes through its tok2vec. Two of them are unused in
this pipeline, so they carry the evidence: TAG holds the lexicon matcher's verdict for the token
('B-SKILL', 'I-QUALIFICATION', 'B-SOFT~c' for a compound guess, 'O') and MORPH the section the token is
in ('Sec=requirements|Role=item'). The model then learns from context which lexicon hits are annotated
(a skill in a task list) and which are not (the same word in the employer's blurb), and where the
lexicon is silent.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import MORPH, TAG
from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.sections import LINES_KEY, TOKEN_LINE_KEY

WEAK_METHODS = frozenset({"lexicon-compound"})
# Who the sentence is about: the employer ('Vi leverer ...', 'Selskapet har ...') or the worker ('Du har ...').
# Company descriptions hold many competence words that are not annotated; the model's window cannot see
# the subject at the start of a long sentence, so the sentence's voice is spelled out for every token.
WE = frozenset("vi oss vår vårt våre selskapet bedriften firmaet kommunen konsernet avdelingen seksjonen "
               "enheten verksemda kommunen we our us company".split())
YOU = frozenset("du deg din ditt dine søker søkjar kandidaten you your".split())


class SpanFeatures:
    """Writes lexicon BIO tags into TAG and section roles into MORPH for the span model's tok2vec."""

    def __init__(self, nlp: Language, lexicon_component: str) -> None:
        self.nlp = nlp
        self.lexicon_component = lexicon_component
        self._types: dict[str, str] | None = None

    def concept_types(self) -> dict[str, str]:
        """Concept id → mention type, taken from the lexicon matcher of the same pipeline."""
        if self._types is None:
            matcher = self.nlp.get_pipe(self.lexicon_component)
            self._types = {cid: c.type for cid, c in matcher.lexicon.concepts.items()}  # type: ignore[attr-defined]
        return self._types

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        types = self.concept_types()
        tags = ["O"] * len(doc)
        for span in doc.spans.get("candidates", []):
            kind = types.get(span.label_, "SKILL")
            weak = "~c" if span.kb_id_ in WEAK_METHODS else ""
            tags[span.start] = f"B-{kind}{weak}"
            for i in range(span.start + 1, span.end):
                tags[i] = f"I-{kind}{weak}"
        rows = doc.user_data.get(LINES_KEY) or []
        token_line = doc.user_data.get(TOKEN_LINE_KEY) or []
        roles = [f"Role={'heading' if r[3] else 'item' if r[4] else 'text'}|Sec={r[5]}" for r in rows]
        voice = self.voices(doc)
        strings, morphology = doc.vocab.strings, doc.vocab.morphology
        keys: dict[str, int] = {}
        values = np.empty((len(doc), 2), dtype="uint64")
        for i, (tag, who) in enumerate(zip(tags, voice)):
            n = token_line[i] if i < len(token_line) else -1
            morph = (roles[n] if n >= 0 else "Role=text|Sec=intro") + f"|Voice={who}"
            if morph not in keys:
                keys[morph] = morphology.add(morph)
            values[i, 0] = strings.add(tag)
            values[i, 1] = keys[morph]
        doc.from_array([TAG, MORPH], values)  # arrays, not Token objects: this runs on every ad
        return doc

    @staticmethod
    def voices(doc: Doc) -> list[str]:
        """Per token, 'we', 'you' or 'none': the first of those words among its sentence's first six."""
        out = ["none"] * len(doc)
        if not doc.has_annotation("SENT_START"):
            return out
        for sent in doc.sents:
            who = "none"
            for token in sent[:6]:
                lower = token.lower_
                if lower in WE:
                    who = "we"
                    break
                if lower in YOU:
                    who = "you"
                    break
            out[sent.start:sent.end] = [who] * len(sent)
        return out


@Language.factory("radar_span_features", default_config={"lexicon_component": "radar_lexicon_matcher"})
def make_span_features(nlp: Language, name: str, lexicon_component: str) -> SpanFeatures:
    """Factory: reads the candidates of the named lexicon matcher component."""
    return SpanFeatures(nlp, lexicon_component)
