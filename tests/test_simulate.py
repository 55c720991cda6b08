"""Tests of the synthetic diary simulator: determinism, realism in numbers, truth consistency."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_n1.simulate import (
    DATA_COLUMNS,
    OUTCOMES,
    SIDE_EFFECTS,
    TRUTH_COLUMNS,
    SimulationError,
    frame_to_csv,
    iter_cohort,
    simulate_cohort,
    simulate_patient,
    true_class,
)

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"
CLEAN = {"blank_prob": 0.0, "completion_start": 1.0, "completion_decline": 0.0, "n_gaps": 0}


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A default-mix cohort shared by the realism checks (about 0.3 s)."""
    return simulate_cohort(1500, seed=123)


@pytest.fixture(scope="module")
def calm() -> tuple[pd.DataFrame, pd.DataFrame]:
    """No-effect patients without drift (noise, rhythm and missingness only)."""
    return simulate_cohort(400, seed=5, mix={"non_responder": 1.0})


def _per_patient_truth(truth: pd.DataFrame, outcome: str = "pain") -> pd.DataFrame:
    return truth.loc[truth["outcome"] == outcome].set_index("patient_id")


def _days_since_dose(data: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    first = _per_patient_truth(truth)["first_dose_date"]
    return (data["date"] - data["patient_id"].map(first)).dt.days.to_numpy()


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_output():
    a = simulate_patient(42, scenario="messy")
    b = simulate_patient(42, scenario="messy")
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.truth_frame(), b.truth_frame())
    pd.testing.assert_frame_equal(a.latent, b.latent)
    assert frame_to_csv(a.data) == frame_to_csv(b.data)
    c = simulate_patient(43, scenario="messy")
    assert not a.data[list(OUTCOMES)].equals(c.data[list(OUTCOMES)])


def test_patient_does_not_depend_on_cohort_size_or_chunking():
    small_data, small_truth = simulate_cohort(5, seed=9)
    big_data, big_truth = simulate_cohort(12, seed=9)
    first5 = big_data["patient_id"].isin(small_data["patient_id"].unique())
    pd.testing.assert_frame_equal(small_data, big_data.loc[first5].reset_index(drop=True))
    pd.testing.assert_frame_equal(small_truth, big_truth.iloc[: 5 * len(OUTCOMES)])
    chunks = list(iter_cohort(12, seed=9, chunk_size=5))
    assert len(chunks) == 3
    pd.testing.assert_frame_equal(pd.concat([c[0] for c in chunks], ignore_index=True), big_data)
    pd.testing.assert_frame_equal(pd.concat([c[1] for c in chunks], ignore_index=True), big_truth)


def test_effect_override_keeps_the_noise():
    """Common random numbers: the same seed with another effect changes only the effect."""
    base = simulate_patient(4, scenario="non_responder", **CLEAN)
    treated = simulate_patient(4, scenario="non_responder", effect={"pain": 3.0}, **CLEAN)
    pd.testing.assert_series_equal(base.data["fatigue"], treated.data["fatigue"])
    assert treated.truth["pain"]["effect_full"] == 3.0
    assert base.data["pain"].sum() > treated.data["pain"].sum()


# --- format ------------------------------------------------------------------------------


