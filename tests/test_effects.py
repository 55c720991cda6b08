"""Property, closed-form and independent checks of the single-case effect sizes.

The reference numbers (SingleCaseES 0.7.4 on published series) are checked in
``tests/reference/test_reference_singlecasees.py``; here: invariances the definitions imply,
brute-force re-computations, the literal values printed in SingleCaseES's own tests
(Parker, Vannest & Davis 2011; Tarlow 2017), and input handling.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from ldn_n1.effects import (
    EffectSize,
    calc_effect_sizes,
    ird,
    lor,
    lrm,
    lrr_d,
    lrr_i,
    nap,
    pand,
    pct_change,
    pem,
    pnd,
    pogo,
    smd,
    tau,
    tau_bc,
    tau_u,
    truncation_constant,
)
from ldn_n1.effects_base import r_mean, r_median, r_var, r_zeroin
from ldn_n1.effects_taubc import kendall_tau_b_float32, kendall_trend_pvalue
from ldn_n1.errors import AnalysisError, PlanError

FAST = settings(max_examples=60, deadline=None)

# small integer-valued phases: ties are frequent, and every transform below is exact
phase = st.lists(st.integers(-20, 20), min_size=1, max_size=9)
phase2 = st.lists(st.integers(-20, 20), min_size=2, max_size=9)
positive = st.lists(st.integers(1, 40), min_size=2, max_size=9)

# Parker, Vannest & Davis (2011), as in SingleCaseES's test-parker-vannest-davis-2011.R
PVD_A = [20, 20, 26, 25, 22, 23]
PVD_B = [28, 25, 24, 27, 30, 30, 29]


def _increasing(x: list[int]) -> np.ndarray:
    """A strictly increasing, non-linear map that is exact on small integers."""
    v = np.asarray(x, dtype=float)
    return v**3 + 7 * v + 1000


# ---------------------------------------------------------------------------------------
# Closed forms and literal values
# ---------------------------------------------------------------------------------------


def test_parker_vannest_davis_2011_values():
    assert pnd(PVD_A, PVD_B).estimate == pytest.approx(5 / 7, abs=1e-12)
    assert pand(PVD_A, PVD_B).estimate == pytest.approx(1 - 2 / 13, abs=1e-12)
    assert pem(PVD_A, PVD_B).estimate == 1.0
    assert ird(PVD_A, PVD_B).estimate == pytest.approx(6 / 7 - 1 / 6, abs=1e-12)
    assert nap(PVD_A, PVD_B).estimate == pytest.approx(38.5 / 42, abs=1e-12)
    assert tau(PVD_A, PVD_B).estimate == pytest.approx(35 / 42, abs=1e-12)
    assert tau([3, 3, 4, 5], [4, 5, 6, 7, 7]).estimate == pytest.approx(16 / 20, abs=1e-12)
    assert tau_u([3, 3, 4, 5], [4, 5, 6, 7, 7]).estimate == pytest.approx(11 / 20, abs=1e-12)


def test_tarlow_2017_linear_series():
    a, b = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    assert tau(a, b).estimate == 1.0
    assert tau_u(a, b).estimate == pytest.approx(0.6, abs=1e-12)
    # the Theil-Sen line fits both phases exactly: no effect left after correction
    res = tau_bc(a, b)
    assert res.estimate == 0.0
    assert (res.detail("slope"), res.detail("intercept")) == (1.0, 0.0)
    assert tau_bc(a, b, kendall=True).estimate == 0.0


@FAST
@given(phase, phase)
def test_nap_tau_pnd_by_brute_force(a, b):
    wins = sum(Fraction(1) if y > x else Fraction(1, 2) if y == x else 0 for x in a for y in b)
    n_pairs = len(a) * len(b)
    assert nap(a, b).estimate == pytest.approx(float(wins / n_pairs), abs=1e-15)
    s = sum((y > x) - (y < x) for x in a for y in b)
    assert tau(a, b).estimate == pytest.approx(s / n_pairs, abs=1e-15)
    trend = sum((a[k] > a[i]) - (a[k] < a[i]) for i in range(len(a)) for k in range(i + 1, len(a)))
    assert tau_u(a, b).estimate == pytest.approx((s - trend) / n_pairs, abs=1e-15)
    assert pnd(a, b).estimate == pytest.approx(sum(y > max(a) for y in b) / len(b), abs=1e-15)


@FAST
@given(phase, phase)
def test_pand_and_ird_by_threshold_search(a, b):
    # keeping all A <= c and all B > c is non-overlapping; c = largest kept A is optimal
    best = max(
        sum(x <= c for x in a) + sum(y > c for y in b) for c in [-math.inf, *a]
    )  # fmt: skip
    m, n = len(a), len(b)
    assert pand(a, b).estimate == pytest.approx(best / (m + n), abs=1e-15)
    expected_ird = ((m + n) * best - m * m - n * n) / (2 * m * n)
    assert ird(a, b).estimate == pytest.approx(expected_ird, abs=1e-12)


@FAST
@given(phase2, phase)
def test_smd_closed_form(a, b):
    sd_a = np.std(a, ddof=1)
    res = smd(a, b, bias_correct=False)
    if sd_a == 0:
        assert not math.isfinite(res.estimate)
        assert res.notes[-1].startswith("There is no variation")
        return
    d = (np.mean(b) - np.mean(a)) / sd_a
    assert res.estimate == pytest.approx(d, rel=1e-12, abs=1e-12)
    df = len(a) - 1
    j = 1 - 3 / (4 * df - 1)
    assert smd(a, b).estimate == pytest.approx(j * d, rel=1e-12, abs=1e-12)


@FAST
@given(positive, positive)
def test_lrr_without_truncation_is_log_ratio_of_means(a, b):
    res = lrr_i(a, b, scale="other", bias_correct=False)
    assert res.estimate == pytest.approx(math.log(np.mean(b) / np.mean(a)), abs=1e-12)
    # for counts the two ratios differ only in sign under the same direction of improvement
    res_d = lrr_d(a, b, scale="other", bias_correct=False, improvement="increase")
    assert res_d.estimate == -res.estimate
    assert lrr_d(a, b, scale="other", bias_correct=False).estimate == res.estimate
    pc = pct_change(a, b, lrr="LRRi", scale="other", bias_correct=False)
    assert pc.estimate == pytest.approx(100 * (np.mean(b) / np.mean(a) - 1), rel=1e-10)
    assert math.isnan(pc.se)


def test_lrm_is_log_ratio_of_medians_with_bonett_price_se():
    a, b = [4.0, 6.0, 5.0, 9.0, 7.0], [10.0, 12.0, 9.0, 14.0]
    res = lrm(a, b)
    assert res.estimate == pytest.approx(math.log(11.0 / 6.0), abs=1e-14)
    # n = 5 and n = 4: o1 = 1 (round(2.5 - 2.24) = 0 -> 1), so the extremes are used
    var_a = ((math.log(9) - math.log(4)) / (2 * stats.norm.ppf(1 - 0.5**5))) ** 2
    var_b = ((math.log(14) - math.log(9)) / (2 * stats.norm.ppf(1 - 0.5**4))) ** 2
    assert res.se == pytest.approx(math.sqrt(var_a + var_b), rel=1e-12)


def test_pogo_closed_form():
    a, b = [2.0, 4.0, 3.0], [7.0, 8.0, 9.0]
    res = pogo(a, b, goal=10)
    assert res.estimate == pytest.approx(100 * (8 - 3) / (10 - 3), rel=1e-14)
    var = (1 / 3 + 1 / 3 + (5 / 7) ** 2 * 1 / 3) / 7**2
    assert res.se == pytest.approx(100 * math.sqrt(var), rel=1e-12)


def test_lor_closed_form_without_truncation():
    a, b = [0.2, 0.3, 0.25], [0.5, 0.6, 0.55]
    res = lor(a, b, scale="proportion", bias_correct=False)
    expected = math.log(0.55 / 0.45) - math.log(0.25 / 0.75)
    assert res.estimate == pytest.approx(expected, rel=1e-12)
    assert lor(a, b, scale="prop", bias_correct=False, improvement="decrease").estimate == (
        pytest.approx(-res.estimate, rel=1e-12)
    )


def test_truncation_constants():
    assert truncation_constant("count") == 1.0
    assert truncation_constant("Rate", observation_length=20) == 20.0
    assert truncation_constant("prop", intervals=90) == 90.0
    assert truncation_constant("percentage", intervals=20) == 0.2
    assert math.isinf(truncation_constant("percentage"))
    assert math.isinf(truncation_constant("other", observation_length=10))
    assert math.isinf(truncation_constant(None))


# ---------------------------------------------------------------------------------------
# Invariances
# ---------------------------------------------------------------------------------------


@FAST
@given(phase)
def test_nap_of_identical_phases_is_one_half(a):
    assert nap(a, a).estimate == 0.5
    assert tau(a, a).estimate == 0.0


@FAST
@given(phase, phase)
def test_swapping_phases_mirrors_nap_and_tau(a, b):
    assert nap(b, a).estimate == pytest.approx(1 - nap(a, b).estimate, abs=1e-15)
    assert tau(b, a).estimate == pytest.approx(-tau(a, b).estimate, abs=1e-15)
    # reversing the direction of improvement is the same mirror
    assert nap(a, b, improvement="decrease").estimate == pytest.approx(nap(b, a).estimate)


@FAST
@given(phase, phase)
def test_rank_measures_invariant_to_monotone_transforms(a, b):
    fa, fb = _increasing(a), _increasing(b)
    for fn in (nap, tau, tau_u, pnd, pand, ird):
        assert fn(fa, fb).estimate == fn(a, b).estimate, fn.__name__
        # a decreasing transform with the direction reversed gives the same value
        assert fn(-fa, -fb, improvement="decrease").estimate == fn(a, b).estimate, fn.__name__
    nap_ab, nap_f = nap(a, b), nap(fa, fb)
    np.testing.assert_array_equal(
        [nap_f.se, nap_f.ci_low, nap_f.ci_high], [nap_ab.se, nap_ab.ci_low, nap_ab.ci_high]
    )


@FAST
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=4).map(lambda v: v * 2 + v[:1]), phase)
def test_pem_invariant_to_monotone_transforms_for_odd_baselines(a, b):
    # with an odd baseline the median is an observed value; with an even one it is the mean
    # of two values, which a non-linear transform does not preserve
    assert len(a) % 2 == 1
    assert pem(_increasing(a), _increasing(b)).estimate == pem(a, b).estimate


@FAST
@given(phase2, phase)
def test_confidence_intervals_contain_the_estimate(a, b):
    results = [
        nap(a, b),
        nap(a, b, se="Hanley", confidence=0.9),
        tau(a, b, se="null"),
        tau(a, b, ci_root="exact"),
        smd(a, b, std_dev="pool"),
    ]
    if len(a) >= 2:
        results += [tau_bc(a, b), tau_bc(a, b, kendall=True)]
    pos_a, pos_b = [abs(v) + 1 for v in a], [abs(v) + 1 for v in b]
    results += [
        lrr_i(pos_a, pos_b),
        lrr_d(pos_a, pos_b, improvement="increase"),
        lrm(pos_a, pos_b, delta_method=True),
        pogo(pos_a, pos_b, goal=100),
        lor([v / 100 for v in pos_a], [v / 100 for v in pos_b], scale="proportion"),
    ]
    for res in results:
        if math.isfinite(res.estimate) and math.isfinite(res.se):
            assert res.ci_low <= res.estimate <= res.ci_high, res


@FAST
@given(phase2, phase2)
def test_newcombe_limits_are_roots_within_uniroot_tolerance(a, b):
    r_res, exact = nap(a, b), nap(a, b, ci_root="exact")
    assert 0 <= exact.ci_low <= exact.estimate <= exact.ci_high <= 1
    assert r_res.ci_low == pytest.approx(exact.ci_low, abs=2**-13)
    assert r_res.ci_high == pytest.approx(exact.ci_high, abs=2**-13)


# ---------------------------------------------------------------------------------------
# Independent re-computations of the emulated R numerics
# ---------------------------------------------------------------------------------------


@FAST
@given(st.lists(st.integers(-9, 9), min_size=3, max_size=12), st.integers(1, 11))
def test_float32_kendall_tau_b_matches_scipy(values, split):
    split = min(split, len(values) - 1)
    x = np.asarray(values, dtype=float)
    y = np.r_[np.zeros(split), np.ones(len(values) - split)]
    if np.all(x == x[0]):
        assert kendall_tau_b_float32(x, y) == 1.0  # the Fortran's error exit
        return
    expected = stats.kendalltau(x, y, variant="b").statistic
    assert kendall_tau_b_float32(x, y) == pytest.approx(expected, abs=1e-6)


@FAST
@given(st.lists(st.integers(-9, 9), min_size=4, max_size=15))
def test_trend_pvalue_is_continuity_corrected_normal_approximation(values):
    y = np.asarray(values, dtype=float)
    m = len(y)
    if np.all(y == y[0]):
        assert kendall_trend_pvalue(y) == 1.0
        return
    s = sum(np.sign(y[j] - y[i]) for i in range(m) for j in range(i + 1, m))
    _, t = np.unique(y, return_counts=True)
    var_s = (m * (m - 1) * (2 * m + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18
    z = (s - np.sign(s)) / math.sqrt(var_s)
    assert kendall_trend_pvalue(y) == pytest.approx(2 * stats.norm.sf(abs(z)), abs=1e-6)


def test_trend_pvalue_short_baselines():
    assert kendall_trend_pvalue([3.0, 1.0, 2.0]) == 1.0  # the Fortran gives up at m = 3
    with pytest.raises(AnalysisError, match="at least 3"):
        kendall_trend_pvalue([1.0, 2.0])


def test_r_numerics():
    assert r_mean(np.array([0.1, 0.1, 0.1])) == 0.1  # a naive sum / 3 gives 0.10000000000000002
    assert r_var(np.array([0.1, 0.1, 0.1])) == 0.0
    assert math.isnan(r_var(np.array([4.0])))
    assert r_median(np.array([3.0, 1.0, 2.0, 10.0])) == 2.5
    root = r_zeroin(lambda x: x**3 - 2, 0.0, 2.0)
    assert root == pytest.approx(optimize.brentq(lambda x: x**3 - 2, 0, 2), abs=2**-13)
    assert r_zeroin(lambda x: x - 1, 0.0, 1.0) == 1.0  # an exact root at a bracket end


# ---------------------------------------------------------------------------------------
# Edge cases documented in the reference
# ---------------------------------------------------------------------------------------


def test_complete_nonoverlap_collapses_the_newcombe_interval():
    res = nap([1, 2, 3], [4, 5, 6])
    assert (res.estimate, res.ci_low, res.ci_high) == (1.0, 1.0, 1.0)
    assert res.se > 0


def test_short_and_degenerate_phases():
    one = smd([5.0], [1.0, 2.0, 3.0])
    assert math.isnan(one.estimate)
    assert "A phase contains less than 2 observations." in one.notes
    assert smd([1.0, 2.0], [3.0, 4.0]).estimate == 0.0  # m = 2: Hedges' J = 0
    assert math.isinf(nap([5.0], [1.0, 2.0]).se)  # unbiased SE with one baseline value
    assert math.isnan(lrm([5.0], [1.0, 2.0]).se)
    assert lrm([0.0, 0.0, 1.0], [1.0, 2.0]).estimate == math.inf
    with pytest.raises(AnalysisError, match="at least 2 baseline"):
        tau_bc([5.0], [1.0, 2.0])


# ---------------------------------------------------------------------------------------
# Input handling, results and the tidy table
# ---------------------------------------------------------------------------------------


def test_missing_values_are_dropped_and_input_left_alone():
    a = pd.Series([1.0, np.nan, 3.0, 2.0])
    b = pd.Series([4.0, 5.0, pd.NA], dtype="Float64")
    before_a, before_b = a.copy(), b.copy()
    res = nap(a, b)
    assert (res.n_a, res.n_b) == (3, 2)
    assert res == nap([1.0, 3.0, 2.0], [4.0, 5.0])
    pd.testing.assert_series_equal(a, before_a)
    pd.testing.assert_series_equal(b, before_b)


def test_bad_arguments_raise_project_errors():
    with pytest.raises(PlanError, match="improvement: got 'up'"):
        nap([1, 2], [3, 4], improvement="up")
    with pytest.raises(PlanError, match="confidence"):
        tau([1, 2], [3, 4], confidence=95)
    with pytest.raises(AnalysisError, match="phase B has no observations"):
        pnd([1, 2], [np.nan])
    with pytest.raises(PlanError, match="scale"):
        lrr_i([1, 2], [3, 4], scale="ounces")
    with pytest.raises(AnalysisError, match="between 0 and 100"):
        lor([10, 120], [30, 40])
    with pytest.raises(PlanError, match="pretest_trend"):
        tau_bc([1, 2, 3], [4, 5], pretest_trend=5)
    assert math.isnan(lor([1, 2], [3, 4], scale="count").estimate)


def test_effect_size_result_object():
    res = nap(PVD_A, PVD_B)
    assert isinstance(res, EffectSize)
    text = repr(res)
    assert "\n" not in text
    assert text.startswith("EffectSize(NAP=0.9167")
    with pytest.raises(AttributeError):
        res.estimate = 0.0  # type: ignore[misc]
    payload = json.dumps(smd([0.0, 0.0, 0.0], [1.0, 2.0]).to_dict(), allow_nan=False)
    assert json.loads(payload)["estimate"] == "inf"
    frame = res.to_frame()
    assert frame.loc[0, "measure"] == "NAP"
    assert frame.loc[0, "estimate"] == res.estimate


def test_calc_effect_sizes_matches_the_functions():
    out = calc_effect_sizes(
        PVD_A, PVD_B, measures="all", goal=30, pct_change=True, se="Hanley", scale="count"
    )
    assert out["measure"].tolist() == [
        "IRD", "NAP", "PAND", "PEM", "PND", "Tau", "Tau-BC", "Tau-U", "LOR", "LRRd",
        "Pct_Change_d", "LRRi", "Pct_Change_i", "LRM", "PoGO", "SMD",
    ]  # fmt: skip
    by = out.set_index("measure")
    assert by.loc["NAP", "se"] == nap(PVD_A, PVD_B, se="Hanley").se
    assert by.loc["LRRd", "estimate"] == lrr_d(PVD_A, PVD_B, improvement="increase").estimate
    assert by.loc["PoGO", "estimate"] == pogo(PVD_A, PVD_B, goal=30).estimate
    assert math.isnan(by.loc["LOR", "estimate"])  # count scale: LOR undefined, as in R
    default = calc_effect_sizes(PVD_A, PVD_B, improvement="decrease")
    assert default["measure"].tolist() == ["LRRd", "LRRi", "SMD", "Tau"]
    assert default.loc[3, "estimate"] == tau(PVD_A, PVD_B, improvement="decrease").estimate


def test_calc_effect_sizes_rejects_unknown_measures_and_options():
    with pytest.raises(PlanError, match="measures: got 'NAPP'"):
        calc_effect_sizes([1, 2], [3, 4], measures="NAPP")
    with pytest.raises(PlanError, match="not used by any"):
        calc_effect_sizes([1, 2], [3, 4], measures=["NAP"], std_dev="pool")
    with pytest.raises(PlanError, match="goal"):
        calc_effect_sizes([1, 2], [3, 4], measures="PoGO")
