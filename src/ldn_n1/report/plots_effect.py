"""Figures of the size of the change and of the side effects (see :mod:`ldn_n1.report.plots`)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ldn_n1.report.style import OKABE_ITO, RC, new_axes, pct

__all__ = ["plot_posterior", "plot_side_effects"]


def plot_posterior(frame: pd.DataFrame, ax: Axes | None = None, *, title: bool = True) -> Figure:
    """Posterior density of the improvement with the MCID regions and their probabilities.

    Parameters
    ----------
    frame : DataFrame
        :func:`ldn_n1.report.plotdata.posterior_frame` (not empty).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made otherwise.
    title : bool, default True
        Draw a title (off when the page around the figure gives one).

    Returns
    -------
    Figure
        The density curve; the area at or beyond +MCID (green, "clinically important
        improvement"), at or below -MCID (vermillion, hatched, "clinically important
        worsening") and between (grey); dashed lines at +-MCID, a solid line at 0 and the
        posterior mean with its 95% interval as a bar under the curve.
    """
    first = frame.iloc[0]
    mcid = float(first["mcid"])
    x = frame["x"].to_numpy(dtype=float)
    dens = frame["density"].to_numpy(dtype=float)
    with mpl.rc_context(RC):
        fig, ax = new_axes(ax, (7.6, 3.2))
        styles = {
            "better": (OKABE_ITO["green"], 0.55, None),
            "unclear": ("#BBBBBB", 0.55, None),
            "worse": (OKABE_ITO["vermillion"], 0.45, "///"),
        }
        for region, (colour, alpha, hatch) in styles.items():
            inside = frame["region"].to_numpy() == region
            if inside.any():
                ax.fill_between(
                    x,
                    0,
                    dens,
                    where=inside,
                    color=colour,
                    alpha=alpha,
                    hatch=hatch,
                    lw=0,
                    interpolate=False,
                )
        ax.plot(x, dens, color=OKABE_ITO["black"], lw=1.4)
        top = float(np.max(dens))
        ax.set_ylim(-0.16 * top, 1.32 * top)
        for edge in (-mcid, mcid):
            ax.axvline(edge, color=OKABE_ITO["black"], lw=1.0, ls=(0, (4, 2)))
        ax.axvline(0.0, color="#666666", lw=0.8)
        ax.plot(
            [first["low"], first["high"]],
            [-0.08 * top] * 2,
            color=OKABE_ITO["black"],
            lw=2.2,
            solid_capstyle="butt",
        )
        ax.plot([first["mean"]], [-0.08 * top], marker="o", ms=6, color=OKABE_ITO["black"])
        xmin, xmax = float(x[0]), float(x[-1])
        if first["high"] < xmax - 0.3 * (xmax - xmin):
            ax.text(
                first["high"],
                -0.08 * top,
                "  estimate and 95% interval",
                va="center",
                ha="left",
                fontsize=7.5,
            )
        else:
            ax.text(
                first["low"],
                -0.08 * top,
                "estimate and 95% interval  ",
                va="center",
                ha="right",
                fontsize=7.5,
            )
        ax.set_xlim(xmin, xmax)
        ax.text(
            mcid,
            1.2 * top,
            f"  ≥ {mcid:g} points better:\n  {pct(first['p_mcid'])}",
            ha="left",
            va="top",
            fontsize=8.5,
            color="#00573F",
            fontweight="bold",
        )
        ax.text(
            -mcid,
            1.2 * top,
            f"≥ {mcid:g} points worse:  \n{pct(first['p_worsening'])}  ",
            ha="right",
            va="top",
            fontsize=8.5,
            color="#8A3A00",
            fontweight="bold",
        )
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(
            f"Improvement in {str(first['label']).lower()} "
            "(points; positive = better, negative = worse)"
        )
        if title:
            ax.set_title(f"{first['label']}: how large was the change? (posterior distribution)")
    return fig


#: Titration steps cycle through these (colour, marker) pairs; baseline, target and
#: interruptions have their own.
_STEP_STYLES = [
    (OKABE_ITO["orange"], "s"),
    (OKABE_ITO["vermillion"], "^"),
    (OKABE_ITO["purple"], "v"),
    (OKABE_ITO["sky_blue"], "P"),
    (OKABE_ITO["yellow"], "<"),
]
_KIND_STYLE = {
    "baseline": ("#777777", "o"),
    "target": (OKABE_ITO["blue"], "D"),
    "interruption": (OKABE_ITO["black"], "X"),
}


def _segment_styles(kinds: list[str]) -> list[tuple[str, str]]:
    styles, step = [], 0
    for kind in kinds:
        if kind == "titration":
            styles.append(_STEP_STYLES[step % len(_STEP_STYLES)])
            step += 1
        else:
            styles.append(_KIND_STYLE[kind])
    return styles


def plot_side_effects(frame: pd.DataFrame, ax: Axes | None = None, *, title: bool = True) -> Figure:
    """Share of recorded days with each side effect, by phase and dose step.

    Parameters
    ----------
    frame : DataFrame
        :func:`ldn_n1.report.plotdata.incidence_frame` (not empty).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made otherwise.
    title : bool, default True
        Draw a title (off when the page around the figure gives one).

    Returns
    -------
    Figure
        One row per side effect; within it one point per segment (baseline, each dose
        step in time order) with its Wilson 95% interval; colour and marker shape give the
        kind of segment. Segments without recorded days are left out.
    """
    effects = list(dict.fromkeys(frame["side_effect"]))
    segments = frame[["order", "segment", "kind"]].drop_duplicates("order").sort_values("order")
    n_seg = len(segments)
    with mpl.rc_context(RC):
        fig, ax = new_axes(ax, (7.6, 0.45 * len(effects) * max(1.0, n_seg / 3) + 1.3))
        offsets = np.linspace(-0.32, 0.32, n_seg) if n_seg > 1 else np.zeros(1)
        for i in range(0, len(effects), 2):
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", lw=0, zorder=0)
        styles = _segment_styles(list(segments["kind"]))
        for offset, style, (_, seg) in zip(offsets, styles, segments.iterrows(), strict=True):
            rows = frame[(frame["order"] == seg["order"]) & (frame["days_recorded"] > 0)]
            y = np.array([effects.index(e) for e in rows["side_effect"]]) + offset
            share = rows["share"].to_numpy(dtype=float) * 100
            # Wilson bounds can sit a rounding error inside the point at 0% or 100%.
            err = np.clip(
                np.vstack(
                    [
                        share - rows["share_low"].to_numpy(dtype=float) * 100,
                        rows["share_high"].to_numpy(dtype=float) * 100 - share,
                    ]
                ),
                0.0,
                None,
            )
            ax.errorbar(
                share,
                y,
                xerr=err,
                ls="none",
                marker=style[1],
                ms=4.5,
                color=style[0],
                elinewidth=1.1,
                capsize=0,
                label=str(seg["segment"]),
                zorder=3,
            )
        labels = [frame.loc[frame["side_effect"] == e, "label"].iloc[0] for e in effects]
        ax.set_yticks(range(len(effects)))
        ax.set_yticklabels(labels)
        ax.set_ylim(len(effects) - 0.5, -0.5)
        ax.set_xlim(-2, 102)
        ax.set_xlabel("Days with the side effect (% of days recorded; bar = 95% interval)")
        ax.xaxis.grid(visible=True, color="#DDDDDD", lw=0.6)
        ax.set_axisbelow(True)
        # The key sits above the rows, where the reader starts.
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=min(n_seg, 5),
            title="Phase / dose step:",
            title_fontsize=8,
            alignment="left",
        )
        if title:
            ax.set_title("Side effects by phase and dose step", pad=36)
    return fig
