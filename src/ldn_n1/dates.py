"""Read a column of dates: ISO and other unambiguous forms; day/month order decided per column.

Each distinct cell is parsed once (a diary has few distinct dates), so a 3.6-million-row
file costs one pass over its distinct values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ldn_n1.cells import blank_mask

__all__ = ["EXPECTED_DATE", "DateResult", "parse_dates"]

_MIN_YEAR, _MAX_YEAR = 1900, 2199
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SERIAL_RANGE = (20000, 80000)  # Excel day numbers 1954-10-03 .. 2119-01-10
_TIME = r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\.0+)?")
_SERIAL = re.compile(r"(\d{5})(?:\.0+)?")
_NUMERIC_DMY = re.compile(rf"(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}){_TIME}")
_SHORT_YEAR = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{2}")
_DAY_MONTH = re.compile(
    r"(?:[a-z]+\.?,?\s+)?(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{4})"
)
_MONTH_DAY = re.compile(r"(?:[a-z]+\.?,?\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
EXPECTED_DATE = "a date such as 2025-03-04 (YYYY-MM-DD)"


def _ymd(year: int, month: int, day: int) -> np.datetime64 | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return np.datetime64(dt.date(year, month, day), "D")
    except ValueError:
        return None


@dataclass
class DateResult:
    """Result of :func:`parse_dates`.

    Attributes
    ----------
    days : numpy.ndarray
        ``datetime64[D]`` per cell, NaT for blank or bad.
    bad : numpy.ndarray
        Cells that are not blank and not a usable date.
    expected : numpy.ndarray
        Object array: for each bad cell, what was expected (``None`` elsewhere).
    notes : list of str
        Choices made (day/month order inferred, Excel serial numbers, ...).
    """

    days: np.ndarray
    bad: np.ndarray
    expected: np.ndarray
    notes: list[str] = field(default_factory=list)


def _one_date(value: object, date_format: str | None) -> tuple[str, object]:
    """Classify one distinct cell: ('ok', day), ('dmy', (a, b, y)), ('serial', day) or ('bad', why)."""
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        day = _ymd(value.year, value.month, value.day)
        return ("ok", day) if day is not None else ("bad", f"a date in {_MIN_YEAR}-{_MAX_YEAR}")
    if isinstance(value, float | int | np.integer | np.floating) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if date_format is not None:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            return "bad", f"a date in the format {date_format!r}"
        day = _ymd(parsed.year, parsed.month, parsed.day)
        return ("ok", day) if day is not None else ("bad", f"a date in {_MIN_YEAR}-{_MAX_YEAR}")
    low = text.lower()
    day = None
    if m := _ISO.fullmatch(low):
        day = _ymd(int(m[1]), int(m[3]), int(m[4]))
    elif m := _COMPACT.fullmatch(low):
        day = _ymd(int(m[1]), int(m[2]), int(m[3]))
    elif m := _SERIAL.fullmatch(low):
        number = int(m[1])
        if _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
            return "serial", _EXCEL_EPOCH + np.timedelta64(number, "D")
    elif m := _NUMERIC_DMY.fullmatch(low):
        return "dmy", (int(m[1]), int(m[3]), int(m[4]))
    elif _SHORT_YEAR.fullmatch(low):
        return (
            "bad",
            "a date with a four-digit year (YYYY-MM-DD), or give date_format (e.g. '%d/%m/%y')",
        )
    elif m := _DAY_MONTH.fullmatch(low):
        if m[2] in _MONTHS:
            day = _ymd(int(m[3]), _MONTHS[m[2]], int(m[1]))
    elif (m := _MONTH_DAY.fullmatch(low)) and m[1] in _MONTHS:
        day = _ymd(int(m[3]), _MONTHS[m[1]], int(m[2]))
    return ("ok", day) if day is not None else ("bad", EXPECTED_DATE)


def _resolve_order(
    kinds: list[str], info: list[object], examples: Sequence[object]
) -> tuple[list[str], list[object], list[str]]:
    """Choose day/month/year or month/day/year for the ``dmy`` cells of one column."""
    idx = [i for i, k in enumerate(kinds) if k == "dmy"]
    if not idx:
        return kinds, info, []
    as_dmy = {i: _ymd(info[i][2], info[i][1], info[i][0]) for i in idx}
    as_mdy = {i: _ymd(info[i][2], info[i][0], info[i][1]) for i in idx}
    ok_dmy = sum(v is not None for v in as_dmy.values())
    ok_mdy = sum(v is not None for v in as_mdy.values())
    notes: list[str] = []
    if ok_dmy == len(idx) and ok_mdy == len(idx):
        for i in idx:
            if as_dmy[i] == as_mdy[i]:
                kinds[i], info[i] = "ok", as_dmy[i]
            else:
                kinds[i] = "bad"
                info[i] = (
                    "an unambiguous date: day/month and month/day both fit every date in this "
                    "column; write YYYY-MM-DD or give date_format (e.g. '%d/%m/%Y')"
                )
        return kinds, info, notes
    use_dmy = ok_dmy >= ok_mdy
    chosen = as_dmy if use_dmy else as_mdy
    order = "day/month/year" if use_dmy else "month/day/year"
    decisive = next(
        (
            examples[i]
            for i in idx
            if chosen[i] is not None and (as_mdy if use_dmy else as_dmy)[i] is None
        ),
        None,
    )
    if max(ok_dmy, ok_mdy) == len(idx) and decisive is not None:
        notes.append(
            f"dates such as {str(decisive).strip()!r} read as {order} (the only order valid for all)"
        )
    for i in idx:
        if chosen[i] is not None:
            kinds[i], info[i] = "ok", chosen[i]
        else:
            kinds[i] = "bad"
            info[i] = f"a valid date in {order} order, like the rest of the column"
    return kinds, info, notes


def parse_dates(values: pd.Series, *, date_format: str | None = None) -> DateResult:
    """Read a date column: ISO and other unambiguous forms; d/m vs m/d decided per column.

    Notes
    -----
    Accepted without ``date_format``: ``YYYY-MM-DD`` (also ``/`` or ``.``, one-digit
    month/day, optional time), ``YYYYMMDD``, ``4 Mar 2025``, ``March 4, 2025``, Excel
    day numbers (20000-80000) and native dates. ``dd/mm/yyyy`` and ``mm/dd/yyyy`` (also
    with ``.`` or ``-``) are accepted when only one of the two readings is valid for every
    such date in the column (some day above 12); otherwise each ambiguous date is a
    problem. Times are dropped (dates normalised to midnight); time zones are ignored
    (the local calendar day is kept). Years must be within 1900-2199.
    """
    n = len(values)
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    expected = np.full(n, None, dtype=object)
    blank = blank_mask(values)
    if ptypes.is_datetime64_any_dtype(values):
        stamps = (
            values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        )
        years = stamps.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
        out = ~blank & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
        ok = ~blank & ~out
        days[ok] = stamps[ok].to_numpy().astype("datetime64[D]")
        expected[out] = f"a date in {_MIN_YEAR}-{_MAX_YEAR}"
        return DateResult(days, out, expected)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = np.where(blank, -1, codes)
    uniques = list(uniques)
    classified = [_one_date(u, date_format) for u in uniques]
    kinds = [c[0] for c in classified]
    info = [c[1] for c in classified]
    kinds, info, notes = _resolve_order(kinds, info, list(uniques))
    serial = [i for i, k in enumerate(kinds) if k == "serial"]
    if serial:
        notes.append(
            f"numbers such as {str(uniques[serial[0]]).strip()!r} in the date column read as Excel day numbers"
        )
        for i in serial:
            kinds[i] = "ok"
    u_days = np.array(
        [info[i] if k == "ok" else np.datetime64("NaT") for i, k in enumerate(kinds)],
        dtype="datetime64[D]",
    )
    u_bad = np.array([k == "bad" for k in kinds], dtype=bool)
    u_expected = np.array(
        [info[i] if k == "bad" else None for i, k in enumerate(kinds)], dtype=object
    )
    has = codes >= 0
    days[has] = u_days[codes[has]]
    bad = np.zeros(n, dtype=bool)
    bad[has] = u_bad[codes[has]]
    expected[has] = u_expected[codes[has]]
    return DateResult(days, bad, expected, notes)
