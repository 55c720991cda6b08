"""Ratio effect sizes for behavioural outcomes: log response ratios and log odds ratio.

LRRd / LRRi (Pustejovsky, 2015, 2018), their percentage-change versions, and the LOR
(Pustejovsky, 2015), as SingleCaseES 0.7.4 computes them, including its truncation of
phase means and variances near zero, which depends on the outcome's scale.

Validated against SingleCaseES 0.7.4 on 56 published series
(``tests/reference/test_reference_singlecasees.py``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from ldn_n1.effects_base import (
    NAN,
    EffectSize,
    check_confidence,
    check_improvement,
    clean_phase,
    make_result,
    r_mean,
    r_sum,
    r_var,
    short_phase_note,
    wald_parts,
)
from ldn_n1.errors import AnalysisError, PlanError

__all__ = ["lor", "lrr_d", "lrr_i", "pct_change", "pct_change_from_lrr", "truncation_constant"]

SCALES = ("count", "rate", "percentage", "proportion", "other")
LOR_SCALE_NOTE = (
    "LOR can only be calculated for proportions or percentages. "
    "It will return NAs for other outcome scales."
)


def match_scale(scale: str | None) -> str | None:
    """Match a scale name case-insensitively and by unique prefix (R's ``match.arg``)."""
    if scale is None:
        return None
    key = str(scale).lower()
    hits = [s for s in SCALES if s.startswith(key)] if key else []
    if key in SCALES:
        return key
    if len(hits) != 1:
        msg = f"scale: got {scale!r}, expected one of {', '.join(SCALES)}"
        raise PlanError(msg)
    return hits[0]


def truncation_constant(
    scale: str | None,
    observation_length: float | None = None,
    intervals: float | None = None,
) -> float:
    """Truncation constant ``D`` of the LRR (Pustejovsky, 2018), as SingleCaseES derives it.

    Returns 1 for counts, ``observation_length`` for rates, ``intervals`` for proportions,
    ``intervals / 100`` for percentages, and ``inf`` (no truncation) for ``"other"``, no
    scale, or a rate / proportion / percentage without its length / number of intervals.
    """
    sc = match_scale(scale)
    obs = (
        None if observation_length is None or math.isnan(observation_length) else observation_length
    )
    itv = None if intervals is None or math.isnan(intervals) else intervals
    if sc is None or sc == "other":
        return math.inf
    if sc == "count":
        return 1.0
    if sc == "rate":
        return math.inf if obs is None else float(obs)
    if itv is None:
        return math.inf
    return float(itv) if sc == "proportion" else float(itv) / 100


def _phase_stats(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.array([len(x), len(y)], dtype=float)
    mean = np.array([r_mean(x), r_mean(y)])
    var = np.array([r_var(x), r_var(y)])
    return n, mean, var


def _lrr(
    which: Literal["d", "i"],
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    improvement: str,
    scale: str | None,
    observation_length: float | None,
    intervals: float | None,
    d_const: float | None,
    bias_correct: bool,
    confidence: float,
) -> EffectSize:
    conf = check_confidence(confidence)
    check_improvement(improvement)
    sc = match_scale(scale)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    n, mean, var = _phase_stats(x, y)
    # the mean of the complementary behaviour for the ratio that is not the natural one
    flip_pct = improvement == ("increase" if which == "d" else "decrease")
    if flip_pct and sc == "percentage":
        mean = 100 - mean
    elif flip_pct and sc == "proportion":
        mean = 1 - mean
    dc = truncation_constant(sc, observation_length, intervals) if d_const is None else d_const
    dc = float(dc)
    with np.errstate(all="ignore"):
        if dc > 0:
            mean = np.maximum(1 / (2 * dc * n), mean)
            var = np.maximum(1 / (dc**2 * n**3), var)  # NaN (one observation) stays NaN
        if bias_correct:
            terms = np.log(mean) + var / (2 * n * mean**2)
        else:
            terms = np.log(mean)
        est = terms[1] - terms[0]
        if flip_pct and sc not in ("percentage", "proportion"):
            est = -est
        se = float(np.sqrt(r_sum(var / (n * mean**2))))
    return make_result(
        f"LRR{which}",
        wald_parts(est, se, conf),
        conf,
        variant=f"scale={sc}; D={dc:g}; bias_correct={bool(bias_correct)}",
        improvement=improvement,
        n_a=len(x),
        n_b=len(y),
        notes=short_phase_note(len(x), len(y)),
        details=(("d_const", dc),),
    )


def lrr_d(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "decrease",
    scale: str | None = "count",
    observation_length: float | None = None,
    intervals: float | None = None,
    d_const: float | None = None,
    bias_correct: bool = True,
    confidence: float = 0.95,
) -> EffectSize:
    """Log response ratio, decreasing version (Pustejovsky, 2015, 2018).

    Parameters are those of :func:`lrr_i`, except that ``improvement`` defaults to
    ``"decrease"`` (as SingleCaseES's ``LRRd()``).

    Returns
    -------
    EffectSize
        ``measure="LRRd"``, negative values mean improvement; ``details`` holds ``d_const``.

    Notes
    -----
    Phase means ``M`` and variances ``V``; for percentages (proportions) ``M -> 100 - M``
    (``1 - M``) when improvement is an increase, so that the ratio compares the behaviour
    that should decrease. Truncation: ``M = max(M, 1/(2Dn))``, ``V = max(V, 1/(D²n³))``.
    Estimate ``ln M_B - ln M_A`` (bias-corrected by default), negated for count, rate and
    other scales when improvement is an increase; ``SE = sqrt(V_A/(m M_A²) + V_B/(n M_B²))``;
    Wald interval. A one-observation phase has no variance: the SE (and the bias-corrected
    estimate) is NaN.

    Examples
    --------
    >>> from ldn_n1.effects import lrr_d
    >>> round(lrr_d([12, 10, 14, 11], [6, 4, 5, 7]).estimate, 6)
    -0.754859
    """
    return _lrr(
        "d", a, b, improvement, scale, observation_length, intervals, d_const, bias_correct,
        confidence,
    )  # fmt: skip


def lrr_i(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    scale: str | None = "count",
    observation_length: float | None = None,
    intervals: float | None = None,
    d_const: float | None = None,
    bias_correct: bool = True,
    confidence: float = 0.95,
) -> EffectSize:
    """Log response ratio, increasing version (Pustejovsky, 2015, 2018).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values on a ratio scale (0 = behaviour absent).
    improvement : {"increase", "decrease"}, default "increase"
        Direction of improvement.
    scale : {"count", "rate", "percentage", "proportion", "other"} or None, default "count"
        Outcome scale (case-insensitive, unique prefixes accepted); sets the truncation
        constant and, for percentages and proportions, which behaviour the ratio compares.
    observation_length : float, optional
        Session length in minutes (rates).
    intervals : float, optional
        Intervals (or items) per session (percentages, proportions).
    d_const : float, optional
        Truncation constant ``D``, overriding :func:`truncation_constant`.
    bias_correct : bool, default True
        Delta-method bias correction ``ln M + V / (2 n M²)`` per phase.
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``measure="LRRi"``, positive values mean improvement; ``details`` holds ``d_const``.

    Notes
    -----
    As :func:`lrr_d` with the roles swapped: for percentages (proportions)
    ``M -> 100 - M`` (``1 - M``) when improvement is a decrease, and the estimate is negated
    for count, rate and other scales when improvement is a decrease.

    References
    ----------
    Pustejovsky, J. E. (2015). Measurement-comparable effect sizes for single-case studies of
    free-operant behavior. *Psychological Methods, 20*(3), 342-359.
    Pustejovsky, J. E. (2018). Using response ratios for meta-analyzing single-case designs
    with behavioral outcomes. *Journal of School Psychology, 68*, 99-112.

    Examples
    --------
    >>> from ldn_n1.effects import lrr_i
    >>> round(lrr_i([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.195396
    """
    return _lrr(
        "i", a, b, improvement, scale, observation_length, intervals, d_const, bias_correct,
        confidence,
    )  # fmt: skip


def pct_change_from_lrr(lrr: EffectSize) -> EffectSize:
    """Percentage change ``100 (exp(LRR) - 1)`` of an LRR estimate and its limits (no SE)."""
    if lrr.measure not in ("LRRd", "LRRi"):
        msg = f"pct_change_from_lrr: got a {lrr.measure} result, expected LRRd or LRRi"
        raise AnalysisError(msg)

    def pc(v: float) -> float:
        with np.errstate(all="ignore"):
            return float(100 * (np.exp(np.float64(v)) - 1))

    return EffectSize(
        measure=f"Pct_Change_{lrr.measure[-1]}",
        estimate=pc(lrr.estimate),
        se=NAN,
        ci_low=pc(lrr.ci_low),
        ci_high=pc(lrr.ci_high),
        variant=lrr.variant,
        confidence=lrr.confidence,
        improvement=lrr.improvement,
        n_a=lrr.n_a,
        n_b=lrr.n_b,
        notes=lrr.notes,
        details=lrr.details,
    )


def pct_change(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    lrr: Literal["LRRd", "LRRi"] = "LRRd",
    improvement: str | None = None,
    **options: object,
) -> EffectSize:
    """Percentage change of the phase means from the log response ratio.

    Parameters
    ----------
    a, b : array_like of float
    lrr : {"LRRd", "LRRi"}, default "LRRd"
        Which log response ratio to transform.
    improvement : {"increase", "decrease"}, optional
        Defaults to that of :func:`lrr_d` ("decrease") or :func:`lrr_i` ("increase").
    **options
        Passed to :func:`lrr_d` / :func:`lrr_i` (``scale``, ``observation_length``,
        ``intervals``, ``d_const``, ``bias_correct``, ``confidence``).

    Returns
    -------
    EffectSize
        ``measure="Pct_Change_d"`` or ``"Pct_Change_i"``: ``100 (exp(LRR) - 1)`` for the
        estimate and both Wald limits; no SE.

    Examples
    --------
    >>> from ldn_n1.effects import pct_change
    >>> res = pct_change([10, 12, 11], [6, 5, 7], lrr="LRRd", bias_correct=False)
    >>> round(res.estimate, 4)
    -45.4545
    """
    if lrr not in ("LRRd", "LRRi"):
        msg = f"lrr: got {lrr!r}, expected 'LRRd' or 'LRRi'"
        raise PlanError(msg)
    fn = lrr_d if lrr == "LRRd" else lrr_i
    if improvement is not None:
        options["improvement"] = improvement
    return pct_change_from_lrr(fn(a, b, **options))  # type: ignore[arg-type]


def lor(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    scale: str = "percentage",
    intervals: float | None = None,
    d_const: float | None = None,
    bias_correct: bool = True,
    confidence: float = 0.95,
) -> EffectSize:
    """Log odds ratio for percentage or proportion outcomes (Pustejovsky, 2015).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values, percentages (0-100) or proportions (0-1).
    improvement : {"increase", "decrease"}, default "increase"
        For "decrease" the sign is flipped.
    scale : {"percentage", "proportion"}, default "percentage"
        Any other scale gives NaN with a note (as SingleCaseES).
    intervals : float, optional
        Intervals (or items) per session; sets the truncation constant (none if absent).
    d_const : float, optional
        Truncation constant on the proportion scale's interval count, overriding
        ``intervals`` (multiplied by 100 for percentages, as ``intervals`` is).
    bias_correct : bool, default True
        Per phase ``logit(M) - (2M - 1) V / (2 n M² (1 - M)²)``.
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``measure="LOR"``: B minus A; ``SE = sqrt(Σ V / (n M² (1 - M)²))``; Wald interval.

    Raises
    ------
    AnalysisError
        Values outside 0-100 (percentage) or 0-1 (proportion).

    Notes
    -----
    Percentages are divided by 100 and ``D`` multiplied by 100. Truncation: ``M`` clipped to
    ``[1/(2Dn), 1 - 1/(2Dn)]``, ``V = max(V, 1/(D²n³))``.

    Examples
    --------
    >>> from ldn_n1.effects import lor
    >>> res = lor([20, 20, 25, 25, 20, 25], [30, 25, 25, 25, 35, 30, 25], intervals=20)
    >>> round(res.estimate, 6)
    0.285285
    """
    conf = check_confidence(confidence)
    check_improvement(improvement)
    sc = match_scale(scale)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    if sc not in ("percentage", "proportion"):
        return EffectSize(
            measure="LOR",
            estimate=NAN,
            variant=f"scale={sc}",
            confidence=conf,
            improvement=improvement,
            n_a=len(x),
            n_b=len(y),
            notes=(LOR_SCALE_NOTE,),
        )
    dc = truncation_constant(sc, None, intervals) if d_const is None else float(d_const)
    top = 100.0 if sc == "percentage" else 1.0
    both = np.concatenate((x, y))
    if np.any((both < 0) | (both > top)):
        msg = f"LOR: {sc} values must lie between 0 and {top:g}"
        raise AnalysisError(msg)
    if sc == "percentage":
        x, y, dc = x / 100, y / 100, 100 * dc
    n, mean, var = _phase_stats(x, y)
    with np.errstate(all="ignore"):
        trunc = 1 / (2 * dc * n)
        if dc > 0:
            mean = np.minimum(1 - trunc, np.maximum(trunc, mean))
            var = np.maximum(1 / (dc**2 * n**3), var)
        logit = np.log(mean) - np.log(1 - mean)
        if bias_correct:
            logit = logit - (2 * mean - 1) * var / (2 * n * mean**2 * (1 - mean) ** 2)
        est = logit[1] - logit[0]
        if improvement == "decrease":
            est = -est
        se = float(np.sqrt(r_sum(var / (n * mean**2 * (1 - mean) ** 2))))
    return make_result(
        "LOR",
        wald_parts(est, se, conf),
        conf,
        variant=f"scale={sc}; D={dc:g}; bias_correct={bool(bias_correct)}",
        improvement=improvement,
        n_a=len(x),
        n_b=len(y),
        notes=short_phase_note(len(x), len(y)),
        details=(("d_const", dc),),
    )
