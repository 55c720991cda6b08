"""Parametric effect sizes on the outcome's own scale: SMD, LRM and PoGO.

Each compares a baseline phase ``a`` with a treatment phase ``b`` (missing values dropped)
with Wald intervals ``estimate ± z · SE``, as SingleCaseES 0.7.4. Degenerate data give the
reference's IEEE results rather than errors (a zero baseline SD gives an infinite or NaN SMD;
a zero median gives an infinite LRM), with a note in :attr:`EffectSize.notes`.

Validated against SingleCaseES 0.7.4 on 56 published series
(``tests/reference/test_reference_singlecasees.py``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from ldn_n1.effects_base import (
    EffectSize,
    check_confidence,
    check_improvement,
    clean_phase,
    make_result,
    r_mean,
    r_median,
    r_sum,
    r_var,
    short_phase_note,
    wald_parts,
)
from ldn_n1.errors import PlanError

__all__ = ["lrm", "pogo", "smd"]

NO_VARIATION = (
    "There is no variation in the outcome! The SMD is not an appropriate ES for these data."
)


def smd(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    std_dev: Literal["baseline", "pool"] = "baseline",
    bias_correct: bool = True,
    confidence: float = 0.95,
) -> EffectSize:
    """Within-case standardised mean difference (Hedges' g by default).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values; missing values are dropped.
    improvement : {"increase", "decrease"}, default "increase"
        For "decrease" the sign is flipped so that positive means improvement.
    std_dev : {"baseline", "pool"}, default "baseline"
        Denominator: baseline SD (``df = m - 1``) or SD pooled over both phases
        (``df = m + n - 2``).
    bias_correct : bool, default True
        Multiply by Hedges' ``J = 1 - 3 / (4 df - 1)``.
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``measure="SMD"``; ``details`` holds ``baseline_sd`` or ``pooled_sd``.

    Notes
    -----
    ``d = J (ȳ_B - ȳ_A) / s``. SE: baseline ``J sqrt(1/m + s_B² / (n s_A²) + d² / (2 df))``,
    pooled ``J sqrt(1/m + 1/n + d² / (2 df))``, with ``d`` the corrected estimate. With
    ``m = 2`` and bias correction ``J = 0`` (estimate and SE 0); with one baseline value the
    baseline SD is undefined (NaN); a zero SD gives ±inf or NaN, with a note.

    Examples
    --------
    >>> from ldn_n1.effects import smd
    >>> round(smd([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    1.649932
    """
    conf = check_confidence(confidence)
    check_improvement(improvement)
    if std_dev not in ("baseline", "pool"):
        msg = f"std_dev: got {std_dev!r}, expected 'baseline' or 'pool'"
        raise PlanError(msg)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    m, n = len(x), len(y)
    va, vb = r_var(x), r_var(y)
    notes = list(short_phase_note(m, n))
    f = np.float64
    with np.errstate(all="ignore"):
        if std_dev == "baseline":
            df = m - 1
            s_sq = f(va)
            sv1 = f(1.0) / m + f(vb) / (f(n) * f(va))
        else:
            df = (m - 1) + (n - 1)
            # R: sum((n - 1) * V, na.rm = TRUE) / df -- a 1-observation phase adds nothing
            parts = [(k - 1) * v for k, v in ((m, va), (n, vb)) if not math.isnan((k - 1) * v)]
            s_sq = f(r_sum(parts)) / f(df)
            sv1 = f(1.0) / m + f(1.0) / n
        j = 1 - 3 / (4 * df - 1) if bias_correct else 1.0
        if np.isnan(s_sq) or s_sq == 0:
            notes.append(NO_VARIATION)
        d = f(j) * (f(r_mean(y)) - f(r_mean(x))) / np.sqrt(s_sq)
        if improvement == "decrease":
            d = -d
        se = f(j) * np.sqrt(sv1 + d * d / (f(2.0) * df))
    sd_name = "baseline_sd" if std_dev == "baseline" else "pooled_sd"
    return make_result(
        "SMD",
        wald_parts(d, se, conf),
        conf,
        variant=f"std_dev={std_dev}; bias_correct={bool(bias_correct)}",
        improvement=improvement,
        n_a=m,
        n_b=n,
        notes=tuple(notes),
        details=((sd_name, float(np.sqrt(s_sq))),),
    )


def _lrm_phase(v: np.ndarray, delta_method: bool) -> tuple[float, float]:
    """Log median and its variance (Bonett & Price, 2020) for one phase."""
    k = len(v)
    med = r_median(v)
    o1 = max(round(k / 2 - math.sqrt(k)), 1)  # R's round(): half to even, like Python's
    o2 = k - o1 + 1
    p = stats.binom.cdf(o1 - 1, k, 0.5)
    z0 = float(special.ndtri(1.0 - p))
    ys = np.sort(v)
    low, high = ys[o1 - 1], ys[o2 - 1]
    f = np.float64
    with np.errstate(all="ignore"):
        if delta_method:
            var = ((f(high) - f(low)) / (f(2.0) * z0)) ** 2 / f(med) ** 2
        else:
            var = ((np.log(f(high)) - np.log(f(low))) / (f(2.0) * z0)) ** 2
        return float(np.log(f(med))), float(var)


def lrm(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    delta_method: bool = False,
    confidence: float = 0.95,
) -> EffectSize:
    """Log ratio of medians, ``ln median(B) - ln median(A)`` (Bonett & Price, 2020).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values (a ratio scale; no truncation is applied).
    improvement : {"increase", "decrease"}, default "increase"
        For "decrease" the sign is flipped.
    delta_method : bool, default False
        Variance of a log median from the order-statistic interval of the logs (False) or
        by the delta method from that of the raw values (True).
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``measure="LRM"``.

    Notes
    -----
    Per phase of size ``k``: ``o1 = max(round(k/2 - sqrt(k)), 1)``, ``o2 = k - o1 + 1``,
    ``z0 = Φ⁻¹(1 - P(Bin(k, 1/2) <= o1 - 1))``, ``var = ((ln y_(o2) - ln y_(o1)) / (2 z0))²``
    (delta method: ``((y_(o2) - y_(o1)) / (2 z0))² / median²``); ``SE = sqrt(var_A + var_B)``.
    A zero median or order statistic gives infinite estimates and infinite or NaN SEs; a
    one-observation phase gives a NaN SE (``z0 = 0``).

    Examples
    --------
    >>> from ldn_n1.effects import lrm
    >>> round(lrm([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.218689
    """
    conf = check_confidence(confidence)
    check_improvement(improvement)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    lm_a, v_a = _lrm_phase(x, delta_method)
    lm_b, v_b = _lrm_phase(y, delta_method)
    with np.errstate(all="ignore"):
        est = np.float64(lm_b) - np.float64(lm_a)
        if improvement == "decrease":
            est = -est
        se = float(np.sqrt(np.float64(v_a) + np.float64(v_b)))
    notes = ("This phase contains less than 2 observations.",) if min(len(x), len(y)) < 2 else ()
    return make_result(
        "LRM",
        wald_parts(est, se, conf),
        conf,
        variant=f"delta_method={bool(delta_method)}",
        improvement=improvement,
        n_a=len(x),
        n_b=len(y),
        notes=notes,
    )


def pogo(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    goal: float,
    confidence: float = 0.95,
) -> EffectSize:
    """Percent of goal obtained (Ferron et al., 2020).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values.
    goal : float
        The goal level of the outcome; it sets the direction (no ``improvement`` argument).
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``measure="PoGO"``: ``100 (ȳ_B - ȳ_A) / (goal - ȳ_A)``; 100 means the goal was
        reached on average.

    Notes
    -----
    SE (Patrona et al., 2022; Dunlap & Silver, 1986):
    ``100 sqrt(s_A²/m + s_B²/n + (PoGO/100)² s_A²/m) / |goal - ȳ_A|``; NaN when a phase has
    one observation.

    Examples
    --------
    >>> from ldn_n1.effects import pogo
    >>> round(pogo([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29], goal=30).estimate, 4)
    66.8831
    """
    conf = check_confidence(confidence)
    goal_f = float(goal)
    if not math.isfinite(goal_f):
        msg = f"goal: got {goal!r}, expected a finite number"
        raise PlanError(msg)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    m, n = len(x), len(y)
    f = np.float64
    alpha, beta = f(r_mean(x)), f(r_mean(y))
    va, vb = f(r_var(x)), f(r_var(y))
    with np.errstate(all="ignore"):
        est = f(100.0) * (beta - alpha) / (f(goal_f) - alpha)
        var = (va / m + vb / n + (est / 100) ** 2 * va / m) / (f(goal_f) - alpha) ** 2
        se = f(100.0) * np.sqrt(var)
    return make_result(
        "PoGO",
        wald_parts(est, se, conf),
        conf,
        variant=f"goal={goal_f:g}",
        improvement=None,
        n_a=m,
        n_b=n,
        notes=short_phase_note(m, n),
    )
