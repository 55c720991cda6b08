"""Checks of the Bayesian-lite model against independent computations.

- The gap-aware AR(1) likelihood equals statsmodels' state-space ``SARIMAX(order=(1, 0, 0))``
  log-likelihood at the same parameters, on the daily series with missing days as NaN.
- The conjugate marginal likelihood and posterior equal brute-force numerical integration
  over (intercept, effect, variance) of a multivariate-normal likelihood built directly from
  the AR(1) covariance matrix.
- Seeded simulation with known truth: bias and 95% interval coverage.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, special, stats
from statsmodels.tsa.statespace.sarimax import SARIMAX

from ldn_n1.bayes import Prior, _grid, ar1_loglike, fit_bayes
from ldn_n1.features import onset, window_mean_onset


def _series(seed, n=60, d0=20, rho=0.6, effect=-2.0, tau=10.0, sd=1.5, missing=0.2):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    e = np.zeros(n)
    e[0] = rng.normal(0, sd)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal(0, sd * np.sqrt(1 - rho**2))
    y = 6.0 + effect * onset(t - d0, tau) + e
    keep = rng.random(n) > missing
    keep[[0, d0 - 1, d0, n - 1]] = True
    return t, y, keep


@pytest.mark.parametrize("rho", [0.0, 0.35, 0.8])
def test_ar1_loglike_matches_sarimax_with_missing_days(rho):
    t, y, keep = _series(1, rho=rho)
    mean = 5.5 + 0.01 * t
    var_marginal = 2.3
    ours = ar1_loglike(y[keep], t[keep], mean[keep], rho, var_marginal)
    y_nan = np.where(keep, y, np.nan)
    model = SARIMAX(y_nan - mean, order=(1, 0, 0), trend="n")
    ref = model.loglike(np.array([rho, var_marginal * (1 - rho**2)]))
    assert ours == pytest.approx(ref, rel=1e-10, abs=1e-9)


def _brute_force(t, y, g, rho, prior: Prior, m0):
    """Marginal likelihood and posterior of delta by 3-D quadrature (no conjugacy used)."""
    corr = rho ** np.abs(t[:, None] - t[None, :])
    chol = linalg.cholesky(corr, lower=True)
    logdet_corr = 2 * np.sum(np.log(np.diag(chol)))
    n = len(y)
    ones_w = linalg.solve_triangular(chol, np.ones(n), lower=True)
    g_w = linalg.solve_triangular(chol, g, lower=True)
    y_w = linalg.solve_triangular(chol, y, lower=True)
    # Grids centred on the GLS estimate, +-8 standard errors (no conjugate result used).
    X = np.column_stack([ones_w, g_w])
    beta, *_ = np.linalg.lstsq(X, y_w, rcond=None)
    s2 = np.sum((y_w - X @ beta) ** 2) / (n - 2)
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * s2)
    a = np.linspace(beta[0] - 8 * se[0], beta[0] + 8 * se[0], 201)
    d = np.linspace(beta[1] - 8 * se[1], beta[1] + 8 * se[1], 201)
    lv = np.linspace(np.log(s2) - 3, np.log(s2) + 3, 201)
    A, D, LV = np.meshgrid(a, d, lv, indexing="ij")
    V = np.exp(LV)
    # Quadratic form expanded so that no (grid x n) array is needed.
    quad = (
        y_w @ y_w
        - 2 * A * (ones_w @ y_w)
        - 2 * D * (g_w @ y_w)
        + A**2 * (ones_w @ ones_w)
        + 2 * A * D * (ones_w @ g_w)
        + D**2 * (g_w @ g_w)
    )
    loglik = -0.5 * n * np.log(2 * np.pi * V) - 0.5 * logdet_corr - 0.5 * quad / V
    logprior = (
        stats.norm.logpdf(A, m0, np.sqrt(V) * prior.intercept_sd)
        + stats.norm.logpdf(D, 0, np.sqrt(V) * prior.effect_sd)
        + stats.invgamma.logpdf(V, prior.var_shape, scale=prior.var_scale)
        + LV  # Jacobian of the log-variance grid
    )
    logpost = loglik + logprior
    step = (a[1] - a[0]) * (d[1] - d[0]) * (lv[1] - lv[0])
    log_ml = special.logsumexp(logpost) + np.log(step)
    w = np.exp(logpost - logpost.max())
    w /= w.sum()
    return log_ml, float(np.sum(w * D)), w, D


@pytest.mark.parametrize(("rho", "tau"), [(0.0, 7.0), (0.5, 14.0)])
def test_conjugate_posterior_matches_numerical_integration(rho, tau):
    t, y, keep = _series(3, n=24, d0=8, rho=0.5, effect=-2.0, tau=5.0, missing=0.15)
    t, y = t[keep], np.round(y[keep])
    prior = Prior()
    m0 = 5.0
    grid = _grid(
        t,
        y[:, None],
        8.0,
        np.zeros(t.size, int),
        (0.0, 15.0),
        1.0,
        prior,
        np.array([rho]),
        np.array([tau]),
        False,
        m0,
    )
    # model 0 = no trend, the only (rho, tau): compare its log marginal likelihood
    log_ml_conj = grid.parts[0]["log_ml"][0, 0] - np.log(1.0 - prior.trend_probability)
    g = onset(t - 8.0, tau)
    log_ml_bf, mean_delta_bf, w, D = _brute_force(t, y, g, rho, prior, m0)
    assert log_ml_conj == pytest.approx(log_ml_bf, abs=2e-3)
    assert grid.parts[0]["loc"][0, 0] == pytest.approx(mean_delta_bf, abs=2e-3)
    # P(delta >= c) from the Student-t posterior vs the quadrature (trapezoid at the edge)
    part = grid.parts[0]
    loc, scale, df = part["loc"][0, 0], part["scale"][0, 0], part["df"][0]
    c = D[0, np.argmin(np.abs(D[0, :, 0] - 0.0)), 0]
    p_conj = stats.t.sf((c - loc) / scale, df)
    p_bf = float(np.sum(w[D > c]) + 0.5 * np.sum(w[D == c]))
    assert p_conj == pytest.approx(p_bf, abs=5e-3)


def test_window_mean_onset_closed_form():
    tau = 24.0
    got = window_mean_onset(80, 107, tau)
    days = np.arange(80, 108)
    assert got == pytest.approx(np.mean(1 - np.exp(-days / tau)), rel=1e-12)
    assert window_mean_onset(0, 9, 0.0) == pytest.approx(1.0)


def _simulate_fits(n_series, **kwargs):
    n, d0, tau, effect = 120, 28, 14.0, -2.5
    errors, covered = [], []
    for seed in range(n_series):
        t, y, keep = _series(100 + seed, n=n, d0=d0, rho=0.6, effect=effect, tau=tau)
        t, y = t[keep], np.round(np.clip(y[keep], 0, 10))
        window = (n - d0 - 28.0, n - d0 - 1.0)
        fit = fit_bayes(
            t,
            y,
            t.astype(int) % 7,
            first_dose_day=d0,
            window=window,
            better="lower",
            mcid=2.0,
            **kwargs,
        )
        truth = -effect * window_mean_onset(*window, tau)
        errors.append(fit.mean - truth)
        covered.append(fit.low <= truth <= fit.high)
    return np.array(errors), np.array(covered)


def test_simulated_bias_and_coverage_when_model_matches_truth():
    """AR(1) + gradual onset, no trend: unbiased and near-nominal 95% coverage."""
    errors, covered = _simulate_fits(
        60, prior=Prior(effect_sd=6.0, trend_probability=1e-9), use_weekday=False
    )
    assert abs(errors.mean()) < 3 * errors.std() / np.sqrt(errors.size) + 0.05
    assert covered.mean() >= 0.87  # nominal 0.95; 60 series: binomial SE 0.028


def test_default_model_is_conservative():
    """The default model (trend averaged in, effect prior 2 SD) shrinks towards no effect."""
    errors, covered = _simulate_fits(40)
    assert -0.6 < errors.mean() < 0.1
    assert covered.mean() >= 0.9


def test_mixture_quantiles_and_probabilities():
    from ldn_n1.bayes import Mixture

    single = Mixture(np.array([1.0]), np.array([1.5]), np.array([0.7]), np.array([12.0]))
    for q in (0.025, 0.5, 0.975):
        assert single.ppf(q) == pytest.approx(1.5 + 0.7 * stats.t.ppf(q, 12.0), abs=1e-9)
    mix = Mixture(
        np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.5, 1.0]), np.array([8.0, 30.0])
    )
    for q in (0.025, 0.3, 0.975):
        assert mix.cdf(mix.ppf(q)) == pytest.approx(q, abs=1e-9)
    assert mix.mean == pytest.approx(0.3 * -1.0 + 0.7 * 2.0)
    assert mix.sf(0.4) + mix.cdf(0.4) == pytest.approx(1.0)
