"""``cohort_summary.html``: the cohort tables and a forest plot as one self-contained page.

Formatting only: the numbers come from :class:`ldn_n1.cohort.summary.CohortSummary`. The
page is rendered with jinja2 (``autoescape=True``: every patient id, outcome name and dose
timing is escaped) from ``templates/cohort_summary.html.j2``; the forest plot is inline SVG
made by :func:`ldn_n1.report.svg.figure_to_svg` (deterministic, no external resources), with
patient ids drawn as plain text (no mathtext).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ldn_n1.cohort.summary import CohortSummary

__all__ = ["forest_frame", "plot_forest", "render_summary"]

#: Forests with more patients are drawn without labels, as a ranked "caterpillar".
MAX_LABELLED = 60
#: At most this many patients are drawn (evenly spaced in rank order beyond it).
MAX_DRAWN = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CAVEAT = (
    "These are open-label before/after comparisons of individual patients: each verdict "
    "describes what happened to one patient and cannot separate the drug from expectation, "
    "natural course or regression to the mean. Shares and pooled estimates describe this "
    "cohort; subgroup tables are descriptive, not tests."
)


def _label(name: str) -> str:
    from ldn_n1.verdict import outcome_label

    return outcome_label(str(name))


def forest_frame(summary: CohortSummary, max_drawn: int = MAX_DRAWN) -> tuple[pd.DataFrame, int]:
    """Rows of the primary outcome's forest plot (thinned evenly to ``max_drawn``) and k."""
    frame = summary.forest
    k = len(frame)
    if k > max_drawn:
        keep = np.unique(np.linspace(0, k - 1, max_drawn).round().astype(int))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame, k


def plot_forest(frame: pd.DataFrame, pooled: dict[str, float], ax: Axes | None = None) -> Figure:
    """Forest plot: each patient's improvement with its 95% interval, and the pooled estimate.

    Parameters
    ----------
    frame : DataFrame
        ``patient_id, improvement, low, high`` sorted by improvement
        (:attr:`CohortSummary.forest`).
    pooled : dict
        ``mean, ci_low, ci_high, pi_low, pi_high, mcid`` of the random-effects fit.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
        Patients top to bottom by improvement (labelled with their ids up to 60 patients);
        at the bottom the pooled mean as a diamond spanning its 95% CI and the 95%
        prediction interval as a bar; a solid line at 0 and a dashed line at the MCID.
    """
    import matplotlib as mpl

    from ldn_n1.report.plots import RC

    n = len(frame)
    labelled = n <= MAX_LABELLED
    with mpl.rc_context(RC):
        own = ax is None
        if ax is None:
            height = 1.6 + 0.2 * n if labelled else 5.0
            fig = Figure(figsize=(7.6, max(height, 2.6)), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        y = np.arange(n, 0, -1) + 1.0
        lw = 1.2 if labelled else max(0.2, min(1.0, 150 / max(n, 1)))
        ax.hlines(y, frame["low"], frame["high"], color="#0072B2", lw=lw)
        ax.plot(frame["improvement"], y, "s", color="#0072B2", ms=4 if labelled else 1.5, lw=0)
        m = pooled
        if all(math.isfinite(m.get(key, math.nan)) for key in ("mean", "ci_low", "ci_high")):
            if math.isfinite(m.get("pi_low", math.nan)):
                ax.hlines(
                    [0.0],
                    m["pi_low"],
                    m["pi_high"],
                    color="#999999",
                    lw=4,
                    label="95% prediction interval",
                )
            diamond = [(m["ci_low"], 0), (m["mean"], 0.4), (m["ci_high"], 0), (m["mean"], -0.4)]
            ax.fill(
                [p[0] for p in diamond],
                [p[1] for p in diamond],
                color="#1a1a1a",
                label="pooled mean (95% CI)",
            )
        ax.axvline(0.0, color="#555555", lw=0.8)
        if math.isfinite(m.get("mcid", math.nan)):
            ax.axvline(m["mcid"], color="#D55E00", lw=1, ls="--", label=f"MCID ({m['mcid']:g})")
        ax.set_xlabel("improvement, points (positive = better)")
        if labelled:
            ticks = [0.0, *y]
            names = ["pooled"] + [_CONTROL.sub("?", str(p))[:28] for p in frame["patient_id"]]
            ax.set_yticks(ticks, labels=names)
            for text in ax.get_yticklabels():
                text.set_parse_math(False)  # ids are untrusted text, never mathtext
        else:
            ax.set_yticks([0.0], labels=["pooled"])
            ax.set_ylabel("patients, ranked by improvement")
        ax.set_ylim(-1, n + 2)
        if own:
            fig.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
        else:
            ax.legend(loc="lower right", fontsize="small", frameon=False)
    return fig


def _num(x: Any, digits: int = 2) -> str:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(value) else f"{value:.{digits}f}"


def _interval(low: Any, high: Any, digits: int = 2) -> str:
    if not (math.isfinite(float(low)) and math.isfinite(float(high))):
        return "—"
    return f"{_num(low, digits)} to {_num(high, digits)}"


def _pct(x: Any) -> str:
    value = float(x)
    return "—" if not math.isfinite(value) else f"{100 * value:.0f}%"


def _group_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "label": _label(g.outcome),
            "group": str(g.group),
            "n": int(g.n),
            "responders": int(g.responders),
            "share": f"{_pct(g.share)} ({_pct(g.share_low)} to {_pct(g.share_high)})",
            "non_responders": int(g.non_responders),
            "worsened": int(g.worsened),
            "inconclusive": int(g.inconclusive),
        }
        for g in table.itertuples(index=False)
    ]


