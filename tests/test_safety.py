from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from ldn_n1.phases import derive_phases
from ldn_n1.safety import assess_safety


def _diary():
    n = 70
    dose = np.array([0.0] * 14 + [1.5] * 7 + [4.5] * 49)
    d = pd.DataFrame({"date": pd.date_range("2025-03-03", periods=n), "dose_mg": dose})
    dreams = np.zeros(n)
    dreams[[2, 15, 16, 22, 23, 24, 50]] = 1
    dreams[30] = np.nan  # not recorded: not counted as "none"
    d["vivid_dreams"] = dreams
    d["dose_time"] = ["night"] * 40 + ["morning"] * 30
    d["opioid_use"] = 0.0
    d.loc[[5, 44], "opioid_use"] = 1.0  # before and after the first dose
    d["alcohol_units"] = 0.0
    d.loc[[1, 20, 21], "alcohol_units"] = [2.0, 1.0, 3.0]
    return d


def test_incidence_per_segment_with_wilson():
    d = _diary()
    s = assess_safety(d, derive_phases(d), ["vivid_dreams", "nausea"])
    inc = s.incidence.set_index("segment")
    assert inc.index.tolist() == ["baseline", "1.5 mg (titration)", "4.5 mg (target)"]
    assert inc["days_with"].tolist() == [1, 2, 4]
    assert inc["days_recorded"].tolist() == [14, 7, 48]
    low, high = proportion_confint(4, 48, alpha=0.05, method="wilson")
    assert inc.loc["4.5 mg (target)", "share"] == pytest.approx(4 / 48)
    assert inc.loc["4.5 mg (target)", "share_low"] == pytest.approx(low)
    assert inc.loc["4.5 mg (target)", "share_high"] == pytest.approx(high)


def test_first_onset_after_increase():
    d = _diary()
    s = assess_safety(d, derive_phases(d), ["vivid_dreams"])
    assert s.first_onset["days_to_onset"].tolist() == [1.0, 1.0]
    assert s.first_onset["dose_mg"].tolist() == [1.5, 4.5]


def test_switch_to_morning_before_after():
    d = _diary()
    s = assess_safety(d, derive_phases(d), ["vivid_dreams"])
    row = s.timing_switch.iloc[0]
    assert (row["before"], row["after"]) == ("night", "morning")
    # 28 days before the switch on day 40: days 14..39 (26 dosed days, one not recorded)
    assert row["days_before"] == 25
    assert row["share_before"] == pytest.approx(5 / 25)
    assert row["share_after"] == pytest.approx(1 / 28)


def test_opioid_flag_only_after_first_dose_and_alcohol():
    d = _diary()
    s = assess_safety(d, derive_phases(d), [])
    assert s.opioid_flag
    assert s.opioid_days == (pd.Timestamp("2025-03-03") + pd.Timedelta(days=44),)
    alc = s.alcohol.set_index("segment")
    assert alc.loc["baseline", "drinking_days"] == 1
    assert alc.loc["1.5 mg (titration)", "units"] == 1.0  # day 20; day 21 is at 4.5 mg
    assert alc.loc["4.5 mg (target)", "units"] == 3.0
