"""Turns lexicon candidates and span-model entities into the final mentions of ANNOTATION.md.

Output: doc.spans["mentions"], one Span per mention, label = type (SKILL/SOFT/QUALIFICATION/LANGUAGE),
kb_id = concept id ('' when no lexicon concept fits; the linker may fill it later), and the extensions
requirement, method, score and concept_label. Mentions never overlap.

How the two sources combine, when the span model ran:
- a span-model entity that coincides with a lexicon candidate takes the candidate's concept and type
  (the lexicon's type is right 98 % of the time, the model's less often); one that overlaps exactly one
  surface-matched candidate takes the candidate's boundaries too (+1.3 points strict F1 in
  cross-validation, lenient unchanged: the curated surfaces follow the span rules more closely);
- an entity the lexicon does not know keeps the model's type and no concept ('span-model');
- a lexicon candidate the model did not mark is kept only when the model saw nothing overlapping it and
  the candidate is a surface match ('lexicon', 'lexicon-coordination') in an annotated section: the model
  decides context, the lexicon adds what the model missed. Lemma-only and compound guesses need the
  model's agreement (on held-out ads only a quarter of the lemma-only ones were right).
Without the span model (not trained yet, or excluded) the lexicon candidates in annotated sections are
the mentions. Either way a capitalised word of an organisation's name ("Glomma Revisjon AS") is dropped: four of
13 wrong concepts in a hand-judged sample of 200 mentions were employers' names. So is a mention in a sentence on
the employer's own business outside the requirement lists ("Vi leverer prosjektering av VVS-anlegg"): ANNOTATION.md
leaves the company's activities out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from extractors.components.lexicon_matcher import SCORES
from extractors.components.sections import (INTRO, LISTS_OF_REQUIREMENTS, NOT_ANNOTATED, Line, doc_text,
                                            is_company_sentence, line_at, requirement_for, sentence_starts,
                                            span_sentence)

SPAN_MODEL_SCORE = 0.7
OUTSIDE_MODEL_METHODS = ("lexicon", "lexicon-coordination")
# Legal-form words that close a Norwegian (or Nordic) organisation name: "Glomma Revisjon AS", "Nordlandssykehuset HF".
ORGANISATION_SUFFIXES = frozenset({"AS", "ASA", "SA", "BA", "HF", "IKS", "KF", "AB"})
NAME_RUN = 4  # capitalised words a name may run on after the mention before its legal form
EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
KEEP_EDGE = re.compile(r"(?:[#+]|\.NET)$|^\.(?=\w)")  # C#, C++, .NET keep their punctuation
# "Vi nyttar nynorsk i skriftleg kommunikasjon" under "Vi tilbyr" or the application details: the working language
# is asked of the applicant wherever the ad says it.
WORKING_LANGUAGE = re.compile(r"\b(?:nyttar|nytter|bruker|brukar|benytter|nyttes|brukes)\b[^.\n]{0,40}?"
                              r"\b(?:nynorsk|bokmål)\b", re.IGNORECASE)

for name, default in (("requirement", "UNSPECIFIED"), ("method", ""), ("score", 0.0), ("concept_label", None)):
    if not Span.has_extension(name):
        Span.set_extension(name, default=default)


@dataclass(frozen=True)
class MergePolicy:
    """How lexicon candidates and span-model entities are combined (see the module docstring)."""

    keep_lexicon_outside_model: bool = True
    filter_sections: bool = True
    outside_model_methods: tuple[str, ...] = OUTSIDE_MODEL_METHODS
    snap_to_lexicon: bool = True
    drop_company_sentences: bool = True


def trim(doc: Doc, span: Span) -> Span | None:
    """Drop leading/trailing punctuation tokens (spans never end in punctuation, except C#, C++, .NET)."""
    start, end = span.start, span.end
    while start < end and (doc[start].is_punct or doc[start].is_space) and not KEEP_EDGE.search(doc[start].text):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space) and not KEEP_EDGE.search(doc[end - 1].text):
        end -= 1
    if start >= end:
        return None
    return Span(doc, start, end, label=span.label, kb_id=span.kb_id)


def annotated(line: Line | None) -> bool:
    """False on headings and on lines of offers, employer blurbs and application details."""
    return line is None or not (line.kind in NOT_ANNOTATED or line.is_heading)


def working_language(line: Line | None, kind: str) -> bool:
    """True for a language mention in a line saying which written standard the job uses."""
    return kind == "LANGUAGE" and line is not None and not line.is_heading and bool(WORKING_LANGUAGE.search(line.text))


def about_the_company(line: Line | None, sentence: str) -> bool:
    """True for a mention in a sentence on the employer's own business, outside requirement lists."""
    return (line is None or line.kind not in LISTS_OF_REQUIREMENTS) and is_company_sentence(sentence)


