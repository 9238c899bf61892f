"""Charts for briefings: matplotlib to inline SVG, colour-blind-safe (Okabe–Ito) and readable in grey print.

Every series differs by more than colour (marker, line style or hatching), thin cells are drawn hollow or
hatched exactly where the tables flag them, and suppressed shares are simply not drawn.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
REGION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
MARKERS = ("o", "s", "D", "^", "v", "P")
HATCHES = ("", "///", "...", "\\\\\\", "xx", "--")
LINESTYLES = ("-", "--", "-.", ":")
NATIONAL_STYLE = {"color": "#000000", "marker": "X", "hatch": "", "linestyle": (0, (5, 2))}
GROWTH, DECLINE, NEUTRAL = "#009E73", "#D55E00", "#6b6b6b"
GRID = "#d9d9d9"

plt.rcParams.update({
    "svg.fonttype": "path",  # text as paths: no font files needed by the reader
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "hatch.linewidth": 0.6,
    "svg.hashsalt": "kompetanseradar",
})


def region_style(index: int, national: bool = False) -> dict[str, Any]:
    """Colour, marker, hatch and line style of the index-th region (the nation is always black)."""
    if national:
        return dict(NATIONAL_STYLE)
    return {"color": REGION_COLOURS[index % len(REGION_COLOURS)], "marker": MARKERS[index % len(MARKERS)],
            "hatch": HATCHES[index % len(HATCHES)], "linestyle": LINESTYLES[index % len(LINESTYLES)]}


def _svg(fig: plt.Figure, label: str) -> str:
    """Serialise a figure as an inline, labelled SVG element and free it."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)


