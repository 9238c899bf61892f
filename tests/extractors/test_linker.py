"""The linker: nearest label, calibrated threshold, cached label matrix, artefact tied to its encoder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from extractors.encoder import PhraseCache
from extractors.esco import EscoSkill, EscoSkills
from extractors.taxonomy import load_lexicon
from models.artefacts import ArtefactError
from models.linker import (
    Linker,
    Target,
    Trial,
    build_key,
    build_linker,
    calibration_trials,
    choose_threshold,
    current_build_key,
    inventory,
    judged_pairs,
    known_concept_mentions,
    load_linker,
    read_judgements,
    save_linker,
    threshold_for,
)


class TrigramEncoder:
    """A stand-in encoder: hashed character trigrams, so inflections of a word are close and others far."""

    def __init__(self, name: str = "trigram@1") -> None:
        self.model_id = name
        self.calls = 0

    def encode(self, texts, *, kind="query"):
        self.calls += 1
        out = np.zeros((len(texts), 256), np.float32)
        for i, text in enumerate(texts):
            padded = f"  {text.lower()} "
            for j in range(len(padded) - 2):
                out[i, int(hashlib.md5(padded[j:j + 3].encode()).hexdigest(), 16) % 256] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def esco(*labels: tuple[str, str]) -> EscoSkills:
    skills = tuple(EscoSkill(f"http://data.europa.eu/esco/skill/{uri}", label, (), "skill/competence", "", "en")
                   for uri, label in labels)
    return EscoSkills(skills, "en", "test", "esco-test")


def test_inventory_has_lexicon_labels_surfaces_and_esco() -> None:
    lexicon = load_lexicon()
    targets = inventory(lexicon, [esco(("w", "welding"), ("w2", "Welding"))])
    texts = {(t.text, t.concept_id) for t in targets}
    assert ("truckførerbevis", "radar:truckforerbevis") in texts  # a surface form
    assert ("truck-førerbevis", "radar:truckforerbevis") in texts
    assert any(t.concept_id == "radar:truckforerbevis" and t.text == lexicon.concepts["radar:truckforerbevis"].label_en
               for t in targets)  # the English label, for cross-lingual neighbours
    assert ("welding", "http://data.europa.eu/esco/skill/w") in texts
    esco_welding = [t for t in targets if t.text.lower() == "welding" and t.source.startswith("esco")]
    assert len(esco_welding) == 2  # same text, two concepts: both kept
    assert len(targets) == len({(t.text.lower(), t.concept_id) for t in targets})


def test_link_accepts_at_or_above_threshold_only() -> None:
    enc = TrigramEncoder()
    targets = [Target("sveising", "c:weld", "sveising", "lexicon", "SKILL"),
               Target("regnskap", "c:acc", "regnskap", "lexicon", "SKILL")]
    linker = Linker(enc, targets, enc.encode([t.text for t in targets]), threshold=0.6)
    welded, nothing = linker.link(["sveisingen", "pensjonsordning"])
    assert welded is not None and welded.concept_id == "c:weld" and welded.score >= 0.6
    assert nothing is None
    idx, scores = linker.nearest(["regnskapet"], k=2)
    assert targets[idx[0, 0]].concept_id == "c:acc" and scores[0, 0] >= scores[0, 1]


def test_labels_are_embedded_once_per_encoder_and_a_new_label_alone(tmp_path: Path) -> None:
    targets = [Target(t, f"c:{t}", t, "lexicon") for t in ("sveising", "regnskap", "truck")]
    enc = TrigramEncoder()
    first = build_linker(enc, targets, tmp_path)
    calls = enc.calls
    again = build_linker(enc, targets, tmp_path)
    assert enc.calls == calls and np.array_equal(again.matrix, first.matrix)  # read back exactly, not embedded again
    grown = build_linker(enc, [*targets, Target("sveisesertifikat", "c:cert", "sveisesertifikat", "lexicon")], tmp_path)
    assert enc.calls == calls + 1 and np.array_equal(grown.matrix[:3], first.matrix)  # one call, for the new label
    assert grown.version != first.version
    build_linker(TrigramEncoder("other@2"), targets, tmp_path)
    assert len(list(tmp_path.glob("labels-*.npz"))) == 2  # one cache per encoder


def test_choose_threshold_meets_the_target_precision() -> None:
    trials = [Trial(f"t{i}", 0.95 - i * 0.01, True, 0.80 + i * 0.005) for i in range(10)]
    cal = choose_threshold(trials, target_precision=0.9)
    accepted = [(t.positive, True) for t in trials if t.positive >= cal.threshold] + \
               [(t.negative, False) for t in trials if t.negative >= cal.threshold]
    assert sum(ok for _, ok in accepted) / len(accepted) >= 0.9
    assert cal.threshold > max(t.negative for t in trials[:3])  # compressed cosines: not a round 0.5
    with pytest.raises(ValueError):
        choose_threshold([])


def test_calibration_hides_the_lexicon_labels_of_the_right_concept() -> None:
    enc = TrigramEncoder()
    targets = [Target("sveising", "c:weld", "sveising", "lexicon"), Target("sveisearbeid", "c:weld", "sveising", "lexicon"),
               Target("sveising av metall", "esco:weld", "welding", "esco:no"),
               Target("sveiseskjold", "c:shield", "x", "lexicon"), Target("regnskap", "c:acc", "regnskap", "lexicon")]
    linker = Linker(enc, targets, enc.encode([t.text for t in targets]), threshold=1.0)
    (trial,) = calibration_trials(linker, [("sveising", frozenset({"c:weld", "esco:weld"}))])
    # its own text and the lexicon's forms of the same word are hidden; the ESCO label of the concept is found
    best = (enc.encode(["sveising"]) @ enc.encode(["sveising av metall"]).T)[0, 0]
    assert trial.positive_correct and trial.positive == pytest.approx(float(best))
    # with every right label hidden, the best remaining label is a wrong one
    wrong = (enc.encode(["sveising"]) @ enc.encode(["sveiseskjold"]).T)[0, 0]
    assert trial.negative == pytest.approx(float(wrong)) and trial.negative < trial.positive


def test_known_concept_mentions_use_lexicon_surfaces() -> None:
    from extractors.corpus import Example

    lexicon = load_lexicon()
    example = Example("x", "Du har truckførerbevis og flotte ting.", "nb",
                      ({"start": 7, "end": 22, "text": "truckførerbevis", "type": "QUALIFICATION"},
                       {"start": 26, "end": 37, "text": "flotte ting", "type": "SKILL"}))
    found = known_concept_mentions([example], lexicon)
    assert len(found) == 1 and found[0][0] == "truckførerbevis" and found[0][1]


def test_artefact_round_trip_and_encoder_check(tmp_path: Path) -> None:
    enc = TrigramEncoder()
    targets = [Target("sveising", "c:weld", "sveising", "lexicon", "SKILL")]
    linker = Linker(enc, targets, enc.encode(["sveising"]), threshold=0.7, version="inv1")
    trials = [Trial("a", 0.6, True, 0.3)]
    save_linker(tmp_path, linker, choose_threshold(trials), data={})
    loaded = load_linker(tmp_path, enc)
    assert loaded.threshold == choose_threshold(trials).threshold and loaded.targets == targets
    assert loaded.link(["sveisingen"])[0].concept_id == "c:weld"
    with pytest.raises(ArtefactError, match="calibrated with trigram@1"):
        load_linker(tmp_path, TrigramEncoder("another@9"))
    with pytest.raises(ArtefactError):
        load_linker(tmp_path / "nothing", enc)


def test_build_key_follows_labels_encoder_judgements_and_target(tmp_path: Path) -> None:
    targets = [Target("sveising", "c:weld", "sveising", "lexicon")]
    judged = [{"text": "sveisingen", "concept_id": "c:weld", "verdict": "correct", "note": "a note changes nothing"}]
    key = build_key("trigram@1", targets, judged, 0.9)
    assert key == build_key("trigram@1", targets, [dict(judged[0], note="")], 0.9)
    assert key != build_key("trigram@2", targets, judged, 0.9)
    assert key != build_key("trigram@1", [*targets, Target("regnskap", "c:acc", "regnskap", "lexicon")], judged, 0.9)
    assert key != build_key("trigram@1", targets, [dict(judged[0], verdict="wrong")], 0.9)
    assert key != build_key("trigram@1", targets, judged, 0.8)
    assert current_build_key(tmp_path) is None  # no linker yet: stale
    enc = TrigramEncoder()
    linker = Linker(enc, targets, enc.encode(["sveising"]), threshold=0.7, version="inv1")
    save_linker(tmp_path, linker, choose_threshold([Trial("a", 0.6, True, 0.3)]), data={"build": key,
                                                                                        "lexicon": "lexicon-1"})
    assert current_build_key(tmp_path) == key
    assert load_linker(tmp_path, enc).lexicon_version == "lexicon-1"


def test_threshold_from_judged_links_skips_stale_verdicts() -> None:
    enc = TrigramEncoder()
    targets = [Target("sveising", "c:weld", "sveising", "lexicon"), Target("regnskap", "c:acc", "regnskap", "lexicon")]
    linker = Linker(enc, targets, enc.encode([t.text for t in targets]), threshold=1.0)
    judged = [{"text": "sveisingen", "concept_id": "c:weld", "verdict": "correct"},
              {"text": "regnskapet", "concept_id": "c:acc", "verdict": "correct"},
              {"text": "regnskapsfører", "concept_id": "c:acc", "verdict": "wrong"},
              {"text": "sveiser", "concept_id": "c:other", "verdict": "correct"}]  # judged against another concept
    pairs, stale = judged_pairs(linker, judged)
    assert stale == 1 and len(pairs) == 3
    cal = threshold_for(pairs, 0.99)
    wrong_score = next(s for s, ok in pairs if not ok)
    assert cal.threshold > wrong_score and cal.precision_at_threshold == 1.0
    assert threshold_for([(0.9, False)], 0.8).threshold > 0.9  # nothing reaches the target: link nothing


def test_packaged_calibration_judgements_are_valid() -> None:
    rows = read_judgements(Path(__file__).resolve().parents[2] / "extractors" / "annotations" / "link_calibration.jsonl")
    assert len(rows) >= 100 and {r["verdict"] for r in rows} == {"correct", "wrong"}


def test_phrase_cache_persists_between_runs(tmp_path: Path) -> None:
    enc = TrigramEncoder()
    targets = [Target("sveising", "c:weld", "sveising", "lexicon")]
    path = tmp_path / "phrases.npz"
    first = Linker(enc, targets, enc.encode(["sveising"]), 0.5, phrase_cache=PhraseCache(path))
    link = first.link(["sveisingen", "sveisingen"])[0]
    first.save_cache()
    calls = enc.calls
    second = Linker(enc, targets, enc.encode(["sveising"]), 0.5, phrase_cache=PhraseCache(path))
    again = second.link(["sveisingen"])[0]
    assert enc.calls == calls + 1  # only the label matrix above, the phrase came from disk
    assert again.concept_id == link.concept_id and again.score == pytest.approx(link.score, abs=1e-3)
