"""The occupation classifier on a tiny written taxonomy and ads: training, prediction, abstention, artefacts, CLI."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models import occupation as oc
from models.artefacts import ArtefactError, directory_hash, load_artefact

FAST = oc.Params(hash_bits=16, calibration_folds=2)

STYRK = [
    ("2", 1, "", "Akademiske yrker"), ("25", 2, "2", "IKT-rådgivere"), ("251", 3, "25", "Programvareutviklere"),
    ("2512", 4, "251", "Programvareutviklere"),
    ("22", 2, "2", "Helse"), ("222", 3, "22", "Sykepleiere"), ("2223", 4, "222", "Sykepleiere"),
    ("4", 1, "", "Kontoryrker"), ("41", 2, "4", "Kontor"), ("411", 3, "41", "Kontormedarbeidere"),
    ("4110", 4, "411", "Kontormedarbeidere"),
    ("5", 1, "", "Salgs- og serviceyrker"), ("51", 2, "5", "Service"), ("512", 3, "51", "Kokker"),
    ("5120", 4, "512", "Kokker"), ("52", 2, "5", "Salg"), ("522", 3, "52", "Butikkpersonale"),
    ("5223", 4, "522", "Butikkmedarbeidere"),
    ("7", 1, "", "Håndverkere"), ("74", 2, "7", "Elektrofag"), ("741", 3, "74", "Elektrikere"),
    ("7411", 4, "741", "Elektrikere"),
    ("8", 1, "", "Operatører og sjåfører"), ("83", 2, "8", "Førere"), ("833", 3, "83", "Tungtransport"),
    ("8332", 4, "833", "Lastebil- og trailersjåfører"),
]
ESCO = {  # uri suffix → (code, preferred label, alternative labels)
    "el": ("7411", "elektriker", ["elektroinstallatør", "installasjonselektriker", "elmontør"]),
    "sp": ("2223", "sykepleier", ["autorisert sykepleier", "offentlig godkjent sykepleier"]),
    "bm": ("5223", "butikkmedarbeider", ["butikkselger", "ekspeditør", "salgsmedarbeider i butikk"]),
    "ls": ("8332", "lastebilsjåfør", ["trailersjåfør", "vogntogsjåfør", "sjåfør, tungbil"]),
    "ko": ("5120", "kokk", ["restaurantkokk", "storkjøkkenkokk", "kokk, hotell"]),
    "pu": ("2512", "programvareutvikler", ["systemutvikler", "backend-utvikler", "utvikler, programvare"]),
    "km": ("4110", "kontormedarbeider", ["kontorassistent", "kontorfullmektig"]),
}
REPOST = ("Vi søker elektrikere med fagbrev gruppe L til installasjon i bolig og næringsbygg på Østlandet. "
          "Du får servicebil, fast lønn, pensjon og et godt fagmiljø med erfarne kolleger og lærlinger.")
DEV_ADS = [  # id, title, text, code
    ("a1", "Elektrikere søkes til installasjon", REPOST, "7411"),
    ("a2", "Sjukepleiar 80 % ved helsetunet", "Vi søkjer sjukepleiar med norsk autorisasjon.", "2223"),
    ("a3", "Butikkmedarbeider deltid", "Kassearbeid og varepåfylling i butikken.", "5223"),
    ("a4", "Sjåfør klasse CE", "Kjøring av vogntog på fast rute mellom terminaler.", "8332"),
    ("a5", "Kokk til hotellkjøkken", "Vi søker en kokk med fagbrev til travelt kjøkken.", "5120"),
    ("a6", "Backend-utvikler", "Utvikling av tjenester i Python og Java.", "2512"),
    ("a7", "Kontormedarbeider 50 %", "Arkiv, post og sentralbord i kommunen.", "4110"),
    ("a8", "Elektriker gr. L", REPOST, "7411"),  # the same job posted again under another title
]
TEST_ADS = [("t1", "Sykepleier natt", "Vi søker sykepleier.")]  # test split: must never be used
NAV_TITLES = [  # aar, code, yrke, yrkesbetegnelse, isco_versjon (NAV's layout, written for the test)
    ("2010", "7137", "Elektrikere", "Elektriker (gammel kode)", "ISCO-88"),  # STYRK-98 code: left out
    ("2016", "7411", "Elektrikere", "Installatør, Elektriker, bolig og næring, Kabelmontør", "ISCO-08"),
    ("2017", "7411", "Elektrikere", "Installatør, Tavlemontør", "ISCO-08"),
    ("2017", "2223", "Sykepleiere", "*", "ISCO-08"),
    ("2017", "0000", "Uoppgitt", "Medarbeider (uoppgitt arbeidsområde)", "ISCO-08"),
]


def write_tiny_shared(root: Path) -> Path:
    """A ../shared/data look-alike: SSB STYRK file, ESCO labels, crosswalk with its metadata block, ads."""
    tax = root / "taxonomies"
    (tax / "esco").mkdir(parents=True)
    with (tax / "styrk08_ssb_klass7_nb.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "level", "parentCode", "name", "shortName", "notes"])
        writer.writerows([(c, lvl, parent, name, "", "") for c, lvl, parent, name in STYRK])
    with (tax / "esco" / "occupations_no_v1.0.8.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["conceptType", "conceptUri", "iscoCode", "preferredLabel", "altLabels",
                         "preferredLabelIsEnglishFallback"])
        writer.writerow(["ISCOGroup", "http://data.europa.eu/esco/isco/C7411", "7411", "Elektrikere", "", "false"])
        for key, (_, label, alts) in ESCO.items():
            writer.writerow(["Occupation", f"http://data.europa.eu/esco/occupation/{key}", "", label,
                             "\n".join(alts), "false"])
        writer.writerow(["Occupation", "http://data.europa.eu/esco/occupation/en", "", "driller", "", "true"])
    lines = ["Mapping project name,ESCO - NO NOC"] + [f"Meta {i},x" for i in range(14)] + [""]
    lines.append("Classification 1 URI,Classification 1 PrefLabel,Classification 1 URL,Classification 2 URI,"
                 "Classification 2 PrefLabel,Classification 2 URL,Mapping relation,Editorial note")
    for key, (code, label, _) in ESCO.items():
        uri = f"http://data.europa.eu/esco/occupation/{key}"
        lines.append(f"{uri},{label},{uri},http://data.europa.eu/esco/concept/norwegian-occupations/C{code},"
                     f"x,y,skos:broadMatch,")
    lines.append(",,,http://data.europa.eu/esco/concept/norwegian-occupations/0,x,y,no relation,")
    (tax / "esco" / "esco_styrk08_crosswalk_NO_mapping_2022-09-20.csv").write_text("\n".join(lines) + "\n",
                                                                                   encoding="utf-8")
    english = io.StringIO()
    writer = csv.writer(english)
    writer.writerow(["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels"])
    writer.writerow(["Occupation", "http://data.europa.eu/esco/occupation/el", "7411", "electrician",
                     "domestic electrician\nelectrical installer"])
    writer.writerow(["Occupation", "http://data.europa.eu/esco/occupation/unmapped", "9999", "astronaut", ""])
    with zipfile.ZipFile(tax / "esco" / "ESCO dataset - v1.1.1 - classification - en - csv.zip", "w") as archive:
        archive.writestr("occupations_en.csv", english.getvalue())
    (root / "labour_market").mkdir()
    with (root / "labour_market" / "nav_arbeidssokere_yrke_2002-2017.csv").open("w", encoding="utf-8-sig",
                                                                                 newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["aar", "yrke_grovgruppe", "yrke_fingruppe", "yrkeskode", "yrke", "yrkesbetegnelse",
                         "isco_versjon", "antall_arbeidssokere"])
        writer.writerows([(year, "x", "y", code, name, titles, isco, "10") for year, code, name, titles, isco
                          in NAV_TITLES])
    (root / "job_ads").mkdir()
    with (root / "job_ads" / "ads.jsonl").open("w", encoding="utf-8") as handle:
        for ad_id, title, text, _ in DEV_ADS:
            handle.write(json.dumps({"id": ad_id, "title": title, "text": text, "jobtitle": None,
                                     "employer": "Firma AS", "split": "dev"}, ensure_ascii=False) + "\n")
        for ad_id, title, text in TEST_ADS:
            handle.write(json.dumps({"id": ad_id, "title": title, "text": text, "split": "test"}) + "\n")
    return root


def write_gold(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "styrk08", "styrk08_label", "nav_code", "agrees_with_nav", "confidence", "note"])
        writer.writerows([(ad_id, code, "", "", "", "high", "") for ad_id, _, _, code in DEV_ADS])
    return path


def write_samples(folder: Path) -> Path:
    folder.mkdir()
    entries = [
        {"uuid": "s1", "status": "ACTIVE", "ad_content": {
            "title": "Helsefagarbeider søkes", "description": "<p>Kokk eller ikke</p>", "jobtitle": "Kokk",
            "categoryList": [{"categoryType": "STYRK08", "code": "5120"}]}},
        {"uuid": "s1", "status": "ACTIVE", "ad_content": {  # a later version of the same ad wins
            "title": "Kokk til kantine", "description": "<p>Vi søker kokk til kantina.</p>", "jobtitle": "Kokk",
            "employer": {"name": "Kantina AS"}, "categoryList": [{"categoryType": "STYRK08", "code": "5120"}]}},
        {"uuid": "s2", "status": "ACTIVE", "ad_content": {"title": "Uten kode", "description": "<p>x</p>"}},
        {"uuid": "s3", "status": "ACTIVE", "ad_content": {
            "title": "Lastebilsjåfør", "description": "<p>Distribusjon.</p>",
            "categoryList": [{"categoryType": "STYRK08NAV", "code": "8332.01"}]}},
    ]
    (folder / "ads.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries),
                                      encoding="utf-8")
    return folder


WRITTEN = [  # id, title, jobtitle, text, code: ads the team writes, coded by hand
    ("w1", "Tavlemontør søkes", "Tavlemontør", "Montering av tavler og skap i verkstaden.", "7411"),
    ("w2", "Bli med på laget!", "Kantinekokk", "Vi søker en kokk til kantina vår.", "5120"),
]


def write_written(path: Path) -> Path:
    path.write_text("".join(json.dumps({"id": i, "title": t, "jobtitle": j, "text": x, "styrk08": c},
                                       ensure_ascii=False) + "\n" for i, t, j, x, c in WRITTEN), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("occupation")
    return {"shared": write_tiny_shared(root / "shared"), "gold": write_gold(root / "gold.csv"),
            "samples": write_samples(root / "samples"), "written": write_written(root / "written.jsonl"),
            "root": root}


@pytest.fixture(scope="module")
def trained(tiny: dict[str, Path]):
    """One artefact trained end to end on the tiny data, as `radar train occupation` does."""
    return oc.train(tiny["shared"], params=FAST, sample_dir=tiny["samples"], gold_path=tiny["gold"],
                    written_path=tiny["written"],
                    root=tiny["root"] / "artefacts")


@pytest.fixture(scope="module")
def model(trained) -> oc.OccupationClassifier:
    return oc.classifier_from_dir(trained.path, trained.version)


# -- text -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("word, expected", [
    ("elektrikere", "elektriker"), ("elektrikarar", "elektriker"), ("sjukepleiarar", "sykepleier"),
    ("sjåfører", "sjåfør"), ("konsulenter", "konsulent"), ("driftsleiar", "driftsleder"), ("lærarar", "lærer"),
    ("kokk", "kokk"),
])
def test_singular_meets_bokmal_and_nynorsk_plurals(word: str, expected: str) -> None:
    assert oc.singular(word) == expected


def test_title_terms_drop_filler_employer_and_place() -> None:
    assert oc.title_terms("100 % fast stilling som sykepleier") == "sykepleier"
    assert oc.title_terms("KIWI Tigerplassen søker etter butikkmedarbeider deltid 20 %", "KIWI Tigerplassen") \
        == "butikkmedarbeider"
    assert oc.title_terms("Prosjektleder til Railcom!") == "prosjektleder"
    assert oc.title_terms("Bravida i Lillehammer søker flere elektrikere", "Bravida Norge AS") == "elektriker"


def test_first_listed_position_is_the_main_one() -> None:
    assert oc.first_occupation("Elektriker/Høyspentmontør og Automatiker") == "elektriker"
    assert oc.first_occupation("Avdelingsleder     Blikkenslagere    Taktekkere") == "avdelingsleder"
    assert oc.first_occupation("Nærings- og miljøkonsulent") == "nærings miljøkonsulent"
    assert oc.first_occupation("LEDIGE STILLINGER", "Sykepleier") == "sykepleier"


def test_mentions_find_occupation_nouns_and_compounds() -> None:
    heads = oc.occupation_heads(["elektriker", "sykepleier, intensiv", "leder i skolen", "bygg- og anleggsarbeider"])
    assert heads == {"elektriker", "sykepleier", "leder"}
    text = "Vi utfører oppdrag og søker skipselektrikere og sjukepleiarar."
    assert oc.mentions(text, heads) == ["skipselektriker", "sykepleier"]


def test_a_title_naming_no_occupation_borrows_the_texts_occupation_words() -> None:
    heads = oc.occupation_heads(["elektriker", "sykepleier", "anleggsleder"])
    featurizer = oc.Featurizer(oc.Params(), heads)
    items = [oc.Item("a", "Er du klar for å starte karrieren?", "Vi søker en anleggsleder og elektrikere."),
             oc.Item("b", "Elektriker", "Vi søker en anleggsleder."),
             oc.Item("c", "LEDIGE STILLINGER", "Ingen yrke nevnt her.")]
    views = featurizer.views(items)
    assert views["title_word"][0] == "klar å starte karrieren anleggsleder elektriker"
    assert views["title_word"][1] == "elektriker" and views["title_first"][1] == "elektriker"
    assert "anleggsleder" not in views["title_word"][2]
    off = oc.Featurizer(oc.Params(title_from_text=0), heads).views(items)
    assert "anleggsleder" not in off["title_word"][0]


# -- data -----------------------------------------------------------------------------------------------------------

def test_taxonomy_examples_map_esco_labels_through_the_crosswalk(tiny: dict[str, Path]) -> None:
    examples = oc.taxonomy_examples(tiny["shared"])
    by_label = {ex.title: ex.code for ex in examples if ex.source == "esco"}
    assert by_label["elmontør"] == "7411" and by_label["sjåfør, tungbil"] == "8332"
    assert "driller" not in by_label  # English fallback labels are left out
    assert {ex.code for ex in examples if ex.source == "styrk08"} == {c for c, lvl, _, _ in STYRK if lvl == 4}


def test_nav_titles_are_styrk08_rows_split_on_commas_that_start_a_title(tiny: dict[str, Path]) -> None:
    titles = oc.read_nav_titles(tiny["shared"])
    assert titles == {"7411": ["Elektrikere", "Installatør", "Elektriker, bolig og næring", "Kabelmontør",
                               "Tavlemontør"],
                      "2223": ["Sykepleiere"]}
    examples = oc.taxonomy_examples(tiny["shared"], nav_titles=True)
    nav = [ex for ex in examples if ex.source == "nav_titles"]
    assert {ex.title for ex in nav if ex.code == "7411"} == set(titles["7411"])
    assert [ex for ex in examples if ex.source != "nav_titles"] == oc.taxonomy_examples(tiny["shared"])
    with pytest.raises(FileNotFoundError, match="nav_titles=False"):
        oc.read_nav_titles(tiny["root"])


def test_written_ads_are_read_and_checked(tiny: dict[str, Path], tmp_path: Path) -> None:
    examples = oc.written_ad_examples(tiny["written"])
    assert [(ex.key, ex.code, ex.jobtitle, ex.source) for ex in examples] == [
        ("w1", "7411", "Tavlemontør", "written_ad"), ("w2", "5120", "Kantinekokk", "written_ad")]
    assert oc.written_ad_examples(None) == [] and oc.written_ad_examples(tmp_path / "absent.jsonl") == []
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "title": "Kokk", "styrk08": "512"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        oc.written_ad_examples(bad)


def test_committed_written_ads_carry_level4_codes() -> None:
    examples = oc.written_ad_examples()
    assert len(examples) >= 400 and len({ex.key for ex in examples}) == len(examples)
    assert len({ex.code for ex in examples}) >= 200


def test_english_esco_labels_join_through_the_same_crosswalk(tiny: dict[str, Path]) -> None:
    norwegian = oc.taxonomy_examples(tiny["shared"])
    both = oc.taxonomy_examples(tiny["shared"], english="all")
    english = {ex.title: ex.code for ex in both if ex.source == "esco_en"}
    assert english == {"electrician": "7411", "domestic electrician": "7411", "electrical installer": "7411"}
    preferred = oc.taxonomy_examples(tiny["shared"], english="preferred")
    assert [ex.title for ex in preferred if ex.source == "esco_en"] == ["electrician"]
    with pytest.raises(ValueError, match="preferred"):
        oc.taxonomy_examples(tiny["shared"], english="yes")
    assert [ex for ex in both if ex.source != "esco_en"] == norwegian  # unmapped occupations are left out
    params = oc.Params(english_labels="all", english_weight=0.5)
    weights = oc.example_weights(both, params)
    en = [w for ex, w in zip(both, weights) if ex.source == "esco_en"]
    assert en == pytest.approx([0.5 * 3 ** -0.5] * 3)  # balanced per code and language, then scaled


def test_dev_examples_never_include_test_split(tiny: dict[str, Path]) -> None:
    assert set(oc.read_dev_ads(tiny["shared"])) == {ad_id for ad_id, *_ in DEV_ADS}
    examples = oc.dev_ad_examples(tiny["shared"], tiny["gold"])
    assert [ex.key for ex in examples] == [ad_id for ad_id, *_ in DEV_ADS]


def test_sample_examples_keep_the_last_version_and_skip_uncoded(tiny: dict[str, Path]) -> None:
    examples = oc.sample_ad_examples(tiny["samples"])
    assert [(ex.key, ex.title, ex.code, ex.employer) for ex in examples] == [
        ("s1", "Kokk til kantine", "5120", "Kantina AS"), ("s3", "Lastebilsjåfør", "8332", "")]


def test_near_duplicates_share_a_group_and_a_fold(tiny: dict[str, Path]) -> None:
    examples = oc.dev_ad_examples(tiny["shared"], tiny["gold"])
    groups = oc.duplicate_groups(examples)
    assert groups[0] == groups[7] and len(set(groups)) == 7
    folds = oc.fold_of_groups(groups, 3, seed=0)
    assert folds[0] == folds[7] and set(folds) == {0, 1, 2}


# -- model ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("title, text, expected", [
    ("Elektrikere til servicebil", "", "7411"),
    ("Sjukepleiarar til sjukeheimen", "", "2223"),
    ("Vi søker butikkselgere", "", "5223"),
    ("Trailersjåfør søkes", "", "8332"),
    ("Ny medarbeider", "Vi søker en systemutvikler til teamet vårt.", "2512"),
])
def test_predicts_the_occupation(model: oc.OccupationClassifier, title: str, text: str, expected: str) -> None:
    [prediction] = model.with_threshold(0.0).predict([oc.Item("x", title, text)])
    assert prediction.styrk08 == expected
    assert prediction.label == dict((c, n) for c, _, _, n in STYRK)[expected]


def test_top3_is_ranked_probabilities(model: oc.OccupationClassifier) -> None:
    [prediction] = model.predict([oc.Item("x", "Kokk", "")])
    assert len(prediction.top3) == 3
    scores = [t["score"] for t in prediction.top3]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
    assert prediction.score == scores[0] and prediction.top3[0]["styrk08"] == "5120"
    assert all(t["label"] for t in prediction.top3)


def test_abstains_below_the_threshold_but_keeps_top3(model: oc.OccupationClassifier) -> None:
    items = [oc.Item("clear", "Elektriker", "elektriker gruppe L"), oc.Item("vague", "Koordinator", "")]
    clear, vague = model.with_threshold(0.0).predict(items)
    assert clear.score > vague.score
    strict = model.with_threshold((clear.score + vague.score) / 2)
    kept, dropped = strict.predict(items)
    assert kept.styrk08 == clear.styrk08 == "7411" and kept.label == "Elektrikere"
    assert dropped.styrk08 is None and dropped.label is None
    assert dropped.score == vague.score and dropped.top3 == vague.top3 and len(dropped.top3) == 3
    assert model.predict([]) == []


def test_fit_refuses_a_single_code() -> None:
    with pytest.raises(ValueError, match="two STYRK-08 codes"):
        oc.OccupationClassifier.fit([oc.Example("7411", "elektriker")], {"7411": "Elektrikere"}, FAST)


def test_temperature_and_threshold_choice() -> None:
    import numpy as np

    decisions = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 0.9], [0.2, 0.1]])
    gold = ["a", "b", "b", "a"]
    t = oc.fit_temperature(decisions, gold, ["a", "b"])
    assert 0.01 <= t <= 10
    # scores 0.9, 0.8, 0.6, 0.5 with correctness T, T, F, T: 100 % precision needs the threshold at 0.8
    assert oc.choose_threshold([0.9, 0.8, 0.6, 0.5], [True, True, False, True], 1.0) == 0.8
    assert oc.choose_threshold([0.9, 0.8, 0.6, 0.5], [True, True, False, True], 0.75) == 0.5


# -- artefact -------------------------------------------------------------------------------------------------------

def test_artefact_has_a_model_card_and_verified_hash(trained) -> None:
    card = trained.card
    assert trained.path.name == trained.version and trained.version.startswith(f"v{oc.FORMAT_VERSION}-")
    assert card["content_hash"] == directory_hash(trained.path)
    assert card["data"]["dev_ads"]["examples"] == len(DEV_ADS)
    assert card["data"]["sample_ads"]["examples"] == 2
    assert card["data"]["written_ads"]["examples"] == len(WRITTEN)
    assert card["metrics"]["cv_sample_ads"]["n"] == 2  # written ads train but are never scored or calibrated on
    assert card["data"]["esco_labels"]["occupations"] == len(ESCO)
    nav = card["data"]["nav_titles"]
    assert nav == {"file": str(oc.NAV_TITLES_FILE), "sha256": nav["sha256"], "examples": 6, "codes": 2}
    assert card["params"]["hash_bits"] == 16 and card["created"] and card["training_seconds"] >= 0
    assert card["metrics"]["cv_dev_ads"]["n"] == len(DEV_ADS)
    assert 0 <= card["calibration"]["threshold"] <= 1
    assert (trained.path / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# Model card: occupation")
    assert (trained.path.parent / "CURRENT").read_text().strip() == trained.version


def test_training_is_deterministic(tiny: dict[str, Path], trained, tmp_path: Path) -> None:
    again = oc.train(tiny["shared"], params=FAST, sample_dir=tiny["samples"], gold_path=tiny["gold"],
                    written_path=tiny["written"],
                     root=tmp_path, make_current=False)
    assert again.content_hash == trained.content_hash and again.version == trained.version
    for path in trained.path.iterdir():
        if path.name not in ("model_card.json", "MODEL_CARD.md"):
            assert path.read_bytes() == (again.path / path.name).read_bytes(), path.name


def test_loaded_model_predicts_like_the_trained_one(tiny: dict[str, Path], trained) -> None:
    fresh = oc.OccupationClassifier.fit(
        [*oc.taxonomy_examples(tiny["shared"], nav_titles=FAST.nav_titles),
         *oc.written_ad_examples(tiny["written"]), *oc.sample_ad_examples(tiny["samples"]),
         *oc.dev_ad_examples(tiny["shared"], tiny["gold"])], oc.read_styrk08(tiny["shared"]), FAST)
    loaded = oc.load_classifier(trained.version, str(trained.path.parent.parent))
    items = [oc.Item("1", "Elektriker", ""), oc.Item("2", "Kontorassistent", "arkiv og post")]
    import numpy as np

    assert np.allclose(oc.as_stored(fresh).decision(items), loaded.decision(items))
    assert loaded.version == f"occupation-{trained.version}"


def test_tampered_artefact_is_refused(trained, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "occupation" / trained.version
    shutil.copytree(trained.path, copy)
    data = bytearray((copy / "coef_data.npy").read_bytes())
    data[-1] ^= 0xFF
    (copy / "coef_data.npy").write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match="content hash"):
        load_artefact("occupation", trained.version, tmp_path)
    with pytest.raises(ArtefactError, match="no trained 'occupation' model"):
        load_artefact("occupation", None, tmp_path / "empty")


# -- wiring ---------------------------------------------------------------------------------------------------------

def test_classify_missing_fills_only_rows_without_a_code(model: oc.OccupationClassifier) -> None:
    rows = [
        {"ad_id": "html:1", "entry_id": "e1", "title": "Elektriker", "text": "", "jobtitle": None,
         "styrk08": None, "styrk08_label": None, "status": "ACTIVE"},
        {"ad_id": "nav:2", "entry_id": "e2", "title": "Elektriker", "text": "", "styrk08": "5120",
         "styrk08_label": "Kokk (NAV)"},
        {"ad_id": "nav:3", "entry_id": "e3", "title": None, "text": "", "styrk08": None, "styrk08_label": None},
    ]
    out, records = oc.classify_missing(rows, model.with_threshold(0.0))
    assert rows[0]["styrk08"] is None and "styrk08_source" not in rows[0]  # the input is not modified
    provenance = [(r["styrk08"], r["styrk08_source"], r["occupation_model_version"]) for r in out]
    assert provenance == [("7411", "classifier", model.version), ("5120", "feed", None), (None, None, None)]
    assert out[0]["styrk08_label"] == "Elektrikere" and 0 < out[0]["styrk08_score"] <= 1
    assert out[1]["styrk08_label"] == "Kokk (NAV)" and out[1]["styrk08_score"] is None  # the feed's code wins
    assert {k: v for k, v in out[1].items() if not k.startswith(("styrk08_s", "occupation_"))} == rows[1]
    assert [r["ad_id"] for r in records] == ["html:1"]
    assert records[0]["model_version"] == model.version and json.loads(records[0]["top3"])[0]["styrk08"] == "7411"
    assert oc.classify_missing([rows[1]], model)[1] == []


def test_classify_missing_stores_an_abstention_with_its_score_and_version(model: oc.OccupationClassifier) -> None:
    row = {"ad_id": "html:1", "entry_id": "e1", "title": "Elektriker", "text": "", "styrk08": None,
           "styrk08_label": None}
    (out,), (record,) = oc.classify_missing([row], model.with_threshold(1.01))
    assert (out["styrk08"], out["styrk08_label"], out["styrk08_source"]) == (None, None, "classifier")
    assert out["occupation_model_version"] == model.version and out["styrk08_score"] == record["score"] > 0


def test_committed_model_loads_and_classifies_plain_titles() -> None:
    try:
        model = oc.load_classifier()
    except ArtefactError as exc:  # pragma: no cover - only before the first artefact is committed
        pytest.fail(f"the committed occupation artefact does not load: {exc}")
    items = [oc.Item("1", "Elektriker"), oc.Item("2", "Sykepleier 100 % fast"), oc.Item("3", "Barnehagelærer"),
             oc.Item("4", "Lastebilsjåfør klasse CE"), oc.Item("5", "Kokk")]
    codes = [p.top3[0]["styrk08"] for p in model.predict(items)]
    assert codes == ["7411", "2223", "2342", "8332", "5120"]


# -- e5 semantic part (a small trigram stand-in for the encoder keeps these fast) -----------------------------------

class TrigramEncoder:
    """Hashed character trigrams, L2-normalised: similar spellings are near, as the e5 encoder makes similar titles."""

    def __init__(self, model_id: str = "trigram-test@1", dim: int = 64) -> None:
        self.model_id, self.dim, self.calls = model_id, dim, 0

    def encode(self, texts, *, kind: str = "query"):
        import zlib

        import numpy as np

        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            padded = f"  {text.lower()} "
            for k in range(len(padded) - 2):
                out[i, zlib.crc32(padded[k:k + 3].encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_semantic_scores_take_the_best_reference_per_code() -> None:
    import numpy as np

    from models.occupation_semantic import SemanticIndex

    vectors = np.asarray([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32)
    index = SemanticIndex("x", vectors, np.asarray([2, 0, 2], dtype=np.int32))
    scores = index.scores(np.asarray([[1, 0], [0, 1]], dtype=np.float32), n_classes=3)
    assert np.allclose(scores, [[0.6, 0.0, 1.0], [0.8, 0.0, 1.0]])


def test_stored_vectors_keep_cosines_to_a_thousandth() -> None:
    import numpy as np

    from models.occupation_semantic import dequantise, quantise

    vectors = np.random.RandomState(0).normal(size=(50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codes, scale = quantise(vectors)
    assert codes.dtype == np.int8 and np.abs(dequantise(codes, scale) @ vectors.T - vectors @ vectors.T).max() < 2e-3


def test_fusion_mixes_probabilities_and_weight_zero_is_the_linear_model() -> None:
    import numpy as np

    from models.occupation_semantic import Fusion, fuse, softmax

    decisions, semantic = np.asarray([[1.0, 0.0, -1.0]]), np.asarray([[0.2, 0.9, 0.1]])
    assert np.allclose(fuse(decisions, semantic, Fusion(0.5, 0.1, 0.0)), softmax(decisions, 0.5))
    mixed = fuse(decisions, semantic, Fusion(0.5, 0.05, 0.8))
    assert np.isclose(mixed.sum(), 1.0) and mixed.argmax() == 1
    sharper = fuse(decisions, semantic, Fusion(0.5, 0.05, 0.8, temperature=0.5))
    assert sharper.argmax() == 1 and sharper.max() > mixed.max() and np.isclose(sharper.sum(), 1.0)


def test_out_of_fold_semantic_scores_never_use_the_ads_own_fold() -> None:
    import numpy as np

    from models.occupation_semantic import out_of_fold_scores

    base = np.asarray([[1.0, 0.0]], dtype=np.float32)
    held = np.asarray([[0.0, 1.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    scores = out_of_fold_scores(base, ["A"], held, ["B", "B", "A"], [0, 0, 1], ["A", "B"])
    assert np.allclose(scores[0], [0.8, 0.0])  # fold 1's A ad counts; its B twin is in its own fold: no credit
    assert np.allclose(scores[2], [0.6, 0.8])  # fold 1 sees the base A label and fold 0's B ads


def test_occupation_phrases_are_embedded_once_across_runs_and_kept_exact(tmp_path: Path) -> None:
    import numpy as np

    encoder = TrigramEncoder()
    cache = oc.occupation_phrase_cache(tmp_path, encoder)
    first = cache.embed(encoder, ["elektriker", "kokk", "elektriker"])
    cache.save()
    again = oc.occupation_phrase_cache(tmp_path, encoder).embed(encoder, ["kokk", "elektriker"])
    assert encoder.calls == 1
    assert np.array_equal(first[[1, 0]], again)  # float32 on disk: a retrained artefact is byte-identical
    assert oc.occupation_phrase_cache(tmp_path, TrigramEncoder("other@2")).vectors == {}  # one file per encoder


@pytest.fixture(scope="module")
def trained_e5(tiny: dict[str, Path]):
    """The tiny artefact trained with the trigram stand-in encoder."""
    return oc.train(tiny["shared"], params=FAST, sample_dir=tiny["samples"], gold_path=tiny["gold"],
                    written_path=tiny["written"],
                    root=tiny["root"] / "artefacts-e5", encoder=TrigramEncoder(), cache_dir=tiny["root"] / "cache")


def test_artefact_with_an_encoder_stores_references_and_the_mixture(trained_e5) -> None:
    card = trained_e5.card
    assert card["semantic"]["encoder"] == "trigram-test@1" and card["semantic"]["references"] > len(ESCO)
    assert 0 <= card["semantic"]["fusion"]["weight"] <= 1 and 0 <= card["semantic"]["threshold"] <= 1
    assert (trained_e5.path / "semantic_vectors_int8.npy").is_file()
    assert card["metrics"]["cv_dev_ads_linear_only"]["n"] == len(DEV_ADS)


def test_semantic_model_predicts_with_its_encoder_and_falls_back_without(trained_e5) -> None:
    import numpy as np

    from models.occupation_semantic import fuse

    root = str(trained_e5.path.parent.parent)
    items = [oc.Item("1", "Installasjonselektriker", ""), oc.Item("2", "Kontorassistent", "arkiv og post")]
    encoder = TrigramEncoder()
    with_e5 = oc.load_classifier(trained_e5.version, root, encoder)
    assert with_e5.uses_semantic and with_e5.active_threshold == with_e5.semantic.threshold
    fused = with_e5.proba(items)
    assert encoder.calls == 1 and np.allclose(fused, fuse(with_e5.decision(items), with_e5.semantic_scores(items),
                                                           with_e5.semantic.fusion))
    assert np.allclose(fused.sum(axis=1), 1.0) and [p.top3[0]["styrk08"] for p in with_e5.predict(items)] == [
        "7411", "4110"]
    alone = oc.load_classifier(trained_e5.version, root)
    other = alone.with_encoder(TrigramEncoder(model_id="another-encoder@2"))
    for model in (alone, other):
        assert not model.uses_semantic and model.active_version == f"occupation-{trained_e5.version}+linear"
        assert np.allclose(model.proba(items), oc.softmax(model.decision(items), model.temperature))
    out, records = oc.classify_missing([{"ad_id": "a", "title": "Kokk", "text": "", "styrk08": None}], with_e5)
    assert out[0]["occupation_model_version"] == f"occupation-{trained_e5.version}"


def test_training_with_an_encoder_is_deterministic(tiny: dict[str, Path], trained_e5, tmp_path: Path) -> None:
    again = oc.train(tiny["shared"], params=FAST, sample_dir=tiny["samples"], gold_path=tiny["gold"],
                    written_path=tiny["written"],
                     root=tmp_path, make_current=False, encoder=TrigramEncoder())
    assert again.content_hash == trained_e5.content_hash


def test_every_committed_version_loads_without_an_encoder() -> None:
    from models.artefacts import default_root

    versions = sorted(p.name for p in (default_root() / "occupation").iterdir() if p.is_dir())
    items = [oc.Item("1", "Elektriker"), oc.Item("2", "Kokk")]
    for version in versions:  # format 1 (linear) and format 2 (linear + e5, falling back to linear here)
        model = oc.load_classifier(version)
        assert not model.uses_semantic and [p.top3[0]["styrk08"] for p in model.predict(items)] == ["7411", "5120"]


# -- CLI ------------------------------------------------------------------------------------------------------------

def cli_app():
    from pipelines.cli import app

    return app


def test_cli_help() -> None:
    runner = CliRunner()
    for args in (["occupation", "--help"], ["train", "--help"], ["train", "occupation", "--help"]):
        result = runner.invoke(cli_app(), args)
        assert result.exit_code == 0 and "Usage" in result.output, args
    assert "--shared-data" in runner.invoke(cli_app(), ["train", "occupation", "--help"]).output


def test_cli_classifies_and_reports_bad_lines(trained, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "1", "title": "Elektrikere", "text": "fagbrev gruppe L"}),
        "{not json",
        json.dumps({"id": "2", "text": "no title"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": 3, "title": "Kokk", "text": "kantine", "jobtitle": "Kokk"}),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli_app(), ["occupation", str(source), "-o", str(out),
                                            "--model-dir", str(trained.path.parent.parent)])
    assert result.exit_code == 4, result.output
    for line in (2, 3, 5):
        assert f"in.jsonl:{line}: skipped" in result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "3"]
    assert set(rows[0]) == {"id", "styrk08", "label", "score", "top3"}
    assert rows[1]["top3"][0]["styrk08"] == "5120" and len(rows[1]["top3"]) == 3


def test_cli_train_refuses_a_missing_shared_folder(tmp_path: Path) -> None:
    from pipelines.errors import ConfigError

    result = CliRunner().invoke(cli_app(), ["train", "occupation", "--shared-data", str(tmp_path / "nope"),
                                            "--out", str(tmp_path)])
    assert isinstance(result.exception, ConfigError) and "taxonomies" in str(result.exception)
    assert not (tmp_path / "occupation").exists()


def test_cli_train_can_leave_current_alone(tiny: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "occupation").mkdir()
    (tmp_path / "occupation" / "CURRENT").write_text("v1-old\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app(), ["train", "occupation", "--shared-data", str(tiny["shared"]),
                                            "--out", str(tmp_path), "--no-dev", "--keep-current",
                                            "--written-ads", str(tiny["written"]),
                                            "--models-dir", str(tmp_path / "no-encoder-here")])
    assert result.exit_code == 0, result.output
    assert "linear model only" in result.output
    versions = [p.name for p in (tmp_path / "occupation").iterdir() if p.is_dir()]
    assert len(versions) == 1 and versions[0].startswith(f"v{oc.FORMAT_VERSION}-")
    assert (tmp_path / "occupation" / "CURRENT").read_text(encoding="utf-8") == "v1-old\n"


# -- real data (skips without ../shared/data) -------------------------------------------------------------------------

def test_real_taxonomy_and_dev_gold_load(shared_data: Path) -> None:
    examples = oc.taxonomy_examples(shared_data, nav_titles=True)
    assert len({ex.code for ex in examples}) >= 400 and sum(ex.source == "esco" for ex in examples) > 5000
    nav = {ex.title: ex.code for ex in examples if ex.source == "nav_titles"}
    assert len(nav) > 4000 and nav["Lagersjef"] == "1324"
    level4 = {code for code in oc.read_styrk08(shared_data) if len(code) == 4}
    assert {ex.code for ex in oc.written_ad_examples()} <= level4
    dev = oc.dev_ad_examples(shared_data)
    assert len(dev) == 155 and all(ex.source == "dev_ad" for ex in dev)
    assert len(set(oc.read_dev_ads(shared_data))) == 155
