"""Calibration of the verdicts on simulated patients with known truth (pure computation).

Used by ``benchmarks/calibration.py`` (the full study) and by the test suite (a small run).
The toolkit's verdict is compared with a naive before/after rule: Welch's t-test of the
baseline days vs the last ``evaluation_days`` days, "responder" when the improvement is
significant (two-sided p < 0.05) and at least the MCID, "worsened" when significant the other
way by at least the MCID, "non-responder" otherwise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ldn_n1.analysis import analyze_outcomes
from ldn_n1.phases import derive_phases
from ldn_n1.plan import Plan
from ldn_n1.simulate import simulate_cohort, true_class

__all__ = ["calibration_table", "naive_verdict", "run_calibration"]


def naive_verdict(baseline: np.ndarray, window: np.ndarray, better: str, mcid: float) -> str:
    """Welch t-test rule (see the module docstring)."""
    if baseline.size < 2 or window.size < 2:
        return "inconclusive"
    diff = window.mean() - baseline.mean()
    improvement = diff if better == "higher" else -diff
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # constant phases (e.g. all 0) make scipy warn about precision; p is then NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.ttest_ind(window, baseline, equal_var=False).pvalue
    if p < 0.05 and improvement >= mcid:
        return "responder"
    if p < 0.05 and improvement <= -mcid:
        return "worsened"
    return "non-responder"


def run_calibration(
    n_patients: int, seed: int, plan: Plan | None = None, outcome: str = "pain"
) -> pd.DataFrame:
    """Simulate a cohort, analyse one outcome per patient, and return one row per patient.

    Columns: ``patient_id, scenario, drifting, true_improvement, truth_class,
    classification, improvement, low, high, p_mcid, naive``.
    """
    plan = plan or Plan()
    spec = plan.outcome(outcome)
    data, truth = simulate_cohort(n_patients, seed=seed, evaluation_days=plan.evaluation_days)
    truth = truth[truth["outcome"] == outcome].set_index("patient_id")
    rows = []
    for pid, diary in data.groupby("patient_id", sort=False):
        # What the diary loader does: sorted by date, identical duplicate days merged.
        diary = (
            diary.drop(columns="patient_id")
            .drop_duplicates()
            .sort_values("date", kind="stable")
            .reset_index(drop=True)
        )
        phases = derive_phases(diary, evaluation_days=plan.evaluation_days)
        res = analyze_outcomes(diary, phases, plan, settle=False)[outcome]
        dates = pd.DatetimeIndex(diary["date"])
        y = diary[outcome].to_numpy(float)
        base = y[(dates < phases.first_dose) & ~np.isnan(y)]
        win = y[
            (dates >= phases.evaluation_start) & (dates <= phases.evaluation_end) & ~np.isnan(y)
        ]
        t = truth.loc[pid]
        f = res.fit
        rows.append(
            {
                "patient_id": pid,
                "scenario": t["scenario"],
                "drifting": bool(t["drift_per_day"] != 0 or t["flare_settling"]),
                "true_improvement": float(t["true_improvement"]),
                "truth_class": true_class(t, spec.mcid),
                "classification": res.classification,
                "improvement": f.mean if f else np.nan,
                "low": f.low if f else np.nan,
                "high": f.high if f else np.nan,
                "p_mcid": f.p_mcid if f else np.nan,
                "naive": naive_verdict(base, win, spec.better, spec.mcid),
            }
        )
    return pd.DataFrame(rows)


def calibration_table(per_patient: pd.DataFrame, mcid: float = 2.0) -> pd.DataFrame:
    """Operating characteristics of the toolkit and the naive rule, side by side.

    Rows: false responder rate (no effect; no effect and drifting), PPV of "responder",
    sensitivity for clear responders (true improvement >= 1.25 MCID), share of truly worsened
    called worsened, 95% coverage, mean interval width, Brier score of P(>= MCID).
    """
    d = per_patient
    no_effect = d["true_improvement"].abs() < 1e-12
    drifting = no_effect & d["drifting"]
    clear = d["true_improvement"] >= 1.25 * mcid
    worse = d["true_improvement"] <= -mcid
    out = {}
    for label, col in (("ldn_n1", "classification"), ("welch t-test", "naive")):
        called = d[col] == "responder"
        true_resp = d["true_improvement"] >= mcid
        out[label] = {
            "false responders, no effect": called[no_effect & ~d["drifting"]].mean(),
            "false responders, drifting": called[drifting].mean(),
            "PPV of responder": true_resp[called].mean() if called.any() else np.nan,
            "sensitivity, clear responders": called[clear].mean(),
            "worsened called worsened": (d[col] == "worsened")[worse].mean(),
            "inconclusive share": (d[col] == "inconclusive").mean(),
        }
    ok = d["low"].notna()
    truth = d["true_improvement"]
    out["ldn_n1"]["95% coverage"] = ((d["low"] <= truth) & (truth <= d["high"]))[ok].mean()
    out["ldn_n1"]["mean interval width"] = (d["high"] - d["low"])[ok].mean()
    out["ldn_n1"]["Brier score P(>=MCID)"] = ((d["p_mcid"] - (truth >= mcid).astype(float)) ** 2)[
        ok
    ].mean()
    table = pd.DataFrame(out)
    counts = {
        "no effect": int((no_effect & ~d["drifting"]).sum()),
        "drifting": int(drifting.sum()),
        "clear": int(clear.sum()),
        "worsened": int(worse.sum()),
    }
    table.attrs["counts"] = counts
    return table