def test_data_format(cohort):
    data, truth = cohort
    assert tuple(data.columns) == DATA_COLUMNS
    assert data["date"].dtype.kind == "M"
    scores = data[list(OUTCOMES)].to_numpy()
    values = scores[~np.isnan(scores)]
    assert values.min() == 0.0
    assert values.max() == 10.0
    np.testing.assert_array_equal(values, np.round(values))
    assert not np.signbit(values).any()  # no "-0" in files
    side = data[list(SIDE_EFFECTS)].to_numpy()
    assert set(np.unique(side[~np.isnan(side)])) == {0.0, 1.0}
    dose = data["dose_mg"].dropna()
    assert set(dose.unique()) == {0.0, 1.5, 3.0, 4.5}
    assert set(data["dose_time"].dropna().unique()) == {"night", "morning"}
    assert (data.loc[data["dose_mg"] > 0, "dose_time"].notna()).all()
    assert not data.duplicated(["patient_id", "date"]).any()
    assert set(data["alcohol_units"].dropna().unique()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert tuple(truth.columns) == TRUTH_COLUMNS
    assert len(truth) == len(OUTCOMES) * data["patient_id"].nunique()
    better = truth.drop_duplicates("outcome").set_index("outcome")["better"].to_dict()
    assert better == {
        "pain": "lower",
        "fatigue": "lower",
        "sleep_quality": "higher",
        "fog": "lower",
        "mood": "higher",
    }


def test_rows_sorted_except_messy(cohort):
    data, truth = cohort
    scen = _per_patient_truth(truth)["scenario"]
    messy = data["patient_id"].map(scen) == "messy"
    for is_messy, part in data.groupby(messy):
        in_order = part.groupby("patient_id")["date"].apply(lambda s: s.is_monotonic_increasing)
        assert in_order.all() != is_messy
    sim = simulate_patient(5, scenario="messy")
    assert not sim.data["date"].is_monotonic_increasing
    assert sim.data["date"].is_unique


def test_anchor_days_present_and_lengths(cohort):
    data, truth = cohort
    pain = _per_patient_truth(truth)
    span = data.groupby("patient_id")["date"].agg(["min", "max"])
    n_days = (span["max"] - span["min"]).dt.days + 1
    np.testing.assert_array_equal(n_days, pain["baseline_days"] + pain["treatment_days"])
    first_dosed = data.loc[data["dose_mg"] > 0].groupby("patient_id")["date"].min()
    pd.testing.assert_series_equal(first_dosed, pain["first_dose_date"], check_names=False)
    base = pain["baseline_days"]
    assert base.between(7, 42).all()
    assert (base >= 14).mean() > 0.85  # most patients have 14-42 days, a few 7-13
    assert (base < 14).any()
    assert (n_days.between(90, 200)).mean() > 0.95


# --- realism -----------------------------------------------------------------------------


def test_missingness_shares(cohort):
    data, truth = cohort
    pain = _per_patient_truth(truth)
    plain = pain.index[pain["scenario"] != "messy"]
    rows = data.loc[data["patient_id"].isin(plain)]
    blank = rows["pain"].isna().mean()
    assert 0.08 < blank < 0.12  # blank_prob uniform in 5-15%: mean 10%
    n_days = (pain.loc[plain, "baseline_days"] + pain.loc[plain, "treatment_days"]).sum()
    completion = len(rows) / n_days
    assert 0.80 < completion < 0.90  # ~85% of days in research diaries, falling over time
    per_patient = rows.groupby("patient_id").size() / (
        pain.loc[plain, "baseline_days"] + pain.loc[plain, "treatment_days"]
    )
    assert per_patient.min() < 0.75  # some patients have multi-day gaps or falling completion
    # missing_share of the truth counts missing rows and blank cells.
    observed = rows.groupby("patient_id")["pain"].count()
    expected = 1 - observed / (pain.loc[plain, "baseline_days"] + pain.loc[plain, "treatment_days"])
    np.testing.assert_allclose(pain.loc[plain, "missing_share"], expected.loc[plain], rtol=1e-12)


def test_completion_falls_over_time_for_some():
    sim = simulate_patient(
        8, completion_start=0.95, completion_decline=0.4, n_gaps=0, treatment_days=180
    )
    days = (sim.data["date"] - sim.data["date"].min()).dt.days
    early = (days < 60).sum() / 60
    late = (days >= 150).sum() / (days.max() + 1 - 150)
    assert early > late + 0.15


def test_noise_sd_and_autocorrelation_in_range(calm):
    data, truth = calm
    pain = _per_patient_truth(truth)
    sd = data.groupby("patient_id")["pain"].std()
    # e-diary figure: mean within-person SD of daily pain 1.61.
    assert 1.45 < sd.mean() < 1.75
    assert pain["rho"].between(0.3, 0.8).all()
    rhat = {}
    for pid, g in data.groupby("patient_id"):
        series = pd.Series(g["pain"].to_numpy(), index=g["date"]).asfreq("D")
        rhat[pid] = (series - series.mean()).autocorr(1)
    rhat = pd.Series(rhat)
    assert np.corrcoef(rhat, pain.loc[rhat.index, "rho"])[0, 1] > 0.7
    # Rounding adds variance 1/12 (attenuation ~5%); ~100-day series bias r by ~-(1+4 rho)/n.
    assert 0.40 < rhat.mean() < 0.55
    assert rhat.quantile(0.9) < 0.85


@pytest.mark.parametrize("rho", [0.3, 0.8])
def test_lag1_autocorrelation_matches_rho(rho):
    """Long clean series: lag-1 autocorrelation of the residual equals rho after rounding."""
    estimates, expected = [], []
    for seed in range(6):
        sim = simulate_patient(
            seed, scenario="non_responder", rho=rho, weekly="none", treatment_days=700, **CLEAN
        )
        resid = sim.data["pain"].to_numpy() - sim.latent["pain_expected"].to_numpy()
        estimates.append(np.corrcoef(resid[:-1], resid[1:])[0, 1])
        sd = sim.truth["pain"]["noise_sd"]
        expected.append(rho * sd**2 / (sd**2 + 1 / 12))  # rounding error: uniform, var 1/12
    assert np.mean(estimates) == pytest.approx(np.mean(expected), abs=0.04)


def test_bad_days_are_shared_across_outcomes(calm):
    data, truth = calm
    levels = truth.pivot_table(index="patient_id", columns="outcome", values="level")
    resid = data[list(OUTCOMES)] - levels.loc[data["patient_id"], list(OUTCOMES)].to_numpy()
    corr = resid.corr()
    expected = truth.drop_duplicates("patient_id")["shared_noise_corr"].mean()  # ~0.45
    # Same-direction outcomes correlate positively, opposite-direction ones negatively.
    assert corr.loc["pain", "fatigue"] == pytest.approx(expected, abs=0.07)
    assert corr.loc["pain", "sleep_quality"] == pytest.approx(-expected, abs=0.07)
    assert corr.loc["fog", "mood"] == pytest.approx(-expected, abs=0.07)


def test_weekly_rhythm():
    monday = [
        simulate_patient(s, scenario="non_responder", weekly="monday", weekly_amp=1.0, **CLEAN)
        for s in range(8)
    ]
    data = pd.concat([m.data for m in monday])
    is_monday = data["date"].dt.day_of_week == 0
    gap = data.loc[is_monday, "pain"].mean() - data.loc[~is_monday, "pain"].mean()
    assert gap == pytest.approx(1.0, abs=0.3)


def test_titration_and_dosing(cohort):
    data, truth = cohort
    pain = _per_patient_truth(truth)
    assert 0.75 < (pain["target_dose_mg"] == 4.5).mean() < 0.95
    t = _days_since_dose(data, truth)
    assert (data.loc[t < 0, "dose_mg"] == 0).all()
    assert (data.loc[t == 0, "dose_mg"] == 1.5).all()
    reached = data.loc[data["dose_mg"] == 4.5].groupby("patient_id")["date"].min()
    weeks = (reached - pain.loc[reached.index, "first_dose_date"]).dt.days // 7 + 1
    std = pain.loc[reached.index, "titration"] == "standard"
    assert weeks[std].isin([3, 4]).mean() > 0.95  # 4.5 mg by week 3-4 (missing rows aside)
    assert pain["interrupted"].between(True, True).sum() > 0
    assert 0.05 < pain["interrupted"].mean() < 0.2
    assert 0.1 < pain["switched_to_morning"].mean() < 0.35


def test_missed_doses_single_days_and_interruption_runs():
    sim = simulate_patient(3, missed_dose_prob=0.3, interrupted=True, **CLEAN)
    d = sim.data.set_index("date")["dose_mg"]
    t = sim.latent.set_index("date")["days_since_first_dose"]
    zero = (d == 0) & (t > 0)
    runs = zero.ne(zero.shift()).cumsum()[zero].value_counts()
    assert (runs == 1).sum() > 10  # many single missed days
    assert (runs >= 3).sum() == 1  # exactly one interruption, >= 3 days
    assert sim.truth["pain"]["interrupted"] is True
    break_start = runs[runs >= 3].index[0]
    last_break_day = zero.ne(zero.shift()).cumsum()[zero].eq(break_start)
    after = d.loc[last_break_day[last_break_day].index.max() :].iloc[1:]
    assert (after > 0).mean() > 0.5  # back on LDN


def test_side_effects_follow_increases_and_night_dosing(cohort):
    data, truth = cohort
    t = _days_since_dose(data, truth)
    early = data.loc[(t >= 0) & (t < 14), list(SIDE_EFFECTS)].mean()
    late = data.loc[t >= 56, list(SIDE_EFFECTS)].mean()
    baseline = data.loc[t < 0, list(SIDE_EFFECTS)].mean()
    for name in ("vivid_dreams", "insomnia", "nausea", "headache", "dizziness"):
        assert early[name] > 1.5 * late[name]
    assert (baseline > 0).all()  # a few baseline occurrences
    assert (baseline < 0.1).all()
    switched = _per_patient_truth(truth)["switched_to_morning"]
    sw = data.loc[data["patient_id"].map(switched)]
    night = sw.loc[sw["dose_time"] == "night", "vivid_dreams"].mean()
    morning = sw.loc[sw["dose_time"] == "morning", "vivid_dreams"].mean()
    assert morning < 0.5 * night


def test_opioids_rare_alcohol_occasional_notes_present(cohort):
    data, _ = cohort
    users = data.groupby("patient_id")["opioid_use"].max()
    assert 0.005 < (users > 0).mean() < 0.08
    assert 0.02 < (data["alcohol_units"] > 0).mean() < 0.15
    assert 0.01 < data["notes"].notna().mean() < 0.1
    notes = data["notes"].dropna()
    assert notes.str.contains("<").any()
    assert notes.str.contains("&").any()
    assert notes.str.contains('"').any()
    assert notes.str.startswith("=").any()
    assert notes.str.contains("\n").any()
    assert notes.str.contains(",").any()


def test_messy_diary_has_everything():
    sim = simulate_patient(11, scenario="messy")
    notes = sim.data["notes"].dropna().tolist()
    assert "<script>alert(1)</script>" in notes
    assert any(n.startswith("=cmd") for n in notes)
    assert any("\n" in n and '"' in n for n in notes)
    pain = sim.truth["pain"]
    assert pain["interrupted"]
    assert pain["switched_to_morning"]
    assert 10 <= pain["baseline_days"] <= 13
    assert sim.data["dose_mg"].isna().any()
    assert set(sim.data.loc[sim.data["dose_mg"] > 0, "dose_time"]) == {"night", "morning"}
    # The CSV text round-trips the notes (quoting of commas, quotes and newlines).
    back = pd.read_csv(io.StringIO(frame_to_csv(sim.data)), keep_default_na=False)
    assert back["notes"].replace("", None).dropna().tolist() == notes


# --- truth -------------------------------------------------------------------------------


def test_no_effect_truth_is_zero(cohort):
    _, truth = cohort
    none = truth.loc[truth["scenario"].isin(["non_responder", "drifting"])]
    assert (none["true_improvement"] == 0).all()
    assert (none["effect_full"] == 0).all()
    drifting = none.loc[none["scenario"] == "drifting"]
    moving = (drifting["drift_per_day"] != 0) | drifting["flare_settling"]
    assert moving.all()
    assert (truth.loc[truth["scenario"] != "drifting", "drift_per_day"] == 0).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_true_improvement_matches_direct_computation(seed):
    sim = simulate_patient(seed, scenario="responder", interrupted=False)
    last = sim.data["date"].max()
    for outcome in OUTCOMES:
        row = sim.truth[outcome]
        window = pd.date_range(end=last, periods=28, freq="D")
        t = (window - row["first_dose_date"]).days.to_numpy(dtype=float)
        direct = np.mean(row["effect_full"] * (1 - np.exp(-t / row["tau_days"])))
        assert row["true_improvement"] == pytest.approx(direct, rel=1e-12, abs=1e-12)
    # The latent effect is the closed form on every day (0 up to the first dose).
    lat = sim.latent
    pain = sim.truth["pain"]
    t = lat["days_since_first_dose"].to_numpy(dtype=float)
    closed = np.where(
        t > 0, pain["effect_full"] * (1 - np.exp(-np.maximum(t, 0) / pain["tau_days"])), 0
    )
    np.testing.assert_allclose(lat["pain_effect"], closed, rtol=1e-12, atol=1e-12)


def test_interruption_lowers_the_effect_and_truth_uses_latent():
    sim = simulate_patient(6, scenario="responder", interrupted=True, interruption_days=10)
    lat = sim.latent
    pain = sim.truth["pain"]
    assert pain["interrupted"]
    closed = pain["effect_full"] * (
        1 - np.exp(-np.maximum(lat["days_since_first_dose"], 0) / pain["tau_days"])
    )
    off = lat["scheduled_dose_mg"].eq(0) & lat["days_since_first_dose"].gt(0)
    assert off.sum() == 10
    assert (lat.loc[off, "pain_effect"] < closed[off]).all()
    window = lat.tail(28)
    assert pain["true_improvement"] == pytest.approx(window["pain_effect"].mean(), rel=1e-12)


def test_scenarios_give_their_true_classes(cohort):
    _, truth = cohort
    pain = truth.loc[truth["outcome"] == "pain"]
    classes = pain.apply(true_class, axis=1)
    by = pd.crosstab(pain["scenario"], classes)
    assert by.loc["responder", "responder"] / by.loc["responder"].sum() > 0.95
    assert by.loc["worsened", "worsened"] / by.loc["worsened"].sum() > 0.9
    assert by.loc["small"].get("non-responder", 0) == by.loc["small"].sum()
    clear = pain.loc[pain["scenario"] == "responder", "effect_full"]
    assert (clear >= 1.5 * 2.0).all()
    # Default mix: ~40% none (a third drifting), ~30% clear, ~15% small, ~10% worse, ~5% messy.
    share = pain["scenario"].value_counts(normalize=True)
    expected = {"non_responder": 0.27, "drifting": 0.13, "responder": 0.30, "small": 0.15,
                "worsened": 0.10, "messy": 0.05}  # fmt: skip
    for name, p in expected.items():
        assert share[name] == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / len(pain)))
    # A responder's outcomes respond together: fatigue improves in most clear responders.
    fat = truth.loc[(truth["outcome"] == "fatigue") & (truth["scenario"] == "responder")]
    assert (fat["effect_full"] > 0).mean() > 0.75


