"""On-disk state of a batch run: chunk parts, manifest, resume, and the final merge.

Layout of ``DIR/.parts/`` while a run is going on::

    manifest.json          input fingerprint, plan, chunk size, options (checked on --resume)
    reports/000007-03.html report of task 7, patient 3 (with --reports)
    errors-000007.csv      errors.csv rows of task 7
    part-000007.csv        results.csv rows of task 7 (written last: it marks the task done)

Every file is written to a temporary name and renamed (:func:`os.replace`), so a run killed
at any moment leaves only complete files; ``--resume`` redoes the tasks without a
``part-*.csv``. Parts hold the final cell text (deterministic, see
:mod:`ldn_n1.cohort.output`) but not yet neutralised against CSV injection, so the merge is
a concatenation in task order: a resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ldn_n1.cohort.output import (
    ERROR_COLUMNS,
    TEXT_COLUMNS,
    AtomicTextFile,
    assign_report_names,
    csv_text,
    format_cell,
    write_text_atomic,
)
from ldn_n1.cohort.summary import summarize_cohort
from ldn_n1.cohort.tasks import ERROR_PART_COLUMNS, PART_COLUMNS, ROW_COLUMNS, TaskResult
from ldn_n1.errors import LdnError

__all__ = [
    "Merged",
    "PartStore",
    "finish_reports",
    "merge_rows",
    "text_rows",
    "typed_results",
    "write_tables",
]

MANIFEST_VERSION = 1
_TYPED_BATCH = 20000  # result rows converted to typed columns at a time while merging
_PART = re.compile(r"part-(\d+)\.csv")
_PID = PART_COLUMNS.index("patient_id")
_SOURCE = PART_COLUMNS.index("source")
_STATUS = PART_COLUMNS.index("status")
_K = PART_COLUMNS.index("_patient")
_NUMERIC = ("improvement", "improvement_low", "improvement_high", "p_improvement", "p_mcid",
            "p_worsening", "mcid", "missing_share", "onset_tau_days", "rho", "trend_weight",
            "target_dose_mg")  # fmt: skip
_INTEGER = ("n_baseline_days", "n_evaluation_days", "n_timing_switches")


class PartStore:
    """The ``.parts`` folder of one output folder."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def prepare(self, manifest: dict[str, Any], resume: bool) -> frozenset[int]:
        """Start a run; return the tasks already done (only when resuming).

        Without ``resume`` any previous parts are removed. With ``resume`` the manifest of
        the interrupted run must match ``manifest`` (same input content, plan, chunk size and
        options), otherwise :class:`~ldn_n1.errors.LdnError`; with no interrupted run to
        resume, the run starts afresh.
        """
        if resume and self.manifest_path.is_file():
            try:
                old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                msg = f"cannot resume: {self.manifest_path} is unreadable ({exc}); run without --resume"
                raise LdnError(msg) from None
            changed = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
            if changed:
                msg = (
                    f"cannot resume the run in {self.folder.parent}: {', '.join(changed)} changed "
                    "since it was interrupted; run without --resume to start again"
                )
                raise LdnError(msg)
            return frozenset(self.done())
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        write_text_atomic(self.manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        return frozenset()

    def previous(self) -> dict[str, Any] | None:
        """The manifest of an interrupted run, or None (none, or unreadable)."""
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def done(self) -> list[int]:
        """Indices of the finished tasks, in order."""
        if not self.folder.is_dir():
            return []
        found = (_PART.fullmatch(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def report_path(self, index: int, k: int) -> Path:
        return self.folder / "reports" / f"{index:06d}-{k:04d}.html"

    def save(self, result: TaskResult) -> None:
        """Write a task's reports, errors and rows (in that order; rows mark it done)."""
        for k, text in result.reports.items():
            write_text_atomic(self.report_path(result.index, k), text)
        errors = self.folder / f"errors-{result.index:06d}.csv"
        write_text_atomic(
            errors, csv_text(ERROR_PART_COLUMNS, result.errors, neutralise_text=False)
        )
        part = self.folder / f"part-{result.index:06d}.csv"
        write_text_atomic(part, csv_text(PART_COLUMNS, result.rows, neutralise_text=False))

    def read(self, index: int) -> tuple[list[list[str]], list[list[str]]]:
        """The text rows (without header) of a finished task: results, errors."""
        return (
            _read_rows(self.folder / f"part-{index:06d}.csv"),
            _read_rows(self.folder / f"errors-{index:06d}.csv"),
        )

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[1:]


def text_rows(rows: Iterable[Sequence[object]], columns: Sequence[str]) -> list[list[str]]:
    """Typed rows as the cell text a part file holds (for in-memory runs)."""
    return [[format_cell(v, c) for v, c in zip(row, columns, strict=True)] for row in rows]


@dataclass
class Merged:
    """Running state of the merge over tasks, in task order."""

    seen: dict[str, str] = field(default_factory=dict)
    n_patients: int = 0
    n_failed: int = 0
    reports: list[tuple[int, int, str]] = field(default_factory=list)


def _patients(rows: list[list[str]]) -> Iterator[list[list[str]]]:
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][_K] != rows[start][_K]:
            yield rows[start:i]
            start = i


def merge_rows(
    index: int, rows: list[list[str]], errors: list[list[str]], state: Merged
) -> tuple[list[list[str]], list[list[str]]]:
    """Final rows of one task (text cells, without ``_patient``) and its errors.

    A patient id already used by an earlier patient from another file becomes an error
    (as :func:`ldn_n1.diary.iter_diaries` does for a folder): ids must be unique.
    """
    out: list[list[str]] = []
    extra: list[list[str]] = []
    for group in _patients(rows):
        pid, source, k = group[0][_PID], group[0][_SOURCE], group[0][_K]
        state.n_patients += 1
        other = state.seen.get(pid)
        if other is not None and other != source:
            expected = f"an id not used by another file (also in {other})"
            message = f"{source}, column 'patient_id': got {pid!r}, {expected}"
            cells = dict.fromkeys(PART_COLUMNS, "")
            cells.update(patient_id=pid, status="error", message=message, source=source, _patient=k)
            group = [[cells[c] for c in PART_COLUMNS]]
            extra.append(
                [pid, source, "DiaryError", "", "", "patient_id", pid, expected, message, k]
            )
        else:
            state.seen.setdefault(pid, source)
        if any(r[_STATUS] == "error" for r in group):
            state.n_failed += 1
        else:
            state.reports.append((index, int(k), pid))
        out.extend(r[:_K] for r in group)
    merged_errors = sorted([*errors, *extra], key=lambda e: int(e[-1]))
    return out, [e[:-1] for e in merged_errors]


def typed_results(rows: list[list[str]]) -> pd.DataFrame:
    """Results text rows (:data:`ROW_COLUMNS`) as a typed frame (what ``results.csv`` reads as).

    Floats parse back exactly (cells hold ``repr`` text); day counts are nullable integers,
    ``primary`` a nullable boolean, missing text ``""``.
    """
    frame = pd.DataFrame(rows, columns=list(ROW_COLUMNS), dtype=object)
    for name in _NUMERIC:
        frame[name] = pd.to_numeric(frame[name].replace("", None), errors="coerce").astype(
            "float64"
        )
    for name in _INTEGER:
        frame[name] = pd.to_numeric(frame[name].replace("", None), errors="coerce").astype("Int64")
    frame["primary"] = frame["primary"].map({"True": True, "False": False}).astype("boolean")
    for name in ROW_COLUMNS:
        if name in TEXT_COLUMNS:
            frame[name] = frame[name].astype(str)
    return frame


def finish_reports(store: PartStore, out: Path, reports: list[tuple[int, int, str]]) -> int:
    """Move the reports into ``out/reports/`` under safe unique names; return how many."""
    names = assign_report_names(pid for _, _, pid in reports)
    target = out / "reports"
    moved = 0
    for (index, k, _), name in zip(reports, names, strict=True):
        src = store.report_path(index, k)
        if src.is_file():
            target.mkdir(parents=True, exist_ok=True)
            os.replace(src, target / name)
            moved += 1
        elif (target / name).is_file():  # moved by a merge that was interrupted
            moved += 1
    return moved


def write_tables(store: PartStore, out: Path) -> tuple[Merged, int]:
    """Merge the parts into results.csv and errors.csv (in task order); write the summary.

    Returns the merge state (patients, failures, reports to place) and the number of
    reports that could not be made.
    """
    from ldn_n1.cohort.html import render_summary

    state = Merged()
    typed: list[pd.DataFrame] = []
    pending: list[list[str]] = []
    report_failures = 0
    with AtomicTextFile(out / "results.csv") as res, AtomicTextFile(out / "errors.csv") as err:
        res.write(csv_text(ROW_COLUMNS, []))
        err.write(csv_text(ERROR_COLUMNS, []))
        for index in store.done():
            rows, errors = store.read(index)
            rows, errors = merge_rows(index, rows, errors, state)
            res.write(csv_text(ROW_COLUMNS, rows, header=False))
            err.write(csv_text(ERROR_COLUMNS, errors, header=False))
            report_failures += sum(e[2].startswith("report:") for e in errors)
            pending += rows
            if len(pending) >= _TYPED_BATCH:
                typed.append(typed_results(pending))
                pending = []
    typed.append(typed_results(pending))
    table = pd.concat(typed, ignore_index=True) if len(typed) > 1 else typed[0]
    summary = summarize_cohort(table)
    frame = summary.to_frame()
    write_text_atomic(
        out / "cohort_summary.csv", csv_text(frame.columns, frame.itertuples(index=False))
    )
    write_text_atomic(out / "cohort_summary.html", render_summary(summary))
    return state, report_failures
