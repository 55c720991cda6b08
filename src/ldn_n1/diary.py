"""Load and validate symptom diaries: :func:`load_diary`, :func:`load_diaries`, :func:`iter_diaries`.

A diary is one row per patient-day (DESIGN.md section 1). Files are read by
:mod:`ldn_n1.readers`, columns named by :mod:`ldn_n1.schema`, cells checked by
:mod:`ldn_n1.cells` and the whole table validated by :mod:`ldn_n1.validation`. All
problems of a file are collected and raised as one :class:`~ldn_n1.errors.DiaryError`
whose message names the file, line, column, the quoted bad value and the rule.
Input files and DataFrames are never modified.

Exports of the apps patients already keep (Bearable, Daylio, Visible, Flaredown) are read
with ``source=`` (``"auto"`` recognises them by their header): :mod:`ldn_n1.apps` turns
them into the canonical table, which is then validated the same way; every choice made is
a note of the quality report, and the app's scales travel with the diary
(:attr:`Diary.scales`, used by :func:`ldn_n1.apps.suggested_plan`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_n1.doselog import DoseLog, read_dose_log
from ldn_n1.errors import DiaryError, Problem
from ldn_n1.quality import ExcludedRow, QualityReport
from ldn_n1.readers import RawTable, list_diary_files, read_table
from ldn_n1.schema import OUTCOMES, SIDE_EFFECTS
from ldn_n1.validation import Validated, validate_table

__all__ = ["Diary", "ExcludedRow", "QualityReport", "iter_diaries", "load_diaries", "load_diary"]

Source = str | PathLike[str] | pd.DataFrame
#: Values of ``source=``: ``"auto"`` (an app export recognised by its header, else a
#: canonical diary), ``"diary"`` (canonical), or an app.
SOURCES = ("auto", "diary", "bearable", "daylio", "visible", "flaredown")
_NOT_OUTCOMES = frozenset(
    {"date", "dose_mg", "dose_time", "phase", "opioid_use", "alcohol_units", "notes", *SIDE_EFFECTS}
)


@dataclass(frozen=True, eq=False)
class Diary:
    """One patient's validated diary.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per day present, sorted by date, index ``0..n-1``. Columns: ``date``
        (datetime64, midnight), then those present of: outcomes (``pain``, ``fatigue``,
        ``sleep_quality``, ``fog``, ``mood``, then other numeric columns) as float64 with
        NaN for blank; ``dose_mg`` (float64, NaN = unknown); ``dose_time`` (string, lower
        case); ``phase`` (string); side effects (float64); ``opioid_use`` (float64 0/1);
        ``alcohol_units`` (float64); ``notes`` (string, untrusted free text).
    patient_id : str
    source : str
        The path as given, or ``"<DataFrame>"``.
    sha256 : str or None
        SHA-256 of the input file's bytes (``None`` for DataFrames).
    quality : QualityReport
    app : str or None
        The app the diary was exported from (``"bearable"``, ...), ``None`` for a
        canonical diary.
    scales : dict of str to (float, float)
        Scale of each outcome column as recorded by the app (e.g. pain 0-4); empty for a
        canonical diary (outcomes on 0-10). See :func:`ldn_n1.apps.suggested_plan`.
    """

    data: pd.DataFrame
    patient_id: str
    source: str
    sha256: str | None
    quality: QualityReport
    app: str | None = None
    scales: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Numeric score columns present: known outcomes first, then other numeric columns."""
        return tuple(c for c in self.data.columns if c not in _NOT_OUTCOMES)

    def __repr__(self) -> str:
        q = self.quality
        return (
            f"Diary({self.patient_id!r}, {q.first_day}..{q.last_day}, {q.days_present} days, "
            f"outcomes={','.join(self.outcomes) or '-'})"
        )


def _default_id(source: Source) -> str:
    return "patient" if isinstance(source, pd.DataFrame) else Path(source).stem


def _log(dose_log: Source | None, date_format: str | None) -> DoseLog | None:
    return None if dose_log is None else read_dose_log(dose_log, date_format=date_format)


