"""Non-overlap effect sizes: NAP, Tau, Tau-U, PND, PEM, PAND and IRD.

Each function compares a baseline phase ``a`` with a treatment phase ``b`` (missing values
dropped) and returns an :class:`~ldn_n1.effects_base.EffectSize`. ``improvement="decrease"``
negates both phases first, exactly as SingleCaseES 0.7.4 does, so every index is oriented
with larger = better.

Validated against SingleCaseES 0.7.4 (``calc_ES``) on 56 published series: see
``tests/reference/test_reference_singlecasees.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize

from ldn_n1.effects_base import (
    NAN,
    EffectSize,
    check_confidence,
    make_result,
    oriented_phases,
    r_median,
    r_zeroin,
    z_value,
)
from ldn_n1.errors import PlanError

__all__ = ["ird", "nap", "pand", "pem", "pnd", "tau", "tau_u"]

SEMethod = Literal["unbiased", "Hanley", "null", "none"]
CIRoot = Literal["uniroot", "exact"]
_SE_METHODS = ("unbiased", "Hanley", "null", "none")


def _newcombe_ci(
    est: float, m: int, n: int, confidence: float, ci_root: str
) -> tuple[float, float]:
    """Newcombe (2006) method 5 limits for NAP, bracketed as SingleCaseES brackets them."""
    h = (m + n) / 2 - 1
    z = z_value(confidence)
    z2 = z * z
    mn = float(m * n)

    def f(x: float) -> float:
        d = est - x
        lhs = mn * (d * d) * (2 - x) * (1 + x)
        return lhs - z2 * x * (1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x))

    if ci_root == "uniroot":
        solve = r_zeroin
    elif ci_root == "exact":

        def solve(fun, lo, hi):  # type: ignore[no-untyped-def]
            if fun(hi) == 0.0:  # as uniroot: an exact root at the bracket end is returned
                return hi
            return optimize.brentq(fun, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps)

    else:
        msg = f"ci_root: got {ci_root!r}, expected 'uniroot' or 'exact'"
        raise PlanError(msg)
    lower = solve(f, 0.0, est) if est > 0 else 0.0
    upper = solve(f, est, 1.0) if est < 1 else 1.0
    return float(lower), float(upper)


def nap_parts(
    a: np.ndarray,
    b: np.ndarray,
    se_method: str,
    confidence: float,
    ci_root: str,
) -> tuple[float, float, float, float, float]:
    """NAP, its SE, Newcombe CI and truncation constant for oriented, cleaned phases."""
    if se_method not in _SE_METHODS:
        msg = f"se: got {se_method!r}, expected one of {', '.join(_SE_METHODS)}"
        raise PlanError(msg)
    m, n = len(a), len(b)
    q = (b[None, :] > a[:, None]) + 0.5 * (b[None, :] == a[:, None])
    est = float(q.sum() / (m * n))
    if se_method == "none":
        return est, NAN, NAN, NAN, NAN
    dev = q - est
    q1 = float(np.sum(dev.sum(axis=1) ** 2) / (m * n * n))
    q2 = float(np.sum(dev.sum(axis=0) ** 2) / (m * m * n))
    trunc = 0.5 / (m * n)
    est_t = min(max(est, trunc), 1 - trunc)
    with np.errstate(divide="ignore", invalid="ignore"):
        if se_method == "unbiased":
            x = float(np.sum(dev**2) / (m * n))
            num = est_t * (1 - est_t) + n * q1 + m * q2 - 2 * x
            var = np.float64(num) / np.float64((m - 1) * (n - 1))
        elif se_method == "Hanley":
            var = np.float64((est_t * (1 - est_t) + (n - 1) * q1 + (m - 1) * q2) / (m * n))
        else:
            var = np.float64((m + n + 1) / (12 * m * n))
        se = float(np.sqrt(var))
    lo, hi = _newcombe_ci(est, m, n, confidence, ci_root)
    return est, se, lo, hi, trunc


def _pairs_effect(
    measure: str,
    parts: Callable[..., tuple[float, float, float, float, float]],
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    improvement: str,
    se: str,
    confidence: float,
    ci_root: str,
) -> EffectSize:
    """NAP or Tau result from its ``*_parts`` function (shared body of :func:`nap`, :func:`tau`)."""
    conf = check_confidence(confidence)
    x, y = oriented_phases(a, b, improvement)
    est, s, lo, hi, trunc = parts(x, y, se, conf, ci_root)
    has_ci = se != "none"
    return make_result(
        measure,
        (est, s, lo, hi),
        conf if has_ci else NAN,
        variant=f"SE={se}",
        improvement=improvement,
        n_a=len(x),
        n_b=len(y),
        details=(("trunc_const", trunc),) if has_ci else (),
    )


def nap(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    se: SEMethod = "unbiased",
    confidence: float = 0.95,
    ci_root: CIRoot = "uniroot",
) -> EffectSize:
    """Non-overlap of all pairs (Parker & Vannest, 2009).

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values; missing values are dropped.
    improvement : {"increase", "decrease"}, default "increase"
        Direction of therapeutic improvement.
    se : {"unbiased", "Hanley", "null", "none"}, default "unbiased"
        Standard error: exactly unbiased (Sen 1967; Mee 1990), Hanley & McNeil (1982), the
        variance under no effect ``(m + n + 1) / (12 m n)``, or none (then no CI either).
    confidence : float, default 0.95
        Level of the Newcombe (2006, method 5) interval.
    ci_root : {"uniroot", "exact"}, default "uniroot"
        ``"uniroot"`` returns the limits R's ``uniroot`` finds at its default tolerance
        (``2**-13``; up to about 6e-5 from the exact root), as SingleCaseES reports them;
        ``"exact"`` solves the same equation to machine precision.

    Returns
    -------
    EffectSize
        ``measure="NAP"``; ``details`` holds ``trunc_const = 0.5 / (m n)``.

    Notes
    -----
    ``NAP = (1 / mn) Σ_i Σ_j (1[B_j > A_i] + 0.5 · 1[B_j = A_i])``, range [0, 1], null 0.5.
    With ``q_ij`` the pair scores, ``Q1 = Σ_i (Σ_j (q_ij - NAP))² / (m n²)``,
    ``Q2 = Σ_j (Σ_i (q_ij - NAP))² / (m² n)``, ``X = ΣΣ (q_ij - NAP)² / (mn)`` and ``Ñ`` =
    NAP clipped to ``[1/(2mn), 1 - 1/(2mn)]``, the unbiased variance is
    ``(Ñ(1-Ñ) + n Q1 + m Q2 - 2X) / ((m-1)(n-1))`` (infinite for a single baseline
    observation) and Hanley's ``(Ñ(1-Ñ) + (n-1) Q1 + (m-1) Q2) / (mn)``.
    The interval solves ``mn(NAP-θ)²(2-θ)(1+θ) = z²θ(1-θ)(2+h+(1+2h)θ(1-θ))``,
    ``h = (m+n)/2 - 1``, on ``[0, NAP]`` and ``[NAP, 1]``. At complete non-overlap the
    bracket end is itself a root, so the interval collapses to ``[1, 1]`` (``[0, 0]``), as
    in SingleCaseES.

    References
    ----------
    Parker, R. I., & Vannest, K. J. (2009). An improved effect size for single-case research:
    Nonoverlap of all pairs. *Behavior Therapy, 40*(4), 357-367.
    Newcombe, R. G. (2006). Confidence intervals for an effect size measure based on the
    Mann-Whitney statistic. Part 2. *Statistics in Medicine, 25*(4), 559-573.

    Examples
    --------
    >>> from ldn_n1.effects import nap
    >>> res = nap([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29])
    >>> round(res.estimate, 6), round(res.se, 6)
    (0.916667, 0.069007)
    """
    return _pairs_effect("NAP", nap_parts, a, b, improvement, se, confidence, ci_root)


def tau_parts(
    a: np.ndarray, b: np.ndarray, se_method: str, confidence: float, ci_root: str
) -> tuple[float, float, float, float, float]:
    """Tau = 2 NAP - 1 with SE, CI and truncation constant transformed from NAP's."""
    est, s, lo, hi, trunc = nap_parts(a, b, se_method, confidence, ci_root)
    return 2 * est - 1, 2 * s, 2 * lo - 1, 2 * hi - 1, 2 * trunc


