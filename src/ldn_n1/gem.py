"""Gradual effects model for single-case series (Swan & Pustejovsky, 2018).

The model is a generalized linear model whose treatment covariate builds up (and decays)
geometrically with rate ``omega``::

    g(mu_t) = beta0 + beta1 * f_t(omega; m)
    f_t = (1 - omega) / (1 - omega**m) * sum_{s <= t} omega**(t - s) * treatment_s

so that after ``k`` consecutive treated days ``f = (1 - omega**k) / (1 - omega**m)``:
``beta1`` is the effect after exactly ``m`` treated days and ``beta1 / (1 - omega**m)`` the
full (equilibrium) effect. ``omega`` is estimated by minimising the profile deviance, the
GLM is fitted with statsmodels, and the delta-method covariance of ``(beta0, beta1, omega)``
is ``phi * (J' W J)^-1`` with ``J = [1, f, beta1 * df/domega]``.

This follows ``SingleCaseES::gem_scd`` (0.7.4, commit ``8de5a3a``), with three deliberate
differences: days without an outcome keep the onset clock running and are left out of the
likelihood (``gem_scd`` misaligns its weights then), the global minimum of the profile
deviance is found (``optimize`` in ``gem_scd`` may stop at a local one), and the derivative
``df/domega`` includes the first day's term, which ``gem_scd`` drops for a series that starts
treated. Validated against 371 ``gem_scd`` fits on published single-case datasets
(``tests/reference/test_reference_gem.py``).

This module holds the profile-deviance search and the final fit (:func:`fit_gem`); the input
checks are in :mod:`ldn_n1.gem_data`, the covariate, its derivative and the covariance
inverse in :mod:`ldn_n1.gem_math`, and the result :class:`GemFit` in :mod:`ldn_n1.gem_result`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgError
from scipy.optimize import minimize_scalar
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from ldn_n1.errors import AnalysisError
from ldn_n1.gem_data import _check_data, _prepare, _Series
from ldn_n1.gem_math import (
    _FAMILIES,
    _inverse_pd,
    days_to_effect_fraction,
    gem_covariate,
    half_effect_days,
)
from ldn_n1.gem_result import GemFit

__all__ = [
    "GemFit",
    "days_to_effect_fraction",
    "fit_gem",
    "gem_covariate",
    "half_effect_days",
]

_IRLS_RTOL = 1e-12  # relative change in deviance at which IRLS stops (glm's default is 1e-8)
_MAX_ETA = 30.0  # |linear predictor| beyond this on a log or logit scale means separation


class _Model:
    """Profile deviance and final fit of one series (statsmodels GLM)."""

    def __init__(self, data: _Series, family: str, m: float) -> None:
        link, fam_cls, self.scale = _FAMILIES[family]
        self.link = link
        self.family = fam_cls()
        self.data, self.m = data, m
        obs = data.observed
        self.y = data.outcome[obs]
        self.var_weights = None
        if data.trials is not None:
            self.var_weights = data.trials[obs]
            self.y = self.y / self.var_weights
        self.evaluations = 0
        self._start: np.ndarray | None = None

    def glm(self, omega: float, start: np.ndarray | None = None):
        f, _ = gem_covariate(omega, self.data.treatment, self.m)
        x = np.column_stack([np.ones(self.y.size), f[self.data.observed]])
        model = GLM(self.y, x, family=self.family, var_weights=self.var_weights)
        return model.fit(
            start_params=start, scale=self.scale, tol=0.0, rtol=_IRLS_RTOL, maxiter=100
        )

    def deviance(self, omega: float) -> float:
        self.evaluations += 1
        with warnings.catch_warnings():
            # trial values of omega far from the optimum may fit badly; the final fit at
            # the estimate is checked (converged, no separation) instead
            warnings.simplefilter("ignore")
            # start IRLS from the previous evaluation's estimate (the search moves in small
            # steps), and from glm's usual starting values when that fails
            starts = [None] if self._start is None else [self._start, None]
            for start in starts:
                try:
                    res = self.glm(omega, start)
                except (ValueError, LinAlgError, FloatingPointError):
                    continue
                dev = float(res.deviance)
                if res.converged and math.isfinite(dev):
                    self._start = np.asarray(res.params)
                    return dev
                if start is None:
                    return dev if math.isfinite(dev) else math.inf
        return math.inf


def _default_grid(lo: float, hi: float) -> np.ndarray:
    # uniform in omega, plus points close to the upper bound, where slow onsets live
    q = np.concatenate([np.linspace(0.0, 1.0, 51), 1.0 - np.geomspace(1e-4, 0.01, 6)])
    return np.unique(lo + (hi - lo) * q)


def _search_omega(
    model: _Model, grid: np.ndarray, xatol: float, n_refine: int
) -> tuple[float, float, np.ndarray]:
    """Global minimum of the profile deviance: grid, then bounded Brent in each best basin."""
    devs = np.array([model.deviance(w) for w in grid])
    if not np.any(np.isfinite(devs)):
        msg = "the GLM could not be fitted at any omega of the grid"
        raise AnalysisError(msg)
    k = np.arange(grid.size)
    left = np.r_[np.inf, devs[:-1]]
    right = np.r_[devs[1:], np.inf]
    minima = k[(devs <= left) & (devs <= right) & np.isfinite(devs)]
    minima = minima[np.argsort(devs[minima], kind="stable")][:n_refine]
    best_w, best_d = float(grid[np.argmin(devs)]), float(np.min(devs))
    for i in minima:
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        res = minimize_scalar(
            model.deviance, bounds=(a, b), method="bounded", options={"xatol": xatol}
        )
        if res.fun < best_d:
            best_w, best_d = float(res.x), float(res.fun)
    return best_w, best_d, devs


def fit_gem(
    y: Sequence[float] | np.ndarray | pd.Series,
    treatment: Sequence[float] | np.ndarray | pd.Series,
    time: Sequence[float] | np.ndarray | pd.Series | None = None,
    *,
    family: str = "gaussian",
    m: float | None = None,
    trials: Sequence[float] | np.ndarray | pd.Series | None = None,
    omega_bounds: tuple[float, float] = (0.0, 1.0),
    omega: float | None = None,
    grid: Sequence[float] | np.ndarray | None = None,
    xatol: float = 1e-10,
    n_refine: int = 3,
) -> GemFit:
    """Fit the gradual effects model of Swan & Pustejovsky (2018) to one series.

    Parameters
    ----------
    y : array_like
        Outcome per row; NaN = not recorded (the row is left out of the likelihood).
    treatment : array_like
        Treatment indicator per row (0/1; other values act as a dose, as in ``gem_scd``).
    time : array_like of int or dates, optional
        Day (or session) of each row, strictly increasing. Default: consecutive rows. Time
        points absent from ``time`` are missed days: the onset clock keeps running, they
        carry the previous row's treatment forward and have no outcome.
    family : {"gaussian", "poisson", "quasipoisson", "binomial", "quasibinomial"}
        GLM family with its canonical link (identity, log, logit). Quasi families estimate
        the dispersion; poisson and binomial fix it at 1.
    m : float, optional
        Number of treated days ``beta1`` refers to. Default: the number of treated time
        points, so ``beta1`` is the effect reached at the end of the treatment observed.
    trials : array_like, optional
        Binomial families only: trials per row, ``y`` then counts successes. Default: each
        ``y`` is a proportion counted as one trial (all that ``gem_scd`` can do).
    omega_bounds : (float, float), default (0, 1)
        Range searched for ``omega``; the default grid evaluates both ends exactly
        (0: step change, 1: linear ramp, its limit).
    omega : float, optional
        Fix ``omega`` instead of estimating it (sensitivity analyses, reference checks).
    grid : array_like, optional
        Values of ``omega`` for the global search (default: 51 equally spaced values and 6
        close to the upper bound).
    xatol : float, default 1e-10
        Absolute tolerance of the bounded Brent refinement in ``omega``.
    n_refine : int, default 3
        Number of grid basins (lowest first) refined.

    Returns
    -------
    GemFit

    Raises
    ------
    AnalysisError
        Bad input, fewer than 3 outcomes, no treated day, constant outcome, a GLM that
        does not converge or separates at the estimate (e.g. a treatment phase that is all
        zero under the log link, or all 0 or all 1 under the logit link).

    Notes
    -----
    ``omega`` minimises the profile deviance: the deviance of the GLM with covariate
    ``f(omega)`` at each ``omega`` of the grid, then bounded Brent
    (``scipy.optimize.minimize_scalar``) between the neighbours of the best grid minima, and
    the lowest value found (grid points included) wins. The GLM (``statsmodels`` IRLS,
    stopped at a relative deviance change of 1e-12) gives ``beta0``, ``beta1``, the deviance
    and the dispersion ``phi`` (Pearson X2 / (n - 2) for gaussian and quasi families; ``omega``
    is not counted, as in ``gem_scd``). The "glm" covariance ``phi (X'WX)^-1`` treats
    ``omega`` as known; the delta-method covariance ``phi (J'WJ)^-1``,
    ``J = [1, f, beta1 df/domega]``, does not. ``W`` holds the IRLS weights at the final
    fitted values (``gem_scd`` uses those of its last iteration's start: its SEs and
    dispersion differ by up to 2e-4 relative). ``df/domega`` is exact, also for series
    that start treated and next to ``omega = 1`` (where ``gem_scd``'s formula is not).

    Validated against ``SingleCaseES::gem_scd`` 0.7.4 (371 fits, 5 families): at R's
    ``omega`` every number agrees within R's own precision, and ``omega`` agrees with R's
    fully converged minimum wherever that is global.

    References
    ----------
    Swan, D. M., & Pustejovsky, J. E. (2018). A gradual effects model for single-case
    designs. *Multivariate Behavioral Research*, 53(4), 574-593.
    doi:10.1080/00273171.2018.1466681

    Examples
    --------
    >>> import numpy as np
    >>> trt = np.r_[np.zeros(10), np.ones(30)]
    >>> f, _ = gem_covariate(0.8, trt, m=10)
    >>> y = 5.0 - 2.0 * f + np.tile([0.1, -0.1], 20)
    >>> fit = fit_gem(y, trt, m=10)
    >>> round(fit.omega, 2), round(fit.beta1, 2), fit.n_excluded
    (0.8, -2.0, 0)
    """
    if family not in _FAMILIES:
        msg = f"unknown family {family!r}; expected one of {sorted(_FAMILIES)}"
        raise AnalysisError(msg)
    lo, hi = (float(b) for b in omega_bounds)
    if not 0.0 <= lo < hi <= 1.0:
        msg = f"omega_bounds must satisfy 0 <= low < high <= 1, got {omega_bounds}"
        raise AnalysisError(msg)
    data = _prepare(y, treatment, time, trials)
    _check_data(data, family)
    if m is None:
        m = float(np.count_nonzero(data.treatment))
    if not m > 0:
        msg = f"m must be > 0, got {m}"
        raise AnalysisError(msg)
    model = _Model(data, family, float(m))
    if omega is None:
        nodes = _default_grid(lo, hi) if grid is None else np.unique(np.clip(grid, lo, hi))
        omega, _, devs = _search_omega(model, nodes, xatol, n_refine)
        profile = (nodes, devs)
    else:
        if not 0.0 <= omega <= 1.0:
            msg = f"omega must be in [0, 1], got {omega}"
            raise AnalysisError(msg)
        lo = hi = float(omega)
        profile = (np.empty(0), np.empty(0))
    return _final_fit(model, float(omega), (lo, hi), family, profile)


def _final_fit(
    model: _Model,
    omega: float,
    bounds: tuple[float, float],
    family: str,
    profile: tuple[np.ndarray, np.ndarray],
) -> GemFit:
    data, obs = model.data, model.data.observed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.glm(omega)
    b0, b1 = (float(v) for v in res.params)
    f, df = gem_covariate(omega, data.treatment, model.m)
    eta = b0 + b1 * f[obs]
    # statsmodels flags any fit with mu == y to 1e-8; only off the identity link does it
    # mean that the estimates run off to infinity
    perfect = [issubclass(w.category, PerfectSeparationWarning) for w in caught]
    messages = list(
        dict.fromkeys(str(w.message) for w, p in zip(caught, perfect, strict=True) if not p)
    )
    separated = any(perfect) and model.link != "identity"
    if separated or (model.link != "identity" and np.max(np.abs(eta)) > _MAX_ETA):
        msg = (
            f"the {family} fit at omega={omega:.6g} separates (fitted values at 0 or 1, or "
            f"|linear predictor| > {_MAX_ETA:g}), e.g. a phase that is all zero under the "
            "log link or all 0 or all 1 under the logit link: no finite estimate"
        )
        raise AnalysisError(msg)
    if not res.converged or messages or not np.all(np.isfinite(res.params)):
        why = "; ".join(messages) or "IRLS did not converge"
        msg = f"the GLM at omega={omega:.6g} failed: {why}"
        raise AnalysisError(msg)
    mu = model.family.link.inverse(eta)
    w = model.family.weights(mu)
    if model.var_weights is not None:
        w = w * model.var_weights
    phi = float(res.scale)
    x = np.column_stack([np.ones(eta.size), f[obs]])
    jac = np.column_stack([x, b1 * df[obs]])
    vcov_glm = phi * _inverse_pd(x.T @ (w[:, None] * x))
    vcov_delta = phi * _inverse_pd(jac.T @ (w[:, None] * jac))
    return GemFit(
        family=family,
        link=model.link,
        m=model.m,
        omega=omega,
        beta0=b0,
        beta1=b1,
        vcov_glm=vcov_glm,
        vcov_delta=vcov_delta,
        deviance=float(res.deviance),
        dispersion=phi,
        n_obs=int(obs.sum()),
        n_missing=data.n_missing,
        n_gaps=data.n_gaps,
        omega_bounds=bounds,
        deviance_evaluations=model.evaluations,
        profile_omega=profile[0],
        profile_deviance=profile[1],
        time=data.time,
        treatment=data.treatment,
        outcome=data.outcome,
        trials=data.trials,
    )
