"""Small statistical tests computed exactly as R computes them, for the scan ports.

scan's overlap functions report the results of R's ``wilcox.test``, ``binom.test``,
``chisq.test`` and ``fisher.test``. The numbers here follow R 4.2's definitions, including
the parts that a generic library does differently:

- :func:`fisher_exact_2x2`: the odds ratio is R's *conditional* maximum-likelihood
  estimate, found by ``uniroot`` (Brent's zeroin, tolerance ``eps^0.25``); the root finder
  is R's, ported step for step (:func:`ldn_n1.effects_base.r_zeroin`), so the estimate
  equals R's to rounding, not just to the root finder's tolerance. The two-sided p sums the probabilities not above
  the observed one (relative tolerance 1e-7), as R does.
- :func:`wilcox_normal`: the normal approximation with continuity correction and tie
  correction (``exact = FALSE``).
- :func:`r_lm_line`: the coefficients of ``lm(y ~ x)`` computed as R computes them
  (LINPACK Householder QR ``dqrdc2`` + ``dqrsl`` with reference-BLAS ``ddot``), so that a
  B value lying *exactly* on the extended A line falls on the same side as in R (scan's PET
  counts strict exceedances; e.g. Parker et al. 2011's example has such a point).

Validated through the scan reference tests (``tests/reference/test_reference_scan_overlap.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from ldn_n1.effects_base import r_zeroin

__all__ = [
    "FisherResult",
    "binom_greater_p",
    "chisq_equal_p",
    "fisher_exact_2x2",
    "r_lm_line",
    "wilcox_normal",
]

_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test on a 2x2 table, as R's ``fisher.test`` reports it.

    Attributes
    ----------
    odds_ratio : float
        Conditional maximum-likelihood estimate (0 or inf at the edges of the support).
    p : float
        Two-sided p value.
    """

    odds_ratio: float
    p: float


def fisher_exact_2x2(table: npt.ArrayLike) -> FisherResult:
    """Fisher's exact test of a 2x2 count table with R's conditional MLE odds ratio.

    Parameters
    ----------
    table : array_like, shape (2, 2)
        Counts ``[[x11, x12], [x21, x22]]``.

    Returns
    -------
    FisherResult

    Notes
    -----
    With ``m`` and ``n`` the column totals and ``k`` the first row total, ``x11`` follows
    a (noncentral) hypergeometric law on ``max(0, k-n)..min(k, m)``. The estimate solves
    E[x11; psi] = x11 with ``uniroot`` on ``(0, 1)`` (for psi or 1/psi), ported exactly by
    :func:`ldn_n1.effects_base.r_zeroin`.

    Examples
    --------
    >>> r = fisher_exact_2x2([[11, 2], [2, 13]])
    >>> round(r.odds_ratio, 3), round(r.p, 6)
    (29.007, 0.000385)
    """
    x = np.asarray(table, dtype=float)
    m, n, k = x[:, 0].sum(), x[:, 1].sum(), x[0, :].sum()
    x11 = x[0, 0]
    lo, hi = max(0.0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)

    def dnhyper(ncp: float) -> npt.NDArray[np.float64]:
        d = logdc + np.log(ncp) * support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mnhyper(ncp: float) -> float:
        if ncp == 0:
            return lo
        if np.isinf(ncp):
            return hi
        return float(np.sum(support * dnhyper(ncp)))

    if x11 == lo:
        odds = 0.0
    elif x11 == hi:
        odds = np.inf
    else:
        mu = mnhyper(1.0)
        if mu > x11:
            odds = r_zeroin(lambda t: mnhyper(t) - x11, 0.0, 1.0)
        elif mu < x11:
            odds = 1.0 / r_zeroin(lambda t: mnhyper(1.0 / t) - x11, _EPS, 1.0)
        else:
            odds = 1.0
    d = dnhyper(1.0)
    p = float(np.sum(d[d <= d[int(x11 - lo)] * (1 + 1e-7)]))
    return FisherResult(odds_ratio=float(odds), p=min(1.0, p))


def binom_greater_p(successes: float, trials: float) -> float:
    """One-sided p of R's ``binom.test(x, n, p = 0.5, alternative = "greater")``."""
    return float(stats.binom.sf(successes - 1, trials, 0.5))


def chisq_equal_p(k: float, n: float) -> tuple[float, float, float]:
    """R's ``chisq.test(c(k, n - k), p = c(0.5, 0.5))``: (X-squared, df, p)."""
    expected = n / 2
    x2 = ((k - expected) ** 2 + (n - k - expected) ** 2) / expected
    return float(x2), 1.0, float(special.chdtrc(1, x2))