def tau(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    se: SEMethod = "unbiased",
    confidence: float = 0.95,
    ci_root: CIRoot = "uniroot",
) -> EffectSize:
    """Tau (non-overlap), ``2 NAP - 1`` (Parker, Vannest, Davis & Sauber, 2011).

    Parameters
    ----------
    a, b, improvement, se, confidence, ci_root
        As :func:`nap`.

    Returns
    -------
    EffectSize
        ``measure="Tau"``: ``Σ_i Σ_j sign(B_j - A_i) / (mn)``, range [-1, 1], null 0; SE
        ``2 SE(NAP)``, limits ``2 CI(NAP) - 1``; ``details`` holds ``trunc_const = 1/(mn)``.

    References
    ----------
    Parker, R. I., Vannest, K. J., Davis, J. L., & Sauber, S. B. (2011). Combining
    nonoverlap and trend for single-case research: Tau-U. *Behavior Therapy, 42*(2), 284-299.

    Examples
    --------
    >>> from ldn_n1.effects import tau
    >>> round(tau([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.833333
    """
    return _pairs_effect("Tau", tau_parts, a, b, improvement, se, confidence, ci_root)


def _no_se(measure: str, est: float, variant: str, improvement: str, m: int, n: int) -> EffectSize:
    return EffectSize(
        measure=measure,
        estimate=float(est),
        variant=variant,
        improvement=improvement,
        n_a=m,
        n_b=n,
    )


