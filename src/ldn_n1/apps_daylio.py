"""Daylio exports: one row per entry, newest first, several entries a day.

Layout: ``full_date, date, weekday, time, mood, activities, note_title, note`` (newer
files add ``scales`` before ``note_title``). ``full_date`` is ISO and is the day used;
``date`` and ``weekday`` are localised and ``time`` (``21:35`` or ``9:35 pm``) only orders
entries within a day, so neither is read.

- ``mood`` is a label the user can rename: the defaults rad, good, meh, bad, awful are
  5 to 1, and custom labels need a level in the mapping file (``[daylio] moods``). An
  unknown label is an error that lists every unknown label. Several entries a day: the
  daily mean, as ``mood`` on 1-5 (higher is better).
- ``activities`` (separated by `` | ``): side effects (0/1: present that day), alcohol
  (one unit per activity, a lower bound), opioids and LDN by name. A day with an entry
  counts as tracked, so an absent activity is 0 that day. An LDN activity gives the dose
  only with ``[ldn] dose_mg`` in the mapping; otherwise give a dose log.
- ``scales`` (``Name:\u00a0value | ...``): a scale whose name matches an outcome (e.g.
  pain) is read only when the mapping gives the scales' range (``[daylio] scale``), since
  the export does not say it; otherwise it is listed in the notes.
- ``note_title`` and ``note``: joined per day as ``notes`` (``<br>`` as a line break).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ldn_n1.apps_days import (
    DayIndex,
    blank_rows,
    cell_problems,
    column_text,
    entry_days,
    explode_items,
    names_text,
    numbers,
    plural,
    severity_columns,
    where_text,
)
from ldn_n1.errors import Problem

if TYPE_CHECKING:
    from ldn_n1.apps import AppTable
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.readers import RawTable

__all__ = ["read_daylio"]

_SCALE_ITEM = re.compile(r"^(.*?)\s*:\s*([+-]?\d+(?:[.,]\d+)?)$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _unknown_moods(
    raw: RawTable, labels: np.ndarray, unknown: np.ndarray, pid: str, mapping: AppMapping
) -> list[tuple[str, Problem]]:
    """One problem listing every unknown mood label, with its entries and first line."""
    rows = np.flatnonzero(unknown)
    firsts = pd.Series(rows, index=labels[rows]).groupby(level=0, sort=False)
    listed = [
        f"{label!r} ({plural(len(group), 'entry', 'entries')}, "
        f"first on {where_text(raw, int(group.iloc[0]))})"
        for label, group in firsts
    ]
    known = ", ".join(f"{k} = {v:g}" for k, v in mapping.daylio_moods.items())
    expected = (
        f"mood labels with a level (known: {known}); unknown: {'; '.join(listed)}. Give each "
        "custom label its level 1-5 in a mapping file, e.g. [daylio] moods = { "
        f"{str(labels[rows[0]])!r} = 4 }}"
    ).replace("'", '"')
    line, label = raw.where(int(rows[0]))
    header = next(h for h in raw.headers if h.strip().lower() == "mood")
    return [(pid, Problem(raw.file, line, header, labels[rows[0]], expected, row=label))]


def _scales(
    raw: RawTable,
    index: DayIndex,
    texts: np.ndarray,
    entry: np.ndarray,
    mapping: AppMapping,
    pid: str,
    columns: dict[str, np.ndarray],
    scales: dict[str, tuple[float, float]],
    notes: list[str],
) -> list[tuple[str, Problem]]:
    """Outcomes from Daylio scales (only with a declared range)."""
    rows, items = explode_items(texts, entry, "|")
    if not len(rows):
        return []
    parts = pd.Series(items, dtype=object).str.replace("\u00a0", " ").str.extract(_SCALE_ITEM)
    name = parts[0].str.strip().to_numpy(dtype=object)
    value = numbers(parts[1].to_numpy(dtype=object))
    if mapping.daylio_scale is None:
        found = sorted(pd.unique(name[~pd.isna(name)]).tolist())
        notes.append(
            f"Daylio scales {names_text(found)} not read: give their range as "
            "[daylio] scale = [min, max] in a mapping file"
        )
        return []
    lo, hi = mapping.daylio_scale
    bad = np.isnan(value) | (value < lo) | (value > hi)
    pids = np.full(len(raw.frame), pid, dtype=object)
    problems = cell_problems(
        raw,
        pd.unique(rows[bad]),
        pids,
        "scales",
        f"scales written 'Name: value' with values {lo:g}-{hi:g} ([daylio] scale)",
    )
    cols, found, more, _ = severity_columns(
        index.at(rows),
        value,
        name,
        ~bad,
        mapping,
        scale=(lo, hi),
        what="Daylio scales",
        tracked=None,
        presence=False,
    )
    for key in found:
        columns[key] = cols[key]
    scales |= found
    notes += [m for m in more if "(outcome)" in m or "not used" in m]
    return problems


def read_daylio(
    raw: RawTable,
    pos: dict[str, int],
    mapping: AppMapping,
    patient_id: str,
    date_format: str | None,
    dose_log: bool,
) -> AppTable:
    """Read a Daylio export (see the module docstring for the rules)."""
    n = len(raw.frame)
    notes: list[str] = []
    problems: list[tuple[str, Problem]] = []
    pids = np.full(n, patient_id, dtype=object)
    empty = blank_rows(raw)
    days, more, bad_dates = entry_days(raw, pos, "full_date", date_format, pids, ~empty)
    notes += more
    problems += bad_dates
    index = DayIndex(np.where(empty, None, pids), days)
    entry = ~empty
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, tuple[float, float]] = {}

    labels = column_text(raw, pos, "mood")
    keys = pd.Series(labels, dtype=object).str.casefold().str.split().str.join(" ")
    level = keys.map(mapping.daylio_moods).to_numpy(dtype=np.float64, na_value=np.nan)
    unknown = entry & ~pd.isna(labels) & np.isnan(level)
    if unknown.any():
        problems += _unknown_moods(raw, labels, unknown, patient_id, mapping)
    columns["mood"] = index.combine(level, entry & ~unknown, "mean")
    scales["mood"] = (1.0, 5.0)
    several = int((index.count(entry & ~np.isnan(level)) > 1).sum())
    custom = sorted(
        {k for k in keys.dropna() if k in mapping.daylio_moods}
        - {"rad", "good", "meh", "bad", "awful"}
    )
    notes.append(
        "mood from Daylio moods on 1-5 (rad 5, good 4, meh 3, bad 2, awful 1"
        + (f"; custom labels {names_text(custom)} from the mapping" if custom else "")
        + f"): daily mean ({plural(several, 'day')} with several entries)"
    )
    notes.append("time of entry not used: each entry counts for its full_date")

    rows, items = explode_items(column_text(raw, pos, "activities"), entry, "|")
    _activities(index, rows, items, entry, mapping, dose_log, n, columns, notes)
    if "scales" in pos:
        problems += _scales(
            raw,
            index,
            column_text(raw, pos, "scales"),
            entry,
            mapping,
            patient_id,
            columns,
            scales,
            notes,
        )
    title = pd.Series(column_text(raw, pos, "note_title"), dtype=object)
    body = pd.Series(column_text(raw, pos, "note"), dtype=object)
    body = body.str.replace(_BREAK, "\n", regex=True)
    both = (title.notna() & body.notna()).to_numpy()
    text = title.where(title.notna(), body).to_numpy(dtype=object, copy=True)
    text[both] = (title[both] + ": " + body[both]).to_numpy(dtype=object)
    if not pd.isna(text).all():
        columns["notes"] = index.text(text, entry)
    notes.append(
        "scales kept as recorded, nothing rescaled: "
        + ", ".join(f"{k} {v[0]:g}-{v[1]:g}" for k, v in scales.items())
    )
    table = index.table("daylio", raw, columns, notes, several=False)
    table.problems, table.scales = problems, scales
    return table


def _activities(
    index: DayIndex,
    rows: np.ndarray,
    items: np.ndarray,
    entry: np.ndarray,
    mapping: AppMapping,
    dose_log: bool,
    n: int,
    columns: dict[str, np.ndarray],
    notes: list[str],
) -> None:
    """Side effects, alcohol, opioids and LDN from the activities of each entry."""
    tracked = index.any(entry)
    effects = mapping.side_effect_rules().targets(items)
    tags = mapping.tag_rules().targets(items)
    for target in (*mapping.side_effects, "opioid_use", "alcohol_units", "ldn"):
        sel = (effects == target) | (tags == target)
        if not sel.any():
            continue
        count = np.bincount(rows[sel], minlength=n).astype(np.float64)
        used = names_text(sorted(pd.unique(items[sel]).tolist()))
        if target == "ldn":
            if dose_log:
                notes.append(f"LDN activities {used} not used: dose_mg from the dose log")
            elif mapping.ldn_dose_mg is None:
                notes.append(
                    f"LDN activities {used} found, but Daylio records no dose: give a "
                    "dose log (dose_log=) or [ldn] dose_mg in a mapping file"
                )
            else:
                amount = np.where(count > 0, mapping.ldn_dose_mg, np.nan)
                columns["dose_mg"], c = index.dose(amount, count > 0, entry, how="max")
                notes.append(
                    f"dose_mg {mapping.ldn_dose_mg:g} mg ([ldn] dose_mg of the mapping) "
                    f"on {plural(c['taken'], 'day')} with the activities {used}; 0 on other "
                    "days with an entry"
                )
            continue
        per_day = index.combine(count, count > 0, "sum")
        per_day[np.isnan(per_day) & tracked] = 0.0
        if target != "alcohol_units":
            per_day = np.minimum(per_day, 1.0)
        columns[target] = per_day
        rule = "one unit per activity (a lower bound)" if target == "alcohol_units" else "0/1"
        notes.append(
            f"{target} from the Daylio activities {used}: {rule}; 0 on other days with an entry"
        )