def render_summary(summary: CohortSummary, *, title: str = "Cohort summary") -> str:
    """The ``cohort_summary.html`` page of a cohort summary (a string)."""
    import jinja2

    from ldn_n1 import __version__
    from ldn_n1.report.svg import figure_to_svg

    verdicts = []
    for outcome, block in summary.verdicts.groupby("outcome", sort=False):
        rows = [
            {
                "verdict": r.classification,
                "count": int(r.count),
                "share": _pct(r.share),
                "interval": f"{_pct(r.share_low)} to {_pct(r.share_high)}",
            }
            for r in block.itertuples(index=False)
        ]
        verdicts.append({"label": _label(outcome), "rows": rows})
    meta = [
        {
            "label": _label(m.outcome),
            "method": {"pm": "Paule–Mandel", "dl": "DerSimonian–Laird"}.get(m.method, m.method),
            "k": int(m.k),
            "mean": f"{_num(m.mean)} ({_interval(m.ci_low, m.ci_high)})",
            "tau2": _num(m.tau2, 3),
            "tau": _num(m.tau),
            "pi": _interval(m.pi_low, m.pi_high),
            "mcid": _num(m.mcid, 1),
            "share": _pct(m.share_above_mcid),
            "i2": _pct(m.i2),
        }
        for m in summary.meta.itertuples(index=False)
    ]
    forest, caption = None, ""
    pm = summary.meta[
        (summary.meta["outcome"] == summary.primary) & (summary.meta["method"] == "pm")
    ]
    if summary.primary is not None and len(summary.forest):
        frame, k = forest_frame(summary)
        pooled = pm.iloc[0].to_dict() if len(pm) else {}
        fig = plot_forest(frame, pooled)
        label = _label(summary.primary)
        alt = (
            f"Forest plot of {k} patients' improvement in {label.lower()} with 95% intervals, "
            f"ranked; pooled random-effects mean {_num(pooled.get('mean'))} points."
        )
        forest = figure_to_svg(fig, "forest", alt)
        caption = f"{label}: each patient's improvement with its 95% interval (k = {k})."
        if len(frame) < k:
            caption += f" {len(frame)} of {k} patients drawn, evenly spaced in rank order."
    groups = [
        {
            "title": "Response by target dose",
            "text": "Target dose = the highest dose held for at least 7 days.",
            "group_label": "target dose",
            "rows": _group_rows(summary.by_target_dose),
        },
        {
            "title": "Response by dose timing",
            "text": "Timing = the most frequent dose time on dosing days of the evaluation window.",
            "group_label": "timing",
            "rows": _group_rows(summary.by_timing),
        },
    ]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ldn_n1.cohort", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("cohort_summary.html.j2").render(
        title=title,
        n_patients=summary.n_patients,
        n_analysed=summary.n_analysed,
        n_errors=summary.n_errors,
        primary=summary.primary,
        primary_label=_label(summary.primary) if summary.primary else "",
        caveat=_CAVEAT,
        verdicts=verdicts,
        meta=meta,
        forest=forest,
        forest_caption=caption,
        groups=groups,
        version=__version__,
    )
