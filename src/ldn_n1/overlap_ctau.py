"""Baseline-corrected Tau (Tarlow 2017) as the R package scan computes it.

Port of scan 0.67.1's ``corrected_tau()`` (``R/corrected_tau.R``), which fits the baseline
line with mblm 0.12.1 (Theil-Sen, or Siegel's repeated medians) and uses scan's Kendall
routine (:func:`ldn_n1.overlap_tau.kendall_scan`). Validated against every scan reference
number in ``tests/reference/test_reference_scan_overlap.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from ldn_n1.errors import AnalysisError
from ldn_n1.overlap_data import PhaseSelection, select_phases
from ldn_n1.overlap_tau import KendallResult, kendall_scan

__all__ = ["ScanCorrectedTau", "scan_corrected_tau"]


@dataclass(frozen=True)
class ScanCorrectedTau:
    """Baseline-corrected Tau of one case (scan's ``corrected_tau()``).

    Attributes
    ----------
    table : pandas.DataFrame
        Rows "Baseline autocorrelation", "Uncorrected tau", "Baseline corrected tau";
        columns ``tau, z, p``.
    tau, p : float
        The corrected row if the autocorrelation p <= alpha, else the uncorrected row.
    correction_applied : bool
        Whether the baseline correction was applied.
    """

    table: pd.DataFrame = field(repr=False)
    tau: float
    p: float
    correction_applied: bool

    def __repr__(self) -> str:
        return f"ScanCorrectedTau(tau={self.tau:.4g}, p={self.p:.3g}, corrected={self.correction_applied})"


def _theil_sen(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], repeated: bool):
    """Intercept and slope of mblm 0.12.1's Theil-Sen (or Siegel repeated-medians) line."""
    order = np.argsort(x, kind="stable")
    xx, yy = x[order], y[order]
    dx = xx[None, :] - xx[:, None]
    dy = yy[None, :] - yy[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = dy / dx
        icepts = (xx[None, :] * yy[:, None] - xx[:, None] * yy[None, :]) / dx
    ok = dx != 0
    if repeated:
        sm = [np.median(slopes[i, ok[i]]) if ok[i].any() else np.nan for i in range(xx.size)]
        im = [np.median(icepts[i, ok[i]]) if ok[i].any() else np.nan for i in range(xx.size)]
        return float(np.median(im)), float(np.median(sm))
    iu = np.triu_indices(xx.size, 1)
    slope = float(np.median(slopes[iu][ok[iu]]))
    return float(np.median(yy - slope * xx)), slope


def scan_corrected_tau(
    values: npt.ArrayLike,
    phase: Sequence[str] | npt.ArrayLike,
    mt: npt.ArrayLike | None = None,
    *,
    phases: PhaseSelection = (1, 2),
    alpha: float = 0.05,
    continuity: bool = False,
    repeated: bool = False,
    tau_method: str = "b",
) -> ScanCorrectedTau:
    """Baseline-corrected Tau (Tarlow 2017) as scan computes it.

    Parameters
    ----------
    values, phase, mt : array_like
        One case; rows with a missing value or time are dropped.
    phases : pair, default ``(1, 2)``
        Phases compared.
    alpha : float, default 0.05
        The correction is applied when the baseline autocorrelation p <= alpha.
    continuity : bool
        Continuity correction of z.
    repeated : bool
        Siegel repeated-medians line instead of Theil-Sen.
    tau_method : {"b", "a"}
        Kendall tau-b or tau-a.

    Returns
    -------
    ScanCorrectedTau

    Notes
    -----
    Autocorrelation = Kendall tau of the A values against their times (NaN when the A
    values are constant or fewer than 3). The line (mblm 0.12.1) is fitted on A: Theil-Sen
    slope = median of pairwise slopes (pairs with distinct times), intercept = median of
    ``y - slope x``; repeated medians: per point the median slope and median intercept
    ``(x_j y_i - x_i y_j) / (x_j - x_i)`` to every other point, then the medians of those.
    Corrected tau = Kendall tau of the residuals of all values from that line against the
    phase (1 = A, 2 = B); uncorrected = the same on the raw values.

    Raises
    ------
    AnalysisError
        Fewer than two distinct A times, or no B value.
    """
    if tau_method not in ("a", "b"):
        msg = f"tau_method must be 'a' or 'b', got {tau_method!r}"
        raise AnalysisError(msg)
    comp = select_phases(values, phase, mt, phases).observed()
    is_a = ~comp.is_b
    ya, xa = comp.values[is_a], comp.mt[is_a]
    if np.unique(xa).size < 2 or comp.is_b.sum() < 1:
        msg = "baseline corrected tau needs two distinct times in phase A and a value in B"
        raise AnalysisError(msg)
    if np.unique(ya).size == 1 or ya.size < 3:
        auto = KendallResult(ya.size, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)
    else:
        auto = kendall_scan(ya, xa, tau_method, continuity)
    intercept, slope = _theil_sen(xa, ya, repeated)
    group = comp.is_b.astype(float) + 1
    corrected = kendall_scan(
        comp.values - (intercept + slope * comp.mt), group, tau_method, continuity
    )
    uncorrected = kendall_scan(comp.values, group, tau_method, continuity)
    table = pd.DataFrame(
        [[r.tau, r.z, r.p] for r in (auto, uncorrected, corrected)],
        index=["Baseline autocorrelation", "Uncorrected tau", "Baseline corrected tau"],
        columns=["tau", "z", "p"],
    )
    applied = bool(not np.isnan(auto.p) and auto.p <= alpha)
    chosen = corrected if applied else uncorrected
    return ScanCorrectedTau(table, chosen.tau, chosen.p, applied)
