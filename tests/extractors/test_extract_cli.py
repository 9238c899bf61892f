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
