"""Turn a raw table into validated diary rows of every patient at once (vectorised).

Steps: map columns -> patient ids and completely empty rows -> dates -> long to wide
-> typed columns checked against their rules -> identical duplicates merged, conflicting
ones reported -> dose log -> dosing checks. Every problem is collected with its line and
patient; every excluded row is counted with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_n1.cells import (
    NUMBER_RULES,
    blank_mask,
    numeric_share,
    parse_ids,
    parse_numbers,
    parse_text,
)
from ldn_n1.dates import parse_dates
from ldn_n1.doselog import DoseLog, apply_dose_log, check_dosing
from ldn_n1.errors import DiaryError, Problem
from ldn_n1.layout import Wide, long_to_wide, wide_rows
from ldn_n1.problems import Collector
from ldn_n1.quality import ExcludedRow
from ldn_n1.readers import RawTable
from ldn_n1.schema import OUTCOMES, SIDE_EFFECTS, column_kind, map_columns

__all__ = ["Validated", "column_order", "validate_table"]

_NUMBER_RULE_OF = {
    "outcome": "outcome",
    "dose": "dose",
    "side_effect": "side_effect",
    "binary": "binary",
    "amount": "amount",
    "unknown": "extra",
}
_TEXT_KINDS = frozenset({"dose_time", "phase", "notes"})


@dataclass
class Validated:
    """Validated rows of every patient of one input.

    Attributes
    ----------
    ids : list of str
        Patient ids, in order of first appearance.
    frame : pandas.DataFrame
        ``Diary.data`` columns for all patients, sorted by patient then date.
    starts : numpy.ndarray
        Row ``starts[i]:starts[i + 1]`` of ``frame`` belong to patient ``i``.
    merged : numpy.ndarray
        Identical duplicate rows merged, per patient.
    excluded : dict of int to list of ExcludedRow
    notes : list of str
        File-level notes.
    patient_notes : dict of int to list of str
    problems : Collector
    """

    ids: list[str]
    frame: pd.DataFrame
    starts: np.ndarray
    merged: np.ndarray
    excluded: dict[int, list[ExcludedRow]]
    notes: list[str]
    patient_notes: dict[int, list[str]]
    problems: Collector


def _shown(found: list[object]) -> str:
    head = ", ".join(repr(str(f)) for f in found[:10])
    return head + (f", ... ({len(found)} in all)" if len(found) > 10 else "")


def _select(ids: pd.Series, file: str, patient_id: str | None, single: bool) -> np.ndarray:
    """Working rows: all, or those of the requested patient (blank rows go with the one above)."""
    attributed = ids.ffill().bfill()
    found = list(pd.unique(attributed.dropna()))
    if patient_id is not None:
        keep = (attributed == patient_id).to_numpy(dtype=bool, na_value=False)
        if not keep.any():
            raise DiaryError(
                file=file,
                column="patient_id",
                value=patient_id,
                expected=f"a patient id in the file: {_shown(found)}",
            )
        return np.flatnonzero(keep)
    if single and len(found) > 1:
        expected = f"one patient, found {len(found)}: {_shown(found)}; give patient_id= or use load_diaries"
        raise DiaryError(file=file, column="patient_id", expected=expected)
    return np.arange(len(ids))


def validate_table(
    raw: RawTable,
    *,
    default_id: str,
    patient_id: str | None = None,
    single: bool = False,
    dose_log: DoseLog | None = None,
    date_format: str | None = None,
    layout: str = "auto",
) -> Validated:
    """Validate every patient of a raw table; raise only for problems of the whole file.

    Parameters
    ----------
    raw : RawTable
    default_id : str
        Patient id when the input has no ``patient_id`` column.
    patient_id : str, optional
        Keep only this patient (or name the single patient of a file without ids).
    single : bool
        Raise when the input holds several patients and ``patient_id`` is not given.
    dose_log : DoseLog, optional
    date_format : str, optional
        ``strptime`` format for every date (needed for ambiguous dates like 03/04/2025).
    layout : {"auto", "wide", "long"}
    """
    cmap = map_columns(raw, layout)
    notes = list(raw.notes) + cmap.notes
    pos = cmap.positions
    ncol = raw.frame.shape[1]
    pid_pos = pos.get("patient_id")
    blanks = {j: blank_mask(raw.frame[j]) for j in range(ncol) if j != pid_pos}
    others = list(blanks.values())
    row_blank = np.logical_and.reduce(others) if others else np.ones(len(raw.frame), dtype=bool)
    ids = parse_ids(raw.frame[pid_pos]) if pid_pos is not None else None
    if ids is not None and ids.isna().all():
        notes.append(
            f"column {cmap.written['patient_id']!r} is empty: patient id {default_id!r} used"
        )
        ids = None
    if ids is None:
        name = default_id if patient_id is None else patient_id
        ids = pd.Series(name, index=raw.frame.index, dtype=object)
        src = np.arange(len(ids))
    else:
        src = _select(ids, raw.file, patient_id, single)
    every = len(src) == len(raw.frame)
    frame = raw.frame if every else raw.frame.iloc[src].reset_index(drop=True)
    row_blank = row_blank[src]
    if not every:
        blanks = {j: b[src] for j, b in blanks.items()}
    ids = ids if every else ids.iloc[src].reset_index(drop=True)
    attributed = ids.ffill().bfill().to_numpy(dtype=object)
    codes, uniques = pd.factorize(attributed)
    uniques = [str(u) for u in uniques]
    problems = Collector(raw, src, attributed)
    if pid_pos is not None:
        missing_id = np.flatnonzero(ids.isna().to_numpy() & ~row_blank)
        problems.cells(missing_id, cmap.written["patient_id"], frame[pid_pos], "a patient id", -2)

    dates = parse_dates(frame[pos["date"]], date_format=date_format)
    notes += dates.notes
    bad = dates.bad & ~row_blank
    problems.cells(
        np.flatnonzero(bad), cmap.written["date"], frame[pos["date"]], dates.expected[bad], -1
    )
    no_date = np.isnat(dates.days) & ~dates.bad & ~row_blank
    problems.cells(
        np.flatnonzero(no_date),
        cmap.written["date"],
        frame[pos["date"]],
        "a date for a row with values",
        -1,
    )
    days = np.where(row_blank, np.datetime64("NaT"), dates.days)

    excluded: dict[int, list[ExcludedRow]] = {}
    for r in np.flatnonzero(row_blank):
        line, label = problems.where(int(r))
        reason = "completely empty row" + (f" (row {label})" if line is None else "")
        excluded.setdefault(int(codes[r]), []).append(ExcludedRow(line, reason))

    if cmap.layout == "long":
        wide = long_to_wide(frame, cmap, codes, days, row_blank, problems, len(uniques))
        notes += wide.notes
    else:
        wide = wide_rows(frame, cmap, codes, days, row_blank, blanks)
    typed, kinds = _type_columns(wide, raw.decimal_comma, problems, notes)
    names = {"date": cmap.written["date"], "dose_mg": wide.written.get("dose_mg", "dose_mg")}
    if pid_pos is not None:
        names["patient_id"] = cmap.written["patient_id"]
    out = _assemble(
        wide, typed, kinds, uniques, problems, dose_log, notes, names, frame[pos["date"]]
    )
    out.excluded = excluded
    return out


def _type_columns(
    wide: Wide, decimal_comma: bool, problems: Collector, notes: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse every column by its kind; unknown columns are numeric extras or dropped text."""
    typed: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for order, (name, cells) in enumerate(wide.cells.items()):
        written = wide.written.get(name, name)
        kind = column_kind(name)
        if kind == "unknown":
            numbers, filled = numeric_share(
                cells, decimal_comma=decimal_comma, blank=wide.blank.get(name)
            )
            if filled == 0:
                notes.append(f"column {written!r} is empty: dropped")
                continue
            if 2 * numbers < filled:
                example = cells[~blank_mask(cells)].iloc[0]
                notes.append(
                    f"column {written!r} holds text (e.g. {str(example).strip()[:40]!r}), not numbers: dropped"
                )
                continue
        if kind in _TEXT_KINDS:
            typed[name] = parse_text(cells, lower=kind == "dose_time").to_numpy(
                dtype=object, na_value=None
            )
        elif kind in _NUMBER_RULE_OF:
            rule = NUMBER_RULES[_NUMBER_RULE_OF[kind]]
            parsed = parse_numbers(
                cells, rule, decimal_comma=decimal_comma, column=written, blank=wide.blank.get(name)
            )
            notes += parsed.notes
            problems.cells(
                wide.cell_src[name][parsed.bad], written, wide.values[name], rule.expected, order
            )
            typed[name] = parsed.values
        else:  # measure/value columns of a file read as wide
            continue
        kinds[name] = "extra" if kind == "unknown" else kind
    return typed, kinds


