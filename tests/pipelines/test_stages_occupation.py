"""The normalise stage codes uncoded ads with the occupation classifier and records where every code came from."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from models.occupation import OccupationClassifier, load_classifier
from pipelines.sources.files import ingest_files
from pipelines.stages import classify_pending, load_occupation_classifier, normalise_pending
from pipelines.errors import ConfigError
from tests.pipelines.entries import ELEKTRIKER
from tests.pipelines.pages import elektriker_page
from warehouse.db import migrate, migration_files, open_warehouse

AD_COLUMNS = "styrk08, styrk08_label, styrk08_source, styrk08_score, occupation_model_version"


@pytest.fixture(scope="module")
def shipped() -> OccupationClassifier:
    """The committed CURRENT artefact, as the flow and `radar ingest` load it."""
    return load_classifier()


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()


def feed_entry(code: str | None) -> dict:
    """The feed's electrician ad, with NAV's code replaced (or removed)."""
    entry = copy.deepcopy(ELEKTRIKER)
    entry["ad_content"]["categoryList"] = ([{"categoryType": "STYRK08", "code": code, "name": "Automatikere"}]
                                           if code else [])
    return entry


def ingest(con, folder: Path, *, html: bool = False, feed: dict | None = None) -> list[str]:
    """Store a saved web page and/or a feed entry through the files source; returns the streams written."""
    folder.mkdir(exist_ok=True)
    if html:
        (folder / "elektriker.html").write_text(elektriker_page(), encoding="utf-8")
    if feed is not None:
        (folder / "feed.jsonl").write_text(json.dumps(feed, ensure_ascii=False) + "\n", encoding="utf-8")
    return sorted(ingest_files(con, folder, run_id="r1").streams)


def ad(con, ad_id: str) -> tuple:
    return con.execute(f"SELECT {AD_COLUMNS} FROM ads WHERE ad_id = ?", [ad_id]).fetchall()[0]


def test_an_html_ad_without_a_code_is_classified_and_a_feed_code_is_kept(con, tmp_path: Path,
                                                                          shipped: OccupationClassifier) -> None:
    # NAV coded the ad 7412 (automatician); the classifier would say 7411 from the title, but the feed's code stays
    streams = ingest(con, tmp_path / "in", html=True, feed=feed_entry("7412"))
    assert streams == ["html", "nav:files"]
    classifier = shipped.with_threshold(0.5)
    reports = [normalise_pending(con, "r1", source=s, classifier=classifier) for s in streams]
    assert [(r.written, r.classified, r.abstained) for r in reports] == [(1, 1, 0), (1, 0, 0)]

    code, label, source, score, version = ad(con, f"html:{ELEKTRIKER['uuid']}")
    assert (code, label, source, version) == ("7411", "Elektrikere", "classifier", shipped.version)
    assert version.startswith("occupation-v") and 0.5 <= score <= 1.0
    assert ad(con, f"nav:{ELEKTRIKER['uuid']}") == ("7412", "Automatikere", "feed", None, None)
    assert con.execute("SELECT occupation_group FROM ads WHERE source = 'html'").fetchall() == [("7",)]


def test_an_abstention_stores_no_code_but_the_score_and_version(con, tmp_path: Path,
                                                                shipped: OccupationClassifier) -> None:
    streams = ingest(con, tmp_path / "in", html=True)
    report = normalise_pending(con, "r1", source=streams[0], classifier=shipped.with_threshold(1.01))
    assert (report.classified, report.abstained) == (0, 1)
    code, label, source, score, version = ad(con, f"html:{ELEKTRIKER['uuid']}")
    assert (code, label, source, version) == (None, None, "classifier", shipped.version)
    assert 0.0 < score <= 1.0
    assert con.execute("SELECT occupation_group FROM ads").fetchall() == [("?",)]
    # an abstention counts as classified: a later run with the same model does not try it again
    assert classify_pending(con, shipped) == 0


def test_versions_normalised_without_a_classifier_catch_up_once(con, tmp_path: Path,
                                                               shipped: OccupationClassifier) -> None:
    streams = ingest(con, tmp_path / "in", html=True, feed=feed_entry(None))
    for stream in streams:
        normalise_pending(con, "r1", source=stream)  # e.g. a caller that has no classifier
    assert con.execute("SELECT count(*) FROM ads WHERE styrk08_source IS NULL AND styrk08 IS NULL").fetchall() == [(2,)]
    report = normalise_pending(con, "r2", source="html", classifier=shipped.with_threshold(0.0))
    assert report.written == 0 and report.classified == 2  # both stored versions, whatever their stream
    rows = con.execute(f"SELECT ad_id, {AD_COLUMNS} FROM ads ORDER BY ad_id").fetchall()
    assert [(r[1], r[3], r[5]) for r in rows] == [("7411", "classifier", shipped.version)] * 2
    assert classify_pending(con, shipped) == 0


def test_the_shipped_model_codes_a_plain_electrician_page(con, tmp_path: Path,
                                                          shipped: OccupationClassifier) -> None:
    streams = ingest(con, tmp_path / "in", html=True)
    normalise_pending(con, "r1", source=streams[0], classifier=shipped)
    code, _, source, score, version = ad(con, f"html:{ELEKTRIKER['uuid']}")
    assert (source, version) == ("classifier", shipped.version)
    assert (code == "7411") == (score >= shipped.threshold) and (code is None) == (score < shipped.threshold)


def test_migration_009_marks_stored_codes_as_from_the_feed(tmp_path: Path) -> None:
    from warehouse.db import connect

    con = connect(tmp_path / "old.duckdb")
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    for version, name, sql in migration_files():
        if version < 9:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    con.execute("INSERT INTO ad_versions (entry_id, ad_id, source, source_id, status, styrk08) VALUES "
                "('e1', 'nav:1', 'nav', '1', 'ACTIVE', '7411'), ('e2', 'html:2', 'html', '2', 'ACTIVE', NULL)")
    assert 9 in migrate(con)
    rows = con.execute("SELECT entry_id, styrk08_source, occupation_model_version FROM ad_versions "
                       "ORDER BY entry_id").fetchall()
    assert rows == [("e1", "feed", None), ("e2", None, None)]
    con.close()


def test_a_missing_model_version_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="RADAR_OCCUPATION_MODEL"):
        load_occupation_classifier("v0-does-not-exist")
