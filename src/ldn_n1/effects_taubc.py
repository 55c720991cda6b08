"""Baseline-corrected Tau (Tau-BC; Tarlow, 2017) as SingleCaseES 0.7.4 computes it.

The baseline trend is a Theil-Sen line fitted to the baseline values against their
positions ``1..m``; both phases are then replaced by their residuals from that line
(treatment positions continue at ``m+1..m+n``), and Tau is computed from the residuals.

Two numerical details of the reference are reproduced on purpose:

- With ``kendall=True`` the reference calls the R package Kendall 2.2.1, whose Fortran works
  in single precision: residuals are rounded to float32 before ties are counted, so values
  that differ only by rounding noise become ties. :func:`kendall_tau_b_float32` does the same
  in numpy float32 (a double-precision tau-b differs by up to 0.0044 on published series).
- The baseline-trend pretest (``pretest_trend``) uses that package's p-value: normal
  approximation with continuity correction in float32 (Applied Statistics algorithm AS 66);
  the Fortran never uses its exact branch, and with 3 or fewer baseline values, or a
  constant baseline, it returns p = 1.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from ldn_n1.effects_base import (
    NAN,
    EffectSize,
    check_confidence,
    check_improvement,
    clean_phase,
    r_median,
    r_var,
    wald,
)
from ldn_n1.effects_overlap import CIRoot, SEMethod, tau_parts
from ldn_n1.errors import AnalysisError, PlanError

__all__ = ["kendall_tau_b_float32", "kendall_trend_pvalue", "tau_bc", "theil_sen_baseline"]

_F = np.float32
NOT_SIGNIFICANT = (
    "The baseline trend is not statistically significant. "
    "Tau is calculated without trend correction."
)


def theil_sen_baseline(a: np.ndarray) -> tuple[float, float]:
    """Theil-Sen slope and intercept of baseline values against positions ``1..m``.

    ``slope = median_{i<j} (A_j - A_i) / (j - i)``, ``intercept = median(A_i - i · slope)``,
    medians as R computes them (mean of the two middle values).
    """
    m = len(a)
    if m < 2:
        msg = "Tau-BC needs at least 2 baseline observations to estimate the baseline trend"
        raise AnalysisError(msg)
    slopes = np.array(
        [(a[j] - a[i]) / (j - i) for i, j in itertools.combinations(range(m), 2)], dtype=float
    )
    slope = r_median(slopes)
    intercept = r_median(a - np.arange(1, m + 1) * slope)
    return slope, intercept


def _alnorm_lower(x: np.float32) -> np.float32:
    """AS 66 lower-tail normal probability in single precision, as in Kendall's Fortran."""
    ltone, utzero, con = _F(7.0), _F(18.66), _F(1.28)
    up = False
    z = x
    if z < 0:
        up = True
        z = -z
    if abs(x) >= 10:
        return _F(0.0) if x < 0 else _F(1.0)
    if z <= ltone or (up and z <= utzero):
        y = _F(0.5) * z * z
        if z > con:
            inner = z + _F(0.742380924027) + _F(30.789933034) / (z + _F(3.99019417011))
            inner = z + _F(4.8385912808) - _F(15.1508972451) / inner
            inner = z - _F(0.151679116635) + _F(5.29330324926) / inner
            inner = z + _F(3.98064794e-4) + _F(1.98615381364) / inner
            inner = z - _F(3.8052e-8) + _F(1.00000615302) / inner
            p = _F(0.398942280385) * np.exp(-y) / inner
        else:
            inner = y + _F(2.62433121679) + _F(48.6959930692) / (y + _F(5.92885724438))
            inner = y + _F(5.75885480458) - _F(29.8213557808) / inner
            p = _F(0.5) - z * (_F(0.398942280444) - _F(0.399903438504) * y / inner)
    else:
        p = _F(0.0)
    return p if up else _F(1.0) - p


