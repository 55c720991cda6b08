"""The mapping file: which app entries become which diary column (TOML, every key optional).

Example (the defaults, except ``[daylio]``)::

    combine = "max"        # several matching entries a day: "max" (worst) or "mean"
    ignore = []            # exact app names never used (e.g. "Chest pain")

    [outcomes]             # outcome = name fragments (case-insensitive; 3 letters or
    pain = ["pain"]        # fewer match whole words only). Any other key declares a new
    fatigue = ["fatigue", "tired", "exhaust"]   # severity outcome (lower is better).
    fog = ["fog"]
    fibromyalgia = ["fibromyalgia"]

    [side_effects]         # severity / presence columns (DESIGN.md section 1)
    vivid_dreams = ["dream", "nightmare"]

    [ldn]
    names = ["naltrexone", "ldn"]
    dose_mg = 4.5          # dose of an LDN entry without an amount (default: unknown)

    [tags]
    alcohol = ["alcohol", "beer", "wine", ...]
    opioids = ["opioid", "tramadol", "codeine", ...]

    [daylio]
    moods = { super = 5, "so-so" = 3 }   # custom mood labels (1-5); defaults rad..awful
    scale = [1, 10]                      # range of Daylio "scales" (unread without it)

A name is matched against the outcomes in the order above (first match wins) and,
separately, against the side effects. Mood and sleep quality come from the apps' own mood
and sleep-quality ratings, never from symptom names (symptoms are severities).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ldn_n1.errors import DiaryError
from ldn_n1.schema import KINDS, SIDE_EFFECTS, canonical_name, normalise_name

__all__ = ["DEFAULT_MOODS", "AppMapping", "NameRules", "load_mapping"]

_OUTCOMES = {
    "pain": ("pain",),
    "fatigue": ("fatigue", "tired", "exhaust"),
    "fog": ("fog",),
    "fibromyalgia": ("fibromyalgia",),
}
_SIDE_EFFECTS = {
    "vivid_dreams": ("dream", "nightmare"),
    "insomnia": ("insomnia", "sleeplessness"),
    "nausea": ("nausea", "nauseous"),
    "headache": ("headache",),
    "dizziness": ("dizz", "vertigo", "lightheaded"),
    "appetite_loss": (
        "loss of appetite",
        "lack of appetite",
        "appetite loss",
        "no appetite",
        "poor appetite",
    ),
    "muscle_cramps": ("cramp",),
    "anxiety": ("anxiety", "anxious"),
}
_ALCOHOL = (
    "alcohol",
    "beer",
    "wine",
    "cider",
    "spirits",
    "cocktail",
    "liquor",
    "vodka",
    "whisky",
    "whiskey",
    "gin",
    "rum",
    "prosecco",
    "champagne",
)
_OPIOIDS = (
    "opioid",
    "opiate",
    "tramadol",
    "codeine",
    "oxycodone",
    "oxycontin",
    "hydrocodone",
    "morphine",
    "fentanyl",
    "tapentadol",
    "buprenorphine",
    "methadone",
    "hydromorphone",
    "oxymorphone",
    "pethidine",
    "meperidine",
    "dihydrocodeine",
    "vicodin",
    "percocet",
    "suboxone",
    "kratom",
)
#: Daylio's default mood labels and their levels.
DEFAULT_MOODS = {"rad": 5.0, "good": 4.0, "meh": 3.0, "bad": 2.0, "awful": 1.0}
_KEYS = {"combine", "ignore", "outcomes", "side_effects", "ldn", "tags", "daylio"}
_SUB_KEYS = {
    "ldn": {"names", "dose_mg"},
    "tags": {"alcohol", "opioids"},
    "daylio": {"moods", "scale"},
}
_NOT_FROM_NAMES = {"mood", "sleep_quality"}


class NameRules:
    """Match app names (symptoms, trackers, tags) against lists of name fragments.

    Parameters
    ----------
    rules : mapping of str to sequence of str
        Target -> fragments, in priority order.
    ignore : sequence of str
        Exact names (compared case-insensitively) never matched.
    """

    def __init__(self, rules: Mapping[str, Sequence[str]], ignore: Sequence[str] = ()) -> None:
        self.rules = {k: tuple(v) for k, v in rules.items()}
        self.ignore = frozenset(n.strip().casefold() for n in ignore)
        self._patterns = {k: _pattern(v) for k, v in self.rules.items() if v}

    def match(self, name: object) -> str | None:
        """The first target whose fragments match ``name`` (``None``: no match)."""
        if not isinstance(name, str) or name.strip().casefold() in self.ignore:
            return None
        for target, pattern in self._patterns.items():
            if pattern.search(name):
                return target
        return None

    def targets(self, names: np.ndarray) -> np.ndarray:
        """:meth:`match` for every element (matched once per distinct name)."""
        import pandas as pd

        codes, uniques = pd.factorize(names, use_na_sentinel=True)
        found = np.array([self.match(u) for u in uniques] + [None], dtype=object)
        return found[codes]


def _pattern(fragments: Sequence[str]) -> re.Pattern[str]:
    parts = [
        rf"\b{re.escape(f)}\b" if len(f) <= 3 else re.escape(f)
        for f in (f.strip().casefold() for f in fragments)
        if f
    ]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


@dataclass(frozen=True)
class AppMapping:
    """Which app entries become which diary column (see the module docstring).

    Attributes
    ----------
    outcomes, side_effects : dict of str to tuple of str
        Column -> name fragments.
    combine : {"max", "mean"}
        How several matching severity entries of one day are combined.
    ignore : tuple of str
    ldn_names : tuple of str
    ldn_dose_mg : float or None
    alcohol, opioids : tuple of str
    daylio_moods : dict of str to float
        Lower-case label -> level 1-5 (the defaults plus the file's).
    daylio_scale : (float, float) or None
    file : str or None
        The mapping file, ``None`` for the defaults.
    """

    outcomes: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_OUTCOMES))
    side_effects: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_SIDE_EFFECTS))
    combine: str = "max"
    ignore: tuple[str, ...] = ()
    ldn_names: tuple[str, ...] = ("naltrexone", "ldn")
    ldn_dose_mg: float | None = None
    alcohol: tuple[str, ...] = _ALCOHOL
    opioids: tuple[str, ...] = _OPIOIDS
    daylio_moods: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MOODS))
    daylio_scale: tuple[float, float] | None = None
    file: str | None = None

    def describe(self) -> str:
        """Where the mapping comes from, for the notes."""
        if self.file is None:
            return "default mapping"
        return (
            "mapping given in Python" if self.file == "<mapping>" else f"mapping file {self.file!r}"
        )

    def outcome_rules(self) -> NameRules:
        """Name rules of the outcomes."""
        return NameRules(self.outcomes, self.ignore)

    def side_effect_rules(self) -> NameRules:
        """Name rules of the side effects."""
        return NameRules(self.side_effects, self.ignore)

    def tag_rules(self) -> NameRules:
        """Name rules of ``ldn``, ``opioid_use`` and ``alcohol_units`` (LDN first)."""
        rules = {"ldn": self.ldn_names, "opioid_use": self.opioids, "alcohol_units": self.alcohol}
        return NameRules(rules, self.ignore)

    def combine_text(self) -> str:
        """How several entries a day are combined, in words."""
        return "daily maximum (worst)" if self.combine == "max" else "daily mean"


def _fail(file: str, key: str, value: object, expected: str) -> DiaryError:
    return DiaryError(file=file, column=key, value=value, expected=expected)


def _names(file: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(file, key, value, 'a list of names, e.g. ["pain", "ache"]')
    return tuple(v.strip() for v in value)


def _table(file: str, key: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(file, key, value, f"a table [{key}]")
    allowed = _SUB_KEYS.get(key)
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise _fail(file, f"{key}.{unknown[0]}", None, f"one of {sorted(allowed)}")
    return value


def _column_name(file: str, key: str, name: str, kind: str) -> str:
    if normalise_name(name) != name:
        raise _fail(file, key, name, "a column name of lower-case letters, digits and _")
    if canonical_name(name) != name:
        expected = f"a name that is not another column's alias (read as {canonical_name(name)!r})"
        raise _fail(file, key, name, expected)
    if kind == "outcome" and (name in _NOT_FROM_NAMES or KINDS.get(name, "outcome") != "outcome"):
        expected = (
            "a severity outcome such as 'pain' or a new name (mood and sleep_quality come "
            "from the app's own ratings; dose, side-effect and other columns are not outcomes)"
        )
        raise _fail(file, key, name, expected)
    if kind == "side_effect" and name not in SIDE_EFFECTS:
        raise _fail(file, key, name, f"a side effect: {', '.join(SIDE_EFFECTS)}")
    return name


def parse_mapping(raw: Mapping[str, Any], file: str = "<mapping>") -> AppMapping:
    """Build an :class:`AppMapping` from parsed TOML data (see :func:`load_mapping`)."""
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(file, unknown[0], None, f"a key among {sorted(_KEYS)}")
    kw: dict[str, Any] = {"file": file}
    if "combine" in raw:
        if raw["combine"] not in ("max", "mean"):
            raise _fail(file, "combine", raw["combine"], "'max' or 'mean'")
        kw["combine"] = raw["combine"]
    if "ignore" in raw:
        kw["ignore"] = _names(file, "ignore", raw["ignore"])
    for key, defaults, kind in (
        ("outcomes", _OUTCOMES, "outcome"),
        ("side_effects", _SIDE_EFFECTS, "side_effect"),
    ):
        if key in raw:
            rules = dict(defaults)
            for name, fragments in _table(file, key, raw[key]).items():
                _column_name(file, f"{key}.{name}", name, kind)
                rules[name] = () if fragments == [] else _names(file, f"{key}.{name}", fragments)
            kw[key] = rules
    if "ldn" in raw:
        ldn = _table(file, "ldn", raw["ldn"])
        if "names" in ldn:
            kw["ldn_names"] = _names(file, "ldn.names", ldn["names"])
        if "dose_mg" in ldn:
            dose = ldn["dose_mg"]
            if isinstance(dose, bool) or not isinstance(dose, int | float) or not 0 < dose <= 50:
                raise _fail(file, "ldn.dose_mg", dose, "a dose in mg above 0 (at most 50)")
            kw["ldn_dose_mg"] = float(dose)
    if "tags" in raw:
        tags = _table(file, "tags", raw["tags"])
        for name in ("alcohol", "opioids"):
            if name in tags:
                kw[name] = _names(file, f"tags.{name}", tags[name])
    if "daylio" in raw:
        daylio = _table(file, "daylio", raw["daylio"])
        if "moods" in daylio:
            moods = dict(DEFAULT_MOODS)
            for label, level in _table(file, "daylio.moods", daylio["moods"]).items():
                ok = isinstance(level, int | float) and not isinstance(level, bool)
                if not ok or not 1 <= level <= 5:
                    raise _fail(file, f"daylio.moods.{label}", level, "a mood level from 1 to 5")
                moods[" ".join(str(label).casefold().split())] = float(level)
            kw["daylio_moods"] = moods
        if "scale" in daylio:
            scale = daylio["scale"]
            ok = (
                isinstance(scale, list)
                and len(scale) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
                and scale[0] < scale[1]
            )
            if not ok:
                raise _fail(file, "daylio.scale", scale, "[min, max] with min < max")
            if scale[0] < 0 or scale[1] > 10:
                expected = (
                    "a range within 0-10 (the diary's outcome columns hold at most 0-10; "
                    "a wider scale cannot be read yet)"
                )
                raise _fail(file, "daylio.scale", scale, expected)
            kw["daylio_scale"] = (float(scale[0]), float(scale[1]))
    return AppMapping(**kw)


def load_mapping(source: AppMapping | Mapping[str, Any] | str | PathLike[str] | None) -> AppMapping:
    """Load a mapping file (TOML), a parsed mapping, or ``None`` for the defaults.

    Raises
    ------
    DiaryError
        Unreadable file, invalid TOML, unknown key or bad value (the message names it).

    Examples
    --------
    >>> m = load_mapping({"outcomes": {"pain": ["pain", "ache"]},
    ...                   "daylio": {"moods": {"Super": 5}}})
    >>> m.outcome_rules().match("Backache"), m.daylio_moods["super"], m.combine
    ('pain', 5.0, 'max')
    """
    if source is None:
        return AppMapping()
    if isinstance(source, AppMapping):
        return source
    if isinstance(source, Mapping):
        return parse_mapping(source)
    path = Path(source)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DiaryError(
            file=path.name, expected=f"a readable mapping file ({exc.strerror or exc})"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DiaryError(file=path.name, expected=f"a valid TOML mapping file ({exc})") from None
    return parse_mapping(raw, file=path.name)
