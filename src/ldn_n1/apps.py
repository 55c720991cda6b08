"""Read the diaries patients already keep: Bearable, Daylio, Visible and Flaredown exports.

An app export is turned into the canonical wide diary (DESIGN.md section 1) plus a list of
notes that record every choice made (which app entries became which column, how several
entries a day were combined, what was ignored, the scale of each outcome). The canonical
table is then validated by :mod:`ldn_n1.validation` like any diary, so the same checks,
quality report and error messages apply; :func:`ldn_n1.diary.load_diary` does this with
``source="bearable"`` (etc., or ``"auto"``, which recognises the apps by their header).

This module detects the apps by their header, dispatches to the app's reader, defines the
:class:`AppTable` the readers return and gives :func:`suggested_plan`. The (patient, day)
index and the daily combination helpers are in :mod:`ldn_n1.apps_days`, the mapping file
in :mod:`ldn_n1.apps_mapping`, and each app has its own module
(:mod:`ldn_n1.apps_bearable`, :mod:`ldn_n1.apps_daylio`, :mod:`ldn_n1.apps_visible`,
:mod:`ldn_n1.apps_flaredown`).

Rules common to every app
-------------------------
- **Scales are kept**: each outcome is analysed on the app's own scale (Bearable symptoms
  0-4, Visible symptoms 0-3, Daylio mood 1-5, ...). Nothing is rescaled; the scale travels
  with the diary (:attr:`ldn_n1.diary.Diary.scales`) to :func:`suggested_plan`.
- **Several entries a day** of one outcome are combined by the daily maximum (the worst
  severity that day; ``combine = "mean"`` in the mapping file for the mean); ratings that
  are not severities (mood, energy, sleep quality, stability) by the daily mean.
- **Absent is not zero** unless the app shows the category was tracked that day: a day
  without any entry of a category is blank (unknown), never invented.
- **Doses**: days before the first LDN entry are dose 0 (not yet started, as for a dose
  log); from then on a day with LDN entries holds their sum, a day with other medication
  entries but no LDN is 0, and a day without medication entries is blank (the phases carry
  the last known dose forward). With ``dose_log=`` the app's own LDN entries are not used.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_n1.errors import DiaryError, Problem

if TYPE_CHECKING:
    from ldn_n1.apps_mapping import AppMapping
    from ldn_n1.diary import Diary
    from ldn_n1.doselog import DoseLog
    from ldn_n1.plan import Plan
    from ldn_n1.readers import RawTable
    from ldn_n1.validation import Validated

__all__ = [
    "APPS",
    "LAYOUTS",
    "SOURCES",
    "AppTable",
    "default_mcid",
    "detect_app",
    "read_app",
    "suggested_plan",
    "validate_export",
]

#: Apps whose exports are read.
APPS = ("bearable", "daylio", "visible", "flaredown")
#: Values of ``source=``: ``"auto"`` detects an app by its header, ``"diary"`` is the
#: canonical layout.
SOURCES = ("auto", "diary", *APPS)
_NAMES = {
    "bearable": "Bearable",
    "daylio": "Daylio",
    "visible": "Visible",
    "flaredown": "Flaredown",
}

#: Export headers as written by each app (every known version).
LAYOUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "bearable": (
        ("date", "date formatted", "weekday", "time of day", "category", "rating/amount",
         "detail", "notes"),
        ("date", "weekday", "time of day", "category", "rating/amount", "detail", "notes"),
    ),
    "daylio": (
        ("full_date", "date", "weekday", "time", "mood", "activities", "scales", "note_title",
         "note"),
        ("full_date", "date", "weekday", "time", "mood", "activities", "note_title", "note"),
    ),
    "visible": (("observation_date", "tracker_name", "tracker_category", "observation_value"),),
    "flaredown": (
        ("user_id", "age", "sex", "country", "checkin_date", "trackable_id", "trackable_type",
         "trackable_name", "trackable_value"),
    ),
}  # fmt: skip
# Columns that must be present to read (and to recognise) each app's export.
_REQUIRED = {
    "bearable": ("date", "time of day", "category", "rating/amount", "detail"),
    "daylio": ("full_date", "time", "mood", "activities"),
    "visible": ("observation_date", "tracker_name", "tracker_category", "observation_value"),
    "flaredown": ("user_id", "checkin_date", "trackable_type", "trackable_name", "trackable_value"),
}


def header_key(name: object) -> str:
    """A header as compared with the app layouts: stripped, lower case, single spaces."""
    return " ".join(str(name).strip().strip('"').lower().split())


def detect_app(headers: list[str]) -> str | None:
    """The app whose export has these headers, or ``None`` (then it is a canonical diary)."""
    keys = {header_key(h) for h in headers}
    for app in APPS:
        if set(_REQUIRED[app]) <= keys:
            return app
    return None


def check_layout(app: str, table: RawTable) -> dict[str, int]:
    """Positions of the app's columns in ``table``; a DiaryError naming them if absent."""
    if app not in APPS:
        msg = f"source must be one of {', '.join(map(repr, SOURCES))}, got {app!r}"
        raise ValueError(msg)
    positions: dict[str, int] = {}
    for pos, header in enumerate(table.headers):
        positions.setdefault(header_key(header), pos)
    missing = [c for c in _REQUIRED[app] if c not in positions]
    if missing:
        layouts = " or ".join("(" + ", ".join(layout) + ")" for layout in LAYOUTS[app])
        found = ", ".join(repr(h) for h in table.headers) or "none"
        expected = (
            f"the {_NAMES[app]} export columns {layouts}; missing {', '.join(map(repr, missing))}"
            f"; columns found: {found}"
        )
        raise DiaryError(file=table.file, expected=expected)
    if table.frame.shape[0] == 0:
        raise DiaryError(file=table.file, expected=f"at least one {_NAMES[app]} entry, found none")
    return positions


