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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter
from statsmodels.genmod.families.family import Binomial, Family, Gaussian, Poisson
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from ldn_n1.errors import AnalysisError

__all__ = [
    "GemFit",
    "days_to_effect_fraction",
    "fit_gem",
    "gem_covariate",
    "half_effect_days",
]

# family name -> (link name, statsmodels family, scale passed to GLM.fit)
_FAMILIES: dict[str, tuple[str, type[Family], float | str]] = {
    "gaussian": ("identity", Gaussian, "X2"),
    "poisson": ("log", Poisson, 1.0),
    "quasipoisson": ("log", Poisson, "X2"),
    "binomial": ("logit", Binomial, 1.0),
    "quasibinomial": ("logit", Binomial, "X2"),
}
_IRLS_RTOL = 1e-12  # relative change in deviance at which IRLS stops (glm's default is 1e-8)
_SERIES_CUTOFF = 1e-4  # below this 1 - omega, g(omega) and g'(omega) use their Taylor series
_MAX_ETA = 30.0  # |linear predictor| beyond this on a log or logit scale means separation


def _onset_scale(omega: float, m: float) -> tuple[float, float]:
    """Return ``g = (1 - omega) / (1 - omega**m)`` and ``dg/domega`` (exact at 0 and 1)."""
    u = 1.0 - omega
    if u < _SERIES_CUTOFF:  # removes the 0/0 at omega = 1 and the cancellation next to it
        c1, c2 = (m - 1.0) / 2.0, (m * m - 1.0) / 12.0
        g = (1.0 + u * (c1 + u * (c2 + u * c2 / 2.0))) / m
        dg = -(c1 + u * (2.0 * c2 + u * 1.5 * c2)) / m
        return g, dg
    if omega == 0.0:
        d, power = 1.0, (0.0 if m > 1 else 1.0 if m == 1 else math.inf)
    else:
        d, power = -math.expm1(m * math.log(omega)), omega ** (m - 1.0)
    return u / d, (-d + u * m * power) / (d * d)


