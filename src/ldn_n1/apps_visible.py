"""Visible (pacing app) exports: one row per tracker per day.

Layout: ``observation_date, tracker_name, tracker_category, observation_value``; values
are text because ``Note`` rows hold free text (and exports may carry trailing spaces).

- Symptom trackers (severity 0-3: none, mild, moderate, severe): outcomes and side
  effects by name (``pain`` from ``Muscle pain``, ``Joint pain``, ...; ``fog`` from
  ``Brain Fog``), several a day by the daily maximum (or mean). Visible writes a 0 for a
  tracked symptom that was absent, so a day without a matching tracker stays blank.
- ``Stability Score`` (1-5, higher is better) becomes the outcome ``stability_score``;
  ``Crash`` (0/1) ``crash``; ``Resting HR`` (bpm) ``resting_hr`` and ``HR Variability``
  (ms) ``hr_variability``: kept in the diary, not outcomes of the suggested plan.
- ``Note`` rows: ``notes``. Other trackers (sleep, exertion ratings, PacePoints, ...) are
  not used and are listed in the notes.
- Visible records no medication: the doses come from a dose log (``dose_log=``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ldn_n1.apps_days import (
    DayIndex,
    blank_rows,
    cell_problems,
    column_text,
    entry_days,
    numbers,
    severity_columns,
)

if TYPE_CHECKING:
    from ldn_n1.apps import AppTable
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.errors import Problem
    from ldn_n1.readers import RawTable

__all__ = ["read_visible"]

#: Visible trackers read as they are: tracker (lower case) -> column, scale (None: not an
#: outcome of the plan), daily combination.
FIXED = {
    "stability score": ("stability_score", (1.0, 5.0), "mean"),
    "crash": ("crash", (0.0, 1.0), "max"),
    "resting hr": ("resting_hr", None, "mean"),
    "hr variability": ("hr_variability", None, "mean"),
}
_NOT_SYMPTOMS = ("measurement", "note", "notes", "sleep", "experience")
_SEVERITY = (0.0, 3.0)


def read_visible(
    raw: RawTable,
    pos: dict[str, int],
    mapping: AppMapping,
    patient_id: str,
    date_format: str | None,
    dose_log: bool,
) -> AppTable:
    """Read a Visible export (see the module docstring for the rules)."""
    n = len(raw.frame)
    notes: list[str] = []
    problems: list[tuple[str, Problem]] = []
    pids = np.full(n, patient_id, dtype=object)
    empty = blank_rows(raw)
    days, more, bad_dates = entry_days(raw, pos, "observation_date", date_format, pids, ~empty)
    notes += more
    problems += bad_dates
    index = DayIndex(np.where(empty, None, pids), days)
    tracker = column_text(raw, pos, "tracker_name")
    key = pd.Series(tracker, dtype=object).str.casefold().to_numpy(dtype=object)
    category = pd.Series(column_text(raw, pos, "tracker_category"), dtype=object)
    category = category.str.casefold().to_numpy(dtype=object)
    text = column_text(raw, pos, "observation_value")
    value = numbers(text)
    is_note = np.isin(key, ("note", "notes")) | np.isin(category, ("note", "notes"))
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, tuple[float, float]] = {}

    symptom = ~empty & ~is_note & ~np.isin(key, list(FIXED)) & ~np.isin(category, _NOT_SYMPTOMS)
    matched = ~pd.isna(mapping.outcome_rules().targets(tracker)) | ~pd.isna(
        mapping.side_effect_rules().targets(tracker)
    )
    bad = (
        symptom
        & matched
        & (np.isnan(value) | (value < 0) | (value > 3) | (value != np.round(value)))
    )
    problems += cell_problems(
        raw,
        np.flatnonzero(bad),
        pids,
        "observation_value",
        "a Visible symptom severity 0-3 (0 none, 1 mild, 2 moderate, 3 severe)",
    )
    cols, found, sev_notes, _ = severity_columns(
        index,
        value,
        tracker,
        symptom & ~bad & ~np.isnan(value),
        mapping,
        scale=_SEVERITY,
        what="Visible trackers",
        tracked=None,
        presence=False,
    )
    columns |= cols
    scales |= found
    notes += sev_notes

    for name, (column, scale, how) in FIXED.items():
        rows = key == name
        if not rows.any():
            continue
        low, high = scale if scale is not None else (0.0, np.inf)
        bad = rows & (np.isnan(value) | (value < low) | (value > high))
        rule = f"a number {low:g}-{high:g}" if scale is not None else "a number, 0 or more"
        problems += cell_problems(raw, np.flatnonzero(bad), pids, "observation_value", rule)
        columns[column] = index.combine(value, rows & ~bad, how)
        if column == "stability_score":
            scales[column] = scale
        notes.append(
            f"{column} from the Visible tracker {tracker[rows][0]!r}"
            + (f" ({low:g}-{high:g})" if scale is not None else "")
            + (
                ""
                if column == "stability_score"
                else ": kept, not an outcome of the suggested plan"
            )
        )
    if is_note.any():
        columns["notes"] = index.text(text, is_note)
    other = ~empty & ~is_note & ~np.isin(key, list(FIXED)) & ~symptom
    if other.any():
        counts = pd.Series(tracker[other], dtype=object).value_counts()
        notes.append(
            "Visible sleep, measurement and experience trackers not used: "
            + ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:12])
            + (f" and {len(counts) - 12} more" if len(counts) > 12 else "")
        )
    notes.append(
        "Visible records no medication: give the doses as a dose log (dose_log=)"
        if not dose_log
        else "dose_mg from the dose log"
    )
    notes.append(
        "scales kept as recorded, nothing rescaled: "
        + ", ".join(f"{k} {v[0]:g}-{v[1]:g}" for k, v in scales.items())
    )
    table = index.table("visible", raw, columns, notes, several=False)
    table.problems, table.scales = problems, scales
    return table
