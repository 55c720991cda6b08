"""``analyze``: one patient's diary and plan in, a :class:`PatientResult` out.

Flow: phases from the dose record -> per outcome the Bayesian-lite fit (``bayes``) -> verdict
and wording (``verdict``) -> for ``inconclusive``, a forward simulation of how many more days
would settle it (``settle``) -> side effects and safety flags (``safety``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_n1.bayes import BayesFit, Prior, fit_bayes
from ldn_n1.errors import AnalysisError, LdnWarning
from ldn_n1.features import day_numbers
from ldn_n1.phases import Phases, derive_phases
from ldn_n1.plan import Outcome, Plan, load_plan
from ldn_n1.results import OutcomeResult, PatientResult
from ldn_n1.safety import assess_safety
from ldn_n1.settle import days_to_settle
from ldn_n1.verdict import CAVEAT, classify, describe_outcome

if TYPE_CHECKING:
    from ldn_n1.diary import Diary

__all__ = ["analyze", "analyze_outcomes"]

#: Fewer days with data than this in the baseline or the window: no verdict for the outcome.
MIN_DAYS = 5
#: Minimum days with data before weekday effects are modelled.
MIN_DAYS_WEEKDAY = 35


def analyze(diary: Diary | Any, plan: Plan | Any = None, *, settle: bool = True) -> PatientResult:
    """Analyse one patient's diary: did they respond?

    Parameters
    ----------
    diary : Diary, path or DataFrame
        A loaded :class:`~ldn_n1.diary.Diary`, or anything :func:`ldn_n1.load_diary` reads.
    plan : Plan, path to a TOML plan, mapping or None
        The analysis plan (defaults: DESIGN §2). For a diary read from an app export the
        outcomes the plan does not declare get the app's scale and default MCID
        (:func:`ldn_n1.apps.suggested_plan`).
    settle : bool, default True
        For inconclusive outcomes, estimate by forward simulation how many more diary days
        would likely settle the verdict.

    Returns
    -------
    PatientResult
        One :class:`OutcomeResult` per plan outcome present in the diary (primary first),
        side effects and safety flags, phases, data quality.

    Raises
    ------
    DiaryError
        When ``diary`` is a file or frame that fails validation.
    AnalysisError
        When the diary has no treatment phase, no baseline, or none of the plan's outcomes.

    Warns
    -----
    LdnWarning
        Fewer baseline days with data than ``plan.min_baseline_days`` (analysed anyway).
    """
    from ldn_n1.diary import Diary, load_diary

    if not isinstance(diary, Diary):
        diary = load_diary(diary)
    if diary.scales:
        # A diary read from an app: outcomes on the app's own scales (never rescaled).
        from ldn_n1.apps import suggested_plan

        plan = suggested_plan(diary, plan)
    else:
        plan = load_plan(plan)
    data = diary.data
    phases = derive_phases(data, evaluation_days=plan.evaluation_days)
    names = [name for name in plan.outcomes if name in data.columns]
    if not names:
        msg = (
            f"{diary.source}: none of the plan's outcomes ({', '.join(plan.outcomes)}) is a "
            f"column of the diary (columns: {', '.join(map(str, data.columns))})"
        )
        raise AnalysisError(msg)
    outcomes = analyze_outcomes(data, phases, plan, settle=settle)
    notes: list[str] = []
    primary = outcomes.get(plan.primary)
    if primary is not None and primary.n_baseline_days < plan.min_baseline_days:
        text = (
            f"only {primary.n_baseline_days} baseline days with {plan.primary} recorded "
            f"(the plan asks for {plan.min_baseline_days}); the verdict is less certain"
        )
        notes.append(text)
        warnings.warn(f"{diary.patient_id}: {text}", LdnWarning, stacklevel=2)
    safety = assess_safety(data, phases, plan.side_effects)
    return PatientResult(
        patient_id=diary.patient_id,
        source=diary.source,
        sha256=diary.sha256,
        plan=plan,
        phases=phases,
        quality=diary.quality,
        outcomes=outcomes,
        safety=safety,
        notes=tuple(notes),
        caveat=CAVEAT,
        data=data,
    )


@dataclass(frozen=True)
class _Series:
    """One outcome's days with a value, on the calendar axis of the diary."""

    outcome: Outcome
    t: np.ndarray
    y: np.ndarray
    weekday: np.ndarray
    d0: float
    window: tuple[float, float]
    n_baseline: int
    n_window: int
    missing_share: float

    @property
    def enough(self) -> bool:
        return self.n_baseline >= MIN_DAYS and self.n_window >= MIN_DAYS


def _series(data: pd.DataFrame, phases: Phases, outcome: Outcome) -> _Series:
    values = data[outcome.name].to_numpy(dtype=float)
    ok = ~np.isnan(values)
    dates = pd.DatetimeIndex(data["date"])[ok]
    t = day_numbers(dates, phases.first_day)
    d0 = float((phases.first_dose - phases.first_day).days)
    w0 = float((phases.evaluation_start - phases.first_dose).days)
    w1 = float((phases.evaluation_end - phases.first_dose).days)
    # The model describes the diary up to the end of the evaluation window.
    used = t <= d0 + w1
    span = (phases.evaluation_end - phases.first_day).days + 1
    return _Series(
        outcome=outcome,
        t=t[used],
        y=values[ok][used],
        weekday=dates.day_of_week.to_numpy()[used],
        d0=d0,
        window=(w0, w1),
        n_baseline=int(np.sum(t < d0)),
        n_window=int(np.sum((t >= d0 + w0) & (t <= d0 + w1))),
        missing_share=1.0 - float(np.sum(used)) / span,
    )