def tau_u(a: npt.ArrayLike, b: npt.ArrayLike, *, improvement: str = "increase") -> EffectSize:
    """Tau-U with baseline-trend correction, as SingleCaseES computes it.

    Parameters
    ----------
    a : array_like of float
        Baseline values **in session order** (the baseline trend uses positions).
    b : array_like of float
        Treatment values.
    improvement : {"increase", "decrease"}, default "increase"

    Returns
    -------
    EffectSize
        ``measure="Tau-U"``, no SE or CI. Variant ``"A vs B - trend A, S/(mn)"``.

    Notes
    -----
    ``(Σ_i Σ_j sign(B_j - A_i) - Σ_{i<k} sign(A_k - A_i)) / (mn)``: the A-versus-B Kendall
    S minus the baseline Kendall S, divided by ``m n`` (Parker et al., 2011). This is the one
    Tau-U variant SingleCaseES computes; it can leave [-1, 1]. scan's variants (other
    denominators, tie corrections) live in :mod:`ldn_n1.overlap`.

    Examples
    --------
    >>> from ldn_n1.effects import tau_u
    >>> tau_u([3, 3, 4, 5], [4, 5, 6, 7, 7]).estimate
    0.55
    """
    x, y = oriented_phases(a, b, improvement)
    m, n = len(x), len(y)
    s_ab = int(np.sum(np.sign(y[None, :] - x[:, None])))
    iu = np.triu_indices(m, k=1)
    s_a = int(np.sum(np.sign(x[iu[1]] - x[iu[0]])))
    return _no_se("Tau-U", (s_ab - s_a) / (m * n), "A vs B - trend A, S/(mn)", improvement, m, n)


