"""Classifies the parts of an ad (requirements, tasks, offers...) and segments sentences on its lines.

Sections decide whether a mention is annotated at all (offers, employer blurbs and application details are
not) and its requirement level, so headings and list items are treated as the boundaries they are.
The decisions follow ../shared/ANNOTATION.md as applied in extractors/annotations/README.md.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.attrs import IDX, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

REQUIREMENTS = "requirements"
PREFERRED = "preferred"
WISHES = "wishes"  # "Vi ønsker deg som": the requirement list when it is the only one, else personal traits
TASKS = "tasks"
PERSONAL = "personal"
OFFER = "offer"
EMPLOYER = "employer"
APPLY = "apply"
INTRO = "intro"
SECTION_KINDS = (INTRO, TASKS, REQUIREMENTS, PREFERRED, WISHES, PERSONAL, OFFER, EMPLOYER, APPLY)
NOT_ANNOTATED = frozenset({OFFER, EMPLOYER, APPLY})
LISTS_OF_REQUIREMENTS = frozenset({REQUIREMENTS, PREFERRED, WISHES})

REQUIRED, PREFERRED_LEVEL, UNSPECIFIED = "REQUIRED", "PREFERRED", "UNSPECIFIED"
REQUIREMENT_LEVELS = (REQUIRED, PREFERRED_LEVEL, UNSPECIFIED)

_LEAD = r"^(?:[\W\d_]*)(?:(?:dine|dina|våre|vår|hva|kva|om|your|our|the)\s+)?"


def _heading(*alternatives: str) -> re.Pattern[str]:
    """A pattern anchored at the start of a heading, after an optional possessive or question word."""
    return re.compile(_LEAD + "(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


# Checked in this order; the first that matches names the section ("Om Equinor" is the employer, but only a capital
# makes a name: "Om stillingen" is the tasks and "Om deg" the person). Mixed headings
# ("Kvalifikasjoner og personlige egenskaper") are settled in classify_heading.
HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (WISHES, _heading(r"ønske(?:de|lige?|lege?) (?:kvalifik|kompetanse|egenskap|erfaring|bakgrunn)",
                      r"ønskja (?:kvalifik|kompetanse|eigenskap)", r"ynskte? (?:kvalifik|kompetanse|eigenskap)",
                      r"vi ønsker (?:oss )?(?:deg|en|ein|at du)\b", r"vi ynskjer", r"vi ønskjer")),
    (PREFERRED, _heading(r"ønske(?:lig|leg)\b", r"ønskjeleg", r"ynskjeleg", r"det er (?:en|ein) fordel",
                         r"(?:det er )?(?:en |ein )?fordel", r"merit", r"vi vektlegg", r"nice to have",
                         r"preferred", r"(?:it is )?an advantage")),
    (OFFER, _heading(r"(?:hva |kva )?(?:vi |kan vi |vi kan )?tilb(?:yr|yd|od|ud)", r"tilbyr vi", r"hva tilbyr",
                     r"hos (?:oss|\w+) (?:får|vil) du(?! (?:få )?(?:jobbe|arbeide) med)", r"(?:vi kan )?tilby",
                     r"lønn", r"løn\b", r"betingelser",
                     r"vilkår", r"goder\b", r"fordeler", r"what we offer", r"we offer", r"benefits",
                     r"\w+s medarbeidergaranti", r"(?:your )?future at")),
    (EMPLOYER, _heading(r"om (?:oss|bedriften|selskapet|arbeidsgiver(?:en)?|verksemda|virksomheten|kommunen|"
                        r"avdelingen|enheten|tjenesten|tenesta|firmaet|konsernet|arbeidsplassen|seksjonen|"
                        r"barnehagen|skolen|sykehuset|(?-i:[A-ZÆØÅ])\w+)\b", r"hvem er vi", r"kven er vi",
                        r"about (?:us|the company)", r"who we are", r"arbeidsgiver\b", r"bedriften\b",
                        r"selskapet\b", r"introduction")),
    (APPLY, _heading(r"søknad", r"søk (?:på |nå|her|jobben|stillingen)", r"søk\b", r"slik søk", r"hvordan søke",
                     r"korleis søkje", r"kontakt", r"spørsmål", r"tiltredelse", r"oppstart", r"nøkkelinformasjon",
                     r"annen informasjon", r"andre opplysninger", r"anna informasjon", r"praktisk informasjon",
                     r"mer informasjon", r"nærmere (?:informasjon|opplysninger)", r"opplysninger om",
                     r"interessert", r"how to apply", r"apply", r"contact", r"further information", r"link til",
                     r"arbeidssted", r"arbeidsstad", r"stillingsprosent", r"annet\b", r"start date",
                     r"application")),
    (TASKS, _heading(r"(?:hoved)?(?:arbeids)?oppg(?:a|å)ve", r"(?:hoved)?arbeidsoppg", r"ansvar(?:s?område\w*)?\b",
                     r"arbeidsområde", r"stillingsbeskrivelse", r"om stillingen", r"om jobben", r"om rollen",
                     r"presentasjon av stillingen", r"stillingen\b", r"jobben\b", r"rollen\b",
                     r"hos (?:oss|\w+) (?:får|vil) du (?:få )?(?:jobbe|arbeide) med",
                     r"hva skal du", r"kva skal du", r"du skal\b", r"du vil\b", r"som \w+(?: \w+){0,4} skal du",
                     r"som \w+(?: \w+){0,4} vil du", r"job description", r"responsibilit", r"tasks", r"the role",
                     r"your role", r"duties", r"arbeidsdag", r"jobben går ut på")),
    (REQUIREMENTS, _heading(r"(?:formelle |faglige |nødvendige |generelle |krav til |våre )?kvalifik\s?asjon",
                            r"kompetanse", r"krav\b", r"krav til", r"kravene", r"kurskrav", r"stillingskrav",
                            r"utdanning", r"utdannelse", r"språk", r"sprog", r"arbeidserfaring", r"erfaring",
                            r"hva vi ser etter", r"kva vi ser etter", r"vi ser etter (?:deg|ein|en)\b",
                            r"vi søker (?:deg|en|ein|etter)\b", r"vi søkjer (?:deg|ein|etter)\b",
                            r"vi leter etter", r"vi er ute etter", r"du som søk(?:er|jer)\b",
                            r"du (?:må|har|bør)\b", r"vi krev", r"vi forventer", r"forventning",
                            r"hvem ser vi etter", r"kven ser vi etter", r"ditt utgangspunkt", r"din bakgrunn",
                            r"bakgrunn", r"profil", r"requirement", r"qualification", r"you have", r"must have",
                            r"you are (?:right|meant|the one)", r"we are looking for", r"skills", r"education",
                            r"experience", r"languages?")),
    # "Personlig stell", "Personaloppfølging" are tasks, not the personal-qualities heading.
    (PERSONAL, _heading(r"personl[ei]ge?\b(?!\s+(?:stell|assistan|bistand|hygiene|økonomi|trener|trenar|oppfølging))",
                        r"eigenskap", r"egenskap", r"hvem er du", r"kven er du", r"om deg\b",
                        r"som person", r"personal\b", r"about you", r"who you are", r"i tillegg er du\b")),
)
_MERGED_QUALIFICATIONS = re.compile(r"kvalifik|krav|kompetanse|utdanning|qualification", re.IGNORECASE)
# An introducing line ('Det er en fordel dersom du:', 'Det blir lagt vekt på personlege eigenskapar;').
INTRODUCER_PREFERRED = re.compile(r"\bfordel\b|ønskelig|ønskjeleg|ynskjeleg|vektlegg|vekt på|gjerne|et pluss|eit pluss",
                                  re.IGNORECASE)
INTRODUCER_REQUIRED = re.compile(r"\bkrav\b|\bkrev\b|\bmå\b|\bkreves\b", re.IGNORECASE)

# Cue words in the sentence of a mention (ANNOTATION.md and the annotation guidelines).
PREFERRED_CUE = re.compile(
    r"ønske(?:lig|leg)|ønskjeleg|ynskjeleg|ynskjer|\b(?:en|ein) fordel|\bfordel med|\bmed fordel|\bet pluss\b|"
    r"\beit pluss\b|\bgjerne\b|\bhelst\b|\bfortrinnsvis\b|vil (?:være|vere) positivt|er positivt|oppfordres|"
    r"vektlegg(?:es|ast|jast)?\b|vektlagt|legg(?:er|es)? vekt på|lagt vekt på|preferabl|an advantage|is a plus|"
    r"nice to have|merit",
    re.IGNORECASE)
FORWARD_CUES = frozenset({"gjerne", "helst", "fortrinnsvis", "med fordel"})
REQUIRED_CUE = re.compile(
    r"\bkrav\b|\bkravet\b|\bkreves\b|\bkrevst\b|\bkrever\b|\bkrev\b|påkrevd|\bmå\b|nødvendig|naudsynt|"
    r"forutset|føresetnad|avgjørande|avgjørende|\brequired\b|\bmust\b|\bneed to\b",
    re.IGNORECASE)
SOFT_CUE = re.compile(r"\bbør\b|\bviktig\b|\bviktige\b", re.IGNORECASE)
# 'Personlig egnethet vektlegges' is about the hiring, not about named items.
GENERIC_PREFERENCE = re.compile(r"personl[ei]g egn|egnethet|egnaheit", re.IGNORECASE)
# Negated cues keep the level of the list ('ønskelig, men ikke et krav').
NOT_REQUIRED = re.compile(r"ikke (?:et |noe )?krav|ikkje (?:eit )?krav|ikke påkrevd|not required|ikke nødvendig",
                          re.IGNORECASE)
CLAUSE_BREAK = re.compile(r";|,\s+(?=(?:og|men|mens|samt|så|da|and|but)\b)|\s+[–—-]\s+", re.IGNORECASE)
CLAUSE_BREAK_WITH_COMMAS = re.compile(r";|,\s+|\s+[–—-]\s+|:\s*", re.IGNORECASE)
BULLET_RE = re.compile(r"^\s*(?:[-•·▪◦‣●■□*–—?→►➢✓✔]|\d+[.)])\s*")
ABBREVIATIONS = "".join(rf"(?<!\b{re.escape(a)})" for a in (
    "kl.", "ca.", "bl.a.", "f.eks.", "evt.", "inkl.", "min.", "nr.", "ref.", "mv.", "m.m.", "o.l.", "jf.", "iht.",
    "Kl.", "Ca.", "Ref.", "St.", "Dr.", "Mr.", "Ms.", "gr.", "Gr.", "gruppe."))  # "fagbrev gr. L": the electrician's group
SENTENCE_END = re.compile(r"(?<=[.!?])" + ABBREVIATIONS + r"\s+(?=[A-ZÆØÅ«\"'(])")
# Runs of spaces (with no-break spaces) stand for line breaks in texts scraped without them.
GLUED_BREAK = re.compile(r"[ \t\u00a0]{3,}|\u00a0\s")
PHYSICAL_BREAK = re.compile(r"(\n|" + GLUED_BREAK.pattern + ")")
TAIL_SPLIT = re.compile(r"[.!?#]\s*")
TAIL_OPENS_LIST = re.compile(r"(?:\bsom|\bmed|\bhar|\bkan|:)$", re.IGNORECASE)
# Line-level rules are pure functions of a line's text, and ads share many lines ('Vi tilbyr:', boilerplate):
# their results are cached per text.
LINE_CACHE = 32_768


@dataclass(frozen=True)
class Line:
    """A logical line of the ad (hard-wrapped continuations joined) with its role and section."""

    start: int
    end: int
    text: str
    is_heading: bool
    is_item: bool
    kind: str
    level: str


def strip_heading(text: str) -> str:
    """The words of a heading without bullets and the final colon."""
    return BULLET_RE.sub("", text.strip()).rstrip(":;").strip()


@lru_cache(maxsize=LINE_CACHE)
def classify_heading(text: str) -> str | None:
    """The section kind a heading names, or None when it names none we know."""
    clean = strip_heading(text)
    if not clean:
        return None
    for kind, pattern in HEADINGS:
        if pattern.search(clean):
            if kind == PERSONAL and _MERGED_QUALIFICATIONS.search(clean):
                return REQUIREMENTS
            return kind
    return None


@lru_cache(maxsize=LINE_CACHE)
def classify_introducer(text: str) -> str | None:
    """A sentence that introduces a list ('Det er en fordel dersom du:'): its cue words name the section."""
    clean = strip_heading(text)
    kind = classify_heading(clean)
    if kind in (OFFER, EMPLOYER, APPLY, WISHES, PERSONAL):
        return kind
    if INTRODUCER_PREFERRED.search(clean) and not GENERIC_PREFERENCE.search(clean):
        return PREFERRED
    if INTRODUCER_REQUIRED.search(clean):
        return REQUIREMENTS
    return kind


# A requirement written as a short line ("Erfaring fra elektrikerarbeid offshore", "Utdanning innen IKT") starts with
# a heading word but goes on with what is asked for: an item, not the start of a requirements section.
ITEM_NOT_HEADING = re.compile(
    r"^[\W\d_]*(?:relevant |god |gode |lang |noe )?(?:erfaring|utdanning|utdannelse|kompetanse|bakgrunn|"
    r"arbeidserfaring|kunnskap(?:er)?)\s+(?:fra|frå|med|innen|innan|i|som|på|av|within|with|from|in)\b",
    re.IGNORECASE)


# "Vi ser etter en selvstendig og initiativrik person", "Du må kunne norsk godt", "Arbeidsoppgavene vil være
# forskaling, armering og støping": a heading's cue words going on into a sentence make a content line.
SENTENCE_NOT_HEADING = re.compile(
    r"^(?:vi (?:ser etter|søker|søkjer|leter etter|krever|krev|forventer)|du (?:har|må|bør)|"
    r"arbeidsoppg(?:a|å)vene? (?:vil|vert|blir) (?:være|vere)|ansvar for)(?:\s+\S+){3,}$", re.IGNORECASE)
OPENS_A_LIST = re.compile(r"\b(?:som|med|har|kan|er)$", re.IGNORECASE)


@lru_cache(maxsize=LINE_CACHE)
def looks_like_heading(text: str) -> bool:
    """Lines ending with a colon, or short lines without a final full stop that name a known section."""
    stripped = text.strip()
    if not stripped or BULLET_RE.match(stripped) and not stripped[0].isalnum():
        return False
    words = stripped.split()
    if stripped.endswith((":", ";")) and len(words) <= 12:
        return True
    if len(words) > 8 or stripped.endswith((".", ",", "!")) or ITEM_NOT_HEADING.match(stripped):
        return False
    core = BULLET_RE.sub("", stripped)
    if SENTENCE_NOT_HEADING.match(core) and not OPENS_A_LIST.search(core):
        return False
    return classify_heading(stripped) is not None


def _is_continuation(previous: str, current: str) -> bool:
    """A hard-wrapped line: the previous one runs on and this one starts in lower case."""
    return (bool(previous) and not previous.rstrip().endswith((".", ":", "!", "?", ";"))
            and current[:1].islower() and not BULLET_RE.match(current))


def _physical_lines(text: str) -> list[tuple[int, int]]:
    """Non-empty stripped ranges between line breaks and runs of spaces that stand for line breaks."""
    out = []
    pos = 0
    for raw in PHYSICAL_BREAK.split(text):
        if raw and not raw.isspace():
            stripped = raw.strip()
            if stripped:
                start = pos + raw.index(stripped)
                out.append((start, start + len(stripped)))
        pos += len(raw)
    return out


def split_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of the logical lines: non-empty physical lines, wrapped continuations joined."""
    ranges: list[list[int]] = []
    previous = ""
    for start, end in _physical_lines(text):
        current = text[start:end]
        if ranges and _is_continuation(previous, current) and not looks_like_heading(previous):
            ranges[-1][1] = end
        else:
            ranges.append([start, end])
        previous = current
    return [(s, e) for s, e in ranges]


