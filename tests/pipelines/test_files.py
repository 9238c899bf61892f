"""Ads from files: feed-shaped JSON/JSONL and folders of HTML pages; the `radar ingest` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.sources.files import FILE_STREAM, feed_entries, ingest_files
from pipelines.sources.html_ads import HTML_STREAM
from pipelines.stages import normalise_pending
from tests.pipelines.entries import ELEKTRIKER, SJUKEPLEIAR, changed
from tests.pipelines.pages import arbeidsplassen_page, json_ld_page
from warehouse.db import open_warehouse

runner = CliRunner()


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_feed_entries_accepts_the_feed_shapes_and_names_what_it_wants() -> None:
    assert feed_entries(ELEKTRIKER) == [ELEKTRIKER]
    bare = feed_entries(SJUKEPLEIAR["ad_content"])[0]
    assert bare["uuid"] == SJUKEPLEIAR["uuid"] and bare["status"] == "ACTIVE" and bare["sistEndret"]
    assert len(feed_entries({"content": [ELEKTRIKER["ad_content"], SJUKEPLEIAR["ad_content"]]})) == 2
    record = feed_entries({"id": "nav:abc", "title": "Kokk", "employer": "Kro AS", "municipal": "HALDEN",
                           "county": "ØSTFOLD", "text": "Vi søker kokk.\nFagbrev kreves.", "published": 1700000000000})
    assert record[0]["uuid"] == "abc" and record[0]["ad_content"]["description"] == "<p>Vi søker kokk.</p><p>Fagbrev kreves.</p>"
    with pytest.raises(ValueError, match="feed page"):
        feed_entries({"id": "p", "items": []})
    with pytest.raises(ValueError, match="not a feed entry"):
        feed_entries({"hello": 1})


def test_jsonl_with_a_bad_line_stores_the_rest_and_quarantines_the_line(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    source = write_jsonl(tmp_path / "ads.jsonl", [json.dumps(ELEKTRIKER), "{not json",
                                                  json.dumps(changed(ELEKTRIKER, "2026-11-30T10:00:00Z")),
                                                  json.dumps(SJUKEPLEIAR)])
    report = ingest_files(con, source, run_id="r")
    assert (report.records, report.new_entries, report.quarantined) == (4, 3, 1)
    assert con.execute("SELECT ref FROM quarantine").fetchall()[0][0] == f"{source}:2"
    again = ingest_files(con, source, run_id="r")
    assert again.new_entries == 0  # idempotent
    normalise_pending(con, "r", source=FILE_STREAM)
    assert con.execute("SELECT ad_id, versions FROM ad_state ORDER BY ad_id").fetchall() == [
        (f"nav:{ELEKTRIKER['uuid']}", 2), (f"nav:{SJUKEPLEIAR['uuid']}", 1)]
    con.close()


def test_folder_of_html_pages(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "kino.html").write_text(arbeidsplassen_page(), encoding="utf-8")
    (folder / "vann.htm").write_text(json_ld_page(), encoding="utf-8")
    (folder / "om.html").write_text("<html><body><p>Om oss</p></body></html>", encoding="utf-8")
    con = open_warehouse(tmp_path / "w.duckdb")
    report = ingest_files(con, folder, run_id="r")
    assert (report.files, report.new_entries, report.quarantined) == (3, 2, 1)
    assert report.streams == {HTML_STREAM}
    normalise_pending(con, "r", source=HTML_STREAM)
    titles = {r[0] for r in con.execute("SELECT title FROM ads").fetchall()}
    assert titles == {"Kinovert til Fredrikstad Kino", "Driftsoperatør vann og avløp"}
    con.close()


@pytest.mark.parametrize("command", ["nav", "html", "files"])
def test_every_ingest_command_has_help(command: str) -> None:
    result = runner.invoke(app, ["ingest", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_cli_files_exit_codes_and_summary(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [json.dumps(ELEKTRIKER)])
    result = runner.invoke(app, ["ingest", "files", str(good), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "1 new entries" in result.output and "1 ad versions" in result.output
    bad = write_jsonl(tmp_path / "bad.jsonl", [json.dumps(SJUKEPLEIAR), "[1, 2]"])
    result = runner.invoke(app, ["ingest", "files", str(bad), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 4 and f"{bad}:2" in result.output


def test_cli_nav_demo_then_304_and_input_errors(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    first = runner.invoke(app, ["ingest", "nav", "--demo", "--data-dir", data])
    assert first.exit_code == 0 and "101 new entries (95 active, 6 stopped)" in first.output
    second = runner.invoke(app, ["ingest", "nav", "--demo", "--data-dir", data])
    assert second.exit_code == 0 and "not modified (304)" in second.output
    no_token = runner.invoke(app, ["ingest", "nav", "--data-dir", data], env={"RADAR_NAV_TOKEN": ""})
    assert no_token.exit_code != 0 and "RADAR_NAV_TOKEN" in str(no_token.exception)
    not_urls = runner.invoke(app, ["ingest", "html", "arbeidsplassen.nav.no/x", "--data-dir", data])
    assert "Not http(s) URLs" in str(not_urls.exception)