def _tie_sums(v: np.ndarray) -> tuple[np.float32, np.float32, np.float32]:
    _, counts = np.unique(v, return_counts=True)
    t = counts.astype(np.float32)
    return (
        _F(np.sum(t * (t - 1))),
        _F(np.sum(t * (t - 1) * (2 * t + 5))),
        _F(np.sum(t * (t - 1) * (t - 2))),
    )


def _tauk2(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Kendall 2.2.1 ``tauk2``: tau-b and two-sided p-value, float32 throughout."""
    xs = np.asarray(x, dtype=np.float32)
    ys = np.asarray(y, dtype=np.float32)
    n = len(xs)
    if n < 2 or np.all(xs == xs[0]) or np.all(ys == ys[0]):
        return 1.0, 1.0  # the Fortran's initial values (error exit)
    s = _F(np.sum(np.sign(xs[None, :] - xs[:, None]) * np.sign(ys[None, :] - ys[:, None])) / 2)
    cn = _F(n) * _F(n - 1)
    dn = _F(0.5) * cn
    sumt, suma1, suma2 = _tie_sums(xs)
    sumu, sumb1, sumb2 = _tie_sums(ys)
    d1 = np.sqrt(dn - _F(0.5) * sumt)
    d2 = np.sqrt(dn - _F(0.5) * sumu)
    if d1 <= 0 or d2 <= 0:
        return 1.0, 1.0
    tau = s / (d1 * d2)
    if n <= 3:
        return float(tau), 1.0
    with np.errstate(all="ignore"):
        vars1 = (cn * _F(2 * n + 5) - suma1 - sumb1) / _F(18.0)
        vars2 = suma2 * sumb2 / (_F(9.0) * cn * _F(n - 2))
        vars3 = sumt * sumu / (cn + cn)
        sds = np.sqrt(vars1 + vars2 + vars3)
    scor = s - _F(1.0) if s > 0 else (s + _F(1.0) if s < 0 else _F(0.0))
    prob = _alnorm_lower(scor / sds)
    sl = _F(2.0) * prob if prob < 0.5 else _F(2.0) * (_F(1.0) - prob)
    return float(tau), float(sl)


def kendall_tau_b_float32(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Kendall's tau-b as R's ``Kendall::Kendall(x, y)$tau`` returns it (float32 arithmetic).

    Returns 1.0 when ``x`` or ``y`` is constant in float32 (the Fortran's error exit).
    """
    return _tauk2(x, y)[0]


def kendall_trend_pvalue(a: npt.ArrayLike) -> float:
    """Two-sided p-value of the baseline trend, ``Kendall::Kendall(a, 1:m)$sl``.

    Normal approximation with continuity correction, ``z = (S - sign(S)) / sqrt(var S)``,
    ``var S = [m(m-1)(2m+5) - Σ t(t-1)(2t+5)] / 18``, in float32; 1 for ``m <= 3`` or a
    constant baseline.

    Raises
    ------
    AnalysisError
        For fewer than 3 baseline values (R: ``length(x)<3``).
    """
    arr = np.asarray(a, dtype=float)
    if len(arr) < 3:
        msg = "the baseline trend test needs at least 3 baseline observations"
        raise AnalysisError(msg)
    return _tauk2(arr, np.arange(1, len(arr) + 1))[1]


def tau_bc(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    se: SEMethod = "unbiased",
    confidence: float = 0.95,
    kendall: bool = False,
    pretest_trend: float | None = None,
    ci_root: CIRoot = "uniroot",
) -> EffectSize:
    """Baseline-corrected Tau (Tarlow, 2017), as SingleCaseES's ``Tau_BC``.

    Parameters
    ----------
    a : array_like of float
        Baseline values **in session order**; at least 2 (3 with ``pretest_trend``).
    b : array_like of float
        Treatment values in session order.
    improvement : {"increase", "decrease"}, default "increase"
    se : {"unbiased", "Hanley", "null", "none"}, default "unbiased"
        SE of Tau computed from the residuals (``kendall=False`` only); it ignores the
        uncertainty of the trend estimate.
    confidence : float, default 0.95
    kendall : bool, default False
        False: Tau (non-overlap) of the residuals, with Newcombe CI as :func:`tau`.
        True: Kendall's tau-b between the residuals and the 0/1 phase dummy (Tarlow's
        version, float32 as the Kendall package), SE ``sqrt(2(1 - τ²)/(m+n))``, Wald CI
        (which can leave [-1, 1]).
    pretest_trend : float or None, default None
        Significance level of a Kendall test of the baseline trend; the data are corrected
        only when ``p <= pretest_trend`` (otherwise plain Tau of the raw data and a note).
        None corrects always.
    ci_root : {"uniroot", "exact"}, default "uniroot"
        As :func:`~ldn_n1.effects.nap`.

    Returns
    -------
    EffectSize
        ``measure="Tau-BC"``; ``details`` hold ``slope``, ``intercept`` (raw-scale
        Theil-Sen line), ``pval_slope_a`` (with ``pretest_trend``) and ``trunc_const``
        (``kendall=False``).

    Raises
    ------
    AnalysisError
        Fewer than 2 baseline values (3 with ``pretest_trend``).

    References
    ----------
    Tarlow, K. R. (2017). An improved rank correlation effect size statistic for single-case
    designs: Baseline corrected Tau. *Behavior Modification, 41*(4), 427-467.

    Examples
    --------
    >>> from ldn_n1.effects import tau_bc
    >>> tau_bc([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).estimate
    0.0
    """
    conf = check_confidence(confidence)
    check_improvement(improvement)
    if pretest_trend is False:
        pretest_trend = None
    if pretest_trend is not None and not 0 < float(pretest_trend) < 1:
        msg = f"pretest_trend: got {pretest_trend!r}, expected None or a level between 0 and 1"
        raise PlanError(msg)
    x, y = clean_phase(a, "A"), clean_phase(b, "B")
    m, n = len(x), len(y)
    notes: list[str] = []
    details: list[tuple[str, float]] = []
    adjust = True
    pval = NAN
    if pretest_trend is not None:
        pval = kendall_trend_pvalue(x)
        if pval > pretest_trend:
            adjust = False
            notes.append(NOT_SIGNIFICANT)
    slope, intercept = theil_sen_baseline(x)
    if adjust:
        x = x - intercept - slope * np.arange(1, m + 1)
        y = y - intercept - slope * np.arange(m + 1, m + n + 1)
    if improvement == "decrease":
        x, y = -x, -y
    if kendall:
        both = np.concatenate((x, y))
        tau_est = 0.0 if r_var(both) == 0 else kendall_tau_b_float32(both, [0] * m + [1] * n)
        with np.errstate(invalid="ignore"):  # float32 tau can exceed 1: NaN SE, as in R
            s = float(np.sqrt(np.float64((2 / (m + n)) * (1 - tau_est**2))))
        lo, hi = wald(tau_est, s, conf)
        variant = f"Kendall=True; pretest_trend={pretest_trend}"
    else:
        tau_est, s, lo, hi, trunc = tau_parts(x, y, se, conf, ci_root)
        variant = f"Kendall=False; pretest_trend={pretest_trend}; SE={se}"
        if se != "none":
            details.append(("trunc_const", trunc))
    details += [("slope", slope), ("intercept", intercept)]
    if pretest_trend is not None:
        details.append(("pval_slope_a", pval))
    has_ci = kendall or se != "none"
    return EffectSize(
        measure="Tau-BC",
        estimate=tau_est,
        se=s,
        ci_low=lo,
        ci_high=hi,
        variant=variant,
        confidence=conf if has_ci else NAN,
        improvement=improvement,
        n_a=m,
        n_b=n,
        notes=tuple(notes),
        details=tuple(details),
    )