@lru_cache(maxsize=LINE_CACHE)
def inline_heading_kind(text: str) -> str | None:
    """'Krav: fagbrev ...' or 'Språk: Norsk' — a cue word and a colon before content on one line."""
    head, sep, rest = BULLET_RE.sub("", text).partition(":")
    if sep and rest.strip() and len(head.split()) <= 4:
        return classify_heading(head)
    return None


@lru_cache(maxsize=LINE_CACHE)
def trailing_introducer(text: str) -> str | None:
    """'Stillingen er ledig fra #Vi ønsker oss en nattevakt som': a line whose last words open a list."""
    tail = TAIL_SPLIT.split(text)[-1].strip()
    if len(tail.split()) > 10 or not TAIL_OPENS_LIST.search(tail):
        return None
    return classify_heading(tail) or (classify_introducer(tail) if tail.endswith(":") else None)


def section_level(kind: str, has_requirement_list: bool) -> str:
    """The requirement level a section gives its items before any cue word in the line."""
    if kind == REQUIREMENTS:
        return REQUIRED
    if kind == PREFERRED:
        return PREFERRED_LEVEL
    if kind == WISHES:
        return PREFERRED_LEVEL if has_requirement_list else REQUIRED
    return UNSPECIFIED


PERSONAL_PROSE = re.compile(r"^(?:som person|du er\b|i tillegg er du|du trives|du liker|du evner|du opptrer|"
                            r"vi leter etter deg som er|samtidig er det)", re.IGNORECASE)


