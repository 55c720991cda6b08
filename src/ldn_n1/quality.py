"""Data-quality report of one patient's diary: days, blanks, duplicates, exclusions, choices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

__all__ = ["ExcludedRow", "QualityReport"]

_MAX_LISTED = 20


@dataclass(frozen=True)
class ExcludedRow:
    """A row of the input that is not part of the diary, and why.

    Attributes
    ----------
    line : int or None
        Line in the file (spreadsheet row for Excel); ``None`` for DataFrame/Parquet
        input (the reason then names the row).
    reason : str
        Why it was excluded, e.g. ``"completely empty row"``.
    """

    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line is not None else self.reason


@dataclass(frozen=True)
class QualityReport:
    """How complete a diary is and every choice made while reading it.

    Attributes
    ----------
    file : str
        File name, or ``"<DataFrame>"``.
    patient_id : str
    first_day, last_day : datetime.date
        First and last diary day (inclusive).
    days_expected : int
        Calendar days from ``first_day`` to ``last_day`` inclusive.
    days_present : int
        Days with a row (after merging identical duplicates).
    blanks : dict of str to int
        Per column of ``Diary.data`` (except ``date``): blank cells among present days.
    merged_duplicates : int
        Rows that repeated another row of the same day exactly and were merged into it.
    excluded_rows : tuple of ExcludedRow
        Rows left out (completely empty rows) with the reason.
    notes : tuple of str
        Choices made while reading: encoding, decimal commas, renamed or dropped columns,
        date order, blank tokens, dose-log filling, ...

    Notes
    -----
    Missing days (``days_expected - days_present``) and blank cells are normal in a
    diary: they are counted here and never filled in.
    """

    file: str
    patient_id: str
    first_day: dt.date
    last_day: dt.date
    days_expected: int
    days_present: int
    blanks: dict[str, int]
    merged_duplicates: int
    excluded_rows: tuple[ExcludedRow, ...]
    notes: tuple[str, ...]

    @property
    def days_missing(self) -> int:
        """Calendar days between the first and last day without a row."""
        return self.days_expected - self.days_present

    def to_frame(self) -> pd.DataFrame:
        """Return the report as a tidy frame with columns ``item`` and ``value``.

        Items: ``file``, ``patient_id``, ``first_day``, ``last_day`` (ISO text),
        ``days_expected``, ``days_present``, ``days_missing``, ``merged_duplicates``,
        ``excluded_rows`` (counts), one ``blank:<column>`` per column, one
        ``excluded:<line>`` per excluded row (value: the reason) and one ``note`` per note.
        """
        items: list[tuple[str, object]] = [
            ("file", self.file),
            ("patient_id", self.patient_id),
            ("first_day", self.first_day.isoformat()),
            ("last_day", self.last_day.isoformat()),
            ("days_expected", self.days_expected),
            ("days_present", self.days_present),
            ("days_missing", self.days_missing),
            ("merged_duplicates", self.merged_duplicates),
            ("excluded_rows", len(self.excluded_rows)),
        ]
        items += [(f"blank:{name}", count) for name, count in self.blanks.items()]
        items += [
            (f"excluded:{row.line if row.line is not None else ''}", row.reason)
            for row in self.excluded_rows
        ]
        items += [("note", note) for note in self.notes]
        return pd.DataFrame(items, columns=["item", "value"]).astype({"value": object})

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe dict of the report."""
        return {
            "file": self.file,
            "patient_id": self.patient_id,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "days_expected": self.days_expected,
            "days_present": self.days_present,
            "blanks": dict(self.blanks),
            "merged_duplicates": self.merged_duplicates,
            "excluded_rows": [{"line": r.line, "reason": r.reason} for r in self.excluded_rows],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        present = self.days_present
        share = self.days_missing / self.days_expected if self.days_expected else 0.0
        lines = [
            f"Diary quality: patient {self.patient_id!r} ({self.file})",
            (
                f"  days:          {self.first_day} to {self.last_day}: {self.days_expected} "
                f"calendar days, {present} with a row, {self.days_missing} missing ({share:.1%})"
            ),
        ]
        if self.blanks:
            parts = [
                f"{name} {count}" + (f" ({count / present:.0%})" if count and present else "")
                for name, count in self.blanks.items()
            ]
            lines.append("  blank cells:   " + ", ".join(parts))
        lines.append(f"  duplicates:    {self.merged_duplicates} identical rows merged")
        lines.append(f"  excluded rows: {len(self.excluded_rows)}")
        lines += [f"    {row}" for row in self.excluded_rows[:_MAX_LISTED]]
        if len(self.excluded_rows) > _MAX_LISTED:
            lines.append(f"    ... and {len(self.excluded_rows) - _MAX_LISTED} more")
        if self.notes:
            lines.append("  notes:")
            lines += [f"    - {note}" for note in self.notes]
        return "\n".join(lines)
