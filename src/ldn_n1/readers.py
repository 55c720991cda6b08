"""Read a diary file (or DataFrame) into a raw table of cells, before any interpretation.

This module only gets the cells out of the container: delimited text (see
:mod:`ldn_n1.delimited`: encodings, delimiter sniffing, decimal commas), Excel (.xlsx)
and Parquet, and records the line (or spreadsheet row) of every data row for error
messages. Column names, dates and values
are interpreted in :mod:`ldn_n1.schema` and :mod:`ldn_n1.cells`. The input is only read,
never modified.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_n1.errors import DiaryError

__all__ = ["DIARY_SUFFIXES", "RawTable", "fail", "list_diary_files", "read_table"]

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab", ".dat"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DIARY_SUFFIXES = TEXT_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES


@dataclass
class RawTable:
    """Cells of one table as read, with where each data row came from.

    Attributes
    ----------
    headers : list of str
        Column names as written (surrounding spaces removed).
    frame : pandas.DataFrame
        Data cells, positional columns ``0..k-1``, index ``0..n-1``. Strings for text
        and Excel files (``""`` for an empty cell); native dtypes for Parquet and
        DataFrame input.
    lines : numpy.ndarray or None
        1-based line number in the file (spreadsheet row for Excel) of each data row;
        ``None`` for Parquet and DataFrame input.
    labels : pandas.Index or None
        Row labels used in messages when there are no line numbers (the DataFrame index,
        or 1-based row numbers for Parquet).
    file : str
        Short name used in messages (file name or ``"<DataFrame>"``).
    source : str
        The path as given, or ``"<DataFrame>"``.
    sha256 : str or None
        SHA-256 of the file bytes (``None`` for DataFrames).
    notes : list of str
        Choices made while reading (encoding, decimal commas, sheet, ...).
    decimal_comma : bool
        Whether numbers are written with decimal commas (``7,5``).
    """

    headers: list[str]
    frame: pd.DataFrame
    lines: np.ndarray | None
    labels: pd.Index | None
    file: str
    source: str
    sha256: str | None
    notes: list[str] = field(default_factory=list)
    decimal_comma: bool = False

    def where(self, pos: int) -> tuple[int | None, object]:
        """Return ``(line, row_label)`` of data row ``pos`` for a Problem."""
        if self.lines is not None:
            return int(self.lines[pos]), None
        label = self.labels[pos] if self.labels is not None else pos
        return None, label.item() if isinstance(label, np.generic) else label


def fail(file: str, expected: str, value: object = None, line: int | None = None) -> DiaryError:
    """A DiaryError about the file as a whole (or one line of it)."""
    return DiaryError(file=file, line=line, value=value, expected=expected)


def list_diary_files(folder: str | PathLike[str]) -> list[Path]:
    """List the diary files of a folder (by suffix, sorted by name, hidden files skipped)."""
    path = Path(folder)
    return sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in DIARY_SUFFIXES
    )


def read_table(
    source: str | PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    what: str = "diary",
) -> RawTable:
    """Read the cells of a diary (or dose log) file or DataFrame.

    Parameters
    ----------
    source : str, path or pandas.DataFrame
        CSV/TSV (any of ``,`` ``;`` tab ``|``), Excel ``.xlsx`` or Parquet file, or a
        DataFrame (not modified).
    sheet : str or int, optional
        Excel sheet name or 0-based index; default the first sheet.
    what : str
        Word used in messages (``"diary"`` or ``"dose log"``).

    Returns
    -------
    RawTable

    Raises
    ------
    DiaryError
        File missing, empty, binary, not a table, or with malformed quoting / rows with
        more fields than the header.
    """
    if isinstance(source, pd.DataFrame):
        return _from_frame(source)
    if not isinstance(source, (str, PathLike)):
        msg = f"{what} source must be a path or a pandas DataFrame, got {type(source).__name__}"
        raise TypeError(msg)
    path = Path(source)
    file = path.name or str(source)
    if path.is_dir():
        raise fail(file, f"a {what} file, but this is a folder")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail(file, f"an existing {what} file (not found: {str(source)!r})") from None
    except OSError as exc:
        raise fail(file, f"a readable {what} file ({exc.strerror or exc})") from None
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if not raw.strip():
        raise fail(file, f"a {what} table with a header row, but the file is empty")
    if raw.startswith(b"PK\x03\x04") or suffix in EXCEL_SUFFIXES:
        table = _read_excel(raw, file, sheet, what)
    elif raw.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        table = _read_parquet(raw, file, what)
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail(file, "an .xlsx, CSV or Parquet file: old Excel .xls files cannot be read")
    else:
        from ldn_n1.delimited import read_delimited

        table = read_delimited(raw, file, what)
    table.source = str(source)
    table.sha256 = digest
    return table


# --------------------------------------------------------------------------- Excel
def _excel_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp | np.datetime64):
        value = pd.Timestamp(value).to_pydatetime()
    if hasattr(value, "hour") and hasattr(value, "date"):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_excel(raw: bytes, file: str, sheet: str | int | None, what: str) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on a corrupt file; re-raised
        raise fail(file, f"a readable .xlsx {what} ({type(exc).__name__}: {exc})") from None
    try:
        names = list(book.sheetnames)
        notes: list[str] = []
        if sheet is None:
            name = names[0]
            if len(names) > 1:
                notes.append(
                    f"read sheet {name!r} (sheets: {', '.join(map(repr, names))}); choose with sheet="
                )
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise fail(file, f"a sheet index 0-{len(names) - 1}", value=sheet)
            name = names[sheet]
        else:
            matches = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
            if not matches:
                raise fail(file, f"a sheet name among {', '.join(map(repr, names))}", value=sheet)
            name = matches[0]
        ws = book[name]
        if not hasattr(ws, "iter_rows"):
            raise fail(file, f"a worksheet, but sheet {name!r} is a chart")
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    texts = [[_excel_text(v) for v in r] for r in rows]
    first = next((i for i, r in enumerate(texts) if any(v.strip() for v in r)), None)
    if first is None:
        raise fail(file, f"a {what} table with a header row, but sheet {name!r} is empty")
    last = max(i for i, r in enumerate(texts) if any(v.strip() for v in r))
    texts = texts[first : last + 1]
    width = max(len(r) for r in texts)
    grid = [r + [""] * (width - len(r)) for r in texts]
    headers = [h.strip() for h in grid[0]]
    frame = pd.DataFrame(grid[1:], columns=range(width), dtype=object)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in range(width)})
    lines = np.arange(first + 2, first + 2 + len(frame), dtype=np.int64)
    return RawTable(headers, frame, lines, None, file, "", None, notes)


# --------------------------------------------------------------------------- Parquet, DataFrame
def _read_parquet(raw: bytes, file: str, what: str) -> RawTable:
    try:
        frame = pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types on a corrupt file; re-raised
        raise fail(file, f"a readable Parquet {what} ({type(exc).__name__}: {exc})") from None
    table = _from_frame(frame)
    table.file = file
    table.labels = pd.RangeIndex(1, len(frame) + 1)  # "row 1" is the first data row
    return table


def _from_frame(df: pd.DataFrame) -> RawTable:
    headers = [str(c).strip() for c in df.columns]
    frame = pd.DataFrame({i: df.iloc[:, i].reset_index(drop=True) for i in range(df.shape[1])})
    frame.index = pd.RangeIndex(len(df))
    return RawTable(headers, frame, None, df.index, "<DataFrame>", "<DataFrame>", None, [])