@lru_cache(maxsize=LINE_CACHE)
def is_personal_prose(text: str) -> bool:
    """Running text that describes the person ('Som person er du strukturert ...'), not a requirement list."""
    return len(text.split()) >= 6 and bool(PERSONAL_PROSE.search(text.strip()))


# A sentence about the employer's own business ("Vi leverer prosjektering av VVS-anlegg", "Kommunen driv
# heimetenester", "Nordvik Elektro AS er en leverandør av ..."): not annotated, wherever it stands, unless it also
# speaks of the person sought.
BUSINESS_VERBS = "leverer|tilbyr|jobber|arbeider|driver|driv|produserer|eies|eigast|satser"
COMPANY_SUBJECT = re.compile(
    r"^\W*(?:vi|[A-ZÆØÅ][\w&\-]*(?:\s+[A-ZÆØÅ][\w&\-]*)*\s+(?:AS|ASA|SA|HF|IKS|KF|kommune|fylkeskommune)|"
    r"selskapet|firmaet|bedriften|konsernet|virksomheten|verksemda|kommunen|avdelingen|enheten|seksjonen)\b"
    rf"[^.!?\n]{{0,80}}?\b(?:er|var|har|{BUSINESS_VERBS}|består|utfører|holder|ligger|omfatter)\b", re.IGNORECASE)
