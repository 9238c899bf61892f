#!/usr/bin/env python3
"""Build the sample strategy PDF for the Kompetanseradar test corpus.

Reads a small Markdown-like source file and lays the text out by hand with
``reportlab``'s canvas, line by line, so that the PDF text layer looks like a
real typeset report:

* a running header and a footer with "Side N av M" on every page,
* a cover page with a table of contents,
* numbered headings on two levels ("3" and "3.1"),
* justified body text and bullet lists,
* real end-of-line hyphenation: long compound words are broken with a hyphen
  at the end of one line and continue on the next (e.g. "kompetanse-" /
  "behov"), using the explicit break list ``HYPHENATION`` below.

The output is deterministic (``invariant=1`` and a fixed date), so rebuilding
from the same source gives byte-identical files.

Source format (see the source file for an example):

    ---                      front matter, "key: value" lines
    ---
    ## 1 Heading             level-1 heading
    ### 1.1 Heading          level-2 heading
    - item                   bullet item (one line per item)
    blank line               paragraph break
    <!-- ... -->             comment, ignored

Usage:
    python scripts/build_sample_pdf.py [--source SRC.md] [--out OUT.pdf]
        [--report]

The PDF content is example text written by the Kompetanseradar team; it is
not an official document.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

REPO = Path(__file__).resolve().parents[1]
STRATEGY_DIR = REPO / "pipelines" / "sample_data" / "strategy"
DEFAULT_SOURCE = STRATEGY_DIR / "sources" / "regional_kompetanseplan_ostfold_2026.md"
DEFAULT_OUT = STRATEGY_DIR / "regional_kompetanseplan_ostfold_2026.pdf"

# Fixed PDF date (CreationDate/ModDate) so that the bytes never change.
FIXED_PDF_DATE = "D:20261022120000+01'00'"

# ---------------------------------------------------------------------------
# Page geometry and typography
# ---------------------------------------------------------------------------
PAGE_W, PAGE_H = A4
MARGIN_L = 72.0
MARGIN_R = 72.0
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
HEADER_Y = PAGE_H - 42.0          # baseline of running header
HEADER_RULE_Y = PAGE_H - 50.0
BODY_TOP = PAGE_H - 82.0          # baseline of first body line
BODY_BOTTOM = 78.0                # lowest allowed body baseline
FOOTER_RULE_Y = 56.0
FOOTER_Y = 42.0

BODY_FONT = "Helvetica"
BOLD_FONT = "Helvetica-Bold"
ITALIC_FONT = "Helvetica-Oblique"
BODY_SIZE = 10.5
LEADING = 15.0
PARA_GAP = 7.0
H1_SIZE = 14.0
H1_BEFORE = 16.0
H1_AFTER = 8.0
H2_SIZE = 11.5
H2_BEFORE = 10.0
H2_AFTER = 5.0
BULLET_INDENT = 8.0
BULLET_TEXT_INDENT = 22.0
BULLET_GAP = 3.0
# Do not justify a line if this would make word gaps wider than this (pt).
MAX_WORD_SPACE = 7.0

ACCENT = Color(0.0, 0.29, 0.45)   # dark blue used for rules and headings
GREY = Color(0.35, 0.35, 0.35)

# ---------------------------------------------------------------------------
# Hyphenation
# ---------------------------------------------------------------------------
# Allowed break points for long (mostly compound) words, written with "-" at
# each permitted break.  Matching is case-insensitive on the bare word
# (punctuation stripped).  Only words listed here are ever hyphenated, so the
# breaks are linguistically correct Bokmål compound/syllable boundaries.
HYPHENATION = """
kompetanse-behov kompetanse-behovet kompetanse-behovene kompetanse-politikken
kompetanse-partnerskap kompetanse-forumet kompetanse-miljøer kompetanse-heving
arbeids-livet arbeids-liv arbeids-kraft arbeids-giveren arbeids-giverne
arbeids-givere arbeids-takere arbeids-taker-organisasjoner arbeids-oppgavene
arbeids-markedene arbeids-plassen
fylkes-kommunen fylkes-kommunens fylkes-tinget
helse-fag-arbeidere helse-fag-arbeider helse-arbeider-fag helse-fag-lig
helse-relaterte omsorgs-tjenestene omsorgs-boliger
syke-pleiere syke-pleier-utdanning spesial-syke-pleiere syke-hjemmene
fag-arbeidere fag-skolen fag-skole-tilbud fag-opplæring
prosess-industrien prosess-industri prosess-styring prosess-teknikk
industri-mekanikere industri-mekanikk industri-områdene industri-historie
auto-matikere auto-matisering auto-matiseringen auto-matiserte
energi-effektivisering energi-effektiv elektri-fisering
material-teknologi material-gjenvinning batteri-teknologi batteri-sikkerhet
batteri-prosjekter solcelle-industrien solcelle-anlegg solcelle-produksjon
elektro-kjemi kvalitets-sikring renroms-produksjon
logistikk-næringen logistikk-virksomhetene logistikk-faget
distribusjons-sentre grense-overgangen yrkes-sjåfører yrkes-sjåfør-faget
truck-fører-bevis lager-styring toll-behandling
velferds-teknologi demens-omsorg praksis-kandidat-ordningen
modul-strukturert desentra-lisert
samferdsels-prosjekter jernbane-utbyggingen strøm-nettet nett-selskapene
energi-montører bygge-prosesser rehabi-litering
digitali-seringen digitali-sering informasjons-sikkerhet
voksen-opplæringen karriere-veiledning
norsk-opplæring norsk-opplæringen språk-opplæring
lære-plasser lære-kontrakter opplærings-kontorene opplærings-kontorer
kombinasjons-løp yrkes-kvalifikasjoner
utdannings-institusjonene utdannings-tilbudene utdannings-tilbud
bransje-programmer ledelses-kompetanse ledelses-utvikling
samarbeids-evner stillings-annonser
handlings-programmet handlings-program
gjennom-føring gjennom-føres gjennom-snittet lands-gjennomsnittet
sysselsettings-andelen syssel-settingen befolknings-veksten fødsels-overskuddet
innvandrer-bakgrunn mål-oppnåelsen midtveis-evaluering
virksom-hetene virksom-heter virksomhets-undersøkelser
hørings-uttalelser hørings-utkastet plan-programmet kunnskaps-grunnlaget
kunnskaps-grunnlag referanse-gruppe dialog-møter
varme-pumper erfarings-kompetanse sirkulær-økonomi klima-regnskap
treforedlings-industrien bio-raffinering
videre-utdanning etter-utdanning
"""


def _build_hyphenation(spec: str) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for pattern in spec.split():
        word = pattern.replace("-", "")
        points, pos = [], 0
        for part in pattern.split("-")[:-1]:
            pos += len(part)
            points.append(pos)
        table[word.lower()] = points
    return table


HYPH = _build_hyphenation(HYPHENATION)
MIN_HEAD = 3   # at least this many letters before a break
MIN_TAIL = 3   # and after it


def hyphen_splits(token: str) -> list[tuple[str, str]]:
    """Possible (head-with-hyphen, tail) splits of a token, longest head first."""
    m = re.match(r"^([(«\"]*)(.*?)([)»\".,;:!?]*)$", token)
    lead, core, trail = m.group(1), m.group(2), m.group(3)
    points = HYPH.get(core.lower())
    if not points:
        return []
    out = []
    for p in sorted(points, reverse=True):
        if p < MIN_HEAD or len(core) - p < MIN_TAIL:
            continue
        out.append((lead + core[:p] + "-", core[p:] + trail))
    return out


# ---------------------------------------------------------------------------
# Source parsing
# ---------------------------------------------------------------------------
@dataclass
class Block:
    kind: str            # "h1", "h2", "para", "bullet"
    text: str


@dataclass
class Source:
    meta: dict[str, str]
    blocks: list[Block] = field(default_factory=list)


def parse_source(path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    meta: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    if lines and lines[0].strip() == "---":
        i = 1
        while i < len(lines) and lines[i].strip() != "---":
            if ":" in lines[i]:
                k, v = lines[i].split(":", 1)
                meta[k.strip()] = v.strip()
            i += 1
        i += 1
    src = Source(meta=meta)
    para: list[str] = []

    def flush() -> None:
        if para:
            src.blocks.append(Block("para", " ".join(para)))
            para.clear()

    for raw in lines[i:]:
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("### "):
            flush()
            src.blocks.append(Block("h2", line[4:].strip()))
        elif line.startswith("## "):
            flush()
            src.blocks.append(Block("h1", line[3:].strip()))
        elif line.startswith("- "):
            flush()
            src.blocks.append(Block("bullet", line[2:].strip()))
        else:
            para.append(line)
    flush()
    return src


# ---------------------------------------------------------------------------
# Line breaking
# ---------------------------------------------------------------------------
@dataclass
class Line:
    text: str
    justify: bool
    hyphenated: str | None = None   # "head-|tail" if the line ends in a break


def sw(s: str, font: str = BODY_FONT, size: float = BODY_SIZE) -> float:
    return stringWidth(s, font, size)


def break_lines(text: str, width: float, font: str = BODY_FONT,
                size: float = BODY_SIZE) -> list[Line]:
    """Greedy line breaking with dictionary hyphenation.

    A word that does not fit is hyphenated if one of its allowed heads fits
    in the remaining space; two consecutive hyphenated lines are avoided.
    """
    words = text.split()
    lines: list[Line] = []
    cur: list[str] = []
    prev_hyphenated = False
    i = 0
    while i < len(words):
        w = words[i]
        trial = " ".join(cur + [w])
        if sw(trial, font, size) <= width:
            cur.append(w)
            i += 1
            continue
        if not cur:                       # single over-long word: force it
            lines.append(Line(w, False))
            i += 1
            continue
        used = sw(" ".join(cur) + " ", font, size)
        done = False
        # never hyphenate two lines in a row, nor the last word of a block
        # (that would leave a lone word fragment on the final line)
        if not prev_hyphenated and i < len(words) - 1:
            for head, tail in hyphen_splits(w):
                if used + sw(head, font, size) <= width:
                    lines.append(Line(" ".join(cur + [head]), True,
                                      hyphenated=f"{head}|{tail}"))
                    words[i] = tail
                    cur = []
                    prev_hyphenated = True
                    done = True
                    break
        if not done:
            lines.append(Line(" ".join(cur), True))
            cur = []
            prev_hyphenated = False
    if cur:
        lines.append(Line(" ".join(cur), False))
    return lines


# ---------------------------------------------------------------------------
# Layout into pages (display list), then render with known page count
# ---------------------------------------------------------------------------
@dataclass
class Op:
    kind: str            # "text", "jtext", "rule", "rect"
    args: tuple


@dataclass
class Page:
    ops: list[Op] = field(default_factory=list)


class Layout:
    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.y = 0.0
        self.toc: list[tuple[str, str, int]] = []   # (level, title, page no)
        self.hyphenations: list[str] = []
        self.new_page()

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page())
        self.y = BODY_TOP

    def ensure(self, needed: float) -> None:
        if self.y - needed < BODY_BOTTOM:
            self.new_page()

    def emit_line(self, x: float, width: float, line: Line,
                  font: str = BODY_FONT, size: float = BODY_SIZE) -> None:
        if self.y < BODY_BOTTOM:
            self.new_page()
        if line.justify:
            self.page.ops.append(Op("jtext", (x, self.y, width, line.text, font, size)))
        else:
            self.page.ops.append(Op("text", (x, self.y, line.text, font, size)))
        if line.hyphenated:
            self.hyphenations.append(line.hyphenated)
        self.y -= LEADING

    def heading(self, level: str, title: str) -> None:
        size = H1_SIZE if level == "h1" else H2_SIZE
        before = H1_BEFORE if level == "h1" else H2_BEFORE
        after = H1_AFTER if level == "h1" else H2_AFTER
        at_top = abs(self.y - BODY_TOP) < 0.01
        # keep heading together with at least three body lines
        self.ensure((0 if at_top else before) + size + after + 3 * LEADING)
        if not (abs(self.y - BODY_TOP) < 0.01):
            self.y -= before
        self.page.ops.append(Op("text", (MARGIN_L, self.y, title, BOLD_FONT, size, "accent")))
        self.toc.append((level, title, len(self.pages)))
        self.y -= size + after

    def paragraph(self, text: str) -> None:
        lines = break_lines(text, TEXT_W)
        # avoid a single orphan line at the bottom of a page
        if len(lines) > 1 and self.y - LEADING < BODY_BOTTOM:
            self.new_page()
        for ln in lines:
            self.emit_line(MARGIN_L, TEXT_W, ln)
        self.y -= PARA_GAP

    def bullet(self, text: str, last: bool) -> None:
        width = TEXT_W - BULLET_TEXT_INDENT
        lines = break_lines(text, width)
        if self.y < BODY_BOTTOM:
            self.new_page()
        self.page.ops.append(Op("text", (MARGIN_L + BULLET_INDENT, self.y, "\u2022", BODY_FONT, BODY_SIZE)))
        for ln in lines:
            self.emit_line(MARGIN_L + BULLET_TEXT_INDENT, width, ln)
        self.y -= PARA_GAP if last else BULLET_GAP


def layout_body(src: Source, layout: Layout) -> None:
    blocks = src.blocks
    for n, b in enumerate(blocks):
        if b.kind in ("h1", "h2"):
            layout.heading(b.kind, b.text)
        elif b.kind == "para":
            layout.paragraph(b.text)
        elif b.kind == "bullet":
            nxt = blocks[n + 1].kind if n + 1 < len(blocks) else None
            layout.bullet(b.text, last=(nxt != "bullet"))


def build_cover(src: Source, toc: list[tuple[str, str, int]]) -> Page:
    m = src.meta
    page = Page()
    ops = page.ops
    top = BODY_TOP + 6
    ops.append(Op("rect", (MARGIN_L, top - 150, TEXT_W, 150, "accent")))
    y = top - 40
    for ln in break_lines(m.get("title", ""), TEXT_W - 40, BOLD_FONT, 21):
        ops.append(Op("text", (MARGIN_L + 20, y, ln.text, BOLD_FONT, 21, "white")))
        y -= 27
    ops.append(Op("text", (MARGIN_L + 20, y - 4, m.get("subtitle", ""), BODY_FONT, 11, "white")))
    y = top - 150 - 30
    ops.append(Op("text", (MARGIN_L, y, m.get("issuer", ""), BOLD_FONT, 12)))
    y -= 18
    ops.append(Op("text", (MARGIN_L, y, m.get("date", ""), BODY_FONT, 10.5)))
    y -= 26
    ops.append(Op("text", (MARGIN_L, y, m.get("disclaimer", ""), ITALIC_FONT, 10, "grey")))
    y -= 40
    ops.append(Op("text", (MARGIN_L, y, "Innhold", BOLD_FONT, 13, "accent")))
    y -= 8
    ops.append(Op("rule", (MARGIN_L, y, MARGIN_L + TEXT_W, y)))
    y -= 18
    for level, title, pno in toc:
        font = BOLD_FONT if level == "h1" else BODY_FONT
        x = MARGIN_L if level == "h1" else MARGIN_L + 18
        if level == "h1" and y < top - 200:
            y -= 3
        ops.append(Op("toc", (x, y, title, font, 10, str(pno))))
        y -= 14.5
    return page


def render(src: Source, pages: list[Page], out: Path) -> None:
    m = src.meta
    c = Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1)
    c.setDateFormatter(lambda *a: FIXED_PDF_DATE)
    c.setTitle(m.get("pdf_title", m.get("title", "")))
    c.setAuthor(m.get("pdf_author", ""))
    c.setSubject(m.get("pdf_subject", ""))
    c.setCreator("Kompetanseradar scripts/build_sample_pdf.py")
    c.setProducer("ReportLab")
    c.setKeywords("eksempeltekst, kompetanse, Østfold")
    total = len(pages)

    def colour(name: str | None):
        return {"accent": ACCENT, "grey": GREY, "white": Color(1, 1, 1)}.get(name or "", Color(0, 0, 0))

    for pno, page in enumerate(pages, start=1):
        # running header
        c.setFillColor(GREY)
        c.setFont(BODY_FONT, 8.5)
        c.drawString(MARGIN_L, HEADER_Y, m.get("running_header", ""))
        c.drawRightString(PAGE_W - MARGIN_R, HEADER_Y, m.get("running_header_right", ""))
        c.setStrokeColor(ACCENT)
        c.setLineWidth(0.6)
        c.line(MARGIN_L, HEADER_RULE_Y, PAGE_W - MARGIN_R, HEADER_RULE_Y)

        for op in page.ops:
            if op.kind == "rect":
                x, y, w, h, col = op.args
                c.setFillColor(colour(col))
                c.rect(x, y, w, h, stroke=0, fill=1)
            elif op.kind == "rule":
                x1, y1, x2, y2 = op.args
                c.setStrokeColor(ACCENT)
                c.line(x1, y1, x2, y2)
            elif op.kind == "text":
                x, y, s, font, size = op.args[:5]
                col = op.args[5] if len(op.args) > 5 else None
                c.setFillColor(colour(col))
                c.setFont(font, size)
                c.drawString(x, y, s)
            elif op.kind == "jtext":
                x, y, width, s, font, size = op.args
                gaps = s.count(" ")
                natural = stringWidth(s, font, size)
                ws = (width - natural) / gaps if gaps else 0.0
                if ws > MAX_WORD_SPACE:
                    ws = 0.0
                t = c.beginText(x, y)
                t.setFont(font, size)
                t.setFillColor(colour(None))
                t.setWordSpace(ws)
                t.textOut(s)
                c.drawText(t)
            elif op.kind == "toc":
                x, y, title, font, size, num = op.args
                c.setFillColor(colour(None))
                c.setFont(font, size)
                c.drawString(x, y, title)
                right = PAGE_W - MARGIN_R
                c.drawRightString(right, y, num)
                # dot leader drawn as graphics (not text) to keep the text layer clean
                start = x + stringWidth(title, font, size) + 6
                end = right - stringWidth(num, font, size) - 6
                c.setFillColor(GREY)
                dx = start
                while dx < end:
                    c.circle(dx, y + 2, 0.45, stroke=0, fill=1)
                    dx += 4
        # footer (drawn last so the text layer reads header, body, footer)
        c.setStrokeColor(ACCENT)
        c.setLineWidth(0.6)
        c.line(MARGIN_L, FOOTER_RULE_Y, PAGE_W - MARGIN_R, FOOTER_RULE_Y)
        c.setFillColor(GREY)
        c.setFont(BODY_FONT, 8)
        c.drawString(MARGIN_L, FOOTER_Y, m.get("disclaimer", ""))
        c.setFont(BODY_FONT, 8.5)
        c.drawRightString(PAGE_W - MARGIN_R, FOOTER_Y, f"Side {pno} av {total}")
        c.showPage()
    c.save()


def build(source: Path, out: Path) -> dict:
    src = parse_source(source)
    body = Layout()
    layout_body(src, body)
    # cover page is page 1; body pages follow
    toc = [(lvl, title, pno + 1) for lvl, title, pno in body.toc]
    pages = [build_cover(src, toc)] + body.pages
    out.parent.mkdir(parents=True, exist_ok=True)
    render(src, pages, out)
    return {"pages": len(pages), "hyphenations": body.hyphenations}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--report", action="store_true",
                    help="print page count and the hyphenated words")
    args = ap.parse_args(argv)
    info = build(args.source, args.out)
    print(f"wrote {args.out} ({info['pages']} pages, "
          f"{len(info['hyphenations'])} line-end hyphenations)")
    if args.report:
        for h in info["hyphenations"]:
            print("  ", h)
    return 0


if __name__ == "__main__":
    sys.exit(main())
