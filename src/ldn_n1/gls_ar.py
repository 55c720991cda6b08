"""Generalised least squares with autoregressive errors, fitted by exact (restricted) likelihood.

Two error structures are supported:

- **AR(p) on positions** (``times=None``): the errors of consecutive rows follow a stationary
  AR(p) process, correlation matrix ``R[i, j] = rho(|i - j|)`` -- what ``nlme::gls(correlation =
  corARMA(p = p))`` fits (the rows used, in order; gaps in time are ignored).
- **AR(1) in continuous time** (``times`` given, ``p = 1``): ``R[i, j] = phi ** |t_i - t_j|``,
  so a gap of ``d`` days between two recorded days weakens their correlation to ``phi ** d`` --
  ``nlme::gls(correlation = corAR1(form = ~ day))``. Whitened exactly in O(n) (a gap-aware
  Prais-Winsten transform).

For a given autocorrelation the regression coefficients are the GLS estimate and the error
variance is profiled out; the autocorrelation is found by maximising the profile likelihood
(partial autocorrelations on the ``atanh`` scale, as nlme parametrises them). ``method="ML"``
maximises the likelihood, ``"REML"`` the restricted likelihood.

The standard errors are nlme's: ``sigma^2 (X' R^-1 X)^-1`` with ``sigma^2 = RSS_w / (n - k)``
(``summary.gls`` rescales the ML variance by ``n / (n - k)``), and the reported ``sigma`` is
nlme's ``sqrt(RSS_w / n)`` for ML, ``sqrt(RSS_w / (n - k))`` for REML. Validated against nlme
3.1-162 through scan 0.67.1's ``plm(AR = 1, 2)`` (``tests/reference/test_reference_scan_plm.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from statsmodels.tsa.arima_process import arma_acf

from ldn_n1.errors import AnalysisError

__all__ = ["GlsArFit", "ar_from_pacf", "fit_gls_ar"]

_MAX_PACF = 0.9999


def ar_from_pacf(pacf: np.ndarray) -> np.ndarray:
    """AR coefficients from partial autocorrelations (Durbin-Levinson recursion)."""
    ar = np.zeros(0)
    for a in np.asarray(pacf, dtype=float):
        ar = np.concatenate([ar - a * ar[::-1], [a]])
    return ar


@dataclass(frozen=True, eq=False)
class GlsArFit:
    """Result of :func:`fit_gls_ar`.

    Attributes
    ----------
    params : ndarray, shape (k,)
        GLS coefficients.
    cov_params : ndarray, shape (k, k)
        Their covariance, ``sigma_se^2 (X' R^-1 X)^-1`` with ``sigma_se^2 = RSS_w / (n - k)``.
    ar : ndarray, shape (p,)
        AR coefficients (``phi`` for AR(1)).
    sigma : float
        Marginal standard deviation of the errors as nlme reports it (``R`` is a correlation
        matrix; ML: ``sqrt(RSS_w / n)``, REML: ``sqrt(RSS_w / (n - k))``).
    loglik : float
        Maximised log-likelihood (ML) or restricted log-likelihood (REML), nlme's constants.
    resid : ndarray, shape (n,)
        Response residuals ``y - X b`` (not whitened).
    whitened_resid : ndarray, shape (n,)
        Residuals after whitening (independent, variance ``sigma^2``; for diagnostics).
    method : str
        ``"ML"`` or ``"REML"``.
    """

    params: np.ndarray
    cov_params: np.ndarray
    ar: np.ndarray
    sigma: float
    loglik: float
    resid: np.ndarray
    whitened_resid: np.ndarray
    method: str

    @property
    def bse(self) -> np.ndarray:
        """Standard errors of the coefficients."""
        return np.sqrt(np.diag(self.cov_params))


def _whitener_positions(ar: np.ndarray, n: int):
    """Exact AR(p) whitening of consecutive rows: the first p by the Cholesky factor of their
    stationary correlation matrix, the rest by ``(e_t - sum_j ar_j e_{t-j}) / sqrt(v)`` with
    ``v = 1 - sum_j ar_j rho_j`` (innovation variance relative to the marginal one)."""
    p = ar.size
    rho = arma_acf(np.r_[1.0, -ar], [1.0], lags=p + 1)
    chol = np.linalg.cholesky(linalg.toeplitz(rho[:p]))
    v = 1.0 - float(ar @ rho[1 : p + 1])
    logdet = 2.0 * float(np.sum(np.log(np.diag(chol)))) + (n - p) * np.log(v)

    def whiten(a: np.ndarray) -> np.ndarray:
        out = np.empty_like(a, dtype=float)
        out[:p] = linalg.solve_triangular(chol, a[:p], lower=True)
        lead = a[p:].copy()
        for j in range(1, p + 1):
            lead -= ar[j - 1] * a[p - j : a.shape[0] - j]
        out[p:] = lead / np.sqrt(v)
        return out

    return whiten, logdet


def _whitener_times(phi: float, times: np.ndarray):
    gaps = np.diff(times)
    phid = phi**gaps
    scale = np.sqrt(1.0 - phid**2)
    logdet = float(np.sum(np.log1p(-(phid**2))))

    def whiten(a: np.ndarray) -> np.ndarray:
        out = np.empty_like(a, dtype=float)
        out[0] = a[0]
        lead = a[1:] - (phid[:, None] * a[:-1] if a.ndim == 2 else phid * a[:-1])
        out[1:] = lead / (scale[:, None] if a.ndim == 2 else scale)
        return out

    return whiten, logdet


def _profile(ar: np.ndarray, y, x, times, reml: bool):
    n, k = x.shape
    if times is None:
        whiten, logdet = _whitener_positions(ar, n)
    else:
        whiten, logdet = _whitener_times(float(ar[0]), times)
    xw = whiten(x)
    yw = whiten(y)
    q, r = np.linalg.qr(xw)
    beta = linalg.solve_triangular(r, q.T @ yw)
    rw = yw - xw @ beta
    rss = float(rw @ rw)
    m = n - k if reml else n
    loglik = -0.5 * m * (np.log(2.0 * np.pi * rss / m) + 1.0) - 0.5 * logdet
    if reml:
        loglik -= float(np.sum(np.log(np.abs(np.diag(r)))))
    return loglik, beta, rss, r, rw


def fit_gls_ar(
    y: np.ndarray,
    x: np.ndarray,
    p: int = 1,
    *,
    times: np.ndarray | None = None,
    method: str = "ML",
) -> GlsArFit:
    """Fit ``y = X b + e`` with AR(p) errors by exact maximum (restricted) likelihood.

    Parameters
    ----------
    y : array, shape (n,)
        Response, no NaN.
    x : array, shape (n, k)
        Design matrix of full column rank.
    p : int, default 1
        Autoregressive order (>= 1). With ``times``, only ``p = 1``.
    times : array, shape (n,), optional
        Strictly increasing observation times (e.g. calendar day numbers); the AR(1)
        correlation of two rows is ``phi ** (t_j - t_i)``. Default: consecutive positions.
    method : {"ML", "REML"}
        Likelihood maximised over the autocorrelation.

    Returns
    -------
    GlsArFit

    Raises
    ------
    AnalysisError
        Too few rows, or ``times`` not strictly increasing.

    Notes
    -----
    The partial autocorrelations are optimised on the ``atanh`` scale (bounded to
    ``|pacf| <= 0.9999``); AR(1) uses a bounded scalar search, higher orders Nelder-Mead from
    zero (tolerance 1e-9 on the parameters).
    Reproduces ``nlme::gls(..., correlation = corARMA(p = p), method = "ML")`` to the
    precision of nlme's optimiser (about 1e-6 relative).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n, k = x.shape
    if method not in ("ML", "REML"):
        msg = f"method must be 'ML' or 'REML', got {method!r}"
        raise AnalysisError(msg)
    if n <= k + p:
        msg = f"{n} observations are too few for {k} coefficients and AR({p}) errors"
        raise AnalysisError(msg)
    if times is not None:
        times = np.asarray(times, dtype=float)
        if p != 1:
            msg = "irregular times are supported for AR(1) errors only"
            raise AnalysisError(msg)
        if np.any(np.diff(times) <= 0):
            msg = "times must be strictly increasing"
            raise AnalysisError(msg)
    reml = method == "REML"

    def negll(u: np.ndarray) -> float:
        return -_profile(ar_from_pacf(np.tanh(u)), y, x, times, reml)[0]

    bound = float(np.arctanh(_MAX_PACF))
    if p == 1:
        res = optimize.minimize_scalar(
            lambda u: negll(np.array([u])),
            bounds=(-bound, bound),
            method="bounded",
            options={"xatol": 1e-10},
        )
        u_hat = np.array([res.x])
    else:
        res = optimize.minimize(
            negll,
            np.zeros(p),
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 2000 * p},
        )
        u_hat = np.clip(res.x, -bound, bound)
    ar = ar_from_pacf(np.tanh(u_hat))
    loglik, beta, rss, r, rw = _profile(ar, y, x, times, reml)
    rinv = linalg.solve_triangular(r, np.eye(k))
    cov = rinv @ rinv.T * (rss / (n - k))
    sigma = np.sqrt(rss / (n - k if reml else n))
    return GlsArFit(
        params=beta,
        cov_params=cov,
        ar=ar,
        sigma=float(sigma),
        loglik=float(loglik),
        resid=y - x @ beta,
        whitened_resid=rw,
        method=method,
    )
