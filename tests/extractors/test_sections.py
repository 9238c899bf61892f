"""Sections and requirement levels, as ANNOTATION.md and the annotation guidelines define them."""

from __future__ import annotations

import pytest

from extractors.components.sections import (
    APPLY,
    EMPLOYER,
    INTRO,
    OFFER,
    PERSONAL,
    PREFERRED,
    REQUIREMENTS,
    TASKS,
    WISHES,
    classify_heading,
    classify_lines,
    is_company_sentence,
    looks_like_heading,
    requirement_of,
    split_lines,
)
from extractors.pipeline import build_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline("nb")


@pytest.fixture(scope="module")
def nlp_nn():
    return build_pipeline("nn")


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Arbeidsoppgaver:", TASKS), ("Arbeidsoppgåver", TASKS), ("Dine hovedarbeidsoppgaver:", TASKS),
        ("Kvalifikasjoner", REQUIREMENTS), ("Kvalifikasjonar", REQUIREMENTS), ("Formelle kvalifikasjoner", REQUIREMENTS),
        ("Hva vi ser etter", REQUIREMENTS), ("Vi søker deg som", REQUIREMENTS), ("Utdanningsnivå", REQUIREMENTS),
        ("Språk", REQUIREMENTS), ("Kvalifikasjoner og personlige egenskaper", REQUIREMENTS),
        ("You are meant for this job if", REQUIREMENTS),
        ("Ønskede kvalifikasjoner:", WISHES), ("Vi ønsker oss en nattevakt som", WISHES),
        ("Det er en fordel om du har:", PREFERRED), ("Ønskelig:", PREFERRED),
        ("Personlige egenskaper", PERSONAL), ("Personlege eigenskapar", PERSONAL), ("Hvem er du?", PERSONAL),
        ("Vi tilbyr", OFFER), ("Vi kan tilby:", OFFER), ("Hos oss får du:", OFFER), ("Lønn", OFFER),
        ("Om oss", EMPLOYER), ("Om bedriften", EMPLOYER), ("Om Equinor", EMPLOYER), ("OM TOPTEMP", EMPLOYER),
        ("Om stillingen", TASKS), ("Om jobben:", TASKS), ("Om deg", PERSONAL),
        ("Du som søker:", REQUIREMENTS), ("Hos oss vil du få jobbe med:", TASKS), ("I tillegg er du;", PERSONAL),
        ("Ansvarsområder:", TASKS), ("Ansvar og oppgaver", TASKS), ("Ansvarsbevist og pliktoppfyllende", None),
        ("Søknadsfrist: 1. mars", APPLY), ("Kontaktinformasjon", APPLY), ("Slik søkjer du", APPLY),
    ],
)
def test_classify_heading(heading: str, kind: str | None) -> None:
    assert classify_heading(heading) == kind


def test_item_lines_are_not_headings() -> None:
    lines = classify_lines("Arbeidsoppgaver\n- Fleksibel til arbeidsoppgaver og løsningsorientert\nVi tilbyr\n- Lønn")
    assert [(ln.is_heading, ln.kind) for ln in lines] == [(True, TASKS), (False, TASKS), (True, OFFER), (False, OFFER)]


def test_a_label_with_content_opens_its_section_and_is_content() -> None:
    lines = classify_lines("Utdanningskrav: Relevant bachelor, Teknisk fagskole eller lignende\n- Førerkort klasse B\n"
                           "Arbeidsgiver: Harstad Kulturhus")
    assert [(ln.is_heading, ln.kind) for ln in lines] == [(False, REQUIREMENTS), (False, REQUIREMENTS),
                                                          (False, EMPLOYER)]


@pytest.mark.parametrize("line, heading", [
    ("Vi ser etter en selvstendig og initiativrik person", False), ("→ Du har god gjennomføringsevne", False),
    ("5. Du må kunne sikkerhetsklareres til KONFIDENSIELT", False),
    ("Arbeidsoppgavene vil være forskaling, armering og støping", False),
    ("Vi søker deg som", True), ("Vi ser etter deg som har", True), ("Du har", True), ("Kvalifikasjoner", True),
])
def test_a_heading_cue_running_on_into_a_sentence_is_content(line: str, heading: bool) -> None:
    assert looks_like_heading(line) is heading


