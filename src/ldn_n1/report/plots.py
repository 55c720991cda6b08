"""Figures of the clinician report, drawn from the tidy frames of :mod:`ldn_n1.report.plotdata`.

Each function takes its frame plus ``ax=None`` and returns the matplotlib Figure. Figures are
built with :class:`matplotlib.figure.Figure` directly (no pyplot), so nothing is registered in
a global figure manager, no backend is switched and nothing needs closing; style settings
(:mod:`ldn_n1.report.style`) are applied inside :func:`matplotlib.rc_context` only.

- :func:`plot_timeline`, :func:`plot_small_multiples`, :func:`plot_counterfactual`: here;
- :func:`plot_posterior`, :func:`plot_side_effects`: :mod:`ldn_n1.report.plots_effect`.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ldn_n1.report.plots_effect import plot_posterior, plot_side_effects
from ldn_n1.report.style import (
    DAY,
    HALF_DAY,
    OKABE_ITO,
    PHASE_STYLE,
    RC,
    daily,
    date_axis,
    new_axes,
    score_label,
    shade_phases,
)

__all__ = [
    "plot_counterfactual",
    "plot_posterior",
    "plot_side_effects",
    "plot_small_multiples",
    "plot_timeline",
]

#: Share of the score range added under the scale for the dose / side-effect lane.
_LANE = 0.45


def plot_timeline(
    frame: pd.DataFrame, outcome: str | None = None, ax: Axes | None = None, *, title: bool = True
) -> Figure:
    """Daily scores of one outcome over the whole diary, with phases, doses and side effects.

    Parameters
    ----------
    frame : DataFrame
        :func:`ldn_n1.report.plotdata.timeline_frame`.
    outcome : str, optional
        Outcome column to draw; default the primary outcome.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made otherwise.
    title : bool, default True
        Draw a title (off when the page around the figure gives one).

    Returns
    -------
    Figure
        Upper lane: daily scores (grey dots) with the centred 7-day mean (blue line).
        Lower lane (below the score scale, read on the right-hand axis): the held dose as a
        purple step line, and days with a reported side effect as vermillion ticks. Phases
        are shaded; the evaluation window is outlined (dashed edges, black bar on top).
    """
    if outcome is None:
        outcome = str(frame.loc[frame["primary"].astype(bool), "outcome"].iloc[0])
    sub = frame[frame["outcome"] == outcome]
    with mpl.rc_context(RC):
        fig, ax = new_axes(ax, (7.6, 4.3))
        drawn = shade_phases(ax, sub, label_window=True)
        daily(ax, sub, size=3.5)
        low, high = float(sub["scale_min"].iloc[0]), float(sub["scale_max"].iloc[0])
        span = high - low
        # Reserve a lane under the score scale for the dose line and the side-effect ticks.
        bottom, top = low - _LANE * span, high + 0.04 * span
        ax.set_ylim(bottom, top)
        ax.set_yticks([v for v in MaxNLocator(6).tick_values(low, high) if low <= v <= high])
        separator = low - 0.05 * span
        ax.axhline(separator, color="#888888", lw=0.6, zorder=2)
        lane = (separator - bottom) / (top - bottom)  # axes fraction of the lower lane
        dates = pd.DatetimeIndex(sub["date"])
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        hit = np.nan_to_num(sub["side_effects"].to_numpy(dtype=float), nan=0.0) > 0
        if hit.any():
            ax.vlines(
                dates[hit],
                0.0,
                0.045,
                transform=trans,
                color=OKABE_ITO["vermillion"],
                lw=1.5,
                zorder=4,
            )
        ax.set_ylabel(score_label(sub.iloc[0]))
        ax.yaxis.set_label_coords(-0.06, 0.5 + lane / 2)
        date_axis(ax)
        dose = sub["dose_mg"].to_numpy(dtype=float)
        most = max(float(np.nanmax(dose)), 1.0)
        # Dose 0 at 0.07 of the axes height, the highest dose just under the separator.
        height = most / (lane - 0.03 - 0.07)
        dose_ax = ax.twinx()
        dose_ax.set_ylim(-0.07 * height, -0.07 * height + height)
        dose_ax.step(dates, dose, where="mid", color=OKABE_ITO["purple"], lw=2.0, zorder=2)
        levels = sorted({float(d) for d in dose if d > 0})
        dose_ax.set_yticks([0.0, *levels])
        dose_ax.set_yticklabels(["0 mg", *[f"{d:g} mg" for d in levels]])
        dose_ax.tick_params(axis="y", colors=OKABE_ITO["purple"], labelsize=7)
        for side in ("top", "left"):
            dose_ax.spines[side].set_visible(False)
        dose_ax.spines["right"].set_visible(True)
        dose_ax.spines["right"].set_color(OKABE_ITO["purple"])
        dose_ax.spines["right"].set_bounds(0.0, most)
        handles: list[Any] = [
            Line2D([], [], ls="none", marker="o", ms=4, color="#555555", label="daily score"),
            Line2D([], [], color=OKABE_ITO["blue"], lw=2, label="7-day mean"),
            Line2D([], [], color=OKABE_ITO["purple"], lw=2, label="LDN dose (right axis)"),
            Line2D(
                [],
                [],
                ls="none",
                marker="|",
                ms=8,
                mew=1.5,
                color=OKABE_ITO["vermillion"],
                label="side effect reported",
            ),
        ]
        for phase in drawn:
            colour, alpha, hatch, label = PHASE_STYLE[phase]
            handles.append(
                Patch(
                    facecolor=colour,
                    alpha=alpha if hatch is None else 1.0,
                    hatch=hatch,
                    edgecolor="#999999" if hatch else "none",
                    label=label,
                )
            )
        handles.append(
            Patch(
                facecolor="none", edgecolor=OKABE_ITO["black"], ls="--", label="evaluation window"
            )
        )
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.1),
            ncol=4,
            handlelength=1.6,
            columnspacing=1.2,
        )
        if title:
            ax.set_title(f"{sub['label'].iloc[0]}: every diary day", pad=14)
    return fig


def plot_small_multiples(frame: pd.DataFrame, *, ncols: int = 2) -> Figure | None:
    """The other (non-primary) outcomes as small panels with phases and the 7-day mean.

    Parameters
    ----------
    frame : DataFrame
        :func:`ldn_n1.report.plotdata.timeline_frame`.
    ncols : int, default 2
        Panels per row.

    Returns
    -------
    Figure or None
        None when the diary has no secondary outcome.
    """
    others = [o for o in dict.fromkeys(frame["outcome"]) if not _is_primary(frame, o)]
    if not others:
        return None
    nrows = math.ceil(len(others) / ncols)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(7.6, 2.0 * nrows + 0.3), layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
        for ax, name in zip(axes, others, strict=False):
            sub = frame[frame["outcome"] == name]
            shade_phases(ax, sub, label_window=False)
            daily(ax, sub, size=2.5)
            ax.set_title(sub["label"].iloc[0], fontsize=9.5)
            ax.set_ylabel(score_label(sub.iloc[0], short=True), fontsize=7.5)
            date_axis(ax)
        for ax in axes[len(others) :]:
            ax.set_visible(False)
    return fig


def _is_primary(frame: pd.DataFrame, name: str) -> bool:
    return bool(frame.loc[frame["outcome"] == name, "primary"].iloc[0])


def plot_counterfactual(
    frame: pd.DataFrame, ax: Axes | None = None, *, title: bool = True
) -> Figure:
    """Observed scores against the modelled course expected without treatment.

    Parameters
    ----------
    frame : DataFrame
        :func:`ldn_n1.report.plotdata.counterfactual_frame` (not empty).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made otherwise.
    title : bool, default True
        Draw a title (off when the page around the figure gives one).

    Returns
    -------
    Figure
        Grey dots: observed days; blue line: the model's course with treatment; orange
        dashed line and band: the course projected from the baseline (counterfactual) with
        its 95% band; the evaluation window shaded; a vertical line at the first dose.
    """
    dates = pd.DatetimeIndex(frame["date"])
    with mpl.rc_context(RC):
        fig, ax = new_axes(ax, (7.6, 3.5))
        window = frame["evaluation"].to_numpy(dtype=bool)
        if window.any():
            ax.axvspan(
                dates[window][0] - HALF_DAY,
                dates[window][-1] + HALF_DAY,
                facecolor=OKABE_ITO["sky_blue"],
                alpha=0.18,
                lw=0,
                zorder=0,
            )
        treated = frame["treated"].to_numpy(dtype=bool)
        if treated.any():
            ax.axvline(
                dates[treated][0] - HALF_DAY,
                color=OKABE_ITO["black"],
                lw=1.0,
                ls=(0, (4, 2)),
                zorder=1,
            )
            trans = blended_transform_factory(ax.transData, ax.transAxes)
            ax.text(dates[treated][0], 0.98, " first dose", transform=trans, va="top", fontsize=8)
        ax.fill_between(
            dates,
            frame["cf_low"],
            frame["cf_high"],
            color=OKABE_ITO["orange"],
            alpha=0.25,
            lw=0,
            zorder=2,
        )
        ax.plot(
            dates,
            frame["counterfactual"],
            color=OKABE_ITO["vermillion"],
            lw=1.8,
            ls=(0, (5, 2)),
            zorder=3,
        )
        ax.plot(
            dates,
            frame["observed"],
            ls="none",
            marker="o",
            ms=3.2,
            color="#555555",
            alpha=0.75,
            markeredgewidth=0,
            zorder=3,
        )
        ax.plot(dates, frame["expected"], color=OKABE_ITO["blue"], lw=2.0, zorder=4)
        low, high = float(frame["scale_min"].iloc[0]), float(frame["scale_max"].iloc[0])
        pad = 0.04 * (high - low)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(dates[0] - DAY, dates[-1] + DAY)
        ax.set_ylabel(score_label(frame.iloc[0]))
        date_axis(ax)
        handles = [
            Line2D([], [], ls="none", marker="o", ms=4, color="#555555", label="daily score"),
            Line2D([], [], color=OKABE_ITO["blue"], lw=2, label="modelled course"),
            Line2D(
                [],
                [],
                color=OKABE_ITO["vermillion"],
                lw=1.8,
                ls=(0, (5, 2)),
                label="expected without treatment",
            ),
            Patch(facecolor=OKABE_ITO["orange"], alpha=0.25, label="95% band (without)"),
            Patch(facecolor=OKABE_ITO["sky_blue"], alpha=0.18, label="evaluation window"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
        if title:
            ax.set_title(f"{frame['label'].iloc[0]}: observed vs expected without treatment")
    return fig
