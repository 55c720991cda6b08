"""Input of the gradual effects model (:mod:`ldn_n1.gem`): checks and the series on its time grid.

Outcome, treatment, time and trials are checked and laid out on the full grid of consecutive
time points: a time point absent from ``time`` is a missed day that keeps the onset clock
running, carries the previous row's treatment forward and has no outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_n1.errors import AnalysisError


@dataclass(frozen=True)
class _Series:
    time: np.ndarray  # full grid of consecutive time points
    treatment: np.ndarray
    outcome: np.ndarray  # NaN where excluded
    trials: np.ndarray | None
    observed: np.ndarray  # bool mask on the grid
    n_missing: int  # given rows with a NaN outcome
    n_gaps: int  # time points absent from `time`


def _as_time(time: object, n: int) -> np.ndarray:
    if time is None:
        return np.arange(n, dtype=float)
    t = np.asarray(time)
    if np.issubdtype(t.dtype, np.datetime64):
        t = (t - t[0]) / np.timedelta64(1, "D")
    t = np.asarray(t, dtype=float)
    if t.shape != (n,) or not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
        msg = "time must hold one whole number (day or session) or date per outcome"
        raise AnalysisError(msg)
    if n > 1 and np.any(np.diff(t) <= 0):
        msg = "time must be strictly increasing"
        raise AnalysisError(msg)
    return t


def _prepare(y: object, treatment: object, time: object, trials: object) -> _Series:
    yv = np.array(y, dtype=float)
    trt = np.array(treatment, dtype=float)
    if yv.ndim != 1 or trt.shape != yv.shape:
        msg = f"outcome and treatment must be 1-d of equal length, got {yv.shape}, {trt.shape}"
        raise AnalysisError(msg)
    if not np.all(np.isfinite(trt)):
        msg = "treatment must be known (finite) on every row"
        raise AnalysisError(msg)
    if np.any(np.isinf(yv)):
        msg = "outcome has infinite values"
        raise AnalysisError(msg)
    t = _as_time(time, yv.size)
    grid = np.arange(t[0], t[-1] + 1.0)
    pos = (t - t[0]).astype(np.intp)
    # a time point absent from `time` carries the previous row's treatment forward
    trt_grid = trt[np.searchsorted(t, grid, side="right") - 1]
    y_grid = np.full(grid.size, np.nan)
    y_grid[pos] = yv
    n_grid = None
    if trials is not None:
        nv = np.array(trials, dtype=float)
        if nv.shape != yv.shape:
            msg = "trials must have one value per outcome"
            raise AnalysisError(msg)
        n_grid = np.full(grid.size, np.nan)
        n_grid[pos] = nv
    return _Series(
        time=grid,
        treatment=trt_grid,
        outcome=y_grid,
        trials=n_grid,
        observed=np.isfinite(y_grid),
        n_missing=int(np.isnan(yv).sum()),
        n_gaps=int(grid.size - yv.size),
    )


def _check_data(data: _Series, family: str) -> None:
    obs = data.observed
    y = data.outcome[obs]
    if y.size < 3:
        msg = f"need at least 3 time points with an outcome, got {y.size}"
        raise AnalysisError(msg)
    if not np.any(data.treatment != 0):
        msg = "no treated time point: the treatment effect is not identified"
        raise AnalysisError(msg)
    if np.all(y == y[0]):
        msg = "the outcome is constant: the profile deviance is flat in omega"
        raise AnalysisError(msg)
    if family in ("poisson", "quasipoisson") and np.any(y < 0):
        msg = f"{family} needs outcomes >= 0"
        raise AnalysisError(msg)
    if family in ("binomial", "quasibinomial"):
        n = np.ones_like(y) if data.trials is None else data.trials[obs]
        if not np.all(np.isfinite(n) & (n > 0)) or np.any((y < 0) | (y > n)):
            what = "proportions in [0, 1]" if data.trials is None else "0 <= y <= trials > 0"
            msg = f"{family} needs {what}"
            raise AnalysisError(msg)
    elif data.trials is not None:
        msg = "trials only applies to the binomial and quasibinomial families"
        raise AnalysisError(msg)
