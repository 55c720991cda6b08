"""Cohort input: split a folder, a large diary file or a Parquet dataset into tasks of patients.

A batch never holds the whole cohort in memory. The input is cut into tasks of about
``chunk_size`` patients (files, for a folder), in input order, and only the tasks being
processed are in memory:

- **folder of diary files**: a task is a list of file paths; the worker reads them.
- **one delimited text file** (CSV/TSV/...) with a ``patient_id`` column: one pass over the
  bytes finds each patient's records (quoted line breaks respected; rows without an id go
  with the patient above, as :func:`ldn_n1.diary.iter_diaries` does) and computes the file's
  SHA-256; a task then carries the header plus its patients' records verbatim and the
  original line number of every line, so the worker validates exactly the same text and its
  messages name the true lines. Patients keep the order of their first row.
- **Parquet** (one file, or a dataset folder with ``key=value`` partition folders or
  ``_metadata``): the ids are read first (one column), then each task reads its patients'
  rows with a filter (``pyarrow.dataset``).
- **anything else** (Excel, UTF-16 text, a file without ``patient_id``, a DataFrame):
  :func:`ldn_n1.diary.iter_diaries` in the calling process, diaries sent in tasks.

Problems of the whole input (missing file, no header, no ``date`` column) raise
:class:`~ldn_n1.errors.DiaryError` before any task is made.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ldn_n1.errors import DiaryError

__all__ = [
    "CohortInput",
    "FileItem",
    "FrameItem",
    "LoadedItem",
    "ReadOptions",
    "Task",
    "TextChunk",
    "open_input",
]

_DELIMITERS = (",", ";", "\t", "|")
_TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab", ".dat"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_SAMPLE_RECORDS = 200


@dataclass(frozen=True)
class ReadOptions:
    """How diaries are read (passed to :func:`ldn_n1.diary.iter_diaries`)."""

    date_format: str | None = None
    layout: str = "auto"


@dataclass(frozen=True)
class FileItem:
    """One diary file of a folder (it may hold several patients)."""

    path: str
    name: str


@dataclass(frozen=True)
class TextChunk:
    """Some patients' records of one delimited text file, verbatim.

    ``data`` is the header record followed by the records; ``lines[i]`` is the line of the
    original file that is line ``i + 1`` of ``data``.
    """

    name: str
    source: str
    sha256: str
    data: bytes = field(repr=False)
    lines: np.ndarray = field(repr=False)
    ids: tuple[str, ...]


@dataclass(frozen=True)
class FrameItem:
    """Some patients' rows of a Parquet input."""

    name: str
    source: str
    frame: pd.DataFrame = field(repr=False)
    ids: tuple[str, ...]


@dataclass(frozen=True)
class LoadedItem:
    """A diary (or its error) read in the calling process."""

    diary: Any = field(repr=False)
    name: str


@dataclass(frozen=True)
class Task:
    """A unit of work: items in input order, and how many patients (or files) they hold."""

    index: int
    items: tuple[Any, ...] = field(repr=False)
    n_units: int


@dataclass
class CohortInput:
    """An opened cohort input.

    Attributes
    ----------
    kind : {"folder", "text", "parquet", "loaded"}
    source : str
        The input as given.
    fingerprint : dict or None
        What identifies the input's content (sizes and modification times of a folder's
        files, the SHA-256 of a file); a resumed run checks it. None for a DataFrame.
    n_units : int or None
        Patients (files for a folder) when known before the run.
    unit : str
        ``"patients"`` or ``"files"``.
    """

    kind: str
    source: str
    fingerprint: dict[str, Any] | None
    n_units: int | None
    unit: str
    _tasks: Any = field(repr=False, default=None)

    def tasks(self, chunk_size: int, skip: frozenset[int] = frozenset()) -> Iterator[Task]:
        """Tasks of ``chunk_size`` patients (files), in input order; ``skip`` not built."""
        return self._tasks(chunk_size, skip)


def open_input(source: str | os.PathLike[str] | pd.DataFrame, options: ReadOptions) -> CohortInput:
    """Open a cohort input (see the module docstring for what is accepted).

    Raises
    ------
    DiaryError
        Missing or unreadable input, an empty folder, or a file whose header the diary
        reader rejects.
    """
    if isinstance(source, pd.DataFrame):
        return _loaded(source, "<DataFrame>", None, options)
    path = Path(source)
    if not path.exists():
        raise DiaryError(file=str(source), expected="an existing diary file or folder (not found)")
    if path.is_dir():
        if _is_parquet_dataset(path):
            return _parquet(path, options)
        return _folder(path)
    head = _read_head(path)
    if head.startswith(b"PAR1") or path.suffix.lower() in _PARQUET_SUFFIXES:
        return _parquet(path, options)
    layout = (
        _text_layout(path, head)
        if path.suffix.lower() in _TEXT_SUFFIXES or _looks_text(head)
        else None
    )
    if layout is None:
        return _loaded(path, path.name, {"kind": "file", "sha256": _sha256(path)}, options)
    return _text(path, layout, options)


