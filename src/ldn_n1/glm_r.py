"""Poisson and binomial GLMs as R's ``glm.fit`` computes them, and MASS profile-likelihood CIs.

**Fit.** :func:`r_glm_fit` is R's IRLS (``stats::glm.fit``): R's starting values (Poisson
``mu = y + 0.1``; binomial with prior weights ``m``: ``mu = (m y + 0.5) / (m + 1)``), R's
convergence rule ``|dev - dev_old| / (|dev| + 0.1) < 1e-8``, and -- the detail that matters for
reproducing R's standard errors to more than six digits -- the covariance taken from the
QR decomposition of the *last* weighted least-squares step, i.e. with the working weights of
the iterate before the final one (``summary.glm`` does this).

**Profile CIs.** R (4.2, MASS 7.3) gives ``confint(glm_fit)`` by profiling the deviance on a
coarse grid and interpolating: for each coefficient ``b_i``,

1. ``zmax = sqrt(qchisq(1 - alpha, 1))`` with ``alpha = (1 - level) / 4``; step ``del = zmax / 5``.
2. Walking down and up from the estimate in steps of ``del * se_i`` (at most 9 per side, until
   ``|z| >= zmax``), refit the model with ``b_i`` fixed (as an offset) and record the signed
   root deviance ``z = sign * sqrt((D(b_i) - D_min) / dispersion)``.
3. Fit R's ``spline()`` (Forsythe-Malcolm-Moler cubic, evaluated at ``3 m`` equally spaced
   points over the ``m`` grid values) to ``z(b_i)`` and interpolate linearly (``approx``) the
   ``b_i`` at which ``z = qnorm((1 - level) / 2)`` and ``qnorm((1 + level) / 2)``.

The interval therefore carries the (small) interpolation error of R's grid; this module
reproduces the same grid and interpolation, not the exact profile root. Validated against
scan 0.67.1 ``plm(family = "poisson" | "binomial")`` estimates, SEs and CIs (R 4.2.2, MASS
7.3-58.2; ``tests/reference/test_reference_scan_plm.py``).

References
----------
Venables, W. N. & Ripley, B. D. (2002). Modern Applied Statistics with S, 4th ed., Springer
(``MASS:::profile.glm``, ``MASS:::confint.profile.glm``).
Forsythe, G. E., Malcolm, M. A. & Moler, C. B. (1977). Computer Methods for Mathematical
Computations, Prentice-Hall (the ``fmm`` spline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, special, stats

from ldn_n1.errors import AnalysisError

__all__ = ["RGlmFit", "fmm_spline", "profile_confint", "r_glm_fit"]

_EPS = np.finfo(float).eps
_THRESH = 30.0


def _linkinv(family: str, eta: np.ndarray) -> np.ndarray:
    if family == "poisson":
        return np.maximum(np.exp(eta), _EPS)
    # R's C logit_linkinv: clamped outside |eta| > 30
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    mu = e / (1.0 + e)
    mu = np.where(eta < -_THRESH, _EPS, mu)
    return np.where(eta > _THRESH, 1.0 - _EPS, mu)


def _mu_eta(family: str, eta: np.ndarray) -> np.ndarray:
    if family == "poisson":
        return np.maximum(np.exp(eta), _EPS)
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    val = e / (1.0 + e) ** 2
    return np.where(np.abs(eta) > _THRESH, _EPS, val)


def _link(family: str, mu: np.ndarray) -> np.ndarray:
    return np.log(mu) if family == "poisson" else special.logit(mu)


def _variance(family: str, mu: np.ndarray) -> np.ndarray:
    return mu if family == "poisson" else mu * (1.0 - mu)


def _deviance(family: str, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> float:
    if family == "poisson":
        r = special.xlogy(y, y) - special.xlogy(y, mu) - (y - mu)
        return float(np.sum(2.0 * wt * r))
    r = special.xlogy(y, y) - special.xlogy(y, mu)
    r += special.xlogy(1.0 - y, 1.0 - y) - special.xlogy(1.0 - y, 1.0 - mu)
    return float(np.sum(2.0 * wt * r))


@dataclass(frozen=True, eq=False)
class RGlmFit:
    """Result of :func:`r_glm_fit`.

    Attributes
    ----------
    params, bse : ndarray
        Coefficients and standard errors (dispersion 1).
    cov_unscaled : ndarray
        ``(X' W X)^-1`` from the last IRLS step, as ``summary.glm`` uses it.
    mu, eta : ndarray
        Fitted means and linear predictor (offset included).
    deviance, null_deviance : float
    iterations : int
    """

    params: np.ndarray
    bse: np.ndarray
    cov_unscaled: np.ndarray
    mu: np.ndarray
    eta: np.ndarray
    deviance: float
    null_deviance: float
    iterations: int


def r_glm_fit(
    x: np.ndarray,
    y: np.ndarray,
    family: str,
    *,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    etastart: np.ndarray | None = None,
    epsilon: float = 1e-8,
    maxit: int = 25,
) -> RGlmFit:
    """Fit a Poisson (log link) or binomial (logit link) GLM by R's ``glm.fit`` IRLS.

    Parameters
    ----------
    x : array, shape (n, k)
        Design matrix (full column rank).
    y : array, shape (n,)
        Counts (Poisson) or proportions of successes (binomial).
    family : {"poisson", "binomial"}
    weights : array, optional
        Prior weights (binomial: the number of trials). Default 1.
    offset, etastart : array, optional
        Offset of the linear predictor; starting linear predictor (offset included).
    epsilon, maxit : float, int
        ``glm.control`` defaults.

    Returns
    -------
    RGlmFit

    Raises
    ------
    AnalysisError
        Unknown family, or IRLS did not converge in ``maxit`` iterations.
    """
    if family not in ("poisson", "binomial"):
        msg = f"family must be 'poisson' or 'binomial', got {family!r}"
        raise AnalysisError(msg)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = x.shape
    wt = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    if etastart is None:
        mustart = y + 0.1 if family == "poisson" else (wt * y + 0.5) / (wt + 1.0)
        eta = _link(family, mustart)
    else:
        eta = np.asarray(etastart, dtype=float)
    mu = _linkinv(family, eta)
    devold = _deviance(family, y, mu, wt)
    coef_old = None
    n_iter = 0
    for _ in range(maxit):
        n_iter += 1
        mu_eta = _mu_eta(family, eta)
        z = eta - off + (y - mu) / mu_eta
        w = np.sqrt(wt * mu_eta**2 / _variance(family, mu))
        q, r = np.linalg.qr(x * w[:, None])
        coef = linalg.solve_triangular(r, q.T @ (z * w))
        eta = x @ coef + off
        mu = _linkinv(family, eta)
        dev = _deviance(family, y, mu, wt)
        while not np.isfinite(dev) and coef_old is not None:  # R's step halving
            coef = (coef + coef_old) / 2.0
            eta = x @ coef + off
            mu = _linkinv(family, eta)
            dev = _deviance(family, y, mu, wt)
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            break
        devold = dev
        coef_old = coef
    else:
        msg = f"IRLS did not converge in {maxit} iterations"
        raise AnalysisError(msg)
    rinv = linalg.solve_triangular(r, np.eye(k))
    cov = rinv @ rinv.T
    wtdmu = np.sum(wt * y) / np.sum(wt)
    null_dev = _deviance(family, y, np.full(n, wtdmu), wt)
    return RGlmFit(
        params=coef,
        bse=np.sqrt(np.diag(cov)),
        cov_unscaled=cov,
        mu=mu,
        eta=eta,
        deviance=dev,
        null_deviance=null_dev,
        iterations=n_iter,
    )


def _fmm_coefficients(x: np.ndarray, y: np.ndarray):
    """Coefficients b, c, d of R's ``fmm`` cubic spline (port of R's ``spline_coef``)."""
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = slope
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def fmm_spline(x: np.ndarray, y: np.ndarray, n_out: int | None = None):
    """R's ``spline(x, y, n = 3 * length(x), method = "fmm")``: the interpolated points.

    Parameters
    ----------
    x, y : array
        Knots (distinct x) and values.
    n_out : int, optional
        Number of equally spaced output points over ``[min(x), max(x)]``; default ``3 m``.

    Returns
    -------
    (xout, yout) : tuple of ndarray
    """
    order = np.argsort(x, kind="stable")
    x = np.asarray(x, dtype=float)[order]
    y = np.asarray(y, dtype=float)[order]
    b, c, d = _fmm_coefficients(x, y)
    n_out = 3 * x.size if n_out is None else n_out
    xout = np.linspace(x[0], x[-1], n_out)
    idx = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, x.size - 1)
    dx = xout - x[idx]
    yout = y[idx] + dx * (b[idx] + dx * (c[idx] + dx * d[idx]))
    return xout, yout


def _approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, xout)`` (linear, ties averaged, NA outside the range)."""
    ux, inverse = np.unique(x, return_inverse=True)
    uy = np.bincount(inverse, weights=y) / np.bincount(inverse)
    out = np.interp(xout, ux, uy)
    out[(xout < ux[0]) | (xout > ux[-1])] = np.nan
    return out