def test_true_class_boundaries():
    assert true_class({"outcome": "pain", "true_improvement": 2.0}) == "responder"
    assert true_class({"outcome": "pain", "true_improvement": 1.99}) == "non-responder"
    assert true_class({"outcome": "mood", "true_improvement": -2.0}) == "worsened"
    assert true_class({"outcome": "mood", "true_improvement": -1.0}, mcid=1.0) == "worsened"
    assert true_class(pd.Series({"outcome": "fog", "true_improvement": 0.0})) == "non-responder"


# --- arguments ---------------------------------------------------------------------------


def test_bad_arguments_raise():
    with pytest.raises(SimulationError, match="unknown simulation parameter 'colour'"):
        simulate_patient(1, colour="red")
    with pytest.raises(SimulationError, match="unknown scenario 'great'"):
        simulate_patient(1, scenario="great")
    with pytest.raises(SimulationError, match=r"override 'rho': got 1\.5"):
        simulate_patient(1, rho=1.5)
    with pytest.raises(SimulationError, match="unknown outcome 'itch'"):
        simulate_patient(1, effect={"itch": 1.0})
    with pytest.raises(SimulationError, match="expected at least evaluation_days = 28"):
        simulate_patient(1, treatment_days=20)
    with pytest.raises(SimulationError, match="n_patients: got 0"):
        simulate_cohort(0, seed=1)
    with pytest.raises(SimulationError, match="unknown scenario 'x' in mix"):
        simulate_cohort(3, seed=1, mix={"x": 1.0})
    with pytest.raises(SimulationError, match="titration"):
        simulate_patient(1, titration="fast")


