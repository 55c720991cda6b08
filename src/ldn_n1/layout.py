"""Bring wide and long diaries to one shape: one row per patient-day, one column per measure.

The long layout (``patient_id, date, measure, value``) is pivoted without Python loops over
rows: measure names are canonicalised once per distinct name and the cells are scattered
into the wide grid with numpy. Each wide cell remembers the input row it came from, so
problems found later still point at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ldn_n1.cells import parse_text, text_of
from ldn_n1.problems import Collector
from ldn_n1.schema import ColumnMap, canonical_name, normalise_name

__all__ = ["Wide", "long_to_wide", "wide_rows"]

_NOT_MEASURES = frozenset({"", "date", "patient_id", "measure", "value"})


@dataclass
class Wide:
    """Cells of one row per patient-day (before typing).

    Attributes
    ----------
    cells : dict of str to pandas.Series
        Canonical column -> cell values (as read), one per wide row.
    written : dict of str to str
        Canonical column -> name as written in the input, for messages.
    values : dict of str to pandas.Series
        Canonical column -> the input column holding its cells (indexed by working row).
    cell_src : dict of str to numpy.ndarray
        Canonical column -> working row of each cell (-1 where the long input has none).
    codes : numpy.ndarray
        Patient code of each wide row.
    days : numpy.ndarray
        ``datetime64[D]`` of each wide row (NaT when the date is bad).
    first_src : numpy.ndarray
        Earliest working row of each wide row.
    merged : numpy.ndarray or None
        Per patient, identical long rows merged while pivoting.
    notes : list of str
    blank : dict of str to numpy.ndarray
        Blank cells per column, where already known (wide input).
    """

    cells: dict[str, pd.Series]
    written: dict[str, str]
    values: dict[str, pd.Series]
    cell_src: dict[str, np.ndarray]
    codes: np.ndarray
    days: np.ndarray
    first_src: np.ndarray
    merged: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    blank: dict[str, np.ndarray] = field(default_factory=dict)


def wide_rows(
    frame: pd.DataFrame,
    cmap: ColumnMap,
    codes: np.ndarray,
    days: np.ndarray,
    row_blank: np.ndarray,
    blanks: dict[int, np.ndarray],
) -> Wide:
    """Wide input: every non-blank row is a diary row (``blanks``: blank cells per column)."""
    rows = np.flatnonzero(~row_blank)
    every = len(rows) == len(frame)
    cells, values, src, blank = {}, {}, {}, {}
    for name, pos in cmap.positions.items():
        if name in ("date", "patient_id"):
            continue
        column = frame[pos]
        cells[name] = column if every else column.iloc[rows].reset_index(drop=True)
        values[name] = column
        src[name] = rows
        if pos in blanks:
            blank[name] = blanks[pos][rows]
    written = {n: w for n, w in cmap.written.items() if n in cells}
    return Wide(cells, written, values, src, codes[rows], days[rows], rows, blank=blank)


def long_to_wide(
    frame: pd.DataFrame,
    cmap: ColumnMap,
    codes: np.ndarray,
    days: np.ndarray,
    row_blank: np.ndarray,
    problems: Collector,
    npat: int,
) -> Wide:
    """Long input: pivot ``measure``/``value`` rows to one row per patient-day.

    Identical repeated rows (same patient, day, measure and value) are merged and counted;
    the same patient, day and measure with different values is a problem.
    """
    mpos, vpos = cmap.positions["measure"], cmap.positions["value"]
    mcol, vcol = frame[mpos], frame[vpos]
    mname = cmap.written["measure"]
    measure = parse_text(mcol)
    m_codes, m_uniques = pd.factorize(measure, use_na_sentinel=True)
    m_uniques = [str(u) for u in m_uniques]
    canon = np.array([canonical_name(u) for u in m_uniques], dtype=object)
    notes = [
        f"measure {u!r} read as {c!r}"
        for u, c in zip(m_uniques, canon, strict=True)
        if c not in _NOT_MEASURES and normalise_name(u) != c
    ]
    usable = ~row_blank & ~np.isnat(days)
    has_name = m_codes >= 0
    ok_name = np.zeros(len(frame), dtype=bool)
    ok_name[has_name] = np.array([c not in _NOT_MEASURES for c in canon], dtype=bool)[
        m_codes[has_name]
    ]
    problems.cells(
        np.flatnonzero(usable & ~has_name), mname, mcol, "a measure name such as 'pain'", -1
    )
    problems.cells(
        np.flatnonzero(usable & has_name & ~ok_name),
        mname,
        mcol,
        "a measure name such as 'pain'",
        -1,
    )
    rows = np.flatnonzero(usable & ok_name)
    # canonical measure per distinct written name, then per row (integer codes only)
    canon_code, names = pd.factorize(canon) if len(canon) else (np.zeros(0, np.int64), [])
    c_codes = canon_code[m_codes[rows]]
    v_codes = pd.factorize(text_of(vcol), use_na_sentinel=True)[0]
    day = days.astype(np.int64)
    keys = pd.DataFrame({"c": codes[rows], "d": day[rows], "m": c_codes, "v": v_codes[rows]})
    exact = keys.duplicated(keep="first").to_numpy()
    merged = np.bincount(codes[rows][exact], minlength=npat)
    rows, keys = rows[~exact], keys[~exact].reset_index(drop=True)
    clash = keys.duplicated(subset=["c", "d", "m"], keep="first").to_numpy()
    if clash.any():
        first = (
            pd.Series(rows).groupby([keys["c"], keys["d"], keys["m"]]).transform("first").to_numpy()
        )
        lines = [problems.where(int(r)) for r in first[clash]]
        expected = [
            f"one value per day and measure ({'line ' + str(ln) if ln is not None else 'row ' + str(lb)} "
            "has a different value)"
            for ln, lb in lines
        ]
        problems.cells(
            rows[clash], cmap.written["value"], vcol, np.array(expected, dtype=object), 0
        )
        rows, keys = rows[~clash], keys[~clash].reset_index(drop=True)
    span = int(keys["d"].max() - keys["d"].min() + 1) if len(keys) else 1
    wkey = keys["c"].to_numpy(np.int64) * span + (
        keys["d"].to_numpy(np.int64) - (keys["d"].min() if len(keys) else 0)
    )
    rid, uniq = pd.factorize(wkey)
    nrow = len(uniq)
    first_src = np.full(nrow, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_src, rid, rows)
    w_codes = codes[first_src] if nrow else np.zeros(0, dtype=codes.dtype)
    w_days = days[first_src] if nrow else np.zeros(0, dtype="datetime64[D]")
    m_of_row = keys["m"].to_numpy()
    cells, values, src, written = {}, {}, {}, {}
    for j, name in enumerate(names):
        sel = m_of_row == j
        if name in _NOT_MEASURES or not sel.any():
            continue  # no usable row of this measure (e.g. all its dates are bad)
        where = np.full(nrow, -1, dtype=np.int64)
        where[rid[sel]] = rows[sel]
        taken = vcol.iloc[np.maximum(where, 0)].reset_index(drop=True)
        cells[name] = taken.where(where >= 0)
        values[name] = vcol
        src[name] = where
        written[name] = str(measure.iloc[rows[sel][0]])
    return Wide(cells, written, values, src, w_codes, w_days, first_src, merged, notes)
