"""Everything the report template shows, gathered from a :class:`PatientResult`.

:func:`report_context` returns plain data (strings, lists, dicts) plus the figures as SVG
markup; the template only lays it out. Numbers are formatted here, never computed: the
report layer reads the result and formats it.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import math
import platform
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_n1.analysis import MIN_DAYS, MIN_DAYS_WEEKDAY
from ldn_n1.bayes import DEFAULT_RHOS, DEFAULT_TAUS, Prior
from ldn_n1.report import plotdata, plots
from ldn_n1.report import text as tx
from ldn_n1.report.svg import figure_to_svg
from ldn_n1.verdict import outcome_label

if TYPE_CHECKING:
    from markupsafe import Markup

    from ldn_n1.results import OutcomeResult, PatientResult

__all__ = ["SOFTWARE", "report_context", "software_versions"]

#: Packages whose versions the methods section lists.
SOFTWARE = ("ldn_n1", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "jinja2")

_VERDICT_CLASS = {
    "responder": "v-responder",
    "non-responder": "v-nonresponder",
    "worsened": "v-worsened",
    "inconclusive": "v-inconclusive",
}


def software_versions() -> list[tuple[str, str]]:
    """``(package, version)`` of the software that produced the report, and Python."""
    rows = []
    for name in SOFTWARE:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name != "ldn_n1":
                raise
            # Running from a source tree without installation.
            from ldn_n1 import __version__ as version
        rows.append((name, version))
    rows.append(("Python", platform.python_version()))
    return rows


def _generated_text(generated: dt.datetime | str | None) -> str:
    if generated is None:
        generated = dt.datetime.now(dt.UTC)
    if isinstance(generated, dt.datetime):
        if generated.tzinfo is None:
            return generated.strftime("%Y-%m-%d %H:%M")
        return generated.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(generated)


def _outcome_row(o: OutcomeResult) -> dict[str, Any]:
    f = o.fit
    sens = o.sensitivity
    stable = bool(sens) and all(v == o.classification for v in sens.values())
    return {
        "label": o.label,
        "name": o.name,
        "primary": o.primary,
        "classification": o.classification,
        "css": _VERDICT_CLASS.get(o.classification, "v-inconclusive"),
        "better": o.better,
        "change": tx.change_words(o),
        "difference": tx.difference(o),
        "improvement": tx.num(f.mean, signed=True) if f else "–",
        "interval": f"{tx.num(f.low)} to {tx.num(f.high)}" if f else "–",
        "p_improvement": tx.pct(f.p_improvement) if f else "–",
        "p_mcid": tx.pct(f.p_mcid) if f else "–",
        "p_worsening": tx.pct(f.p_worsening) if f else "–",
        "mcid": f"{o.mcid:g}",
        "n_baseline_days": o.n_baseline_days,
        "n_evaluation_days": o.n_evaluation_days,
        "missing": f"{100 * o.missing_share:.0f}%",
        "sensitivity": (
            "same verdict"
            if stable
            else "; ".join(f"{k}: {v}" for k, v in sens.items())
            if sens
            else "–"
        ),
        "onset": tx.num(o.onset_tau_days, 0) if f else "–",
        "rho": tx.num(f.rho_mean, 2) if f else "–",
        "trend": tx.pct(f.trend_weight) if f else "–",
        "settle_days": o.settle_days,
        "sentence": tx.sentence(o),
    }


def _headline(result: PatientResult) -> dict[str, Any]:
    primary = result.primary
    threshold = result.plan.probability_threshold
    if primary is None:
        return {
            "present": False,
            "label": outcome_label(result.plan.primary),
            "classification": "inconclusive",
            "css": "v-inconclusive",
        }
    row = _outcome_row(primary)
    row.update(present=True, meaning=tx.meaning(primary, threshold), threshold=tx.pct(threshold))
    return row


def _figures(result: PatientResult) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = []

    def add(key: str, title: str, fig: Any, alt: str, caption: str) -> None:
        figures.append(
            {"key": key, "title": title, "svg": figure_to_svg(fig, key, alt), "caption": caption}
        )

    name = result.plan.primary
    timeline = plotdata.timeline_frame(result)
    if result.primary is not None:
        rows = timeline[timeline["outcome"] == name]
        days = int(np.sum(np.nan_to_num(rows["side_effects"].to_numpy(dtype=float)) > 0))
        add(
            "fig-timeline",
            f"{result.primary.label} over time",
            plots.plot_timeline(timeline, name, title=False),
            tx.alt_timeline(result, name, days),
            "Grey dots are the daily scores, the blue line their 7-day mean (a visual guide "
            "only). Shading shows the phases; the dashed box with the black bar on top is the "
            "evaluation window in which the improvement is measured. The purple step line in "
            "the lower lane is the LDN dose (right-hand axis); orange-red ticks at the bottom "
            "mark days on which a side effect was reported.",
        )
    others = plots.plot_small_multiples(timeline)
    if others is not None:
        add(
            "fig-others",
            "The other outcomes",
            others,
            tx.alt_small_multiples(result),
            "Same layout as above, one small chart per outcome (dose and side effects not "
            "repeated). Check the direction on each axis: for sleep quality and mood higher "
            "is better.",
        )
    if result.primary is not None and result.primary.fit is not None:
        add(
            "fig-counterfactual",
            "What would have been expected without treatment?",
            plots.plot_counterfactual(plotdata.counterfactual_frame(result, name), title=False),
            tx.alt_counterfactual(result, name),
            "The dashed line continues the baseline (its level, and its trend where the "
            "diary supports one) into the treatment period: the course expected had nothing "
            "changed, with its 95% band. The blue line is the model's description of what "
            "actually happened. The improvement is the average gap between the two in the "
            "shaded evaluation window. A baseline that was already falling (for example, "
            "settling after a flare) makes any later benefit less certain.",
        )
        add(
            "fig-posterior",
            "How large was the change, and how sure is it?",
            plots.plot_posterior(plotdata.posterior_frame(result, name), title=False),
            tx.alt_posterior(result, name),
            "The curve shows how plausible each size of improvement is, given the diary. "
            "The green area is the probability of a clinically important improvement (at "
            "least the MCID), the hatched orange-red area that of a clinically important "
            "worsening. The bar under the curve is the estimate with its 95% interval.",
        )
    incidence = plotdata.incidence_frame(result)
    if len(incidence) and int(incidence["days_recorded"].sum()) > 0:
        add(
            "fig-side-effects",
            "Side effects by phase and dose step",
            plots.plot_side_effects(incidence, title=False),
            tx.alt_side_effects(incidence),
            "Each point is the share of recorded days on which the side effect was reported "
            "in that phase; the line is its 95% interval (Wilson). Short steps have wide "
            "intervals. Baseline days show how often these symptoms occur without LDN.",
        )
    return figures


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")


def _safety(result: PatientResult) -> dict[str, Any]:
    s = result.safety
    incidence = _incidence_table(s.incidence) if len(s.incidence) else {"segments": [], "rows": []}
    onset = _onset_table(s.first_onset)
    switch = [
        {
            "label": plotdata.side_effect_label(r["side_effect"]),
            "date": tx.date_text(r["switch_date"]),
            "change": f"{r['before']} → {r['after']}",
            "before": f"{tx.pct(r['share_before'])} of {r['days_before']} days",
            "after": f"{tx.pct(r['share_after'])} of {r['days_after']} days",
        }
        for r in _frame_rows(s.timing_switch)
    ]
    alcohol = [
        {
            "segment": r["segment"],
            "days": r["days_recorded"],
            "drinking": r["drinking_days"],
            "units": f"{r['units']:g}",
        }
        for r in _frame_rows(s.alcohol)
    ]
    return {
        "opioid_flag": s.opioid_flag,
        "opioid_column": "opioid_use" in result.data.columns,
        "opioid_days": [tx.date_text(d) for d in s.opioid_days],
        "incidence": incidence,
        "has_side_effects": bool(len(s.incidence)),
        "onset": onset,
        "switch": switch,
        "alcohol": alcohol,
    }


def _incidence_table(incidence: pd.DataFrame) -> dict[str, Any]:
    """Side effects as rows, phase segments (in time order) as columns."""
    # Every side effect has the same segments in the same order (a resumed dose level can
    # appear twice), so the first side effect's rows give the columns.
    first = incidence[incidence["side_effect"] == incidence["side_effect"].iloc[0]]
    segments = [
        {"name": seg, "start": tx.date_text(start)}
        for seg, start in zip(first["segment"], first["start"], strict=True)
    ]
    rows = []
    for effect, block in incidence.groupby("side_effect", sort=False):
        cells = []
        for r in _frame_rows(block):
            n = r["days_recorded"]
            if n:
                cells.append(
                    {
                        "days": f"{r['days_with']}/{n}",
                        "share": f"{100 * r['share']:.0f}%",
                        "interval": f"{100 * r['share_low']:.0f}–{100 * r['share_high']:.0f}%",
                    }
                )
            else:
                cells.append({"days": "0/0", "share": "–", "interval": "not recorded"})
        rows.append({"label": plotdata.side_effect_label(str(effect)), "cells": cells})
    return {"segments": segments, "rows": rows}


def _onset_table(first_onset: pd.DataFrame) -> dict[str, Any]:
    """Days to first report: side effects as rows, dose increases (in order) as columns."""
    if not len(first_onset):
        return {"increases": [], "rows": []}
    keys = list(
        dict.fromkeys(zip(first_onset["increase_date"], first_onset["dose_mg"], strict=True))
    )
    increases = [{"dose": tx.dose_text(dose), "date": tx.date_text(day)} for day, dose in keys]
    rows = []
    for effect, block in first_onset.groupby("side_effect", sort=False):
        days = dict(
            zip(
                zip(block["increase_date"], block["dose_mg"], strict=True),
                block["days_to_onset"],
                strict=True,
            )
        )
        cells = ["–" if math.isnan(days.get(k, math.nan)) else f"{days[k]:.0f}" for k in keys]
        rows.append({"label": plotdata.side_effect_label(str(effect)), "cells": cells})
    return {"increases": increases, "rows": rows}


def _quality(result: PatientResult) -> dict[str, Any]:
    q = result.quality
    present = q.days_present
    blanks = [
        {
            "column": name,
            "count": count,
            "share": f"{100 * count / present:.0f}%" if present else "–",
        }
        for name, count in q.blanks.items()
    ]
    return {
        "file": q.file,
        "period": f"{tx.date_text(q.first_day)} to {tx.date_text(q.last_day)}",
        "days_expected": q.days_expected,
        "days_present": present,
        "days_missing": q.days_missing,
        "missing_share": f"{100 * q.days_missing / q.days_expected:.0f}%"
        if q.days_expected
        else "–",
        "blanks": blanks,
        "merged_duplicates": q.merged_duplicates,
        "excluded": [str(row) for row in q.excluded_rows],
        "notes": list(q.notes),
    }


def _phases(result: PatientResult) -> list[dict[str, Any]]:
    rows = []
    for r in _frame_rows(result.phases.to_frame()):
        dose = r["dose_mg"]
        rows.append(
            {
                "phase": r["phase"],
                "period": tx.period(r["start"], r["end"]),
                "days": r["n_days"],
                "dose": "–" if dose is None or math.isnan(dose) else tx.dose_text(dose),
            }
        )
    return rows


def _diary_notes(result: PatientResult) -> list[dict[str, str]]:
    data = result.data
    if "notes" not in data.columns:
        return []
    rows = data.loc[data["notes"].notna(), ["date", "notes"]]
    return [
        {"date": tx.date_text(d), "text": str(n)}
        for d, n in zip(rows["date"], rows["notes"], strict=True)
        if str(n).strip()
    ]


def report_context(
    result: PatientResult, *, generated: dt.datetime | str | None = None
) -> dict[str, Any]:
    """Gather the text, tables and figures of the report of one patient.

    Parameters
    ----------
    result : PatientResult
        From :func:`ldn_n1.analyze` (not modified).
    generated : datetime or str, optional
        Time stamp printed as "generated"; default now (UTC). Fix it for byte-identical
        output.

    Returns
    -------
    dict
        Keys used by ``templates/report.html.j2``; the figures as SVG :class:`Markup`.
    """
    ph = result.phases
    primary = result.primary
    figures: list[dict[str, Markup | str]] = _figures(result)
    return {
        "patient_id": result.patient_id,
        "source": result.source,
        "sha256": result.sha256,
        "generated": _generated_text(generated),
        "headline": _headline(result),
        "notes": list(result.notes),
        "caveat": result.caveat,
        "outcomes": [_outcome_row(o) for o in result.outcomes.values()],
        "primary_name": result.plan.primary,
        "primary_fit": primary is not None and primary.fit is not None,
        "threshold": tx.pct(result.plan.probability_threshold),
        "threshold_low": tx.pct(1 - result.plan.probability_threshold),
        "figures": figures,
        "safety": _safety(result),
        "quality": _quality(result),
        "phases": _phases(result),
        "design": ph.design,
        "facts": {
            "diary": tx.period(ph.first_day, ph.last_day),
            "baseline_days": ph.baseline_days,
            "first_dose": tx.date_text(ph.first_dose),
            "target": tx.dose_text(ph.target_dose_mg),
            "steps": tx.steps_text(result),
            "window": tx.period(ph.evaluation_start, ph.evaluation_end),
            "window_days": ph.window_days,
            "evaluation_days": ph.evaluation_days,
            "treatment_days": ph.treatment_days,
            "days_present": result.quality.days_present,
            "days_expected": result.quality.days_expected,
            "interruptions": len(ph.interruptions),
            "switches": [f"{tx.date_text(s.date)}: {s.before} → {s.after}" for s in ph.switches],
        },
        "plan": result.plan,
        "plan_toml": result.plan.to_toml(),
        "outcome_specs": [
            {
                "label": o.label,
                "name": o.name,
                "better": o.better,
                "scale": "–".join(f"{v:g}" for v in result.plan.outcome(o.name).scale),
                "mcid": f"{o.mcid:g}",
                "primary": o.primary,
            }
            for o in result.outcomes.values()
        ],
        "diary_notes": _diary_notes(result),
        "software": software_versions(),
        "methods": {
            "min_days": MIN_DAYS,
            "min_days_weekday": MIN_DAYS_WEEKDAY,
            "max_tau": f"{float(np.max(DEFAULT_TAUS)):g}",
            "max_rho": f"{float(np.max(DEFAULT_RHOS)):g}",
            "effect_sd": f"{Prior().effect_sd:g}",
        },
    }