def gem_covariate(
    omega: float, treatment: Sequence[float] | np.ndarray, m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gradual-onset covariate ``f(omega; m)`` and its derivative in ``omega``.

    Parameters
    ----------
    omega : float
        Geometric rate, ``0 <= omega <= 1`` (0: immediate step; 1: linear ramp, the limit).
    treatment : array_like
        Treatment on consecutive time points (0/1; other values act as a dose).
    m : float
        Number of treated time points the effect ``beta1`` refers to (``m > 0``).

    Returns
    -------
    f, df : numpy.ndarray
        ``f_t = g(omega) * S_t`` with ``S_t = sum_{s <= t} omega**(t - s) * treatment_s`` and
        ``g = (1 - omega) / (1 - omega**m)``, and ``df/domega = g' S + g S'`` with
        ``S'_t = sum_{s < t} (t - s) omega**(t - s - 1) treatment_s``.

    Notes
    -----
    ``S`` and ``S'`` are computed by the recursions ``S_t = omega S_{t-1} + treatment_t`` and
    ``S'_t = omega S'_{t-1} + S_{t-1}`` (``scipy.signal.lfilter``). The derivative includes
    the term of the first time point, which ``gem_scd``'s ``D_linear_predictor_obs`` omits
    when the series starts treated. Checked against exact rational arithmetic in the tests.
    """
    trt = np.asarray(treatment, dtype=float)
    s = lfilter([1.0], [1.0, -omega], trt)
    ds = lfilter([0.0, 1.0], [1.0, -omega], s)
    g, dg = _onset_scale(float(omega), float(m))
    return g * s, dg * s + g * ds


def days_to_effect_fraction(omega: float, fraction: float = 0.5) -> float:
    """Treated days until the effect reaches ``fraction`` of its full (equilibrium) size.

    Under continuous treatment the covariate after ``k`` treated days is
    ``(1 - omega**k) / (1 - omega**m)``, a share ``1 - omega**k`` of its limit, so the
    answer is ``k = log(1 - fraction) / log(omega)`` (continuous; the first treated day is
    ``k = 1``). It does not depend on ``m``.

    Parameters
    ----------
    omega : float
        Geometric rate of the gradual effects model, ``0 <= omega <= 1``.
    fraction : float, default 0.5
        Share of the full effect, ``0 < fraction < 1``.

    Returns
    -------
    float
        Days (time units of the fit); 0 for ``omega = 0``, ``inf`` for ``omega = 1``.

    Examples
    --------
    >>> round(days_to_effect_fraction(0.5), 6)
    1.0
    >>> round(days_to_effect_fraction(0.9, 0.9), 3)
    21.854
    """
    if not 0.0 <= omega <= 1.0 or not 0.0 < fraction < 1.0:
        msg = f"need 0 <= omega <= 1 and 0 < fraction < 1, got omega={omega}, {fraction=}"
        raise AnalysisError(msg)
    if omega == 0.0:
        return 0.0
    if omega == 1.0:
        return math.inf
    return math.log1p(-fraction) / math.log(omega)


def half_effect_days(omega: float) -> float:
    """Treated days to half of the full effect: ``log(2) / -log(omega)``.

    The "half-life" of the onset: after ``k`` continuously treated days the gradual
    effects model has reached ``1 - omega**k`` of its equilibrium effect
    ``beta1 / (1 - omega**m)`` (``gem_scd``'s parameterisation; see
    :func:`days_to_effect_fraction`).

    Examples
    --------
    >>> round(half_effect_days(0.5 ** (1 / 7)), 6)
    7.0
    """
    return days_to_effect_fraction(omega, 0.5)


@dataclass(frozen=True)
class _Series:
    time: np.ndarray  # full grid of consecutive time points
    treatment: np.ndarray
    outcome: np.ndarray  # NaN where excluded
    trials: np.ndarray | None
    observed: np.ndarray  # bool mask on the grid
    n_missing: int  # given rows with a NaN outcome
    n_gaps: int  # time points absent from `time`


def _as_time(time: object, n: int) -> np.ndarray:
    if time is None:
        return np.arange(n, dtype=float)
    t = np.asarray(time)
    if np.issubdtype(t.dtype, np.datetime64):
        t = (t - t[0]) / np.timedelta64(1, "D")
    t = np.asarray(t, dtype=float)
    if t.shape != (n,) or not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
        msg = "time must hold one whole number (day or session) or date per outcome"
        raise AnalysisError(msg)
    if n > 1 and np.any(np.diff(t) <= 0):
        msg = "time must be strictly increasing"
        raise AnalysisError(msg)
    return t


def _prepare(y: object, treatment: object, time: object, trials: object) -> _Series:
    yv = np.array(y, dtype=float)
    trt = np.array(treatment, dtype=float)
    if yv.ndim != 1 or trt.shape != yv.shape:
        msg = f"outcome and treatment must be 1-d of equal length, got {yv.shape}, {trt.shape}"
        raise AnalysisError(msg)
    if not np.all(np.isfinite(trt)):
        msg = "treatment must be known (finite) on every row"
        raise AnalysisError(msg)
    if np.any(np.isinf(yv)):
        msg = "outcome has infinite values"
        raise AnalysisError(msg)
    t = _as_time(time, yv.size)
    grid = np.arange(t[0], t[-1] + 1.0)
    pos = (t - t[0]).astype(np.intp)
    # a time point absent from `time` carries the previous row's treatment forward
    trt_grid = trt[np.searchsorted(t, grid, side="right") - 1]
    y_grid = np.full(grid.size, np.nan)
    y_grid[pos] = yv
    n_grid = None
    if trials is not None:
        nv = np.array(trials, dtype=float)
        if nv.shape != yv.shape:
            msg = "trials must have one value per outcome"
            raise AnalysisError(msg)
        n_grid = np.full(grid.size, np.nan)
        n_grid[pos] = nv
    return _Series(
        time=grid,
        treatment=trt_grid,
        outcome=y_grid,
        trials=n_grid,
        observed=np.isfinite(y_grid),
        n_missing=int(np.isnan(yv).sum()),
        n_gaps=int(grid.size - yv.size),
    )


def _check_data(data: _Series, family: str) -> None:
    obs = data.observed
    y = data.outcome[obs]
    if y.size < 3:
        msg = f"need at least 3 time points with an outcome, got {y.size}"
        raise AnalysisError(msg)
    if not np.any(data.treatment != 0):
        msg = "no treated time point: the treatment effect is not identified"
        raise AnalysisError(msg)
    if np.all(y == y[0]):
        msg = "the outcome is constant: the profile deviance is flat in omega"
        raise AnalysisError(msg)
    if family in ("poisson", "quasipoisson") and np.any(y < 0):
        msg = f"{family} needs outcomes >= 0"
        raise AnalysisError(msg)
    if family in ("binomial", "quasibinomial"):
        n = np.ones_like(y) if data.trials is None else data.trials[obs]
        if not np.all(np.isfinite(n) & (n > 0)) or np.any((y < 0) | (y > n)):
            what = "proportions in [0, 1]" if data.trials is None else "0 <= y <= trials > 0"
            msg = f"{family} needs {what}"
            raise AnalysisError(msg)
    elif data.trials is not None:
        msg = "trials only applies to the binomial and quasibinomial families"
        raise AnalysisError(msg)


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


def _inverse_pd(a: np.ndarray) -> np.ndarray:
    try:
        return cho_solve(cho_factor(a), np.eye(a.shape[0]))
    except (LinAlgError, ValueError):
        return np.full(a.shape, np.nan)


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


@dataclass(frozen=True, eq=False, repr=False)
class GemFit:
    """Result of :func:`fit_gem`.

    Attributes
    ----------
    family, link : str
        GLM family and its (canonical) link.
    m : float
        Treated days ``beta1`` refers to.
    omega : float
        Geometric onset rate (profile-deviance estimate, or the value fixed).
    beta0, beta1 : float
        Baseline level and effect after ``m`` treated days, on the link scale (identity:
        outcome units; log: log ratio; logit: log odds ratio).
    vcov_glm : numpy.ndarray
        2x2 covariance of ``(beta0, beta1)`` with ``omega`` treated as known.
    vcov_delta : numpy.ndarray
        3x3 delta-method covariance of ``(beta0, beta1, omega)`` (NaN when singular).
    deviance, dispersion : float
        GLM deviance; dispersion (1 for poisson and binomial, else Pearson X2 / (n_obs - 2)).
    n_obs, n_missing, n_gaps : int
        Outcomes used; rows given with a NaN outcome; time points absent from ``time``.
        ``n_missing + n_gaps`` days were left out of the likelihood.
    omega_bounds : (float, float)
        Range searched (both equal to ``omega`` when it was fixed).
    deviance_evaluations : int
        GLM fits made by the search.
    profile_omega, profile_deviance : numpy.ndarray
        Grid of the global search and the profile deviance on it.
    time, treatment, outcome, trials : numpy.ndarray
        The series on the full time grid (outcome NaN where excluded).
    """

    family: str
    link: str
    m: float
    omega: float
    beta0: float
    beta1: float
    vcov_glm: np.ndarray
    vcov_delta: np.ndarray
    deviance: float
    dispersion: float
    n_obs: int
    n_missing: int
    n_gaps: int
    omega_bounds: tuple[float, float]
    deviance_evaluations: int
    profile_omega: np.ndarray
    profile_deviance: np.ndarray
    time: np.ndarray
    treatment: np.ndarray
    outcome: np.ndarray
    trials: np.ndarray | None

    @property
    def se_beta0_glm(self) -> float:
        """Standard error of ``beta0`` with ``omega`` known (``summary(glm)``)."""
        return float(np.sqrt(self.vcov_glm[0, 0]))

    @property
    def se_beta1_glm(self) -> float:
        """Standard error of ``beta1`` with ``omega`` known."""
        return float(np.sqrt(self.vcov_glm[1, 1]))

    @property
    def se_beta0_delta(self) -> float:
        """Delta-method standard error of ``beta0``."""
        return float(np.sqrt(self.vcov_delta[0, 0]))

    @property
    def se_beta1_delta(self) -> float:
        """Delta-method standard error of ``beta1``."""
        return float(np.sqrt(self.vcov_delta[1, 1]))

    @property
    def se_omega_delta(self) -> float:
        """Delta-method standard error of ``omega`` (meaningless at a bound)."""
        return float(np.sqrt(self.vcov_delta[2, 2]))

    @property
    def n_excluded(self) -> int:
        """Days on the time grid left out of the likelihood (no outcome)."""
        return self.n_missing + self.n_gaps

    @property
    def omega_at_bound(self) -> bool:
        """Whether ``omega`` lies within 1e-6 of a bound of the search."""
        lo, hi = self.omega_bounds
        return lo != hi and min(self.omega - lo, hi - self.omega) < 1e-6

    @property
    def equilibrium_effect(self) -> float:
        """Full effect under continuous treatment, ``beta1 / (1 - omega**m)``."""
        g, _ = _onset_scale(self.omega, self.m)
        if self.omega < 1.0:
            return self.beta1 * g / (1.0 - self.omega)
        return math.copysign(math.inf, self.beta1) if self.beta1 != 0 else 0.0

    @property
    def half_effect_days(self) -> float:
        """Treated days to half of the full effect, ``log(2) / -log(omega)``."""
        return half_effect_days(self.omega)

    def series(self) -> pd.DataFrame:
        """Fitted and counterfactual series on the full time grid.

        Returns
        -------
        pandas.DataFrame
            ``time, treatment, outcome`` (NaN where excluded), ``excluded`` (bool),
            ``covariate`` (``f``), ``fitted`` (mean under treatment as given),
            ``counterfactual`` (mean had treatment never started, ``g^-1(beta0)``) and
            ``effect`` (``fitted - counterfactual``), on the outcome's scale (successes
            when ``trials`` were given).
        """
        f, _ = gem_covariate(self.omega, self.treatment, self.m)
        inv = _FAMILIES[self.family][1]().link.inverse
        fitted = inv(self.beta0 + self.beta1 * f)
        counter = np.broadcast_to(inv(np.array([self.beta0]))[0], f.shape).copy()
        if self.trials is not None:
            fitted, counter = fitted * self.trials, counter * self.trials
        return pd.DataFrame(
            {
                "time": self.time,
                "treatment": self.treatment,
                "outcome": self.outcome,
                "excluded": ~np.isfinite(self.outcome),
                "covariate": f,
                "fitted": fitted,
                "counterfactual": counter,
                "effect": fitted - counter,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``parameter, estimate, se_glm, se_delta`` for beta0, beta1, omega."""
        return pd.DataFrame(
            {
                "parameter": ["beta0", "beta1", "omega"],
                "estimate": [self.beta0, self.beta1, self.omega],
                "se_glm": [self.se_beta0_glm, self.se_beta1_glm, np.nan],
                "se_delta": [self.se_beta0_delta, self.se_beta1_delta, self.se_omega_delta],
            }
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary (non-finite numbers become None)."""

        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        keys = [
            "omega",
            "beta0",
            "beta1",
            "se_beta0_glm",
            "se_beta1_glm",
            "se_beta0_delta",
            "se_beta1_delta",
            "se_omega_delta",
            "deviance",
            "dispersion",
            "equilibrium_effect",
            "half_effect_days",
        ]
        out: dict[str, object] = {"family": self.family, "link": self.link, "m": num(self.m)}
        out.update({k: num(getattr(self, k)) for k in keys})
        out.update(n_obs=self.n_obs, n_missing=self.n_missing, n_gaps=self.n_gaps)
        return out

    def __repr__(self) -> str:
        """One line: family, omega, effect and its delta-method SE, data used."""
        return (
            f"GemFit({self.family}, omega={self.omega:.4g}, beta1={self.beta1:.4g} "
            f"(se {self.se_beta1_delta:.3g}), m={self.m:g}, n_obs={self.n_obs}, "
            f"excluded={self.n_excluded})"
        )
