"""Select and pool the two phases an overlap index compares, as the R package scan does.

Every overlap function of :mod:`ldn_n1.overlap` starts from one case (its values, its phase
label per measurement and optionally its measurement times) and a choice of the two phases
to compare. :func:`select_phases` turns that into a :class:`PhaseComparison`: the rows of
the first choice relabelled "A", followed by the rows of the second relabelled "B".

This mirrors scan 0.67.1 (``recombine_phases()``): phases are the *runs* of equal
consecutive labels; ``phases=(1, 2)`` compares the first run with the second (1-based, as
in scan), ``phases=(1, 3)`` the first with the third, and ``phases=(["A1", "A2"],
["B1", "B2"])`` pools the runs labelled A1 and A2 against those labelled B1 and B2. The
rows of the pooled A runs come first (in time order), then the B rows, so measurement
times need not increase across the A/B boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ldn_n1.errors import AnalysisError

__all__ = ["PhaseComparison", "PhaseSelection", "select_phases"]

PhaseSelection = tuple[int, int] | tuple[str, str] | tuple[Sequence[int], Sequence[int]]
"""Two run numbers (1-based), two labels, or two groups of runs/labels to pool."""


@dataclass(frozen=True)
class PhaseComparison:
    """The rows of one case that take part in an A-versus-B comparison.

    Attributes
    ----------
    values : numpy.ndarray of float
        Values, A rows first then B rows; NaN = missing (kept here, each index drops them
        the way scan does).
    mt : numpy.ndarray of float
        Measurement times of the same rows.
    is_b : numpy.ndarray of bool
        True for rows of the second (B) phase.
    label_a, label_b : str
        The original labels of the pooled runs, joined with ``"+"`` (e.g. ``"A1+A2"``).
    """

    values: npt.NDArray[np.float64]
    mt: npt.NDArray[np.float64]
    is_b: npt.NDArray[np.bool_]
    label_a: str
    label_b: str

    def __repr__(self) -> str:
        return (
            f"PhaseComparison({self.label_a} n={self.n_a} vs {self.label_b} n={self.n_b}, "
            f"{int(np.isnan(self.values).sum())} missing)"
        )

    @property
    def a(self) -> npt.NDArray[np.float64]:
        """Observed (non-missing) values of phase A, in time order."""
        v = self.values[~self.is_b]
        return v[~np.isnan(v)]

    @property
    def b(self) -> npt.NDArray[np.float64]:
        """Observed (non-missing) values of phase B, in time order."""
        v = self.values[self.is_b]
        return v[~np.isnan(v)]

    @property
    def n_a(self) -> int:
        """Number of observed values in phase A."""
        return int(self.a.size)

    @property
    def n_b(self) -> int:
        """Number of observed values in phase B."""
        return int(self.b.size)

    def observed(self) -> PhaseComparison:
        """Return the comparison without the rows whose value or time is missing."""
        keep = ~(np.isnan(self.values) | np.isnan(self.mt))
        return PhaseComparison(
            self.values[keep], self.mt[keep], self.is_b[keep], self.label_a, self.label_b
        )


def _runs(labels: Sequence[str]) -> list[tuple[str, int, int]]:
    """Return (label, start, stop) of each run of equal consecutive labels."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            runs.append((labels[start], start, i))
            start = i
    return runs


def _as_group(choice: object) -> list[int] | list[str]:
    if isinstance(choice, str | int | np.integer):
        return [choice]  # type: ignore[list-item]
    return list(choice)  # type: ignore[call-overload]


def select_phases(
    values: npt.ArrayLike,
    phase: Sequence[str] | npt.ArrayLike,
    mt: npt.ArrayLike | None = None,
    phases: PhaseSelection = (1, 2),
) -> PhaseComparison:
    """Pick (and pool) the two phases to compare from one case.

    Parameters
    ----------
    values : array_like of float
        The measurements in time order; NaN = missing.
    phase : sequence of str
        Phase label of each measurement (e.g. ``"A"``, ``"B"``, ``"A1"``). A label that
        comes back later (A-B-A-B) starts a new run.
    mt : array_like of float, optional
        Measurement times; default ``1, 2, ..., n`` (scan's default).
    phases : pair, default ``(1, 2)``
        The two phases to compare: two 1-based run numbers, two labels, or two sequences of
        run numbers / labels that are pooled (scan's ``phases`` argument).

    Returns
    -------
    PhaseComparison
        A rows first, then B rows.

    Raises
    ------
    AnalysisError
        If the inputs differ in length, a run number exceeds the number of runs, a label is
        absent, or a label given by name occurs in more than one run (scan stops there too).

    Examples
    --------
    >>> c = select_phases([1, 2, 3, 4, 5, 6], ["A", "A", "B", "B", "A", "A"], phases=(2, 3))
    >>> c.a.tolist(), c.b.tolist()
    ([3.0, 4.0], [5.0, 6.0])
    """
    y = np.asarray(values, dtype=float)
    labels = [str(p) for p in np.asarray(phase, dtype=object)]
    t = np.arange(1, y.size + 1, dtype=float) if mt is None else np.asarray(mt, dtype=float)
    if not (y.ndim == 1 and len(labels) == y.size and t.shape == y.shape):
        msg = (
            f"values, phase and mt must be 1-d and equally long: got {y.size} values, "
            f"{len(labels)} phase labels and {t.size} measurement times"
        )
        raise AnalysisError(msg)
    if len(phases) != 2:
        msg = f"phases must name two phases (A and B), got {phases!r}"
        raise AnalysisError(msg)
    runs = _runs(labels)
    run_labels = [r[0] for r in runs]
    picked: list[list[int]] = []
    for choice in phases:
        group = _as_group(choice)
        idx: list[int] = []
        for item in group:
            if isinstance(item, str):
                hits = [i for i, lab in enumerate(run_labels) if lab == item]
                if not hits:
                    msg = f"phase {item!r} not found; the case has phases {run_labels}"
                    raise AnalysisError(msg)
                if len(hits) > 1:
                    msg = (
                        f"phase {item!r} occurs in {len(hits)} runs ({run_labels}); "
                        "select it by run number instead"
                    )
                    raise AnalysisError(msg)
                idx.append(hits[0])
            else:
                k = int(item)
                if not 1 <= k <= len(runs):
                    msg = f"phase number {k} not found; the case has {len(runs)} phases"
                    raise AnalysisError(msg)
                idx.append(k - 1)
        if isinstance(group[0], str):
            idx.sort()  # scan keeps the runs of a label group in time order
        picked.append(idx)
    rows_a = [i for k in picked[0] for i in range(runs[k][1], runs[k][2])]
    rows_b = [i for k in picked[1] for i in range(runs[k][1], runs[k][2])]
    order = np.array(rows_a + rows_b, dtype=int)
    is_b = np.zeros(order.size, dtype=bool)
    is_b[len(rows_a) :] = True
    return PhaseComparison(
        values=y[order],
        mt=t[order],
        is_b=is_b,
        label_a="+".join(run_labels[k] for k in picked[0]),
        label_b="+".join(run_labels[k] for k in picked[1]),
    )
