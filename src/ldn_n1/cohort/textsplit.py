"""Split one large delimited diary file (CSV/TSV/...) into tasks of whole patients.

One pass over the bytes finds each record (a quoted cell may span lines), reads its
``patient_id`` cell and records, per run of consecutive records of one patient, the byte
range and the original line numbers; it also computes the file's SHA-256. Rows without an id
go with the patient above (before the first id: with the first patient), as
:func:`ldn_n1.diary.iter_diaries` does. A task then carries the header plus its patients'
records verbatim (:class:`~ldn_n1.cohort.sources.TextChunk`) and the original line of every
line, so the worker validates exactly the same text and its messages name the true lines.
Patients keep the order of their first row, even when a file is not sorted by patient.

Only ASCII-compatible encodings are split this way (UTF-8, Windows-1252, Latin-1: the bytes
of ``"``, the delimiter and the line break are unambiguous); UTF-16 files, files with old Mac
line breaks and files without a ``patient_id`` column are read whole instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ldn_n1.cohort.sources import (
    CohortInput,
    ReadOptions,
    Task,
    TextChunk,
    _loaded,
    _looks_text,
)

__all__ = ["text_input", "text_layout"]

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_RECORDS = 200


@dataclass(frozen=True)
class _Layout:
    delimiter: bytes
    pid_pos: int
    header: bytes  # BOM (if any) + header line, with its line break
    header_line: int  # 1-based line of the header in the file
    body_start: int  # byte offset of the first data line


def text_layout(path: Path, head: bytes) -> _Layout | None:
    """Where the ids are, or None when the file must be read whole (no id column, UTF-16, ...)."""
    from ldn_n1.schema import canonical_name

    if not _looks_text(head) or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    bom = b"\xef\xbb\xbf" if head.startswith(b"\xef\xbb\xbf") else b""
    offset, line_no = len(bom), 0
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            line_no += 1
            if raw.strip():
                break
            offset += len(raw)
        else:
            return None
    header = raw
    if b"\r" in header.rstrip(b"\r\n") or header.count(b'"') % 2:
        return None  # old Mac line ends, or a line break inside a quoted header
    text = header.decode("utf-8", errors="replace").rstrip("\r\n")
    best: tuple[int, str, int] | None = None
    for delim in _DELIMITERS:
        fields = next(csv.reader([text], delimiter=delim))
        canon = [canonical_name(f) for f in fields]
        if "patient_id" in canon and (best is None or len(fields) > best[0]):
            best = (len(fields), delim, canon.index("patient_id"))
    if best is None:
        return None
    return _Layout(best[1].encode(), best[2], bom + header, line_no, offset + len(header))


@dataclass
class _Runs:
    """Consecutive records of one patient: byte range and original lines."""

    code: array = field(default_factory=lambda: array("q"))
    start: array = field(default_factory=lambda: array("q"))
    end: array = field(default_factory=lambda: array("q"))
    first_line: array = field(default_factory=lambda: array("q"))
    last_line: array = field(default_factory=lambda: array("q"))

    def add(self, code: int, start: int, end: int, first: int, last: int) -> None:
        if len(self.code) and self.code[-1] == code and self.end[-1] == start:
            self.end[-1], self.last_line[-1] = end, last
            return
        for arr, value in zip(
            (self.code, self.start, self.end, self.first_line, self.last_line),
            (code, start, end, first, last),
            strict=True,
        ):
            arr.append(value)


def _record_id(record: bytes, layout: _Layout) -> str:
    """The id cell of one record, as Latin-1 text (a 1:1 image of the bytes), stripped."""
    if b'"' not in record:
        fields = record.rstrip(b"\r\n").split(layout.delimiter)
        cell = fields[layout.pid_pos] if len(fields) > layout.pid_pos else b""
        return cell.decode("latin-1").strip()
    text = record.decode("latin-1")
    row = next(csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter.decode()), [])
    return row[layout.pid_pos].strip() if len(row) > layout.pid_pos else ""


def _scan(path: Path, layout: _Layout) -> tuple[str, list[str], _Runs]:
    """One pass: SHA-256 of the file, patient ids in order of first appearance, their runs."""
    digest = hashlib.sha256()
    codes: dict[str, int] = {}
    runs = _Runs()
    current = -1
    pending: tuple[int, int] | None = None  # records before the first id (start, first line)
    offset, line_no = 0, 0
    rec_start = rec_line = quotes = 0
    parts: list[bytes] = []
    with path.open("rb") as fh:
        for raw in fh:
            digest.update(raw)
            line_no += 1
            start, offset = offset, offset + len(raw)
            if start < layout.body_start:
                continue
            if not parts:
                rec_start, rec_line, quotes = start, line_no, 0
            parts.append(raw)
            quotes += raw.count(b'"')
            if quotes % 2:
                continue  # a quoted cell goes on in the next line
            record = parts[0] if len(parts) == 1 else b"".join(parts)
            parts = []
            pid = _record_id(record, layout)
            if pid:
                current = codes.setdefault(pid, len(codes))
            if current < 0:
                pending = pending or (rec_start, rec_line)
                continue
            if pending is not None:
                rec_start, rec_line, pending = pending[0], pending[1], None
            runs.add(current, rec_start, offset, rec_line, line_no)
    if parts and current >= 0:  # an unclosed quote runs to the end: the reader reports it
        runs.add(current, rec_start, offset, rec_line, line_no)
    ids = [pid.encode("latin-1").decode("utf-8", errors="replace") for pid in codes]
    return digest.hexdigest(), ids, runs


def _check_header(path: Path, layout: _Layout, options: ReadOptions) -> None:
    """Validate the header and the first records with the diary reader (same line numbers)."""
    from ldn_n1.diary import iter_diaries

    sample: list[bytes] = []
    records = quotes = 0
    with path.open("rb") as fh:
        fh.seek(layout.body_start)
        for line in fh:
            sample.append(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                records += 1
                if records == _SAMPLE_RECORDS:
                    break
    with path.open("rb") as fh:
        lead = fh.read(layout.body_start)
    with tempfile.TemporaryDirectory(prefix="ldn-n1-") as tmp:
        probe = Path(tmp) / path.name
        probe.write_bytes(lead + b"".join(sample))
        # Raises DiaryError (whole-file problems only); per-patient problems are left to
        # the workers, which see every record.
        for _ in iter_diaries(probe, date_format=options.date_format, layout=options.layout):
            break


def text_input(path: Path, layout: _Layout, options: ReadOptions) -> CohortInput:
    _check_header(path, layout, options)
    sha, ids, runs = _scan(path, layout)
    if not ids:  # the id column is empty throughout: one patient named after the file
        return _loaded(path, path.name, {"kind": "file", "sha256": sha}, options)
    code = np.frombuffer(runs.code, dtype=np.int64) if len(runs.code) else np.zeros(0, np.int64)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(ids) + 1))
    start = np.frombuffer(runs.start, dtype=np.int64) if len(runs.start) else code
    end = np.frombuffer(runs.end, dtype=np.int64) if len(runs.end) else code
    first = np.frombuffer(runs.first_line, dtype=np.int64) if len(runs.first_line) else code
    last = np.frombuffer(runs.last_line, dtype=np.int64) if len(runs.last_line) else code
    fingerprint = {"kind": "text", "size": path.stat().st_size, "sha256": sha}

    def tasks(chunk_size: int, skip: frozenset[int]) -> Iterator[Task]:
        with path.open("rb") as fh:
            for k, lo in enumerate(range(0, len(ids), chunk_size)):
                if k in skip:
                    continue
                hi = min(lo + chunk_size, len(ids))
                sel = np.sort(order[bounds[lo] : bounds[hi]])
                pieces, lines = [layout.header], [np.array([layout.header_line], dtype=np.int64)]
                for j in sel:
                    fh.seek(int(start[j]))
                    piece = fh.read(int(end[j] - start[j]))
                    pieces.append(piece if piece.endswith(b"\n") else piece + b"\n")
                    lines.append(np.arange(first[j], last[j] + 1, dtype=np.int64))
                chunk = TextChunk(
                    path.name,
                    str(path),
                    sha,
                    b"".join(pieces),
                    np.concatenate(lines),
                    tuple(ids[lo:hi]),
                )
                yield Task(k, (chunk,), hi - lo)

    return CohortInput("text", str(path), fingerprint, len(ids), "patients", tasks)
