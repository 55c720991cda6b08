"""Closed-form, simulation and behaviour checks of the gradual effects model (ldn_n1.gem).

The comparison with ``SingleCaseES::gem_scd`` on published data is in
``tests/reference/test_reference_gem.py``; these tests need no reference data.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import minimize
from statsmodels.genmod.families.family import Binomial
from statsmodels.genmod.generalized_linear_model import GLM

from ldn_n1.errors import AnalysisError
from ldn_n1.gem import (
    days_to_effect_fraction,
    fit_gem,
    gem_covariate,
    half_effect_days,
)

AB = np.r_[np.zeros(20), np.ones(50)]
ABAB = np.r_[np.zeros(8), np.ones(8), np.zeros(8), np.ones(8)]


def _exact_covariate(omega: Fraction, trt: list[int], m: int) -> tuple[list, list]:
    """f and df/domega in exact rational arithmetic (the model's definition, gem_model.md 2)."""
    f, df = [], []
    for i in range(len(trt)):
        s = sum(omega ** (i - j) * trt[j] for j in range(i + 1))
        ds = sum((i - j) * omega ** (i - j - 1) * trt[j] for j in range(i) if trt[j])
        if omega == 1:  # limits: g = 1/m, g' = -(m - 1) / (2m)
            g, dg = Fraction(1, m), Fraction(-(m - 1), 2 * m)
        else:
            d = 1 - omega**m
            g = (1 - omega) / d
            dg = (-d + (1 - omega) * m * omega ** (m - 1)) / d**2
        f.append(g * s)
        df.append(dg * s + g * ds)
    return f, df


@pytest.mark.parametrize("omega", [0.0, 0.3, 0.9, 0.999, 1 - 6.6e-5, 1 - 1.5e-8, 1.0])
def test_covariate_and_derivative_exact(omega: float) -> None:
    """f and df/domega agree with exact rational arithmetic, also next to omega = 1.

    gem_scd's own formula loses ~8 digits at 1 - 1.5e-8; the series starts treated, the
    case where gem_scd drops a term of the derivative.
    """
    trt = [1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]
    f, df = gem_covariate(omega, trt, m=5)
    f_exact, df_exact = _exact_covariate(Fraction(omega), trt, 5)
    np.testing.assert_allclose(f, [float(v) for v in f_exact], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(df, [float(v) for v in df_exact], rtol=1e-9, atol=1e-12)


def test_covariate_limits_and_fractional_m() -> None:
    """omega = 0 is the step, omega = 1 the cumulative ramp; non-integer m by differences."""
    trt = ABAB
    np.testing.assert_array_equal(gem_covariate(0.0, trt, 6)[0], trt)
    np.testing.assert_allclose(gem_covariate(1.0, trt, 6)[0], np.cumsum(trt) / 6, rtol=1e-15)
    h, w, m = 1e-6, 0.7, 4.5
    num = (gem_covariate(w + h, trt, m)[0] - gem_covariate(w - h, trt, m)[0]) / (2 * h)
    np.testing.assert_allclose(gem_covariate(w, trt, m)[1], num, rtol=1e-7, atol=1e-9)


def test_half_effect_days() -> None:
    """log(2)/-log(omega); 90 % of the full effect by day 56 is a time constant of 24.3 days."""
    w = 0.9
    k = half_effect_days(w)
    assert k == pytest.approx(math.log(2) / -math.log(w), rel=1e-15)
    assert 1 - w**k == pytest.approx(0.5, rel=1e-14)
    tau = 56 / math.log(10)
    assert days_to_effect_fraction(math.exp(-1 / tau), 0.9) == pytest.approx(56, rel=1e-12)
    assert half_effect_days(0.0) == 0.0
    assert half_effect_days(1.0) == math.inf
    with pytest.raises(AnalysisError, match="0 < fraction < 1"):
        days_to_effect_fraction(0.5, 1.0)


def test_simulation_recovers_omega_and_effect() -> None:
    """Gaussian series with omega = 0.9 (half effect in 6.6 days), effect -2 after m = 60."""
    trt = np.r_[np.zeros(30), np.ones(60)]
    f, _ = gem_covariate(0.9, trt, 60)
    fits = [
        fit_gem(6 - 2 * f + np.random.default_rng(seed).normal(0, 0.7, trt.size), trt, m=60)
        for seed in range(12)
    ]
    omega = np.array([x.omega for x in fits])
    beta1 = np.array([x.beta1 for x in fits])
    se_omega = np.array([x.se_omega_delta for x in fits])
    assert np.all(np.abs(omega - 0.9) < 4 * se_omega)  # every seed within 4 SE
    assert abs(omega.mean() - 0.9) < 0.02  # bias small (SE of the mean ~ 0.007)
    assert abs(beta1.mean() + 2) < 0.15  # SE of the mean ~ 0.05
    # the delta-method SE describes the spread across seeds (ratio 0.5-2 for 12 seeds)
    assert 0.5 < omega.std(ddof=1) / se_omega.mean() < 2


def test_missing_days_keep_the_clock() -> None:
    """NaN outcomes are excluded and counted; same fit as the rows removed on the same time axis."""
    rng = np.random.default_rng(7)
    mu = np.exp(1.5 - 0.8 * gem_covariate(0.8, AB, 50)[0])
    y = rng.poisson(mu).astype(float)
    drop = [3, 7, 25, 26, 40, 55]  # none at the change of phase (row 20)
    y_nan = y.copy()
    y_nan[drop] = np.nan
    a = fit_gem(y_nan, AB, family="poisson")
    b = fit_gem(
        np.delete(y, drop),
        np.delete(AB, drop),
        time=np.delete(np.arange(70), drop),
        family="poisson",
    )
    assert (a.n_obs, a.n_missing, a.n_gaps, a.n_excluded) == (64, 6, 0, 6)
    assert (b.n_obs, b.n_missing, b.n_gaps, b.n_excluded) == (64, 0, 6, 6)
    for q in ("omega", "beta0", "beta1", "se_beta1_glm", "se_omega_delta", "deviance"):
        np.testing.assert_allclose(getattr(a, q), getattr(b, q), rtol=1e-9, err_msg=q)
    sa, sb = a.series(), b.series()
    assert len(sa) == len(sb) == 70
    np.testing.assert_array_equal(sa["excluded"], sb["excluded"])
    np.testing.assert_allclose(sa["covariate"], gem_covariate(a.omega, AB, 50)[0], rtol=1e-14)
    # dates give the same time axis as day numbers
    days = np.datetime64("2025-01-01") + np.delete(np.arange(70), drop).astype("timedelta64[D]")
    c = fit_gem(np.delete(y, drop), np.delete(AB, drop), time=days, family="poisson")
    assert c.omega == pytest.approx(b.omega, abs=1e-12)
    # gem_scd-style (rows taken as consecutive) is a different, wrong clock
    d = fit_gem(np.delete(y, drop), np.delete(AB, drop), family="poisson")
    assert d.n_excluded == 0
    assert abs(d.deviance - a.deviance) > 1e-6


def test_gap_days_carry_treatment_forward() -> None:
    """A day absent from ``time`` keeps the previous row's treatment."""
    y = np.array([3.0, 2.9, 3.2, 3.1, 2.0, 1.6, 1.5, 1.4, 1.2])
    trt = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    time = np.array([0, 1, 2, 3, 6, 7, 8, 10, 11])
    fit = fit_gem(y, trt, time=time, omega=0.5)
    s = fit.series()
    assert s["time"].tolist() == list(range(12))
    assert s["treatment"].tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert s["excluded"].sum() == fit.n_gaps == 3


def test_global_search_beats_badly_started_local_optimiser() -> None:
    """On multimodal profiles the grid + refinement finds the lowest deviance."""
    shape = np.r_[np.zeros(8), np.full(8, -2.0), np.zeros(8), np.linspace(0, -3, 8)]
    grid = np.linspace(0, 1, 101)
    worse = 0
    for seed in range(10):
        y = 5 + shape + np.random.default_rng(seed).normal(0, 1, ABAB.size)
        fit = fit_gem(y, ABAB, m=8)

        def dev(w: np.ndarray, y: np.ndarray = y) -> float:
            return fit_gem(y, ABAB, m=8, omega=float(np.clip(w[0], 0, 1))).deviance

        tol = 1e-9 * (1 + fit.deviance)
        for x0 in (0.02, 0.98):  # started at the wrong end
            local = minimize(dev, x0=[x0], method="L-BFGS-B", bounds=[(0, 1)]).fun
            assert fit.deviance <= local + tol
            worse += local > fit.deviance + 1e-3
        assert fit.deviance <= min(dev(np.array([w])) for w in grid) + tol
    assert worse >= 2  # the local optimiser did get stuck somewhere: the check has teeth


def test_omega_does_not_depend_on_m() -> None:
    """m rescales the covariate only: same omega and deviance, beta1 scales as 1 - omega**m."""
    y = 5 + np.r_[np.zeros(8), np.full(8, -2.0), np.zeros(8), np.full(8, -2.5)]
    y = y + np.random.default_rng(1).normal(0, 0.5, ABAB.size)
    a, b = fit_gem(y, ABAB, m=4), fit_gem(y, ABAB, m=10)
    assert a.omega == pytest.approx(b.omega, abs=1e-7)
    assert a.deviance == pytest.approx(b.deviance, rel=1e-12)
    assert a.equilibrium_effect == pytest.approx(b.equilibrium_effect, rel=1e-6)
    assert a.beta1 / (1 - a.omega**4) == pytest.approx(a.equilibrium_effect, rel=1e-12)


def test_binomial_trials_match_two_column_glm() -> None:
    """With trials, the fit at its omega equals statsmodels' (successes, failures) GLM."""
    trials = np.full(AB.size, 12.0)
    p = 1 / (1 + np.exp(-(-1.0 + 1.5 * gem_covariate(0.7, AB, 50)[0])))
    k = np.random.default_rng(3).binomial(12, p).astype(float)
    fit = fit_gem(k, AB, family="binomial", trials=trials)
    x = np.column_stack([np.ones(AB.size), gem_covariate(fit.omega, AB, 50)[0]])
    ref = GLM(np.column_stack([k, trials - k]), x, family=Binomial()).fit()
    np.testing.assert_allclose([fit.beta0, fit.beta1], ref.params, rtol=1e-8)
    np.testing.assert_allclose(fit.se_beta1_glm, ref.bse[1], rtol=1e-6)
    assert fit.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert fit.dispersion == 1.0
    quasi = fit_gem(k, AB, family="quasibinomial", trials=trials)
    assert quasi.beta1 == pytest.approx(fit.beta1, rel=1e-8)
    assert quasi.dispersion == pytest.approx(ref.pearson_chi2 / (AB.size - 2), rel=1e-6)
    # canonical link with an intercept: fitted successes add up to the observed ones
    assert fit.series()["fitted"].sum() == pytest.approx(k.sum(), rel=1e-9)


def test_series_fitted_and_counterfactual() -> None:
    """fitted = exp(beta0 + beta1 f), counterfactual = exp(beta0); effect is their difference."""
    y = np.random.default_rng(5).poisson(np.exp(1.2 - 0.6 * gem_covariate(0.6, AB, 50)[0]))
    fit = fit_gem(y.astype(float), AB, family="quasipoisson")
    s = fit.series()
    f = gem_covariate(fit.omega, AB, 50)[0]
    np.testing.assert_allclose(s["fitted"], np.exp(fit.beta0 + fit.beta1 * f), rtol=1e-14)
    np.testing.assert_allclose(s["counterfactual"], np.exp(fit.beta0), rtol=1e-14)
    np.testing.assert_allclose(s["effect"], s["fitted"] - s["counterfactual"], rtol=1e-14)
    assert s["fitted"].sum() == pytest.approx(y.sum(), rel=1e-9)  # poisson score equation
    frame = fit.to_frame()
    assert frame["parameter"].tolist() == ["beta0", "beta1", "omega"]
    assert frame.loc[2, "se_delta"] == fit.se_omega_delta
    d = json.loads(json.dumps(fit.to_dict()))
    assert d["omega"] == fit.omega
    assert d["n_obs"] == 70
    assert repr(fit).startswith("GemFit(quasipoisson, omega=")


def test_noise_free_gaussian_is_recovered() -> None:
    """A perfect gaussian fit (dispersion 0) is not taken for separation."""
    f, _ = gem_covariate(0.75, AB, 50)
    fit = fit_gem(4.0 + 1.5 * f, AB)
    assert fit.omega == pytest.approx(0.75, abs=1e-6)
    assert fit.beta1 == pytest.approx(1.5, rel=1e-6)
    assert fit.deviance == pytest.approx(0.0, abs=1e-12)


def test_input_does_not_change() -> None:
    """The caller's arrays are left untouched."""
    y = np.r_[np.full(10, 4.0), np.full(10, 2.0)] + np.tile([0.3, -0.3], 10)
    y[4] = np.nan
    trt = np.r_[np.zeros(10), np.ones(10)]
    before = y.copy(), trt.copy()
    fit_gem(y, trt)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(trt, before[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "gamma"}, "unknown family 'gamma'"),
        ({"y": np.full(20, 3.0)}, "outcome is constant"),
        ({"treatment": np.zeros(20)}, "no treated time point"),
        ({"time": np.r_[0:10, 9:19]}, "strictly increasing"),
        ({"time": np.arange(20) + 0.5}, "whole number"),
        ({"family": "binomial"}, r"proportions in \[0, 1\]"),
        ({"family": "gaussian", "trials": np.ones(20)}, "trials only applies"),
        ({"omega_bounds": (0.5, 0.2)}, "omega_bounds"),
        ({"y": np.r_[np.arange(1.0, 11.0), np.zeros(10)], "family": "poisson"}, "separates"),
        ({"y": np.r_[np.full(10, 0.6), np.zeros(10)], "family": "binomial"}, "separates"),
    ],
)
def test_errors(kwargs: dict, match: str) -> None:
    """Bad input or an impossible fit raises AnalysisError with a message saying why."""
    args = {"y": np.r_[np.full(10, 4.0), np.full(10, 2.0)] + np.tile([0.3, -0.3], 10)}
    args["treatment"] = np.r_[np.zeros(10), np.ones(10)]
    args |= kwargs
    with pytest.raises(AnalysisError, match=match):
        fit_gem(args.pop("y"), args.pop("treatment"), **args)
