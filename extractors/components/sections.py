"""Classifies the parts of an ad (requirements, tasks, offers...) and segments sentences on its lines.

Sections decide whether a mention is annotated at all (offers and employer blurbs are not) and its
requirement level, so headings and list items are treated as the boundaries they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

REQUIREMENTS = "requirements"
PREFERRED = "preferred"
TASKS = "tasks"
PERSONAL = "personal"
OFFER = "offer"
EMPLOYER = "employer"
APPLY = "apply"
INTRO = "intro"
NOT_ANNOTATED = frozenset({OFFER, EMPLOYER, APPLY})

# Ordered: the first pattern that matches a heading wins (preferred before requirements).
HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (PREFERRED, r"ønske(lig|leg|de|te)|\bfordel\b|\bpluss\b|nice to have|preferred|merit"),
        (OFFER, r"vi tilbyr|kan tilby|tilbyr vi|\btilbod\b|\bgoder\b|\blønn\b|betingelser|vilkår|what we offer|we offer"),
        (EMPLOYER, r"^om (oss|bedriften|selskapet|arbeidsgiver(en)?|verksemda|virksomheten|kommunen|avdelingen|"
                   r"enheten|tjenesten|tenesta|firmaet|konsernet|stillingen i)\b|hvem er vi|kven er vi|about (us|the company)"),
        (APPLY, r"søknad|\bsøk\b|slik søker|kontakt|spørsmål|søknadsfrist|tiltredelse|how to apply|apply"),
        (PERSONAL, r"personlig|personleg|egenskap|eigenskap|hvem er du|kven er du|om deg\b|vi ser etter deg|"
                   r"personal (qualities|skills)|about you"),
        (TASKS, r"oppgave|oppgåve|ansvar|arbeidsområde|stillingen|jobben|hva skal du|kva skal du|du skal|"
                r"responsibilit|tasks|the role|your role"),
        (REQUIREMENTS, r"kvalifikasjon|\bkrav\b|krav til|kompetanse|utdanning|erfaring|forventer|vi søker deg|"
                       r"du (har|må)|bakgrunn|requirement|qualification|you have|must have"),
    )
)
REQUIRED_CUES = re.compile(r"\b(krav|kreves|påkrevd|må ha|må kunne|må være|nødvendig|required|must)\b", re.IGNORECASE)
PREFERRED_CUES = re.compile(
    r"ønskelig|ønskeleg|en fordel|ein fordel|et pluss|eit pluss|\bpluss\b|vektlegges|vektleggast|positivt|"
    r"preferably|an advantage|is a plus|nice to have",
    re.IGNORECASE,
)
BULLET_RE = re.compile(r"^\s*([-•·▪◦‣●■*–—]|\d+[.)])\s+")


@dataclass(frozen=True)
class Line:
    """A line of the ad with its character range and role."""

    start: int
    end: int
    text: str
    is_heading: bool
    is_item: bool


def classify_heading(text: str) -> str | None:
    """The section kind a heading names, or None when it names none we know."""
    clean = text.strip().rstrip(":").strip()
    for kind, pattern in HEADING_PATTERNS:
        if pattern.search(clean):
            return kind
    return None


def looks_like_heading(text: str) -> bool:
    """Short lines without a final full stop, or lines ending with a colon, head what follows."""
    stripped = text.strip()
    if not stripped or BULLET_RE.match(stripped):
        return False
    words = stripped.split()
    if stripped.endswith(":") and len(words) <= 10:
        return True
    return len(words) <= 6 and not stripped.endswith((".", ",", ";", "!")) and classify_heading(stripped) is not None


def split_lines(text: str) -> list[Line]:
    """Non-empty lines with offsets; a heading followed by ':' and content stays one line."""
    lines = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            start = pos + raw.index(stripped)
            lines.append(Line(start, start + len(stripped), stripped, looks_like_heading(stripped),
                              bool(BULLET_RE.match(stripped))))
        pos += len(raw) + 1
    return lines


def inline_heading_kind(text: str) -> str | None:
    """'Krav: fagbrev ...' or 'Ønskelig: ...' — a cue word and a colon before content on one line."""
    head, sep, rest = text.partition(":")
    if sep and rest.strip() and len(head.split()) <= 5:
        return classify_heading(head)
    return None


def requirement_for(section: str, sentence: str) -> str:
    """Requirement level from the section, overridden by explicit cue words in the sentence."""
    if PREFERRED_CUES.search(sentence):
        return "PREFERRED"
    if section == PREFERRED:
        return "PREFERRED"
    if section == REQUIREMENTS or REQUIRED_CUES.search(sentence):
        return "REQUIRED"
    return "UNSPECIFIED"


def ends_sentence(span: Span, i: int) -> bool:
    """A full stop, '!' or '?' followed by a capitalised word starts a new sentence within a line."""
    prev = span[i - 1]
    return prev.text in {".", "!", "?"} and (span[i].is_title or span[i].is_upper) and not span[i].is_punct


class SectionTagger:
    """Sets sentence starts at line starts and gives every token its section kind."""

    def __call__(self, doc: Doc) -> Doc:
        lines = split_lines(doc.text)
        section = INTRO
        sections: list[Span] = []
        for line in lines:
            span = doc.char_span(line.start, line.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            kind = classify_heading(line.text) if line.is_heading else inline_heading_kind(line.text)
            if line.is_heading:
                section = kind or section
            elif kind:
                section = kind
            for i, token in enumerate(span):
                token.is_sent_start = i == 0 or ends_sentence(span, i)
                token._.section = section
                token._.is_heading = line.is_heading
            sections.append(Span(doc, span.start, span.end, label=section))
        for token in doc:
            if token._.section is None:
                token._.section = section if token.is_space else INTRO
        doc.spans["sections"] = sections
        return doc


if not Token.has_extension("section"):
    Token.set_extension("section", default=None)
if not Token.has_extension("is_heading"):
    Token.set_extension("is_heading", default=False)


@Language.factory("radar_sections")
def make_section_tagger(nlp: Language, name: str) -> SectionTagger:
    """Factory for the section tagger (no settings: rules are data in this module)."""
    return SectionTagger()
