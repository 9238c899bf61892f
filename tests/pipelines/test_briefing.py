"""Briefings from the trend tables and views: sections, thin-cell rule, claims only the intervals support,
evidence linked to its ad, policy and emerging-term sections, any week from a read-only snapshot, Markdown, CLI."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, time, timezone
from pathlib import Path

import duckdb
import pytest

from pipelines.briefing.build import build_briefing
from pipelines.briefing.data import NATIONAL, CellRule, gather, open_for_week, same_week_last_year, verdict
from pipelines.briefing.evidence import ad_url, sentence_around
from pipelines.briefing.render import POLICY_LABELS, pct, pp, render_html, render_markdown, write_briefing
from pipelines.briefing.stats import newcombe, wilson
from pipelines.errors import ConfigError, InputError
from warehouse.db import open_warehouse
from warehouse.load import record_run, replace_mentions, upsert_ad_versions
from warehouse.trends import refresh_trends
from tests.warehouse.helpers import add_ads

WEEKS = [f"2026-W{w}" for w in range(41, 49)]
AD_TEXT = ("Om stillingen\nVi søker en dataingeniør til vårt team i Fredrikstad. Du vil jobbe med kunstig "
           "intelligens og maskinlæring i produksjon. Spørsmål kan rettes til ola@firma.no eller 91234567.\n"
           "Kvalifikasjoner\n- Erfaring med kvantedatabehandling er en fordel")


def add_nav_ad(con: duckdb.DuckDBPyConnection, week: str, uuid: str, mentions: list[tuple[str, str | None, str]]) -> None:
    """One NAV ad in Østfold with a real text and mentions (phrase, concept or None, requirement) found in it."""
    year, num = week.split("-W")
    published = datetime.combine(date.fromisocalendar(int(year), int(num), 2), time(10), tzinfo=timezone.utc)
    ad_id = f"nav:{uuid}"
    upsert_ad_versions(con, [{
        "entry_id": f"{uuid}-e1", "ad_id": ad_id, "source": "nav", "source_id": uuid, "status": "ACTIVE",
        "modified": published, "published": published, "title": "Dataingeniør", "employer": "Firma AS",
        "text": AD_TEXT, "language": "nb", "county_code_2024": "31", "county_name_2024": "Østfold",
        "styrk08": "2511"}], run_id="test")
    rows = []
    for phrase, concept, requirement in mentions:
        start = AD_TEXT.index(phrase)
        rows.append({"ad_id": ad_id, "entry_id": f"{uuid}-e1", "start": start, "end": start + len(phrase),
                     "text": phrase, "type": "SKILL", "requirement": requirement, "concept_id": concept,
                     "concept_label": concept, "score": 1.0, "method": "lexicon" if concept else "unmapped",
                     "extractor_version": "x-1", "taxonomy_version": "t-1"})
    replace_mentions(con, [ad_id], rows)


def build_warehouse(path: Path) -> Path:
    """A warehouse file: Østfold with 20 ads a week (KI grows from 1 to 16), Akershus with 3 (thin), a NAV ad
    with a real text, an unmapped phrase in two recent ads, one ad a year earlier, and a completed run."""
    con = open_warehouse(path)
    con.execute("""INSERT INTO concepts_store VALUES
        ('ki', 'Kunstig intelligens', 'artificial intelligence', 'SKILL', NULL, 'Data og kunstig intelligens', 'v'),
        ('truck', 'Truckførerbevis', 'forklift licence', 'QUALIFICATION', NULL, 'Sertifikater og førerkort', 'v'),
        ('sveis', 'Sveising', 'welding', 'SKILL', NULL, 'Industri', 'v')""")
    for i, week in enumerate(WEEKS):
        add_ads(con, week, "Østfold", 20, {"ki": 16 if i >= 4 else 1, "truck": 10}, prefix="o")
        add_ads(con, week, "Akershus", 3, {"truck": 1}, prefix="a")
    add_ads(con, "2025-W48", "Østfold", 1, {}, prefix="ly")
    add_nav_ad(con, "2026-W48", "0b5c8e1a-aaaa-4bbb-8ccc-000000000001",
               [("kunstig intelligens", "ki", "REQUIRED"), ("kvantedatabehandling", None, "PREFERRED")])
    add_nav_ad(con, "2026-W47", "0b5c8e1a-aaaa-4bbb-8ccc-000000000002",
               [("kvantedatabehandling", None, "PREFERRED")])
    record_run(con, {"run_id": "run-1", "flow": "weekly", "status": "COMPLETED", "week": "2026-W48",
                     "started_at": datetime(2026, 11, 30, 6, tzinfo=timezone.utc),
                     "finished_at": datetime(2026, 11, 30, 6, 5, tzinfo=timezone.utc),
                     "extractor_version": "x-1", "taxonomy_version": "t-1"})
    refresh_trends(con, "2026-W48", min_ads=5)
    con.close()
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test warehouse, built once per module."""
    return build_warehouse(tmp_path_factory.mktemp("briefing") / "w.duckdb")


