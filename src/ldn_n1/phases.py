"""Derive treatment phases from a diary's daily dose record (DESIGN §3).

An explicit ``phase`` column (A/B labels) takes precedence over doses where it is filled
(:func:`dose_record`). Phases are defined on the calendar, not on the rows present: a gap in the diary does not
shorten a phase. The dose on a day without a row, or with a blank dose, is carried forward
from the last known day (a blank dose means "unknown", not "none").

Definitions
-----------
- **baseline**: every day before the first day with ``dose_mg > 0``.
- **titration step**: a run of days at one dose level; isolated zero days (fewer than
  ``interruption_days`` in a row) are missed doses and do not end the step.
- **interruption**: at least ``interruption_days`` consecutive days of 0 after the start; a return
  to dosing after it makes an A-B-A-B design.
- **target dose**: the highest level held for at least ``target_min_days`` days (if none is,
  the level held longest).
- **events**: switches of ``dose_time`` (e.g. night to morning).
- **evaluation window**: the final ``evaluation_days`` calendar days of treatment, ending on the
  last day on which the patient was still taking the drug (or the last diary day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_n1.errors import AnalysisError

__all__ = [
    "BASELINE_LABELS",
    "DoseStep",
    "Phases",
    "TimingSwitch",
    "derive_phases",
    "dose_record",
    "in_window",
    "phase_labels",
]


@dataclass(frozen=True)
class DoseStep:
    """A run of calendar days at one dose level (``dose_mg`` 0 = an interruption)."""

    start: pd.Timestamp
    end: pd.Timestamp
    dose_mg: float
    kind: str  # "titration", "target", "interruption"

    @property
    def n_days(self) -> int:
        """Calendar days in the step, inclusive."""
        return int((self.end - self.start).days) + 1


@dataclass(frozen=True)
class TimingSwitch:
    """A change of the time of day the dose is taken."""

    date: pd.Timestamp
    before: str
    after: str


@dataclass(frozen=True)
class Phases:
    """The phase structure of one diary.

    Attributes
    ----------
    first_day, last_day : Timestamp
        First and last diary day.
    first_dose : Timestamp
        First day with a dose > 0; the baseline ends the day before.
    steps : tuple of DoseStep
        Treatment steps in order (titration levels, target, interruptions).
    target_dose_mg : float
        Highest level held for at least the minimum number of days.
    target_start : Timestamp
        First day of the first step at the target dose.
    interruptions : tuple of DoseStep
        Steps with ``dose_mg == 0`` of at least ``interruption_days``.
    switches : tuple of TimingSwitch
        Changes of ``dose_time``.
    evaluation_start, evaluation_end : Timestamp
        The evaluation window (inclusive).
    evaluation_days : int
        The planned window length; the actual one may be shorter when treatment is short.
    """

    first_day: pd.Timestamp
    last_day: pd.Timestamp
    first_dose: pd.Timestamp
    steps: tuple[DoseStep, ...]
    target_dose_mg: float
    target_start: pd.Timestamp
    interruptions: tuple[DoseStep, ...]
    switches: tuple[TimingSwitch, ...]
    evaluation_start: pd.Timestamp
    evaluation_end: pd.Timestamp
    evaluation_days: int

    @property
    def baseline_days(self) -> int:
        """Calendar days of baseline (before the first dose)."""
        return int((self.first_dose - self.first_day).days)

    @property
    def treatment_days(self) -> int:
        """Calendar days from the first dose to the last diary day, inclusive."""
        return int((self.last_day - self.first_dose).days) + 1

    @property
    def window_days(self) -> int:
        """Calendar days in the evaluation window actually available."""
        return int((self.evaluation_end - self.evaluation_start).days) + 1

    @property
    def design(self) -> str:
        """``"A-B"``, or ``"A-B-A-B..."`` when treatment was interrupted and resumed."""
        return "A-B" + "-A-B" * len(self.interruptions)

    def to_frame(self) -> pd.DataFrame:
        """One row per phase: phase, start, end, n_days, dose_mg."""
        rows = [
            {
                "phase": "baseline",
                "start": self.first_day,
                "end": self.first_dose - pd.Timedelta(days=1),
                "dose_mg": 0.0,
            }
        ]
        rows += [
            {"phase": s.kind, "start": s.start, "end": s.end, "dose_mg": s.dose_mg}
            for s in self.steps
        ]
        rows.append(
            {
                "phase": "evaluation window",
                "start": self.evaluation_start,
                "end": self.evaluation_end,
                "dose_mg": np.nan,
            }
        )
        frame = pd.DataFrame(rows)
        frame["n_days"] = (frame["end"] - frame["start"]).dt.days + 1
        return frame[["phase", "start", "end", "n_days", "dose_mg"]]


#: Labels of an explicit ``phase`` column that mean "no treatment" (case-insensitive).
BASELINE_LABELS = frozenset({"a", "a1", "a2", "a3", "baseline", "base", "pre", "off", "0"})


def dose_record(data: pd.DataFrame) -> np.ndarray:
    """Daily dose used to derive the phases.

    ``dose_mg`` when the diary has it; where an explicit ``phase`` column labels a day
    (A/B design), baseline labels (:data:`BASELINE_LABELS`) mean no drug and any other label
    means treated: the recorded dose if above 0, else 1 (a dose of unknown size).
    """
    n = len(data)
    dose = (
        data["dose_mg"].to_numpy(dtype=float) if "dose_mg" in data.columns else np.full(n, np.nan)
    )
    if "phase" not in data.columns:
        return dose
    label = data["phase"].astype("string").str.strip().str.lower()
    known = label.notna().to_numpy()
    off = label.isin(BASELINE_LABELS).fillna(False).to_numpy(dtype=bool)
    on_dose = np.where(dose > 0, dose, 1.0)
    return np.where(known, np.where(off, 0.0, on_dose), dose)


def _calendar_dose(data: pd.DataFrame) -> pd.Series:
    """Dose per calendar day, blanks and missing days carried forward from the last known."""
    dose = pd.Series(dose_record(data), index=pd.DatetimeIndex(data["date"]))
    full = pd.date_range(dose.index.min(), dose.index.max(), freq="D")
    return dose.reindex(full).ffill().fillna(0.0)


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """Start and end (inclusive) positions of runs of equal values."""
    if values.size == 0:
        return []
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [values.size - 1]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def derive_phases(
    data: pd.DataFrame,
    *,
    evaluation_days: int = 28,
    interruption_days: int = 3,
    target_min_days: int = 7,
) -> Phases:
    """Derive the phases of one diary from its ``date`` and ``dose_mg`` columns.

    Parameters
    ----------
    data : DataFrame
        A diary's data (``Diary.data``): columns ``date`` and ``dose_mg``, optionally
        ``dose_time``. Not modified.
    evaluation_days : int, default 28
        Length of the evaluation window at the end of treatment, in calendar days.
    interruption_days : int, default 3
        Consecutive zero-dose days after the start that count as an interruption.
    target_min_days : int, default 7
        Days a level must be held to count as the target dose.

    Returns
    -------
    Phases

    Raises
    ------
    AnalysisError
        If there is no day with a dose > 0, or the first day is already dosed.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=40),
    ...                   "dose_mg": [0.0] * 14 + [1.5] * 7 + [4.5] * 19})
    >>> p = derive_phases(d, evaluation_days=14)
    >>> p.baseline_days, p.target_dose_mg, str(p.evaluation_start.date())
    (14, 4.5, '2025-01-27')
    """
    if evaluation_days < 1:
        msg = f"evaluation_days must be at least 1, got {evaluation_days}"
        raise AnalysisError(msg)
    data = data.sort_values("date")
    dose = _calendar_dose(data)
    days = dose.index
    dosed = np.flatnonzero(dose.to_numpy() > 0)
    if dosed.size == 0:
        msg = "no day with dose_mg > 0: the diary has no treatment phase"
        raise AnalysisError(msg)
    if dosed[0] == 0:
        msg = "the first diary day is already dosed: there is no baseline"
        raise AnalysisError(msg)
    first = int(dosed[0])
    treat = dose.to_numpy()[first:].copy()
    # Missed single doses (short zero runs) do not end a step: fill them with the level before.
    runs = _runs(treat)
    for start, end in runs:
        if treat[start] == 0 and end - start + 1 < interruption_days and start > 0:
            treat[start : end + 1] = treat[start - 1]
    runs = _runs(treat)
    # Trailing zeros shorter than an interruption (diary ends on missed doses) stay as held.
    held = [(s, e, float(treat[s])) for s, e in runs]
    levels = {}
    for s, e, level in held:
        if level > 0:
            levels[level] = max(levels.get(level, 0), e - s + 1)
    qualifying = [lvl for lvl, n in levels.items() if n >= target_min_days]
    target = max(qualifying) if qualifying else max(levels, key=lambda lvl: (levels[lvl], lvl))
    steps = []
    for s, e, level in held:
        kind = "interruption" if level == 0 else ("target" if level == target else "titration")
        steps.append(DoseStep(days[first + s], days[first + e], level, kind))
    target_start = next(s.start for s in steps if s.kind == "target")
    interruptions = tuple(s for s in steps if s.kind == "interruption")
    last_on = next(s.end for s in reversed(steps) if s.kind != "interruption")
    window_start = max(last_on - pd.Timedelta(days=evaluation_days - 1), days[first])
    return Phases(
        first_day=days[0],
        last_day=days[-1],
        first_dose=days[first],
        steps=tuple(steps),
        target_dose_mg=float(target),
        target_start=target_start,
        interruptions=interruptions,
        switches=_switches(data),
        evaluation_start=window_start,
        evaluation_end=last_on,
        evaluation_days=evaluation_days,
    )


def _switches(data: pd.DataFrame) -> tuple[TimingSwitch, ...]:
    if "dose_time" not in data.columns:
        return ()
    timing = data.loc[data["dose_time"].notna(), ["date", "dose_time"]]
    timing = timing.assign(dose_time=timing["dose_time"].astype(str).str.strip().str.lower())
    timing = timing[timing["dose_time"] != ""]
    values = timing["dose_time"].to_numpy()
    dates = timing["date"].to_numpy()
    changes = np.flatnonzero(values[1:] != values[:-1]) + 1
    return tuple(
        TimingSwitch(pd.Timestamp(dates[i]), str(values[i - 1]), str(values[i])) for i in changes
    )


def phase_labels(data: pd.DataFrame, phases: Phases) -> pd.Series:
    """Label each row of ``data`` with its phase.

    Returns a Series aligned with ``data.index`` holding ``"baseline"``, ``"titration"``,
    ``"target"`` or ``"interruption"``; the evaluation window is not a label (use
    :func:`in_window`), because it overlaps the treatment steps.
    """
    dates = pd.DatetimeIndex(data["date"])
    labels = np.full(len(dates), "baseline", dtype=object)
    for step in phases.steps:
        inside = (dates >= step.start) & (dates <= step.end)
        labels[inside] = step.kind
    return pd.Series(labels, index=data.index, name="phase")


def in_window(data: pd.DataFrame, phases: Phases) -> np.ndarray:
    """Boolean mask of the rows of ``data`` that fall in the evaluation window."""
    dates = pd.DatetimeIndex(data["date"])
    return np.asarray((dates >= phases.evaluation_start) & (dates <= phases.evaluation_end))
