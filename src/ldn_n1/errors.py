"""Error and warning types of ldn_n1.

Every error the toolkit raises on bad input derives from :class:`LdnError`, so callers
(and the command line) can catch one type. Messages say where the problem is, quote the
offending value and state the rule, e.g.::

    diary.csv line 14, column 'pain': got '7,5x', expected a number 0-10
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AnalysisError",
    "DiaryError",
    "LdnError",
    "LdnWarning",
    "PlanError",
    "Problem",
]


class LdnError(Exception):
    """Base class of every error raised by ldn_n1 on bad input or an impossible analysis."""


class LdnWarning(UserWarning):
    """Base class of every warning issued by ldn_n1 (short baseline, sparse data, ...)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str or None
        File name (or ``"<DataFrame>"`` for in-memory input).
    line : int or None
        1-based line number in the file (the header is line 1), or the spreadsheet row.
    column : str or None
        Column name as written in the file.
    value : object
        The offending value, as read.
    expected : str
        What was expected instead, e.g. ``"a number 0-10"``.
    row : object, optional
        Row label when there is no line number (the index label of a DataFrame, or the
        1-based row of a Parquet file).
    """

    file: str | None
    line: int | None
    column: str | None
    value: object
    expected: str
    row: object = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        head = " ".join(where)
        if self.column is not None:
            head = f"{head}, column {self.column!r}" if head else f"column {self.column!r}"
        got = "" if self.value is None else f"got {_quote(self.value)}, "
        return (
            f"{head}: {got}expected {self.expected}" if head else f"{got}expected {self.expected}"
        )


def _quote(value: object, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


class DiaryError(LdnError, ValueError):
    """A diary (or dose log) cannot be read or fails validation.

    Parameters
    ----------
    problems : sequence of Problem, or str
        Every problem found (the whole file is validated before raising), or a plain message.
    file, line, column, value, expected
        Shortcut for a single problem.
    patient_id : str, optional
        The patient the problems belong to (multi-patient input), when known.

    Attributes
    ----------
    problems : tuple of Problem
        All problems; ``str(error)`` shows the first and how many more there are.
    file, line, column, value, expected
        Fields of the first problem (``None`` when unknown).
    patient_id : str or None
        The patient the problems belong to, when known.
    """

    def __init__(
        self,
        problems: Sequence[Problem] | str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str = "",
        patient_id: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            message = problems
            probs: tuple[Problem, ...] = (Problem(file, line, column, value, expected or ""),)
        else:
            if not problems:
                problems = [Problem(file, line, column, value, expected)]
            probs = tuple(problems)
            message = str(probs[0])
            if len(probs) > 1:
                message += f" (and {len(probs) - 1} more problem{'s' if len(probs) > 2 else ''})"
        super().__init__(message)
        self.problems = probs
        first = probs[0]
        self.file = first.file
        self.line = first.line
        self.column = first.column
        self.value = first.value
        self.expected = first.expected
        self.row = first.row
        self.patient_id = patient_id

    def __reduce__(self) -> tuple[object, ...]:
        # Keep every problem and the patient when sent to another process (batch runs).
        return (_restore_diary_error, (type(self), self.args, self.problems, self.patient_id))


def _restore_diary_error(
    cls: type[DiaryError],
    args: tuple[object, ...],
    problems: tuple[Problem, ...],
    patient_id: str | None,
) -> DiaryError:
    error = cls(list(problems), patient_id=patient_id)
    error.args = args
    return error


class PlanError(LdnError, ValueError):
    """An analysis plan has an unknown key or a bad value."""


class AnalysisError(LdnError, RuntimeError):
    """A diary is valid but cannot be analysed as asked (e.g. no baseline days with data)."""