@dataclass
class AppTable:
    """An app export as a canonical wide diary table, before validation.

    Attributes
    ----------
    app : str
    frame : pandas.DataFrame
        Canonical columns (``patient_id`` for several patients, ``date`` as ISO text,
        outcomes, ``dose_mg``, side effects, ``opioid_use``, ``alcohol_units``, ``notes``).
    lines : numpy.ndarray or None
        Line of the export where each day's first entry is (``None`` for DataFrame input).
    labels : pandas.Index or None
        Row label of that entry when there are no line numbers.
    notes : list of str
        Choices that apply to the whole file.
    patient_notes : dict of str to list of str
        Choices per patient (several-patient exports).
    problems : list of (str, Problem)
        Problems found in the export, with the patient they belong to.
    scales : dict of str to (float, float)
        Scale of every outcome column, as recorded by the app.
    """

    app: str
    frame: pd.DataFrame
    lines: np.ndarray | None
    labels: pd.Index | None
    notes: list[str]
    patient_notes: dict[str, list[str]] = field(default_factory=dict)
    problems: list[tuple[str, Problem]] = field(default_factory=list)
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)


def read_app(
    raw: RawTable,
    app: str,
    mapping: AppMapping,
    *,
    patient_id: str,
    date_format: str | None = None,
    dose_log: bool = False,
) -> AppTable:
    """Turn an app export (a raw table) into a canonical :class:`AppTable`.

    Parameters
    ----------
    raw : RawTable
        The export as read by :func:`ldn_n1.readers.read_table`.
    app : {"bearable", "daylio", "visible", "flaredown"}
    mapping : AppMapping
        Which app entries become which column (:func:`ldn_n1.apps_mapping.load_mapping`).
    patient_id : str
        Id of the patient of a single-patient export (Flaredown exports carry ``user_id``).
    date_format : str, optional
        ``strptime`` format for the export's dates (only needed for ambiguous dates).
    dose_log : bool
        A separate dose log is given: the app's own LDN entries are not used.

    Raises
    ------
    DiaryError
        The export lacks the app's columns (the message lists those expected and found).
    """
    positions = check_layout(app, raw)
    raw, repeated = _without_repeats(raw)
    if app == "bearable":
        from ldn_n1.apps_bearable import read_bearable as reader
    elif app == "daylio":
        from ldn_n1.apps_daylio import read_daylio as reader
    elif app == "visible":
        from ldn_n1.apps_visible import read_visible as reader
    else:
        from ldn_n1.apps_flaredown import read_flaredown as reader
    table = reader(raw, positions, mapping, patient_id, date_format, dose_log)
    table.problems.sort(key=lambda item: (item[1].line is None, item[1].line or 0))
    known = {c for layout in LAYOUTS[app] for c in layout}
    unused = [h for h in raw.headers if header_key(h) not in known]
    if unused:
        table.notes.append(f"columns not part of the {_NAMES[app]} export, not used: "
                           + ", ".join(map(repr, unused)))  # fmt: skip
    if repeated:
        from ldn_n1.apps_days import plural

        table.notes.insert(
            0,
            f"{plural(repeated, 'entry', 'entries')} repeated exactly (every field the same as an "
            "earlier entry) counted once",
        )
    table.notes.insert(0, f"read as a {_NAMES[app]} export ({mapping.describe()})")
    return table