ABOUT_THE_WORKER = re.compile(
    r"\b(?:du|deg|din|dine|ditt|søker|søkjer|søkes|ønsker|ønskjer|ynskjer|kandidat|person|personen|stillingen|"
    r"forutset|føreset|krav|you|your|ser etter|trenger|treng)\b", re.IGNORECASE)


# "AJL er et rådgivende ingeniørfirma med spisskompetanse innen VVS-teknikk", "Arrow ECS er en av Europas ledende
# IT-distributører": a name defined as a kind of business, though it carries no legal form.
COMPANY_IS_A = re.compile(
    r"^\W*(?-i:[A-ZÆØÅ][\w&\-]*(?:\s+(?:[A-ZÆØÅ][\w&\-]*|&))*)\s+er\s+(?:en|et|ei|ein|eit|blant|Norges|landets|"
    r"regionens|Nordens|Europas|verdens)\b[^.!?\n]{0,80}?(?:firma|selskap|bedrift|leverandør|konsern|aktør|"
    r"distributør|produsent|virksomhet|verksemd|organisasjon|kjede|forhandler|byrå|rederi|verft|grossist|importør|"
    r"entreprenør|institutt|konsulenthus|stasjon)", re.IGNORECASE)
# "AJL har god erfaring med ...", "ROAF jobber daglig med ...": an acronym name doing the business.
COMPANY_ACRONYM = re.compile(
    rf"^\W*(?-i:[A-ZÆØÅ]{{2,}}[A-ZÆØÅ0-9&\-]*)\s+(?:{BUSINESS_VERBS}|utvikler|har (?:god|lang|bred|solid) erfaring|"
    r"har spisskompetanse)\b", re.IGNORECASE)


