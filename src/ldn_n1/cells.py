"""Interpret diary cells: blanks, numbers with their allowed ranges, text, patient ids.

Every parser works on a whole column at once (vectorised with pandas/numpy/Arrow) and
returns the typed values with a mask of the cells that break the rule, so that the caller
can report every problem with its line. Dates are in :mod:`ldn_n1.dates`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "BLANK_TOKENS",
    "NUMBER_RULES",
    "NumberRule",
    "ParsedNumbers",
    "blank_mask",
    "numeric_share",
    "parse_ids",
    "parse_numbers",
    "parse_text",
    "text_of",
]

#: Cell texts read as blank in number and date columns (compared in lower case).
BLANK_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-"})
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


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