def test_a_requirement_among_the_offers_is_a_requirement() -> None:
    lines = classify_lines("Vi tilbyr:\n- Konkurransedyktig lønn\nFørerkort klasse BE er et krav\n- Pensjon")
    assert [ln.kind for ln in lines] == [OFFER, OFFER, REQUIREMENTS, OFFER]


def test_short_requirement_and_task_lines_do_not_open_sections() -> None:
    text = ("Arbeidsoppgaver\nPersonlig stell og praktisk bistand\nPersonaloppfølging\n"
            "Ønskede kvalifikasjoner\nFagbrev elektriker\nErfaring fra elektrikerarbeid offshore\nUtdanning innen IKT")
    lines = classify_lines(text)
    assert [ln.is_heading for ln in lines] == [True, False, False, True, False, False, False]
    assert [ln.kind for ln in lines] == [TASKS, TASKS, TASKS, WISHES, WISHES, WISHES, WISHES]


def test_hard_wrapped_lines_are_joined_and_glued_lines_split() -> None:
    text = "- Relevante sertifiseringer\nvil være en fordel\nArbeidsoppgaver   Kvalifikasjoner"
    spans = [text[s:e] for s, e in split_lines(text)]
    assert spans == ["- Relevante sertifiseringer\nvil være en fordel", "Arbeidsoppgaver", "Kvalifikasjoner"]


def test_sections_and_sentences(nlp) -> None:
    doc = nlp("Om oss\nVi er et firma. Vi leverer sveising.\nKvalifikasjoner:\n- Fagbrev\nVi tilbyr\n- Pensjon")
    assert [(s.text.strip(), s[0]._.section) for s in doc.sents] == [
        ("Om oss", EMPLOYER), ("Vi er et firma.", EMPLOYER), ("Vi leverer sveising.", EMPLOYER),
        ("Kvalifikasjoner:", REQUIREMENTS), ("- Fagbrev", REQUIREMENTS), ("Vi tilbyr", OFFER), ("- Pensjon", OFFER)]
    assert [s.label_ for s in doc.spans["sections"]][:2] == [EMPLOYER, EMPLOYER]


def test_abbreviations_do_not_end_sentences(nlp) -> None:
    doc = nlp("Du har førerkort kl. B. Vi ønsker bl.a. Excel. Fagbrev som elektriker gr. L er et krav.")
    assert [s.text.strip() for s in doc.sents] == ["Du har førerkort kl. B.", "Vi ønsker bl.a. Excel.",
                                                   "Fagbrev som elektriker gr. L er et krav."]


