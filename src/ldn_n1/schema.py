"""Diary columns: canonical names, aliases, what each column holds, and the file layout.

Column names are normalised (Unicode NFKC, surrounding spaces removed, lower case, runs
of anything but letters and digits turned into ``_``) and then looked up in a small alias
table, so ``Pain Score``, ``pain-score`` and ``PAIN_SCORE`` all read as ``pain``.
Every alias used is reported as a note in the quality report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ldn_n1.cells import blank_mask
from ldn_n1.errors import DiaryError, Problem
from ldn_n1.readers import RawTable

__all__ = [
    "ALIASES",
    "KINDS",
    "OUTCOMES",
    "SIDE_EFFECTS",
    "ColumnMap",
    "canonical_name",
    "column_kind",
    "map_columns",
    "normalise_name",
]

#: Known outcomes, in the order they appear in ``Diary.data``.
OUTCOMES = ("pain", "fatigue", "sleep_quality", "fog", "mood")
#: Known side effects (0/1 or 0-3 severity), in the order they appear in ``Diary.data``.
SIDE_EFFECTS = (
    "vivid_dreams",
    "insomnia",
    "nausea",
    "headache",
    "dizziness",
    "appetite_loss",
    "muscle_cramps",
    "anxiety",
)

#: What each known column holds; unknown columns are ``"unknown"``.
KINDS: dict[str, str] = {
    "date": "date",
    "patient_id": "id",
    **dict.fromkeys(OUTCOMES, "outcome"),
    "dose_mg": "dose",
    "dose_time": "dose_time",
    "phase": "phase",
    **dict.fromkeys(SIDE_EFFECTS, "side_effect"),
    "opioid_use": "binary",
    "alcohol_units": "amount",
    "notes": "notes",
    "measure": "measure",
    "value": "value",
}

_ALIAS_GROUPS = {
    "pain": ("pain_score", "pain_level", "pain_intensity", "pain_rating"),
    "fatigue": ("fatigue_score", "fatigue_level", "tiredness"),
    "sleep_quality": ("sleep", "sleep_score", "sleep_rating", "quality_of_sleep"),
    "fog": ("brain_fog", "fibro_fog", "cognition", "cognitive_fog", "fog_score"),
    "mood": ("mood_score", "mood_rating"),
    "dose_mg": ("dose", "ldn_mg", "ldn", "ldn_dose", "ldn_dose_mg", "dose_in_mg", "naltrexone_mg"),
    "dose_time": ("time_of_dose", "dose_timing", "ldn_time"),
    "opioid_use": ("opioids", "opioid", "opioid_taken", "opioids_taken"),
    "alcohol_units": ("alcohol", "alcohol_unit", "units_of_alcohol"),
    "notes": ("note", "comment", "comments", "comment_s", "remark", "remarks"),
    "date": ("day", "diary_date", "entry_date"),
    "patient_id": (
        "id",
        "patient",
        "patientid",
        "subject",
        "subject_id",
        "participant",
        "participant_id",
        "pid",
    ),
    "vivid_dreams": ("dreams", "vivid_dream"),
    "headache": ("headaches",),
    "dizziness": ("dizzy",),
    "appetite_loss": ("loss_of_appetite",),
    "muscle_cramps": ("cramps", "muscle_cramp"),
    "measure": ("variable", "item"),
}
#: Alias (normalised) -> canonical column name.
ALIASES: dict[str, str] = {a: name for name, aliases in _ALIAS_GROUPS.items() for a in aliases}

_NON_WORD = re.compile(r"[^\w]+")


def normalise_name(name: object) -> str:
    """Normalise a header: NFKC, strip, lower case, non-word runs to ``_``."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return _NON_WORD.sub("_", text).strip("_")


def canonical_name(name: object) -> str:
    """Canonical column name of a header (alias table applied)."""
    norm = normalise_name(name)
    return ALIASES.get(norm, norm)


def column_kind(name: str) -> str:
    """What a canonical column holds (see :data:`KINDS`), ``"unknown"`` otherwise."""
    return KINDS.get(name, "unknown")


@dataclass
class ColumnMap:
    """Which raw column holds which canonical column.

    Attributes
    ----------
    layout : {"wide", "long"}
    positions : dict
        Canonical name -> raw column position.
    written : dict
        Canonical name -> header as written in the file.
    extra : list of int
        Raw positions not used by the layout (long layout only), each noted.
    notes : list of str
    """

    layout: str
    positions: dict[str, int]
    written: dict[str, str]
    extra: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def map_columns(table: RawTable, layout: str = "auto", *, what: str = "diary") -> ColumnMap:
    """Map the headers of a raw table to canonical columns and decide the layout.

    Raises
    ------
    DiaryError
        Two headers read as the same column, a column with values but no name, no
        ``date`` column, long layout asked for without ``measure``/``value`` columns, or
        no data rows.
    """
    if layout not in {"auto", "wide", "long"}:
        msg = f"layout must be 'auto', 'wide' or 'long', got {layout!r}"
        raise ValueError(msg)
    file = table.file
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    notes: list[str] = []
    for pos, header in enumerate(table.headers):
        name = canonical_name(header)
        if not name:
            filled = ~blank_mask(table.frame[pos], tokens=False)
            if filled.any():
                first = int(filled.argmax())
                line, row = table.where(first)
                problems.append(
                    Problem(
                        file,
                        line,
                        f"#{pos + 1}",
                        table.frame[pos].iloc[first],
                        "a column name in the header",
                        row=row,
                    )
                )
            continue
        if name in positions:
            problems.append(
                Problem(
                    file,
                    None,
                    header,
                    None,
                    f"one column read as {name!r}, also column {written[name]!r}",
                )
            )
            continue
        positions[name] = pos
        written[name] = header
        if normalise_name(header) != name:
            notes.append(f"column {header!r} read as {name!r}")
    found = ", ".join(repr(h) for h in table.headers) or "none"
    if not problems and "date" not in positions:
        problems.append(Problem(file, None, None, None, f"a 'date' column; columns found: {found}"))
    is_long = "measure" in positions and "value" in positions
    if layout == "long" and not is_long and not problems:
        problems.append(
            Problem(
                file,
                None,
                None,
                None,
                f"'measure' and 'value' columns for the long layout; columns found: {found}",
            )
        )
    if not problems and table.frame.shape[0] == 0:
        problems.append(
            Problem(file, None, None, None, f"at least one {what} row below the header, found none")
        )
    if problems:
        raise DiaryError(problems)
    use_long = is_long and layout != "wide"
    extra: list[int] = []
    if use_long:
        keep = {"date", "patient_id", "measure", "value"}
        for name in [n for n in positions if n not in keep]:
            pos = positions.pop(name)
            extra.append(pos)
            notes.append(f"column {written.pop(name)!r} not used in the long layout")
    return ColumnMap("long" if use_long else "wide", positions, written, extra, notes)
