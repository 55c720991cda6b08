"""PAND (both of scan's methods) and IRD, for one case or pooled over cases.

Ports of scan 0.67.1's ``pand()`` (``R/pand.R``) and ``ird()`` (``R/ird.R``):

- ``method="sort"`` (Parker, Hagan-Burke & Vannest 2007, without the random tie-breaking):
  within each case the values are ordered by (value, phase), ascending, or descending in
  both keys when ``decreasing`` (so ties put A first when ascending and B first when
  descending); the first ``nA`` ranks are "expected A". The 2x2 table actual x expected
  phase is pooled over the cases; PAND = % on its diagonal, phi = sqrt(chi^2 / n) (Pearson,
  no continuity correction), plus R's ``fisher.test``.
- ``method="minimum"`` (Pustejovsky 2019): per case the largest number of points that can be
  kept so that every kept A value is below every kept B value; PAND = sum kept / n * 100.
  This is SingleCaseES's PAND (computed by :func:`ldn_n1.effects.pand`), pooled over cases.
- IRD = 1 - n^2 / (2 nA nB) * (1 - PAND_minimum / 100), with all counts pooled over cases.

Missing values are dropped first. Validated against every scan reference number in
``tests/reference/test_reference_scan_overlap.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from ldn_n1 import effects
from ldn_n1.errors import AnalysisError
from ldn_n1.overlap_data import PhaseComparison, PhaseSelection, select_phases
from ldn_n1.overlap_rstats import fisher_exact_2x2

__all__ = [
    "ScanPand",
    "scan_ird",
    "scan_ird_pooled",
    "scan_pand",
    "scan_pand_pooled",
]

Case = tuple[npt.ArrayLike, Sequence[str] | npt.ArrayLike]


@dataclass(frozen=True)
class ScanPand:
    """PAND over one or more cases.

    Attributes
    ----------
    method : str
        ``"sort"`` or ``"minimum"``.
    pand : float
        Percentage of all non-overlapping data.
    overlaps : float
        Number of overlapping points (n minus the non-overlapping ones).
    perc_overlap : float
        ``overlaps / n * 100``.
    n, n_a, n_b : int
        Observed values in total, in A, in B (pooled over cases).
    counts : numpy.ndarray or None
        ``method="sort"``: 2x2 counts, rows = actual phase (A, B), columns = phase by rank.
    phi, chi2, chi2_p, fisher_or, fisher_p : float
        ``method="sort"`` only (NaN otherwise).
    """

    method: str
    pand: float
    overlaps: float
    perc_overlap: float
    n: int
    n_a: int
    n_b: int
    counts: npt.NDArray[np.float64] | None = None
    phi: float = np.nan
    chi2: float = np.nan
    chi2_p: float = np.nan
    fisher_or: float = np.nan
    fisher_p: float = np.nan

    def __repr__(self) -> str:
        return f"ScanPand(method={self.method!r}, pand={self.pand:.4g}, n={self.n})"

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dictionary (the count table as nested lists)."""
        out: dict[str, object] = {
            k: getattr(self, k)
            for k in ("method", "pand", "overlaps", "perc_overlap", "n", "n_a", "n_b")
        }
        if self.counts is not None:
            out["counts"] = self.counts.tolist()
            for k in ("phi", "chi2", "chi2_p", "fisher_or", "fisher_p"):
                out[k] = getattr(self, k)
        return out


def _sorted_phases(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], decreasing: bool):
    """Is-B flags in rank order: sorted by (value, phase), both keys reversed if decreasing."""
    vals = np.concatenate([a, b])
    isb = np.r_[np.zeros(a.size, dtype=bool), np.ones(b.size, dtype=bool)]
    order = np.lexsort((isb, vals))
    if decreasing:
        order = np.lexsort((~isb, -vals))
    return isb[order]


def _nonoverlaps_minimum(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], decreasing: bool):
    """Points kept per case: SingleCaseES's PAND (the same definition) times n."""
    direction = "decrease" if decreasing else "increase"
    return float(round(effects.pand(a, b, improvement=direction).estimate * (a.size + b.size)))


