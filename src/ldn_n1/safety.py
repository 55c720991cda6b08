"""Side effects by phase and dose step, and the opioid and alcohol flags.

Side-effect columns hold 0/1 or a 0-3 severity; a day "has" the side effect when the value
is > 0. Incidence is the share of recorded days (blank days are not counted as "none"), with a
Wilson score 95% interval (statsmodels ``proportion_confint(method="wilson")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ldn_n1.phases import Phases

__all__ = ["SafetyResult", "assess_safety"]

_SWITCH_EFFECTS = ("vivid_dreams", "insomnia")


@dataclass(frozen=True)
class SafetyResult:
    """Side effects and safety flags of one diary.

    Attributes
    ----------
    incidence : DataFrame
        One row per side effect x segment: ``side_effect, segment, dose_mg, start, end,
        days_recorded, days_with, share, share_low, share_high``. Segments are ``baseline``
        and each treatment step in order (``"3 mg (titration)"``, ``"4.5 mg (target)"``,
        ``"interruption"``).
    first_onset : DataFrame
        After each dose increase: ``side_effect, increase_date, dose_mg, days_to_onset``
        (NaN when it did not occur during that step).
    timing_switch : DataFrame
        Vivid dreams and insomnia in the 28 days before vs after each switch of dose time:
        ``side_effect, switch_date, before, after, share_before, share_after, days_before,
        days_after``.
    opioid_days : tuple of Timestamp
        Days with opioid use on or after the first dose (contraindicated with LDN).
    alcohol : DataFrame
        Per segment: ``segment, days_recorded, drinking_days, units``.
    """

    incidence: pd.DataFrame
    first_onset: pd.DataFrame
    timing_switch: pd.DataFrame
    opioid_days: tuple
    alcohol: pd.DataFrame

    @property
    def opioid_flag(self) -> bool:
        """True when opioids were taken on or after the first dose."""
        return len(self.opioid_days) > 0


def _segments(phases: Phases) -> list[tuple[str, float, pd.Timestamp, pd.Timestamp]]:
    segs = [("baseline", 0.0, phases.first_day, phases.first_dose - pd.Timedelta(days=1))]
    for step in phases.steps:
        name = (
            "interruption" if step.kind == "interruption" else f"{step.dose_mg:g} mg ({step.kind})"
        )
        segs.append((name, step.dose_mg, step.start, step.end))
    return segs


def _wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        low[ok], high[ok] = proportion_confint(k[ok], n[ok], alpha=0.05, method="wilson")
    return low, high


def assess_safety(
    data: pd.DataFrame, phases: Phases, side_effects: tuple[str, ...] | list[str]
) -> SafetyResult:
    """Summarise side effects, opioid use and alcohol of one diary.

    Parameters
    ----------
    data : DataFrame
        ``Diary.data`` (not modified).
    phases : Phases
        From :func:`ldn_n1.phases.derive_phases`.
    side_effects : sequence of str
        Side-effect columns to report; those absent from the diary are skipped.

    Returns
    -------
    SafetyResult
    """
    dates = pd.DatetimeIndex(data["date"])
    present = [c for c in side_effects if c in data.columns]
    segs = _segments(phases)
    rows = []
    for col in present:
        values = data[col].to_numpy(dtype=float)
        for name, dose, start, end in segs:
            inside = (dates >= start) & (dates <= end)
            rec = values[inside & ~np.isnan(values)]
            rows.append((col, name, dose, start, end, rec.size, int(np.sum(rec > 0))))
    incidence = pd.DataFrame(
        rows,
        columns=["side_effect", "segment", "dose_mg", "start", "end", "days_recorded", "days_with"],
    )
    k = incidence["days_with"].to_numpy(dtype=float)
    n = incidence["days_recorded"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        incidence["share"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    incidence["share_low"], incidence["share_high"] = _wilson(k, n)
    return SafetyResult(
        incidence=incidence,
        first_onset=_first_onset(data, dates, phases, present),
        timing_switch=_timing_switch(data, dates, phases),
        opioid_days=_opioid_days(data, dates, phases),
        alcohol=_alcohol(data, dates, segs),
    )


def _first_onset(data, dates, phases: Phases, present) -> pd.DataFrame:
    rows = []
    previous = 0.0
    for step in phases.steps:
        if step.kind != "interruption" and step.dose_mg > previous:
            inside = (dates >= step.start) & (dates <= step.end)
            for col in present:
                hit = dates[inside & (data[col].to_numpy(dtype=float) > 0)]
                days = float((hit[0] - step.start).days) if len(hit) else np.nan
                rows.append((col, step.start, step.dose_mg, days))
        if step.kind != "interruption":
            previous = step.dose_mg
    return pd.DataFrame(rows, columns=["side_effect", "increase_date", "dose_mg", "days_to_onset"])


def _timing_switch(data, dates, phases: Phases, span: int = 28) -> pd.DataFrame:
    rows = []
    for switch in phases.switches:
        if switch.date < phases.first_dose:
            continue
        before = (dates >= max(switch.date - pd.Timedelta(days=span), phases.first_dose)) & (
            dates < switch.date
        )
        after = (dates >= switch.date) & (dates < switch.date + pd.Timedelta(days=span))
        for col in _SWITCH_EFFECTS:
            if col not in data.columns:
                continue
            v = data[col].to_numpy(dtype=float)
            b = v[before & ~np.isnan(v)]
            a = v[after & ~np.isnan(v)]
            rows.append(
                (
                    col,
                    switch.date,
                    switch.before,
                    switch.after,
                    float(np.mean(b > 0)) if b.size else np.nan,
                    float(np.mean(a > 0)) if a.size else np.nan,
                    b.size,
                    a.size,
                )
            )
    cols = [
        "side_effect",
        "switch_date",
        "before",
        "after",
        "share_before",
        "share_after",
        "days_before",
        "days_after",
    ]
    return pd.DataFrame(rows, columns=cols)


def _opioid_days(data, dates, phases: Phases) -> tuple:
    if "opioid_use" not in data.columns:
        return ()
    used = data["opioid_use"].to_numpy(dtype=float) > 0
    return tuple(dates[used & (dates >= phases.first_dose)])


def _alcohol(data, dates, segs) -> pd.DataFrame:
    rows = []
    if "alcohol_units" in data.columns:
        units = data["alcohol_units"].to_numpy(dtype=float)
        for name, _dose, start, end in segs:
            inside = (dates >= start) & (dates <= end) & ~np.isnan(units)
            rows.append(
                (
                    name,
                    int(inside.sum()),
                    int(np.sum(units[inside] > 0)),
                    float(units[inside].sum()),
                )
            )
    return pd.DataFrame(rows, columns=["segment", "days_recorded", "drinking_days", "units"])