@pytest.fixture()
def warehouse(template: Path, tmp_path: Path) -> Path:
    """A private copy of the template warehouse, so a test may change it."""
    return Path(shutil.copy(template, tmp_path / "w.duckdb"))


@pytest.fixture(scope="module")
def default(template: Path) -> tuple[object, str]:
    """The data and HTML of the template's briefing for Østfold and Akershus (charts take seconds: render once)."""
    con = duckdb.connect(str(template), read_only=True)
    data = gather(con, "2026-W48", ["østfold", "Akershus"], min_cell_ads=5)
    con.close()
    return data, render_html(data)


@pytest.fixture()
def con(warehouse: Path):
    con = duckdb.connect(str(warehouse))
    yield con
    con.close()


def test_briefing_has_its_sections_and_claims_only_what_intervals_support(default, tmp_path: Path) -> None:
    data, html = default
    assert data.regions == ["Østfold", "Akershus"]  # any case, spelled as the tables spell it
    for heading in ("Hovedtall", "Mest etterspurte kompetanser", "Økende og synkende", "Etter yrkesgruppe",
                    "Fylkene mot hele landet", "Strategiene mot etterspørselen", "Nye uttrykk i annonsene",
                    "Metode og kilder", "Kort fortalt"):
        assert heading in html
    østfold = {r["concept_id"]: r for r in data.changes["Østfold"]["growing"] + data.changes["Østfold"]["declining"]}
    assert østfold["ki"]["verdict"] == "growing" and "▲ Økende" in html
    assert "Sikre endringer i Østfold: Kunstig intelligens (økende" in html
    truck = østfold.get("truck")
    assert truck is None or truck["verdict"] == "no_change"
    # Akershus has 3 ads a week, 12 in each window: enough for a share, too few for the claims on 1 ad a week
    assert data.changes["Akershus"]["shown"]
    assert all(r["verdict"] != "growing" for r in data.changes["Akershus"]["growing"])
    path = write_briefing(html, tmp_path / "b", "2026-W48", ["Østfold", "Akershus"])
    assert path.name == "2026-W48_østfold_akershus.html"


def test_thin_cells_follow_one_rule_everywhere(con) -> None:
    data = gather(con, "2026-W48", ["Østfold", "Akershus"], min_cell_ads=13)  # Akershus: 12 ads in the window
    html = render_html(data)
    akershus = data.top["Akershus"]
    assert akershus and all(r["share"] is None and r["interval"] is None for r in akershus)
    assert all(r["share"] is not None for r in data.top["Østfold"])
    assert all(row["cells"]["Akershus"]["share"] is None for row in data.comparison)
    assert all(g["cells"]["Akershus"]["share"] is None for g in data.occupations["groups"])
    assert not data.changes["Akershus"]["shown"] and "For få annonser til å beregne endringer" in html
    headline = {h["region"]: h for h in data.headline}
    assert headline["Akershus"]["this_week"] == 3 and headline["Akershus"]["vs_last_week"] is None
    assert "3†" in html and "12†" in html  # counts stay visible, flagged
    assert re.search(r"Truckførerbevis <span[^>]*>kvalifikasjon</span></td>\s*<td[^>]*>[^<]*</td>\s*"
                     r"<td class=\"num\">4†</td>\s*<td class=\"num\">·", html)


