"""Doses: a separate dose log merged onto the diary days, and the dosing checks.

A dose log is ``date, dose_mg[, dose_time][, patient_id]``.

Each log row holds from its date until the next row (of the same patient). Diary days
before the first log row are read as dose 0 (not yet started), and this is noted. Where
the diary has its own ``dose_mg`` value, it must agree with the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike

import numpy as np
import pandas as pd

from ldn_n1.cells import NUMBER_RULES, blank_mask, parse_ids, parse_numbers, parse_text
from ldn_n1.dates import parse_dates
from ldn_n1.errors import DiaryError, Problem
from ldn_n1.problems import Collector
from ldn_n1.readers import read_table
from ldn_n1.schema import map_columns

__all__ = ["DoseLog", "DoseMerge", "apply_dose_log", "check_dosing", "read_dose_log"]

_HIGH_DOSE_MG = 20.0


@dataclass
class DoseLog:
    """A validated dose log, sorted by patient and date.

    Attributes
    ----------
    file : str
    pids : numpy.ndarray or None
        Patient id per row (object), or ``None`` when the log has no ``patient_id``.
    days : numpy.ndarray
        Start day per row (int64 days since 1970-01-01).
    dose : numpy.ndarray
        ``dose_mg`` from that day on (NaN: unknown).
    time : numpy.ndarray or None
        ``dose_time`` (object, ``None`` when blank), or ``None`` without the column.
    notes : list of str
    """

    file: str
    pids: np.ndarray | None
    days: np.ndarray
    dose: np.ndarray
    time: np.ndarray | None
    notes: list[str] = field(default_factory=list)


def read_dose_log(
    source: str | PathLike[str] | pd.DataFrame,
    *,
    date_format: str | None = None,
    sheet: str | int | None = None,
) -> DoseLog:
    """Read and validate a dose log (path or DataFrame, not modified).

    Raises
    ------
    DiaryError
        Every problem of the log at once: no ``date`` or ``dose_mg`` column, bad dates,
        bad doses, the same date twice with different doses.
    """
    raw = read_table(source, sheet=sheet, what="dose log")
    cmap = map_columns(raw, "wide", what="dose log")
    pos = cmap.positions
    if "dose_mg" not in pos:
        found = ", ".join(repr(h) for h in raw.headers)
        raise DiaryError(
            file=raw.file, expected=f"a 'dose_mg' column in the dose log; columns found: {found}"
        )
    frame = raw.frame
    used = [p for n, p in pos.items() if n in ("date", "dose_mg", "dose_time")]
    blank = np.logical_and.reduce([blank_mask(frame[p]) for p in used])
    notes = [
        f"dose log column {cmap.written[n]!r} not used"
        for n in pos
        if n not in ("date", "dose_mg", "dose_time", "patient_id")
    ]
    pids = (
        parse_ids(frame[pos["patient_id"]]).to_numpy(dtype=object, na_value=None)
        if "patient_id" in pos
        else None
    )
    problems = Collector(
        raw,
        np.arange(len(frame)),
        pids if pids is not None else np.full(len(frame), "", dtype=object),
    )
    if pids is not None:
        problems.cells(
            np.flatnonzero(~blank & pd.isna(pids)),
            cmap.written["patient_id"],
            frame[pos["patient_id"]],
            "a patient id",
        )
    dates = parse_dates(frame[pos["date"]], date_format=date_format)
    bad = dates.bad & ~blank
    problems.cells(
        np.flatnonzero(bad), cmap.written["date"], frame[pos["date"]], dates.expected[bad]
    )
    missing = np.isnat(dates.days) & ~dates.bad & ~blank
    problems.cells(
        np.flatnonzero(missing),
        cmap.written["date"],
        frame[pos["date"]],
        "a date for a dose-log row",
    )
    dose = parse_numbers(
        frame[pos["dose_mg"]],
        NUMBER_RULES["dose"],
        decimal_comma=raw.decimal_comma,
        column=cmap.written["dose_mg"],
    )
    problems.cells(
        np.flatnonzero(dose.bad & ~blank),
        cmap.written["dose_mg"],
        frame[pos["dose_mg"]],
        NUMBER_RULES["dose"].expected,
        1,
    )
    time = (
        parse_text(frame[pos["dose_time"]], lower=True).to_numpy(dtype=object, na_value=None)
        if "dose_time" in pos
        else None
    )
    keep = np.flatnonzero(~blank & ~np.isnat(dates.days))
    table = pd.DataFrame(
        {
            "p": pids[keep] if pids is not None else "",
            "d": dates.days[keep].astype(np.int64),
            "dose": dose.values[keep],
            "time": time[keep] if time is not None else None,
            "row": keep,
        }
    )
    table = table.drop_duplicates(subset=["p", "d", "dose", "time"]).sort_values(
        ["p", "d"], kind="stable"
    )
    clash = table.duplicated(subset=["p", "d"], keep="first").to_numpy()
    if clash.any():
        problems.cells(
            table["row"].to_numpy()[clash],
            cmap.written["date"],
            frame[pos["date"]],
            "each date once in the dose log (it appears again with a different dose)",
            2,
        )
    found = problems.by_patient()
    if found:
        raise DiaryError([p for ps in found.values() for p in ps])
    return DoseLog(
        raw.file,
        table["p"].to_numpy(dtype=object) if pids is not None else None,
        table["d"].to_numpy(np.int64),
        table["dose"].to_numpy(np.float64),
        table["time"].to_numpy(dtype=object) if time is not None else None,
        notes,
    )


@dataclass
class DoseMerge:
    """Doses per diary row after merging a log, with disagreements and notes."""

    dose: np.ndarray
    time: np.ndarray | None
    conflicts: np.ndarray
    expected: list[str]
    notes: dict[int, list[str]]
    unlogged: list[int]


def apply_dose_log(
    log: DoseLog,
    ids: list[str],
    codes: np.ndarray,
    day: np.ndarray,
    dose: np.ndarray | None,
    time: np.ndarray | None,
) -> DoseMerge:
    """Give every diary row the dose (and time) of the latest log row on or before its day.

    Parameters
    ----------
    log : DoseLog
    ids : list of str
        Patient id of each patient code.
    codes, day : numpy.ndarray
        Patient code and day (int64 days) of each diary row.
    dose, time : numpy.ndarray or None
        The diary's own ``dose_mg`` / ``dose_time`` values, if it has those columns.
    """
    n = len(day)
    left = pd.DataFrame({"d": day.astype(np.int64), "row": np.arange(n)})
    right = pd.DataFrame(
        {"d": log.days, "log_dose": log.dose, "log_day": log.days.astype(np.float64)}
    )
    by = None
    if log.pids is not None:
        left["p"] = np.asarray(ids, dtype=object)[codes] if n else np.array([], dtype=object)
        right["p"] = log.pids
        by = "p"
    if log.time is not None:
        right["log_time"] = log.time
    merged = pd.merge_asof(
        left.sort_values("d", kind="stable"),
        right.sort_values("d", kind="stable"),
        on="d",
        by=by,
        direction="backward",
    )
    merged = merged.sort_values("row").reset_index(drop=True)
    log_dose = merged["log_dose"].to_numpy(np.float64)
    before = merged["log_day"].isna().to_numpy()
    own = dose if dose is not None else np.full(n, np.nan)
    conflicts = np.flatnonzero(
        ~before & ~np.isnan(own) & ~np.isnan(log_dose) & ~np.isclose(own, log_dose)
    )
    starts = (
        pd.to_datetime(merged["log_day"].to_numpy(np.float64)[conflicts], unit="D")
        if len(conflicts)
        else []
    )
    expected = [
        f"{log_dose[i]:g} mg as in the dose log from {s.date()}"
        for i, s in zip(conflicts, starts, strict=True)
    ]
    filled = np.where(before, 0.0, log_dose)
    new_dose = np.where(np.isnan(own), filled, own)
    notes: dict[int, list[str]] = {}
    npat = len(ids)
    counts = np.bincount(codes, minlength=npat)
    ids_arr = np.asarray(ids, dtype=object)
    if log.pids is not None:
        logged = pd.Index(pd.unique(log.pids)).get_indexer(ids_arr) >= 0
        first_day = (
            pd.Series(log.days).groupby(log.pids).min().reindex(ids_arr).to_numpy(np.float64)
        )
    else:
        logged = np.ones(npat, dtype=bool)
        first_day = np.full(npat, float(log.days.min()))
    outside = ~logged[codes]
    new_dose[outside] = own[outside]
    known = np.bincount(codes, weights=~np.isnan(own), minlength=npat)
    unlogged = [int(c) for c in np.flatnonzero(~logged & (counts > 0) & (known == 0))]
    early = np.bincount(codes[before & np.isnan(own) & ~outside], minlength=npat)
    for c in np.flatnonzero(early):
        start = np.datetime64(int(first_day[c]), "D")
        notes.setdefault(int(c), []).append(
            f"{early[c]} days before the first dose-log entry ({start}) read as dose 0"
        )
    new_time = time
    if log.time is not None:
        log_time = merged["log_time"].to_numpy(dtype=object)
        log_time = np.where(pd.isna(log_time) | outside, None, log_time)
        if time is None:
            new_time = log_time
        else:
            differ = ~pd.isna(time) & ~pd.isna(log_time) & (time != log_time)
            per = np.bincount(codes[differ], minlength=npat)
            for c in np.flatnonzero(per):
                notes.setdefault(int(c), []).append(
                    f"dose_time differs from the dose log on {per[c]} days: diary kept"
                )
            new_time = np.where(pd.isna(time), log_time, time)
    return DoseMerge(new_dose, new_time, conflicts, expected, notes, unlogged)


def check_dosing(
    data: dict[str, np.ndarray],
    codes: np.ndarray,
    src: np.ndarray,
    ids: list[str],
    problems: Collector,
    patient_notes: dict[int, list[str]],
    names: dict[str, str],
) -> None:
    """No treatment phase (never dosed) and no baseline (dosed from the first day).

    Skipped for a patient with problems in the date, dose or patient-id column: rows or
    doses are then missing and the check could report a consequence, not a cause.
    """
    dose_name = names["dose_mg"]
    npat = len(ids)
    counts = np.bincount(codes, minlength=npat)
    starts = np.searchsorted(codes, np.arange(npat))
    file = problems.raw.file
    phased = np.zeros(npat, dtype=bool)
    if "phase" in data:
        phased = np.bincount(codes, weights=~pd.isna(data["phase"]), minlength=npat) > 0
    troubled = problems.patients()
    for c in np.flatnonzero(counts == 0):
        if ids[c] not in troubled:
            problems.add(
                ids[c], Problem(file, None, None, None, "at least one diary day with a date")
            )
    if "dose_mg" not in data:
        for c in np.flatnonzero(~phased & (counts > 0)):
            expected = "a 'dose_mg' column or a dose log: without doses there is no baseline or treatment phase"
            problems.add(ids[c], Problem(file, None, "dose_mg", None, expected))
        return
    dose = data["dose_mg"]
    dosed = np.nan_to_num(dose, nan=0.0) > 0
    any_dosed = np.bincount(codes, weights=dosed, minlength=npat) > 0
    unsure = set(names.values())
    dose_trouble = {pid for pid, _, p in problems.items if p.column in unsure}
    first_dose = np.full(npat, -1, dtype=np.int64)
    hit = np.flatnonzero(dosed)
    if len(hit):
        first_pat, at = np.unique(codes[hit], return_index=True)
        first_dose[first_pat] = hit[at]
    blank_before = np.bincount(codes[np.isnan(dose)], minlength=npat)
    for c in np.flatnonzero((counts > 0) & ~phased):
        if ids[c] in dose_trouble:
            continue
        first = starts[c]
        if not any_dosed[c]:
            expected = f"a dose above 0 on some day: there is no treatment phase ({counts[c]} days, never dosed)"
            problems.add(ids[c], Problem(file, None, dose_name, None, expected))
        elif dosed[first]:
            line, label = problems.where(int(src[first]))
            expected = "no dose (0) on the first days: dosed from the first day leaves no baseline"
            problem = Problem(file, line, dose_name, f"{dose[first]:g}", expected, row=label)
            problems.add(ids[c], problem, int(src[first]))
        elif blank_before[c]:
            before = dose[first : first_dose[c]]
            if np.isnan(before).all():
                patient_notes.setdefault(int(c), []).append(
                    f"dose_mg is blank (unknown) on all {len(before)} days before the first dose"
                )
    top = np.full(npat, -np.inf)
    finite = ~np.isnan(dose)
    np.maximum.at(top, codes[finite], dose[finite])
    for c in np.flatnonzero(top > _HIGH_DOSE_MG):
        patient_notes.setdefault(int(c), []).append(
            f"dose_mg up to {top[c]:g} mg: above the low-dose range"
        )