@lru_cache(maxsize=LINE_CACHE)
def is_company_sentence(sentence: str) -> bool:
    """True for a sentence on what the employer is or does: ANNOTATION.md leaves the company's activities out."""
    return bool(COMPANY_SUBJECT.search(sentence) or COMPANY_IS_A.search(sentence) or COMPANY_ACRONYM.search(sentence)) \
        and not ABOUT_THE_WORKER.search(sentence)


def classify_lines(text: str) -> list[Line]:
    """Every logical line with its section kind and default requirement level."""
    raw: list[tuple[int, int, str, bool, bool, str]] = []
    inline: set[int] = set()
    section = INTRO
    for start, end in split_lines(text):
        line = text[start:end]
        heading = looks_like_heading(line)
        item = bool(BULLET_RE.match(line)) and not heading
        if heading:
            kind = classify_heading(line)
            if kind is None and line.rstrip().endswith((":", ";")):
                kind = classify_introducer(line)
            section = kind or section
            # "Utdanningskrav: Relevant bachelor, Teknisk fagskole": the label opens the section, the rest is content.
            labelled = inline_heading_kind(line) is not None
            if labelled:
                inline.add(start)
            raw.append((start, end, line, not labelled, False, section))
            continue
        kind = inline_heading_kind(line)
        if kind is not None and not item:
            inline.add(start)
            raw.append((start, end, line, False, False, kind))
            if kind in (TASKS, REQUIREMENTS, PERSONAL, WISHES, PREFERRED) and line.rstrip().endswith(":"):
                section = kind
            continue
        line_kind = REQUIREMENTS if section == OFFER and OFFER_LINE_REQUIRES.search(line) else section
        raw.append((start, end, line, False, item, line_kind))
        introduced = trailing_introducer(line) if not item else None
        if introduced is not None:
            section = introduced
    has_requirement_list = any(k == REQUIREMENTS for *_, k in raw)
    lines = []
    for s, e, t, h, i, k in raw:
        level = section_level(k, has_requirement_list)
        if k in (REQUIREMENTS, WISHES) and not i and not h and s not in inline and is_personal_prose(t):
            level = UNSPECIFIED  # 'Som person er du strukturert ...' under a requirements heading
        lines.append(Line(s, e, t, h, i, k, level))
    return lines