def _fit(s: _Series, plan: Plan, covariates=None, summaries=True, prior=None) -> BayesFit:
    return fit_bayes(
        s.t,
        s.y,
        s.weekday,
        first_dose_day=s.d0,
        window=s.window,
        better=s.outcome.better,
        mcid=s.outcome.mcid,
        scale=s.outcome.scale,
        use_weekday=plan.weekday and s.t.size >= MIN_DAYS_WEEKDAY,
        covariates=covariates,
        summaries=summaries,
        prior=prior,
    )


_FIRST_PASS_PRIOR = Prior(effect_sd=10.0)


def _shared_noise(series: dict[str, _Series], plan: Plan) -> dict[str, np.ndarray]:
    """For each outcome, the mean of the patient's other outcomes' standardised residuals.

    A first pass fits every outcome alone; its residuals (observed minus the modelled level,
    signed so that positive = better) are standardised and, day by day, averaged over the
    other outcomes recorded that day (0 where none was). Bad days are bad across symptoms, so
    this covariate explains part of each outcome's day-to-day noise.
    """
    resid: dict[str, pd.Series] = {}
    for name, s in series.items():
        # A wide effect prior, so that no shrunken treatment effect is left in the residuals.
        fit = _fit(s, plan, summaries=False, prior=_FIRST_PASS_PRIOR)
        level = np.interp(s.t, fit.days, fit.expected)
        r = (s.y - level) * s.outcome.sign
        sd = r.std()
        resid[name] = pd.Series(r / sd if sd > 0 else r * 0.0, index=s.t)
    out = {}
    for name, s in series.items():
        others = [resid[o].reindex(s.t) for o in series if o != name]
        if not others:
            continue
        stacked = np.column_stack([o.to_numpy() for o in others])
        counts = np.sum(~np.isnan(stacked), axis=1)
        total = np.nansum(stacked, axis=1)
        out[name] = np.where(counts > 0, total / np.maximum(counts, 1), 0.0)[:, None]
    return out


def analyze_outcomes(
    data: pd.DataFrame, phases: Phases, plan: Plan, *, settle: bool = True
) -> dict[str, OutcomeResult]:
    """Fit every plan outcome present in ``data`` (the core of :func:`analyze`)."""
    names = [name for name in plan.outcomes if name in data.columns]
    series = {name: _series(data, phases, plan.outcome(name)) for name in names}
    usable = {name: s for name, s in series.items() if s.enough}
    shared = _shared_noise(usable, plan) if plan.shared_noise and len(usable) > 1 else {}
    return {
        name: _outcome_result(s, plan, name == plan.primary, settle, shared.get(name), data, phases)
        for name, s in series.items()
    }


def _outcome_result(
    s: _Series,
    plan: Plan,
    primary: bool,
    settle: bool,
    covariates: np.ndarray | None,
    data: pd.DataFrame,
    phases: Phases,
) -> OutcomeResult:
    outcome = s.outcome
    common = {
        "data": data,
        "phases": phases,
        "scale": outcome.scale,
        "name": outcome.name,
        "better": outcome.better,
        "mcid": outcome.mcid,
        "primary": primary,
        "n_baseline_days": s.n_baseline,
        "n_evaluation_days": s.n_window,
        "missing_share": s.missing_share,
    }
    if not s.enough:
        reason = (
            f"too few days with {outcome.name} recorded for a verdict ({s.n_baseline} "
            f"baseline, {s.n_window} in the evaluation window; at least {MIN_DAYS} each)"
        )
        return OutcomeResult(
            **common, classification="inconclusive", sentence=reason, fit=None, settle_days=None
        )
    fit = _fit(s, plan, covariates)
    verdict = classify(fit.p_mcid, fit.p_worsening, plan.probability_threshold)
    settle_days = None
    if verdict == "inconclusive" and settle:
        settle_days = days_to_settle(
            fit,
            s.t,
            s.y,
            start_weekday=int(s.weekday[0] - s.t[0]) % 7,
            first_dose_day=s.d0,
            window_days=int(s.window[1] - s.window[0] + 1),
            better=outcome.better,
            mcid=outcome.mcid,
            threshold=plan.probability_threshold,
            scale=outcome.scale,
            seed=plan.seed,
            use_weekday=plan.weekday and s.t.size >= MIN_DAYS_WEEKDAY,
            covariates=covariates,
        )
    sentence = describe_outcome(
        outcome.name,
        outcome.better,
        outcome.mcid,
        fit.mean,
        fit.low,
        fit.high,
        fit.p_mcid,
        fit.p_worsening,
        verdict,
        settle_days,
    )
    sensitivity = {
        label: classify(pm, pw, plan.probability_threshold)
        for label, (pm, pw) in fit.sensitivity.items()
    }
    return OutcomeResult(
        **common,
        classification=verdict,
        sentence=sentence,
        fit=fit,
        settle_days=settle_days,
        sensitivity=sensitivity,
    )
