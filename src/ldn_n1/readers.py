"""Read a diary file (or DataFrame) into a raw table of cells, before any interpretation.

This module only gets the cells out of the container: it decodes text (UTF-8 with or
without BOM, UTF-16 with BOM, Latin-1 fallback), sniffs the delimiter of delimited text,
detects decimal commas, reads Excel (.xlsx) and Parquet, and records the line (or
spreadsheet row) of every data row for error messages. Column names, dates and values
are interpreted in :mod:`ldn_n1.schema` and :mod:`ldn_n1.cells`. The input is only read,
never modified.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_n1.errors import DiaryError, Problem

__all__ = ["DIARY_SUFFIXES", "RawTable", "list_diary_files", "read_table"]

DELIMITERS = (",", ";", "\t", "|")
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab", ".dat"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DIARY_SUFFIXES = TEXT_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES

_DECIMAL_COMMA = r"^\s*[+-]?\d+,\d+\s*$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SAMPLE_CHARS = 65536
_MAX_LISTED = 50


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


def _fail(file: str, expected: str, value: object = None, line: int | None = None) -> DiaryError:
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
        raise _fail(file, f"a {what} file, but this is a folder")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail(file, f"an existing {what} file (not found: {str(source)!r})") from None
    except OSError as exc:
        raise _fail(file, f"a readable {what} file ({exc.strerror or exc})") from None
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if not raw.strip():
        raise _fail(file, f"a {what} table with a header row, but the file is empty")
    if raw.startswith(b"PK\x03\x04") or suffix in EXCEL_SUFFIXES:
        table = _read_excel(raw, file, sheet, what)
    elif raw.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        table = _read_parquet(raw, file, what)
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail(file, "an .xlsx, CSV or Parquet file: old Excel .xls files cannot be read")
    else:
        table = _read_text(raw, file, what)
    table.source = str(source)
    table.sha256 = digest
    return table


# --------------------------------------------------------------------------- text files
def _decode(raw: bytes, file: str, what: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(file, f"a text {what} (UTF-16 byte-order mark, undecodable)") from None
        notes.append("read as UTF-16 text")
        return text, notes
    if b"\x00" in raw:
        hint = ""
        if raw[1:200:2].count(0) > 0.8 * len(raw[1:200:2]):
            hint = " (UTF-16 without a byte-order mark? save as UTF-8)"
        raise _fail(file, f"a text or spreadsheet {what}, got binary content with NUL bytes{hint}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
            notes.append("file is not UTF-8: read as Latin-1 (Windows-1252)")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            notes.append("file is not UTF-8: read as Latin-1")
    sample = text[:_SAMPLE_CHARS]
    controls = len(_CONTROL.findall(sample))
    if controls > max(2, 0.01 * len(sample)):
        raise _fail(file, f"a text or spreadsheet {what}, got binary content (control characters)")
    return text, notes


def _count_outside_quotes(line: str, delim: str) -> int:
    return re.sub(r'"[^"]*"', "", line).count(delim)


def _sniff(lines: list[str]) -> str:
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        counts = [_count_outside_quotes(line, delim) for line in lines]
        if counts[0] == 0:
            continue
        rest = counts[1:]
        consistent = sum(c == counts[0] for c in rest) / len(rest) if rest else 1.0
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_text(raw: bytes, file: str, what: str) -> RawTable:
    text, notes = _decode(raw, file, what)
    # Leading and trailing blank lines are not rows; the header line may not be line 1.
    first = len(text) - len(text.lstrip())
    start = max(text.rfind("\n", 0, first), text.rfind("\r", 0, first)) + 1
    end = len(text.rstrip())
    if end == 0:
        raise _fail(file, f"a {what} table with a header row, but the file is empty")
    stop = min(
        (i for i in (text.find("\n", end), text.find("\r", end)) if i >= 0), default=len(text)
    )
    header_line = _count_breaks(text[:start]) + 1
    body = text[start:stop]
    sample = [ln for ln in body[:_SAMPLE_CHARS].splitlines()[:50] if ln.strip()]
    delim = _sniff(sample)
    frame = _read_arrow(body, delim)
    if frame is None:
        try:
            frame = pd.read_csv(
                io.StringIO(body),
                sep=delim,
                header=None,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                quotechar='"',
                engine="c",
                index_col=False,
            )
        except (pd.errors.ParserError, ValueError):
            frame = None
    if frame is not None:
        lines = _line_numbers(frame, header_line, physical=_count_breaks(body) + 1)
    else:
        frame, lines = _read_text_slow(body, delim, header_line, file)
    headers = [str(h).strip() for h in frame.iloc[0]]
    data = frame.iloc[1:].reset_index(drop=True)
    data.columns = range(data.shape[1])
    table = RawTable(headers, data, lines[1:], None, file, "", None, notes)
    if delim != "," and len(data):
        table.decimal_comma = any(
            data[c].str.contains(_DECIMAL_COMMA, regex=True).fillna(False).astype(bool).any()
            for c in data
            if data[c].str.contains(",", regex=False).fillna(False).astype(bool).any()
        )
        if table.decimal_comma:
            notes.append("decimal commas read as decimal points ('7,5' = 7.5)")
    return table


def _read_arrow(body: str, delim: str) -> pd.DataFrame | None:
    """Fast path for regular files (same field count on every line): Arrow's CSV reader.

    Returns None when the file is irregular (short or long rows, blank lines, bad
    quoting); the pandas and csv-module readers then take over.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if body.count('"') % 2:
        return None  # an unclosed quote (Arrow would read it to the end of the file)
    first = body.split("\n", 1)[0].split("\r", 1)[0]
    ncol = len(next(csv.reader([first], delimiter=delim, quotechar='"')))
    names = [f"c{i}" for i in range(ncol)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char='"', newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(ncol)
    return frame


def _count_breaks(text: str) -> int:
    """Line breaks in ``text`` (``\\r\\n``, ``\\n`` or ``\\r``)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _line_numbers(frame: pd.DataFrame, header_line: int, *, physical: int) -> np.ndarray:
    """Line of each record, counting line breaks inside quoted cells (vectorised)."""
    rows = np.arange(len(frame), dtype=np.int64)
    if physical == len(frame):  # one line per record: no quoted line breaks
        return header_line + rows
    breaks = np.zeros(len(frame), dtype=np.int64)
    for col in frame:
        cells = frame[col]
        if (
            cells.str.contains("\n", regex=False).any()
            or cells.str.contains("\r", regex=False).any()
        ):
            breaks += cells.str.count(r"\r\n|\r|\n").fillna(0).to_numpy(dtype=np.int64)
    before = np.concatenate([[0], np.cumsum(breaks)[:-1]])
    return header_line + rows + before


def _read_text_slow(
    body: str, delim: str, header_line: int, file: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse with the csv module (only when the fast parser fails) to locate problems."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim, quotechar='"', strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    start = 1
    try:
        for row in reader:
            rows.append(row)
            starts.append(header_line - 1 + start)
            start = reader.line_num + 1
    except csv.Error:
        raise _fail(
            file,
            'a closing quote (") for the quoted value that starts on this line',
            line=header_line - 1 + start,
        ) from None
    width = len(rows[0])
    problems = []
    for row, line in zip(rows, starts, strict=True):
        extra = [v for v in row[width:] if v.strip()]
        if extra:
            problems.append((line, len(row), extra[0]))
    if problems:
        hint = "(a decimal comma in a comma-separated file? quote such values or use ';')"
        found = [
            Problem(
                file,
                ln,
                None,
                v,
                f"at most {width} fields as in the header, this row has {n} {hint}",
            )
            for ln, n, v in problems[:_MAX_LISTED]
        ]
        if len(problems) > _MAX_LISTED:
            more = len(problems) - _MAX_LISTED
            found.append(Problem(file, None, None, None, f"fewer fields on {more} more rows"))
        raise DiaryError(found) from None
    frame = pd.DataFrame([(row + [""] * width)[:width] for row in rows], dtype=object)
    return frame, np.asarray(starts, dtype=np.int64)


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
        raise _fail(file, f"a readable .xlsx {what} ({type(exc).__name__}: {exc})") from None
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
                raise _fail(file, f"a sheet index 0-{len(names) - 1}", value=sheet)
            name = names[sheet]
        else:
            matches = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
            if not matches:
                raise _fail(file, f"a sheet name among {', '.join(map(repr, names))}", value=sheet)
            name = matches[0]
        ws = book[name]
        if not hasattr(ws, "iter_rows"):
            raise _fail(file, f"a worksheet, but sheet {name!r} is a chart")
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    texts = [[_excel_text(v) for v in r] for r in rows]
    first = next((i for i, r in enumerate(texts) if any(v.strip() for v in r)), None)
    if first is None:
        raise _fail(file, f"a {what} table with a header row, but sheet {name!r} is empty")
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
        raise _fail(file, f"a readable Parquet {what} ({type(exc).__name__}: {exc})") from None
    table = _from_frame(frame)
    table.file = file
    table.labels = pd.RangeIndex(1, len(frame) + 1)  # "row 1" is the first data row
    return table


def _from_frame(df: pd.DataFrame) -> RawTable:
    headers = [str(c).strip() for c in df.columns]
    frame = pd.DataFrame({i: df.iloc[:, i].reset_index(drop=True) for i in range(df.shape[1])})
    frame.index = pd.RangeIndex(len(df))
    return RawTable(headers, frame, None, df.index, "<DataFrame>", "<DataFrame>", None, [])
