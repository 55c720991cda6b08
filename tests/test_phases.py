from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_n1.errors import AnalysisError
from ldn_n1.phases import derive_phases, in_window, phase_labels


def _diary(doses, start="2025-01-06", times=None):
    d = pd.DataFrame(
        {"date": pd.date_range(start, periods=len(doses)), "dose_mg": np.asarray(doses, float)}
    )
    if times is not None:
        d["dose_time"] = times
    return d


def test_titration_target_and_window():
    doses = [0] * 21 + [1.5] * 7 + [3.0] * 7 + [4.5] * 60
    p = derive_phases(_diary(doses))
    assert p.baseline_days == 21
    assert [s.dose_mg for s in p.steps] == [1.5, 3.0, 4.5]
    assert [s.kind for s in p.steps] == ["titration", "titration", "target"]
    assert p.target_dose_mg == 4.5
    assert p.target_start == pd.Timestamp("2025-01-06") + pd.Timedelta(days=35)
    assert p.window_days == 28
    assert p.evaluation_end == pd.Timestamp("2025-01-06") + pd.Timedelta(days=94)
    assert p.design == "A-B"


def test_missed_doses_and_gaps_do_not_break_steps():
    doses = [0] * 14 + [4.5] * 10 + [0] + [4.5] * 20 + [0, 0] + [4.5] * 10
    d = _diary(doses)
    d = d.drop(index=[30, 31, 32]).reset_index(drop=True)  # a gap in the diary
    d.loc[5, "dose_mg"] = np.nan  # unknown dose in the baseline
    p = derive_phases(d)
    assert len(p.steps) == 1
    assert p.steps[0].n_days == len(doses) - 14
    assert p.interruptions == ()


def test_interruption_makes_abab():
    doses = [0] * 14 + [4.5] * 20 + [0] * 5 + [4.5] * 30
    p = derive_phases(_diary(doses))
    assert p.design == "A-B-A-B"
    assert len(p.interruptions) == 1
    assert p.interruptions[0].n_days == 5
    labels = phase_labels(_diary(doses), p)
    assert (labels == "interruption").sum() == 5
    assert (labels == "baseline").sum() == 14


def test_stopping_early_moves_window_to_last_dosed_day():
    doses = [0] * 14 + [4.5] * 40 + [0] * 10
    d = _diary(doses)
    p = derive_phases(d)
    assert p.evaluation_end == d["date"].iloc[14 + 39]
    assert in_window(d, p).sum() == 28


def test_short_treatment_window_clipped_to_treatment():
    p = derive_phases(_diary([0] * 14 + [4.5] * 10), evaluation_days=28)
    assert p.window_days == 10
    assert p.evaluation_start == p.first_dose


def test_target_falls_back_to_longest_level():
    p = derive_phases(_diary([0] * 10 + [1.5] * 5 + [3.0] * 6))
    assert p.target_dose_mg == 3.0


def test_timing_switch():
    doses = [0] * 10 + [4.5] * 20
    times = [None] * 10 + ["night"] * 8 + ["Morning "] * 12
    p = derive_phases(_diary(doses, times=times))
    assert len(p.switches) == 1
    assert (p.switches[0].before, p.switches[0].after) == ("night", "morning")


@pytest.mark.parametrize(
    ("doses", "match"),
    [([0.0] * 20, "no day with dose_mg > 0"), ([4.5] * 20, "no baseline")],
)
def test_no_treatment_or_no_baseline(doses, match):
    with pytest.raises(AnalysisError, match=match):
        derive_phases(_diary(doses))


def test_input_not_modified():
    d = _diary([0] * 14 + [4.5] * 20).sample(frac=1.0, random_state=1)
    before = d.copy()
    derive_phases(d)
    pd.testing.assert_frame_equal(d, before)


def test_to_frame_columns():
    frame = derive_phases(_diary([0] * 14 + [1.5] * 7 + [4.5] * 30)).to_frame()
    assert list(frame.columns) == ["phase", "start", "end", "n_days", "dose_mg"]
    assert frame["phase"].tolist() == ["baseline", "titration", "target", "evaluation window"]
    assert frame["n_days"].tolist() == [14, 7, 30, 28]


def test_explicit_phase_column_without_doses():
    d = pd.DataFrame({"date": pd.date_range("2025-01-06", periods=40)})
    d["phase"] = ["A"] * 14 + ["B"] * 26
    p = derive_phases(d)
    assert p.baseline_days == 14
    assert p.first_dose == pd.Timestamp("2025-01-20")
    assert p.design == "A-B"


def test_explicit_abab_phase_column_overrides_doses():
    d = _diary([0] * 10 + [4.5] * 30)
    d["phase"] = ["baseline"] * 10 + ["B"] * 10 + ["A"] * 5 + ["B"] * 15
    p = derive_phases(d)
    assert p.design == "A-B-A-B"
    assert p.interruptions[0].n_days == 5
    assert p.target_dose_mg == 4.5


def test_analyze_a_phase_labelled_diary():
    import warnings

    from ldn_n1.analysis import analyze
    from ldn_n1.errors import LdnWarning

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"date": pd.date_range("2025-01-06", periods=60)})
    d["phase"] = ["A"] * 20 + ["B"] * 40
    d["pain"] = np.clip(np.round(6 - 3 * (np.arange(60) >= 20) + rng.normal(0, 1, 60)), 0, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LdnWarning)
        result = analyze(d, settle=False)
    assert result.phases.baseline_days == 20
    assert result.primary.classification == "responder"
