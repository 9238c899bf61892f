"""Strategy documents: registry, fetching, HTML and PDF text, structure, priorities, policy vs demand."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pipelines.errors import InputError, SourceError
from pipelines.sources.strategy_docs import (
    DocumentFetcher,
    PdfLine,
    StrategySource,
    TextBlock,
    document_text,
    drop_running_lines,
    html_text,
    join_hyphenated,
    join_lines,
    load_registry,
    pdf_text,
)
from pipelines.strategy import (
    analyse,
    default_registry_path,
    document_regions,
    ingest_strategies,
    priority_of,
    split_sentences,
    structure,
)
from tests.warehouse.helpers import add_ads
from warehouse.db import open_warehouse
from warehouse.trends import refresh_trends

# ----------------------------------------------------------------------------------------- fixtures
CONCEPTS = """concept_id,label_nb,label_en,type,esco_uri,group
t:sykepleier,sykepleier,nurse,QUALIFICATION,,Helse og omsorg
t:helsefagarbeider,helsefagarbeider,health care worker,QUALIFICATION,,Helse og omsorg
t:ikt-sikkerhet,IKT-sikkerhet,ICT security,SKILL,,IKT
t:dataanalyse,dataanalyse,data analysis,SKILL,,IKT
t:truck,truckførerbevis,forklift licence,QUALIFICATION,,Logistikk
t:sveising,sveising,welding,SKILL,,Industri
t:samarbeidsevner,samarbeidsevner,cooperation,SOFT,,Personlige egenskaper
t:fleksibel,fleksibel,flexible,SOFT,,Personlige egenskaper
t:prioritering,prioritering,prioritising,SOFT,,Personlige egenskaper
"""
SURFACES = """surface,concept_id,lang
sykepleier,t:sykepleier,both
sykepleiere,t:sykepleier,nb
sjukepleiar,t:sykepleier,nn
sjukepleiarar,t:sykepleier,nn
helsefagarbeidere,t:helsefagarbeider,nb
helsefagarbeidarar,t:helsefagarbeider,nn
IKT-sikkerhet,t:ikt-sikkerhet,nb
IKT-tryggleik,t:ikt-sikkerhet,nn
dataanalyse,t:dataanalyse,both
truckførerbevis,t:truck,both
sveising,t:sveising,both
samarbeidsevner,t:samarbeidsevner,both
samarbeid,t:samarbeidsevner,both
fleksibel,t:fleksibel,both
fleksible,t:fleksibel,both
prioritere,t:prioritering,both
prioriterer,t:prioritering,both
"""


@pytest.fixture(scope="module")
def small_extractor(lexicon_extractor):
    """Lexicon-only extractor over six concepts."""
    return lexicon_extractor(CONCEPTS, SURFACES)


BODY, BOLD = ("Helvetica", 10.5), ("Helvetica-Bold", 14.0)
H2 = ("Helvetica-Bold", 11.5)


def make_pdf(
    pages: list[list[tuple[str, tuple[str, float]]]],
    *,
    header: str | None = "Testplan for Testfylke 2026",
    footer: bool = True,
) -> bytes:
    """A typeset-looking PDF: given lines per page, a running header and a 'Side N av M' footer."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    width, height = A4
    for number, lines in enumerate(pages, start=1):
        if header:
            canvas.setFont("Helvetica", 8.5)
            canvas.drawString(72, height - 42, header)
        y = height - 82
        for text, (font, size) in lines:
            canvas.setFont(font, size)
            canvas.drawString(72, y, text)
            y -= 15 if size < 12 else 22
        if footer:
            canvas.setFont("Helvetica", 8.5)
            canvas.drawString(72, 42, "Eksempeltekst for tester")
            canvas.drawRightString(width - 72, 42, f"Side {number} av {len(pages)}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


PLAN_PAGES = [
    [
        ("1 Innledning", BOLD),
        ("Planen beskriver kompetanse-", BODY),
        ("behovet i regionen fram mot 2030. Mange virksomheter melder om mangel på", BODY),
        ("ansatte med kompetanse i IKT-", BODY),
        ("sikkerhet og dataanalyse.", BODY),
        ("2 Behov", BOLD),
        ("2.1 Helse", H2),
        ("Det er stort behov for sykepleiere i helse-", BODY),
        ("og omsorgstjenestene, særlig i kommunene rundt Oslo-", BODY),
        ("området. Fylkeskommunen vil ta initiativ overfor arbeids-", BODY),
    ],
    [
        ("livet om flere lærlinger.", BODY),
        ("3 Prioriteringer", BOLD),
        ("Fylkeskommunen vil prioritere opplæring i sveising.", BODY),
        ("Det er ikke behov for flere truckførere i regionen.", BODY),
    ],
    [("4 Oppfølging", BOLD), ("Planen følges opp med et årlig handlingsprogram.", BODY)],
]


# ----------------------------------------------------------------------------------------- registry
def test_sample_and_shipped_registries_load_and_resolve_their_regions() -> None:
    sample = load_registry(default_registry_path(demo=True))
    assert {s.doc_id for s in sample} >= {
        "regional-kompetanseplan-ostfold-2026",
        "kompetansestrategi-buskerud-2026",
    }
    assert all(s.path is not None and s.path.exists() for s in sample)
    assert {s.language for s in sample} == {"nb", "nn"}
    shipped = load_registry(default_registry_path())
    ids = {s.doc_id for s in shipped}
    assert {"meld-st-14-2019-2020", "nou-2018-2", "nou-2019-2", "nou-2020-2"} <= ids
    assert all(s.url and s.url_verified is False for s in shipped)
    regions = {code for s in shipped for r in document_regions(s) for code in [r["region_code"]]}
    assert {"NO", "31", "32", "33"} <= regions


def test_split_county_speaks_for_its_heirs_and_municipality_for_its_county() -> None:
    def source(level: str, region: str | None, year: int = 2022) -> StrategySource:
        return StrategySource("x", "t", "i", level, region, year, "nb", "https://e.no", None, year, None)

    assert [r["region_code"] for r in document_regions(source("county", "Viken"))] == ["31", "32", "33"]
    assert document_regions(source("county", "Østfold", 2026)) == [
        {"region_level": "county", "region_code": "31", "region_name": "Østfold"}
    ]
    municipal = document_regions(source("municipal", "Fredrikstad", 2026))
    assert ("county", "31") in {(r["region_level"], r["region_code"]) for r in municipal}
    with pytest.raises(InputError, match="not a county"):
        document_regions(source("county", "Atlantis"))


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"id": "a", "title": "T", "issuer": "I", "level": "fylke", "year": 2026, "url": "https://x.no"},
            "level must be",
        ),
        (
            {"id": "a", "title": "T", "issuer": "I", "level": "national", "year": 2026},
            "exactly one of `url:`",
        ),
        (
            {"id": "a", "title": "T", "issuer": "I", "level": "county", "year": 2026, "url": "https://x.no"},
            "needs `region:`",
        ),
        (
            {
                "id": "a",
                "title": "T",
                "issuer": "I",
                "level": "national",
                "year": "snart",
                "url": "https://x.no",
            },
            "year must be",
        ),
        (
            {
                "id": "a",
                "titel": "T",
                "title": "T",
                "issuer": "I",
                "level": "national",
                "year": 2026,
                "url": "https://x.no",
            },
            "unknown field",
        ),
        (
            {"id": "a", "title": "T", "issuer": "I", "level": "national", "year": 2026, "url": "ftp://x.no"},
            "must start with",
        ),
        (
            {"id": "a", "title": "T", "level": "national", "year": 2026, "url": "https://x.no"},
            "missing required field",
        ),
    ],
)
def test_registry_errors_say_which_field_to_fix(tmp_path: Path, entry: dict, message: str) -> None:
    import yaml

    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"documents": [entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_registry_rejects_duplicates_bad_yaml_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    entry = "  - {id: a, title: T, issuer: I, level: national, year: 2026, url: 'https://x.no'}\n"
    path.write_text("documents:\n" + entry + entry, encoding="utf-8")
    with pytest.raises(InputError, match="used twice"):
        load_registry(path)
    path.write_text("documents: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_registry(path)
    with pytest.raises(InputError, match="does not exist"):
        load_registry(tmp_path / "missing.yaml")


# ----------------------------------------------------------------------------------------- fetching
def test_fetch_keeps_a_cache_and_asks_conditionally(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            content=b"<html><main><p>x</p></main></html>",
            headers={"ETag": '"v1"', "Content-Type": "text/html"},
        )

    with DocumentFetcher(tmp_path / "cache", transport=httpx.MockTransport(handler)) as fetcher:
        first = fetcher.fetch_url("https://example.no/plan")
        second = fetcher.fetch_url("https://example.no/plan")
    assert (first.origin, second.origin) == ("network", "not-modified")
    assert second.content == first.content and second.content_type == "text/html"
    assert "if-none-match" not in seen[0] and seen[1]["if-none-match"] == '"v1"'


def test_fetch_failure_falls_back_to_the_cache_or_says_what_to_fix(tmp_path: Path) -> None:
    status = {"code": 200}
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(status["code"], content=b"%PDF-1.4 body")

    fetcher = DocumentFetcher(
        tmp_path / "cache", transport=httpx.MockTransport(handler), sleep=lambda s: None
    )
    fetcher.fetch_url("https://example.no/a.pdf")
    status["code"] = 503
    stale = fetcher.fetch_url("https://example.no/a.pdf")
    assert stale.origin == "stale-cache" and stale.content == b"%PDF-1.4 body"
    assert "fetch failed" in stale.warnings[0]
    assert calls["n"] == 1 + 3  # retried a 503 three times in all
    status["code"] = 404
    with pytest.raises(SourceError, match="Check the URL"):
        fetcher.fetch_url("https://example.no/other.pdf")
    assert calls["n"] == 1 + 3 + 1  # a 404 is not retried
    fetcher.close()


# ----------------------------------------------------------------------------------------- HTML
PAGE = """<!DOCTYPE html><html lang="nn"><head><title>Plan</title><script>var x = 1;</script></head><body>
<header><div>Fylkeskommunen</div>
<nav><ul><li><a href="#">Framsida</a></li><li>Kontakt</li></ul></nav></header>
<div class="cookie-banner"><p>Vi brukar informasjonskapslar.</p></div>
<main><article>
  <h1>Kompetanseplan</h1>
  <p>Innleiing med <strong>utheva</strong> tekst
     over fleire linjer.</p>
  <h2>2 Behov</h2>
  <h3>2.1 Helse</h3>
  <ul><li>Det er stort behov for sjukepleiarar.<ul><li>Særleg i distrikta.</li></ul></li></ul>
  <aside><p>Les òg: andre planar</p></aside>
</article></main>
<footer><p>Kontakt oss</p></footer></body></html>"""


def test_html_keeps_main_content_and_heading_levels() -> None:
    text = html_text(PAGE.encode("utf-8"))
    assert text.language == "nn" and text.title == "Plan" and text.warnings == []
    assert [(b.kind, b.level, b.text) for b in text.blocks] == [
        ("heading", 1, "Kompetanseplan"),
        ("text", 0, "Innleiing med utheva tekst over fleire linjer."),
        ("heading", 2, "2 Behov"),
        ("heading", 3, "2.1 Helse"),
        ("item", 0, "Det er stort behov for sjukepleiarar."),
        ("item", 0, "Særleg i distrikta."),
    ]


def test_html_without_main_element_drops_page_furniture_and_says_so() -> None:
    html = (
        "<html><body><header>Meny</header><nav>Lenker</nav><div><h2>Mål</h2><p>"
        + "Fylkeskommunen vil prioritere fagbrev. " * 3
        + "</p></div><footer>Kontakt</footer></body></html>"
    )
    text = html_text(html)
    assert [b.text for b in text.blocks][0] == "Mål"
    assert not any(w in b.text for b in text.blocks for w in ("Meny", "Lenker", "Kontakt"))
    assert "no <main>" in text.warnings[0]


# ----------------------------------------------------------------------------------------- PDF
@pytest.mark.parametrize(
    "head, tail, sentence_start, expected",
    [
        ("kompetanse-", "behovet", False, "kompetansebehovet"),
        ("IKT-", "sikkerhet", False, "IKT-sikkerhet"),
        ("helse-", "og", False, "helse- og"),
        ("Oslo-", "området.", False, "Oslo-området."),
        ("Arbeids-", "livet", True, "Arbeidslivet"),
        ("e-", "post", False, "e-post"),
        ("5G-", "nett", False, "5G-nett"),
        ("Sør-", "Trøndelag", False, "Sør-Trøndelag"),
        ("bygg-", "eller", False, "bygg- eller"),
    ],
)
def test_line_end_hyphens_are_repaired_but_real_hyphens_kept(head, tail, sentence_start, expected) -> None:
    assert join_hyphenated(head, tail, set(), sentence_start=sentence_start) == expected


def test_the_document_itself_decides_ambiguous_hyphens() -> None:
    # 'lærer-utdanning' is written with a hyphen inside a line elsewhere: keep it; 'fag-skolen' is not.
    text, starts = join_lines(
        ["Vi satser på lærer-", "utdanning og fag-", "skolen.", "Mer om lærer-utdanning her."]
    )
    assert text == "Vi satser på lærer-utdanning og fagskolen. Mer om lærer-utdanning her."
    assert text[starts[2] :].startswith("skolen.")


def test_pdf_text_drops_running_lines_repairs_hyphens_and_keeps_pages() -> None:
    text = pdf_text(make_pdf(PLAN_PAGES))
    assert text.warnings == [] and text.pages == 3
    joined = "\n".join(b.text for b in text.blocks)
    assert (
        "Testplan for Testfylke" not in joined
        and "Side 1 av 3" not in joined
        and "Eksempeltekst" not in joined
    )
    assert "kompetansebehovet" in joined and "IKT-sikkerhet" in joined
    assert "helse- og omsorgstjenestene" in joined and "Oslo-området" in joined
    headings = [(b.text, b.level) for b in text.blocks if b.kind == "heading"]
    assert headings == [
        ("1 Innledning", 1),
        ("2 Behov", 1),
        ("2.1 Helse", 2),
        ("3 Prioriteringer", 1),
        ("4 Oppfølging", 1),
    ]
    doc = structure(text.blocks)
    by_text = {s.text: s for s in doc.sentences}
    # a sentence broken over a page break ('arbeids-' | 'livet') is whole and cited on the page it starts
    across = by_text["Fylkeskommunen vil ta initiativ overfor arbeidslivet om flere lærlinger."]
    assert across.page == 1
    assert by_text["Fylkeskommunen vil prioritere opplæring i sveising."].page == 2
    sections = {s.section_no: s for s in doc.sections}
    assert sections[
        by_text[
            "Det er stort behov for sykepleiere i helse- og omsorgstjenestene, særlig i kommunene "
            "rundt Oslo-området."
        ].section_no
    ].path == ("2 Behov", "2.1 Helse")


def test_running_lines_need_to_recur_at_page_edges() -> None:
    words = "en to tre fire fem seks sju åtte ni ti elleve tolv".split()

    def page(p: int) -> list[PdfLine]:
        body = [PdfLine(p, f"Setning {words[p * 4 + i]} om noe helt annet på side {p}.") for i in range(4)]
        return (
            [PdfLine(p, "Testplan for Testfylke"), PdfLine(p, "")]
            + body[:2]
            + [PdfLine(p, "Testplan for Testfylke")]
            + body[2:]
            + [PdfLine(p, f"{p + 1}")]
        )

    kept = drop_running_lines([page(p) for p in range(3)])
    texts = [line.text for line in kept[1] if line.text]
    assert texts == [line.text for line in page(1)[2:-1] if line.text]  # the mid-page repeat stays
    # a chapter's running header on only two of six pages still goes when it opens both pages
    chapters = [
        [
            PdfLine(p, f"Kapittel {p // 2}: Behov {p + 1}" if p in (2, 3) else f"Innledning {p}"),
            PdfLine(p, f"Tekst nummer {words[p]} på denne siden."),
        ]
        for p in range(6)
    ]
    assert [[line.text for line in lines] for lines in drop_running_lines(chapters)][2:4] == [
        ["Tekst nummer tre på denne siden."],
        ["Tekst nummer fire på denne siden."],
    ]


def test_pdf_without_text_layer_is_a_warning_not_a_crash() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for _ in range(2):
        canvas.rect(100, 100, 300, 500, fill=1)  # a 'scan': graphics only
        canvas.showPage()
    canvas.save()
    text = pdf_text(buffer.getvalue())
    assert text.blocks == [] and text.pages == 2
    assert any("no text layer" in w and "OCR" in w for w in text.warnings)


def test_encrypted_pdf_is_a_warning_unless_it_opens_without_password() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PLAN_PAGES))))
    writer.encrypt(user_password="hemmelig", owner_password="eier", algorithm="AES-128")
    locked = io.BytesIO()
    writer.write(locked)
    text = pdf_text(locked.getvalue())
    assert text.blocks == [] and any("encrypted PDF" in w and "password" in w for w in text.warnings)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PLAN_PAGES))))
    writer.encrypt(user_password="", owner_password="eier", algorithm="RC4-128")
    open_ = io.BytesIO()
    writer.write(open_)
    text = pdf_text(open_.getvalue())
    assert any(b.text == "2.1 Helse" for b in text.blocks)
    assert any("without a password" in w for w in text.warnings)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_or_garbled_pdf_gives_warnings_not_exceptions(cut: float) -> None:
    data = make_pdf(PLAN_PAGES)
    text = pdf_text(data[: int(len(data) * cut)])
    assert any("broken PDF" in w or "damaged PDF" in w for w in text.warnings)
    garbled = pdf_text(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert garbled.blocks == [] and "broken PDF" in garbled.warnings[0]


def test_pdf_that_lost_its_tail_is_rebuilt_and_a_broken_page_skipped() -> None:
    from pypdf.generic import NameObject, NumberObject

    data = make_pdf(PLAN_PAGES)
    cut = pdf_text(data[: data.rfind(b"xref")])  # cross-reference table and trailer gone
    assert "damaged PDF" in cut.warnings[0]
    assert any("Fylkeskommunen vil prioritere opplæring i sveising." in b.text for b in cut.blocks)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.pages[1][NameObject("/Contents")] = NumberObject(5)  # page 2's content is no stream
    broken = io.BytesIO()
    writer.write(broken)
    text = pdf_text(broken.getvalue())
    assert any("page(s) 2" in w for w in text.warnings)
    assert [b.text for b in text.blocks if b.kind == "heading"] == [
        "1 Innledning",
        "2 Behov",
        "2.1 Helse",
        "4 Oppfølging",
    ]


def test_sample_pdf_reads_cleanly() -> None:
    path = default_registry_path(demo=True).parent / "regional_kompetanseplan_ostfold_2026.pdf"
    text = document_text(path.read_bytes())
    assert text.format == "pdf" and text.warnings == []
    joined = " ".join(b.text for b in text.blocks)
    words = {w.strip(".,;:") for w in joined.split()}
    for word in ("kompetansebehovene", "automatisering", "arbeidsgivere", "landsgjennomsnittet", "fagskolen"):
        assert word in words
    assert "Side 3 av 7" not in joined


# ------------------------------------------------------------------------------ structure, priorities
def test_sentences_split_at_ends_not_at_abbreviations() -> None:
    text = (
        "Meld. St. 14 (2019–2020) la grunnlaget, bl.a. for fagbrev. Det skjedde 1. januar 2024. "
        "Behovet er stort, f.eks. i helse! Hva nå? «Flere» må med"
    )
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == [
        "Meld. St. 14 (2019–2020) la grunnlaget, bl.a. for fagbrev.",
        "Det skjedde 1. januar 2024.",
        "Behovet er stort, f.eks. i helse!",
        "Hva nå?",
        "«Flere» må med",
    ]


@pytest.mark.parametrize(
    "sentence, kind, weight",
    [
        ("Det er behov for flere sykepleiere.", "need", 0.8),
        ("Det er stort behov for helsefagarbeidere i kommunene.", "need", 1.0),
        ("Det er mangel på fagarbeidere med fagbrev.", "shortage", 1.0),
        ("Fylkeskommunen vil prioritere læreplasser i elektrofag.", "priority", 1.0),
        ("Vi vil satse på etterutdanning i automatisering.", "priority", 1.0),
        ("Arbeidsgiverne melder om økt etterspørsel etter IKT-sikkerhet.", "demand", 0.8),
        ("Virksomhetene etterspør kompetanse i dataanalyse.", "demand", 0.6),
        # Nynorsk
        ("Det er auka etterspurnad etter digital kompetanse.", "demand", 0.8),
        ("Mange verksemder manglar folk med fagbrev.", "shortage", 1.0),
        ("Det er særleg stort behov for sjukepleiarar.", "need", 1.0),
        ("Kommunane treng fleire helsefagarbeidarar.", "need", 0.6),
        ("Fylkeskommunen vil prioritere fleire læreplassar.", "priority", 1.0),
        ("Øke antallet lærekontrakter i industrifag.", "action", 0.5),
    ],
)
def test_priority_statements_in_bokmal_and_nynorsk(sentence: str, kind: str, weight: float) -> None:
    statement = priority_of(sentence)
    assert statement is not None and statement.kind == kind and statement.weight == pytest.approx(weight)


@pytest.mark.parametrize(
    "sentence",
    [
        "Østfold har i overkant av 300 000 innbyggere.",
        "Det er ikke behov for flere jurister.",
        "Det er ikkje lenger behov for kurs i maskinskriving.",
        "Vi ser mindre etterspørsel etter sentralbordtjenester.",
    ],
)
def test_descriptions_and_negated_needs_are_not_priorities(sentence: str) -> None:
    assert priority_of(sentence) is None


def test_cue_words_and_policy_prose_are_not_competences(small_extractor) -> None:
    text = (
        "Satse på kurs i sveising i samarbeid med fagskolen. Det er behov for fleksible tilbud. "
        "Vi prioriterer samarbeidsevner. Vi trenger fleksible medarbeidere."
    )
    _, sentences, mentions = analyse(structure([TextBlock("text", text)]), small_extractor, "nb")
    assert [(m["sentence_no"], m["concept_id"]) for m in mentions] == [
        (0, "t:sveising"),
        (2, "t:samarbeidsevner"),
        (3, "t:fleksibel"),
    ]
    assert [s["priority_weight"] for s in sentences] == [1.0, 0.8, 1.0, 0.6]


def test_a_priority_heading_strengthens_the_statement() -> None:
    plain = priority_of("Det er behov for flere sykepleiere.", ["2 Utviklingstrekk"])
    boosted = priority_of("Det er behov for flere sykepleiere.", ["3 Prioriterte områder", "3.1 Helse"])
    assert boosted.weight == pytest.approx(plain.weight * 1.25)


# ------------------------------------------------------------------------------ ingest and warehouse
def write_registry(folder: Path, entries: list[dict]) -> Path:
    import yaml

    path = folder / "registry.yaml"
    path.write_text(
        yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


NN_PAGE = """<html lang="nn"><body><main>
<h1>Kompetansestrategi for Testfylket</h1>
<h2>1 Satsingsområde</h2>
<p>Det er auka etterspurnad etter IKT-tryggleik i alle bransjar. Fjorden er fin om sommaren.</p>
<ul><li>Det er mangel på sjukepleiarar i distrikta.</li></ul>
</main></body></html>"""


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "plan.pdf").write_bytes(make_pdf(PLAN_PAGES))
    (tmp_path / "strategi.html").write_text(NN_PAGE, encoding="utf-8")
    return write_registry(
        tmp_path,
        [
            {
                "id": "plan-ostfold",
                "title": "Testplan Østfold",
                "issuer": "Østfold fylkeskommune",
                "level": "county",
                "region": "Østfold",
                "year": 2026,
                "language": "nb",
                "path": "plan.pdf",
            },
            {
                "id": "strategi-buskerud",
                "title": "Teststrategi Buskerud",
                "issuer": "Buskerud fylkeskommune",
                "level": "county",
                "region": "Buskerud",
                "year": 2026,
                "path": "strategi.html",
            },
        ],
    )


def test_priorities_are_stored_with_their_citations(tmp_path: Path, corpus: Path, small_extractor) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    report = ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-1")
    assert (report.ingested, report.failed, report.warnings) == (2, 0, {})
    rows = con.execute("""SELECT doc_id, page, section, concept_id, round(weight, 3), priority_kind, sentence
                          FROM priorities ORDER BY doc_id, sentence_no, start""").fetchall()
    assert rows == [
        (
            "plan-ostfold",
            1,
            "1 Innledning",
            "t:ikt-sikkerhet",
            1.0,
            "shortage",
            "Mange virksomheter melder om mangel på ansatte med kompetanse i IKT-sikkerhet og dataanalyse.",
        ),
        (
            "plan-ostfold",
            1,
            "1 Innledning",
            "t:dataanalyse",
            1.0,
            "shortage",
            "Mange virksomheter melder om mangel på ansatte med kompetanse i IKT-sikkerhet og dataanalyse.",
        ),
        (
            "plan-ostfold",
            1,
            "2 Behov › 2.1 Helse",
            "t:sykepleier",
            1.0,
            "need",
            "Det er stort behov for sykepleiere i helse- og omsorgstjenestene, særlig i kommunene rundt "
            "Oslo-området.",
        ),
        (
            "plan-ostfold",
            2,
            "3 Prioriteringer",
            "t:sveising",
            1.25,
            "priority",
            "Fylkeskommunen vil prioritere opplæring i sveising.",
        ),
        (
            "strategi-buskerud",
            None,
            "1 Satsingsområde",
            "t:ikt-sikkerhet",
            1.0,
            "demand",
            "Det er auka etterspurnad etter IKT-tryggleik i alle bransjar.",
        ),
        (
            "strategi-buskerud",
            None,
            "1 Satsingsområde",
            "t:sykepleier",
            1.25,
            "shortage",
            "Det er mangel på sjukepleiarar i distrikta.",
        ),
    ]
    # the negated sentence names a concept but is no priority
    assert con.execute(
        "SELECT priority_weight FROM document_sentences WHERE text LIKE '%ikke behov for flere truck%'"
    ).fetchall()[0] == (0.0,)
    docs = dict(con.execute("SELECT doc_id, language FROM documents").fetchall())
    assert docs == {"plan-ostfold": "nb", "strategi-buskerud": "nn"}  # nn from the page's lang attribute
    con.close()


def test_reingest_skips_unchanged_and_a_lost_source_keeps_what_was_stored(
    tmp_path: Path, corpus: Path, small_extractor
) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-1")
    before = con.execute("SELECT count(*) FROM priorities").fetchall()[0][0]
    again = ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-2")
    assert (again.ingested, again.unchanged) == (0, 2)
    data = make_pdf(PLAN_PAGES)
    (tmp_path / "plan.pdf").write_bytes(data[: data.rfind(b"xref")])  # readable in part only
    partial = ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-3a")
    assert partial.failed == 1 and "kept the version read before" in partial.warnings["plan-ostfold"][-1]
    assert con.execute("SELECT count(*) FROM priorities").fetchall()[0][0] == before
    (tmp_path / "plan.pdf").write_bytes(data[:900])  # damaged beyond reading
    damaged = ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-3")
    assert damaged.failed == 1 and "plan-ostfold" in damaged.warnings
    assert con.execute("SELECT count(*) FROM priorities").fetchall()[0][0] == before
    status, error = con.execute(
        "SELECT status, last_error FROM documents WHERE doc_id = 'plan-ostfold'"
    ).fetchall()[0]
    assert status == "ok" and error
    (tmp_path / "plan.pdf").unlink()
    gone = ingest_strategies(con, small_extractor, corpus, tmp_path / "cache", "run-4")
    assert gone.failed == 1 and "Fix `path:`" in gone.warnings["plan-ostfold"][0]
    con.close()


def test_unreadable_new_document_is_recorded_as_failed(tmp_path: Path, small_extractor) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PLAN_PAGES))))
    writer.encrypt(user_password="hemmelig", algorithm="AES-128")
    with (tmp_path / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    registry = write_registry(
        tmp_path,
        [
            {
                "id": "locked",
                "title": "Låst",
                "issuer": "I",
                "level": "national",
                "year": 2026,
                "path": "locked.pdf",
            }
        ],
    )
    con = open_warehouse(tmp_path / "w.duckdb")
    report = ingest_strategies(con, small_extractor, registry, tmp_path / "cache", "run-1")
    assert report.failed == 1
    status, warnings = con.execute("SELECT status, warnings FROM documents").fetchall()[0]
    assert status == "failed" and "encrypted PDF" in json.loads(warnings)[0]
    con.close()


def test_policy_vs_demand_sets_priorities_against_ads_of_the_same_region_and_year(
    tmp_path: Path, small_extractor
) -> None:
    national = (
        "<html><body><main><h1>Nasjonal</h1><p>Det er stort behov for sykepleiere i hele landet.</p>"
        "</main></body></html>"
    )
    ostfold = (
        "<html><body><main><h1>Østfold</h1><p>Fylkeskommunen vil prioritere IKT-sikkerhet.</p>"
        "<p>Det er behov for dataanalyse.</p></main></body></html>"
    )
    old = "<html><body><main><h1>Gammel</h1><p>Vi vil prioritere sveising.</p></main></body></html>"
    for name, html in (("n.html", national), ("o.html", ostfold), ("g.html", old)):
        (tmp_path / name).write_text(html, encoding="utf-8")
    registry = write_registry(
        tmp_path,
        [
            {
                "id": "nasjonal",
                "title": "N",
                "issuer": "Staten",
                "level": "national",
                "year": 2026,
                "path": "n.html",
            },
            {
                "id": "ostfold",
                "title": "Ø",
                "issuer": "Østfold fk",
                "level": "county",
                "region": "Østfold",
                "year": 2026,
                "path": "o.html",
            },
            {
                "id": "gammel",
                "title": "G",
                "issuer": "Østfold fk",
                "level": "county",
                "region": "Østfold",
                "year": 2018,
                "valid_to": 2021,
                "path": "g.html",
            },
        ],
    )
    con = open_warehouse(tmp_path / "w.duckdb")
    ingest_strategies(con, small_extractor, registry, tmp_path / "cache", "run-1")
    for week in ("2026-W40", "2026-W41"):
        add_ads(con, week, "Østfold", 20, {"t:sykepleier": 5, "t:truck": 4, "t:dataanalyse": 1}, prefix="o")
        add_ads(con, week, "Akershus", 10, {"t:sykepleier": 1, "t:sveising": 3}, prefix="a")
    refresh_trends(con, "2026-W41", min_ads=3)
    rows = con.execute("""SELECT key, status, round(priority_weight, 3), ads_with, ads, documents
                          FROM policy_vs_demand WHERE level = 'concept' AND region_code = '31' AND year = 2026
                          ORDER BY key""").fetchall()
    assert rows == [
        ("t:dataanalyse", "priority_little_demand", 0.8, 2, 40, ["ostfold"]),  # 5 % of ads but only 2 ads
        ("t:ikt-sikkerhet", "priority_little_demand", 1.0, 0, 40, ["ostfold"]),
        ("t:sykepleier", "aligned", 1.0, 10, 40, ["nasjonal"]),  # the national document counts here
        ("t:truck", "demand_not_in_strategy", 0.0, 8, 40, None),
    ]
    akershus = dict(
        con.execute("""SELECT key, status FROM policy_vs_demand WHERE level = 'concept'
                                   AND region_code = '32'""").fetchall()
    )
    # Østfold's plan does not count in Akershus; the 2018–2021 plan does not count in 2026
    assert akershus == {"t:sykepleier": "priority_little_demand", "t:sveising": "demand_not_in_strategy"}
    groups = dict(
        con.execute("""SELECT key, status FROM policy_vs_demand WHERE level = 'skill_group'
                                 AND region_code = '31'""").fetchall()
    )
    assert groups == {
        "Helse og omsorg": "aligned",
        "IKT": "priority_little_demand",
        "Logistikk": "demand_not_in_strategy",
    }
    con.execute("UPDATE policy_thresholds SET min_demand_ads = 2")
    assert con.execute("""SELECT status FROM policy_vs_demand WHERE key = 't:dataanalyse'
                          AND region_code = '31'""").fetchall()[0] == ("aligned",)
    con.close()


def test_cli_ingests_a_registry_records_the_run_and_publishes(
    tmp_path: Path, corpus: Path, small_extractor, monkeypatch
) -> None:
    import duckdb
    import typer
    from typer.testing import CliRunner

    from extractors.extract import Extractor
    from pipelines.cli_strategy import strategy

    monkeypatch.setattr(Extractor, "load", classmethod(lambda cls, **kw: small_extractor))
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("strategy")(strategy)
    result = CliRunner().invoke(
        app, ["strategy", "--registry", str(corpus), "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 0, result.output
    assert "2 read" in result.output and "0 failed" in result.output
    assert "occupation-area statements" in result.output
    snapshot = duckdb.connect(str(tmp_path / "data" / "analytics.duckdb"), read_only=True)
    assert snapshot.execute("SELECT count(*) FROM priorities").fetchall()[0][0] == 6
    assert snapshot.execute("SELECT flow, status FROM runs").fetchall() == [("ingest-strategy", "COMPLETED")]
    snapshot.close()
    (tmp_path / "plan.pdf").unlink()
    (tmp_path / "strategi.html").unlink()
    failed = CliRunner().invoke(
        app, ["strategy", "--registry", str(corpus), "--data-dir", str(tmp_path / "data")]
    )
    assert failed.exit_code == 3 and "no document could be read" in failed.output
