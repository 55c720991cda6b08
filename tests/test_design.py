"""Study-design planning: simulator, agreement with the toolkit's analysis, operating
characteristics, determinism and input errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.bayes import fit_bayes
from ldn_n1.design import (
    StudyDesign,
    StudyPlanResult,
    _posterior_probabilities,
    _series,
    _simulate_batch,
    _verdicts,
    plan_study,
    required_days,
)
from ldn_n1.errors import PlanError
from ldn_n1.features import window_mean_onset

BASE = {
    "improvement": 3.0,
    "noise_sd": 1.6,
    "rho": 0.5,
    "missing_share": 0.15,
    "baseline_days": [28],
    "treatment_days": [56],
    "mcid": 2.0,
}


def design(**changes) -> StudyDesign:
    return StudyDesign(**{**BASE, **changes})


# --- simulator --------------------------------------------------------------------------


def test_noise_has_the_requested_sd_and_autocorrelation():
    d = design(rho=0.6, baseline_days=[100], treatment_days=[300])
    _, noise, _ = _simulate_batch(d, 400, 5)
    # 400 series x 400 days: SE of the SD and of the lag-1 correlation are both < 0.01.
    assert noise.std() == pytest.approx(1.6, abs=0.03)
    lag1 = np.mean(noise[1:] * noise[:-1]) / np.mean(noise**2)
    assert lag1 == pytest.approx(0.6, abs=0.02)
    # Stationary from the first day: day 0 has the marginal SD too.
    assert noise[0].std() == pytest.approx(1.6, abs=0.15)


def test_missing_share_and_alignment_at_the_first_dose():
    d = design(missing_share=0.3, baseline_days=[14, 28], treatment_days=[56, 84])
    batch = _simulate_batch(d, 3, 1)
    assert 1.0 - batch[2].mean() == pytest.approx(0.3, abs=0.08)
    t_long, y_long, wd_long = _series(d, 28, 84, batch)
    t_short, y_short, wd_short = _series(d, 14, 56, batch)
    # Days since the first dose are the same days in both designs (common random numbers).
    since_long, since_short = t_long - 28, t_short - 14
    common = np.isin(since_long, since_short)
    np.testing.assert_array_equal(since_long[common], since_short)
    assert set(np.unique(wd_long)) <= set(range(7))
    np.testing.assert_array_equal(wd_long[common], wd_short)
    # Before the effect can differ (baseline), the values are identical.
    base = since_short < 0
    np.testing.assert_array_equal(y_long[common][base], y_short[base])


@pytest.mark.parametrize(
    ("better", "level", "treated"), [("lower", 6.0, 3.0), ("higher", 4.0, 7.0)]
)
def test_step_effect_moves_the_scores_in_the_better_direction(better, level, treated):
    # Almost no noise and no weekly rhythm: the scores are the level, then level -/+ 3.
    d = design(
        noise_sd=1e-6,
        weekly_amplitude=0.0,
        tau_days=0.0,
        missing_share=0.0,
        better=better,
        level=level,
    )
    t, y, _ = _series(d, 28, 56, _simulate_batch(d, 2, 0))
    assert np.all(y[t < 28] == level)
    assert np.all(y[t >= 28] == treated)


def test_gradual_effect_is_scaled_to_the_requested_improvement():
    d = design(tau_days=24.0, treatment_days=[28, 56, 112])
    for treatment in d.treatment_days:
        gbar = window_mean_onset(treatment - 28, treatment - 1, 24.0)
        assert d.full_effect(treatment) * gbar == pytest.approx(3.0, rel=1e-12)
    assert d.full_effect(28) > d.full_effect(56) > d.full_effect(112) > 3.0


def test_scores_are_whole_numbers_on_the_scale():
    d = design(noise_sd=4.0, level=9.0, improvement=-3.0)
    _, y, _ = _series(d, 28, 56, _simulate_batch(d, 50, 2))
    assert np.all(y == np.rint(y))
    assert y.min() == 0.0
    assert y.max() == 10.0


# --- the verdict is the toolkit's own ----------------------------------------------------


def test_batched_probabilities_equal_fit_bayes_on_each_series():
    d = design()
    t, Y, weekday = _series(d, 28, 56, _simulate_batch(d, 4, 3))
    p_mcid, p_worse = _posterior_probabilities(d, 28, 56, t, Y, weekday)
    for k in range(Y.shape[1]):
        fit = fit_bayes(
            t,
            Y[:, k],
            weekday,
            first_dose_day=28.0,
            window=(28.0, 55.0),
            better="lower",
            mcid=2.0,
            use_weekday=t.size >= 35,
            summaries=False,
        )
        assert p_mcid[k] == pytest.approx(fit.p_mcid, rel=1e-10, abs=1e-12)
        assert p_worse[k] == pytest.approx(fit.p_worsening, rel=1e-10, abs=1e-12)


def test_verdicts_equal_analyze_on_the_same_diaries():
    d = design(improvement=2.5)
    batch = _simulate_batch(d, 3, 11)
    t, Y, weekday = _series(d, 28, 56, batch)
    verdicts = _verdicts(d, 28, 56, t, Y, weekday)
    p_mcid, _ = _posterior_probabilities(d, 28, 56, t, Y, weekday)
    # The same diaries as files a patient would keep: every day a row, missing days blank.
    first_dose_weekday = batch[0]
    start = pd.Timestamp("2025-01-06") + pd.Timedelta(days=(first_dose_weekday - 28) % 7)
    dates = pd.date_range(start, periods=28 + 56, freq="D")
    assert dates[28].day_of_week == first_dose_weekday
    for k in range(Y.shape[1]):
        pain = np.full(dates.size, np.nan)
        pain[t.astype(int)] = Y[:, k]
        diary = pd.DataFrame(
            {"date": dates, "pain": pain, "dose_mg": np.where(np.arange(dates.size) < 28, 0.0, 4.5)}
        )
        result = analyze(diary, settle=False).outcomes["pain"]
        assert result.classification == verdicts[k]
        assert result.fit.p_mcid == pytest.approx(p_mcid[k], rel=1e-9, abs=1e-12)


def test_too_few_recorded_days_give_inconclusive():
    d = design(missing_share=0.9, baseline_days=[7], treatment_days=[28], evaluation_days=7)
    result = plan_study(d, n_sims=20, seed=4)
    row = result.table.iloc[0]
    assert row["p_inconclusive"] > 0.5
    assert row["p_conclusive"] + row["p_inconclusive"] == pytest.approx(1.0)


# --- operating characteristics -----------------------------------------------------------


@pytest.fixture(scope="module")
def clear_effect() -> StudyPlanResult:
    # A clear step change (3.5 points, MCID 2): the toolkit should settle it more often with
    # more days of either kind.
    d = design(
        improvement=3.5, tau_days=0.0, baseline_days=[14, 28, 56], treatment_days=[28, 56, 112]
    )
    return plan_study(d, n_sims=400, seed=21)


def _increases(tab: pd.DataFrame, by: str, fixed: str, value: int) -> None:
    part = tab[tab[fixed] == value].sort_values(by)
    p = part["p_conclusive"].to_numpy()
    se = part["se_conclusive"].to_numpy()
    # se1 + se2 bounds the SE of a difference whatever the correlation between designs.
    assert p[-1] - p[0] > 2 * (se[-1] + se[0])
    assert np.all(np.diff(p) > -2 * (se[1:] + se[:-1]))


def test_more_treatment_days_give_more_conclusive_verdicts(clear_effect):
    _increases(clear_effect.table, "treatment_days", "baseline_days", 28)


def test_more_baseline_days_give_more_conclusive_verdicts(clear_effect):
    _increases(clear_effect.table, "baseline_days", "treatment_days", 56)


def test_clear_effect_is_rarely_called_anything_but_responder(clear_effect):
    tab = clear_effect.table
    assert (tab["true_class"] == "responder").all()
    np.testing.assert_allclose(tab["p_correct"], tab["p_responder"])
    assert tab["p_worsened"].max() == 0.0
    assert tab["p_non_responder"].max() < 0.1


def test_reference_treatment_days_keeps_the_patient_fixed():
    d = design(tau_days=24.0, treatment_days=[28, 56, 112], reference_treatment_days=112)
    assert d.true_improvement(112) == pytest.approx(3.0, rel=1e-12)
    gbar = [float(window_mean_onset(t - 28, t - 1, 24.0)) for t in (28, 56, 112)]
    full = 3.0 / gbar[-1]
    for k, treatment in enumerate(d.treatment_days):
        assert d.full_effect(treatment) == pytest.approx(full, rel=1e-12)
        assert d.true_improvement(treatment) == pytest.approx(full * gbar[k], rel=1e-12)
    assert d.true_class(28) == "non-responder"  # about 1.3 points after 4 weeks
    assert d.true_class(56) == d.true_class(112) == "responder"
    result = plan_study(d, n_sims=200, seed=5)
    tab = result.table.set_index("treatment_days")
    assert tab.loc[28, "true_class"] == "non-responder"
    assert tab.loc[28, "p_correct"] == tab.loc[28, "p_non_responder"]
    assert tab.loc[112, "p_correct"] == tab.loc[112, "p_responder"]
    # The same patient, evaluated later, is recognised more often.
    se = tab.loc[56, "se_correct"] + tab.loc[112, "se_correct"]
    assert tab.loc[112, "p_correct"] - tab.loc[56, "p_correct"] > 2 * se


def test_no_effect_gives_non_responder_or_inconclusive():
    d = design(improvement=0.0, baseline_days=[14, 28], treatment_days=[56, 84])
    result = plan_study(d, n_sims=200, seed=8)
    tab = result.table
    assert (tab["true_class"] == "non-responder").all()
    np.testing.assert_allclose(tab["p_correct"], tab["p_non_responder"])
    assert tab["p_responder"].max() <= 0.02
    assert tab["p_non_responder"].min() > 0.5
    shares = tab[["p_responder", "p_non_responder", "p_worsened", "p_inconclusive"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(tab["p_conclusive"], 1.0 - tab["p_inconclusive"])


def test_standard_errors_are_close_to_binomial():
    result = plan_study(design(), n_sims=200, seed=2)
    row = result.table.iloc[0]
    binomial = np.sqrt(row["p_conclusive"] * (1 - row["p_conclusive"]) / 200)
    # Batches share their missing days, so the cluster SE may differ, but not wildly.
    assert 0.5 * binomial < row["se_conclusive"] < 2.0 * binomial


# --- results, determinism, required_days --------------------------------------------------


def test_same_seed_same_table_other_seed_other_table():
    d = design(baseline_days=[14, 28], treatment_days=[56])
    a = plan_study(d, n_sims=40, seed=7)
    b = plan_study(d, n_sims=40, seed=7)
    c = plan_study(d, n_sims=40, seed=8)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table.equals(c.table)


def test_a_design_does_not_depend_on_the_rest_of_the_grid():
    alone = plan_study(design(baseline_days=[21], treatment_days=[56]), n_sims=30, seed=4)
    grid = plan_study(
        design(baseline_days=[14, 21, 42], treatment_days=[56, 90]), n_sims=30, seed=4
    )
    row = grid.table[(grid.table["baseline_days"] == 21) & (grid.table["treatment_days"] == 56)]
    pd.testing.assert_frame_equal(alone.table, row.reset_index(drop=True))


def test_a_larger_run_extends_a_smaller_one():
    d = design(baseline_days=[14], treatment_days=[56])
    small = plan_study(d, n_sims=20, seed=7, batch_size=10)
    large = plan_study(d, n_sims=40, seed=7, batch_size=10)
    cols = ["p_responder", "p_non_responder", "p_worsened", "p_inconclusive"]
    # The first two batches are the same diaries: every verdict count can only grow.
    assert np.all(large.table[cols].to_numpy() * 40 >= small.table[cols].to_numpy() * 20 - 1e-9)


def test_result_table_summary_and_dict():
    d = design(baseline_days=[28, 14], treatment_days=[84, 56, 56])
    result = plan_study(d, n_sims=20, seed=1)
    tab = result.to_frame()
    assert list(tab.columns[:7]) == [
        "baseline_days",
        "treatment_days",
        "p_conclusive",
        "p_correct",
        "se_conclusive",
        "se_correct",
        "n_sims",
    ]
    assert list(zip(tab["baseline_days"], tab["treatment_days"], strict=True)) == [
        (14, 56),
        (14, 84),
        (28, 56),
        (28, 84),
    ]
    assert (tab["n_sims"] == 20).all()
    tab.loc[0, "p_conclusive"] = -1.0  # to_frame is a copy
    assert result.table.loc[0, "p_conclusive"] >= 0.0
    text = str(result.summary())
    assert "baseline days" in text
    assert "would get a conclusive verdict" in text
    assert "<table" in result.summary()._repr_html_()
    assert "StudyPlanResult(" in repr(result)
    assert "\n" not in repr(result)
    import json

    json.dumps(result.to_dict())


def test_summary_notes_large_full_effects_of_short_treatments():
    slow = plan_study(design(tau_days=24.0, treatment_days=[28, 112]), n_sims=10, seed=1)
    text = str(slow.summary())
    assert "needs a full effect of 7.5 points" in text
    assert "28-day treatment" in text
    fixed = replace(slow.design, reference_treatment_days=112)
    assert "full effect of" not in str(plan_study(fixed, n_sims=10, seed=1).summary())


def test_summary_sentence_names_the_shortest_design_reaching_the_target():
    result = plan_study(
        design(improvement=4.0, baseline_days=[14, 28], treatment_days=[56]), n_sims=40, seed=3
    )
    tab = result.table
    pick = required_days(result, 0.5)
    assert pick is not None
    ok = tab[tab["p_conclusive"] >= 0.5]
    totals = ok["baseline_days"] + ok["treatment_days"]
    assert sum(pick) == totals.min()
    p = tab.set_index(["baseline_days", "treatment_days"]).loc[pick, "p_conclusive"]
    line = str(result.summary(target=0.5)).splitlines()[-3]
    assert line.startswith(f"With {pick[0]} baseline and {pick[1]} treatment days, {100 * p:.0f}%")


def test_required_days_none_when_unreachable_and_from_a_design():
    d = design(improvement=2.2, baseline_days=[14], treatment_days=[28])  # borderline
    assert required_days(d, target=1.0, n_sims=20, measure="p_correct") is None
    result = plan_study(d, n_sims=20, seed=1)
    assert str(result.summary(target=1.0)).count("No design reaches 100%") == 1


# --- input errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("baseline_days", [-3]),
        ("baseline_days", [0, 14]),
        ("baseline_days", []),
        ("baseline_days", [14.5]),
        ("treatment_days", [-56]),
        ("treatment_days", [14]),  # shorter than the 28-day evaluation window
        ("rho", 1.0),
        ("rho", -0.1),
        ("noise_sd", 0.0),
        ("missing_share", 1.0),
        ("mcid", 0.0),
        ("improvement", float("nan")),
        ("tau_days", -1.0),
        ("better", "down"),
        ("probability_threshold", 0.5),
        ("evaluation_days", 0),
        ("level", 11.0),
        ("reference_treatment_days", 14),
    ],
)
def test_bad_design_raises_plan_error_naming_the_field(field, value):
    with pytest.raises(PlanError, match=rf"^{field}: got "):
        design(**{field: value})


def test_one_day_window_needs_a_step_onset():
    with pytest.raises(PlanError, match=r"^treatment_days: got 1, expected at least 2"):
        design(evaluation_days=1, treatment_days=[1, 28])
    assert design(evaluation_days=1, treatment_days=[1], tau_days=0.0).full_effect(1) == 3.0


@pytest.mark.parametrize(("field", "value"), [("n_sims", 0), ("batch_size", 0), ("seed", -1)])
def test_bad_run_settings_raise_plan_error(field, value):
    with pytest.raises(PlanError, match=rf"^{field}: got "):
        plan_study(design(), **{field: value})


def test_bad_target_and_measure():
    result = plan_study(design(), n_sims=10, seed=1)
    with pytest.raises(PlanError, match=r"^target: got 0"):
        required_days(result, target=0.0)
    with pytest.raises(PlanError, match=r"^measure: got 'power'"):
        required_days(result, measure="power")