def _without_repeats(raw: RawTable) -> tuple[RawTable, int]:
    """The export without rows that repeat an earlier row exactly (a double export or tap)."""
    from ldn_n1.cells import blank_mask

    frame = raw.frame
    blank = np.logical_and.reduce([blank_mask(frame[j]) for j in range(frame.shape[1])])
    text = frame.astype("string").apply(lambda c: c.str.strip())
    repeat = text.duplicated().to_numpy() & ~blank
    if not repeat.any():
        return raw, 0
    keep = ~repeat
    out = copy.copy(raw)
    out.frame = frame[keep].reset_index(drop=True)
    out.lines = raw.lines[keep] if raw.lines is not None else None
    out.labels = raw.labels[keep] if raw.labels is not None else None
    return out, int(repeat.sum())


def validate_export(
    raw: RawTable,
    app: str,
    mapping: object,
    *,
    default_id: str,
    patient_id: str | None,
    single: bool,
    dose_log: DoseLog | None,
    date_format: str | None,
) -> tuple[RawTable, Validated, dict[str, tuple[float, float]]]:
    """Convert an app export and validate the canonical table (for :mod:`ldn_n1.diary`).

    Returns the canonical raw table (file name, path, SHA-256 and line numbers of the
    export), the validated rows with the export's problems and per-patient notes added,
    and the outcome scales.
    """
    from ldn_n1.apps_mapping import load_mapping
    from ldn_n1.readers import read_table
    from ldn_n1.validation import validate_table

    name = default_id if patient_id is None else patient_id
    table = read_app(
        raw,
        app,
        load_mapping(mapping),  # type: ignore[arg-type]
        patient_id=name,
        date_format=date_format,
        dose_log=dose_log is not None,
    )
    if table.frame.empty:
        if table.problems:
            raise DiaryError([p for _, p in table.problems])
        expected = (
            "at least one day with an entry that can be used (symptoms, ratings, doses, ...); "
            "notes on what was found: " + "; ".join(table.notes[1:4])
        )
        raise DiaryError(file=raw.file, expected=expected)
    canon = read_table(table.frame)
    canon.file, canon.source, canon.sha256 = raw.file, raw.source, raw.sha256
    canon.notes = raw.notes + table.notes
    canon.lines, canon.labels = table.lines, table.labels
    valid = validate_table(
        canon,
        default_id=default_id,
        patient_id=patient_id,
        single=single,
        dose_log=dose_log,
        layout="wide",
    )
    # Problems of the export come first in each patient's error (before those of the
    # canonical table, which may be their consequences).
    for k, (pid, problem) in enumerate(table.problems):
        valid.problems.items.append((pid, (-np.inf, 0, k), problem))
    position = {pid: i for i, pid in enumerate(valid.ids)}
    for pid, texts in table.patient_notes.items():
        if pid in position:
            valid.patient_notes.setdefault(position[pid], []).extend(texts)
    return canon, valid, table.scales


