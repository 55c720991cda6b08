"""Tidy plot-data frames of the clinician report, computed once from a :class:`PatientResult`.

Every frame here re-arranges numbers that :func:`ldn_n1.analyze` already computed; nothing is
estimated. The only transformations are for display:

- the daily series is put on a full calendar axis (missing days become NaN rows, so lines
  break at gaps instead of bridging them);
- a centred 7-day mean of the recorded values (at least 4 of the 7 days recorded) is drawn
  over the daily points as a visual guide; it plays no part in the verdict;
- the posterior density of the improvement is evaluated on a grid from the Student-t mixture
  the model returned (``sum_k w_k t_df(x; loc_k, scale_k)``).

Frames (one per figure):

- :func:`timeline_frame` -- one row per calendar day x outcome.
- :func:`counterfactual_frame` -- observed vs modelled course without treatment.
- :func:`posterior_frame` -- density of the improvement with its MCID regions.
- :func:`incidence_frame` -- side-effect incidence per phase and dose step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ldn_n1.verdict import outcome_label

if TYPE_CHECKING:
    from ldn_n1.phases import Phases
    from ldn_n1.results import PatientResult

__all__ = [
    "ROLLING_DAYS",
    "ROLLING_MIN_DAYS",
    "counterfactual_frame",
    "incidence_frame",
    "posterior_frame",
    "side_effect_label",
    "timeline_frame",
]

#: Width of the centred rolling mean drawn over the daily scores (days).
ROLLING_DAYS = 7
#: Recorded days needed within the rolling window for a mean to be drawn.
ROLLING_MIN_DAYS = 4

TIMELINE_COLUMNS = [
    "date",
    "outcome",
    "label",
    "primary",
    "better",
    "scale_min",
    "scale_max",
    "value",
    "mean7",
    "dose_mg",
    "phase",
    "evaluation",
    "side_effects",
]


def side_effect_label(name: str) -> str:
    """Readable side-effect name (``vivid_dreams`` -> ``Vivid dreams``)."""
    return outcome_label(name)


def _calendar(phases: Phases) -> pd.DatetimeIndex:
    return pd.date_range(phases.first_day, phases.last_day, freq="D")


def _phase_by_day(phases: Phases, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Phase label and held dose (from the phase structure, not the raw log) per day."""
    phase = np.full(len(days), "baseline", dtype=object)
    dose = np.zeros(len(days))
    for step in phases.steps:
        inside = (days >= step.start) & (days <= step.end)
        phase[inside] = step.kind
        dose[inside] = step.dose_mg
    return phase, dose


