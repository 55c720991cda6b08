"""Design-matrix building blocks shared by the ITS and Bayesian-lite models.

All models of ldn_n1 describe an outcome on the *calendar* day axis: a day's position is its
number of days since the first diary day, so gaps in the diary keep their true length.

- :func:`day_numbers` -- integer day index of each row.
- :func:`onset` -- the gradual-onset shape ``g_tau(t) = 1 - exp(-t / tau)`` for ``t >= 0``
  (t = days since the first dose), 0 before; ``tau = 0`` gives a step.
- :func:`weekday_effects` -- sum-to-zero (effect-coded) day-of-week columns, so the intercept
  stays the average level over the week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WEEKDAYS", "day_numbers", "onset", "weekday_effects", "window_mean_onset"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_numbers(dates: pd.Series | pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Whole days from ``origin`` to each date (negative before it), as float64."""
    index = pd.DatetimeIndex(dates)
    return ((index - pd.Timestamp(origin)) // pd.Timedelta(days=1)).to_numpy(dtype=float)


def onset(t_since_dose: np.ndarray, tau: np.ndarray | float) -> np.ndarray:
    """Gradual-onset shape ``1 - exp(-t / tau)`` from the first dose, 0 before it.

    Parameters
    ----------
    t_since_dose : array, shape (n,)
        Days since the first dose (0 on the first dosed day, negative before).
    tau : float or array, shape (k,)
        Time constants in days. ``tau == 0`` gives a step (1 from the first dose on).

    Returns
    -------
    ndarray, shape (n,) or (k, n)
        Fraction of the full effect reached on each day.

    Notes
    -----
    ``t`` is 0 on the first dosed day, so the effect starts at 0 there and reaches
    ``1 - 1/e ~= 63%`` after ``tau`` days, half after ``tau * ln 2`` days and 90% after
    ``tau * ln 10 ~= 2.3 tau`` days (90% by day 56 means ``tau ~= 24``).

    Examples
    --------
    >>> onset(np.array([-1.0, 0.0, 24.0]), 24.0).round(3).tolist()
    [0.0, 0.0, 0.632]
    """
    t = np.asarray(t_since_dose, dtype=float)
    taus = np.atleast_1d(np.asarray(tau, dtype=float))
    exposed = np.maximum(t, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = -np.expm1(-exposed[None, :] / taus[:, None])
    shape[taus == 0] = 1.0
    shape[:, t < 0] = 0.0
    return shape[0] if np.ndim(tau) == 0 else shape


def window_mean_onset(
    window_start: float, window_end: float, tau: np.ndarray | float
) -> np.ndarray:
    """Mean of :func:`onset` over every calendar day of a window (days since first dose).

    The estimand averages over all days of the evaluation window, recorded or not.
    """
    days = np.arange(window_start, window_end + 1.0)
    return onset(days, tau).mean(axis=-1)


def weekday_effects(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Effect-coded day-of-week columns, shape (n, 6).

    Column j is 1 on weekday j (Monday = 0), -1 on Sunday, 0 otherwise, so the seven weekday
    effects sum to zero and the intercept is the mean over a full week.
    """
    weekday = pd.DatetimeIndex(dates).day_of_week.to_numpy()
    cols = np.zeros((weekday.size, 6))
    for j in range(6):
        cols[:, j] = (weekday == j).astype(float) - (weekday == 6).astype(float)
    return cols
