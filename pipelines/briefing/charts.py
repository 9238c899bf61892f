"""Charts for briefings: matplotlib to inline SVG, colour-blind-safe (Okabe–Ito), readable in print."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
plt.rcParams.update({
    "svg.fonttype": "path",  # text as paths: no font files needed by the reader
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "kompetanseradar",
})


def _svg(fig: plt.Figure) -> str:
    """Serialise a figure as an inline SVG element and free it."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def ads_per_week_chart(series: dict[str, list[dict[str, Any]]], weeks: list[str]) -> str:
    """Ads per week for each region on a shared week axis (missing weeks are zero), distinct markers for print."""
    fig, ax = plt.subplots(figsize=(7.0, 2.8))
    markers = "osD^v<>p"
    for i, (region, rows) in enumerate(series.items()):
        counts = {r["iso_week"]: r["ads"] for r in rows}
        ax.plot(range(len(weeks)), [counts.get(w, 0) for w in weeks], marker=markers[i % len(markers)],
                color=OKABE_ITO[i % len(OKABE_ITO)], label=region, linewidth=1.6, markersize=4)
    ax.set_xticks(range(len(weeks)), [w[-3:] for w in weeks])
    ax.set_ylabel("Annonser per uke")
    ax.legend(frameon=False, ncols=min(4, max(1, len(series))), loc="upper left", fontsize=8)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.tick_params(axis="x", labelsize=7)
    return _svg(fig)


def top_competences_chart(rows: list[dict[str, Any]], title: str) -> str:
    """Horizontal bars of the share of ads asking for each competence."""
    rows = list(reversed(rows))
    fig, ax = plt.subplots(figsize=(7.0, 0.28 * max(len(rows), 3) + 0.6))
    ax.barh([r["concept_label"] for r in rows], [100 * (r["share"] or 0) for r in rows], color=OKABE_ITO[0])
    ax.set_xlabel("Andel av annonsene (%)")
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    return _svg(fig)


def change_chart(rows: list[dict[str, Any]], title: str) -> str:
    """Change in share with its 95 % interval; filled markers only where the interval excludes zero."""
    rows = [r for r in rows if r["share_change"] is not None][:10]
    rows = list(reversed(rows))
    fig, ax = plt.subplots(figsize=(7.0, 0.32 * max(len(rows), 3) + 0.6))
    for y, r in enumerate(rows):
        lo, hi, mid = 100 * r["change_ci_low"], 100 * r["change_ci_high"], 100 * r["share_change"]
        significant = lo > 0 or hi < 0
        color = OKABE_ITO[2] if mid > 0 else OKABE_ITO[3]
        ax.plot([lo, hi], [y, y], color=color, linewidth=2)
        ax.plot([mid], [y], marker="o", color=color, markerfacecolor=color if significant else "white", markersize=6)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [r["concept_label"] for r in rows])
    ax.set_xlabel("Endring i andel, prosentpoeng (95 % intervall)")
    ax.set_title(title, loc="left", fontsize=10)
    return _svg(fig)
