"""Property tests: analyze() on arbitrary small diaries and plans either succeeds or raises
one of the project's own errors -- never another exception, never a hang (bounded sizes)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ldn_n1.analysis import analyze
from ldn_n1.errors import LdnError, LdnWarning
from ldn_n1.plan import load_plan

OUTCOMES = ["pain", "fatigue", "sleep_quality", "fog", "mood"]


@st.composite
def diaries(draw):
    n = draw(st.integers(min_value=1, max_value=90))
    start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=draw(st.integers(0, 400)))
    gaps = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    dates = start + pd.to_timedelta(np.cumsum(gaps) - gaps[0], unit="D")
    first_dose = draw(st.integers(min_value=0, max_value=n))
    doses = draw(st.lists(st.sampled_from([0.0, 1.5, 3.0, 4.5, np.nan]), min_size=n, max_size=n))
    dose = np.where(np.arange(n) < first_dose, 0.0, doses)
    frame = {"date": dates, "dose_mg": dose}
    cols = draw(st.lists(st.sampled_from(OUTCOMES), min_size=0, max_size=5, unique=True))
    for col in cols:
        kind = draw(st.sampled_from(["random", "constant", "blank", "sparse"]))
        if kind == "random":
            values = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
            frame[col] = np.asarray(values, float)
        elif kind == "constant":
            frame[col] = np.full(n, float(draw(st.integers(0, 10))))
        elif kind == "blank":
            frame[col] = np.full(n, np.nan)
        else:
            keep = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            frame[col] = np.where(keep, 5.0, np.nan)
    if draw(st.booleans()):
        frame["vivid_dreams"] = np.asarray(draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n)))  # fmt: skip
    if draw(st.booleans()):
        frame["dose_time"] = draw(st.lists(st.sampled_from(["night", "morning", None]), min_size=n, max_size=n))  # fmt: skip
    return pd.DataFrame(frame)


plans = st.fixed_dictionaries(
    {},
    optional={
        "primary": st.sampled_from(OUTCOMES),
        "evaluation_days": st.integers(7, 60),
        "min_baseline_days": st.integers(1, 30),
        "probability_threshold": st.floats(0.5, 0.99),
        "weekday": st.booleans(),
        "shared_noise": st.booleans(),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=diaries(), raw_plan=plans)
def test_analyze_succeeds_or_raises_own_error(data, raw_plan):
    plan = load_plan(raw_plan)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LdnWarning)
            result = analyze(data, plan, settle=False)
    except LdnError as exc:
        event(f"raised {type(exc).__name__}")
        return
    event("analysed")
    frame = result.to_frame()
    assert len(frame) == len(result.outcomes)
    probs = frame[["p_improvement", "p_mcid", "p_worsening"]].to_numpy(float)
    finite = probs[np.isfinite(probs)]
    assert ((finite >= -1e-12) & (finite <= 1 + 1e-12)).all()
    ok = frame["improvement"].notna()
    assert (frame.loc[ok, "improvement_low"] <= frame.loc[ok, "improvement_high"]).all()
