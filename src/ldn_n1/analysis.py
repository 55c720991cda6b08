"""``analyze``: one patient's diary and plan in, a :class:`PatientResult` out.

Flow: phases from the dose record -> per outcome the Bayesian-lite fit (``bayes``) -> verdict
and wording (``verdict``) -> for ``inconclusive``, a forward simulation of how many more days
would settle it (``settle``) -> side effects and safety flags (``safety``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_n1.bayes import fit_bayes
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

__all__ = ["analyze"]

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
        The analysis plan (defaults: DESIGN §2).
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
    outcomes = {}
    notes: list[str] = []
    for name in names:
        result = _analyze_outcome(
            data, phases, plan.outcome(name), plan, name == plan.primary, settle
        )
        outcomes[name] = result
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


def _analyze_outcome(
    data: pd.DataFrame, phases: Phases, outcome: Outcome, plan: Plan, primary: bool, settle: bool
) -> OutcomeResult:
    values = data[outcome.name].to_numpy(dtype=float)
    ok = ~np.isnan(values)
    dates = pd.DatetimeIndex(data["date"])[ok]
    t = day_numbers(dates, phases.first_day)
    y = values[ok]
    d0 = float((phases.first_dose - phases.first_day).days)
    w0 = float((phases.evaluation_start - phases.first_dose).days)
    w1 = float((phases.evaluation_end - phases.first_dose).days)
    n_base = int(np.sum(t < d0))
    in_window = (t >= d0 + w0) & (t <= d0 + w1)
    n_window = int(np.sum(in_window))
    span = (phases.evaluation_end - phases.first_day).days + 1
    used = t <= d0 + w1
    missing_share = 1.0 - float(np.sum(used)) / span
    common = {
        "name": outcome.name,
        "better": outcome.better,
        "mcid": outcome.mcid,
        "primary": primary,
        "n_baseline_days": n_base,
        "n_evaluation_days": n_window,
        "missing_share": missing_share,
    }
    if n_base < MIN_DAYS or n_window < MIN_DAYS:
        reason = (
            f"too few days with {outcome.name} recorded for a verdict "
            f"({n_base} baseline, {n_window} in the evaluation window; at least {MIN_DAYS} each)"
        )
        return OutcomeResult(
            **common, classification="inconclusive", sentence=reason, fit=None, settle_days=None
        )
    # The model describes the diary up to the end of the evaluation window.
    t, y, dates = t[used], y[used], dates[used]
    use_weekday = plan.weekday and t.size >= MIN_DAYS_WEEKDAY
    weekday = dates.weekday.to_numpy()
    fit = fit_bayes(
        t,
        y,
        weekday,
        first_dose_day=d0,
        window=(w0, w1),
        better=outcome.better,
        mcid=outcome.mcid,
        scale=outcome.scale,
        use_weekday=use_weekday,
    )
    verdict = classify(fit.p_mcid, fit.p_worsening, plan.probability_threshold)
    settle_days = None
    if verdict == "inconclusive" and settle:
        settle_days = days_to_settle(
            fit,
            t,
            y,
            start_weekday=int(phases.first_day.weekday()),
            first_dose_day=d0,
            window_days=int(w1 - w0 + 1),
            better=outcome.better,
            mcid=outcome.mcid,
            threshold=plan.probability_threshold,
            scale=outcome.scale,
            seed=plan.seed,
            use_weekday=use_weekday,
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