# "Vi tilbyr: ... Førerkort klasse BE er et krav": a requirement written among the offers is still a requirement.
OFFER_LINE_REQUIRES = re.compile(r"\ber (?:et|eit) krav\b|\bmå (?:du )?ha\b|\ber (?:en|ein) fordel\b|\bfordel med\b|"
                                 r"\bkrav (?:om|til)\b", re.IGNORECASE)
INLINE_LABEL = re.compile(r"^\W*[\w/ -]{2,30}:\s*\S")


def clause_around(sentence: str, start: int, end: int) -> tuple[str, int]:
    """The clause of a sentence holding [start, end) and the mention's offset in it.

    After an inline label ('Språk: engelsk flytende, norsk er en fordel') commas separate values with
    levels of their own; elsewhere a comma list shares its cue ('C#, .NET og F# er en fordel').
    """
    begin, stop = 0, len(sentence)
    breaks = CLAUSE_BREAK_WITH_COMMAS if INLINE_LABEL.search(sentence) else CLAUSE_BREAK
    for match in breaks.finditer(sentence):
        if match.end() <= start:
            begin = match.end()
        elif match.start() >= end:
            stop = match.start()
            break
    return sentence[begin:stop], start - begin


@lru_cache(maxsize=LINE_CACHE)
def _matches(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, text) of a cue pattern in a sentence; several mentions share one sentence."""
    return tuple((m.start(), m.end(), m.group(0)) for m in pattern.finditer(text))


def _cues(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Cue matches outside the mention itself ('som kreves' inside a mention is not a cue)."""
    return [m for m in _matches(pattern, text) if m[1] <= start or m[0] >= end]


def requirement_for(line: Line | str, sentence: str, offset: int | None = None, length: int = 0) -> str:
    """Requirement level of a mention: its line's section level, overridden by cue words near it.

    Only cues in the mention's own clause count ('Søkjarar må ha førarkort klasse BE, og førarkort
    klasse C er ønskjeleg'). Forward cues ('gjerne', 'helst', 'fortrinnsvis') only
    reach mentions after them, so 'Fagbrev, gjerne erfaring fra X' keeps the fagbrev REQUIRED. In task
    lists, 'må' and 'krav' describe the work, not the worker. A plain section kind may be passed instead
    of a Line (strategy texts have no lines).
    """
    kind = line.kind if isinstance(line, Line) else line
    level = line.level if isinstance(line, Line) else section_level(line, True)
    return _requirement(kind, level, sentence, offset, length)


@lru_cache(maxsize=LINE_CACHE)
def _requirement(kind: str, level: str, sentence: str, offset: int | None, length: int) -> str:
    """requirement_for on its inputs alone, cached: repeated ads and boilerplate repeat whole sentences."""
    start = offset if offset is not None else 0
    end = start + length
    scopes = [clause_around(sentence, start, end)] if offset is not None else [(sentence, 0)]
    for text, at in scopes:
        generic = bool(GENERIC_PREFERENCE.search(text))
        preferred = [m for m in _cues(PREFERRED_CUE, text, at, at + length) if not generic
                     and not (m[2].lower() in FORWARD_CUES and offset is not None and m[0] > at)]
        if preferred:
            return PREFERRED_LEVEL
        if kind != TASKS and _cues(REQUIRED_CUE, text, at, at + length) and not NOT_REQUIRED.search(text):
            return REQUIRED
        if _cues(SOFT_CUE, text, at, at + length):
            return UNSPECIFIED
    return level


