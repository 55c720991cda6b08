"""Gap-aware AR(1) errors on the calendar axis: the exact Prais-Winsten transform.

For a stationary AR(1) series with marginal variance ``s2`` observed on days ``t`` (gaps
allowed), the value ``k`` days after the previous observation has conditional mean
``rho^k`` times it and conditional variance ``s2 (1 - rho^(2k))``. Scaling each
quasi-difference to the innovation variance ``s2 (1 - rho^2)`` makes the transformed values
independent, so regression on the transformed design is exact generalised least squares, and
the Jacobian ``sum(log c)`` makes likelihoods comparable across ``rho``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["apply_transform", "ar1_loglike", "ar1_transform"]


def ar1_transform(t: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients of the gap-aware Prais-Winsten transform for each rho.

    Returns ``(phi, c, logjac)`` with shapes (R, n), (R, n), (R,): the transformed value of
    row i is ``c[i] * (v[i] - phi[i] * v[i-1])`` (``phi[0] = 0``), which turns a stationary
    AR(1) series with marginal variance ``s2`` on the calendar axis into independent values
    of variance ``s2 * (1 - rho^2)``; ``logjac = sum(log c)``.
    """
    rho = np.atleast_1d(np.asarray(rho, dtype=float))[:, None]
    gaps = np.diff(np.asarray(t, dtype=float))
    phi = np.zeros((rho.shape[0], len(t)))
    c = np.empty_like(phi)
    one_minus = 1.0 - rho**2
    c[:, :1] = np.sqrt(one_minus)
    if gaps.size:
        phi[:, 1:] = rho ** gaps[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = one_minus / (1.0 - phi[:, 1:] ** 2)
        ratio = np.where(rho == 0.0, 1.0, ratio)
        c[:, 1:] = np.sqrt(ratio)
    return phi, c, np.log(c).sum(axis=1)


def apply_transform(phi: np.ndarray, c: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Apply the transform to v of shape (n, m): returns (R, n, m)."""
    prev = np.concatenate([np.zeros((1, v.shape[1])), v[:-1]], axis=0)
    return c[:, :, None] * (v[None] - phi[:, :, None] * prev[None])


def ar1_loglike(
    y: np.ndarray, t: np.ndarray, mean: np.ndarray, rho: float, var_marginal: float
) -> float:
    """Exact log-likelihood of ``y`` (days ``t``) under a stationary AR(1) around ``mean``.

    Used in tests against statsmodels' state-space ``SARIMAX(order=(1, 0, 0))`` with missing
    days as NaN.
    """
    phi, c, logjac = ar1_transform(t, np.array([rho]))
    z = apply_transform(phi, c, (np.asarray(y, float) - np.asarray(mean, float))[:, None])[0, :, 0]
    innov = var_marginal * (1.0 - rho**2)
    n = len(z)
    return float(-0.5 * n * np.log(2 * np.pi * innov) - 0.5 * (z @ z) / innov + logjac[0])