def profile_confint(
    x: np.ndarray,
    y: np.ndarray,
    family: str,
    fit: RGlmFit,
    *,
    weights: np.ndarray | None = None,
    level: float = 0.95,
    dispersion: float = 1.0,
    maxsteps: int = 10,
) -> np.ndarray:
    """MASS-style profile-likelihood intervals for every coefficient of a GLM.

    Parameters
    ----------
    x, y, family, weights
        The data of the fit, as passed to :func:`r_glm_fit`.
    fit : RGlmFit
        The full fit (estimates, SEs and deviance).
    level : float, default 0.95
    dispersion : float, default 1
        Dispersion used to scale deviance differences (1 for Poisson and binomial).
    maxsteps : int, default 10
        As ``MASS:::profile.glm`` (at most ``maxsteps - 1`` steps per side).

    Returns
    -------
    ndarray, shape (k, 2)
        Lower and upper limits (NaN where the profile does not reach the cutoff).
    """
    alpha = (1.0 - level) / 4.0
    zmax = float(np.sqrt(stats.chi2.ppf(1.0 - alpha, 1)))
    step_size = zmax / 5.0
    a = (1.0 - level) / 2.0
    cutoff = stats.norm.ppf([a, 1.0 - a])
    params = fit.params
    k = x.shape[1]
    out = np.full((k, 2), np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        xi = x[:, keep]
        bvals = [params[i]]
        zvals = [0.0]
        for sgn in (-1.0, 1.0):
            step = 0
            z = 0.0
            lp = x @ params
            while (step := step + 1) < maxsteps and abs(z) < zmax:
                bi = params[i] + sgn * step * step_size * fit.bse[i]
                offset = x[:, i] * bi
                refit = r_glm_fit(xi, y, family, weights=weights, offset=offset, etastart=lp)
                lp = xi @ refit.params + offset
                zz = max((refit.deviance - fit.deviance) / dispersion, 0.0)
                z = sgn * np.sqrt(zz)
                bvals.append(bi)
                zvals.append(z)
        order = np.argsort(zvals, kind="stable")
        sx, sy = fmm_spline(np.asarray(bvals)[order], np.asarray(zvals)[order])
        out[i] = _approx(sy, sx, cutoff)
    return out