@lru_cache(maxsize=LINE_CACHE)
def _sentence_breaks(line: str) -> tuple[int, ...]:
    """Offsets in a line where a new sentence starts (after SENTENCE_END), cached per line text."""
    return tuple(match.end() for match in SENTENCE_END.finditer(line))


class TokenBounds:
    """Every token's character start and length, to align characters to tokens without Token objects.

    expand() gives the token range doc.char_span(..., alignment_mode="expand") would: tokens are contiguous
    (each one's start is the previous one's end plus its trailing space), so the token holding a character
    is the last one starting at or before it.
    """

    __slots__ = ("starts", "lengths", "total")

    def __init__(self, doc: Doc) -> None:
        values = doc.to_array([IDX, LENGTH]).astype("int64") if len(doc) else np.zeros((0, 2), dtype="int64")
        self.starts: list[int] = values[:, 0].tolist()
        self.lengths: list[int] = values[:, 1].tolist()
        self.total = len(doc_text(doc))

    def token_at(self, char: int) -> int:
        """Index of the token whose text or trailing space holds the character, -1 outside the text."""
        if char < 0 or char >= self.total:
            return -1
        return bisect_right(self.starts, char) - 1

    def expand(self, doc: Doc, start_char: int, end_char: int) -> tuple[int, int] | None:
        """(start, end) tokens of doc.char_span(start_char, end_char, alignment_mode='expand'), or None."""
        start = self.token_at(start_char)
        if start < 0:
            return None
        end = self.token_at(end_char - 1)
        if end < 0:
            return None
        if start_char == self.starts[start] + self.lengths[start]:
            start += 1  # the trailing space is not part of the previous token
        if start > end + 1:  # spaCy refuses such a span; let it say so
            doc.char_span(start_char, end_char, alignment_mode="expand")
        return start, end + 1


class SectionTagger:
    """Sets sentence starts at line starts and records every token's logical line (for section and level)."""

    def __call__(self, doc: Doc) -> Doc:
        lines = classify_lines(doc_text(doc))
        # Plain lists, so docs still serialise (DocBin, multiprocessing) with the lines in user_data.
        doc.user_data[LINES_KEY] = [[ln.start, ln.end, ln.text, ln.is_heading, ln.is_item, ln.kind, ln.level]
                                    for ln in lines]
        if not len(doc):
            doc.user_data[TOKEN_LINE_KEY] = []
            return doc
        idx = doc.to_array("IDX")
        line_starts = np.asarray([line.start for line in lines], dtype="int64")
        token_line = np.searchsorted(line_starts, idx, side="right") - 1
        doc.user_data[TOKEN_LINE_KEY] = token_line.tolist()
        bounds = TokenBounds(doc)
        starts = np.full(len(doc), -1, dtype="int64")
        starts[0] = 1
        sections = []
        for line in lines:
            span = bounds.expand(doc, line.start, line.end)
            if span is None or span[1] <= span[0]:
                continue
            starts[span[0]] = 1
            for at in _sentence_breaks(line.text):  # sentences within a line
                inner = bounds.expand(doc, line.start + at, line.start + at + 1)
                if inner is not None and inner[0] > span[0]:
                    starts[inner[0]] = 1
            sections.append(Span(doc, span[0], span[1], label=line.kind))
        doc.from_array([SENT_START], starts.reshape(-1, 1).astype("uint64"))
        doc.spans["sections"] = sections
        return doc


# Texts of the docs seen, by Doc (weakly: an entry goes with its Doc). A Doc's characters never change, but
# its text is rebuilt token by token on every doc.text; sections, requirement levels and the extractor's
# mention texts all need it, so it is built once. The token count guards against a Doc refilled in place.
_TEXTS: weakref.WeakKeyDictionary[Doc, tuple[int, str]] = weakref.WeakKeyDictionary()


def doc_text(doc: Doc) -> str:
    """doc.text, built once per Doc (see _TEXTS)."""
    cached = _TEXTS.get(doc)
    if cached is not None and cached[0] == len(doc):
        return cached[1]
    text = doc.text
    _TEXTS[doc] = (len(doc), text)
    return text


