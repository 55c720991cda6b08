"""Collect validation problems with their patient and position, for one DiaryError per patient."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_n1.errors import Problem
from ldn_n1.readers import RawTable

__all__ = ["MAX_PER_COLUMN", "Collector"]

#: Cells listed per patient and column; further bad cells are counted in one extra problem.
MAX_PER_COLUMN = 20


class Collector:
    """Problems found while validating, each with its patient, sortable by file position.

    Parameters
    ----------
    raw : RawTable
        The table read (for file name and line numbers).
    src : numpy.ndarray
        Raw row position of each working row (working rows may be a subset of the raw
        rows when one patient is selected).
    pids : numpy.ndarray
        Patient id of each working row.
    """

    def __init__(self, raw: RawTable, src: np.ndarray, pids: np.ndarray) -> None:
        self.raw, self.src, self.pids = raw, src, pids
        self.items: list[tuple[object, tuple[float, int, int], Problem]] = []

    def where(self, row: int) -> tuple[int | None, object]:
        """``(line, row_label)`` of working row ``row``."""
        return self.raw.where(int(self.src[row]))

    def add(self, pid: object, problem: Problem, row: int | None = None, order: int = 0) -> None:
        """Add one problem of patient ``pid``; ``row`` (working row) orders it in the file."""
        key = (float(self.src[row]) if row is not None else np.inf, order, len(self.items))
        self.items.append((pid, key, problem))

    def cells(
        self, rows: np.ndarray, column: str, values: pd.Series, expected: object, order: int = 0
    ) -> None:
        """Add one problem per bad cell: at most :data:`MAX_PER_COLUMN` per patient, then a count.

        Parameters
        ----------
        rows : array of int
            Working rows of the bad cells.
        column : str
            Column name as written.
        values : pandas.Series
            The column's cells as read, indexed by working row position.
        expected : str or array of str
            What was expected (one text, or one per bad cell).
        order : int
            Column order, to sort problems of one line.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        pids = self.pids[rows]
        rank = pd.Series(pids).groupby(pids, sort=False).cumcount().to_numpy()
        wanted = np.broadcast_to(np.asarray(expected, dtype=object), (len(rows),))
        for i in np.flatnonzero(rank < MAX_PER_COLUMN):
            line, label = self.where(int(rows[i]))
            value = values.iloc[rows[i]]
            if isinstance(value, str):
                value = value.strip()
            elif isinstance(value, np.generic):
                value = value.item()
            problem = Problem(self.raw.file, line, column, value, str(wanted[i]), row=label)
            self.add(pids[i], problem, int(rows[i]), order)
        over = rank >= MAX_PER_COLUMN
        if over.any():
            for pid, count in pd.Series(pids[over]).value_counts(sort=False).items():
                text = f"{wanted[0]} ({count} more such cells not listed)"
                self.add(pid, Problem(self.raw.file, None, column, None, text), None, order)

    def patients(self) -> set[object]:
        """Patients with at least one problem."""
        return {pid for pid, _, _ in self.items}

    def columns_of(self, pid: object) -> set[str | None]:
        """Columns with problems for one patient."""
        return {p.column for q, _, p in self.items if q == pid}

    def by_patient(self) -> dict[object, list[Problem]]:
        """Problems per patient, in file order."""
        out: dict[object, list[Problem]] = {}
        for pid, _, problem in sorted(self.items, key=lambda item: item[1]):
            out.setdefault(pid, []).append(problem)
        return out
