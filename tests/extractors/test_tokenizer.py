"""Tokenizer rules: every annotated span of ANNOTATION.md must start and end on a token boundary."""

from __future__ import annotations

import pytest

from extractors.pipeline import build_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline("nb")


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Erfaring med C#, F# og .NET.", ["Erfaring", "med", "C#", ",", "F#", "og", ".NET", "."]),
        ("Kunnskap om C++ og ASP.NET", ["Kunnskap", "om", "C++", "og", "ASP.NET"]),
        ("Førerkort kl. B.", ["Førerkort", "kl.", "B", "."]),
        ("Du har gruppe L.", ["Du", "har", "gruppe", "L", "."]),
        ("fagbrev/svennebrev som tømrer", ["fagbrev", "/", "svennebrev", "som", "tømrer"]),
        ("Gode samarbeids- og kommunikasjonsevner", ["Gode", "samarbeids", "-", "og", "kommunikasjonsevner"]),
        ("drift av Microsoft 365-løsninger", ["drift", "av", "Microsoft", "365", "-", "løsninger"]),
        ("Truckførerbevis T4.", ["Truckførerbevis", "T4", "."]),
        ("sertifikat etter NS-EN ISO 9606-1.", ["sertifikat", "etter", "NS-EN", "ISO", "9606-1", "."]),
        ("Teknisk overvåking/ styring", ["Teknisk", "overvåking", "/", "styring"]),
        ("Ledererfaring /utdanning", ["Ledererfaring", "/", "utdanning"]),
        ("•Sveising\n▪ Montasje", ["•", "Sveising", "\n", "▪", "Montasje"]),
        ("HMS-kort og Python-programmering", ["HMS-kort", "og", "Python-programmering"]),
    ],
)
def test_job_ad_tokens(nlp, text: str, tokens: list[str]) -> None:
    assert [t.text for t in nlp.make_doc(text)] == tokens


def test_tokenization_keeps_every_character(nlp) -> None:
    text = "Krav:\n- C#/.NET\n- Førerkort kl. BE.\n\n• Fagbrev/svennebrev  "
    assert nlp.make_doc(text).text == text


def test_rules_survive_serialisation(nlp, tmp_path) -> None:
    nlp.tokenizer.to_disk(tmp_path / "tokenizer")
    fresh = build_pipeline("nb")
    fresh.tokenizer.from_disk(tmp_path / "tokenizer")
    assert [t.text for t in fresh.make_doc("C# og kl. B.")] == ["C#", "og", "kl.", "B", "."]


def test_the_tokenizer_hands_its_text_to_the_section_steps(nlp) -> None:
    from extractors.components.sections import _TEXTS, doc_text

    text = "Kvalifikasjoner:\n• Fagbrev\u00a0elektriker  \n- C#, .NET og kl. B førerkort."
    doc = nlp.make_doc(text)
    assert _TEXTS.get(doc) == (len(doc), text)  # recorded by the tokenizer, not rebuilt from tokens
    assert doc_text(nlp(text)) == text