def level(nlp, text: str, mention: str, nth: int = 0) -> str:
    start = -1
    for _ in range(nth + 1):
        start = text.index(mention, start + 1)
    return requirement_of(nlp(text), start, start + len(mention))


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("Kvalifikasjoner:\n- Fagbrev som elektriker\n- Erfaring fra SAP er ønskelig", "Fagbrev", "REQUIRED"),
        ("Kvalifikasjoner:\n- Fagbrev som elektriker\n- Erfaring fra SAP er ønskelig", "SAP", "PREFERRED"),
        ("Arbeidsoppgaver\n- Feilsøking og service", "Feilsøking", "UNSPECIFIED"),
        ("Personlige egenskaper\n- Selvstendig", "Selvstendig", "UNSPECIFIED"),
        ("Du må ha truckførerbevis.", "truckførerbevis", "REQUIRED"),
        ("Det er en fordel med erfaring fra Revit.", "Revit", "PREFERRED"),
        ("Erfaring med prosjektledelse, gjerne med PRINCE2-sertifisering.", "prosjektledelse", "UNSPECIFIED"),
        ("Erfaring med prosjektledelse, gjerne med PRINCE2-sertifisering.", "PRINCE2-sertifisering", "PREFERRED"),
        ("Søkjarar må ha førarkort klasse BE, og førarkort klasse C er ønskjeleg.", "førarkort klasse BE", "REQUIRED"),
        ("Søkjarar må ha førarkort klasse BE, og førarkort klasse C er ønskjeleg.", "førarkort klasse C", "PREFERRED"),
        ("Kvalifikasjoner\nDu bør være strukturert.", "strukturert", "UNSPECIFIED"),
        ("Kvalifikasjoner\n- Sveising\nSom person er du nøyaktig og ryddig i alt du gjør.", "nøyaktig", "UNSPECIFIED"),
        ("Arbeidsoppgaver\n- Delta i prosjektarbeid når nødvendig", "prosjektarbeid", "UNSPECIFIED"),
        ("Ønskede kvalifikasjoner:\n- Fagbrev som kokk", "Fagbrev", "REQUIRED"),
        ("Kvalifikasjoner:\n- Fagbrev\nØnskede kvalifikasjoner:\n- Fagbrev som kokk", "Fagbrev", "PREFERRED", ),
        ("Det er en fordel dersom du:\nHar erfaring fra kjøkken", "kjøkken", "PREFERRED"),
        ("Kvalifikasjoner:\n- Personlig egnethet vektlegges\n- Sveising", "Sveising", "REQUIRED"),
        ("Krav: fagbrev og HMS-kort", "HMS-kort", "REQUIRED"),
        ("Utdanningsnivå: høyskole, master er ønskelig, men ikke et krav", "høyskole", "REQUIRED"),
    ],
)
def test_requirement_levels(nlp, text: str, mention: str, expected: str) -> None:
    nth = 1 if text.count(mention) > 1 and expected == "PREFERRED" and mention == "Fagbrev" else 0
    assert level(nlp, text, mention, nth) == expected


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("Kvalifikasjonar\n- Fagbrev som elektrikar\n- Det er ønskjeleg med erfaring frå Visma", "Visma", "PREFERRED"),
        ("Kvalifikasjonar\n- Fagbrev som elektrikar", "Fagbrev", "REQUIRED"),
        ("Arbeidsoppgåver\n- Drift av IKT-systema", "Drift", "UNSPECIFIED"),
        ("Du har gjerne erfaring som tømrar, og fagbrev i tømrarfaget er eit krav.", "fagbrev", "REQUIRED"),
    ],
)
def test_requirement_levels_nynorsk(nlp_nn, text: str, mention: str, expected: str) -> None:
    assert level(nlp_nn, text, mention) == expected


def test_intro_before_any_heading(nlp) -> None:
    doc = nlp("Vi søker en elektriker med fagbrev.")
    assert doc[0]._.section == INTRO


@pytest.mark.parametrize("sentence, company", [
    ("Vi leverer prosjektering av VVS-anlegg og energirådgivning til næringsbygg.", True),
    ("Nordvik Elektro AS er en leverandør av automasjon og elektroinstallasjoner.", True),
    ("Kommunen driv heimetenester og sjukeheim med tverrfagleg samarbeid.", True),
    ("Vi søker en elektriker med erfaring innen automasjon.", False),
    ("Vi har behov for deg som kan prosjektering av VVS-anlegg.", False),
    ("Du har erfaring med prosjektering.", False),
    ("Erfaring med prosjektering er en fordel.", False),
    ("Brekke VVS er et rådgivende ingeniørfirma med spisskompetanse innen energirådgivning.", True),
    ("NRV har lang erfaring med prosjektering av avløpsanlegg.", True),
    ("Fagbrev er et krav.", False),
    ("HMS er en viktig del av hverdagen.", False),
    ("Excel er et verktøy vi bruker mye.", False),
])
def test_company_sentences_are_told_from_sentences_about_the_worker(sentence: str, company: bool) -> None:
    assert is_company_sentence(sentence) is company