def test_verdicts_need_the_interval_and_enough_ads() -> None:
    rule = CellRule(5)
    assert verdict({"change_ci_low": 0.01, "change_ci_high": 0.2, "ads_recent": 9, "ads_base": 1}, rule) == "growing"
    assert verdict({"change_ci_low": 0.01, "change_ci_high": 0.2, "ads_recent": 4, "ads_base": 0}, rule) == "uncertain_few"
    assert verdict({"change_ci_low": -0.01, "change_ci_high": 0.2, "ads_recent": 90, "ads_base": 50}, rule) == "no_change"
    assert verdict({"change_ci_low": -0.3, "change_ci_high": -0.1, "ads_recent": 1, "ads_base": 9}, rule) == "declining"
    assert verdict({"change_ci_low": None, "change_ci_high": None, "ads_recent": 1, "ads_base": 0}, rule) == "unknown"


def test_intervals_match_published_values_and_the_trend_tables(con) -> None:
    low, high = wilson(81, 263)  # Newcombe (1998), Statistics in Medicine 17: 857–872, example 81/263
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    for x1, n1, x0, n0, lo, hi in con.execute(
            """SELECT ads_recent, ads_total_recent, ads_base, ads_total_base, change_ci_low, change_ci_high
               FROM skill_trends WHERE window_weeks = 4 AND share_base IS NOT NULL""").fetchall():
        assert newcombe(x1, n1, x0, n0) == pytest.approx((lo, hi), abs=1e-4)


def test_county_against_the_rest_of_the_country(con) -> None:
    data = gather(con, "2026-W48", ["Østfold", "Akershus"])
    rows = {r["concept_id"]: r for r in data.comparison}
    ki = rows["ki"]["cells"]
    assert ki["Østfold"]["share"] == pytest.approx(65 / 82) and ki["Akershus"]["share"] == 0
    assert ki["Østfold"]["against"] == "higher" and ki["Akershus"]["against"] == "lower"
    assert ki[NATIONAL]["share"] == pytest.approx(65 / 94)


def test_occupation_groups_side_by_side(con) -> None:
    data = gather(con, "2026-W48", ["Østfold"])
    groups = {g["code"]: g for g in data.occupations["groups"]}
    assert groups["7"]["cells"]["Østfold"]["ads"] == 80 and groups["2"]["cells"]["Østfold"]["ads"] == 2
    assert groups["7"]["cells"][NATIONAL]["share"] == pytest.approx(92 / 94)
    top7 = [t["concept_label"] for t in data.occupations["top"]["7"]["Østfold"]]
    assert top7[:2] == ["Kunstig intelligens", "Truckførerbevis"]


def test_headline_compares_with_last_week_and_last_year(con) -> None:
    data = gather(con, "2026-W48", ["Østfold"])
    østfold = data.headline[0]
    assert (østfold["this_week"], østfold["last_week"], østfold["last_year"]) == (21, 21, 1)
    assert østfold["vs_last_week"] == 0 and østfold["vs_last_year"] is None  # 1 ad a year ago: too few
    assert same_week_last_year(date.fromisocalendar(2026, 53, 1)) == date.fromisocalendar(2025, 52, 1)


def test_evidence_is_the_masked_sentence_linked_to_the_nav_ad(default) -> None:
    data, html = default
    ki = data.evidence["Østfold"]["ki"]
    assert ki["url"] == "https://arbeidsplassen.nav.no/stillinger/stilling/0b5c8e1a-aaaa-4bbb-8ccc-000000000001"
    assert ki["snippet"].text == "Du vil jobbe med kunstig intelligens og maskinlæring i produksjon."
    assert "<mark>kunstig intelligens</mark>" in html and f'href="{ki["url"]}"' in html
    assert "truck" not in data.evidence["Østfold"]  # test ads have no text to quote: no evidence, no error


def test_sentence_around_trims_and_masks() -> None:
    text = "Første setning. " + "Lang innledning " * 30 + "med Python i midten" + " og mer tekst" * 30 + ". Siste."
    start = text.index("Python")
    snippet = sentence_around(text, start, start + 6, max_chars=80)
    assert snippet.mention == "Python" and snippet.before.startswith("…") and snippet.after.endswith("…")
    assert len(snippet.text) <= 90 and "Første" not in snippet.text
    contact = "Ring 912 34 567 eller skriv til ola@firma.no om Python."
    start = contact.index("Python")
    masked = sentence_around(contact, start, start + 6).text
    assert "912 34 567" not in masked and "ola@firma.no" not in masked and "Python" in masked
    with pytest.raises(ValueError):
        sentence_around("kort", 2, 40)
    assert ad_url("test", "x") is None