def column_order(kinds: dict[str, str]) -> list[str]:
    """Order of the ``Diary.data`` columns after ``date``: outcomes, extras, dose, ..., notes."""
    extras = [n for n, k in kinds.items() if k == "extra"]
    return (
        [n for n in OUTCOMES if n in kinds]
        + extras
        + [n for n in ("dose_mg", "dose_time", "phase") if n in kinds]
        + [n for n in SIDE_EFFECTS if n in kinds]
        + [n for n in ("opioid_use", "alcohol_units", "notes") if n in kinds]
    )


def _date_dtype() -> np.dtype:
    return pd.Series(pd.to_datetime(["2000-01-01"])).dtype


def _assemble(
    wide: Wide,
    typed: dict[str, np.ndarray],
    kinds: dict[str, str],
    ids: list[str],
    problems: Collector,
    dose_log: DoseLog | None,
    notes: list[str],
    names: dict[str, str],
    date_cells: pd.Series,
) -> Validated:
    """Sort by patient and day, merge identical duplicates, apply the dose log, check dosing."""
    npat = len(ids)
    order = np.lexsort((wide.first_src, wide.days.astype(np.int64), wide.codes))
    order = order[~np.isnat(wide.days[order])]
    codes = wide.codes[order]
    day = wide.days[order].astype(np.int64)
    src = wide.first_src[order]
    cols = column_order(kinds)
    data = {n: typed[n][order] for n in cols}
    merged = wide.merged.copy() if wide.merged is not None else np.zeros(npat, dtype=np.int64)
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (codes[1:] == codes[:-1]) & (day[1:] == day[:-1])
    if same.any():
        group = np.cumsum(~same) - 1
        leader = np.flatnonzero(~same)[group]
        involved = np.flatnonzero(same | np.r_[same[1:], False])
        table = pd.DataFrame({"_g": group[involved], **{n: data[n][involved] for n in cols}})
        exact = np.zeros(len(order), dtype=bool)
        exact[involved] = table.duplicated(keep="first").to_numpy()
        merged += np.bincount(codes[exact], minlength=npat)
        clash = np.flatnonzero(same & ~exact)
        expected = []
        for k in clash:
            line, label = problems.where(int(src[leader[k]]))
            expected.append(
                f"each day once ({f'line {line}' if line is not None else f'row {label}'} "
                "has the same day with different values)"
            )
        problems.cells(src[clash], names["date"], date_cells, np.array(expected, dtype=object), -1)
        keep = np.flatnonzero(~same)
        codes, day, src = codes[keep], day[keep], src[keep]
        data = {n: v[keep] for n, v in data.items()}
    patient_notes: dict[int, list[str]] = {}
    backwards = (codes[1:] == codes[:-1]) & (src[1:] < src[:-1])
    for c in np.unique(codes[1:][backwards]):
        patient_notes.setdefault(int(c), []).append("rows were not in date order: sorted by date")
    if dose_log is not None:
        notes.append(
            f"dose_mg from the dose log {dose_log.file!r} (each entry holds until the next)"
        )
        notes += dose_log.notes
        result = apply_dose_log(
            dose_log, ids, codes, day, data.get("dose_mg"), data.get("dose_time")
        )
        for i, text in zip(result.conflicts, result.expected, strict=True):
            line, label = problems.where(int(src[i]))
            value = f"{data['dose_mg'][i]:g}"
            problem = Problem(problems.raw.file, line, names["dose_mg"], value, text, row=label)
            problems.add(ids[codes[i]], problem, int(src[i]))
        for c in result.unlogged:
            problems.add(
                ids[c],
                Problem(
                    dose_log.file, None, "patient_id", ids[c], "a dose-log entry for every patient"
                ),
            )
        for c, texts in result.notes.items():
            patient_notes.setdefault(c, []).extend(texts)
        data["dose_mg"] = result.dose
        if result.time is not None:
            data["dose_time"] = result.time
        kinds.setdefault("dose_mg", "dose")
        if result.time is not None:
            kinds.setdefault("dose_time", "dose_time")
        cols = column_order(kinds)
    check_dosing(data, codes, src, ids, problems, patient_notes, names)
    columns = {"date": day.astype("datetime64[D]").astype(_date_dtype())}
    for n in cols:
        columns[n] = pd.array(data[n], dtype="string") if data[n].dtype == object else data[n]
    frame = pd.DataFrame(columns)  # one block per dtype: cheap per-patient slices
    starts = np.searchsorted(codes, np.arange(npat + 1))
    return Validated(ids, frame, starts, merged, {}, notes, patient_notes, problems)