# --------------------------------------------------------------------------- folder
def _folder(path: Path) -> CohortInput:
    from ldn_n1.readers import list_diary_files

    files = list_diary_files(path)
    if not files:
        raise DiaryError(
            file=str(path), expected="a folder holding diary files (.csv, .xlsx, .parquet, ...)"
        )
    stats = [f.stat() for f in files]
    fingerprint = {
        "kind": "folder",
        "files": [[f.name, s.st_size, s.st_mtime_ns] for f, s in zip(files, stats, strict=True)],
    }

    def tasks(chunk_size: int, skip: frozenset[int]) -> Iterator[Task]:
        for k, start in enumerate(range(0, len(files), chunk_size)):
            if k in skip:
                continue
            part = files[start : start + chunk_size]
            yield Task(k, tuple(FileItem(str(f), f.name) for f in part), len(part))

    return CohortInput("folder", str(path), fingerprint, len(files), "files", tasks)


# --------------------------------------------------------------------------- loaded in this process
def _loaded(
    source: Path | pd.DataFrame, name: str, fingerprint: dict | None, options: ReadOptions
) -> CohortInput:
    from ldn_n1.diary import iter_diaries

    # Raises at once for an unreadable input.
    items = iter_diaries(source, date_format=options.date_format, layout=options.layout)

    def tasks(chunk_size: int, skip: frozenset[int]) -> Iterator[Task]:
        batch: list[LoadedItem] = []
        k = 0
        for item in items:
            batch.append(LoadedItem(item, name))
            if len(batch) == chunk_size:
                if k not in skip:
                    yield Task(k, tuple(batch), len(batch))
                batch, k = [], k + 1
        if batch and k not in skip:
            yield Task(k, tuple(batch), len(batch))

    src = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(source)
    return CohortInput("loaded", src, fingerprint, None, "patients", tasks)


# --------------------------------------------------------------------------- Parquet
def _is_parquet_dataset(path: Path) -> bool:
    entries = list(path.iterdir())
    if any(e.name in ("_metadata", "_common_metadata") for e in entries):
        return True
    return any(e.is_dir() and "=" in e.name and not e.name.startswith(".") for e in entries)


def _parquet(path: Path, options: ReadOptions) -> CohortInput:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    from ldn_n1.schema import canonical_name

    try:
        dataset = pads.dataset(str(path), format="parquet", partitioning="hive")
        names = dataset.schema.names
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DiaryError(file=path.name, expected=f"a readable Parquet dataset ({exc})") from None
    pid = next((n for n in names if canonical_name(n) == "patient_id"), None)
    files = sorted(dataset.files)
    fingerprint = {
        "kind": "parquet",
        "files": [[os.path.relpath(f, path) if path.is_dir() else Path(f).name,
                   os.stat(f).st_size, os.stat(f).st_mtime_ns] for f in files],
    }  # fmt: skip
    if pid is None:
        frame = dataset.to_table(use_threads=False).to_pandas()
        return _loaded(frame, path.name, fingerprint, options)
    seen: dict[Any, None] = {}
    for batch in dataset.to_batches(columns=[pid], use_threads=False):
        for value in pc.unique(batch.column(0)).to_pylist():
            if value is not None and value not in seen:
                seen[value] = None
    ids = list(seen)
    id_type = dataset.schema.field(pid).type

    def tasks(chunk_size: int, skip: frozenset[int]) -> Iterator[Task]:
        for k, start in enumerate(range(0, len(ids), chunk_size)):
            if k in skip:
                continue
            part = ids[start : start + chunk_size]
            wanted = pc.field(pid).isin(pa.array(part, type=id_type))
            frame = dataset.to_table(filter=wanted, use_threads=False).to_pandas()
            yield Task(
                k, (FrameItem(path.name, str(path), frame, tuple(map(str, part))),), len(part)
            )

    return CohortInput("parquet", str(path), fingerprint, len(ids), "patients", tasks)


# --------------------------------------------------------------------------- delimited text
@dataclass(frozen=True)
class _Layout:
    delimiter: bytes
    pid_pos: int
    header: bytes  # BOM (if any) + header line, with its line break
    header_line: int  # 1-based line of the header in the file
    body_start: int  # byte offset of the first data line


def _read_head(path: Path, size: int = 65536) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise DiaryError(
            file=path.name, expected=f"a readable diary file ({exc.strerror or exc})"
        ) from None


def _looks_text(head: bytes) -> bool:
    return bool(head) and b"\x00" not in head and not head.startswith(b"PK\x03\x04")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _text_layout(path: Path, head: bytes) -> _Layout | None:
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


def _text(path: Path, layout: _Layout, options: ReadOptions) -> CohortInput:
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
