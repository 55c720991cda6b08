from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.diary import load_diary
from ldn_n1.errors import AnalysisError, LdnWarning
from ldn_n1.results import SUMMARY_COLUMNS
from ldn_n1.simulate import simulate_patient


@pytest.fixture(scope="module")
def responder():
    sp = simulate_patient(5, patient_id="R1", scenario="responder")
    return sp, analyze(sp.data)


def test_result_shape_and_api(responder):
    _sp, res = responder
    frame = res.to_frame()
    assert list(frame.columns) == ["patient_id", *SUMMARY_COLUMNS]
    assert frame["outcome"].tolist() == ["pain", "fatigue", "sleep_quality", "fog", "mood"]
    assert frame["primary"].tolist() == [True, False, False, False, False]
    assert set(frame["classification"]) <= {
        "responder",
        "non-responder",
        "worsened",
        "inconclusive",
    }
    assert "PatientResult('R1', pain:" in repr(res)
    text = str(res.summary())
    assert "Verdict:" in text
    assert res.caveat in text
    assert "<table" in res.summary()._repr_html_()
    d = res.to_dict()
    json.dumps(d, allow_nan=False)  # JSON-safe: no NaN, no numpy types
    assert d["outcomes"]["pain"]["classification"] == res.primary.classification


def test_responder_recognised_and_interval_covers_truth(responder):
    sp, res = responder
    truth = sp.truth["pain"]["true_improvement"]
    pain = res.primary
    assert truth >= 2.5  # a clear responder by construction
    assert pain.classification == "responder"
    assert pain.fit.low <= truth <= pain.fit.high
    assert 0.0 <= pain.fit.p_worsening <= pain.fit.p_improvement <= 1.0


def test_non_responder_not_called_responder():
    sp = simulate_patient(8, patient_id="N1", scenario="non_responder")
    res = analyze(sp.data, settle=False)
    assert res.primary.classification != "responder"
    assert res.primary.fit.p_mcid < 0.5


def test_deterministic_and_input_unchanged():
    sp = simulate_patient(11, patient_id="D1", scenario="messy")
    before = sp.data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LdnWarning)
        a = analyze(sp.data).to_frame()
        b = analyze(sp.data).to_frame()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(sp.data, before)


def test_short_baseline_warns():
    sp = simulate_patient(2, patient_id="S1", scenario="responder")
    data = sp.data
    first = data.loc[data["dose_mg"] > 0, "date"].min()
    short = data[data["date"] >= first - pd.Timedelta(days=8)]
    with pytest.warns(LdnWarning, match="baseline days"):
        res = analyze(short, settle=False)
    assert res.primary.n_baseline_days <= 8
    assert any("baseline" in n for n in res.notes)


def test_missing_outcome_column_is_an_error():
    sp = simulate_patient(2, patient_id="X1")
    data = sp.data.drop(columns=["pain", "fatigue", "sleep_quality", "fog", "mood"])
    data["steps"] = 1000.0
    with pytest.raises(AnalysisError, match="none of the plan's outcomes"):
        analyze(load_diary(data), settle=False)


def test_inconclusive_gets_days_to_settle():
    # A short follow-up with a moderate effect: typically inconclusive.
    sp = simulate_patient(21, patient_id="I1", scenario="responder")
    data = sp.data
    first = data.loc[data["dose_mg"] > 0, "date"].min()
    short = data[data["date"] <= first + pd.Timedelta(days=20)]
    res = analyze(short)
    for o in res.outcomes.values():
        if o.classification == "inconclusive" and o.fit is not None:
            assert o.settle_days is None or o.settle_days in (14, 28, 56, 84)
            assert "more diary days" in o.sentence or "not settle" in o.sentence
    row = res.to_frame().iloc[0]
    assert math.isfinite(row["improvement"])
    assert np.isfinite(res.primary.fit.counterfactual).all()


def test_secondary_analyses(responder):
    sp, res = responder
    pain = res.primary
    es = pain.effect_sizes.set_index("measure")
    assert es.loc["NAP", "estimate"] > 0.7  # most treated days better than baseline days
    # independent re-computation of NAP by pair counting (lower pain is better)
    base, win = pain._phase_values()
    diff = base[:, None] - win[None, :]
    nap = (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size
    assert es.loc["NAP", "estimate"] == pytest.approx(nap, rel=1e-12)
    # The step-change ITS (level changes at first and target dose, AR(1) errors) holds the
    # true improvement in its interval.
    truth = sp.truth["pain"]["true_improvement"]
    assert pain.its.improvement_low < truth < pain.its.improvement_high
    assert 0 <= pain.gem.half_effect_days < 200
