"""Scoring by ANNOTATION.md: overlap (lenient) vs identical (strict), with and without type, one-to-one."""

from __future__ import annotations

import pytest

from extractors.evaluate import Span, as_span, format_report, match, score


def m(start: int, end: int, type_: str = "SKILL", req: str = "UNSPECIFIED") -> dict:
    return {"start": start, "end": end, "type": type_, "requirement": req}


def test_exact_match_counts_in_every_mode() -> None:
    report = score({"a": [m(0, 5)]}, {"a": [m(0, 5)]})
    for mode in ("lenient", "strict", "lenient_typed", "strict_typed"):
        assert (report.modes[mode].tp, report.modes[mode].fp, report.modes[mode].fn) == (1, 0, 0)
    assert report.modes["strict"].f1 == 1.0


def test_overlap_is_lenient_only() -> None:
    report = score({"a": [m(0, 10)]}, {"a": [m(5, 15)]})
    assert report.modes["lenient"].tp == 1
    assert (report.modes["strict"].tp, report.modes["strict"].fp, report.modes["strict"].fn) == (0, 1, 1)


def test_touching_spans_do_not_overlap() -> None:
    assert score({"a": [m(0, 5)]}, {"a": [m(5, 9)]}).modes["lenient"].tp == 0


def test_type_matters_only_in_typed_modes() -> None:
    report = score({"a": [m(0, 5, "SOFT")]}, {"a": [m(0, 5, "SKILL")]})
    assert report.modes["strict"].tp == 1 and report.modes["strict_typed"].tp == 0
    assert report.type_accuracy == 0.0


def test_one_prediction_over_two_references_is_one_match() -> None:
    # 'samarbeids- og kommunikasjonsevner' as one predicted span against two reference mentions
    report = score({"a": [m(0, 10), m(14, 33)]}, {"a": [m(0, 33)]})
    c = report.modes["lenient"]
    assert (c.tp, c.fp, c.fn) == (1, 0, 1)
    assert c.precision == 1.0 and c.recall == 0.5


def test_matching_is_maximal_not_greedy() -> None:
    # greedy would pair the long prediction with the first reference and leave the second unmatched
    ref = [Span(0, 10, "SKILL"), Span(12, 20, "SKILL")]
    pred = [Span(0, 20, "SKILL"), Span(0, 5, "SKILL")]
    assert len(match(ref, pred, strict=False, typed=False)) == 2


def test_micro_average_over_documents_and_missing_predictions() -> None:
    report = score({"a": [m(0, 5), m(6, 9)], "b": [m(0, 3)]}, {"a": [m(0, 5), m(20, 25)]})
    c = report.modes["lenient"]
    assert (c.tp, c.fp, c.fn) == (1, 1, 2)
    assert c.precision == pytest.approx(0.5) and c.recall == pytest.approx(1 / 3)
    assert c.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert report.documents == 2


def test_requirement_accuracy_on_lenient_matches() -> None:
    report = score({"a": [m(0, 5, req="REQUIRED"), m(10, 15, req="PREFERRED"), m(30, 35)]},
                   {"a": [m(0, 5, req="REQUIRED"), m(11, 15, req="REQUIRED")]})
    assert report.requirement_matched == 2 and report.requirement_accuracy == 0.5


def test_per_type_scores() -> None:
    report = score({"a": [m(0, 5, "LANGUAGE"), m(10, 15, "SOFT")]}, {"a": [m(0, 5, "LANGUAGE"), m(10, 15, "SKILL")]})
    assert report.per_type["LANGUAGE"]["strict"].f1 == 1.0
    assert report.per_type["SOFT"]["lenient"].recall == 0.0
    assert report.per_type["SKILL"]["lenient"].precision == 0.0


def test_empty_reference_document_counts_false_positives() -> None:
    c = score({"taxi": []}, {"taxi": [m(0, 4)]}).modes["lenient"]
    assert (c.tp, c.fp, c.fn) == (0, 1, 0) and c.precision == 0.0 and c.f1 == 0.0


def test_report_text_and_dict() -> None:
    report = score({"a": [m(0, 5)]}, {"a": [m(0, 5)]})
    text = format_report(report, "title")
    assert "lenient_typed" in text and "requirement accuracy" in text and "LANGUAGE" in text
    assert report.as_dict()["strict"]["f1"] == 1.0


def test_as_span_accepts_objects() -> None:
    class Obj:
        start, end, type, requirement, text = 1, 4, "SOFT", "REQUIRED", "abc"

    assert as_span(Obj()) == Span(1, 4, "SOFT", "REQUIRED", "abc")
