"""Verdicts (DESIGN §4) and their plain-language wording.

With threshold ``p`` (default 0.8) and the outcome's MCID, from the posterior of
``improvement`` (positive = better):

- ``responder``: P(improvement >= MCID) >= p
- ``worsened``: P(improvement <= -MCID) >= p
- ``non-responder``: P(improvement < MCID) >= p and not worsened
- ``inconclusive``: otherwise.
"""

from __future__ import annotations

__all__ = ["CAVEAT", "VERDICTS", "classify", "describe_outcome", "outcome_label"]

VERDICTS = ("responder", "non-responder", "worsened", "inconclusive")

CAVEAT = (
    "An open-label before/after comparison in one person cannot separate the drug from "
    "expectation, the natural course of the illness or regression to the mean, and "
    "individual response varies: this describes what happened to this patient, not proof "
    "that the drug caused it."
)

_LABELS = {
    "pain": "Pain",
    "fatigue": "Fatigue",
    "sleep_quality": "Sleep quality",
    "fog": "Fibro fog",
    "mood": "Mood",
}


def outcome_label(name: str) -> str:
    """Readable name of an outcome column (``sleep_quality`` -> ``Sleep quality``)."""
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def classify(p_mcid: float, p_worsening: float, threshold: float = 0.8) -> str:
    """Classify one outcome from its posterior probabilities.

    Parameters
    ----------
    p_mcid : float
        P(improvement >= MCID).
    p_worsening : float
        P(improvement <= -MCID).
    threshold : float, default 0.8
        Posterior probability needed for a verdict (0.5 < threshold < 1).

    Returns
    -------
    str
        One of ``VERDICTS``.

    Examples
    --------
    >>> classify(0.93, 0.0), classify(0.05, 0.01), classify(0.01, 0.85), classify(0.4, 0.1)
    ('responder', 'non-responder', 'worsened', 'inconclusive')
    """
    if p_mcid >= threshold:
        return "responder"
    if p_worsening >= threshold:
        return "worsened"
    if 1.0 - p_mcid >= threshold:
        return "non-responder"
    return "inconclusive"


def _points(x: float) -> str:
    return f"{abs(x):.1f} point" + ("" if round(abs(x), 1) == 1.0 else "s")


def describe_outcome(
    name: str,
    better: str,
    mcid: float,
    improvement: float,
    low: float,
    high: float,
    p_mcid: float,
    p_worsening: float,
    verdict: str,
    settle_days: int | None = None,
) -> str:
    """One plain-language sentence set for one outcome, with the number and the probability.

    Examples
    --------
    >>> describe_outcome("pain", "lower", 2.0, 2.6, 1.8, 3.4, 0.93, 0.0, "responder")
    'Pain fell by about 2.6 points (95% interval 1.8 to 3.4) compared with its baseline course. Probability of a clinically important improvement (at least 2 points): 93%. Verdict: responder.'
    """
    label = outcome_label(name)
    # improvement > 0 means better: for a lower-is-better score that is a fall.
    went_down = (improvement > 0) == (better == "lower")
    verb = "fell" if went_down else "rose"
    lo, hi = (low, high) if better == "higher" else (-high, -low)
    lo, hi = (lo, hi) if not went_down else (-hi, -lo)
    change = (
        f"{label} hardly changed (about {_points(improvement)}"
        if abs(improvement) < 0.05
        else f"{label} {verb} by about {_points(improvement)} ("
    )
    sep = "; " if abs(improvement) < 0.05 else ""
    text = (
        f"{change}{sep}95% interval {_num(lo)} to {_num(hi)}) compared with its baseline "
        "course. "
        f"Probability of a clinically important improvement (at least {mcid:g} "
        f"point{'' if mcid == 1 else 's'}): "
        f"{_percent(p_mcid)}."
    )
    if p_worsening >= 0.05:
        text += f" Probability of a clinically important worsening: {_percent(p_worsening)}."
    text += f" Verdict: {verdict}."
    if verdict == "inconclusive":
        if settle_days is not None:
            text += (
                f" About {settle_days} more diary days would likely settle it "
                "(simulated from the current estimate)."
            )
        else:
            text += " Even three more months of diary would probably not settle it."
    return text


def _num(x: float) -> str:
    """One decimal, never "-0.0"."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _percent(p: float) -> str:
    if p < 0.01:
        return "<1%"
    if p > 0.99:
        return ">99%"
    return f"{100 * p:.0f}%"
