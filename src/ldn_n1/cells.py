"""Interpret diary cells: blanks, numbers with their allowed ranges, text, patient ids, dates.

Every parser works on a whole column at once (vectorised with pandas/numpy; dates are
parsed once per distinct value) and returns the typed values with a mask of the cells that
break the rule, so that the caller can report every problem with its line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "BLANK_TOKENS",
    "NUMBER_RULES",
    "DateResult",
    "NumberRule",
    "ParsedNumbers",
    "blank_mask",
    "numeric_share",
    "parse_dates",
    "parse_ids",
    "parse_numbers",
    "parse_text",
    "text_of",
]

#: Cell texts read as blank in number and date columns (compared in lower case).
BLANK_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-"})
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})
_MIN_YEAR, _MAX_YEAR = 1900, 2199
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SERIAL_RANGE = (20000, 80000)  # Excel day numbers 1954-10-03 .. 2119-01-10


@dataclass(frozen=True)
class NumberRule:
    """Allowed values of a numeric column kind.

    Attributes
    ----------
    expected : str
        Wording of the rule for messages, e.g. ``"a number 0-10"``.
    low, high : float
        Inclusive bounds (``-inf``/``inf`` for none).
    integer : bool
        Whether only whole numbers are allowed.
    booleans : bool
        Whether ``yes``/``no``/``true``/``false`` are read as 1/0.
    unit : str or None
        A unit suffix accepted after the number (``"mg"``).
    """

    expected: str
    low: float = -np.inf
    high: float = np.inf
    integer: bool = False
    booleans: bool = False
    unit: str | None = None


NUMBER_RULES = {
    "outcome": NumberRule("a number 0-10", 0.0, 10.0),
    "extra": NumberRule("a number", booleans=True),
    "dose": NumberRule("a dose in mg (a number, 0 or more)", 0.0, unit="mg"),
    "side_effect": NumberRule("a severity 0-3 (or 0/1)", 0.0, 3.0, integer=True, booleans=True),
    "binary": NumberRule("0 or 1 (no/yes)", 0.0, 1.0, integer=True, booleans=True),
    "amount": NumberRule("a number, 0 or more", 0.0),
}


def _is_native_number(values: pd.Series) -> bool:
    return (ptypes.is_numeric_dtype(values) or ptypes.is_bool_dtype(values)) and not (
        ptypes.is_object_dtype(values)
    )


def text_of(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (a pandas string dtype; missing cells stay missing)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.str.strip()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    return values.astype("string").str.strip()


def blank_mask(values: pd.Series, *, tokens: bool = True) -> np.ndarray:
    """Return a boolean array: cell is missing, empty, or (with ``tokens``) ``NA``, ``-``, ...."""
    if _is_native_number(values) or ptypes.is_datetime64_any_dtype(values):
        return values.isna().to_numpy(dtype=bool)
    text = text_of(values)
    blank = text.isna().to_numpy(dtype=bool)
    if tokens:
        found = text.str.lower().isin(BLANK_TOKENS)
    else:
        found = text == ""
    return blank | found.to_numpy(dtype=bool, na_value=False)


@dataclass
class ParsedNumbers:
    """Result of :func:`parse_numbers`: float values (NaN for blank or bad) and bad cells."""

    values: np.ndarray
    bad: np.ndarray
    notes: list[str] = field(default_factory=list)


def _to_float(text: pd.Series, blank: np.ndarray) -> np.ndarray:
    """Text to a writable float64 array, NaN where blank or not a number.

    Arrow-backed text is cast by Arrow (about 30 times faster than ``pandas.to_numeric``);
    when some cell is not a number the cast fails and ``pandas.to_numeric`` locates it.
    """
    dtype = text.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(text.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if blank.any():
            arr = pc.if_else(pa.array(blank), pa.scalar(None, type=arr.type), arr)
        try:
            cast = pc.cast(arr, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            pass  # some cell is not a number: locate them below
        else:
            return np.array(cast.to_numpy(zero_copy_only=False), dtype=np.float64)
    return pd.to_numeric(text.mask(blank), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def parse_numbers(
    values: pd.Series,
    rule: NumberRule,
    *,
    decimal_comma: bool = False,
    column: str = "",
    blank: np.ndarray | None = None,
) -> ParsedNumbers:
    """Read a column of numbers and check them against ``rule``.

    Parameters
    ----------
    values : pandas.Series
        Cells as read (text or numbers).
    rule : NumberRule
    decimal_comma : bool
        Read ``7,5`` as 7.5.
    column : str
        Column name for notes.
    blank : numpy.ndarray, optional
        :func:`blank_mask` of ``values`` when already known.

    Notes
    -----
    Blank cells (see :data:`BLANK_TOKENS`) become NaN and are not problems. A cell is bad
    when it is not a number, not finite, outside ``[low, high]``, or not whole when
    ``rule.integer``.
    """
    notes: list[str] = []
    if _is_native_number(values):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.zeros(len(x), dtype=bool)
    else:
        raw = text_of(values)
        if blank is None:
            blank = blank_mask(raw)
        written = raw.notna().to_numpy(dtype=bool) & (raw != "").to_numpy(
            dtype=bool, na_value=False
        )
        tokens = raw[blank & written]
        if len(tokens):
            used = ", ".join(repr(t) for t in sorted(tokens.unique()))
            notes.append(f"column {column!r}: {used} read as blank")
        text = raw
        if decimal_comma:
            text = text.str.replace(",", ".", regex=False)
        lower = raw.str.lower() if (rule.unit or rule.booleans) else None
        if rule.unit and lower.str.endswith(rule.unit).to_numpy(dtype=bool, na_value=False).any():
            pattern = r"\s*" + "".join(f"[{c.lower()}{c.upper()}]" for c in rule.unit) + "$"
            text = text.str.replace(pattern, "", regex=True)
            notes.append(f"column {column!r}: unit {rule.unit!r} after the numbers ignored")
        x = _to_float(text, blank)
        if rule.booleans:
            yes = lower.isin(_YES).to_numpy(dtype=bool, na_value=False)
            no = lower.isin(_NO).to_numpy(dtype=bool, na_value=False)
            if yes.any() or no.any():
                x[yes], x[no] = 1.0, 0.0
                notes.append(f"column {column!r}: yes/no read as 1/0")
        bad = ~blank & np.isnan(x)
    with np.errstate(invalid="ignore"):
        out = ~np.isnan(x) & (~np.isfinite(x) | (x < rule.low) | (x > rule.high))
        if rule.integer:
            out |= np.isfinite(x) & (x != np.round(x))
    bad |= out
    x = np.where(bad, np.nan, x)
    return ParsedNumbers(x, bad, notes)


def numeric_share(
    values: pd.Series, *, decimal_comma: bool = False, blank: np.ndarray | None = None
) -> tuple[int, int]:
    """Return ``(numbers, non_blank)``: how many non-blank cells read as numbers."""
    if blank is None:
        blank = blank_mask(values)
    if _is_native_number(values):
        return int((~blank).sum()), int((~blank).sum())
    rule = NUMBER_RULES["extra"]
    parsed = parse_numbers(values, rule, decimal_comma=decimal_comma, blank=blank)
    return int((~blank & ~parsed.bad).sum()), int((~blank).sum())


def parse_text(values: pd.Series, *, lower: bool = False) -> pd.Series:
    """Free text, stripped, ``<NA>`` for empty cells (``string`` dtype)."""
    text = text_of(values)
    text = text.mask(text == "")
    return text.str.lower() if lower else text


def parse_ids(values: pd.Series) -> pd.Series:
    """Patient ids as text; whole numbers written without ``.0``; ``<NA>`` when empty."""
    if _is_native_number(values):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(x) & (x == np.round(x)) & (np.abs(x) < 1e15)
        text = pd.Series(x, dtype=object).astype("string")
        ints = pd.Series(np.where(whole, x, 0).astype(np.int64)).astype("string")
        text = text.where(~whole, ints).mask(np.isnan(x))
        return text
    return parse_text(values)


# --------------------------------------------------------------------------- dates
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
