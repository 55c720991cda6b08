"""Plain-language wording of the clinician report: number and date formats, figure alt texts.

Formatting only: every number shown comes from the :class:`PatientResult`; the words say
what the verdict rules of DESIGN §4 (``ldn_n1.verdict``) mean for this patient. Dates use
fixed English month names (no locale), so output does not depend on the machine.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ldn_n1.results import OutcomeResult, PatientResult

__all__ = [
    "alt_counterfactual",
    "alt_posterior",
    "alt_side_effects",
    "alt_small_multiples",
    "alt_timeline",
    "change_words",
    "date_text",
    "difference",
    "dose_text",
    "meaning",
    "num",
    "pct",
    "period",
    "sentence",
    "steps_text",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(day: object) -> str:
    """``14 Nov 2024`` (empty for a missing date).

    Examples
    --------
    >>> date_text("2024-11-14"), date_text(None)
    ('14 Nov 2024', '')
    """
    if day is None or (isinstance(day, float) and math.isnan(day)) or pd.isna(day):
        return ""
    ts = pd.Timestamp(day)
    return f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"


def period(start: object, end: object) -> str:
    """``6 Jan – 2 Feb 2025`` (years shown once when equal).

    Examples
    --------
    >>> period("2025-01-06", "2025-02-02"), period("2024-12-20", "2025-01-02")
    ('6 Jan – 2 Feb 2025', '20 Dec 2024 – 2 Jan 2025')
    """
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    left = f"{a.day} {_MONTHS[a.month - 1]}" + ("" if a.year == b.year else f" {a.year}")
    return f"{left} – {date_text(b)}"


def num(x: float, digits: int = 1, *, signed: bool = False) -> str:
    """A number with fixed decimals, a true minus sign, ``–`` for NaN.

    Examples
    --------
    >>> num(-1.26), num(3.66, signed=True), num(-0.04), num(float("nan"))
    ('−1.3', '+3.7', '0.0', '–')
    """
    if x is None or not math.isfinite(float(x)):
        return "–"
    text = f"{float(x):+.{digits}f}" if signed else f"{float(x):.{digits}f}"
    if float(text) == 0.0:  # no "-0.0" or "+0.0"
        text = f"{0.0:.{digits}f}"
    return text.replace("-", "−")


def pct(p: float) -> str:
    """A probability as a percentage: ``<1%``, ``97%``, ``>99%`` (``–`` for NaN).

    Examples
    --------
    >>> pct(0.004), pct(0.9749), pct(0.996)
    ('<1%', '97%', '>99%')
    """
    if p is None or not math.isfinite(float(p)):
        return "–"
    if p < 0.01:
        return "<1%"
    if p > 0.99:
        return ">99%"
    return f"{100 * p:.0f}%"


def dose_text(mg: float) -> str:
    """``4.5 mg``."""
    return f"{mg:g} mg"


def steps_text(result: PatientResult) -> str:
    """The dose course in words: ``1.5 mg from 14 Nov 2024, 3 mg from 21 Nov 2024, ...``."""
    parts = []
    for step in result.phases.steps:
        what = "no LDN (interruption)" if step.kind == "interruption" else dose_text(step.dose_mg)
        parts.append(f"{what} from {date_text(step.start)}")
    return ", ".join(parts)


def change_words(outcome: OutcomeResult) -> str:
    """What happened relative to the expected course: ``fell by 3.7`` / ``rose by 0.4``."""
    fit = outcome.fit
    if fit is None:
        return "–"
    went_down = (fit.mean > 0) == (outcome.better == "lower")
    return f"{'fell' if went_down else 'rose'} by {abs(fit.mean):.1f}"


def difference(outcome: OutcomeResult) -> dict[str, str] | None:
    """The change against the expected course in the direction it went, for display.

    The improvement is signed so that positive is better; the observed-minus-expected
    difference is ``improvement`` when higher is better and ``-improvement`` when lower is
    better. Returns ``amount`` (``3.7``), ``direction`` (``lower``/``higher``) and the 95%
    interval of the difference in that direction (``2.0 to 5.1``); None without a fit.
    """
    fit = outcome.fit
    if fit is None:
        return None
    sign = 1.0 if outcome.better == "higher" else -1.0
    diff, lo, hi = sign * fit.mean, *sorted((sign * fit.low, sign * fit.high))
    if diff < 0:
        diff, lo, hi = -diff, -hi, -lo
        direction = "lower"
    else:
        direction = "higher"
    return {
        "amount": f"{diff:.1f}",
        "direction": direction,
        "interval": f"{num(lo)} to {num(hi)}",
    }


def sentence(outcome: OutcomeResult) -> str:
    """The outcome's verdict sentence, led by its name when the sentence does not say it."""
    text = outcome.sentence
    if outcome.fit is None:
        return f"{outcome.label}: {text}"
    return text


