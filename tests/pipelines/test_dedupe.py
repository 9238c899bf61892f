"""Near-duplicates: reposts and copies linked to their original, templates for other jobs left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.dedupe import link_duplicates, shingles, title_similarity
from pipelines.normalise import parse_time
from pipelines.sources.files import FILE_STREAM, ingest_files
from pipelines.stages import normalise_pending
from warehouse.db import open_warehouse
from warehouse.load import upsert_ad_versions

TEXT = ("Vi søker en erfaren elektriker til service og nybygg i Nedre Glomma. Du får ansvar for feilsøking, "
        "installasjon av varmepumper og solcelleanlegg, og oppfølging av kunder. Vi tilbyr faglig utvikling, "
        "gode pensjonsordninger og et godt arbeidsmiljø med dyktige kolleger.")


def version(ad: str, title: str, text: str, when: str, municipality: str | None = "3107", entry: str = "") -> dict:
    return {"entry_id": entry or f"{ad}-{when}", "ad_id": f"nav:{ad}", "source": "nav", "source_id": ad,
            "status": "ACTIVE", "modified": parse_time(when), "published": parse_time(when), "title": title, "text": text,
            "language": "nb", "municipality_code_2024": municipality}


@pytest.fixture()
def con(tmp_path: Path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()


def test_shingles_and_titles() -> None:
    assert shingles("a b c d e f", 5) == {"a b c d e", "b c d e f"}
    assert shingles("kort tekst", 5) == {"kort tekst"}
    assert title_similarity("Serviceteknikere innen sikkerhet", "Serviceteknikere innen elektro/sikkerhet") == 1.0
    assert title_similarity("Nasjonalparkforvaltar", "Verneområdeforvaltar") == 0.0
    assert title_similarity("Kokk", None) is None


def test_repost_linked_to_original_template_and_other_town_not(con) -> None:
    upsert_ad_versions(con, [
        version("orig", "Elektriker til service og nybygg", TEXT, "2026-09-01T08:00:00Z"),
        version("repost", "Elektriker til service og nybygg", TEXT + " Søk snarest!", "2026-11-02T08:00:00Z"),
        version("other-job", "Lærling i elektrofaget", TEXT, "2026-10-01T08:00:00Z"),
        version("other-town", "Elektriker til service og nybygg", TEXT, "2026-10-05T08:00:00Z", municipality="3103"),
        version("unrelated", "Sykepleier", "Sykepleier til natt i hjemmetjenesten, 75 prosent fast stilling.",
                "2026-10-05T08:00:00Z"),
    ], run_id="r")
    assert link_duplicates(con) == 1
    links = dict(con.execute("SELECT ad_id, duplicate_of FROM ad_state WHERE duplicate_of IS NOT NULL").fetchall())
    assert links == {"nav:repost": "nav:orig"}
    evidence = con.execute("SELECT text_jaccard, title_jaccard FROM ad_duplicates").fetchall()[0]
    assert 0.6 <= evidence[0] < 1.0 and evidence[1] == 1.0
    # idempotent, and a new version of the repost keeps its link
    assert link_duplicates(con) == 1
    upsert_ad_versions(con, [version("repost", "Elektriker til service og nybygg", TEXT + " Søk snarest!",
                                     "2026-11-09T08:00:00Z")], run_id="r")
    assert con.execute("SELECT duplicate_of, versions FROM ad_state WHERE ad_id = 'nav:repost'").fetchall() == [("nav:orig", 2)]
    # an edit that makes it a different ad removes the link on the next linking
    upsert_ad_versions(con, [version("repost", "Elektriker til service og nybygg",
                                     "Helt ny tekst om en annen stilling med andre oppgaver og krav.",
                                     "2026-11-10T08:00:00Z")], run_id="r")
    assert link_duplicates(con) == 0
    assert con.execute("SELECT count(*) FROM ad_state WHERE duplicate_of IS NOT NULL").fetchall()[0][0] == 0


def test_real_ads_normalise_without_crash_and_known_reposts_are_linked(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "job_ads" / "ads.jsonl"
    con = open_warehouse(tmp_path / "real.duckdb")
    assert ingest_files(con, source, run_id="r").new_entries == 195
    report = normalise_pending(con, "r", source=FILE_STREAM)
    assert (report.processed, report.written, report.failed) == (195, 195, 0)  # 0 crashes
    languages = dict(con.execute("SELECT language, count(*) FROM ad_versions GROUP BY ALL").fetchall())
    assert languages.get("en") == 3 and "other" not in languages  # README: 192 Norwegian, 3 English
    assert languages["nb"] > 150 and 3 < languages["nn"] < 20
    located = con.execute("SELECT count(*) FROM ad_versions WHERE county_name_2024 IS NOT NULL").fetchall()[0][0]
    assert located > 140
    link_duplicates(con)
    links = dict(con.execute("SELECT ad_id, duplicate_of FROM ad_state WHERE duplicate_of IS NOT NULL").fetchall())
    con.close()
    # the same ad delivered by two partner feeds (same reference number), and a repost a day later
    assert links["nav:hrxml:example-hrmanager:100260"] == "nav:xmlstilling:100260_Ås kommune_webcruiter"
    assert links["nav:hrxml:x1:275307656"] == "nav:hrxml:ok__stillinger_for_ws-innsending_x2:275307656"
    assert links["nav:1b49fe08-5fce-444c-b767-d530f3302473"] == "nav:18b8eaa2-d547-4c34-8439-6639de701b66"
    # one employer's template for two different posts, and one text posted for Alta and for Tromsø
    assert "nav:polaris:10680" not in links and "nav:polaris:10679" not in links
    assert "nav:d3ebab08-df9a-4421-b097-98cba3b74874" not in links and "nav:b5fe26fc-8cf5-469a-a01c-0f8a10d804cf" not in links
    assert len(links) == 7


def test_stopped_ad_keeps_its_content_for_linking(con) -> None:
    stopped = version("orig", "Elektriker til service og nybygg", "", "2026-10-01T08:00:00Z", entry="orig-stop")
    stopped["status"] = "INACTIVE"
    upsert_ad_versions(con, [version("orig", "Elektriker til service og nybygg", TEXT, "2026-09-01T08:00:00Z"),
                             stopped,
                             version("repost", "Elektriker til service og nybygg", TEXT, "2026-11-02T08:00:00Z")],
                       run_id="r")
    assert link_duplicates(con) == 1
    row = con.execute("SELECT status, stopped_at IS NOT NULL FROM ad_state WHERE ad_id = 'nav:orig'").fetchall()[0]
    assert row == ("INACTIVE", True)