def remember_text(doc: Doc, text: str) -> None:
    """Record the text a tokenizer made the doc from (tokenizers keep every character), for doc_text."""
    _TEXTS[doc] = (len(doc), text)


LINES_KEY = "radar_lines"
TOKEN_LINE_KEY = "radar_token_line"


def lines_of(doc: Doc) -> list[Line]:
    """The logical lines the section tagger found (empty before it ran)."""
    rows = doc.user_data.get(LINES_KEY) or []
    return [Line(int(s), int(e), str(t), bool(h), bool(i), str(k), str(lv)) for s, e, t, h, i, k, lv in rows]


def line_of(token: Token) -> Line | None:
    """The logical line a token is on (None before the section tagger ran)."""
    return line_at(token.doc, token.i)


def line_at(doc: Doc, token_index: int) -> Line | None:
    """The logical line of the doc's token at token_index (None before the section tagger ran)."""
    rows = doc.user_data.get(LINES_KEY)
    index = doc.user_data.get(TOKEN_LINE_KEY)
    if not rows or index is None:
        return None
    n = int(index[token_index])
    if n < 0:
        return None
    return _line(*rows[n])


@lru_cache(maxsize=LINE_CACHE)
def _line(s: int, e: int, t: str, h: bool, i: bool, k: str, lv: str) -> Line:
    """A stored line row as a Line; every mention asks for its line twice, and Lines are immutable."""
    return Line(int(s), int(e), str(t), bool(h), bool(i), str(k), str(lv))


def _section_of(token: Token) -> str:
    line = line_of(token)
    return line.kind if line is not None else INTRO


def _is_heading(token: Token) -> bool:
    line = line_of(token)
    return bool(line and line.is_heading)


if not Token.has_extension("section"):
    Token.set_extension("section", getter=_section_of)
if not Token.has_extension("is_heading"):
    Token.set_extension("is_heading", getter=_is_heading)


@Language.factory("radar_sections")
def make_section_tagger(nlp: Language, name: str) -> SectionTagger:
    """Factory for the section tagger (no settings: rules are data in this module)."""
    return SectionTagger()


def sentence_starts(doc: Doc) -> np.ndarray:
    """Token indices where sentences start (computed once per doc; Token.sent walks back token by token)."""
    if not len(doc) or not doc.has_annotation("SENT_START"):
        return np.zeros(1, dtype="int64")
    return np.flatnonzero(doc.to_array(SENT_START).astype("int64") == 1)


def sentence_around(doc: Doc, start_char: int, end_char: int, starts: np.ndarray | None = None) -> tuple[str, int]:
    """The sentence holding a character span and the span's offset in it (the whole text when unsegmented)."""
    span = doc.char_span(start_char, end_char, alignment_mode="expand")
    return span_sentence(doc, span, start_char, starts)


def span_sentence(doc: Doc, span: Span | None, start_char: int,
                  starts: np.ndarray | None) -> tuple[str, int]:
    """sentence_around for a span already aligned to tokens: the sentence is sliced from the doc's text
    (built once per doc) instead of rebuilt from a Token object per word; start_char gives the offset."""
    if span is None or not len(span) or not doc.has_annotation("SENT_START"):
        return doc_text(doc), start_char
    starts = sentence_starts(doc) if starts is None else starts
    n = int(np.searchsorted(starts, span.start, side="right")) - 1
    first = int(starts[max(n, 0)])
    last = int(starts[n + 1]) if n + 1 < len(starts) else len(doc)
    if first >= last:  # a span before the first sentence start: spaCy's empty-span conventions apply
        sent = doc[first:last]
        return sent.text, start_char - sent.start_char
    begin, final = doc[first].idx, doc[last - 1]
    return doc_text(doc)[begin:final.idx + len(final)], start_char - begin


def requirement_of(doc: Doc, start_char: int, end_char: int, starts: np.ndarray | None = None) -> str:
    """Requirement level of the mention at these offsets, from its line's section and its sentence's cues."""
    span = doc.char_span(start_char, end_char, alignment_mode="expand")
    line = line_at(doc, span.start) if span is not None and len(span) else None
    sentence, offset = span_sentence(doc, span, start_char, starts)
    return requirement_for(line or INTRO, sentence, offset, end_char - start_char)
