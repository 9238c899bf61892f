"""How often two careful human annotators agree: the ceiling against which the models' scores are read.

- Competences: a second annotator annotated dev ads 131-155 (the last 25 lines of
  extractors/annotations/dev_ads.jsonl) again from the texts and the guidelines alone, without seeing the team's
  annotation (extractors/annotations/second_annotator_dev_131-155.jsonl). Scored by ANNOTATION.md with the team's
  annotation as reference, next to span model v6's cross-validated predictions on the same ads when given.
- Occupations: a second coder coded all 155 dev ads to STYRK-08 without seeing the gold file or NAV's codes
  (models/data/styrk08_second_coder_dev.csv). Agreement at 1, 2 and 4 digits, overall and by the gold coder's
  confidence.

Run:  .venv/bin/python benchmarks/human_agreement.py [--cv-predictions FILE]
(FILE: the out-of-fold predictions JSON of benchmarks/extraction_quality.py, e.g.
benchmarks/results/extraction_quality_predictions.json.) Writes benchmarks/results/human_agreement.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.corpus import read_jsonl  # noqa: E402
from extractors.evaluate import format_report, score  # noqa: E402

ANNOTATIONS = REPO / "extractors" / "annotations"
SECOND = ANNOTATIONS / "second_annotator_dev_131-155.jsonl"
GOLD = REPO / "models" / "data" / "styrk08_gold_dev.csv"
SECOND_CODER = REPO / "models" / "data" / "styrk08_second_coder_dev.csv"
RESULTS = REPO / "benchmarks" / "results"


def mentions_by_id(path: Path) -> dict[str, list[dict]]:
    """Annotation file → id → mentions."""
    return {str(record["id"]): record["mentions"] for _, record in read_jsonl(path)}


def competence_agreement(cv_predictions: Path | None) -> dict:
    """The second annotator (and the model, if given) scored against the team's annotation of the same ads."""
    second = mentions_by_id(SECOND)
    team = {k: v for k, v in mentions_by_id(ANNOTATIONS / "dev_ads.jsonl").items() if k in second}
    report = score(team, second)
    print(format_report(report, f"second annotator against the team, {len(team)} dev ads"))
    out = {"ads": len(team), "second_annotator": report.as_dict()}
    if cv_predictions is not None:
        predicted = json.loads(cv_predictions.read_text(encoding="utf-8"))["dev_ads"]
        model = score(team, {k: predicted.get(k, []) for k in team})
        print(format_report(model, "span model, out-of-fold, on the same ads"))
        out["model_out_of_fold"] = model.as_dict()
    return out


def occupation_agreement() -> dict:
    """Share of ads where the second coder's code agrees with gold on the first 1, 2 and 4 digits."""
    with GOLD.open(encoding="utf-8", newline="") as handle:
        gold = {row["id"]: row for row in csv.DictReader(handle)}
    with SECOND_CODER.open(encoding="utf-8", newline="") as handle:
        second = {row["id"]: row["styrk08"] for row in csv.DictReader(handle)}
    out = {}
    for level in ("all", "high", "medium", "low"):
        ids = [i for i in gold if level == "all" or gold[i]["confidence"] == level]
        out[level] = {"ads": len(ids), **{f"agreement_{d}": round(sum(gold[i]["styrk08"][:d] == second[i][:d]
                                                                      for i in ids) / len(ids), 4)
                                          for d in (1, 2, 4)}}
        print(f"STYRK-08, gold confidence {level}: {out[level]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv-predictions", type=Path, default=None)
    args = parser.parse_args()
    result = {"benchmark": "human_agreement", "competences": competence_agreement(args.cv_predictions),
              "occupations": occupation_agreement(),
              "notes": ["Both second passes were made by one annotator each, in one sitting, from the same "
                        "written guidelines; agreement between people trained apart would likely be lower."]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "human_agreement.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
