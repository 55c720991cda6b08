"""Closed-form, property and independent checks of the scan overlap ports (ldn_n1.overlap)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.stats.contingency import odds_ratio

from ldn_n1.errors import AnalysisError
from ldn_n1.overlap import (
    scan_corrected_tau,
    scan_ird,
    scan_ird_pooled,
    scan_nap,
    scan_overlap,
    scan_pand,
    scan_pand_pooled,
    scan_pem,
    scan_pet,
    scan_pnd,
    scan_smd,
    scan_tau_u,
    scan_tau_u_meta,
)
from ldn_n1.overlap_data import select_phases
from ldn_n1.overlap_rstats import fisher_exact_2x2, r_lm_line, wilcox_normal
from ldn_n1.overlap_tau import kendall_scan

# Parker, Vannest, Davis & Sauber (2011), "Bob": A = 2, 3, 5, 3; B = 4, 5, 5, 7, 6
BOB = np.array([2, 3, 5, 3, 4, 5, 5, 7, 6], dtype=float)
BOB_PHASE = list("AAAABBBBB")


def _series(seed: int, n_a: int = 8, n_b: int = 12, shift: float = 1.0):
    rng = np.random.default_rng(seed)
    v = np.r_[rng.normal(0, 1, n_a), rng.normal(shift, 1, n_b)]
    return v, ["A"] * n_a + ["B"] * n_b


def test_tau_u_parker_bob_by_hand():
    # A vs B: B > A in 17 pairs, B < A in 1 (5 vs 4), ties 2 (5 vs 5); Trend A: 2<3<5 ...
    t = scan_tau_u(BOB, BOB_PHASE, method="parker").table
    assert t.loc["A vs. B", ["pairs", "pos", "neg", "ties", "S"]].tolist() == [20, 17, 1, 2, 16]
    assert t.loc["A vs. B", "Tau"] == pytest.approx(0.8)
    # Trend A pairs (2,3) (2,5) (2,3) (3,5) (3,3) (5,3): pos 4, neg 1, tie 1
    assert t.loc["Trend A", ["pos", "neg", "ties"]].tolist() == [4, 1, 1]
    # "- Trend A" adds A's decreases to pos: S = 16 - (4 - 1) = 13 over parker's nA nB = 20
    assert t.loc["A vs. B - Trend A", "S"] == 13
    assert t.loc["A vs. B - Trend A", "Tau"] == pytest.approx(13 / 20)
    assert t.loc["A vs. B + Trend B - Trend A", "pairs"] == 36


@pytest.mark.parametrize("method", ["complete", "parker", "tarlow"])
def test_tau_u_mirrors_when_values_are_negated(method):
    v, p = _series(1)
    up = scan_tau_u(v, p, method=method).table
    down = scan_tau_u(-v, p, method=method).table
    np.testing.assert_allclose(down["S"], -up["S"])
    np.testing.assert_allclose(down["Tau"], -up["Tau"])
    np.testing.assert_allclose(down["p"], up["p"])
    np.testing.assert_array_equal(down["pos"], up["neg"])


def test_tau_u_interval_contains_estimate():
    for seed in range(5):
        v, p = _series(seed, shift=0.5)
        for ci_method in ("z", "tau", "s"):
            t = scan_tau_u(v, p, ci_method=ci_method).table
            ok = t["Tau"].abs() < 1
            assert (t.loc[ok, "CI lower"] <= t.loc[ok, "Tau"]).all()
            assert (t.loc[ok, "Tau"] <= t.loc[ok, "CI upper"]).all()


def test_tau_u_perfect_separation_gives_scans_nan_upper_limit():
    t = scan_tau_u([1, 2, 3, 10, 11, 12], list("AAABBB")).table
    assert t.loc["A vs. B", "Tau"] == 1.0
    assert np.isnan(t.loc["A vs. B", "CI upper"])  # scan: (exp(inf) - 1) / (exp(inf) + 1)


def test_kendall_scan_agrees_with_scipy():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 6, 25).astype(float)  # many ties
    y = rng.integers(0, 4, 25).astype(float)
    k = kendall_scan(x, y)
    ref = stats.kendalltau(x, y, variant="b", method="asymptotic")
    assert k.tau == pytest.approx(ref.statistic, rel=1e-12)
    assert k.p == pytest.approx(ref.pvalue, rel=1e-10)
    k_a = kendall_scan(x, y, tau_method="a")
    assert k_a.S == pytest.approx(k.S)
    assert k_a.tau == pytest.approx(k.S / (25 * 24 / 2))


def test_meta_of_one_case_is_that_case():
    v, p = _series(3)
    r = scan_tau_u(v, p)
    meta = scan_tau_u_meta([r]).set_index("model")
    for model in meta.index:
        assert meta.loc[model, "Tau_U"] == pytest.approx(r.table.loc[model, "Tau"], rel=1e-12)
        assert meta.loc[model, "se"] == pytest.approx(1 / np.sqrt(r.table.loc[model, "n"] - 3))
    assert scan_tau_u_meta([r, r]).loc[0, "se"] == pytest.approx(1 / np.sqrt(2 * (20 - 3)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_direction_flag_mirrors_negated_values(seed):
    v, p = _series(seed)  # continuous: no ties, so "sort" PAND mirrors too
    for fn in (scan_pnd, scan_ird):
        assert fn(v, p, decreasing=True) == pytest.approx(fn(-v, p))
    assert scan_pem(v, p, decreasing=True) == scan_pem(-v, p)
    a, b = scan_nap(v, p, decreasing=True), scan_nap(-v, p)
    assert (a.NAP, a.p) == pytest.approx((b.NAP, b.p), rel=1e-12)
    for method in ("sort", "minimum"):
        assert scan_pand(v, p, decreasing=True, method=method).pand == pytest.approx(
            scan_pand(-v, p, method=method).pand
        )
    mt = np.arange(v.size, dtype=float)
    assert scan_pet(v, p, mt, decreasing=True) == scan_pet(-v, p, mt)


def test_complete_separation():
    v, p = [1, 2, 3, 4, 5, 6, 7], list("AAABBBB")
    assert scan_pnd(v, p) == 100
    assert scan_nap(v, p).NAP == 100
    assert scan_pand(v, p, method="minimum").pand == 100
    assert scan_ird(v, p) == 1
    assert scan_pand(v, p).counts.tolist() == [[3, 0], [0, 4]]


def test_nap_counts_and_wilcoxon_match_scipy():
    v, p = _series(4)
    r = scan_nap(v, p)
    c = select_phases(v, p)
    assert r.pairs == c.n_a * c.n_b
    assert r.NAP == pytest.approx(100 * r.non_overlaps / r.pairs)
    ref = stats.mannwhitneyu(c.a, c.b, alternative="less", method="asymptotic")
    assert r.w == ref.statistic
    assert r.p == pytest.approx(ref.pvalue, rel=1e-12)


def test_wilcox_with_ties_matches_scipy():
    x, y = [1, 2, 2, 3, 5], [2, 3, 3, 4, 6, 6]
    w, p = wilcox_normal(x, y, "greater")
    ref = stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")
    assert (w, p) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)


def test_fisher_matches_scipy():
    table = [[11, 2], [2, 13]]
    r = fisher_exact_2x2(table)
    assert r.p == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-10)
    # R's estimate is a uniroot root (tolerance eps^0.25 on the (0, 1) scale)
    exact = odds_ratio(table, kind="conditional").statistic
    assert r.odds_ratio == pytest.approx(exact, rel=1e-3)
    assert fisher_exact_2x2([[5, 0], [1, 6]]).odds_ratio == np.inf


def test_r_lm_line_is_least_squares():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=15), rng.normal(size=15)
    slope, intercept = np.polyfit(x, y, 1)
    assert r_lm_line(x, y) == pytest.approx((intercept, slope), rel=1e-12)


def test_smd_closed_form():
    a, b = np.array([1.0, 2, 3, 4]), np.array([5.0, 7, 9])
    r = scan_smd(np.r_[a, b], ["A"] * 4 + ["B"] * 3)
    sd_pooled = np.sqrt((3 * a.var(ddof=1) + 2 * b.var(ddof=1)) / 5)
    assert r.glass_delta == pytest.approx((7 - 2.5) / a.std(ddof=1))
    assert r.hedges_g == pytest.approx(4.5 / sd_pooled)
    assert r.hedges_g_correction == pytest.approx(4.5 / sd_pooled * (1 - 3 / (4 * 7 - 9)))
    assert scan_smd([1, 1, 1, 2, 3], list("AAABB")).glass_delta == np.inf


def test_pem_counts_strictly_and_tests():
    r = scan_pem([1, 2, 3, 2, 3, 4, 5], list("AAABBBB"))  # A median 2: B 2 is not counted
    assert (r.PEM, r.positives, r.total) == (75.0, 3.0, 4.0)
    assert r.binom_p == pytest.approx(stats.binomtest(3, 4, alternative="greater").pvalue)
    assert r.chi2 == pytest.approx(1.0)


def test_corrected_tau_scan_documentation_example():
    # corrected_tau() example in scan's help page (printed to 2 decimals)
    v = [33, 25, 17, 25, 14, 13, 15, 15, 16, 16, 5, 7, 9, 6, 5, 3, 3, 8, 11, 7]
    r = scan_corrected_tau(v, ["A"] * 7 + ["B"] * 13)
    got = r.table.round(2)
    assert got.loc["Baseline autocorrelation", ["tau", "z"]].tolist() == [-0.68, -2.13]
    assert got.loc["Uncorrected tau", ["tau", "z"]].tolist() == [-0.57, -2.94]
    assert got.loc["Baseline corrected tau", ["tau", "z"]].tolist() == [0.70, 3.61]
    assert r.correction_applied
    assert r.tau == r.table.loc["Baseline corrected tau", "tau"]


def test_corrected_tau_constant_baseline_is_uncorrected():
    r = scan_corrected_tau([2, 2, 2, 2, 5, 6, 7], list("AAAABBB"))
    assert np.isnan(r.table.loc["Baseline autocorrelation", "tau"])
    assert not r.correction_applied
    assert r.tau == r.table.loc["Uncorrected tau", "tau"]


def test_select_phases_pools_in_time_order():
    labels = ["A1", "A1", "B1", "B1", "A2", "B2"]
    c = select_phases([1, 2, 3, 4, 5, 6], labels, phases=(["A1", "A2"], ["B1", "B2"]))
    assert c.values.tolist() == [1, 2, 5, 3, 4, 6]
    assert c.mt.tolist() == [1, 2, 5, 3, 4, 6]
    assert (c.label_a, c.label_b) == ("A1+A2", "B1+B2")
    with pytest.raises(AnalysisError, match="phase 'C' not found"):
        select_phases([1, 2], ["A", "B"], phases=("A", "C"))
    with pytest.raises(AnalysisError, match="occurs in 2 runs"):
        select_phases([1, 2, 3, 4], list("ABAB"), phases=("A", "B"))


def test_missing_values_are_dropped():
    v = np.array([1, np.nan, 2, 3, 5, np.nan, 6, 7])
    p = list("AAAABBBB")
    assert scan_nap(v, p).pairs == 3 * 3
    assert scan_pand(v, p).n == 6
    assert scan_tau_u(v, p).table.loc["A vs. B", "n"] == 6
    assert scan_pnd(v, p) == 100


def test_pooled_pand_and_ird_sum_over_cases():
    c1, c2 = _series(8), _series(9)
    pooled = scan_pand_pooled([c1, c2], method="minimum")
    kept = sum(scan_pand(*c, method="minimum").pand / 100 * 20 for c in (c1, c2))
    assert pooled.pand == pytest.approx(kept / 40 * 100)
    assert scan_ird_pooled([c1, c1]) == pytest.approx(1 - 40**2 / (2 * 16 * 24) * (
        1 - scan_pand(*c1, method="minimum").pand / 100))  # fmt: skip


def test_overlap_summary_is_consistent():
    v, p = _series(11)
    s = scan_overlap(v, p)
    assert s["NAP"] == scan_nap(v, p).NAP
    assert s["Tau_U(A)"] == scan_tau_u(v, p).tau_u
    assert s["Hedges_g"] == scan_smd(v, p).hedges_g_correction


def test_bad_options_raise():
    with pytest.raises(AnalysisError, match="method must be one of"):
        scan_tau_u(BOB, BOB_PHASE, method="bossart")
    with pytest.raises(AnalysisError, match="at least two observed values per phase"):
        scan_tau_u([1, 2, 3], list("AAB"))
    with pytest.raises(AnalysisError, match="method must be 'sort' or 'minimum'"):
        scan_pand(BOB, BOB_PHASE, method="random")
