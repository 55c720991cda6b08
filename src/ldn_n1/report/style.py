"""Shared look of the report figures: palette, phase shading, rc settings, axis helpers.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); every colour-coded element is also told apart by shape, hatch or a text
label. :data:`RC` is applied with :func:`matplotlib.rc_context` while a figure is drawn and
saved, never globally.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

__all__ = [
    "DAY",
    "HALF_DAY",
    "OKABE_ITO",
    "PHASE_STYLE",
    "RC",
    "daily",
    "date_axis",
    "new_axes",
    "pct",
    "score_label",
    "shade_phases",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

#: Shading of the phases: (face colour, alpha, hatch, legend label).
PHASE_STYLE = {
    "baseline": ("#BBBBBB", 0.25, None, "Baseline (no LDN)"),
    "titration": (OKABE_ITO["orange"], 0.18, None, "Titration"),
    "target": (OKABE_ITO["sky_blue"], 0.20, None, "Target dose"),
    "interruption": ("#FFFFFF", 0.0, "///", "Interruption (no LDN)"),
}

#: Style applied while a figure is drawn and saved (never globally).
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "figure.dpi": 100,
}

DAY = pd.Timedelta(days=1)
HALF_DAY = pd.Timedelta(hours=12)


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new constrained-layout figure (inches) with one axes."""
    if ax is not None:
        return ax.get_figure(root=True), ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _runs(labels: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) positions, inclusive, of runs of equal labels."""
    if labels.size == 0:
        return []
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [labels.size - 1]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def shade_phases(ax: Axes, days: pd.DataFrame, *, label_window: bool) -> list[str]:
    """Shade the phases and outline the evaluation window; return the phases drawn."""
    dates = pd.DatetimeIndex(days["date"])
    phase = days["phase"].to_numpy(dtype=object)
    drawn = []
    for start, end in _runs(phase):
        colour, alpha, hatch, _label = PHASE_STYLE[phase[start]]
        ax.axvspan(
            dates[start] - HALF_DAY,
            dates[end] + HALF_DAY,
            facecolor=colour,
            alpha=alpha if hatch is None else 1.0,
            hatch=hatch,
            edgecolor="#999999" if hatch else "none",
            linewidth=0,
            zorder=0,
        )
        drawn.append(phase[start])
    window = days["evaluation"].to_numpy(dtype=bool)
    if window.any():
        first, last = dates[window][0] - HALF_DAY, dates[window][-1] + HALF_DAY
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            [first, last],
            [1.0, 1.0],
            transform=trans,
            color=OKABE_ITO["black"],
            lw=3.0,
            solid_capstyle="butt",
            clip_on=False,
            zorder=5,
        )
        for edge in (first, last):
            ax.axvline(edge, color=OKABE_ITO["black"], lw=0.8, ls=(0, (2, 2)), zorder=1)
        if label_window:
            ax.text(
                last,
                1.03,
                "evaluation window",
                transform=trans,
                ha="right",
                va="bottom",
                fontsize=8,
                clip_on=False,
            )
    return list(dict.fromkeys(drawn))


def date_axis(ax: Axes) -> None:
    """Concise date ticks (``Nov``, ``15``, ``Dec``...) on the x axis."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def score_label(row: pd.Series, short: bool = False) -> str:
    """Axis label of a score: ``Pain (0–10, lower is better)``."""
    scale = f"{row['scale_min']:g}–{row['scale_max']:g}"
    if short:
        return f"{scale}, {row['better']} is better"
    return f"{row['label']} ({scale}, {row['better']} is better)"


def daily(ax: Axes, sub: pd.DataFrame, *, size: float) -> None:
    """Daily scores as dots and their 7-day mean as a line; limits from the scale."""
    dates = pd.DatetimeIndex(sub["date"])
    ax.plot(
        dates,
        sub["value"],
        ls="none",
        marker="o",
        ms=size,
        color="#555555",
        alpha=0.75,
        markeredgewidth=0,
        zorder=3,
    )
    ax.plot(dates, sub["mean7"], color=OKABE_ITO["blue"], lw=2.0, zorder=4)
    low, high = float(sub["scale_min"].iloc[0]), float(sub["scale_max"].iloc[0])
    pad = 0.04 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(dates[0] - DAY, dates[-1] + DAY)


def pct(p: float) -> str:
    """A probability as a percentage: ``<1%``, ``97%``, ``>99%``."""
    if p < 0.01:
        return "<1%"
    if p > 0.99:
        return ">99%"
    return f"{100 * p:.0f}%"
