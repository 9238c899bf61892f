"""Renders a briefing as one self-contained HTML file (charts inline, print styles) and as Markdown for e-mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from pipelines.briefing import charts
from pipelines.briefing.data import NATIONAL, BriefingData, CellRule

TYPE_LABELS = {"SKILL": "Ferdighet", "SOFT": "Personlig egenskap", "QUALIFICATION": "Kvalifikasjon",
               "LANGUAGE": "Språk", None: ""}
VERDICTS = {"growing": "Økende", "declining": "Synkende", "uncertain_few": "Usikker (få annonser)",
            "no_change": "Ingen sikker endring", "unknown": "–"}
POLICY_LABELS = {"aligned": "Prioritert og etterspurt",
                 "priority_little_demand": "Prioritert, men lite etterspurt",
                 "demand_not_in_strategy": "Etterspurt, men ikke prioritert i strategiene"}
REQUIREMENTS = {"REQUIRED": "krav", "PREFERRED": "ønskelig", "UNSPECIFIED": "nevnt"}
MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember")
SUPPRESSED = "·"
FLAG = "†"


# ------------------------------------------------------------------------------------------------ formats
def num(value: float | int | None) -> str:
    """A whole number with a thin space as thousands separator ('12 345')."""
    return "–" if value is None else f"{int(value):,}".replace(",", "\u202f")


def pct(value: float | None, decimals: int = 1) -> str:
    """Share as a Norwegian percentage ('12,5 %'); '·' when suppressed."""
    return SUPPRESSED if value is None else f"{100 * value:.{decimals}f}\u00a0%".replace(".", ",")


def pp(value: float | None) -> str:
    """Change in percentage points with sign ('+3,4 pp')."""
    return SUPPRESSED if value is None else f"{100 * value:+.1f}\u00a0pp".replace(".", ",").replace("-", "−")


def interval(bounds: tuple[float, float] | None, unit: str = "%") -> str:
    """A 95 % interval as 'a–b %' or 'a til b pp'."""
    if bounds is None:
        return ""
    if unit == "pp":
        return f"{pp(bounds[0])} til {pp(bounds[1])}"
    return f"{100 * bounds[0]:.1f}–{100 * bounds[1]:.1f}\u00a0%".replace(".", ",")


def change_pct(value: float | None) -> str:
    """Relative change ('+12 %'); '·' when either side has too few ads."""
    return SUPPRESSED if value is None else f"{100 * value:+.0f}\u00a0%".replace("-", "−")


def norsk_date(day: Any) -> str:
    """'23. november 2026'."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def in_region(region: str) -> str:
    """'i Østfold', 'i hele landet'."""
    return "i hele landet" if region == NATIONAL else f"i {region}"


def list_words(items: list[str]) -> str:
    """'a, b og c'."""
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1] if items else ""


def counted(n: int | None, rule: CellRule) -> str:
    """A count, flagged † when it rests on fewer ads than the minimum (counts are never hidden; 0 needs no flag)."""
    return num(n) + (FLAG if n and rule.thin(n) else "")


# ------------------------------------------------------------------------------------------------ summary
def summary_points(data: BriefingData) -> list[str]:
    """The 'Kort fortalt' bullets: plain sentences that claim no more than the tables support."""
    rule, points = data.rule, []
    week_no = int(data.week[-2:])
    for h in data.headline:
        parts = [f"{h['region']}: {counted(h['this_week'], rule)} nye annonser i uke {week_no}",
                 f"mot {counted(h['last_week'], rule)} uka før"]
        parts.append(f"og {counted(h['last_year'], rule)} samme uke i fjor" if h["last_year"] is not None
                     else "og ingen data for samme uke i fjor")
        points.append(" ".join(parts) + ".")
    for region in data.all_regions:
        top = [t["concept_label"] for t in data.top.get(region, [])[:3]]
        if top:
            points.append(f"Mest etterspurt {in_region(region)} siste {data.window_weeks} uker: {list_words(top)}.")
    for region in data.all_regions:
        ch = data.changes.get(region, {})
        if not ch.get("shown"):
            continue
        sure = ch["supported"][:3]
        if sure:
            text = list_words([f"{r['concept_label']} ({VERDICTS[r['verdict']].lower()}, {pp(r['share_change'])})"
                               for r in sure])
            points.append(f"Sikre endringer {in_region(region)}: {text}.")
    if not any(data.changes.get(r, {}).get("supported") for r in data.all_regions):
        points.append(f"Ingen av andelene har endret seg sikkert de siste {data.window_weeks} ukene mot de "
                      f"{data.window_weeks} ukene før (95 %-intervallene omfatter null, eller det er for få annonser).")
    return points


