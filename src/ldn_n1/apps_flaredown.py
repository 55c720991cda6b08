"""Flaredown research export: many users in one file, rows in any order.

Layout: ``user_id, age, sex, country, checkin_date, trackable_id, trackable_type,
trackable_name, trackable_value``. The patient id is ``user_id``; age, sex and country
are not used. Each user's diary is read on its own (one user's problems do not stop the
others).

- ``Condition`` and ``Symptom`` rows (0-4: 0 not active ... 4 extremely active; users
  name their own trackables, e.g. ``hip pain when getting up``): outcomes and side effects
  by name, several a day by the daily maximum (or mean); a blank value is "not rated" and
  skipped. Flaredown stores every rated trackable, 0 included, so a day without a
  matching trackable stays blank. Side effects are 0/1 (present that day).
- ``Treatment`` rows: LDN by name, the dose a free string (``4.5 mg``, ``4.5``,
  ``1 x 4.5mg``; ``3 x 1.5 mg`` = 4.5 mg; mcg converted), summed over the day. Before a
  user's first LDN entry the dose is 0; later check-ins with other treatments but no LDN
  are 0; check-ins without treatments are blank. Opioids by name give ``opioid_use``.
- ``Tag`` rows: alcohol (one unit per tag, a lower bound), opioids and LDN by name.
- ``Weather``, ``Food``, ``HBI`` and other rows are not used (counted in the notes).
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
    names_text,
    numbers,
    plural,
    severity_columns,
)
from ldn_n1.cells import parse_ids

if TYPE_CHECKING:
    from ldn_n1.apps import AppTable
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.errors import Problem
    from ldn_n1.readers import RawTable

__all__ = ["parse_dose", "read_flaredown"]

_DOSE = re.compile(
    r"^\s*(?:(\d+(?:[.,]\d+)?)\s*[x×*]\s*)?(\d+(?:[.,]\d+)?)\s*(mg|mcg|µg|μg|ug)?\s*$",
    re.IGNORECASE,
)
_DOSE_RULE = "an LDN dose such as '4.5 mg', '4.5' or '3 x 1.5 mg'"


def parse_dose(text: object) -> float:
    """mg of a Flaredown dose string; NaN when blank or not a dose.

    Examples
    --------
    >>> parse_dose("4.5 mg"), parse_dose("3 x 1.5mg"), parse_dose("4500 mcg"), parse_dose("2 pills")
    (4.5, 4.5, 4.5, nan)
    """
    if not isinstance(text, str):
        return np.nan
    m = _DOSE.match(text)
    if m is None:
        return np.nan
    dose = float(m[2].replace(",", "."))
    if m[1]:
        dose *= float(m[1].replace(",", "."))
    if m[3] and m[3].casefold() != "mg":
        dose /= 1000.0
    return dose


def read_flaredown(
    raw: RawTable,
    pos: dict[str, int],
    mapping: AppMapping,
    patient_id: str,
    date_format: str | None,
    dose_log: bool,
) -> AppTable:
    """Read a Flaredown export (see the module docstring for the rules)."""
    notes: list[str] = ["patient_id from user_id; age, sex and country not used"]
    problems: list[tuple[str, Problem]] = []
    empty = blank_rows(raw)
    pids = parse_ids(raw.frame[pos["user_id"]]).to_numpy(dtype=object, na_value=None)
    missing = ~empty & pd.isna(pids)
    problems += cell_problems(
        raw, np.flatnonzero(missing), np.full(len(pids), ""), "user_id", "a user id"
    )
    days, more, bad_dates = entry_days(
        raw, pos, "checkin_date", date_format, pids, ~empty & ~missing
    )
    notes += more
    problems += bad_dates
    index = DayIndex(np.where(empty, None, pids), days)
    kind = pd.Series(column_text(raw, pos, "trackable_type"), dtype=object).str.casefold()
    kind = kind.to_numpy(dtype=object)
    name = column_text(raw, pos, "trackable_name")
    text = column_text(raw, pos, "trackable_value")
    value = numbers(text)
    columns: dict[str, np.ndarray] = {}

    rated = np.isin(kind, ("condition", "symptom")) & ~pd.isna(text) & ~pd.isna(pids)
    matched = ~pd.isna(mapping.outcome_rules().targets(name)) | ~pd.isna(
        mapping.side_effect_rules().targets(name)
    )
    bad = (
        rated & matched & (np.isnan(value) | (value < 0) | (value > 4) | (value != np.round(value)))
    )
    problems += cell_problems(
        raw,
        np.flatnonzero(bad),
        pids,
        "trackable_value",
        "a Flaredown severity 0-4 (0 not active ... 4 extremely active)",
    )
    cols, scales, sev_notes, per_patient = severity_columns(
        index,
        value,
        name,
        rated & ~bad,
        mapping,
        scale=(0.0, 4.0),
        what="Flaredown conditions and symptoms",
        tracked=None,
        presence=True,
        several=True,
    )
    columns |= cols
    notes += sev_notes

    treatment = (kind == "treatment") & ~pd.isna(pids)
    tag_kind = np.isin(kind, ("treatment", "tag")) & ~pd.isna(pids)
    target = np.where(tag_kind, mapping.tag_rules().targets(name), None)
    ldn = target == "ldn"
    if ldn.any() and dose_log:
        notes.append(
            f"{plural(int(ldn.sum()), 'LDN entry', 'LDN entries')} not used: "
            "dose_mg from the dose log"
        )
    elif ldn.any():
        amount = np.full(len(text), np.nan)
        codes, uniques = pd.factorize(text[ldn])
        amount[ldn] = np.array([parse_dose(u) for u in uniques] + [np.nan])[codes]
        unreadable = ldn & ~pd.isna(text) & np.isnan(amount)
        problems += cell_problems(
            raw, np.flatnonzero(unreadable), pids, "trackable_value", _DOSE_RULE
        )
        blank = ldn & pd.isna(text)
        if mapping.ldn_dose_mg is not None:
            amount[blank] = mapping.ldn_dose_mg
        columns["dose_mg"], counts = index.dose(amount, ldn & ~unreadable, treatment)
        used = sorted(pd.unique(name[ldn]).tolist())
        notes.append(
            f"dose_mg from the LDN entries {names_text(used)} (mg, summed per day); 0 before "
            "a user's first; 0 on later check-ins with other treatments; blank (dose carried "
            "forward) on check-ins without treatments"
        )
        if blank.any():
            how = (
                f"read as {mapping.ldn_dose_mg:g} mg ([ldn] dose_mg)"
                if mapping.ldn_dose_mg is not None
                else "dose unknown (blank)"
            )
            notes.append(
                f"{plural(int(blank.sum()), 'LDN entry', 'LDN entries')} without a dose: {how}"
            )
        for pid, group in pd.DataFrame({"p": pids[ldn], "n": name[ldn]}).groupby("p"):
            per_patient.setdefault(str(pid), []).append(
                f"dose_mg from the LDN entries {names_text(sorted(set(group['n'])))}"
            )
    else:
        notes.append(
            f"no LDN entry found (names {names_text(list(mapping.ldn_names))}): give "
            "the doses as a dose log (dose_log=)"
        )
    for column, what in (("opioid_use", "opioid"), ("alcohol_units", "alcohol")):
        sel = target == column
        if not sel.any():
            notes.append(f"{column}: no {what} treatment or tag found, so not recorded (unknown)")
            continue
        per_day = index.combine(np.ones(len(sel)), sel, "sum")
        per_day[np.isnan(per_day) & index.any(tag_kind)] = 0.0
        if column == "opioid_use":
            per_day = np.minimum(per_day, 1.0)
        columns[column] = per_day
        used = names_text(sorted(pd.unique(name[sel]).tolist()))
        rule = "1 if any" if column == "opioid_use" else "one unit per entry (a lower bound)"
        notes.append(
            f"{column} from {used}: {rule}; 0 on other check-ins with treatments or "
            "tags, else blank"
        )
    other = ~empty & ~np.isin(kind, ("condition", "symptom", "treatment", "tag"))
    if other.any():
        counts = pd.Series(kind[other], dtype=object).fillna("(blank)").value_counts()
        notes.append("entries not used: " + ", ".join(f"{k} ({v})" for k, v in counts.items()))
    notes.append(
        "scales kept as recorded, nothing rescaled: "
        + ", ".join(f"{k} {v[0]:g}-{v[1]:g}" for k, v in scales.items())
    )
    table = index.table("flaredown", raw, columns, notes, several=True)
    table.problems, table.scales, table.patient_notes = problems, scales, per_patient
    return table
