"""The Extractor end to end on the team's own sentences, and the edges: empty, huge, English, unlinked."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from extractors.corpus import load_examples
from extractors.evaluate import score
from extractors.extract import LINKED, UNMAPPED, Extractor, Mention, chunks, default_sigterm, link_mentions
from models.linker import Link

ANNOTATIONS = Path(__file__).resolve().parents[2] / "extractors" / "annotations"


@pytest.fixture(scope="module")
def rules_only() -> Extractor:
    return Extractor.load(use_span_model=False, use_linker=False)


def test_nb_sentences_with_the_rule_pipeline(rules_only: Extractor) -> None:
    examples = load_examples(ANNOTATIONS / "nb_sentences.jsonl")
    pred = {i: [m.as_dict() for m in ms] for i, ms in rules_only.extract_many((e.id, e.text, e.lang) for e in examples)}
    report = score({e.id: e.mentions for e in examples}, pred)
    assert report.modes["lenient"].f1 >= 0.85
    assert report.requirement_accuracy >= 0.9


def test_nn_sentences_go_through_the_nynorsk_pipeline(rules_only: Extractor) -> None:
    examples = load_examples(ANNOTATIONS / "nn_sentences.jsonl")
    assert {e.lang for e in examples} == {"nn"}
    pred = {i: [m.as_dict() for m in ms] for i, ms in rules_only.extract_many((e.id, e.text, "nn") for e in examples)}
    report = score({e.id: e.mentions for e in examples}, pred)
    assert report.modes["lenient"].f1 >= 0.85


def test_mentions_carry_offsets_type_level_and_concept(rules_only: Extractor) -> None:
    text = "Kvalifikasjoner:\n- Fagbrev som elektriker\n- Gode samarbeids- og kommunikasjonsevner\nVi tilbyr\n- Pensjon"
    got = {(m.text, m.type, m.requirement) for m in rules_only.extract(text)}
    assert ("Fagbrev som elektriker", "QUALIFICATION", "REQUIRED") in got
    assert ("samarbeids", "SOFT", "REQUIRED") in got and ("kommunikasjonsevner", "SOFT", "REQUIRED") in got
    for m in rules_only.extract(text):
        assert text[m.start:m.end] == m.text and m.concept_id and m.method.startswith("lexicon")


def test_offers_and_headings_are_not_annotated(rules_only: Extractor) -> None:
    assert rules_only.extract("Vi tilbyr\n- Faglig utvikling og kurs i Excel") == []


def test_the_working_language_counts_wherever_the_ad_names_it(rules_only: Extractor) -> None:
    text = "Vi tilbyr\n- Fast stilling\nVi nyttar nynorsk i skriftleg kommunikasjon.\n- Kurs i Excel"
    assert [(m.text, m.type) for m in rules_only.extract(text, "nn")] == [("nynorsk", "LANGUAGE")]


def test_empty_english_and_other_texts(rules_only: Extractor) -> None:
    assert rules_only.extract("") == []
    assert rules_only.extract("   \n ") == []
    english = rules_only.extract("Requirements:\n- Fluent English\n- Experience with Python and SQL")
    assert {"English", "Python", "SQL"} <= {m.text for m in english}
    assert rules_only.extract("Wir suchen einen Mitarbeiter für unser Büro.") == []


def test_huge_text_is_processed_in_chunks_with_offsets_kept(rules_only: Extractor) -> None:
    line = "Kvalifikasjoner: truckførerbevis og gode samarbeidsevner.\n"
    text = line * (1_000_000 // len(line) + 1)
    assert len(text) > 1_000_000
    pieces = chunks(text)
    assert "".join(p for _, p in pieces) == text and all(len(p) <= 50_000 for _, p in pieces)
    mentions = rules_only.extract(text)
    assert len(mentions) == 2 * text.count("\n")
    assert all(text[m.start:m.end] == m.text for m in mentions[-5:])


def test_link_mentions_fills_or_marks_unmapped() -> None:
    class FakeLinker:
        def link(self, texts):
            return [Link("esco:x", "welding", 0.9, "esco:en", "welding") if t == "sveiseteknikk" else None for t in texts]

    base = dict(start=0, end=1, type="SKILL", requirement="UNSPECIFIED", concept_label=None, score=0.7, method="span-model")
    groups = [[Mention(text="sveiseteknikk", concept_id=None, **base), Mention(text="Excel", concept_id="c:excel", **base)],
              [Mention(text="flott ting", concept_id=None, **base)]]
    link_mentions(FakeLinker(), groups)
    assert (groups[0][0].concept_id, groups[0][0].method, groups[0][0].score) == ("esco:x", LINKED, 0.9)
    assert groups[0][1].concept_id == "c:excel" and groups[0][1].method == "span-model"
    assert (groups[1][0].concept_id, groups[1][0].method) == (None, UNMAPPED)


def test_the_link_memo_spares_the_linker_repeated_texts_and_changes_no_link() -> None:
    class CountingLinker:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def link(self, texts):
            self.asked += texts
            return [Link("esco:x", "welding", 0.9, "esco:en", "welding") if t == "sveiseteknikk" else None for t in texts]

    base = dict(start=0, end=1, type="SKILL", requirement="UNSPECIFIED", concept_label=None, score=0.7, method="span-model")

    def batch() -> list[list[Mention]]:
        return [[Mention(text="sveiseteknikk", concept_id=None, **base), Mention(text="flott ting", concept_id=None, **base)]]

    linker, memo = CountingLinker(), {}
    first, second, plain = batch(), batch(), batch()
    link_mentions(linker, first, memo)
    link_mentions(linker, second, memo)
    link_mentions(CountingLinker(), plain)
    assert sorted(linker.asked) == ["flott ting", "sveiseteknikk"]  # the second batch came from the memo
    assert first == second == plain


def test_missing_parts_are_logged_and_extraction_goes_on(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="extractors.extract"):
        extractor = Extractor.load(span_model_root=tmp_path / "none", models_dir=None)
    assert "span model not used" in caplog.text and "linker off" in caplog.text
    assert extractor.linker is None and extractor.span_model is None
    assert [m.text for m in extractor.extract("Du må ha truckførerbevis.")] == ["truckførerbevis"]


def test_no_linker_artefact_turns_the_linker_off_with_the_fix(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="extractors.extract"):
        extractor = Extractor.load(use_span_model=False, models_dir=tmp_path)
    assert extractor.linker is None and "radar train-extract linker" in caplog.text


def test_unbuildable_encoder_turns_the_linker_off(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "artefacts" / "linker").mkdir(parents=True)
    (tmp_path / "artefacts" / "linker" / "CURRENT").write_text("some-version\n")
    with caplog.at_level(logging.WARNING, logger="extractors.extract"):
        extractor = Extractor.load(use_span_model=False, models_dir=tmp_path, encoder=str(tmp_path / "no-such-model"))
    assert extractor.linker is None and "encoder could not be built" in caplog.text
    assert extractor.extract("Du må ha truckførerbevis.")[0].concept_id == "radar:truckforerbevis"


def test_a_linker_built_from_another_lexicon_says_how_to_rebuild(caplog: pytest.LogCaptureFixture, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from extractors.encoder import Encoder
    from models.linker import Linker, Target, Trial, choose_threshold, save_linker

    class OneHot:
        model_id = "one-hot@1"

        def encode(self, texts, *, kind="query"):
            return np.eye(4, dtype=np.float32)[[len(t) % 4 for t in texts]]

    enc = OneHot()
    linker = Linker(enc, [Target("sveising", "c:weld", "sveising", "lexicon")], enc.encode(["sveising"]), 0.9)
    save_linker(tmp_path / "artefacts", linker, choose_threshold([Trial("a", 0.6, True, 0.3)]),
                data={"lexicon": "lexicon-000000000000"})
    monkeypatch.setattr(Encoder, "load", classmethod(lambda cls, *a, **k: enc))
    with caplog.at_level(logging.WARNING, logger="extractors.extract"):
        extractor = Extractor.load(use_span_model=False, models_dir=tmp_path, encoder="one-hot")
    assert extractor.linker is not None  # still used: its links are right, only concepts added since are missing
    assert "lexicon-000000000000" in caplog.text and "--if-stale" in caplog.text


def test_words_of_an_employer_name_are_not_competences(rules_only: Extractor) -> None:
    text = "Glomma Revisjon AS søker revisor.\nKvalifikasjoner:\n- Erfaring med revisjon og regnskap"
    mentions = rules_only.extract(text)
    assert [m.text for m in mentions if m.text.lower() == "revisjon"] == ["revisjon"]
    assert all(m.start > text.index(" AS") for m in mentions)


def test_the_employers_own_business_is_not_a_competence(rules_only: Extractor) -> None:
    text = ("Nordvik VVS AS leverer prosjektering av sanitæranlegg og energirådgivning.\n"
            "Kvalifikasjoner:\n- Erfaring med prosjektering av sanitæranlegg")
    mentions = rules_only.extract(text)
    assert mentions and all(m.start > text.index("Kvalifikasjoner") for m in mentions)
    assert "prosjektering" in [m.text for m in mentions]


def _wait_for_sigterm(ready) -> None:  # noqa: ANN001  (a multiprocessing Event)
    default_sigterm()
    ready.set()
    time.sleep(30)


def test_a_worker_dies_on_sigterm_though_its_parent_traps_it() -> None:
    # A Prefect flow run traps SIGTERM; a forked worker that kept the trap outlived Pool.terminate() and hung the flow.
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    worker = context.Process(target=_wait_for_sigterm, args=(ready,))
    try:
        worker.start()
        assert ready.wait(timeout=10)
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(timeout=10)
        assert worker.exitcode == -signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
        if worker.is_alive():
            worker.kill()
            worker.join()
