"""The span model trains deterministically, saves as a versioned artefact and loads with spacy.load."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from extractors.corpus import load_examples
from extractors.extract import Extractor
from models.artefacts import load_artefact
from models.span_model import (
    MODEL_NAME,
    SpanTrainParams,
    folds,
    load_span_pipelines,
    pipeline_files,
    save_span_model,
    to_training_examples,
    rule_pipelines,
    train_span_model,
)

ANNOTATIONS = Path(__file__).resolve().parents[2] / "extractors" / "annotations"
PARAMS = SpanTrainParams(epochs=2, seed=7)


@pytest.fixture(scope="module")
def tiny_set():
    nb = load_examples(ANNOTATIONS / "nb_sentences.jsonl")[:12]
    nn = load_examples(ANNOTATIONS / "nn_sentences.jsonl")[:6]
    return nb + nn


@pytest.fixture(scope="module")
def trained(tiny_set):
    return train_span_model(tiny_set, PARAMS)


@pytest.fixture(scope="module")
def artefact_root(trained, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("artefacts")
    save_span_model(trained, version="t1", data={"examples": 18}, params=PARAMS, root=root)
    return root


def test_training_examples_keep_gold_spans_on_token_boundaries(tiny_set) -> None:
    examples = to_training_examples(rule_pipelines(), tiny_set)
    gold = sum(len(e.mentions) for e in tiny_set)
    assert sum(len(eg.reference.ents) for eg in examples) == gold
    nn = [eg for eg, e in zip(examples, tiny_set) if e.lang == "nn"][0]
    assert nn.predicted[0].tag_ and "Sec=" in str(nn.predicted[0].morph)  # features from the nn rule pipeline


def test_same_data_and_seed_give_the_same_weights(trained, tiny_set) -> None:
    again = train_span_model(tiny_set, PARAMS)
    assert pipeline_files(again)["radar_spans/model"] == pipeline_files(trained)["radar_spans/model"]


def test_artefact_loads_with_spacy_load_for_both_languages(artefact_root: Path) -> None:
    artefact = load_artefact(MODEL_NAME, "t1", artefact_root)
    assert (artefact.path / "config.cfg").is_file() and artefact.card["params"]["seed"] == 7
    nlp = spacy.load(artefact.path)
    assert nlp.pipe_names == ["radar_lemmatizer", "radar_sections", "radar_lexicon_matcher", "radar_span_features",
                              "radar_spans", "radar_mentions"]
    doc = nlp("Kvalifikasjoner:\n- Truckførerbevis\n- Erfaring med C# og .NET")
    assert {"Truckførerbevis", "C#", ".NET"} <= {s.text for s in doc.spans["mentions"]}
    nlps, _ = load_span_pipelines(artefact_root, "t1")
    assert nlps["nn"].lang == "nn" and nlps["nn"].get_pipe("radar_lemmatizer").lang == "nn"
    doc = nlps["nn"]("Du må ha førarkort klasse B.")
    assert [(s.text, s._.requirement) for s in doc.spans["mentions"]] == [("førarkort klasse B", "REQUIRED")]


def test_saved_pipeline_carries_its_lexicon_unless_one_is_given(artefact_root: Path, tmp_path: Path) -> None:
    path = load_artefact(MODEL_NAME, "t1", artefact_root).path
    assert (path / "radar_lexicon_matcher" / "concepts.csv").is_file()
    small = tmp_path / "lexicon"
    small.mkdir()
    (small / "concepts.csv").write_text("concept_id,label_nb,label_en,type,esco_uri,group\n"
                                        "x:sveis,sveising,welding,SKILL,,g\n", encoding="utf-8")
    (small / "surface_forms.csv").write_text("surface,concept_id,lang\nsveising,x:sveis,nb\n", encoding="utf-8")
    nlps, _ = load_span_pipelines(artefact_root, "t1", lexicon_dir=small)
    assert len(nlps["nb"].get_pipe("radar_lexicon_matcher").lexicon.concepts) == 1


def test_extractor_uses_the_span_model_artefact(artefact_root: Path) -> None:
    extractor = Extractor.load(span_model_root=artefact_root, span_model_version="t1", use_linker=False)
    assert extractor.span_model and "span-t1" in extractor.version
    mentions = extractor.extract("Kvalifikasjoner:\n- Fagbrev som elektriker")
    assert [m.text for m in mentions] == ["Fagbrev som elektriker"]


def test_folds_are_disjoint_and_cover_everything(tiny_set) -> None:
    parts = folds(tiny_set, 5, seed=0)
    ids = [e.id for part in parts for e in part]
    assert sorted(ids) == sorted(e.id for e in tiny_set) and len(set(ids)) == len(ids)
