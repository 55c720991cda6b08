"""Bearable exports: one row per entry (symptom, mood, energy, sleep, medication, factor).

Layouts: ``date, date formatted, weekday, time of day, category, rating/amount, detail,
notes`` (current) and ``date, weekday, time of day, category, rating/amount, detail,
notes`` (2020-22, dates like ``22nd Sep 2020``). The day is ``date formatted`` when
present (the local day the user sees), else ``date``. ``time of day`` (``pre``, ``am``,
``mid``, ``pm``, ``all day`` or ``HH:MM``) only tells entries of one day apart.

How entries become diary columns (scales as in Bearable's documentation, "What are all
the different scales used in Bearable?"):

- ``Symptom`` rows (``rating`` 0-4 = none, mild, moderate, severe, unbearable; the name
  and label in ``detail``, e.g. ``Back (lower) pain (Moderate)``): outcomes by name (the
  mapping's fragments), several a day by the daily maximum (or mean). Bearable writes a
  row only for a symptom that was present, so on a day with other symptom rows a missing
  outcome is 0; a day without symptom rows is blank. Side effects are 0/1 (present that
  day): their columns hold 0-3 and Bearable rates 1-4.
- ``Mood`` and ``Energy`` (1-10) and ``Sleep quality`` (1-5): daily mean, as ``mood``,
  ``energy`` and ``sleep_quality``. ``Sleep`` (duration ``H:MM``): ``sleep_hours``, summed.
- ``Meds/Supplements``: naltrexone entries (the mapping's LDN names) give ``dose_mg``: the
  amount in mg (``detail`` like ``Naltrexone (mg)``; mcg converted), summed over the day.
  Opioid names give ``opioid_use``.
- every other category (``Factors``, ``Lifestyle``, ...): its pipe-separated tags are
  searched for alcohol (``alcohol_units``: one per tag, as Bearable records that alcohol
  was drunk, not how much), opioids and LDN. A tag category counts as tracked that day
  (0 when the tag is absent) only if the tag occurs in that category somewhere.
- ``notes``: joined per day. Health measurements, bowel movements and custom ratings are
  not read (noted).
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
    column_days,
    column_text,
    explode_items,
    names_text,
    numbers,
    plural,
    severity_columns,
    where_text,
)

if TYPE_CHECKING:
    from ldn_n1.apps import AppTable
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.errors import Problem
    from ldn_n1.readers import RawTable

__all__ = ["read_bearable"]

_SYMPTOM = ("symptom", "symptoms")
_MEDS = ("meds/supplements", "meds", "medication", "medications", "supplements", "treatments")
_RATINGS = (
    ("mood", "mood", (1.0, 10.0)),
    ("energy", "energy", (1.0, 10.0)),
    ("sleep quality", "sleep_quality", (1.0, 5.0)),
)
_NOT_READ = ("health measurements", "bowel movements", "custom ratings")
_SPECIAL = (*_SYMPTOM, "mood", "energy", "sleep quality", "sleep", *_NOT_READ)
_LEVELS = {
    "none": 0.0,
    "mild": 1.0,
    "moderate": 2.0,
    "severe": 3.0,
    "unbearable": 4.0,
    "extreme": 4.0,
}
_LABEL = re.compile(
    r"^(.*?)\s*\((none|mild|moderate|severe|unbearable|extreme)\)\s*$", re.IGNORECASE
)
_TIME_OF_DAY = re.compile(
    r"^(pre|am|mid|pm|all day|\d{1,2}:\d{2}(:\d{2})?(\s*[ap]m)?)$", re.IGNORECASE
)
_DURATION = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
_UNIT = re.compile(r"\(\s*([^)]*?)\s*\)")
_MG = re.compile(r"(\d+(?:[.,]\d+)?)\s*mg\b", re.IGNORECASE)
_MICRO = ("mcg", "µg", "μg", "ug")
_SYMPTOM_RULE = "a symptom rating 0-4 (0 none, 1 mild, 2 moderate, 3 severe, 4 unbearable)"


def _days(
    raw: RawTable, pos: dict[str, int], date_format: str | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, str, np.ndarray]:
    """Day of every row, bad rows, the date column named in messages, what was expected."""
    if "date formatted" in pos:
        days, bad, expected, more = column_days(raw, pos, "date formatted", date_format)
        fallback, _, _, _ = column_days(raw, pos, "date", None)
        use = np.isnat(days) & ~np.isnat(fallback)
        if use.any():
            notes.append(
                f"{plural(int(use.sum()), 'entry', 'entries')} without a readable "
                "'date formatted': their 'date' used"
            )
        days = np.where(use, fallback, days)
        notes += more
        return days, bad & ~use, "date formatted", expected
    days, bad, expected, more = column_days(raw, pos, "date", date_format)
    notes += more
    return days, bad, "date", expected


def _symptoms(detail: np.ndarray, rating: np.ndarray, sym: np.ndarray):
    """Symptom name, value (rating, or the label when the rating is blank), label clashes."""
    text = pd.Series(detail, dtype=object).where(sym)
    parts = text.str.extract(_LABEL)
    name = parts[0].where(parts[0].notna(), text).str.strip().to_numpy(dtype=object)
    level = parts[1].str.casefold().map(_LEVELS).to_numpy(dtype=np.float64, na_value=np.nan)
    value = np.where(np.isnan(rating), level, rating)
    clash = sym & ~np.isnan(rating) & ~np.isnan(level) & (rating != level)
    return name, value, clash


def _ldn_amounts(
    raw: RawTable,
    item_rows: np.ndarray,
    items: np.ndarray,
    rating: np.ndarray,
    meds: np.ndarray,
    mapping: AppMapping,
    notes: list[str],
) -> tuple[np.ndarray, list[int]]:
    """mg of every LDN item (NaN: unknown) and the items whose unit cannot be read."""
    per_row = np.bincount(item_rows, minlength=len(rating))
    own = meds[item_rows] & (per_row[item_rows] == 1)
    amount = np.where(own, rating[item_rows], np.nan)
    bad_unit: list[int] = []
    converted = from_text = defaulted = unknown = 0
    for k, item in enumerate(items):
        unit_match = _UNIT.search(item)
        unit = unit_match[1].casefold() if unit_match else ""
        if not np.isnan(amount[k]):
            if unit in _MICRO:
                amount[k] /= 1000.0
                converted += 1
            elif unit not in ("", "mg"):
                bad_unit.append(k)
            continue
        found = _MG.search(item)
        if found:
            amount[k] = float(found[1].replace(",", "."))
            from_text += 1
        elif mapping.ldn_dose_mg is not None:
            amount[k] = mapping.ldn_dose_mg
            defaulted += 1
        else:
            unknown += 1
    if converted:
        notes.append(f"{plural(converted, 'naltrexone amount')} in mcg converted to mg")
    if from_text:
        notes.append(
            f"{plural(from_text, 'naltrexone amount')} read from the entry text (e.g. '4.5 mg')"
        )
    if defaulted:
        notes.append(
            f"{plural(defaulted, 'naltrexone entry', 'naltrexone entries')} without an amount "
            "read as "
            f"{mapping.ldn_dose_mg:g} mg ([ldn] dose_mg of the mapping)"
        )
    if unknown:
        notes.append(
            f"{plural(unknown, 'naltrexone entry', 'naltrexone entries')} without an amount: "
            "dose unknown (blank) on those days"
        )
    return amount, bad_unit


def read_bearable(
    raw: RawTable,
    pos: dict[str, int],
    mapping: AppMapping,
    patient_id: str,
    date_format: str | None,
    dose_log: bool,
) -> AppTable:
    """Read a Bearable export (see the module docstring for the rules)."""
    n = len(raw.frame)
    notes: list[str] = []
    problems: list[tuple[str, Problem]] = []
    pids = np.full(n, patient_id, dtype=object)
    empty = blank_rows(raw)
    days, bad_day, day_column, expected = _days(raw, pos, date_format, notes)
    bad_day &= ~empty
    for text in pd.unique(expected[bad_day]):
        rows = np.flatnonzero(bad_day & (expected == text))
        problems += cell_problems(raw, rows, pids, day_column, str(text))
    index = DayIndex(np.where(empty, None, pids), days)
    category = column_text(raw, pos, "category")
    cat = pd.Series(category, dtype=object).str.casefold().to_numpy(dtype=object)
    detail = column_text(raw, pos, "detail")
    rating_text = column_text(raw, pos, "rating/amount")
    rating = numbers(rating_text)
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, tuple[float, float]] = {}

    sym = np.isin(cat, _SYMPTOM)
    name, value, clash = _symptoms(detail, rating, sym)
    bad = sym & (np.isnan(value) | (value < 0) | (value > 4) | (value != np.round(value)))
    problems += cell_problems(raw, np.flatnonzero(bad), pids, "rating/amount", _SYMPTOM_RULE)
    problems += cell_problems(
        raw,
        np.flatnonzero(clash & ~bad),
        pids,
        "rating/amount",
        "a rating that agrees with the label in 'detail' (mild 1, moderate 2, severe 3, "
        "unbearable 4)",
    )
    cols, found, sev_notes, _ = severity_columns(
        index,
        value,
        name,
        sym & ~bad & ~clash,
        mapping,
        scale=(0.0, 4.0),
        what="Bearable symptoms",
        tracked=index.any(sym),
        presence=True,
    )
    columns |= cols
    scales |= found
    notes += sev_notes

    for cat_name, column, scale in _RATINGS:
        rows = cat == cat_name
        if not rows.any():
            continue
        bad = rows & (np.isnan(rating) | (rating < scale[0]) | (rating > scale[1]))
        rule = f"a {cat_name} rating {scale[0]:g}-{scale[1]:g}"
        problems += cell_problems(raw, np.flatnonzero(bad), pids, "rating/amount", rule)
        ok = rows & ~bad
        columns[column] = index.combine(rating, ok, "mean")
        scales[column] = scale
        several = int((index.count(ok) > 1).sum())
        notes.append(
            f"{column} from Bearable {cat_name} ratings ({scale[0]:g}-{scale[1]:g}): "
            f"daily mean ({plural(several, 'day')} with several entries)"
        )

    sleep = cat == "sleep"
    if sleep.any():
        parts = pd.Series(rating_text, dtype=object).where(sleep).str.extract(_DURATION)
        hours = parts[0].astype(float).to_numpy() + parts[1].astype(float).to_numpy() / 60.0
        hours = np.where(np.isnan(hours), rating, hours)
        unread = sleep & np.isnan(hours)
        columns["sleep_hours"] = index.combine(hours, sleep & ~unread, "sum")
        notes.append("sleep_hours: Bearable sleep durations (H:MM) summed per day")
        if unread.any():
            first = where_text(raw, int(np.flatnonzero(unread)[0]))
            notes.append(
                f"{plural(int(unread.sum()), 'sleep duration')} not readable (first on "
                f"{first}): left blank"
            )

    _tags(raw, index, cat, detail, rating, pids, mapping, dose_log, columns, notes, problems)
    notes_text = column_text(raw, pos, "notes")
    if not pd.isna(notes_text).all():
        columns["notes"] = index.text(notes_text, ~empty)
    other = pd.Series(category[np.isin(cat, _NOT_READ)], dtype=object).value_counts()
    if len(other):
        notes.append("categories not read: " + ", ".join(f"{k} ({v})" for k, v in other.items()))
    notes.append("time of day not used: each entry counts for its date")
    times = pd.Series(column_text(raw, pos, "time of day"), dtype=object).dropna()
    odd = times[~times.str.match(_TIME_OF_DAY)]
    if len(odd):
        notes.append(
            f"{plural(len(odd), 'entry', 'entries')} with an unknown time of day "
            f"(e.g. {odd.iloc[0]!r}): "
            "only the date is used"
        )
    if scales:
        notes.append(
            "scales kept as recorded in Bearable, nothing rescaled: "
            + ", ".join(f"{k} {v[0]:g}-{v[1]:g}" for k, v in scales.items())
        )
    table = index.table("bearable", raw, columns, notes, several=False)
    table.problems, table.scales = problems, scales
    return table


def _tags(
    raw: RawTable,
    index: DayIndex,
    cat: np.ndarray,
    detail: np.ndarray,
    rating: np.ndarray,
    pids: np.ndarray,
    mapping: AppMapping,
    dose_log: bool,
    columns: dict[str, np.ndarray],
    notes: list[str],
    problems: list[tuple[str, Problem]],
) -> None:
    """LDN doses, opioids and alcohol from medication entries and tag categories."""
    n = len(cat)
    meds = np.isin(cat, _MEDS)
    item_rows, items = explode_items(detail, meds | (~np.isin(cat, _SPECIAL) & ~pd.isna(cat)))
    target = mapping.tag_rules().targets(items)
    ldn = target == "ldn"
    if ldn.any() and dose_log:
        notes.append(
            f"{plural(int(ldn.sum()), 'naltrexone entry', 'naltrexone entries')} not used: "
            "dose_mg from the dose log"
        )
    elif ldn.any():
        amount, bad_unit = _ldn_amounts(
            raw, item_rows[ldn], items[ldn], rating, meds, mapping, notes
        )
        bad_rows = item_rows[ldn][bad_unit]
        problems += cell_problems(
            raw,
            bad_rows,
            pids,
            "detail",
            "a naltrexone amount in mg (or mcg); for other units give a dose log (dose_log=)",
        )
        amount[bad_unit] = np.nan
        row_amount = np.zeros(n)
        np.add.at(row_amount, item_rows[ldn], amount)
        ldn_rows = np.zeros(n, dtype=bool)
        ldn_rows[item_rows[ldn]] = True
        tracked = np.isin(cat, pd.unique(cat[item_rows[ldn]]))
        columns["dose_mg"], counts = index.dose(row_amount, ldn_rows, tracked)
        used = sorted(pd.unique(items[ldn]).tolist())
        notes.append(
            f"dose_mg from the entries {names_text(used)} (mg, summed per day) on "
            f"{plural(counts['taken'], 'day')}; 0 before the first; 0 on "
            f"{plural(counts['zero'], 'later day')} with other entries of the same category; "
            f"blank (dose carried forward) on {plural(counts['blank'], 'day')} without such "
            "entries"
        )
    else:
        notes.append(
            f"no naltrexone entry found (names {names_text(list(mapping.ldn_names))}): "
            "give the doses as a dose log (dose_log=)"
        )
    for column, what in (("opioid_use", "opioid"), ("alcohol_units", "alcohol")):
        sel = target == column
        if not sel.any():
            notes.append(f"{column}: no {what} entry or tag found, so not recorded (unknown)")
            continue
        count = np.bincount(item_rows[sel], minlength=n).astype(np.float64)
        has = count > 0
        per_day = index.combine(count, has, "sum")
        tracked = index.any(np.isin(cat, pd.unique(cat[item_rows[sel]])))
        per_day[np.isnan(per_day) & tracked] = 0.0
        if column == "opioid_use":
            per_day = np.where(per_day > 0, 1.0, per_day)
        columns[column] = per_day
        used = sorted(pd.unique(items[sel]).tolist())
        unit = "1 if any" if column == "opioid_use" else "one unit per tag (a lower bound)"
        notes.append(
            f"{column} from {names_text(used)}: {unit}; 0 on days with other entries "
            "of the same category, else blank"
        )
