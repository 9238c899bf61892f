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
from spacy.attrs import LOWER, MORPH, SENT_START, TAG
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc

from extractors.components.sections import LINES_KEY, TOKEN_LINE_KEY

WEAK_METHODS = frozenset({"lexicon-compound"})
# Who the sentence is about: the employer ('Vi leverer ...', 'Selskapet har ...') or the worker ('Du har ...').
# Company descriptions hold many competence words that are not annotated; the model's window cannot see
# the subject at the start of a long sentence, so the sentence's voice is spelled out for every token.
WE = frozenset("vi oss vår vårt våre selskapet bedriften firmaet kommunen konsernet avdelingen seksjonen "
               "enheten verksemda kommunen we our us company".split())
YOU = frozenset("du deg din ditt dine søker søkjar kandidaten you your".split())
VOICES = ("none", "we", "you")
WE_CODE, YOU_CODE = VOICES.index("we"), VOICES.index("you")
WE_IDS = frozenset(get_string_id(word) for word in WE)  # LOWER values, so the check needs no Token objects
YOU_IDS = frozenset(get_string_id(word) for word in YOU)


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
        strings, morphology = doc.vocab.strings, doc.vocab.morphology
        tags = np.full(len(doc), strings.add("O"), dtype="uint64")
        for span in doc.spans.get("candidates", []):
            kind = types.get(span.label_, "SKILL")
            weak = "~c" if span.kb_id_ in WEAK_METHODS else ""
            tags[span.start] = strings.add(f"B-{kind}{weak}")
            if span.end > span.start + 1:
                tags[span.start + 1:span.end] = strings.add(f"I-{kind}{weak}")
        rows = doc.user_data.get(LINES_KEY) or []
        token_line = doc.user_data.get(TOKEN_LINE_KEY) or []
        lines = np.full(len(doc), -1, dtype="int64")
        known = min(len(token_line), len(doc))
        lines[:known] = token_line[:known]
        # One MORPH value per (line, voice) pair, not per token: an ad has a few dozen of them.
        pairs, where = np.unique((lines + 1) * len(VOICES) + self.voice_codes(doc), return_inverse=True)
        morphs = np.empty(len(pairs), dtype="uint64")
        for n, pair in enumerate(pairs.tolist()):
            line, who = divmod(pair, len(VOICES))
            row = rows[line - 1] if line > 0 else None
            role = f"Role={'heading' if row[3] else 'item' if row[4] else 'text'}|Sec={row[5]}" if row else \
                "Role=text|Sec=intro"
            morphs[n] = morphology.add(f"{role}|Voice={VOICES[who]}")
        values = np.stack([tags, morphs[where.reshape(-1)]], axis=1)
        doc.from_array([TAG, MORPH], values)  # arrays, not Token objects: this runs on every ad
        return doc

    @staticmethod
    def voice_codes(doc: Doc) -> np.ndarray:
        """Per token, the VOICES index of its sentence's voice: the first WE or YOU word of its first six."""
        out = np.zeros(len(doc), dtype="int64")
        if not doc.has_annotation("SENT_START"):
            return out
        # Sentences as doc.sents gives them: one starts at token 0 and at every later token marked as a start.
        marks = doc.to_array(SENT_START).astype("int64")
        starts = [0] + (np.flatnonzero(marks[1:] == 1) + 1).tolist()
        ends = starts[1:] + [len(doc)]
        lowers = doc.to_array(LOWER).tolist()
        for start, end in zip(starts, ends):
            for lower in lowers[start:min(start + 6, end)]:
                if lower in WE_IDS:
                    out[start:end] = WE_CODE
                    break
                if lower in YOU_IDS:
                    out[start:end] = YOU_CODE
                    break
        return out

    @staticmethod
    def voices(doc: Doc) -> list[str]:
        """Per token, 'we', 'you' or 'none': the first of those words among its sentence's first six."""
        return [VOICES[code] for code in SpanFeatures.voice_codes(doc).tolist()]


@Language.factory("radar_span_features", default_config={"lexicon_component": "radar_lexicon_matcher"})
def make_span_features(nlp: Language, name: str, lexicon_component: str) -> SpanFeatures:
    """Factory: reads the candidates of the named lexicon matcher component."""
    return SpanFeatures(nlp, lexicon_component)
