"""Shared by the app readers: the (patient, day) index, daily combination, cells, notes.

See :mod:`ldn_n1.apps` for the rules every app reader follows.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_n1.apps import AppTable, header_key
from ldn_n1.errors import Problem

if TYPE_CHECKING:
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.readers import RawTable

__all__ = [
    "DayIndex",
    "blank_rows",
    "cell_problems",
    "column_days",
    "column_text",
    "entry_days",
    "explode_items",
    "names_text",
    "numbers",
    "plural",
    "severity_columns",
    "where_text",
]


class DayIndex:
    """The (patient, day) rows of the diary built from the entries of an export.

    Parameters
    ----------
    pids : numpy.ndarray
        Patient id of every entry (object).
    days : numpy.ndarray
        ``datetime64[D]`` of every entry, NaT where its date is blank or bad.

    Attributes
    ----------
    row : numpy.ndarray
        Diary row of every entry (-1 for entries without a usable date).
    n : int
        Number of diary rows: patients in order of first appearance, days in order.
    first : numpy.ndarray
        First entry (export row) of every diary row.
    """

    def __init__(self, pids: np.ndarray, days: np.ndarray) -> None:
        usable = ~np.isnat(days) & ~pd.isna(pids)
        codes = np.full(len(days), -1, dtype=np.int64)
        found, uniques = pd.factorize(pids[usable])
        codes[usable] = found
        day = days.astype("datetime64[D]").astype(np.int64)
        lo = int(day[usable].min()) if usable.any() else 0
        span = int(day[usable].max()) - lo + 1 if usable.any() else 1
        keys = np.where(usable, codes * span + (day - lo), -1)
        unique_keys = np.unique(keys[usable])
        self.row = np.full(len(days), -1, dtype=np.int64)
        self.row[usable] = np.searchsorted(unique_keys, keys[usable])
        self.n = len(unique_keys)
        self.pids = np.asarray(uniques, dtype=object)[unique_keys // span]
        self.days = (unique_keys % span + lo).astype("datetime64[D]")
        self.first = np.full(self.n, len(days), dtype=np.int64)
        np.minimum.at(self.first, self.row[usable], np.flatnonzero(usable))
        self.usable = usable

    def at(self, rows: np.ndarray) -> DayIndex:
        """The same diary rows, for entries that are parts of the export rows ``rows``
        (e.g. the items of a ``|``-separated list): ``values`` and masks then follow ``rows``."""
        view = copy.copy(self)
        view.row, view.usable = self.row[rows], self.usable[rows]
        return view

    def combine(self, values: np.ndarray, mask: np.ndarray, how: str) -> np.ndarray:
        """Per diary row, the ``max``, ``mean`` or ``sum`` of ``values[mask]`` (NaN: none)."""
        sel = mask & self.usable & ~np.isnan(values)
        rows, x = self.row[sel], values[sel]
        out = np.full(self.n, np.nan)
        if how == "max":
            np.fmax.at(out, rows, x)
            return out
        total = np.bincount(rows, weights=x, minlength=self.n)
        count = np.bincount(rows, minlength=self.n)
        if how == "mean":
            np.divide(total, count, out=out, where=count > 0)
        else:
            out[count > 0] = total[count > 0]
        return out

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Entries in ``mask`` per diary row."""
        return np.bincount(self.row[mask & self.usable], minlength=self.n)

    def any(self, mask: np.ndarray) -> np.ndarray:
        """Diary rows with at least one entry in ``mask``."""
        return self.count(mask) > 0

    def text(self, texts: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Per diary row, the non-empty texts of ``mask`` joined with `` | `` (None: none)."""
        sel = np.flatnonzero(mask & self.usable & ~pd.isna(texts))
        out = np.full(self.n, None, dtype=object)
        if len(sel):
            joined = pd.Series(texts[sel]).groupby(self.row[sel], sort=False).agg(" | ".join)
            out[joined.index.to_numpy()] = joined.to_numpy()
        return out

    def before_first(self, mask: np.ndarray) -> np.ndarray:
        """Diary rows of each patient before that patient's first row with an entry in ``mask``."""
        hit = self.any(mask)
        codes = pd.factorize(self.pids)[0]
        first = np.full(codes.max() + 1 if self.n else 0, np.iinfo(np.int64).max)
        np.minimum.at(first, codes[hit], np.flatnonzero(hit))
        return np.arange(self.n) < first[codes]

    def dose(
        self, amounts: np.ndarray, ldn: np.ndarray, meds: np.ndarray, how: str = "sum"
    ) -> tuple[np.ndarray, dict[str, int]]:
        """``dose_mg`` per diary row under the rules of :mod:`ldn_n1.apps`.

        ``amounts`` (mg, NaN unknown) of the LDN entries ``ldn``, combined per day by
        ``how`` (``"sum"``: several doses taken; ``"max"``: several records of one dose);
        ``meds``: entries that show medication was tracked that day. Returns the doses and
        counts for the notes.
        """
        dose = self.combine(amounts, ldn, how)
        unknown = self.any(ldn & np.isnan(amounts))
        dose[unknown] = np.nan
        taken = self.any(ldn)
        tracked = self.any(meds)
        before = self.before_first(ldn)
        dose[before] = 0.0
        zero = ~before & ~taken & tracked
        dose[zero] = 0.0
        counts = {
            "taken": int(taken.sum()),
            "unknown_amount": int((taken & np.isnan(dose)).sum()),
            "zero": int(zero.sum()),
            "blank": int((~before & ~taken & ~tracked).sum()),
        }
        return dose, counts

    def table(
        self,
        app: str,
        raw: RawTable,
        columns: dict[str, np.ndarray],
        notes: list[str],
        *,
        several: bool,
    ) -> AppTable:
        """The canonical frame of ``columns``; days without any value are left out (noted)."""
        filled = np.zeros(self.n, dtype=bool)
        for values in columns.values():
            filled |= ~pd.isna(values)
        empty = int((~filled).sum())
        if empty:
            text = f"{plural(empty, 'day')} with only entries that are not used left out"
            notes.append(text + " (no value to analyse)")
        keep = np.flatnonzero(filled)
        data: dict[str, Any] = {}
        if several:
            data["patient_id"] = self.pids[keep]
        data["date"] = np.datetime_as_string(self.days[keep], unit="D").astype(object)
        for name, values in columns.items():
            data[name] = values[keep]
        frame = pd.DataFrame(data)
        first = self.first[keep]
        lines = raw.lines[first] if raw.lines is not None else None
        labels = raw.labels[first] if raw.lines is None and raw.labels is not None else None
        return AppTable(app, frame, lines, labels, notes)


def cell_problems(
    raw: RawTable, rows: np.ndarray, pids: np.ndarray, column: str, expected: str, limit: int = 20
) -> list[tuple[str, Problem]]:
    """One problem per bad cell of export column ``column`` (at most ``limit`` per patient)."""
    out: list[tuple[str, Problem]] = []
    seen: dict[str, int] = {}
    pos = next(i for i, h in enumerate(raw.headers) if header_key(h) == column)
    for r in rows:
        pid = str(pids[r])
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > limit:
            continue
        line, label = raw.where(int(r))
        value = raw.frame[pos].iloc[int(r)]
        value = value.strip() if isinstance(value, str) else value
        out.append((pid, Problem(raw.file, line, raw.headers[pos], value, expected, row=label)))
    for pid, count in seen.items():
        if count > limit:
            text = f"{expected} ({count - limit} more such cells not listed)"
            out.append((pid, Problem(raw.file, None, raw.headers[pos], None, text)))
    return out


def where_text(raw: RawTable, row: int) -> str:
    """``line 12`` (or ``row 3``) of an export row, for notes."""
    line, label = raw.where(row)
    return f"line {line}" if line is not None else f"row {label}"


def explode_items(
    texts: np.ndarray, mask: np.ndarray, sep: str = "|"
) -> tuple[np.ndarray, np.ndarray]:
    """Split the ``sep``-separated lists of ``texts[mask]``: (export row, item) per item."""
    rows = np.flatnonzero(mask & ~pd.isna(texts))
    if not len(rows):
        return rows, np.zeros(0, dtype=object)
    parts = pd.Series(texts[rows], index=rows, dtype=object).str.split(sep, regex=False).explode()
    items = parts.str.strip()
    keep = (items.notna() & (items != "")).to_numpy(dtype=bool)
    return parts.index.to_numpy(dtype=np.int64)[keep], items.to_numpy(dtype=object)[keep]


def column_text(raw: RawTable, positions: dict[str, int], name: str) -> np.ndarray:
    """Cells of export column ``name`` as stripped text (None for blank or absent)."""
    if name not in positions:
        return np.full(len(raw.frame), None, dtype=object)
    from ldn_n1.cells import parse_text

    return parse_text(raw.frame[positions[name]]).to_numpy(dtype=object, na_value=None)


def numbers(texts: np.ndarray) -> np.ndarray:
    """Text to float (NaN when blank or not a number); ``4,5`` is read as 4.5."""
    series = pd.Series(texts, dtype=object).astype("string")
    series = series.str.replace(r"^\s*([+-]?\d+),(\d+)\s*$", r"\1.\2", regex=True)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def column_days(
    raw: RawTable, positions: dict[str, int], name: str, date_format: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Days of export column ``name``: (days, bad, expected, notes) as :func:`parse_dates`."""
    from ldn_n1.dates import parse_dates

    result = parse_dates(raw.frame[positions[name]], date_format=date_format)
    return result.days, result.bad, result.expected, result.notes


def blank_rows(raw: RawTable) -> np.ndarray:
    """Rows of the export whose every cell is blank."""
    from ldn_n1.cells import blank_mask

    return np.logical_and.reduce([blank_mask(raw.frame[j]) for j in range(raw.frame.shape[1])])


def entry_days(
    raw: RawTable,
    positions: dict[str, int],
    name: str,
    date_format: str | None,
    pids: np.ndarray,
    checked: np.ndarray,
) -> tuple[np.ndarray, list[str], list[tuple[str, Problem]]]:
    """Days of the date column ``name`` with a problem for every bad date among ``checked``.

    Returns ``(days, notes, problems)``; problems are grouped by the rule that was broken.
    """
    days, bad_day, expected, notes = column_days(raw, positions, name, date_format)
    bad_day &= checked
    problems: list[tuple[str, Problem]] = []
    for text in pd.unique(expected[bad_day]):
        rows = np.flatnonzero(bad_day & (expected == text))
        problems += cell_problems(raw, rows, pids, name, str(text))
    return days, notes, problems


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``2 days`` (``many``: an irregular plural)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def names_text(names: list[str], limit: int = 8) -> str:
    """``'a', 'b' and 3 more`` for notes."""
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _scale_text(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


def severity_columns(
    index: DayIndex,
    values: np.ndarray,
    names: np.ndarray,
    entries: np.ndarray,
    mapping: AppMapping,
    *,
    scale: tuple[float, float],
    what: str,
    tracked: np.ndarray | None,
    presence: bool,
    several: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, tuple[float, float]], list[str], dict[str, list[str]]]:
    """Outcome and side-effect columns from named severity entries (symptoms, trackers).

    Parameters
    ----------
    index : DayIndex
    values : numpy.ndarray
        Severity of every export row (NaN where none).
    names : numpy.ndarray
        Symptom / tracker name of every export row.
    entries : numpy.ndarray
        Rows that are severity entries with a value.
    mapping : AppMapping
    scale : (float, float)
        The app's severity scale (kept as is).
    what : str
        What the entries are, for the notes (``"Bearable symptoms"``).
    tracked : numpy.ndarray or None
        Diary rows on which the app shows severities were tracked: there a missing
        outcome is 0 (the app writes only symptoms present). ``None``: missing stays blank
        (the app writes explicit zeros).
    presence : bool
        Side effects as 0/1 (present that day) instead of the severity, for scales wider
        than the side-effect columns' 0-3.
    several : bool
        Several patients: the names used are noted per patient.

    Returns
    -------
    columns, scales, notes, patient_notes
    """
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, tuple[float, float]] = {}
    notes: list[str] = []
    per_patient: dict[str, list[str]] = {}
    outcome_of = np.where(entries, mapping.outcome_rules().targets(names), None)
    effect_of = np.where(entries, mapping.side_effect_rules().targets(names), None)
    zero_rule = (
        f"; a day with other {what} but none of these is 0, a day without {what} is blank"
        if tracked is not None
        else f"; a day without these {what} is blank"
    )
    for target, of, how, kind in (
        *((o, outcome_of, mapping.combine, "outcome") for o in mapping.outcomes),
        *((s, effect_of, "max", "side effect") for s in mapping.side_effects),
    ):
        sel = of == target
        if not sel.any():
            continue
        x = (values >= 1).astype(np.float64) if kind == "side effect" and presence else values
        col = index.combine(x, sel, how)
        if tracked is not None:
            col[np.isnan(col) & tracked] = 0.0
        columns[target] = col
        if kind == "outcome":
            scales[target] = scale
            rule = f"{mapping.combine_text()}, on the scale {_scale_text(scale)}"
        else:
            rule = "1 if present that day, else 0" if presence else "daily maximum severity"
        if several:
            pairs = pd.DataFrame({"p": index_pids(index, sel), "n": names[sel]}).drop_duplicates()
            for pid, group in pairs.groupby("p", sort=False):
                text = f"{target} ({kind}) from the {what} {names_text(sorted(group['n']))}"
                per_patient.setdefault(str(pid), []).append(f"{text}: {rule}{zero_rule}")
            notes.append(f"{target} ({kind}): {rule}{zero_rule}")
        else:
            used = sorted(pd.unique(names[sel]).tolist())
            notes.append(f"{target} ({kind}) from the {what} {names_text(used)}: {rule}{zero_rule}")
    unused = entries & pd.isna(outcome_of) & pd.isna(effect_of)
    if unused.any():
        counts = pd.Series(names[unused]).value_counts()
        listed = [f"{n} ({c})" for n, c in counts.items()]
        notes.append(
            f"{what} not used (no outcome or side effect matches; entries): "
            + names_text(listed, 12).replace("'", "")
        )
    return columns, scales, notes, per_patient


def index_pids(index: DayIndex, mask: np.ndarray) -> np.ndarray:
    """Patient id of the export rows in ``mask`` (those with a usable date)."""
    rows = index.row[mask]
    return np.where(rows >= 0, index.pids[np.maximum(rows, 0)], None)