def _percent(ax: Any, axis: str = "x", decimals: int = 0) -> None:
    """Percent tick labels with a decimal comma."""
    fmt = FuncFormatter(lambda v, _: f"{100 * v:.{decimals}f}".replace(".", ",") + " %")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _share_axes(ax: Any, labels: list[str], xlabel: str) -> None:
    """Row labels, a percent x axis and its grid behind the marks: the side-by-side charts share this frame."""
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    _percent(ax)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def ads_per_week_chart(series: dict[str, dict[str, int]], weeks: list[str], national: str, min_ads: int) -> str:
    """Ads per week, one panel for the chosen regions and one for the nation (their scales differ ten-fold)."""
    regions = [r for r in series if r != national]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.6), gridspec_kw={"width_ratios": [3, 2]})
    for ax, names in ((axes[0], regions), (axes[1], [national])):
        for i, region in enumerate(names):
            style = region_style(i, region == national)
            values = [series[region].get(w, 0) for w in weeks]
            ax.plot(range(len(weeks)), values, color=style["color"], linestyle=style["linestyle"], linewidth=1.4,
                    label=region)
            xs = list(range(len(weeks)))
            full = [(x, v) for x, v in zip(xs, values) if v >= min_ads]
            thin = [(x, v) for x, v in zip(xs, values) if v < min_ads]
            if full:
                ax.plot(*zip(*full), linestyle="none", marker=style["marker"], color=style["color"], markersize=4)
            if thin:
                ax.plot(*zip(*thin), linestyle="none", marker=style["marker"], color=style["color"], markersize=4,
                        markerfacecolor="white")
        ticks = list(range(0, len(weeks), max(1, len(weeks) // 8)))
        ax.set_xticks(ticks, [f"u{weeks[t][-2:]}" for t in ticks])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(frameon=False, loc="upper left", fontsize=7, ncols=1)
    axes[0].set_ylabel("Annonser per uke")
    axes[0].set_title("Valgte fylker", loc="left", fontsize=9)
    axes[1].set_title(national, loc="left", fontsize=9)
    return _svg(fig, "Annonser per uke")


def top_competences_chart(rows: list[dict[str, Any]], region: str, min_ads: int) -> str:
    """Share of ads asking for each competence with its 95 % interval; counts (hatched) when shares are suppressed."""
    rows = list(reversed(rows))
    labels = [r["concept_label"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.0, 0.26 * max(len(rows), 3) + 0.7))
    if all(r["share"] is not None for r in rows):
        shares = [r["share"] for r in rows]
        err = [[max(0.0, s - r["interval"][0]) for s, r in zip(shares, rows)],
               [max(0.0, r["interval"][1] - s) for s, r in zip(shares, rows)]]  # ≥ 0 despite rounding at 0 and 1
        ax.barh(labels, shares, color=OKABE_ITO[0], xerr=err, error_kw={"ecolor": "#333333", "elinewidth": 0.8,
                                                                           "capsize": 2})
        _percent(ax)
        ax.set_xlabel("Andel av annonsene (strek: 95 % intervall)")
    else:
        counts = [r["ads"] for r in rows]
        bars = ax.barh(labels, counts, color="white", edgecolor=OKABE_ITO[0], hatch="///", linewidth=0.8)
        ax.bar_label(bars, padding=2, fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"Antall annonser (andeler vises ikke: færre enn {min_ads} annonser i alt)")
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", labelsize=8)
    return _svg(fig, f"Mest etterspurte kompetanser – {region}")


def share_trend_chart(trends: list[dict[str, Any]], weeks: list[str], region: str, window_weeks: int) -> str | None:
    """Rolling share of the top competences with 95 % bands; None when every point is suppressed."""
    if not any(p["share"] is not None for t in trends for p in t["points"]):
        return None
    fig, ax = plt.subplots(figsize=(7.0, 2.6))
    for i, trend in enumerate(trends):
        colour, marker, style = OKABE_ITO[[0, 1, 2, 4][i % 4]], MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)]
        xs = [k for k, p in enumerate(trend["points"]) if p["share"] is not None]
        mids = [trend["points"][k]["share"] for k in xs]
        lows = [trend["points"][k]["interval"][0] for k in xs]
        highs = [trend["points"][k]["interval"][1] for k in xs]
        ax.fill_between(xs, lows, highs, color=colour, alpha=0.15, linewidth=0, hatch=HATCHES[i % len(HATCHES)],
                        edgecolor=colour)
        ax.plot(xs, mids, color=colour, marker=marker, linestyle=style, linewidth=1.5, markersize=3.5,
                label=trend["concept_label"])
    ticks = list(range(0, len(weeks), max(1, len(weeks) // 8)))
    ax.set_xticks(ticks, [f"u{weeks[t][-2:]}" for t in ticks])
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    ax.set_ylim(bottom=0)
    _percent(ax, "y")
    ax.set_ylabel(f"Andel, siste {window_weeks} uker")
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=min(3, len(trends)))
    return _svg(fig, f"Utvikling for de mest etterspurte kompetansene – {region}")


def change_chart(rows: list[dict[str, Any]], region: str) -> str | None:
    """Change in share with its 95 % interval: filled ▲/▼ only where the briefing claims growth or decline."""
    rows = sorted(rows, key=lambda r: r["share_change"])
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7.0, 0.3 * max(len(rows), 3) + 0.8))
    for y, r in enumerate(rows):
        lo, hi, mid = r["change_ci_low"], r["change_ci_high"], r["share_change"]
        verdict = r["verdict"]
        colour = GROWTH if verdict == "growing" else DECLINE if verdict == "declining" else NEUTRAL
        marker = "^" if verdict == "growing" else "v" if verdict == "declining" else "o"
        ax.plot([lo, hi], [y, y], color=colour, linewidth=2 if verdict in ("growing", "declining") else 1.2,
                linestyle="-" if verdict in ("growing", "declining") else (0, (3, 1.5)))
        ax.plot([mid], [y], marker=marker, color=colour, markersize=7,
                markerfacecolor=colour if verdict in ("growing", "declining") else "white")
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [r["concept_label"] for r in rows], fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}".replace("-", "−") if v else "0"))
    ax.set_xlabel("Endring i andel, prosentpoeng (strek: 95 % intervall)")
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    handles = [Line2D([], [], marker="^", color=GROWTH, linestyle="-", label="Sikker økning"),
               Line2D([], [], marker="v", color=DECLINE, linestyle="-", label="Sikker nedgang"),
               Line2D([], [], marker="o", color=NEUTRAL, markerfacecolor="white", linestyle=(0, (3, 1.5)),
                      label="Ingen sikker endring")]
    ax.legend(handles=handles, frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    return _svg(fig, f"Endring i etterspørsel – {region}")


def occupation_chart(groups: list[dict[str, Any]], regions: list[str], national: str) -> str | None:
    """Each region's ads spread over occupation groups, regions side by side (suppressed shares left out)."""
    if not groups or not any(g["cells"][r]["share"] is not None for g in groups for r in regions):
        return None
    groups = list(reversed(groups))
    height = 1.0 / (len(regions) + 1)
    fig, ax = plt.subplots(figsize=(7.0, 0.22 * len(groups) * (len(regions) + 1) * 0.55 + 0.9))
    for i, region in enumerate(regions):
        style = region_style(i, region == national)
        ys = [k + (len(regions) / 2 - i - 0.5) * height for k in range(len(groups))]
        vals = [g["cells"][region]["share"] for g in groups]
        ax.barh([y for y, v in zip(ys, vals) if v is not None], [v for v in vals if v is not None], height=height,
                color=style["color"] if region != national else "#555555", hatch=style["hatch"],
                edgecolor="white" if not style["hatch"] else "#222222", linewidth=0.4, label=region)
    _share_axes(ax, [g["label"] for g in groups], "Andel av regionens annonser")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], frameon=False, fontsize=7, loc="lower right")
    return _svg(fig, "Annonser etter yrkesgruppe")


def comparison_chart(rows: list[dict[str, Any]], regions: list[str], national: str) -> str | None:
    """Share of each competence in the chosen counties (markers) against the whole country (black bar)."""
    if not rows:
        return None
    rows = list(reversed(rows))
    fig, ax = plt.subplots(figsize=(7.0, 0.3 * max(len(rows), 3) + 0.9))
    for y, row in enumerate(rows):
        nat = row["cells"][national]["share"]
        if nat is not None:
            ax.barh([y], [nat], color="#e6e6e6", edgecolor="#000000", linewidth=0.6, height=0.7)
    for i, region in enumerate(regions):
        style = region_style(i)
        pts = [(row["cells"][region]["share"], y) for y, row in enumerate(rows)
               if row["cells"][region]["share"] is not None]
        if pts:
            ax.plot(*zip(*pts), linestyle="none", marker=style["marker"], color=style["color"], markersize=6,
                    markeredgecolor="#222222", markeredgewidth=0.5, label=region)
    _share_axes(ax, [r["concept_label"] for r in rows], "Andel av annonsene")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="#e6e6e6", edgecolor="#000000", label=national))
    ax.legend(handles=handles, frameon=False, fontsize=7, loc="lower right")
    return _svg(fig, "Fylkene mot hele landet")