# --------------------------------------------------------------------------- plan
#: Outcomes whose higher values are better (the rest: severities, lower is better).
HIGHER_IS_BETTER = frozenset({"mood", "sleep_quality", "energy", "stability_score"})
_PRIMARY_ORDER = ("pain", "fatigue", "fibromyalgia", "fog", "sleep_quality", "mood")


def default_mcid(scale: tuple[float, float]) -> float:
    """Default MCID on an app scale: 20% of its width in whole steps, at least one step.

    Notes
    -----
    On the 0-10 scale this gives the project's default of 2 points (Farrar et al. 2001:
    about 2 points, or 30% of a typical baseline of 6-7, is clinically important; IMMPACT,
    Dworkin et al. 2008). An ordinal app scale cannot show a change smaller than one
    category, so the MCID is never below one step: 1 on Bearable's and Flaredown's 0-4
    symptom scales (25% of the range; 30-50% of a typical baseline of 2-3, IMMPACT's
    "moderate" to "substantial"), 1 on Visible's 0-3 and on the 1-5 scales, and 2 on
    Bearable's 1-10 mood and energy.

    Examples
    --------
    >>> default_mcid((0, 4)), default_mcid((1, 5)), default_mcid((1, 10)), default_mcid((0, 10))
    (1.0, 1.0, 2.0, 2.0)
    """
    width = float(scale[1]) - float(scale[0])
    return float(max(1.0, np.round(0.2 * width)))


def suggested_plan(diary: Diary, plan: Plan | Mapping[str, Any] | str | None = None) -> Plan:
    """The analysis plan for a diary read from an app: its outcomes on the app's scales.

    Parameters
    ----------
    diary : Diary
        From :func:`ldn_n1.load_diary` (with ``source=`` an app, or detected).
    plan : Plan, mapping, path or None
        A plan to start from (:func:`ldn_n1.plan.load_plan`): its settings are kept; an
        outcome it declares on the app's own scale is kept as declared (its MCID and
        direction); every other outcome of the diary gets the app's scale and
        :func:`default_mcid`.

    Returns
    -------
    Plan
        For a canonical diary (``diary.scales`` empty): ``plan`` unchanged. For an app
        diary: the outcomes of the app (in the order of the diary), the primary being the
        plan's primary if the diary has it, else the first of pain, fatigue, fibromyalgia,
        fog, sleep_quality, mood present.

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_n1.diary import load_diary
    >>> export = pd.DataFrame({
    ...     "observation_date": ["2025-01-01", "2025-01-01", "2025-01-02", "2025-01-02"],
    ...     "tracker_name": ["Muscle pain", "Brain Fog", "Muscle pain", "Brain Fog"],
    ...     "tracker_category": ["Pain", "Brain", "Pain", "Brain"],
    ...     "observation_value": ["2", "1", "3", "1"]})
    >>> log = pd.DataFrame({"date": ["2025-01-02"], "dose_mg": [1.5]})
    >>> diary = load_diary(export, source="visible", dose_log=log)
    >>> plan = suggested_plan(diary)
    >>> plan.primary, plan.outcome("pain").scale, plan.outcome("pain").mcid
    ('pain', (0.0, 3.0), 1.0)
    """
    from dataclasses import replace

    from ldn_n1.plan import Outcome, load_plan

    base = load_plan(plan)
    scales = getattr(diary, "scales", None) or {}
    present = [c for c in diary.data.columns if c in scales]
    if not present:
        return base
    outcomes: dict[str, Outcome] = {}
    for name in present:
        scale = (float(scales[name][0]), float(scales[name][1]))
        declared = base.outcomes.get(name)
        if declared is not None and tuple(declared.scale) == scale:
            outcomes[name] = declared
        else:
            better = "higher" if name in HIGHER_IS_BETTER else "lower"
            outcomes[name] = Outcome(name, better, scale, default_mcid(scale))
    if base.primary in outcomes:
        primary = base.primary
    else:
        primary = next((n for n in _PRIMARY_ORDER if n in outcomes), present[0])
    ordered = {primary: outcomes[primary]} | {k: v for k, v in outcomes.items() if k != primary}
    return replace(base, primary=primary, outcomes=ordered)