def pnd(a: npt.ArrayLike, b: npt.ArrayLike, *, improvement: str = "increase") -> EffectSize:
    """Percentage of non-overlapping data (Scruggs, Mastropieri & Casto, 1987), as a proportion.

    Parameters
    ----------
    a, b : array_like of float
    improvement : {"increase", "decrease"}, default "increase"

    Returns
    -------
    EffectSize
        ``measure="PND"``: share of B strictly above ``max(A)`` (decrease: strictly below
        ``min(A)``), range [0, 1], no SE.

    Examples
    --------
    >>> from ldn_n1.effects import pnd
    >>> round(pnd([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.714286
    """
    x, y = oriented_phases(a, b, improvement)
    est = np.count_nonzero(y > x.max()) / len(y)
    return _no_se("PND", est, "strict", improvement, len(x), len(y))


def pem(a: npt.ArrayLike, b: npt.ArrayLike, *, improvement: str = "increase") -> EffectSize:
    """Percentage of treatment data exceeding the baseline median (Ma, 2006), as a proportion.

    Parameters
    ----------
    a, b : array_like of float
    improvement : {"increase", "decrease"}, default "increase"

    Returns
    -------
    EffectSize
        ``measure="PEM"``: ``mean(1[B > median(A)] + 0.5 · 1[B = median(A)])`` (decrease:
        below the median), range [0, 1], no SE.

    Examples
    --------
    >>> from ldn_n1.effects import pem
    >>> pem([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate
    1.0
    """
    x, y = oriented_phases(a, b, improvement)
    med = r_median(x)
    est = (np.count_nonzero(y > med) + 0.5 * np.count_nonzero(y == med)) / len(y)
    return _no_se("PEM", est, "ties 0.5", improvement, len(x), len(y))


def _pand_overlaps(x: np.ndarray, y: np.ndarray) -> int:
    """Largest number of observations kept so that all kept A < all kept B."""
    m, n = len(x), len(y)
    lo = np.concatenate(([-np.inf], np.sort(x)))  # i lowest A kept: max kept A = lo[i]
    hi = np.concatenate((np.sort(y), [np.inf]))  # j highest B kept: min kept B = hi[n - j]
    i = np.arange(m + 1)[:, None]
    j = np.arange(n + 1)[None, :]
    ok = lo[:, None] < hi[None, n - j[0]]
    return int(np.max((i + j) * ok))


def pand(a: npt.ArrayLike, b: npt.ArrayLike, *, improvement: str = "increase") -> EffectSize:
    """Percentage of all non-overlapping data (Parker, Hagan-Burke & Vannest, 2007).

    Parameters
    ----------
    a, b : array_like of float
    improvement : {"increase", "decrease"}, default "increase"

    Returns
    -------
    EffectSize
        ``measure="PAND"``, as a proportion: the largest share of all ``m + n``
        observations that can be kept, dropping the highest baseline and the lowest
        treatment values, so that every kept baseline value is strictly below every kept
        treatment value (ties count as overlap). No SE.

    Examples
    --------
    >>> from ldn_n1.effects import pand
    >>> round(pand([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.846154
    """
    x, y = oriented_phases(a, b, improvement)
    m, n = len(x), len(y)
    return _no_se("PAND", _pand_overlaps(x, y) / (m + n), "ties overlap", improvement, m, n)


def ird(a: npt.ArrayLike, b: npt.ArrayLike, *, improvement: str = "increase") -> EffectSize:
    """Robust improvement rate difference (Parker, Vannest & Brown, 2009).

    Parameters
    ----------
    a, b : array_like of float
    improvement : {"increase", "decrease"}, default "increase"

    Returns
    -------
    EffectSize
        ``measure="IRD"``: ``((m + n)² · PAND - m² - n²) / (2mn)``, no SE.

    Examples
    --------
    >>> from ldn_n1.effects import ird
    >>> round(ird([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29]).estimate, 6)
    0.690476
    """
    x, y = oriented_phases(a, b, improvement)
    m, n = len(x), len(y)
    p = _pand_overlaps(x, y) / (m + n)
    est = ((m + n) ** 2 * p - m**2 - n**2) / (2 * m * n)
    return _no_se("IRD", est, "robust, from PAND", improvement, m, n)