def _pand_from_comparisons(
    comps: Sequence[PhaseComparison], decreasing: bool, method: str
) -> ScanPand:
    if method not in ("sort", "minimum"):
        msg = f"method must be 'sort' or 'minimum', got {method!r}"
        raise AnalysisError(msg)
    pairs = [(c.a, c.b) for c in comps]
    n_a = sum(a.size for a, _ in pairs)
    n_b = sum(b.size for _, b in pairs)
    n = n_a + n_b
    if n_a == 0 or n_b == 0:
        msg = f"PAND needs observed values in both phases, got nA={n_a}, nB={n_b}"
        raise AnalysisError(msg)
    if method == "minimum":
        kept = sum(_nonoverlaps_minimum(a, b, decreasing) for a, b in pairs)
        return ScanPand("minimum", kept / n * 100, n - kept, 100 - kept / n * 100, n, n_a, n_b)

    counts = np.zeros((2, 2))
    for a, b in pairs:
        ranked_b = _sorted_phases(a, b, decreasing)
        counts[0, 0] += np.sum(~ranked_b[: a.size])
        counts[0, 1] += np.sum(ranked_b[: a.size])
        counts[1, 0] += np.sum(~ranked_b[a.size :])
        counts[1, 1] += np.sum(ranked_b[a.size :])
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.sum((counts - expected) ** 2 / expected))
    fisher = fisher_exact_2x2(counts)
    overlaps = counts[0, 1] + counts[1, 0]
    return ScanPand(
        method="sort",
        pand=float((counts[0, 0] / n + counts[1, 1] / n) * 100),
        overlaps=float(overlaps),
        perc_overlap=overlaps / n * 100,
        n=n,
        n_a=n_a,
        n_b=n_b,
        counts=counts,
        phi=float(np.sqrt(chi2 / n)),
        chi2=chi2,
        chi2_p=float(special.chdtrc(1, chi2)),
        fisher_or=fisher.odds_ratio,
        fisher_p=fisher.p,
    )


def scan_pand_pooled(
    cases: Sequence[Case],
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
    method: str = "sort",
) -> ScanPand:
    """PAND pooled over several cases (scan's ``pand()`` on a multi-case scdf).

    Parameters
    ----------
    cases : sequence of (values, phase)
        Each case's measurements (NaN = missing) and phase labels.
    phases : pair, default ``(1, 2)``
        Phases compared in every case.
    decreasing : bool
        True when improvement means lower B values.
    method : {"sort", "minimum"}
        See the module notes.

    Returns
    -------
    ScanPand

    Raises
    ------
    AnalysisError
        Unknown method, or no observed values in a phase.

    Examples
    --------
    >>> r = scan_pand_pooled([([20, 20, 26, 25, 22, 23, 28, 25, 24, 27, 30, 30, 29],
    ...                        list("AAAAAABBBBBBB"))])
    >>> round(r.pand, 5)
    84.61538
    """
    comps = [select_phases(v, p, None, phases) for v, p in cases]
    return _pand_from_comparisons(comps, decreasing, method)


def scan_pand(
    values: npt.ArrayLike,
    phase: Sequence[str] | npt.ArrayLike,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
    method: str = "sort",
) -> ScanPand:
    """PAND of one case; see :func:`scan_pand_pooled` for the parameters."""
    return scan_pand_pooled([(values, phase)], phases=phases, decreasing=decreasing, method=method)


def scan_ird_pooled(
    cases: Sequence[Case], *, phases: PhaseSelection = (1, 2), decreasing: bool = False
) -> float:
    """Robust improvement rate difference pooled over cases (scan's ``ird()``).

    ``IRD = 1 - n^2 / (2 nA nB) * (1 - PAND / 100)`` with the minimum-method PAND and all
    counts pooled over the cases (Pustejovsky 2019's formula, as scan applies it).
    """
    pa = scan_pand_pooled(cases, phases=phases, decreasing=decreasing, method="minimum")
    return 1 - (pa.n**2 / (2 * pa.n_a * pa.n_b)) * (1 - pa.pand / 100)


def scan_ird(
    values: npt.ArrayLike,
    phase: Sequence[str] | npt.ArrayLike,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
) -> float:
    """Robust improvement rate difference of one case; see :func:`scan_ird_pooled`.

    Examples
    --------
    >>> scan_ird([1, 2, 3, 4, 5, 6], list("AAABBB"))
    1.0
    """
    return scan_ird_pooled([(values, phase)], phases=phases, decreasing=decreasing)
