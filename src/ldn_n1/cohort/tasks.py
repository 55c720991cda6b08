"""The work of one batch task, run in a worker process: read its patients, analyse each.

:func:`run_task` is what the local process pool and the Dask engine execute. It reads the
task's diaries (:mod:`ldn_n1.cohort.sources`), calls :func:`ldn_n1.analysis.analyze` with
``settle=False`` on each, and returns plain rows. A patient whose diary fails validation
(:class:`~ldn_n1.errors.DiaryError`), that cannot be analysed
(:class:`~ldn_n1.errors.AnalysisError`), or that raises anything else, becomes one error row
(``status = "error"``) and the task goes on; warnings are recorded in ``message``.
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ldn_n1.cohort.output import ERROR_COLUMNS, EXTRA_COLUMNS, RESULT_COLUMNS
from ldn_n1.cohort.sources import FileItem, FrameItem, LoadedItem, ReadOptions, Task, TextChunk
from ldn_n1.errors import DiaryError, LdnError, Problem

__all__ = ["PART_COLUMNS", "ROW_COLUMNS", "TaskResult", "dose_timing", "run_task"]

#: Columns of a result row: DESIGN §5 columns, then the extras.
ROW_COLUMNS = (*RESULT_COLUMNS, *EXTRA_COLUMNS)
#: Columns of the rows returned by a task: :data:`ROW_COLUMNS` plus the patient's position
#: in the task (``_patient``), which keeps one patient's rows together.
PART_COLUMNS = (*ROW_COLUMNS, "_patient")
ERROR_PART_COLUMNS = (*ERROR_COLUMNS, "_patient")
_NAN = math.nan
_LINE = re.compile(r"\bline (\d+)")


@dataclass(frozen=True)
class TaskResult:
    """Rows produced by one task.

    Attributes
    ----------
    index : int
        The task's index (its position in the input).
    rows : list of tuple
        Result rows in :data:`PART_COLUMNS` order, patients in input order.
    errors : list of tuple
        ``errors.csv`` rows (:data:`ERROR_PART_COLUMNS`).
    reports : dict of int to str
        Report HTML by ``_patient`` (only when reports were asked for).
    n_units : int
        Patients (files, for a folder) the task covered, for progress.
    """

    index: int
    rows: list[tuple] = field(repr=False)
    errors: list[tuple] = field(repr=False)
    reports: dict[int, str] = field(repr=False)
    n_units: int


def run_task(task: Task, plan: Any, options: ReadOptions, reports: bool = False) -> TaskResult:
    """Analyse every patient of a task.

    Parameters
    ----------
    task : Task
    plan : Plan
        The loaded plan (shared by every patient).
    options : ReadOptions
    reports : bool
        Also render each analysed patient's HTML report (``ldn_n1.report.write_report``).

    Returns
    -------
    TaskResult
    """
    rows: list[tuple] = []
    errors: list[tuple] = []
    html: dict[int, str] = {}
    for k, (hint, source, item) in enumerate(_diaries(task, options)):
        if isinstance(item, BaseException):
            pid = getattr(item, "patient_id", None) or hint
            rows.append(_error_row(pid, source, item, k))
            errors.extend(_error_details(pid, source, item, k))
            continue
        try:
            result, caught = _analyze(item, plan)
            rows.extend(_result_rows(result, caught, source, k))
        except Exception as exc:  # noqa: BLE001 - one patient's failure must not stop the batch
            rows.append(_error_row(item.patient_id, source, exc, k))
            errors.extend(_error_details(item.patient_id, source, exc, k))
            continue
        if reports:
            try:
                html[k] = _render_report(result)
            except Exception as exc:  # noqa: BLE001 - the analysis stands; the missing report is listed
                errors.extend(_error_details(item.patient_id, source, exc, k, what="report"))
    return TaskResult(task.index, rows, errors, html, task.n_units)


# --------------------------------------------------------------------------- reading
def _diaries(task: Task, options: ReadOptions) -> Iterator[tuple[str, str, Any]]:
    """``(fallback id, source name, Diary or exception)`` per patient, in input order."""
    from ldn_n1.diary import iter_diaries

    kw = {"date_format": options.date_format, "layout": options.layout}
    for item in task.items:
        if isinstance(item, LoadedItem):
            yield getattr(item.diary, "patient_id", None) or "", item.name, item.diary
        elif isinstance(item, FileItem):
            stem = Path(item.path).stem
            yield from _guarded([stem], item.name, lambda it=item: iter_diaries(it.path, **kw))
        elif isinstance(item, FrameItem):
            fix = _frame_fixer(item)
            yield from _guarded(
                item.ids, item.name, lambda it=item: iter_diaries(it.frame, **kw), fix
            )
        elif isinstance(item, TextChunk):
            with tempfile.TemporaryDirectory(prefix="ldn-n1-") as tmp:
                path = Path(tmp) / item.name
                path.write_bytes(item.data)
                fix = _text_fixer(item)
                yield from _guarded(item.ids, item.name, lambda p=path: iter_diaries(p, **kw), fix)
        else:  # pragma: no cover - programming error
            msg = f"unknown task item {type(item).__name__}"
            raise TypeError(msg)


def _guarded(ids, name, open_items, fix=None) -> Iterator[tuple[str, str, Any]]:
    """Iterate a reader; an error of the whole item becomes one error per expected patient."""
    fix = fix or (lambda x: x)
    done = 0
    try:
        for item in open_items():
            hint = ids[done] if done < len(ids) else ids[-1]
            done += 1
            yield hint, name, fix(item)
    except Exception as exc:  # noqa: BLE001 - the whole item failed: every patient not yet seen gets it
        error = fix(exc) if isinstance(exc, DiaryError) else exc
        for pid in ids[done:] or ids[-1:]:
            yield pid, name, error


def _frame_fixer(item: FrameItem):
    def fix(x):
        if isinstance(x, DiaryError):
            return DiaryError(
                [replace(p, file=item.name) for p in x.problems], patient_id=x.patient_id
            )
        return replace(x, source=item.source)

    return fix


def _text_fixer(item: TextChunk):
    """Map line numbers of the chunk back to the original file."""
    lines = item.lines

    def line(n: int | None) -> int | None:
        return int(lines[n - 1]) if n is not None and 1 <= n <= len(lines) else n

    def text(s: str) -> str:
        return _LINE.sub(lambda m: f"line {line(int(m.group(1)))}", s) if s else s

    def fix(x):
        if isinstance(x, DiaryError):
            probs = [replace(p, line=line(p.line), expected=text(p.expected)) for p in x.problems]
            return DiaryError(probs, patient_id=x.patient_id)
        q = x.quality
        excluded = tuple(replace(r, line=line(r.line)) for r in q.excluded_rows)
        return replace(
            x, source=item.source, sha256=item.sha256, quality=replace(q, excluded_rows=excluded)
        )

    return fix


# --------------------------------------------------------------------------- analysis
def _analyze(diary: Any, plan: Any) -> tuple[Any, list[str]]:
    """``analyze(..., settle=False)`` with its warnings recorded instead of shown."""
    from ldn_n1.analysis import analyze

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = analyze(diary, plan, settle=False)
    return result, [str(w.message) for w in caught]


def dose_timing(data: pd.DataFrame, phases: Any) -> str:
    """Most frequent ``dose_time`` on dosing days of the evaluation window (``""`` if none).

    Ties go to the alphabetically first value. ``data`` is a diary's ``data`` (not modified).
    """
    if "dose_time" not in data.columns:
        return ""
    dates = pd.DatetimeIndex(data["date"])
    sel = (dates >= phases.evaluation_start) & (dates <= phases.evaluation_end)
    if "dose_mg" in data.columns:
        sel &= data["dose_mg"].to_numpy(dtype=float, na_value=_NAN) > 0
    values = data["dose_time"].to_numpy(dtype=object)[sel]
    texts = [str(v).strip().lower() for v in values if isinstance(v, str) and v.strip()]
    if not texts:
        return ""
    names, counts = np.unique(np.array(texts, dtype=object), return_counts=True)
    return str(names[int(np.argmax(counts))])


def _result_rows(result: Any, caught: list[str], source: str, k: int) -> list[tuple]:
    notes = list(result.notes)
    notes += [w for w in caught if not any(n in w for n in notes)]
    phases = result.phases
    timing = dose_timing(result.data, phases)
    rows = []
    for o in result.outcomes.values():
        r = o.row()
        message = "; ".join(notes + ([o.sentence] if o.fit is None else []))
        rows.append(
            (
                result.patient_id,
                r["outcome"],
                bool(r["primary"]),
                r["classification"],
                r["improvement"],
                r["improvement_low"],
                r["improvement_high"],
                r["p_improvement"],
                r["p_mcid"],
                r["p_worsening"],
                r["mcid"],
                r["n_baseline_days"],
                r["n_evaluation_days"],
                r["missing_share"],
                "ok",
                message,
                r["onset_tau_days"],
                r["rho"],
                r["trend_weight"],
                r["verdict_narrow_prior"],
                r["verdict_wide_prior"],
                float(phases.target_dose_mg),
                timing,
                len(phases.switches),
                source,
                k,
            )
        )
    return rows


def _message(exc: BaseException) -> str:
    if isinstance(exc, LdnError):
        return str(exc)
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def _error_row(pid: str, source: str, exc: BaseException, k: int) -> tuple:
    values = dict.fromkeys(PART_COLUMNS, None)
    values.update(patient_id=pid, status="error", message=_message(exc), source=source, _patient=k)
    return tuple(values[c] for c in PART_COLUMNS)


def _error_details(
    pid: str, source: str, exc: BaseException, k: int, what: str = ""
) -> list[tuple]:
    kind = type(exc).__name__ if not what else f"{what}: {type(exc).__name__}"
    if isinstance(exc, DiaryError):
        return [_problem_row(pid, source, kind, p, k) for p in exc.problems]
    return [(pid, source, kind, None, None, None, None, None, _message(exc), k)]


def _problem_row(pid: str, source: str, kind: str, p: Problem, k: int) -> tuple:
    value = None if p.value is None else str(p.value)
    row = None if p.row is None else str(p.row)
    return (pid, source, kind, p.line, row, p.column, value, p.expected or None, str(p), k)


def _render_report(result: Any) -> str:
    """The patient's HTML report (what ``ldn_n1.report.write_report`` writes), as text."""
    from ldn_n1.report import render_report

    return render_report(result)
