"""`radar extract` and `radar eval` from the command line, with the edge cases the issue lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()
ANNOTATIONS = Path(__file__).resolve().parents[2] / "extractors" / "annotations"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RADAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RADAR_MODELS_DIR", raising=False)
    return tmp_path


def test_extract_skips_malformed_lines_writes_the_rest_and_says_so(env: Path) -> None:
    src = env / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "text": "Kvalifikasjoner:\n- Truckførerbevis\n- Gode samarbeidsevner"}),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": 7, "text": ""}),
        json.dumps({"id": "en", "text": "Requirements: fluent English and Python."}),
        "",
        json.dumps({"id": "nn", "text": "Du må ha fagbrev som elektrikar og førarkort klasse B."}),
    ]) + "\n", encoding="utf-8")
    out = env / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out), "--no-link"])
    assert result.exit_code == 4, result.output
    assert f"{src}:2: skipped, not valid JSON" in result.output
    assert f"{src}:3: skipped, no \"text\" string" in result.output
    assert f"{src}:4: skipped, a JSON list" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["a", "7", "en", "nn"]
    by_id = {r["id"]: r["mentions"] for r in lines}
    assert {m["text"] for m in by_id["a"]} == {"Truckførerbevis", "samarbeidsevner"}
    assert by_id["7"] == []
    first = by_id["a"][0]
    assert set(first) == {"start", "end", "text", "type", "requirement", "concept_id", "concept_label", "score", "method"}
    assert "3 malformed line(s) skipped" in result.output and "1 empty" in result.output


def test_extract_clean_input_exits_zero(env: Path) -> None:
    src = env / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "Du må ha truckførerbevis."}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", str(src), "-o", str(env / "o.jsonl"), "--no-link", "--lang", "nb"])
    assert result.exit_code == 0, result.output
    assert json.loads((env / "o.jsonl").read_text())["mentions"][0]["requirement"] == "REQUIRED"


def test_eval_prints_scores_by_annotation_rules(env: Path) -> None:
    ref = ANNOTATIONS / "nn_sentences.jsonl"
    records = [json.loads(line) for line in ref.read_text(encoding="utf-8").splitlines()]
    perfect = env / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"id": r["id"], "mentions": r["mentions"]}) + "\n" for r in records))
    result = runner.invoke(app, ["eval", str(ref), str(ref), str(perfect), "--json", str(env / "s.json")])
    assert result.exit_code == 0, result.output
    for word in ("lenient", "strict", "lenient_typed", "strict_typed", "requirement accuracy", "QUALIFICATION"):
        assert word in result.output
    assert json.loads((env / "s.json").read_text())["strict_typed"]["f1"] == 1.0


def test_eval_rejects_predictions_whose_offsets_point_elsewhere(env: Path) -> None:
    ref = ANNOTATIONS / "nn_sentences.jsonl"
    first = json.loads(ref.read_text(encoding="utf-8").splitlines()[1])
    bad = env / "bad.jsonl"
    bad.write_text(json.dumps({"id": first["id"], "mentions": [{"start": 0, "end": 3, "text": "zzz", "type": "SKILL",
                                                                 "requirement": "REQUIRED"}]}) + "\n")
    result = runner.invoke(app, ["eval", str(ref), str(ref), str(bad)])
    assert result.exit_code != 0
    assert "offsets point into another text" in str(result.exception) + result.output


def test_linker_if_stale_builds_only_when_an_input_changed(tmp_path: Path) -> None:
    import numpy as np

    from extractors.corpus import default_annotations_dir
    from extractors.encoder import encoder_model_id
    from extractors.taxonomy import load_lexicon
    from models.linker import Linker, Target, Trial, build_key, choose_threshold, inventory, read_judgements, save_linker

    encoder_dir = tmp_path / "stand-in-encoder"
    encoder_dir.mkdir()
    (encoder_dir / "config.json").write_text("{}")

    class StandIn:
        model_id = encoder_model_id(encoder_dir)

        def encode(self, texts, *, kind="query"):
            return np.ones((len(texts), 2), np.float32) / np.sqrt(2)

    judged = read_judgements(default_annotations_dir() / "link_calibration.jsonl")
    key = build_key(StandIn.model_id, inventory(load_lexicon()), judged, 0.9)
    linker = Linker(StandIn(), [Target("sveising", "c:weld", "sveising", "lexicon")], StandIn().encode(["x"]), 0.9)
    save_linker(tmp_path / "models" / "artefacts", linker, choose_threshold([Trial("a", 0.6, True, 0.3)]),
                data={"build": key})
    ads = tmp_path / "ads.jsonl"
    ads.write_text("")
    args = ["train-extract", "linker", "--if-stale", "--ads", str(ads), "--models-dir", str(tmp_path / "models"),
            "--encoder", str(encoder_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and f"linker {key['version']} is up to date" in result.output
    stale = runner.invoke(app, [*args, "--target-precision", "0.8"])  # goes on to build: the stand-in cannot encode
    assert stale.exit_code != 0 and "up to date" not in stale.output
    assert "not a loadable Hugging Face encoder" in stale.output + str(stale.exception)
