"""Mojibake repair: double-encoded ads read as Norwegian again, and every offset still points into the input."""

from __future__ import annotations

import pytest

from extractors.extract import Extractor
from extractors.mojibake import repair_mojibake

CLEAN = ("Vi søker en tømrer til våre prosjekter på Østlandet.\n"
         "Kvalifikasjoner:\n- Fagbrev som tømrer\n- Førerkort klasse B\n- Gode norskkunnskaper, både muntlig og skriftlig\n"
         "- Du er selvstendig og nøyaktig\n")


def double_encoded(text: str) -> str:
    """What a UTF-8 ad looks like after a system read it as cp1252 (the HR-XML ads in ../shared/data)."""
    return text.encode("utf-8").decode("cp1252")


def test_double_encoded_text_is_repaired_and_spans_map_back() -> None:
    broken = double_encoded(CLEAN)
    assert "Ã¸" in broken
    repair = repair_mojibake(broken)
    assert repair.changed and repair.text == CLEAN
    for word in ("tømrer", "Førerkort", "norskkunnskaper", "nøyaktig", "Østlandet", "Kvalifikasjoner"):
        i = CLEAN.index(word)
        start, end = repair.original_span(i, i + len(word))
        assert broken[start:end] == double_encoded(word)


def test_clean_text_is_left_alone() -> None:
    for text in (CLEAN, "", "Ã er en bokstav i «Ãrsrapport»?", "C# og .NET – «gode» evner"):
        repair = repair_mojibake(text)
        assert repair.text == text and not repair.changed
        assert repair.original_span(0, len(text)) == (0, len(text))


def test_only_the_broken_line_changes() -> None:
    text = "Krav: bÃ¦rekraft og mattrygghet\nUendret linje med æ, ø og å.\n"
    repair = repair_mojibake(text)
    assert repair.text == "Krav: bærekraft og mattrygghet\nUendret linje med æ, ø og å.\n"
    i = repair.text.index("Uendret")
    assert repair.original_span(i, i + 7) == (text.index("Uendret"), text.index("Uendret") + 7)


@pytest.fixture(scope="module")
def rules_only() -> Extractor:
    return Extractor.load(use_span_model=False, use_linker=False)


def test_extraction_of_a_double_encoded_ad_matches_the_clean_one(rules_only: Extractor) -> None:
    broken = double_encoded(CLEAN)
    clean = [(m.type, m.requirement, m.concept_id, m.text) for m in rules_only.extract(CLEAN)]
    got = rules_only.extract(broken)
    assert len(clean) >= 4
    assert [(m.type, m.requirement, m.concept_id, m.text) for m in got] == [
        (t, r, c, double_encoded(x)) for t, r, c, x in clean]
    for m in got:
        assert broken[m.start:m.end] == m.text
