"""Bayesian-lite model of one outcome: conjugate regression with gradual onset and AR(1) errors.

For an outcome ``y`` recorded on calendar days ``t`` (gaps allowed) the model is::

    y_t = a + b * (t - d0) / 100 + delta * g_tau(t - d0) + w'weekday_t + e_t
    e_t = rho^k * e_{t-k} + u_t,   Var(e_t) = s2 (stationary AR(1) on the calendar axis)

with ``d0`` the first dose, ``g_tau(x) = 1 - exp(-x / tau)`` for ``x >= 0`` (0 before), and the
trend term present or absent. Given ``(rho, tau, trend)`` the gap-aware Prais-Winsten
transform makes the errors independent with variance ``s2 * (1 - rho^2)`` (a gap of ``k`` days
uses ``rho^k`` and its own innovation variance ``s2 (1 - rho^(2k))``), and a conjugate
normal-inverse-gamma prior gives the exact posterior and marginal likelihood. Averaging over a
grid of ``rho`` (0-0.9), ``tau`` (a step to about 2 months) and trend/no trend, weighted by
the marginal likelihoods, gives the posterior of ``improvement`` as a mixture of Student-t
distributions (DESIGN §4)::

    improvement = sign * delta * mean(g_tau over the evaluation window)

``sign`` = +1 when higher is better, -1 when lower is better; trend and weekday terms are in
both the counterfactual and the fitted series, so they cancel.

Priors (weakly informative, in units of the outcome's marginal SD ``s``): intercept
``N(scale midpoint, (10 s)^2)``; trend ``N(0, (1 s per 100 days)^2)`` (about 1.6 points per
100 days at the typical within-person SD of 1.6 of daily pain: slow natural courses such as
those after a flare); effect
``N(0, (4 s)^2)`` (about 6 points: nearly flat over the 0-10 scale; the sensitivity re-fits
use 2 s and 8 s); weekday effects ``N(0, (0.5 s)^2)``; covariates ``N(0, s^2)``;
``s^2 ~ InvGamma(2, 2.5)`` (prior mode 0.83, mean 2.5 points^2); a trend with prior
probability 0.3 (the data decide: a clearly drifting baseline gets the trend model);
rho values equally likely; onset times weighted by a log-normal in ``tau + 1`` centred at 20
days with log-SD 1 (LDN's benefit often shows within weeks and reaches its full effect by 2-3
months: weights over the grid 0, 3, 7, 14, 24, 35, 50 days are about 0.3, 6, 15, 22, 22, 19 and
15%, so an immediate step or a four-month onset stay possible but less likely). The prior
scales were chosen in the calibration study (``benchmarks/calibration.py``) on a simulated
cohort with a different seed from the one whose results are reported.

All models are computed together: one batched solve per outcome over the grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ldn_n1.ar1 import apply_transform, ar1_loglike, ar1_transform
from ldn_n1.features import onset, window_mean_onset
from ldn_n1.mixture import Mixture

__all__ = [
    "DEFAULT_RHOS",
    "DEFAULT_TAUS",
    "BayesFit",
    "Mixture",
    "Prior",
    "ar1_loglike",
    "ar1_transform",
    "fit_bayes",
]

DEFAULT_RHOS = np.round(np.arange(0.0, 0.91, 0.1), 10)
#: Onset time constants in days: 0 = a step; 90% of the full effect after 2.3 tau days, so
#: the grid spans "within days" to "90% by about 4 months".
DEFAULT_TAUS = np.array([0.0, 3.0, 7.0, 14.0, 24.0, 35.0, 50.0])


@dataclass(frozen=True)
class Prior:
    """Prior scales, in units of the outcome's marginal SD (see the module docstring)."""

    effect_sd: float = 4.0
    trend_sd: float = 1.0
    weekday_sd: float = 0.5
    intercept_sd: float = 10.0
    var_shape: float = 2.0
    var_scale: float = 2.5
    trend_probability: float = 0.3
    covariate_sd: float = 1.0
    onset_center_days: float | None = 20.0
    onset_log_sd: float = 1.0


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(x))) along ``axis`` (kept as a length-1 axis), stable for finite x.

    A plain NumPy version: scipy's general one costs more than the rest of a small fit.
    """
    top = np.max(x, axis=axis, keepdims=True)
    return top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))


def _onset_log_prior(taus: np.ndarray, prior: Prior) -> np.ndarray:
    """Log prior weight of each onset time constant (normalised over the grid).

    Log-normal in ``tau + 1`` days, centred at ``onset_center_days`` with log-SD
    ``onset_log_sd``; ``onset_center_days=None`` gives equal weights.
    """
    if prior.onset_center_days is None:
        return np.full(taus.size, -np.log(taus.size))
    z = np.log((taus + 1.0) / prior.onset_center_days) / prior.onset_log_sd
    return -0.5 * z**2 - _logsumexp(-0.5 * z**2, axis=0)


@dataclass(frozen=True)
class _Cross:
    """Cross-products of the transformed design for every rho: the sufficient statistics."""

    xtx: np.ndarray  # (R, q, q) over columns [base..., onset(tau_1..tau_T)]
    xty: np.ndarray  # (R, q, S)
    yty: np.ndarray  # (R, S)
    logjac: np.ndarray  # (R,)
    n: int
    n_base: int


def _cross(t, Y, base, onsets, rhos) -> _Cross:
    phi, c, logjac = ar1_transform(t, rhos)
    M = np.concatenate([base, onsets.T], axis=1)
    XM = apply_transform(phi, c, M)
    ZY = apply_transform(phi, c, Y)
    return _Cross(
        xtx=np.einsum("rni,rnj->rij", XM, XM),
        xty=np.einsum("rni,rns->ris", XM, ZY),
        yty=np.einsum("rns,rns->rs", ZY, ZY),
        logjac=logjac,
        n=len(t),
        n_base=base.shape[1],
    )


def _posterior(cross: _Cross, rhos, taus, prior: Prior, m0_intercept: float, weekday: bool):
    """Conjugate posterior of every (trend, rho, tau) model, batched."""
    nb = cross.n_base
    R, T = len(rhos), len(taus)
    outs = []
    for trend in (False, True):
        n_cov = nb - 8  # covariate columns follow the 6 weekday columns
        base_cols = (
            [0]
            + ([1] if trend else [])
            + (list(range(2, 8)) if weekday else [])
            + list(range(8, nb))
        )
        p = len(base_cols) + 1
        prior_sd = (
            [prior.intercept_sd]
            + ([prior.trend_sd] if trend else [])
            + ([prior.weekday_sd] * 6 if weekday else [])
            + [prior.covariate_sd] * n_cov
            + [prior.effect_sd]
        )
        v0 = np.asarray(prior_sd) ** 2  # in marginal-variance units
        idx = np.array([[*base_cols, nb + j] for j in range(T)])  # (T, p)
        xtx = cross.xtx[:, idx[:, :, None], idx[:, None, :]]  # (R, T, p, p)
        xty = cross.xty[:, idx, :]  # (R, T, p, S)
        frac = (1.0 - np.asarray(rhos) ** 2)[:, None, None]  # innovation = frac * marginal
        # Prior on coefficients given the innovation variance: V0 = v0 / frac.
        v0_inv = frac[..., None] / v0  # (R, 1, 1, p) diag of V0^-1 per rho
        m0 = np.zeros(p)
        m0[0] = m0_intercept
        prec = xtx + np.eye(p) * v0_inv[:, :, 0, :, None]  # (R, T, p, p)
        rhs = xty + (v0_inv[:, :, 0, :] * m0)[..., None]  # (R, T, p, S)
        chol = np.linalg.cholesky(prec)  # for log|Vn|; also fails loudly if not pos. def.
        vn = np.linalg.inv(prec)
        mean = vn @ rhs  # (R, T, p, S)
        quad = (
            cross.yty[:, None, :]
            + np.sum(v0_inv[:, :, 0, :] * m0**2, axis=-1)[..., None]
            - np.einsum("rtps,rtps->rts", rhs, mean)
        )
        a0, b0 = prior.var_shape, prior.var_scale * frac[:, :, 0]  # (R, 1)
        an = a0 + cross.n / 2.0
        bn = b0[..., None] + 0.5 * quad  # (R, T, S)
        logdet_vn = -2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)  # (R, T)
        logdet_v0 = -np.log(v0_inv[:, :, 0, :]).sum(-1)  # (R, 1)
        log_ml = (
            -0.5 * cross.n * np.log(2 * np.pi)
            + 0.5 * (logdet_vn - logdet_v0)[..., None]
            + a0 * np.log(b0)[..., None]
            - an * np.log(bn)
            + special.gammaln(an)
            - special.gammaln(a0)
            + cross.logjac[:, None, None]
        )
        prior_w = np.log(prior.trend_probability if trend else 1.0 - prior.trend_probability)
        prior_w = prior_w + _onset_log_prior(np.asarray(taus, float), prior)[None, :, None]
        outs.append(
            {
                "log_ml": (log_ml + prior_w).reshape(R * T, -1),
                "loc": mean[:, :, -1, :].reshape(R * T, -1),
                "scale": np.sqrt(bn / an * vn[:, :, -1, -1][..., None]).reshape(R * T, -1),
                "df": np.full(R * T, 2.0 * an),
                "mean": mean.reshape(R * T, p, -1),
                "cov_unit": vn.reshape(R * T, p, p),
                "shape_n": np.full(R * T, an),
                "rate_n": bn.reshape(R * T, -1),
                "rho": np.repeat(np.asarray(rhos, float), T),
                "tau": np.tile(np.asarray(taus, float), R),
                "trend": np.full(R * T, trend),
                "cols": np.tile(idx, (R, 1)),
            }
        )
    return outs


@dataclass(frozen=True)
class BayesFit:
    """Posterior of one outcome's improvement, averaged over the model grid.

    Attributes
    ----------
    improvement : Mixture
        Posterior of ``improvement`` (points, positive = better).
    mean, low, high : float
        Posterior mean and central 95% interval.
    p_improvement, p_mcid, p_worsening : float
        P(improvement > 0), P(improvement >= MCID), P(improvement <= -MCID).
    onset_weights : dict of float to float
        Posterior weight of each onset time constant tau (days; 0 = a step).
    rho_mean : float
        Posterior mean of the lag-1 autocorrelation.
    trend_weight : float
        Posterior probability of the model with a baseline trend.
    sensitivity : dict
        ``{"narrow": (p_mcid, p_worsening), "wide": (...)}`` under an effect prior half and
        twice as wide.
    days : ndarray
        Day numbers (since the first diary day) at which ``expected``/``counterfactual`` are given.
    expected, counterfactual, counterfactual_sd : ndarray
        Posterior mean of the modelled level with and without treatment (weekday effects
        averaged out), and the posterior SD of the counterfactual (mixture moments).
    """

    improvement: Mixture
    mean: float
    low: float
    high: float
    p_improvement: float
    p_mcid: float
    p_worsening: float
    onset_weights: dict
    rho_mean: float
    trend_weight: float
    sensitivity: dict
    days: np.ndarray = field(repr=False)
    expected: np.ndarray = field(repr=False)
    counterfactual: np.ndarray = field(repr=False)
    counterfactual_sd: np.ndarray = field(repr=False)
    posterior: object = field(repr=False, default=None)


def _design(t, d0, weekday, taus, covariates=None):
    """Base columns [intercept, trend per 100 days, 6 weekday effects, covariates...] and
    the onset rows (one per tau)."""
    x = t - d0
    wk = np.zeros((t.size, 6))
    for j in range(6):
        wk[:, j] = (weekday == j).astype(float) - (weekday == 6).astype(float)
    extra = np.zeros((t.size, 0)) if covariates is None else np.asarray(covariates, float)
    base = np.column_stack([np.ones(t.size), x / 100.0, wk, extra.reshape(t.size, -1)])
    return base, onset(x, taus)


@dataclass(frozen=True)
class _Grid:
    """Per-model posterior summaries stacked over (trend, rho, tau): K models."""

    log_w: np.ndarray  # (K, S) normalised log posterior model weights
    loc: np.ndarray  # (K, S) improvement location
    scale: np.ndarray  # (K, S) improvement scale
    df: np.ndarray  # (K,)
    parts: list  # the raw per-trend dicts
    cross: _Cross  # sufficient statistics, reusable for other priors


def _grid(
    t, Y, d0, weekday_idx, window, sign, prior, rhos, taus, weekday, m0, cross=None, cov=None
):
    """Posterior of every grid model; ``cross`` (the transformed cross-products) is reused
    when given, so re-fits under another prior cost only the small batched solves."""
    if cross is None:
        base, onsets = _design(t, d0, weekday_idx, taus, cov)
        cross = _cross(t, Y, base, onsets, rhos)
    parts = _posterior(cross, rhos, taus, prior, m0, weekday)
    gbar = window_mean_onset(window[0], window[1], taus)  # (T,)
    log_ml = np.concatenate([p["log_ml"] for p in parts])
    g = np.concatenate([np.tile(gbar, len(rhos)) for _ in parts])[:, None]
    loc = sign * g * np.concatenate([p["loc"] for p in parts])
    scale = g * np.concatenate([p["scale"] for p in parts])
    df = np.concatenate([p["df"] for p in parts])
    log_w = log_ml - _logsumexp(log_ml, axis=0)
    return _Grid(log_w, loc, scale, df, parts, cross)


def _probabilities(
    grid: _Grid, mcid: float, positive: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """P(>0) (None when ``positive`` is False), P(>=mcid), P(<=-mcid) for every column.

    Models whose posterior weight is below 1e-12 are skipped (their total contribution to
    any probability is below 1e-12 * K); this makes batched refits several times faster.
    """
    w = np.exp(grid.log_w)
    keep = w > 1e-12
    df = np.broadcast_to(grid.df[:, None], w.shape)[keep]
    loc, scale, wk = grid.loc[keep], grid.scale[keep], w[keep]
    cols = np.nonzero(keep)[1]
    n = w.shape[1]

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(cols, weights=wk * special.stdtr(df, x), minlength=n)

    p_pos = total(loc / scale) if positive else None
    p_mcid = total((loc - mcid) / scale)
    p_worse = total((-mcid - loc) / scale)
    return p_pos, p_mcid, p_worse


def fit_bayes(
    t: np.ndarray,
    y: np.ndarray,
    weekday: np.ndarray,
    *,
    first_dose_day: float,
    window: tuple[float, float],
    better: str,
    mcid: float,
    scale: tuple[float, float] = (0.0, 10.0),
    prior: Prior | None = None,
    use_weekday: bool = True,
    covariates: np.ndarray | None = None,
    rhos: np.ndarray = DEFAULT_RHOS,
    taus: np.ndarray = DEFAULT_TAUS,
    summaries: bool = True,
) -> BayesFit:
    """Fit the Bayesian-lite model to one outcome and average over the grid.

    Parameters
    ----------
    t : array of float
        Day numbers (since the first diary day) of the days with a value, increasing.
    y : array of float
        The outcome on those days (no NaN).
    weekday : array of int
        Day of week of each day (Monday = 0).
    first_dose_day : float
        Day number of the first dose.
    window : (float, float)
        First and last day of the evaluation window, in days since the first dose.
    better : {"lower", "higher"}
        Direction of improvement.
    mcid : float
        Minimal clinically important difference (points).
    scale : (float, float)
        The outcome's scale; the intercept prior is centred on its midpoint.
    prior : Prior, optional
        Prior scales (defaults documented in the module docstring).
    use_weekday : bool
        Include effect-coded day-of-week terms.
    covariates : array, shape (n, m), optional
        Extra regressors in every model (e.g. the patient's other outcomes' residuals, which
        carry the day-to-day noise the outcomes share), prior ``N(0, covariate_sd^2 s^2)``.
    rhos, taus : arrays
        The model grid.
    summaries : bool, default True
        False skips the interval and the prior-sensitivity re-fits (``low``/``high`` NaN),
        for a quick first pass whose fitted level is all that is needed.

    Returns
    -------
    BayesFit
    """
    prior = prior or Prior()
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    sign = 1.0 if better == "higher" else -1.0
    m0 = 0.5 * (scale[0] + scale[1])
    args = (t, y[:, None], first_dose_day, np.asarray(weekday), window, sign)
    grid = _grid(*args, prior, rhos, taus, use_weekday, m0, cov=covariates)
    w = np.exp(grid.log_w[:, 0])
    mix = Mixture(w, grid.loc[:, 0], grid.scale[:, 0], grid.df)
    p_pos, p_mcid, p_worse = (float(v[0]) for v in _probabilities(grid, mcid))
    sensitivity = {}
    for label, factor in (("narrow", 0.5), ("wide", 2.0)) if summaries else ():
        alt = Prior(**{**prior.__dict__, "effect_sd": prior.effect_sd * factor})
        g_alt = _grid(*args, alt, rhos, taus, use_weekday, m0, cross=grid.cross)
        _, pm, pw = _probabilities(g_alt, mcid, positive=False)
        sensitivity[label] = (float(pm[0]), float(pw[0]))
    K_t = len(rhos) * len(taus)
    tau_of = np.tile(np.tile(taus, len(rhos)), 2)
    rho_of = np.tile(np.repeat(rhos, len(taus)), 2)
    onset_w = {float(tau): float(w[tau_of == tau].sum()) for tau in taus}
    days, expected, cf, cf_sd = _paths(grid, w, t, first_dose_day, taus)
    return BayesFit(
        improvement=mix,
        mean=mix.mean,
        low=mix.ppf(0.025) if summaries else np.nan,
        high=mix.ppf(0.975) if summaries else np.nan,
        p_improvement=p_pos,
        p_mcid=p_mcid,
        p_worsening=p_worse,
        onset_weights=onset_w,
        rho_mean=float(np.sum(w * rho_of)),
        trend_weight=float(w[K_t:].sum()),
        sensitivity=sensitivity,
        days=days,
        expected=expected,
        counterfactual=cf,
        counterfactual_sd=cf_sd,
        posterior=grid,
    )


def _paths(grid: _Grid, w: np.ndarray, t: np.ndarray, d0: float, taus: np.ndarray):
    """Mixture mean of the level with and without treatment on every calendar day.

    The counterfactual SD combines, per model, the posterior variance of the baseline level
    and trend (Student-t variance ``rate / (shape - 1) * c'Vc``) with the spread between models.
    """
    days = np.arange(t[0], t[-1] + 1.0)
    x = days - d0
    g = onset(x, taus)  # (T, D)
    T = len(taus)
    exp_mean = np.zeros_like(days)
    cf_m1 = np.zeros_like(days)
    cf_m2 = np.zeros_like(days)
    start = 0
    for part in grid.parts:
        trend = bool(part["trend"][0])
        k = part["mean"].shape[0]
        wk = w[start : start + k]
        start += k
        C = np.column_stack([np.ones_like(days)] + ([x / 100.0] if trend else []))
        nc = C.shape[1]
        coef = part["mean"][:, :, 0]  # (k, p)
        cf = C @ coef[:, :nc].T  # (D, k)
        scale2 = part["rate_n"][:, 0] / (part["shape_n"] - 1.0)  # (k,)
        var = np.einsum("di,kij,dj->dk", C, part["cov_unit"][:, :nc, :nc], C) * scale2
        effect = coef[:, -1][None, :] * g[np.arange(k) % T].T  # (D, k)
        exp_mean += (cf + effect) @ wk
        cf_m1 += cf @ wk
        cf_m2 += (var + cf**2) @ wk
    cf_sd = np.sqrt(np.maximum(cf_m2 - cf_m1**2, 0.0))
    return days, exp_mean, cf_m1, cf_sd