def meaning(outcome: OutcomeResult, threshold: float) -> str:
    """The verdict rule applied to this outcome, in one plain sentence."""
    label = outcome.label
    fit = outcome.fit
    if fit is None:
        return f"Not enough diary data for a verdict on {label.lower()}."
    mcid = f"{outcome.mcid:g} points"
    need = pct(threshold)
    verdict = outcome.classification
    if verdict == "responder":
        return (
            f"{label} improved by a clinically important amount: the probability that the "
            f"improvement is at least {mcid} is {pct(fit.p_mcid)} (the plan requires {need})."
        )
    if verdict == "worsened":
        return (
            f"{label} got worse by a clinically important amount: the probability of a "
            f"worsening of at least {mcid} is {pct(fit.p_worsening)} (the plan requires {need})."
        )
    if verdict == "non-responder":
        return (
            f"No clinically important improvement in {label.lower()}: the probability of an "
            f"improvement of at least {mcid} is only {pct(fit.p_mcid)}."
        )
    return (
        f"The diary cannot tell yet: the probability of a clinically important improvement "
        f"(at least {mcid}) is {pct(fit.p_mcid)}, neither high enough ({need} or more) nor "
        f"low enough ({pct(1 - threshold)} or less) for a verdict."
    )


def alt_timeline(result: PatientResult, name: str, side_effect_days: int) -> str:
    """Alternative text of the timeline figure of one outcome."""
    ph = result.phases
    outcome = result.outcomes[name]
    return (
        f"{outcome.label} score on every diary day from {date_text(ph.first_day)} to "
        f"{date_text(ph.last_day)}, with a 7-day mean. Baseline without LDN: "
        f"{period(ph.first_day, ph.first_dose - pd.Timedelta(days=1))} "
        f"({ph.baseline_days} days). Doses: {steps_text(result)}. Evaluation window: "
        f"{period(ph.evaluation_start, ph.evaluation_end)}. Side effects reported on "
        f"{side_effect_days} days. {outcome.sentence}"
    )


def alt_small_multiples(result: PatientResult) -> str:
    """Alternative text of the small-multiple timelines of the other outcomes."""
    others = [o for o in result.outcomes.values() if not o.primary]
    parts = [f"{o.label} ({o.classification})" for o in others]
    return (
        "Small charts of the other outcomes over the same days, phases shaded, with a 7-day "
        f"mean: {', '.join(parts)}."
    )


def alt_counterfactual(result: PatientResult, name: str) -> str:
    """Alternative text of the observed-vs-counterfactual figure."""
    outcome = result.outcomes[name]
    fit = outcome.fit
    ph = result.phases
    return (
        f"{outcome.label}: daily scores, the modelled course, and the course expected "
        f"without treatment (the baseline continued) with its 95% band, from "
        f"{date_text(ph.first_day)} to {date_text(ph.evaluation_end)}. Over the evaluation "
        f"window ({period(ph.evaluation_start, ph.evaluation_end)}) the score "
        f"{change_words(outcome)} points compared with the expected course (improvement "
        f"{num(fit.mean, signed=True)}, 95% interval {num(fit.low)} to {num(fit.high)})."
    )


def alt_posterior(result: PatientResult, name: str) -> str:
    """Alternative text of the posterior-density figure."""
    outcome = result.outcomes[name]
    fit = outcome.fit
    mcid = f"{outcome.mcid:g}"
    return (
        f"Distribution of the possible improvement in {outcome.label.lower()} (points, "
        f"positive = better): most likely {num(fit.mean, signed=True)}, 95% interval "
        f"{num(fit.low)} to {num(fit.high)}. Probability of at least {mcid} points better: "
        f"{pct(fit.p_mcid)}; of at least {mcid} points worse: {pct(fit.p_worsening)}; of any "
        f"improvement: {pct(fit.p_improvement)}."
    )


def alt_side_effects(frame: pd.DataFrame) -> str:
    """Alternative text of the side-effect figure (from the incidence frame)."""
    effects = list(dict.fromkeys(frame["label"]))
    segments = list(dict.fromkeys(frame.sort_values("order")["segment"]))
    return (
        f"Share of recorded days with each of {len(effects)} side effects "
        f"({', '.join(effects)}) in each phase ({', '.join(segments)}), with 95% intervals. "
        "The same numbers are in the side-effect table below."
    )