def wilcox_normal(x: npt.ArrayLike, y: npt.ArrayLike, alternative: str) -> tuple[float, float]:
    """R's ``wilcox.test(x, y, alternative, exact = FALSE, correct = TRUE)``: (W, p).

    Parameters
    ----------
    x, y : array_like
        The two samples (no missing values).
    alternative : {"less", "greater", "two.sided"}
        As in R.

    Returns
    -------
    (float, float)
        ``W`` = rank sum of ``x`` minus ``n_x (n_x + 1) / 2``, and the p value of the normal
        approximation with tie-corrected variance and continuity correction 0.5.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    nx, ny = xa.size, ya.size
    r = stats.rankdata(np.concatenate([xa, ya]))
    w = float(r[:nx].sum() - nx * (nx + 1) / 2)
    _, ties = np.unique(r, return_counts=True)
    nn = nx + ny
    sigma = np.sqrt(nx * ny / 12 * ((nn + 1) - np.sum(ties**3 - ties) / (nn * (nn - 1))))
    z = w - nx * ny / 2
    if alternative == "two.sided":
        correction = np.sign(z) * 0.5
    elif alternative == "greater":
        correction = 0.5
    else:
        correction = -0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (z - correction) / sigma
    if alternative == "less":
        p = stats.norm.cdf(z)
    elif alternative == "greater":
        p = stats.norm.sf(z)
    else:
        p = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return w, float(p)


def _ddot(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Reference-BLAS ddot: the remainder of n / 5 first, then blocks of five."""
    n = x.size
    m = n % 5
    total = 0.0
    for i in range(m):
        total = total + x[i] * y[i]
    for i in range(m, n, 5):
        total = (
            total + x[i] * y[i] + x[i + 1] * y[i + 1] + x[i + 2] * y[i + 2]
            + x[i + 3] * y[i + 3] + x[i + 4] * y[i + 4]
        )  # fmt: skip
    return float(total)


def _dnrm2(x: npt.NDArray[np.float64]) -> float:
    """Reference-BLAS (pre-3.10) scaled Euclidean norm."""
    scale, ssq = 0.0, 1.0
    for v in x:
        if v != 0:
            a = abs(float(v))
            if scale < a:
                ssq = 1.0 + ssq * (scale / a) ** 2
                scale = a
            else:
                ssq = ssq + (a / scale) ** 2
    return scale * float(np.sqrt(ssq))


def r_lm_line(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Intercept and slope of R's ``lm(y ~ x)``, with R's floating-point steps.

    The design ``[1, x]`` is reduced by LINPACK's Householder QR (R's ``dqrdc2``, without
    pivoting, which a two-column design of distinct x never needs), ``Q'y`` is formed as
    in ``dqrsl`` and the triangular system is solved backwards. Mathematically this is
    ordinary least squares; the point of the port is that the rounding matches R, which
    decides strict comparisons of values that lie on the line in exact arithmetic.

    Parameters
    ----------
    x, y : array_like
        Predictor and response, no missing values, at least two distinct x.

    Returns
    -------
    (float, float)
        ``(intercept, slope)``.

    Examples
    --------
    >>> r_lm_line([1, 2, 3, 4], [3, 5, 7, 9.5])
    (0.75, 2.15)
    """
    xx = np.column_stack([np.ones(np.size(x)), np.asarray(x, dtype=float)])
    qty = np.asarray(y, dtype=float).copy()
    n, p = xx.shape
    qraux = np.array([_dnrm2(xx[:, j]) for j in range(p)])
    for col in range(min(n - 1, p)):
        nrmxl = _dnrm2(xx[col:, col])
        if nrmxl == 0:
            continue
        if xx[col, col] != 0:
            nrmxl = float(np.copysign(nrmxl, xx[col, col]))
        xx[col:, col] = xx[col:, col] * (1.0 / nrmxl)
        xx[col, col] = 1.0 + xx[col, col]
        for j in range(col + 1, p):
            t = -_ddot(xx[col:, col], xx[col:, j]) / xx[col, col]
            xx[col:, j] = xx[col:, j] + t * xx[col:, col]
            if qraux[j] != 0:
                tt = max(1.0 - (abs(xx[col, j]) / qraux[j]) ** 2, 0.0)
                if abs(tt) < 1e-6:
                    qraux[j] = _dnrm2(xx[col + 1 :, j])
                else:
                    qraux[j] = qraux[j] * np.sqrt(tt)
        qraux[col] = xx[col, col]
        xx[col, col] = -nrmxl
    for j in range(min(p, n - 1)):
        if qraux[j] != 0:
            diag = xx[j, j]
            xx[j, j] = qraux[j]
            t = -_ddot(xx[j:, j], qty[j:]) / xx[j, j]
            qty[j:] = qty[j:] + t * xx[j:, j]
            xx[j, j] = diag
    coef = qty[:p].copy()
    for j in range(p - 1, -1, -1):
        coef[j] = coef[j] / xx[j, j]
        if j > 0:
            coef[:j] = coef[:j] + (-coef[j]) * xx[:j, j]
    return float(coef[0]), float(coef[1])
