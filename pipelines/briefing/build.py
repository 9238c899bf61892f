"""Builds a briefing's three files (HTML, Markdown, PDF) from a warehouse connection, timing each step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.briefing.data import BriefingData, gather
from pipelines.briefing.pdf import print_pdf
from pipelines.briefing.render import briefing_stem, render_html, render_markdown, write_text_atomic


@dataclass
class BriefingFiles:
    """Where a briefing was written and how long each step took (seconds)."""

    data: BriefingData
    html: Path
    markdown: Path
    pdf: Path | None = None
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def sections(self) -> list[str]:
        """The HTML's section headings, for reports and logs."""
        import re

        return re.findall(r"<h2[^>]*>(.*?)</h2>", self.html.read_text(encoding="utf-8"))


def build_briefing(con: duckdb.DuckDBPyConnection, week: str, regions: list[str], out_dir: Path, *,
                   min_cell_ads: int = 5, window_weeks: int = 4, pdf: bool = True, chromium: Path | str | None = None,
                   recomputed: bool = False) -> BriefingFiles:
    """Gather, render and write HTML and Markdown first (so they exist whatever happens), then print the PDF."""
    durations: dict[str, float] = {}
    start = time.perf_counter()
    data = gather(con, week, regions, min_cell_ads=min_cell_ads, window_weeks=window_weeks, recomputed=recomputed)
    durations["gather"] = time.perf_counter() - start
    stem = briefing_stem(data.week, data.regions, data.window_weeks)
    start = time.perf_counter()
    html = render_html(data)
    durations["render_html"] = time.perf_counter() - start
    start = time.perf_counter()
    markdown = render_markdown(data, attachment=f"{stem}.pdf" if pdf else f"{stem}.html")
    durations["render_markdown"] = time.perf_counter() - start
    files = BriefingFiles(data, write_text_atomic(out_dir / f"{stem}.html", html),
                          write_text_atomic(out_dir / f"{stem}.md", markdown), durations=durations)
    if pdf:
        start = time.perf_counter()
        files.pdf = print_pdf(files.html, out_dir / f"{stem}.pdf", chromium=chromium)
        durations["pdf"] = time.perf_counter() - start
    files.durations = {k: round(v, 3) for k, v in durations.items()}
    return files
