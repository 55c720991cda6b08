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
  messages name the true lines. Patients keep the order of their first row
  (:mod:`ldn_n1.cohort.textsplit`).
- **Parquet** (one file, or a dataset folder with ``key=value`` partition folders or
  ``_metadata``): the ids are read first (one column), then each task reads its patients'
  rows with a filter (``pyarrow.dataset``).
- **anything else** (Excel, UTF-16 text, a file without ``patient_id``, a DataFrame):
  :func:`ldn_n1.diary.iter_diaries` in the calling process, diaries sent in tasks.

Problems of the whole input (missing file, no header, no ``date`` column) raise
:class:`~ldn_n1.errors.DiaryError` before any task is made.
"""

from __future__ import annotations

import hashlib
import os
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

_TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab", ".dat"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


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
    from ldn_n1.cohort.textsplit import text_input, text_layout

    textual = path.suffix.lower() in _TEXT_SUFFIXES or _looks_text(head)
    layout = text_layout(path, head) if textual else None
    if layout is None:
        return _loaded(path, path.name, {"kind": "file", "sha256": _sha256(path)}, options)
    return text_input(path, layout, options)


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