def in_organisation_name(doc: Doc, span: Span) -> bool:
    """True for a capitalised word of an employer's name ("Lågen Maskinteknikk AS"): a name, not a competence."""
    if not doc_text(doc)[span.start_char:span.start_char + 1].isupper():
        return False
    for token in doc[span.end:span.end + NAME_RUN + 1]:
        if token.text in ORGANISATION_SUFFIXES:
            return True
        if not (token.text[:1].isupper() or token.text == "&"):
            return False
    return False


class MentionAssembler:
    """Builds doc.spans['mentions'] from doc.spans['candidates'] and (when the span model ran) doc.ents."""

    def __init__(self, nlp: Language, lexicon_component: str, span_component: str, policy: MergePolicy) -> None:
        self.nlp = nlp
        self.lexicon_component = lexicon_component
        self.span_component = span_component
        self.policy = policy
        self._concepts = None

    @property
    def concepts(self):  # noqa: ANN201  (Lexicon.concepts)
        """The lexicon's concepts, from the matcher of the same pipeline."""
        if self._concepts is None:
            self._concepts = self.nlp.get_pipe(self.lexicon_component).lexicon.concepts  # type: ignore[attr-defined]
        return self._concepts

    def span_model_active(self) -> bool:
        """True when the span model is in the pipeline and enabled."""
        return self.span_component in self.nlp.pipe_names

    def __call__(self, doc: Doc) -> Doc:
        concepts = self.concepts
        candidates = [c for c in doc.spans.get("candidates", []) if c.label_ in concepts]
        chosen: list[tuple[Span, str, str | None, str, float]] = []  # span, type, concept, method, score
        if self.span_model_active():
            by_offsets = {(c.start, c.end): c for c in candidates}
            covered: set[int] = set()
            for ent in doc.ents:
                span = trim(doc, ent)
                if span is None:
                    continue
                covered.update(range(span.start, span.end))
                cand = by_offsets.get((span.start, span.end))
                if cand is None and self.policy.snap_to_lexicon:
                    overlapping = [c for c in candidates if c.start < span.end and span.start < c.end]
                    if len(overlapping) == 1 and overlapping[0].kb_id_ in self.policy.outside_model_methods:
                        cand = overlapping[0]
                        span = cand
                        covered.update(range(span.start, span.end))
                if cand is not None:
                    concept = concepts[cand.label_]
                    chosen.append((span, concept.type, concept.concept_id, cand.kb_id_, SCORES.get(cand.kb_id_, 0.5)))
                else:
                    chosen.append((span, ent.label_, None, "span-model", SPAN_MODEL_SCORE))
            if self.policy.keep_lexicon_outside_model:
                for cand in candidates:
                    if (cand.kb_id_ in self.policy.outside_model_methods
                            and not covered.intersection(range(cand.start, cand.end))):
                        concept = concepts[cand.label_]
                        chosen.append((cand, concept.type, concept.concept_id, cand.kb_id_,
                                       SCORES.get(cand.kb_id_, 0.5)))
        else:
            for cand in candidates:
                concept = concepts[cand.label_]
                chosen.append((cand, concept.type, concept.concept_id, cand.kb_id_, SCORES.get(cand.kb_id_, 0.5)))
        mentions = []
        starts = sentence_starts(doc)
        for span, kind, concept_id, method, score in chosen:
            # One line and one sentence per mention serve the section filter, the company rule and the level.
            line = line_at(doc, span.start)
            if self.policy.filter_sections and not annotated(line) and not working_language(line, kind):
                continue
            if in_organisation_name(doc, span):
                continue
            sentence, offset = span_sentence(doc, span, span.start_char, starts)
            if self.policy.drop_company_sentences and about_the_company(line, sentence):
                continue
            mention = Span(doc, span.start, span.end, label=kind, kb_id=concept_id or "")
            mentions.append(mention)
            ext = mention._  # one extension proxy per mention, not one per attribute
            ext.method = method
            ext.score = score
            ext.requirement = requirement_for(line or INTRO, sentence, offset, span.end_char - span.start_char)
            ext.concept_label = (concepts[concept_id].label_nb or concepts[concept_id].label_en) \
                if concept_id else None
        doc.spans["mentions"] = sorted(filter_spans(mentions), key=lambda s: s.start)
        return doc


@Language.factory(
    "radar_mentions",
    default_config={"lexicon_component": "radar_lexicon_matcher", "span_component": "radar_spans",
                    "keep_lexicon_outside_model": True, "filter_sections": True,
                    "outside_model_methods": list(OUTSIDE_MODEL_METHODS), "snap_to_lexicon": True,
                    "drop_company_sentences": True},
)
def make_mention_assembler(nlp: Language, name: str, lexicon_component: str, span_component: str,
                           keep_lexicon_outside_model: bool, filter_sections: bool,
                           outside_model_methods: list[str], snap_to_lexicon: bool,
                           drop_company_sentences: bool) -> MentionAssembler:
    """Factory: the merge policy is configuration, so experiments change config.cfg, not code."""
    return MentionAssembler(nlp, lexicon_component, span_component,
                            MergePolicy(keep_lexicon_outside_model, filter_sections, tuple(outside_model_methods),
                                        snap_to_lexicon, drop_company_sentences))
