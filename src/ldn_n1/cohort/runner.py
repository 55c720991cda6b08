"""Cohort batch: :func:`analyze_cohort` (in memory) and :func:`run_batch` (files, resumable).

The input (a folder of diaries, one long or wide file with ``patient_id``, or Parquet) is
cut into tasks of ``chunk_size`` patients (:mod:`ldn_n1.cohort.sources`) that are analysed in
parallel by the local engine (a :class:`concurrent.futures.ProcessPoolExecutor`, all cores
by default; ``workers=1`` runs in this process) or on Dask
(:mod:`ldn_n1.cohort.dask_engine`). Only a few tasks per worker are in flight, so memory
stays bounded whatever the cohort size. Each patient is analysed by
:func:`ldn_n1.analysis.analyze` with ``settle=False``: the forward simulation of how many
more days would settle an inconclusive verdict is meant for single reports and would
multiply the cost of a batch, so ``settle_days`` is not part of the batch results.

Results do not depend on the engine, the number of workers or the completion order: tasks
are merged in input order, and cells are written with a deterministic format
(:mod:`ldn_n1.cohort.output`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ldn_n1.cohort.output import ERROR_COLUMNS, remove_temporaries
from ldn_n1.cohort.parts import (
    MANIFEST_VERSION,
    Merged,
    PartStore,
    finish_reports,
    merge_rows,
    text_rows,
    typed_results,
    write_tables,
)
from ldn_n1.cohort.sources import CohortInput, ReadOptions, Task, open_input
from ldn_n1.cohort.summary import CohortSummary, summarize_cohort
from ldn_n1.cohort.tasks import ERROR_PART_COLUMNS, PART_COLUMNS, TaskResult, run_task
from ldn_n1.errors import LdnError

__all__ = ["DEFAULT_CHUNK", "CohortResult", "analyze_cohort", "local_engine", "run_batch"]

#: Patients (or files) per task: large enough to hide the cost of sending a task, small
#: enough for a smooth progress bar and little lost work when a run is interrupted.
DEFAULT_CHUNK = 32


@dataclass(frozen=True)
class CohortResult:
    """What :func:`analyze_cohort` found.

    Attributes
    ----------
    results : DataFrame
        One row per patient x outcome: the DESIGN §5 columns, then ``onset_tau_days, rho,
        trend_weight, verdict_narrow_prior, verdict_wide_prior, target_dose_mg,
        dose_timing, n_timing_switches, source``; a patient that failed has one row with
        ``status == "error"`` and the reason in ``message``.
    errors : DataFrame
        One row per problem (``errors.csv``: patient_id, source, error_type, line, row,
        column, value, expected, message).
    summary : CohortSummary
        Verdict shares, meta-analysis, response by dose and timing.
    plan : Plan
    """

    results: pd.DataFrame = field(repr=False)
    errors: pd.DataFrame = field(repr=False)
    summary: CohortSummary
    plan: Any = field(repr=False)

    @property
    def n_failed(self) -> int:
        """Patients with an error row."""
        return self.summary.n_errors

    def to_frame(self) -> pd.DataFrame:
        """The results table (a copy)."""
        return self.results.copy()

    def __repr__(self) -> str:
        return f"CohortResult({self.summary!r})"


# --------------------------------------------------------------------------- engines
Engine = Callable[[Iterator[Task], Any, ReadOptions, bool], Iterator[TaskResult]]


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has imported the analysis code once.
        ctx.set_forkserver_preload(["ldn_n1.cohort.tasks", "ldn_n1.analysis", "ldn_n1.diary"])
        return ctx
    return multiprocessing.get_context("spawn")


def local_engine(
    tasks: Iterator[Task], plan: Any, options: ReadOptions, reports: bool, *, workers: int
) -> Iterator[TaskResult]:
    """Run tasks in a process pool (``workers`` processes; 1 = in this process).

    Yields results in completion order. At most ``2 * workers`` tasks are in flight, so the
    input is read only as fast as it is analysed.

    Raises
    ------
    LdnError
        When a worker process dies (killed, out of memory): the finished tasks are kept.
    """
    if workers == 1:
        for task in tasks:
            yield run_task(task, plan, options, reports)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    pending: set[Future] = set()
    try:
        for task in tasks:
            pending.add(pool.submit(run_task, task, plan, options, reports))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    except BrokenProcessPool:
        msg = (
            "a worker process died (killed, or out of memory?); finished chunks are kept: "
            "run the batch again with --resume (fewer --workers if memory is short)"
        )
        raise LdnError(msg) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _engine(engine: str, workers: int, scheduler: str | None) -> Engine:
    if engine == "local":
        if scheduler is not None:
            msg = "--scheduler needs --engine dask"
            raise LdnError(msg)
        return lambda tasks, plan, options, reports: local_engine(
            tasks, plan, options, reports, workers=workers
        )
    if engine == "dask":
        from ldn_n1.cohort.dask_engine import dask_engine

        return lambda tasks, plan, options, reports: dask_engine(
            tasks, plan, options, reports, workers=workers, scheduler=scheduler
        )
    msg = f"engine: got {engine!r}, expected 'local' or 'dask'"
    raise LdnError(msg)


def _settings(workers: int | None, chunk_size: int | None) -> tuple[int, int | None]:
    workers = (os.cpu_count() or 1) if workers is None else workers
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            msg = f"{name}: got {value!r}, expected a whole number >= 1"
            raise LdnError(msg)
    return workers, chunk_size


# --------------------------------------------------------------------------- in memory
def analyze_cohort(
    source: str | os.PathLike[str] | pd.DataFrame,
    plan: Any = None,
    engine: str = "local",
    workers: int | None = None,
    *,
    scheduler: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    date_format: str | None = None,
    layout: str = "auto",
) -> CohortResult:
    """Analyse every patient of a cohort and summarise across patients.

    Parameters
    ----------
    source : path or DataFrame
        A folder of diary files, one long or wide file (CSV/TSV/XLSX/Parquet) with
        ``patient_id``, a partitioned Parquet dataset folder, or a DataFrame.
    plan : Plan, path to a TOML plan, mapping or None
        Shared by every patient (defaults: DESIGN §2).
    engine : {"local", "dask"}
        Process pool on this machine, or Dask (:mod:`ldn_n1.cohort.dask_engine`).
    workers : int, optional
        Worker processes (default: all cores, ``os.cpu_count()``); 1 runs in this process.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``), with ``engine="dask"``.
    chunk_size : int, default 32
        Patients (files, for a folder) per task.
    date_format, layout
        Passed to :func:`ldn_n1.diary.iter_diaries`.

    Returns
    -------
    CohortResult

    Raises
    ------
    DiaryError
        The input cannot be read at all (one patient's problems become error rows).
    PlanError
        Bad plan.
    LdnError
        Bad engine or workers, dask not installed, a worker process died.

    Notes
    -----
    Each patient's numbers are those of ``analyze(diary, plan, settle=False)``; the batch
    holds result rows, never the whole cohort's diaries. See :func:`run_batch` for the
    file-writing, resumable form used by ``ldn-n1 batch``.

    Examples
    --------
    >>> from ldn_n1.simulate import simulate_cohort
    >>> data, _ = simulate_cohort(2, seed=1)
    >>> result = analyze_cohort(data, workers=1)
    >>> result.results[["patient_id", "outcome", "status"]].head(2).to_dict("records")
    [{'patient_id': 'SIM00001', 'outcome': 'pain', 'status': 'ok'}, {'patient_id': 'SIM00001', 'outcome': 'fatigue', 'status': 'ok'}]
    >>> result.summary.n_patients, result.n_failed
    (2, 0)
    """
    from ldn_n1.plan import load_plan

    plan = load_plan(plan)
    workers, _ = _settings(workers, chunk_size)
    run = _engine(engine, workers, scheduler)
    options = ReadOptions(date_format, layout)
    cohort = open_input(source, options)
    finished: dict[int, TaskResult] = {}
    with closing(run(cohort.tasks(chunk_size), plan, options, False)) as results:
        for result in results:
            finished[result.index] = result
    state = Merged()
    rows: list[list[str]] = []
    errors: list[list[str]] = []
    for index in sorted(finished):
        r = finished[index]
        out, errs = merge_rows(
            index, text_rows(r.rows, PART_COLUMNS), text_rows(r.errors, ERROR_PART_COLUMNS), state
        )
        rows += out
        errors += errs
    table = typed_results(rows)
    error_frame = pd.DataFrame(errors, columns=list(ERROR_COLUMNS))
    error_frame["line"] = pd.to_numeric(error_frame["line"].replace("", None)).astype("Int64")
    return CohortResult(table, error_frame, summarize_cohort(table), plan)


# --------------------------------------------------------------------------- files
def _progress(cohort: CohortInput, done_units: int, show: bool | None) -> Any:
    from tqdm import tqdm

    show = sys.stderr.isatty() if show is None else show
    total = cohort.n_units
    return tqdm(
        total=total,
        initial=min(done_units, total) if total is not None else done_units,
        unit=f" {cohort.unit}",
        disable=not show,
        file=sys.stderr,
        dynamic_ncols=True,
        desc="analysing",
    )


def run_batch(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    plan: Any = None,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    reports: bool = False,
    resume: bool = False,
    *,
    chunk_size: int | None = None,
    date_format: str | None = None,
    layout: str = "auto",
    progress: bool | None = None,
) -> int:
    """Run ``ldn-n1 batch``: analyse a cohort and write the result files into ``out``.

    Writes ``results.csv`` (DESIGN §5 columns first, then the extras of
    :class:`CohortResult`), ``errors.csv``, ``cohort_summary.csv`` and
    ``cohort_summary.html``; with ``reports=True`` also ``reports/<patient>.html`` (safe,
    unique file names from the ids). Work is saved in chunks under ``out/.parts`` as it
    finishes; after an interruption (even SIGKILL), ``resume=True`` analyses only the
    remaining patients and the final ``results.csv`` is byte-identical to an uninterrupted
    run's. Cells starting with ``= + - @``, tab or CR get a leading ``'`` (CSV injection).

    Parameters
    ----------
    input : path
        Folder of diaries, one multi-patient file, or a Parquet dataset.
    out : path
        Output folder (created).
    plan, workers, engine, scheduler, chunk_size, date_format, layout
        As in :func:`analyze_cohort` (``chunk_size`` defaults to 32, or to the interrupted
        run's when resuming).
    reports : bool
        Also write each analysed patient's HTML report.
    resume : bool
        Finish an interrupted run in ``out`` (starts afresh when there is none).
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).

    Returns
    -------
    int
        0 when every patient was analysed, 1 when some failed (error rows) or a report
        could not be written.

    Raises
    ------
    LdnError
        The batch cannot run (unreadable input, bad plan or options, changed input on
        resume); the command line prints it and exits with 2.
    """
    from ldn_n1 import __version__
    from ldn_n1.plan import load_plan

    plan_obj = load_plan(plan)
    workers, chunk_size = _settings(workers, chunk_size)
    run = _engine(engine, workers, scheduler)
    out = Path(out)
    if out.exists() and not out.is_dir():
        msg = f"--out {out}: exists and is not a folder"
        raise LdnError(msg)
    options = ReadOptions(date_format, layout)
    cohort = open_input(input, options)
    store = PartStore(out / ".parts")
    previous = store.previous() if resume else None
    size = chunk_size or (previous or {}).get("chunk_size") or DEFAULT_CHUNK
    manifest = {
        "version": MANIFEST_VERSION,
        "ldn_n1": __version__,
        "input": os.path.abspath(input),
        "fingerprint": cohort.fingerprint,
        "plan": plan_obj.to_toml(),
        "chunk_size": size,
        "reports": bool(reports),
        "date_format": date_format,
        "layout": layout,
    }
    done = store.prepare(manifest, resume)
    remove_temporaries(out)  # left by a run killed while writing the final tables
    with _progress(cohort, len(done) * size, progress) as bar:
        tasks = cohort.tasks(size, skip=done)
        with closing(run(tasks, plan_obj, options, reports)) as results:
            for result in results:
                store.save(result)
                bar.update(result.n_units)
    state, report_failures = write_tables(store, out)
    written = finish_reports(store, out, state.reports) if reports else 0
    store.remove()
    _print_done(out, state, written if reports else None, report_failures)
    return 0 if state.n_failed == 0 and report_failures == 0 else 1


def _print_done(out: Path, state: Merged, reports: int | None, report_failures: int) -> None:
    # The command-line runner reports what it wrote (progress itself goes to the bar).
    lines = [
        f"analysed {state.n_patients - state.n_failed} of {state.n_patients} patients"
        + (f" ({state.n_failed} failed: see {out / 'errors.csv'})" if state.n_failed else ""),
        f"wrote {out / 'results.csv'}, {out / 'cohort_summary.csv'} and {out / 'cohort_summary.html'}",
    ]
    if reports is not None:
        lines.append(f"wrote {reports} reports to {out / 'reports'}")
        if report_failures:
            lines.append(f"{report_failures} report(s) could not be written: see errors.csv")
    print("\n".join(lines))  # noqa: T201 - run_batch is the command-line runner