def _column_blanks(frame: pd.DataFrame, starts: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Blank cells per patient (rows ``starts[i]:starts[i+1]``) and column, without a loop over rows."""
    names = [c for c in frame.columns if c != "date"]
    out = np.zeros((len(starts) - 1, len(names)), dtype=np.int64)
    for j, name in enumerate(names):
        total = np.concatenate([[0], np.cumsum(frame[name].isna().to_numpy(), dtype=np.int64)])
        out[:, j] = total[starts[1:]] - total[starts[:-1]]
    return names, out


def _diaries(
    raw_source: str,
    sha: str | None,
    file: str,
    v: Validated,
    app: str | None = None,
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> Iterator[Diary | DiaryError]:
    """One Diary (or the DiaryError of that patient) per patient, in order of first appearance."""
    problems = v.problems.by_patient()
    scales = scales or {}
    names, blanks = _column_blanks(v.frame, v.starts)
    days = v.frame["date"].to_numpy().astype("datetime64[D]")
    for i, pid in enumerate(v.ids):
        if pid in problems:
            yield DiaryError(problems[pid], patient_id=pid)
            continue
        a, b = int(v.starts[i]), int(v.starts[i + 1])
        first, last = days[a].item(), days[b - 1].item()
        data = v.frame.iloc[a:b]
        extra_notes = []
        # An app export shared by several patients: an outcome this patient never
        # recorded is left out rather than kept as an all-blank column.
        absent = [c for c in scales if c in data.columns and blanks[i][names.index(c)] == b - a]
        if absent and len(v.ids) > 1:
            data = data.drop(columns=absent)
            extra_notes.append(f"no entries for {', '.join(absent)}: left out")
        else:
            absent = []
        quality = QualityReport(
            file=file,
            patient_id=pid,
            first_day=first,
            last_day=last,
            days_expected=(last - first).days + 1,
            days_present=b - a,
            blanks={
                n: k for n, k in zip(names, blanks[i].tolist(), strict=True) if n not in absent
            },
            merged_duplicates=int(v.merged[i]),
            excluded_rows=tuple(v.excluded.get(i, ())),
            notes=tuple(v.notes + v.patient_notes.get(i, []) + extra_notes),
        )
        data.index = pd.RangeIndex(b - a)
        kept = {k: s for k, s in scales.items() if k in data.columns}
        yield Diary(data, pid, raw_source, sha, quality, app, kept)
    # Patients of an app export whose every entry had a problem have no diary row.
    for pid, found in problems.items():
        if pid not in v.ids and app is not None:
            yield DiaryError(found, patient_id=pid)


def _check_source(source: object) -> str:
    if not isinstance(source, str):  # e.g. the diary passed by keyword as before
        msg = (
            f"source= names where the diary comes from ({', '.join(map(repr, SOURCES))}), "
            f"got {type(source).__name__}; pass the diary itself as the first argument"
        )
        raise TypeError(msg)
    if source not in SOURCES:
        msg = f"source must be one of {', '.join(map(repr, SOURCES))}, got {source!r}"
        raise ValueError(msg)
    return source


@dataclass
class _Read:
    """A table read and validated: canonical, or converted from an app export."""

    raw: RawTable
    valid: Validated
    app: str | None = None
    scales: Mapping[str, tuple[float, float]] | None = None

    def diaries(self) -> Iterator[Diary | DiaryError]:
        raw = self.raw
        return _diaries(raw.source, raw.sha256, raw.file, self.valid, self.app, self.scales)


def _read(
    raw: RawTable,
    *,
    source: str,
    mapping: object,
    default_id: str,
    patient_id: str | None = None,
    single: bool = False,
    dose_log: DoseLog | None,
    date_format: str | None,
    layout: str,
) -> _Read:
    """Validate a raw table, converting an app export first (``source``) when it is one."""
    app = None
    if source != "diary":
        from ldn_n1.apps import detect_app

        app = detect_app(raw.headers) if source == "auto" else source
    if app is None:
        valid = validate_table(
            raw,
            default_id=default_id,
            patient_id=patient_id,
            single=single,
            dose_log=dose_log,
            date_format=date_format,
            layout=layout,
        )
        return _Read(raw, valid)
    from ldn_n1.apps import validate_export

    canon, valid, scales = validate_export(
        raw,
        app,
        mapping,
        default_id=default_id,
        patient_id=patient_id,
        single=single,
        dose_log=dose_log,
        date_format=date_format,
    )
    return _Read(canon, valid, app, scales)


def load_diary(
    path: Source,
    /,
    *,
    source: str = "auto",
    mapping: object = None,
    patient_id: str | None = None,
    dose_log: Source | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
    layout: str = "auto",
) -> Diary:
    """Read and validate one patient's diary.

    Parameters
    ----------
    path : str, path or pandas.DataFrame
        CSV/TSV (delimiter sniffed among ``,`` ``;`` tab ``|``; decimal commas accepted
        with ``;``/tab/``|``), Excel ``.xlsx``, Parquet, or a DataFrame (not modified).
    source : {"auto", "diary", "bearable", "daylio", "visible", "flaredown"}
        Where the diary comes from. ``"auto"`` reads an app export recognised by its
        header, and anything else as a canonical diary (``"diary"``). An app named here
        whose columns are missing is an error listing the columns expected and found.
    mapping : path, mapping or AppMapping, optional
        For app exports: a TOML mapping file saying which app entries are which outcome,
        the LDN name, alcohol/opioid tags and custom Daylio moods
        (:mod:`ldn_n1.apps_mapping`; default: its built-in rules).
    patient_id : str, optional
        The patient to load from a multi-patient input (required there), or the id of a
        single-patient input without a ``patient_id`` column (default: the file stem, or
        ``"patient"`` for a DataFrame).
    dose_log : str, path or pandas.DataFrame, optional
        Separate dose log ``date, dose_mg[, dose_time][, patient_id]``; each row holds
        until the next; days before its first row are read as dose 0. A log without
        ``patient_id`` applies to every patient. Where the diary has its own ``dose_mg``
        value, it must agree with the log; blank diary doses are filled from it.
    date_format : str, optional
        ``strptime`` format (e.g. ``"%d/%m/%Y"``) for dates such as ``03/04/2025`` that
        are ambiguous without it.
    sheet : str or int, optional
        Excel sheet (default: the first).
    layout : {"auto", "wide", "long"}
        ``"auto"`` reads a file with ``measure`` and ``value`` columns as long.

    Returns
    -------
    Diary

    Raises
    ------
    DiaryError
        Listing every problem: unreadable or empty file, no ``date`` column, bad or
        ambiguous dates, non-numeric or out-of-range values, negative doses, a day twice
        with different values, never dosed (no treatment phase), dosed from the first day
        (no baseline), several patients without ``patient_id=``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"date": ["2025-01-01", "2025-01-02", "2025-01-04"],
    ...                       "pain": [6, "", 4.5], "dose_mg": [0, 0, 1.5]})
    >>> diary = load_diary(frame, patient_id="P001")
    >>> diary
    Diary('P001', 2025-01-01..2025-01-04, 3 days, outcomes=pain)
    >>> diary.quality.days_expected, diary.quality.blanks["pain"]
    (4, 1)
    """
    source = _check_source(source)
    raw = read_table(path, sheet=sheet)
    read = _read(
        raw,
        source=source,
        mapping=mapping,
        default_id=_default_id(path),
        patient_id=None if patient_id is None else str(patient_id),
        single=True,
        dose_log=_log(dose_log, date_format),
        date_format=date_format,
        layout=layout,
    )
    result = next(read.diaries())
    if isinstance(result, DiaryError):
        raise result
    return result


def iter_diaries(
    path: Source,
    /,
    *,
    source: str = "auto",
    mapping: object = None,
    dose_log: Source | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
    layout: str = "auto",
) -> Iterator[Diary | DiaryError]:
    """Yield one :class:`Diary` per patient, or that patient's :class:`DiaryError`.

    One bad patient does not stop the others. ``path`` is a multi-patient (or
    single-patient) file or DataFrame, or a folder of diary files (``.csv``, ``.tsv``,
    ``.txt``, ``.xlsx``, ``.parquet``; read in name order, one file's failure yielded as
    its error). The error's ``patient_id`` attribute names the patient (the file stem
    when the whole file failed). ``source`` and ``mapping`` as for :func:`load_diary`
    (a Flaredown export holds many patients, ``user_id`` being the patient id; in a
    folder, ``"auto"`` recognises each file on its own).

    Raises
    ------
    DiaryError
        Immediately (before iterating) when the source, or the dose log, cannot be read
        at all or has no usable header (for a folder: when it holds no diary files).
    """
    source = _check_source(source)
    log = _log(dose_log, date_format)
    options = {"source": source, "mapping": mapping, "dose_log": log,
               "date_format": date_format, "layout": layout}  # fmt: skip
    if not isinstance(path, pd.DataFrame) and Path(path).is_dir():
        files = list_diary_files(path)
        if not files:
            raise DiaryError(
                file=str(path),
                expected="a folder holding diary files (.csv, .xlsx, .parquet, ...)",
            )
        return _iter_folder(files, sheet, options)
    raw = read_table(path, sheet=sheet)
    return _read(raw, default_id=_default_id(path), **options).diaries()  # type: ignore[arg-type]


def _iter_folder(
    files: list[Path], sheet: str | int | None, options: dict[str, object]
) -> Iterator[Diary | DiaryError]:
    seen: dict[str, str] = {}
    for path in files:
        try:
            raw = read_table(path, sheet=sheet)
            read = _read(raw, default_id=path.stem, **options)  # type: ignore[arg-type]
        except DiaryError as error:
            yield DiaryError(list(error.problems), patient_id=path.stem)
            continue
        for item in read.diaries():
            pid = item.patient_id
            if pid is not None and pid in seen:
                problem = Problem(
                    path.name,
                    None,
                    "patient_id",
                    pid,
                    f"an id not used by another file (also in {seen[pid]})",
                )
                yield DiaryError([problem], patient_id=pid)
                continue
            if pid is not None:
                seen[pid] = path.name
            yield item


def load_diaries(
    path: Source,
    /,
    *,
    source: str = "auto",
    mapping: object = None,
    dose_log: Source | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
    layout: str = "auto",
) -> list[Diary]:
    """Load every patient of a multi-patient input (or folder), in order of first appearance.

    Raises
    ------
    DiaryError
        With the problems of every failing patient (use :func:`iter_diaries` to keep the
        patients that are valid).
    """
    items = list(
        iter_diaries(
            path,
            source=source,
            mapping=mapping,
            dose_log=dose_log,
            date_format=date_format,
            sheet=sheet,
            layout=layout,
        )
    )
    errors = [item for item in items if isinstance(item, DiaryError)]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DiaryError([p for error in errors for p in error.problems])
    return [item for item in items if isinstance(item, Diary)]


__all__ += ["OUTCOMES", "SIDE_EFFECTS"]