def test_policy_section_reads_policy_vs_demand(default, con) -> None:
    assert default[0].policy["available"] and "Ingen strategidokumenter er lest inn" in default[1]
    con.execute("""INSERT INTO documents (doc_id, title, issuer, level, region, year, valid_from, content_hash, status)
                   VALUES ('plan-ostfold', 'Regional kompetanseplan for Østfold', 'Østfold fylkeskommune', 'county',
                           'Østfold', 2026, 2026, 'h', 'ok')""")
    con.execute("INSERT INTO document_regions VALUES ('plan-ostfold', 'county', '31', 'Østfold')")
    con.execute("""INSERT INTO document_mentions (doc_id, sentence_no, start, "end", text, concept_id, weight) VALUES
                   ('plan-ostfold', 1, 0, 2, 'KI', 'ki', 1.25), ('plan-ostfold', 2, 0, 8, 'sveising', 'sveis', 1.0)""")
    data = gather(con, "2026-W48", ["Østfold"])
    policy = data.policy["regions"]["Østfold"]["concepts"]
    assert [r["key"] for r in policy["aligned"]] == ["ki"]
    assert [r["key"] for r in policy["priority_little_demand"]] == ["sveis"]
    assert "truck" in [r["key"] for r in policy["demand_not_in_strategy"]]
    assert policy["aligned"][0]["document_numbers"] == [1]
    html = render_html(data)
    assert "[1] Regional kompetanseplan for Østfold" in html and "Prioritert, men lite etterspurt" in html


def test_policy_section_shows_occupation_areas(default, con) -> None:
    con.execute("""INSERT INTO documents (doc_id, title, issuer, level, region, year, valid_from, content_hash, status)
                   VALUES ('plan-ostfold', 'Regional kompetanseplan for Østfold', 'Østfold fylkeskommune', 'county',
                           'Østfold', 2026, 2026, 'h', 'ok')""")
    con.execute("INSERT INTO document_regions VALUES ('plan-ostfold', 'county', '31', 'Østfold')")
    con.execute("INSERT INTO occupation_areas VALUES ('ikt', 'IKT', 'IKT', ['25'], 't')")
    con.execute("INSERT INTO occupation_area_codes VALUES ('25', 'ikt')")
    con.execute("""INSERT INTO document_occupation_areas (doc_id, sentence_no, area_id, via, evidence, styrk08, weight)
                   VALUES ('plan-ostfold', 1, 'ikt', 'sentence', 'IKT', NULL, 2.0)""")
    data = gather(con, "2026-W48", ["Østfold"])
    areas = data.policy["regions"]["Østfold"]["areas"]
    assert [(r["label"], r["priority_weight"]) for r in areas] == [("IKT", 2.0)] and areas[0]["ads_with"] > 0
    assert "Yrkesområder (STYRK-08)" in render_html(data)
    assert f"Yrkesområder, {POLICY_LABELS[areas[0]['status']].lower()}: IKT" in render_markdown(data)


def test_emerging_terms_for_the_curators(default) -> None:
    data, html = default
    terms = {t["term"]: t for t in data.emerging["Østfold"]}
    assert terms["kvantedatabehandling"]["ads_recent"] == 2 and terms["kvantedatabehandling"]["is_new"]
    assert re.search(r"kvantedatabehandling</td>.*?<td>Ny</td>", html, re.S)


def test_any_week_from_the_read_only_snapshot(warehouse: Path) -> None:
    con, week, recomputed = open_for_week(warehouse, None, min_ads=5)
    assert (week, recomputed) == ("2026-W48", False)
    con.close()
    con, week, recomputed = open_for_week(warehouse, "2026-w46", min_ads=5)
    try:
        assert (week, recomputed) == ("2026-W46", True)
        data = gather(con, week, ["Østfold"], recomputed=recomputed)
        assert data.headline[0]["this_week"] == 20 and data.provenance["recomputed"]
        assert "regnet ut på nytt for uke 46" in render_html(data)
    finally:
        con.close()
    assert duckdb.connect(str(warehouse), read_only=True).execute(
        "SELECT DISTINCT ref_week FROM skill_trends").fetchall() == [("2026-W48",)]  # snapshot untouched