# ------------------------------------------------------------------------------------------------ rendering
def _environment() -> jinja2.Environment:
    """Templates from the package; HTML autoescaped, Markdown not."""
    loader = jinja2.FileSystemLoader(str(resources.files("pipelines") / "briefing" / "templates"))
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "html.j2"]),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals.update(num=num, pct=pct, pp=pp, interval=interval, change_pct=change_pct, types=TYPE_LABELS,
                       verdicts=VERDICTS, policy_labels=POLICY_LABELS, requirements=REQUIREMENTS, national=NATIONAL,
                       flag=FLAG, suppressed=SUPPRESSED, list_words=list_words, in_region=in_region, norsk_date=norsk_date)
    return env


def _context(data: BriefingData, generated: datetime | None) -> dict[str, Any]:
    """What both templates need besides the data."""
    monday = data.week_start
    rule = data.rule
    return {
        "data": data, "rule": rule, "counted": lambda n: counted(n, rule),
        "week_no": int(data.week[-2:]),
        "week_dates": f"{norsk_date(monday)} – {norsk_date(monday + timedelta(days=6))}",
        "window_dates": f"{norsk_date(data.window_start)} – {norsk_date(monday + timedelta(days=6))}",
        "generated": (generated or datetime.now()).strftime("%d.%m.%Y kl. %H:%M"),
        "summary": summary_points(data),
    }


def build_charts(data: BriefingData) -> dict[str, Any]:
    """Every chart of the briefing as inline SVG (None where there is nothing honest to draw)."""
    regions = data.all_regions
    return {
        "series": charts.ads_per_week_chart(data.series, data.weeks, NATIONAL, data.min_cell_ads),
        "top": {r: charts.top_competences_chart(data.top[r], r, data.min_cell_ads) for r in regions if data.top.get(r)},
        "trends": {r: charts.share_trend_chart(data.share_trends.get(r, []), data.weeks, r, data.window_weeks)
                   for r in regions},
        "changes": {r: charts.change_chart(data.changes[r]["growing"] + data.changes[r]["declining"], r)
                    for r in regions if data.changes.get(r, {}).get("shown")},
        "occupations": charts.occupation_chart(data.occupations.get("groups", []), regions, NATIONAL),
        "comparison": charts.comparison_chart(data.comparison, data.regions, NATIONAL),
    }


def render_html(data: BriefingData, generated: datetime | None = None) -> str:
    """The briefing's HTML, a pure function of its data."""
    return _environment().get_template("briefing.html.j2").render(charts=build_charts(data),
                                                                  **_context(data, generated))


def render_markdown(data: BriefingData, generated: datetime | None = None, attachment: str | None = None) -> str:
    """The briefing as Markdown for an e-mail body: the same figures, no charts, a pointer to the full report."""
    text = _environment().get_template("briefing.md.j2").render(attachment=attachment, **_context(data, generated))
    return text.strip() + "\n"


def briefing_stem(week: str, regions: list[str], window_weeks: int = 4) -> str:
    """File name stem analysts can find by week and regions ('2026-W48_østfold_akershus')."""
    slug = "_".join(r.lower().replace(" ", "-") for r in regions)
    return f"{week}_{slug}" + (f"_{window_weeks}u" if window_weeks != 4 else "")


def write_text_atomic(path: Path, text: str) -> Path:
    """Write through a temporary file and rename, so a reader never sees half a briefing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_briefing(html: str, directory: Path, week: str, regions: list[str], window_weeks: int = 4) -> Path:
    """Write the HTML briefing atomically under its findable name."""
    return write_text_atomic(directory / f"{briefing_stem(week, regions, window_weeks)}.html", html)
