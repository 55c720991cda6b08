"""Dask engine of the cohort batch (``ldn-n1 batch ... --engine dask``).

The batch process cuts the input into tasks of patients, exactly as for the local engine,
and submits each as one Dask task (:func:`ldn_n1.cohort.tasks.run_task`); the plan is
scattered to the workers once. Results come back to the batch process, which writes every
file, so ``results.csv`` is byte-identical to the local engine's.

Dask is an optional extra: ``pip install "ldn_n1[dask]"``.

By default a :class:`distributed.LocalCluster` is started on this machine (one process per
worker, one thread each). To run on a real cluster:

1. Install ldn_n1 with the extra, the same version, on the machine that runs the batch, the
   scheduler and every worker machine: ``pip install "ldn_n1[dask]"``.
2. Start the scheduler on one machine: ``dask-scheduler`` (it listens on
   ``tcp://HOST:8786``; dashboard on port 8787).
3. Start workers on each machine, one thread per process (the analysis is NumPy and
   Python code that holds the GIL, and each patient's warnings are recorded per thread):
   ``dask-worker tcp://HOST:8786 --nworkers 8 --nthreads 1``.
4. Run the batch against it:
   ``ldn-n1 batch diaries.csv --out results/ --engine dask --scheduler tcp://HOST:8786``.

A single diary file or a Parquet dataset is read by the batch process and its patients'
rows are sent with the tasks; a *folder* of diary files is read by the workers, so it must
be reachable at the same path on every worker (a shared file system). ``--resume`` works as
with the local engine (the parts are kept by the batch process).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from ldn_n1.cohort.sources import ReadOptions, Task
from ldn_n1.cohort.tasks import TaskResult, run_task
from ldn_n1.errors import LdnError

__all__ = ["dask_engine"]


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        msg = (
            '--engine dask needs Dask, an optional extra: pip install "ldn_n1[dask]" '
            "(or use the default --engine local)"
        )
        raise LdnError(msg) from None
    return distributed


def dask_engine(
    tasks: Iterator[Task],
    plan: Any,
    options: ReadOptions,
    reports: bool,
    *,
    workers: int,
    scheduler: str | None = None,
) -> Iterator[TaskResult]:
    """Run tasks on Dask; yields results in completion order.

    Parameters
    ----------
    tasks : iterator of Task
    plan : Plan
    options : ReadOptions
    reports : bool
        Render each patient's report on the workers.
    workers : int
        Worker processes of the local cluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://host:8786``.

    Raises
    ------
    LdnError
        Dask not installed, scheduler unreachable, or a task failed on the cluster (a
        worker died repeatedly).

    Notes
    -----
    At most two tasks per worker thread are submitted ahead, so the input is read only as
    fast as the cluster analyses it.
    """
    distributed = _import_distributed()
    cluster = None
    try:
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # The scheduler's small HTTP server (health checks) on a free local port,
                # so a dashboard already on 8787 causes no clash.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        where = scheduler or "a local cluster"
        msg = f"cannot start or reach the Dask scheduler ({where}): {exc}"
        raise LdnError(msg) from None
    try:
        slots = max(1, sum(client.nthreads().values()))
        run_id = uuid.uuid4().hex[:12]
        shared_plan = client.scatter(plan, broadcast=True)
        running = distributed.as_completed()
        for task in tasks:
            running.add(
                client.submit(
                    run_task,
                    task,
                    shared_plan,
                    options,
                    reports,
                    pure=False,
                    key=f"ldn-n1-{run_id}-{task.index}",
                )
            )
            while running.count() >= 2 * slots:
                yield _result(next(running))
        for future in running:
            yield _result(future)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _result(future: Any) -> TaskResult:
    try:
        result = future.result()
    except Exception as exc:
        msg = (
            f"a batch task failed on the Dask cluster ({type(exc).__name__}: {exc}); finished "
            "chunks are kept: run again with --resume"
        )
        raise LdnError(msg) from exc
    future.release()
    return result