def test_overrides_are_applied():
    sim = simulate_patient(
        2,
        baseline_days=21,
        treatment_days=90,
        titration="stay_3mg",
        start_date="2025-03-01",
        effect=1.0,
        tau_days={"pain": 10.0},
        switched_to_morning=False,
    )
    pain = sim.truth["pain"]
    assert (pain["baseline_days"], pain["treatment_days"]) == (21, 90)
    assert pain["target_dose_mg"] == 3.0
    assert pain["tau_days"] == 10.0
    assert not pain["switched_to_morning"]
    assert sim.data["date"].min() == pd.Timestamp("2025-03-01")
    assert pain["first_dose_date"] == pd.Timestamp("2025-03-22")
    assert all(sim.truth[o]["effect_full"] == 1.0 for o in OUTCOMES)


# --- bundled files -----------------------------------------------------------------------


def _load_make_synthetic():
    path = ROOT / "benchmarks" / "make_synthetic.py"
    spec = importlib.util.spec_from_file_location("make_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_files_match_the_generator():
    files = _load_make_synthetic().build_files()
    on_disk = {p.name for p in SYNTHETIC.iterdir() if p.is_file()}
    assert on_disk == set(files)
    for name, text in files.items():
        assert (SYNTHETIC / name).read_bytes() == text.encode("utf-8"), name
    assert (SYNTHETIC / "cohort_200.csv").stat().st_size < 3_000_000


def test_bundled_truth_agrees_with_the_diaries():
    for name in ("responder", "non_responder", "worsened", "messy"):
        data = pd.read_csv(SYNTHETIC / f"{name}.csv", parse_dates=["date"])
        truth = pd.read_csv(SYNTHETIC / f"{name}.truth.csv", parse_dates=["first_dose_date"])
        assert set(truth["outcome"]) == set(OUTCOMES)
        first = data.loc[data["dose_mg"] > 0, "date"].min()
        assert (truth["first_dose_date"] == first).all()
        assert (data["patient_id"] == name).all()
    truth = pd.read_csv(SYNTHETIC / "messy.truth.csv")
    assert truth["interrupted"].all()
    assert truth["switched_to_morning"].all()


def test_bundled_files_load_with_load_diary():
    diary = pytest.importorskip("ldn_n1.diary", reason="ldn_n1.diary not available yet")
    if not hasattr(diary, "load_diary"):
        pytest.skip("ldn_n1.diary.load_diary not available yet")
    for name in ("responder", "non_responder", "worsened", "messy"):
        loaded = diary.load_diary(SYNTHETIC / f"{name}.csv")
        raw = pd.read_csv(SYNTHETIC / f"{name}.csv", parse_dates=["date"], keep_default_na=False)
        raw = raw.sort_values("date", ignore_index=True)
        assert loaded.patient_id == name
        assert len(loaded.data) == len(raw)
        np.testing.assert_array_equal(loaded.data["date"], raw["date"])
        expected_pain = pd.to_numeric(raw["pain"].replace("", None)).to_numpy(dtype=float)
        np.testing.assert_array_equal(loaded.data["pain"].to_numpy(dtype=float), expected_pain)
        notes = loaded.data["notes"].dropna().tolist()
        assert notes == [n for n in raw["notes"] if n != ""]
    cohort = diary.load_diaries(SYNTHETIC / "cohort_200.csv")
    assert [d.patient_id for d in cohort] == [f"SIM{i:05d}" for i in range(1, 201)]


def test_phases_derived_from_the_diaries_match_the_truth():
    """Cross-check with ldn_n1.phases: the dose record carries the designed phases."""
    phases = pytest.importorskip("ldn_n1.phases", reason="ldn_n1.phases not available yet")
    data, truth = simulate_cohort(300, seed=78)
    pain = _per_patient_truth(truth)
    for pid, rows in data.groupby("patient_id", sort=False):
        t = pain.loc[pid]
        ph = phases.derive_phases(rows)
        assert (ph.baseline_days, ph.treatment_days) == (t["baseline_days"], t["treatment_days"])
        assert ph.target_dose_mg == t["target_dose_mg"]
        assert bool(ph.switches) == t["switched_to_morning"]
        assert ph.evaluation_end == rows["date"].max()
        known = rows.dropna(subset=["dose_mg"]).set_index("date")["dose_mg"].to_dict()
        covered = False
        for step in ph.interruptions:
            true_start = t["interruption_start_date"]
            if (
                t["interrupted"]
                and step.start <= true_start
                and step.end == true_start + pd.Timedelta(days=int(t["interruption_days"]) - 1)
            ):
                covered = True
                if step.start == true_start:
                    continue
            # Otherwise a single missed dose followed by days of unknown dose (no row, or a
            # blank dose in messy diaries), read as days off because the last known dose (0)
            # is carried forward.
            assert known.get(step.start) == 0
            assert step.start + pd.Timedelta(days=1) not in known
        assert covered == t["interrupted"]


def test_frame_to_csv_matches_pandas_and_leaves_the_frame_alone():
    data, truth = simulate_cohort(40, seed=3)
    for frame in (data, truth):
        before = frame.copy()
        reference = frame.to_csv(
            index=False, lineterminator="\n", float_format="%.6g", date_format="%Y-%m-%d"
        )
        assert frame_to_csv(frame) == reference
        pd.testing.assert_frame_equal(frame, before)
    odd = pd.DataFrame({"x": [-0.0, 0.0, np.nan, 1.25, 3.0], "d": pd.to_datetime(
        ["2025-01-02", None, "2025-12-31", "2025-01-02", "2024-02-29"])})  # fmt: skip
    assert (
        frame_to_csv(odd) == "x,d\n0,2025-01-02\n0,\n,2025-12-31\n1.25,2025-01-02\n3,2024-02-29\n"
    )


def test_flare_settling_and_drift_are_natural_course_not_effect():
    sims = [
        simulate_patient(
            s,
            scenario="drifting",
            flare_points={"pain": 2.5},
            flare_tau_days=10.0,
            drift_per_day=0.0,
            baseline_days=28,
            **CLEAN,
        )
        for s in range(6)
    ]
    for sim in sims:
        lat = sim.latent
        assert sim.truth["pain"]["flare_settling"]
        assert sim.truth["pain"]["true_improvement"] == 0.0
        assert (lat["pain_effect"] == 0).all()
        base = lat.loc[lat["days_since_first_dose"] < 0, "pain_natural"].to_numpy()
        assert np.all(np.diff(base) < 0)  # the baseline itself is falling
        assert base[0] - base[-1] == pytest.approx(2.5 * (1 - np.exp(-27 / 10)), rel=1e-9)
    first = np.mean([s.data["pain"].iloc[:7].mean() for s in sims])
    last = np.mean([s.data["pain"].iloc[21:28].mean() for s in sims])
    assert first - last > 1.0  # looks like benefit before any dose
    drift = simulate_patient(1, scenario="drifting", drift_per_day=0.02, flare_points=0.0)
    nat = drift.latent["pain_natural"].to_numpy()
    np.testing.assert_allclose(np.diff(nat), -0.02, rtol=1e-9)  # pain: lower is better