def test_bad_input_gets_a_clear_error(con, warehouse: Path) -> None:
    with pytest.raises(InputError, match="Unknown region 'Vestlandet'.*Akershus, Østfold"):
        gather(con, "2026-W48", ["Vestlandet"])
    with pytest.raises(InputError, match="trend tables are for 2026-W48"):
        gather(con, "2026-W40", ["Østfold"])
    with pytest.raises(InputError, match="--window must be one of 4, 13, 52"):
        gather(con, "2026-W48", ["Østfold"], window_weeks=6)


def test_markdown_for_email(default) -> None:
    md = render_markdown(default[0], attachment="brief.pdf")
    assert md.startswith("# Kompetanseradar: Østfold, Akershus – uke 48 2026")
    assert "Hele rapporten med figurer: brief.pdf" in md and "<svg" not in md and "<" not in md.replace("< ", "")
    assert "| Østfold | 21 | 21 | +0\u00a0% | 1† | 82 |" in md
    assert "- Økende: Kunstig intelligens +" in md
    assert "[Dataingeniør, Firma AS](https://arbeidsplassen.nav.no/stillinger/stilling/0b5c8e1a" in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line  # no table row broken by the template's whitespace


def test_html_loads_nothing_from_outside(default) -> None:
    html = default[1]
    assert not re.search(r"""(src|srcset|poster|data)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert not re.search(r"""url\(\s*["']?(https?:)?//|@import""", html, re.I)
    assert "<script" not in html and "<iframe" not in html and html.count("<svg") >= 5
    assert re.findall(r"<link[^>]*>", html) == ['<link rel="icon" href="data:,">']


def test_norwegian_number_formats() -> None:
    assert pct(0.125) == "12,5\u00a0%" and pp(-0.034) == "−3,4\u00a0pp" and pct(None) == "·"


def test_build_writes_html_and_markdown_and_the_cli_fails_clearly_without_chromium(warehouse: Path,
                                                                                    tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    con, week, _ = open_for_week(warehouse, "2026-W48", min_ads=5)
    files = build_briefing(con, week, ["Østfold"], tmp_path / "out", pdf=False)
    con.close()
    assert files.html.name == "2026-W48_østfold.html" and files.markdown.read_text(encoding="utf-8").startswith("#")
    assert files.pdf is None and set(files.durations) == {"gather", "render_html", "render_markdown"}
    runner = CliRunner()
    result = runner.invoke(app, ["brief", "--db", str(warehouse), "--region", "Østfold", "--out",
                                 str(tmp_path / "cli"), "--chromium", str(tmp_path / "no-such-chromium")])
    assert isinstance(result.exception, ConfigError) and "--chromium" in str(result.exception)
    assert not (tmp_path / "cli").exists()  # failed before writing anything
    result = runner.invoke(app, ["brief", "--db", str(warehouse), "--region", "Akershus", "--week", "2026-W47",
                                 "--window", "13", "--out", str(tmp_path / "cli"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "2026-W47_akershus_13u.html").exists() and "rebuilt for the week" in result.output


# ------------------------------------------------------------------------------------------ headless Chromium
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; ./dev setup installs it "
                             "when run as root): the headless rendering, network and PDF checks are skipped")


class DevTools:
    """Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out; NUL-separated JSON): no port, no deps."""

    def __init__(self, chromium: str, profile: Path) -> None:
        import os
        import subprocess

        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # in the child: our pipe ends become its fds 3 and 4
            import fcntl

            high_r, high_w = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        from pipelines.briefing.pdf import CHROMIUM_FLAGS

        self.proc = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                      "--remote-debugging-pipe", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=False,
                                     preexec_fn=wire, env={**os.environ, "HOME": str(profile)})
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer, self._next_id, self.events = b"", 0, []

    def _read(self, deadline: float) -> dict:
        import json
        import os
        import select
        import time as clock

        while b"\0" not in self._buffer:
            left = deadline - clock.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer over the DevTools pipe in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        """Send a command and return its result; events that arrive meanwhile are kept in self.events."""
        import json
        import os
        import time as clock

        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = clock.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        """The first event of that name (already received or still to come)."""
        import time as clock

        deadline = clock.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._read(deadline))

    def close(self) -> None:
        import os

        try:
            self.call("Browser.close", timeout=5)
        except (TimeoutError, EOFError, RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a stuck browser is killed, never left running
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


def load_in_chromium(html_path: Path, profile: Path) -> tuple[list[str], bytes]:
    """(every URL the page requested, a 1200×1600 screenshot) of a file opened in headless Chromium."""
    import base64
    import time as clock

    assert CHROMIUM is not None
    tools = DevTools(CHROMIUM, profile)
    try:
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Network.enable", "Page.enable"):
            tools.call(method, session=session)
        tools.call("Emulation.setDeviceMetricsOverride",
                   {"width": 1200, "height": 1600, "deviceScaleFactor": 1, "mobile": False}, session=session)
        tools.call("Page.navigate", {"url": html_path.as_uri()}, session=session)
        tools.wait_for("Page.loadEventFired")
        deadline = clock.monotonic() + 0.5  # let late request events arrive
        try:
            while True:
                tools.events.append(tools._read(deadline))
        except TimeoutError:
            pass
        shot = base64.b64decode(tools.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"])
    finally:
        tools.close()
    requests = [e["params"]["request"]["url"] for e in tools.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session]
    return requests, shot


def external_requests(page: Path, requests: list[str]) -> list[str]:
    """Requests other than the page itself (data: URIs are inline content, not requests to anywhere)."""
    return [u for u in requests if u != page.as_uri() and not u.startswith("data:")]


@needs_chromium
def test_headless_chromium_renders_the_briefing_without_any_external_request(default, tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    page = write_briefing(default[1], tmp_path, "2026-W48", ["Østfold", "Akershus"])
    requests, shot = load_in_chromium(page, tmp_path / "profile")
    assert page.as_uri() in requests and external_requests(page, requests) == []
    image = Image.open(BytesIO(shot)).convert("RGB")
    assert image.size == (1200, 1600)
    pixels = list(image.getdata())
    inked = sum(1 for p in pixels if min(p) < 200) / len(pixels)
    orange = sum(1 for r, g, b in pixels if abs(r - 230) < 25 and abs(g - 159) < 25 and b < 40)  # Akershus' line
    assert inked > 0.03, f"screenshot looks blank: {inked:.1%} of pixels inked"
    assert orange > 20, "the weekly chart (inline SVG) did not render"


@needs_chromium
def test_the_network_check_catches_an_external_or_relative_asset(default, tmp_path: Path) -> None:
    html = default[1].replace("</body>", '<img src="https://cdn.example.com/logo.png"><img src="chart.png"></body>')
    page = write_briefing(html, tmp_path, "2026-W48", ["Østfold"])
    requests, _ = load_in_chromium(page, tmp_path / "profile")
    assert set(external_requests(page, requests)) == {"https://cdn.example.com/logo.png",
                                                      (tmp_path / "chart.png").as_uri()}


@needs_chromium
def test_pdf_is_a4_with_page_numbers_and_every_section(default, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from pipelines.briefing.pdf import print_pdf

    page = write_briefing(default[1], tmp_path, "2026-W48", ["Østfold", "Akershus"])
    pdf = print_pdf(page, tmp_path / "brief.pdf")
    reader = PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 4
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert "Kort fortalt" in pages[0] and "Hovedtall" in pages[0] and f"Side 1 av {len(pages)}" in pages[0]
    text = "\n".join(pages)
    for heading in ("Mest etterspurte kompetanser", "Økende og synkende", "Etter yrkesgruppe", "Metode og kilder"):
        assert heading in text
    assert not (tmp_path / ".brief.pdf.tmp").exists()


def test_pdf_without_chromium_fails_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.briefing import pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="apt-get install chromium"):
        pdf.print_pdf(tmp_path / "x.html", tmp_path / "x.pdf")
