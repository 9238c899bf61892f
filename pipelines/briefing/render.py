"""Renders a briefing as one self-contained HTML file (charts inline, no external assets)."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import jinja2

from pipelines.briefing.charts import ads_per_week_chart, change_chart, top_competences_chart
from pipelines.briefing.data import NATIONAL, BriefingData
from warehouse.trends import iso_week_of, parse_iso_week

TYPE_LABELS = {"SKILL": "Ferdighet", "SOFT": "Personlig", "QUALIFICATION": "Kvalifikasjon", "LANGUAGE": "Språk",
               None: ""}


def pct(value: float | None) -> str:
    """Share as a Norwegian percentage ('12,5 %')."""
    return "–" if value is None else f"{100 * value:.1f} %".replace(".", ",")


def pp(value: float | None) -> str:
    """Change in percentage points with sign."""
    return "–" if value is None else f"{100 * value:+.1f} pp".replace(".", ",")


def _environment() -> jinja2.Environment:
    """Templates from the package, autoescaped."""
    loader = jinja2.FileSystemLoader(str(resources.files("pipelines") / "briefing" / "templates"))
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]))


def render_html(data: BriefingData, generated: datetime | None = None) -> str:
    """The briefing's HTML, a pure function of its data."""
    regions = [*data.regions, NATIONAL]
    monday = parse_iso_week(data.week)
    weeks = [iso_week_of(monday - timedelta(weeks=k)) for k in range(data.series_weeks - 1, -1, -1)]
    charts = {
        "series": ads_per_week_chart({r: data.series.get(r, []) for r in regions}, weeks),
        "top": {r: top_competences_chart(data.top[r], f"Andel annonser – {r}") for r in regions if data.top.get(r)},
        "changes": {r: change_chart(data.changes[r], f"Endring siste fire uker – {r}")
                    for r in regions if data.changes.get(r)},
    }
    week_dates = f"{monday:%d.%m.}–{monday + timedelta(days=6):%d.%m.%Y}"
    return _environment().get_template("briefing.html.j2").render(
        data=data, charts=charts, national=NATIONAL, week_dates=week_dates, pct=pct, pp=pp,
        types=TYPE_LABELS, generated=(generated or datetime.now()).strftime("%d.%m.%Y %H:%M"),
    )


def write_briefing(html: str, directory: Path, week: str, regions: list[str]) -> Path:
    """Write atomically under a name analysts can find by week and regions."""
    directory.mkdir(parents=True, exist_ok=True)
    slug = "_".join(r.lower().replace(" ", "-") for r in regions)
    path = directory / f"{week}_{slug}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