def timeline_frame(result: PatientResult) -> pd.DataFrame:
    """Daily scores of every analysed outcome on the full calendar, with phases and doses.

    Parameters
    ----------
    result : PatientResult
        From :func:`ldn_n1.analyze` (not modified).

    Returns
    -------
    DataFrame
        One row per calendar day (first to last diary day) x outcome, in the order of
        ``result.outcomes`` (primary first), with columns:

        - ``date`` (Timestamp), ``outcome`` (column name), ``label`` (readable name),
          ``primary`` (bool), ``better`` (``"lower"``/``"higher"``), ``scale_min``,
          ``scale_max`` (the plan's scale);
        - ``value``: the recorded score, NaN on days without one;
        - ``mean7``: centred 7-day mean of the recorded scores (NaN where fewer than 4 of
          the 7 days were recorded);
        - ``dose_mg``: dose held that day according to the phases (0 in the baseline and
          interruptions); ``phase``: ``baseline``, ``titration``, ``target`` or
          ``interruption``; ``evaluation``: day inside the evaluation window;
        - ``side_effects``: number of the plan's side effects reported (> 0) that day
          (NaN when none was recorded that day).
    """
    phases = result.phases
    days = _calendar(phases)
    data = result.data
    dates = pd.DatetimeIndex(data["date"])
    phase, dose = _phase_by_day(phases, days)
    evaluation = np.asarray((days >= phases.evaluation_start) & (days <= phases.evaluation_end))
    effects = list(dict.fromkeys(result.safety.incidence["side_effect"]))
    if effects:
        block = data[effects].to_numpy(dtype=float)
        recorded = ~np.isnan(block)
        count = np.where(recorded.any(axis=1), np.sum(block > 0, axis=1), np.nan)
        side = pd.Series(count, index=dates).reindex(days).to_numpy()
    else:
        side = np.full(len(days), np.nan)
    frames = []
    for name, outcome in result.outcomes.items():
        spec = result.plan.outcome(name)
        series = pd.Series(data[name].to_numpy(dtype=float), index=dates).reindex(days)
        mean7 = series.rolling(ROLLING_DAYS, center=True, min_periods=ROLLING_MIN_DAYS).mean()
        frames.append(
            pd.DataFrame(
                {
                    "date": days,
                    "outcome": name,
                    "label": outcome.label,
                    "primary": outcome.primary,
                    "better": outcome.better,
                    "scale_min": float(spec.scale[0]),
                    "scale_max": float(spec.scale[1]),
                    "value": series.to_numpy(),
                    "mean7": mean7.to_numpy(),
                    "dose_mg": dose,
                    "phase": phase,
                    "evaluation": evaluation,
                    "side_effects": side,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TIMELINE_COLUMNS]


def counterfactual_frame(result: PatientResult, name: str | None = None) -> pd.DataFrame:
    """Observed scores against the modelled course with and without treatment.

    Parameters
    ----------
    result : PatientResult
    name : str, optional
        Outcome column; default the plan's primary outcome.

    Returns
    -------
    DataFrame
        The columns of :meth:`OutcomeResult.plot_frame` (``date, observed, expected,
        counterfactual, cf_low, cf_high``; the band is the 95% band of the
        counterfactual level) plus ``outcome``, ``label``, ``better``, ``scale_min``,
        ``scale_max``, ``treated`` (on or after the first dose) and ``evaluation`` (inside
        the evaluation window). Empty when the outcome has no model fit.
    """
    name = result.plan.primary if name is None else name
    outcome = result.outcomes[name]
    phases = result.phases
    frame = outcome.plot_frame(result.data, phases.first_day)
    spec = result.plan.outcome(name)
    dates = pd.DatetimeIndex(frame["date"])
    return frame.assign(
        outcome=name,
        label=outcome.label,
        better=outcome.better,
        scale_min=float(spec.scale[0]),
        scale_max=float(spec.scale[1]),
        treated=np.asarray(dates >= phases.first_dose, dtype=bool),
        evaluation=np.asarray(
            (dates >= phases.evaluation_start) & (dates <= phases.evaluation_end), dtype=bool
        ),
    )


def posterior_frame(result: PatientResult, name: str | None = None, n: int = 601) -> pd.DataFrame:
    """Posterior density of an outcome's improvement on a grid, with its MCID regions.

    Parameters
    ----------
    result : PatientResult
    name : str, optional
        Outcome column; default the plan's primary outcome.
    n : int, default 601
        Grid points (the two MCID points are added so the regions meet exactly).

    Returns
    -------
    DataFrame
        Columns ``x`` (improvement, points, positive = better), ``density``, ``region``
        (``worse``: x <= -MCID; ``unclear``: between; ``better``: x >= MCID; the boundary
        points belong to both neighbours), and per-row constants ``outcome``, ``label``,
        ``mcid``, ``mean``, ``low``, ``high``, ``p_improvement``, ``p_mcid``,
        ``p_worsening``, ``threshold`` (copied from the fit and the plan). Empty when the
        outcome has no model fit.

    Notes
    -----
    ``density(x) = sum_k w_k / s_k * t_pdf((x - m_k) / s_k; df_k)`` from
    ``fit.improvement``. The grid spans the 0.05% to 99.95% quantiles, widened to include
    +-1.25 MCID.
    """
    name = result.plan.primary if name is None else name
    outcome = result.outcomes[name]
    fit = outcome.fit
    columns = [
        "x",
        "density",
        "region",
        "outcome",
        "label",
        "mcid",
        "mean",
        "low",
        "high",
        "p_improvement",
        "p_mcid",
        "p_worsening",
        "threshold",
    ]
    if fit is None:
        return pd.DataFrame(columns=columns)
    mix = fit.improvement
    mcid = float(outcome.mcid)
    lo = min(mix.ppf(0.0005), -1.25 * mcid)
    hi = max(mix.ppf(0.9995), 1.25 * mcid)
    x = np.union1d(np.linspace(lo, hi, n), [-mcid, mcid])
    z = (x[:, None] - mix.loc[None, :]) / mix.scale[None, :]
    density = np.sum(mix.weight * stats.t.pdf(z, mix.df) / mix.scale, axis=1)
    region = np.where(x <= -mcid, "worse", np.where(x >= mcid, "better", "unclear"))
    return pd.DataFrame(
        {
            "x": x,
            "density": density,
            "region": region,
            "outcome": name,
            "label": outcome.label,
            "mcid": mcid,
            "mean": fit.mean,
            "low": fit.low,
            "high": fit.high,
            "p_improvement": fit.p_improvement,
            "p_mcid": fit.p_mcid,
            "p_worsening": fit.p_worsening,
            "threshold": float(result.plan.probability_threshold),
        }
    )[columns]


def incidence_frame(result: PatientResult) -> pd.DataFrame:
    """Side-effect incidence per phase segment with Wilson 95% intervals, for plotting.

    Returns
    -------
    DataFrame
        ``result.safety.incidence`` (``side_effect, segment, dose_mg, start, end,
        days_recorded, days_with, share, share_low, share_high``) plus ``label`` (readable
        side-effect name), ``kind`` (``baseline``, ``titration``, ``target`` or
        ``interruption``) and ``order`` (position of the segment in time, 0 = baseline).
    """
    inc = result.safety.incidence
    kinds = {step.start: step.kind for step in result.phases.steps}
    starts = list(dict.fromkeys(pd.DatetimeIndex(inc["start"])))
    order = {start: i for i, start in enumerate(sorted(starts))}
    start_index = pd.DatetimeIndex(inc["start"])
    return inc.assign(
        label=[side_effect_label(s) for s in inc["side_effect"]],
        kind=[
            "baseline" if seg == "baseline" else kinds.get(start, "titration")
            for seg, start in zip(inc["segment"], start_index, strict=True)
        ],
        order=[order[start] for start in start_index],
    )
