"""The ESCO loader reads the official CSV layout in any language: zip, folder or single file."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from extractors.esco import load_esco_skills, merge
from pipelines.errors import InputError

HEADER = ["conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "hiddenLabels",
          "status", "modifiedDate", "scopeNote", "definition", "inScheme", "description"]


def skills_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER)
    writer.writeheader()
    for row in rows:
        writer.writerow({"conceptType": "KnowledgeSkillCompetence", "status": "released", **row})
    return out.getvalue()


ROWS = [
    {"conceptUri": "http://data.europa.eu/esco/skill/a", "skillType": "skill/competence", "reuseLevel": "cross-sector",
     "preferredLabel": "sveise metall", "altLabels": "sveising\nsammenføye metall", "description": "Med\nlinjeskift"},
    {"conceptUri": "http://data.europa.eu/esco/skill/b", "skillType": "knowledge", "preferredLabel": "regnskap"},
    {"conceptUri": "http://data.europa.eu/esco/skill/c", "preferredLabel": "utgått ferdighet", "status": "obsolete"},
]


def test_single_csv_in_the_official_layout(tmp_path: Path) -> None:
    path = tmp_path / "skills_no.csv"
    path.write_text(skills_csv(ROWS), encoding="utf-8")
    esco = load_esco_skills(path)
    assert esco.lang == "no" and len(esco.skills) == 2  # the obsolete concept is left out
    welding = esco.by_uri()["http://data.europa.eu/esco/skill/a"]
    assert welding.alt_labels == ("sveising", "sammenføye metall")
    assert welding.labels() == ("sveise metall", "sveising", "sammenføye metall")
    assert welding.labels(alt=False) == ("sveise metall",)
    assert esco.version.startswith("esco-")


def test_zip_and_folder_and_bom(tmp_path: Path) -> None:
    archive = tmp_path / "ESCO dataset - v1.1.1 - classification - no - csv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("skills_no.csv", "\ufeff" + skills_csv(ROWS))
        zf.writestr("occupations_no.csv", "conceptUri,preferredLabel\nx,y\n")
    assert len(load_esco_skills(archive).skills) == 2
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "skills_sv.csv").write_text(skills_csv(ROWS[:1]), encoding="utf-8")
    assert load_esco_skills(folder).lang == "sv"


def test_language_from_a_sample_file_name_or_parameter(tmp_path: Path) -> None:
    sample = tmp_path / "skills_no_sample1000_v1.1.1.csv"
    sample.write_text(skills_csv(ROWS), encoding="utf-8")
    assert load_esco_skills(sample).lang == "no"
    odd = tmp_path / "download.csv"
    odd.write_text(skills_csv(ROWS), encoding="utf-8")
    assert load_esco_skills(odd, lang="nb").lang == "nb"
    with pytest.raises(InputError, match="language"):
        load_esco_skills(odd)


def test_bad_inputs_say_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_esco_skills(tmp_path / "missing.zip")
    wrong = tmp_path / "skills_en.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an ESCO skills file"):
        load_esco_skills(wrong)


def test_merge_keeps_both_languages(tmp_path: Path) -> None:
    (tmp_path / "skills_no.csv").write_text(skills_csv(ROWS), encoding="utf-8")
    (tmp_path / "skills_en.csv").write_text(skills_csv([{**ROWS[0], "preferredLabel": "weld metal",
                                                          "altLabels": "welding"}]), encoding="utf-8")
    both = merge([load_esco_skills(tmp_path / "skills_no.csv"), load_esco_skills(tmp_path / "skills_en.csv")])
    assert both.lang == "en+no" and len(both.skills) == 3


def test_official_downloads(shared_data: Path) -> None:
    esco_dir = shared_data / "taxonomies" / "esco"
    english = load_esco_skills(esco_dir / "ESCO dataset - v1.1.1 - classification - en - csv.zip")
    assert english.lang == "en" and len(english.skills) == 13_896
    assert sum(len(s.alt_labels) for s in english.skills) > 90_000
    norwegian = load_esco_skills(esco_dir / "skills_no_sample1000_v1.1.1.csv")
    assert norwegian.lang == "no" and len(norwegian.skills) == 1000
    shared = set(english.by_uri()) & set(norwegian.by_uri())
    assert len(shared) == 1000  # same URIs, other language
