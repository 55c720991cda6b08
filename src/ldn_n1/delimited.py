"""Delimited text (CSV, TSV, ``;`` or ``|`` separated): decoding, sniffing, line numbers.

Text is decoded as UTF-8 (a byte-order mark is dropped), UTF-16 with a byte-order mark,
or else Windows-1252/Latin-1 (noted). The delimiter is the one of ``,`` ``;`` tab ``|``
that splits the header and the next lines most consistently. With a delimiter other than
``,``, numbers written like ``7,5`` switch on decimal commas (noted). Regular files are
parsed by Arrow's CSV reader, irregular ones by pandas, and files with rows longer than
the header or unclosed quotes by the csv module, which locates the problem. Every record
keeps its real line number, counting line breaks inside quoted cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd

from ldn_n1.errors import DiaryError, Problem
from ldn_n1.readers import RawTable, fail

__all__ = ["DELIMITERS", "read_delimited"]

DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = r"^\s*[+-]?\d+,\d+\s*$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SAMPLE_CHARS = 65536
_MAX_LISTED = 50
_EXTRA_FIELDS = 64  # trailing empty fields tolerated by the fast readers


def _decode(raw: bytes, file: str, what: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise fail(file, f"a text {what} (UTF-16 byte-order mark, undecodable)") from None
        notes.append("read as UTF-16 text")
        return text, notes
    if b"\x00" in raw:
        hint = ""
        if raw[1:200:2].count(0) > 0.8 * len(raw[1:200:2]):
            hint = " (UTF-16 without a byte-order mark? save as UTF-8)"
        raise fail(file, f"a text or spreadsheet {what}, got binary content with NUL bytes{hint}")
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
        raise fail(file, f"a text or spreadsheet {what}, got binary content (control characters)")
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


def read_delimited(raw: bytes, file: str, what: str) -> RawTable:
    """Read delimited text bytes (header line first) into a RawTable."""
    text, notes = _decode(raw, file, what)
    # Leading and trailing blank lines are not rows; the header line may not be line 1.
    first = len(text) - len(text.lstrip())
    start = max(text.rfind("\n", 0, first), text.rfind("\r", 0, first)) + 1
    end = len(text.rstrip())
    if end == 0:
        raise fail(file, f"a {what} table with a header row, but the file is empty")
    stop = min(
        (i for i in (text.find("\n", end), text.find("\r", end)) if i >= 0), default=len(text)
    )
    header_line = _count_breaks(text[:start]) + 1
    body = text[start:stop]
    sample = [ln for ln in body[:_SAMPLE_CHARS].splitlines()[:50] if ln.strip()]
    delim = _sniff(sample)
    frame = _read_arrow(body, delim)
    if frame is None:
        frame = _read_pandas(body, delim)
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


def _read_pandas(body: str, delim: str) -> pd.DataFrame | None:
    """Irregular files: short rows padded; rows longer than the header only if the extra
    fields are empty (trailing delimiters). None when pandas cannot read it."""
    options = {
        "sep": delim,
        "header": None,
        "dtype": str,
        "na_filter": False,
        "skip_blank_lines": False,
        "quotechar": '"',
        "engine": "c",
        "index_col": False,
    }
    try:
        return pd.read_csv(io.StringIO(body), **options)
    except (pd.errors.ParserError, ValueError):
        pass
    width = len(next(csv.reader([body.split("\n", 1)[0].split("\r", 1)[0]], delimiter=delim)))
    try:
        frame = pd.read_csv(io.StringIO(body), names=range(width + _EXTRA_FIELDS), **options)
    except (pd.errors.ParserError, ValueError):
        return None
    extra = frame.iloc[:, width:]
    if extra.apply(lambda c: c.str.strip().ne("").any()).any():
        return None  # values beyond the header: the csv-module reader reports them
    return frame.iloc[:, :width]


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
        raise fail(
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
