"""The analysis plan: what a researcher pre-registers (DESIGN §2).

A plan is a TOML file in which every key is optional; :func:`load_plan` rejects unknown keys
and bad values with a :class:`~ldn_n1.errors.PlanError` naming the key.

Default MCIDs (minimal clinically important differences) on 0-10 scales:

- ``pain``: 2.0 points. Farrar et al. (2001), Pain 94:149-158: a reduction of about 2 points
  or 30% on the 0-10 numeric rating scale is clinically important; IMMPACT (Dworkin et al.
  2008, J Pain 9:105-121) calls >= 30% moderately important; fibromyalgia-specific estimate
  2.1 points (about 32%).
- ``fatigue``: 2.0 points. No fibromyalgia-specific anchor-based value for a single daily
  0-10 item; the IMMPACT 30% guidance applied to a typical baseline of 6-7 gives about 2.
- ``sleep_quality``: 2.0 points. Same reasoning (30% of a typical baseline of ~6); for the
  0-10 sleep quality NRS, Cappelleri et al. (2009) report about 1 point as the minimal change,
  so 2 is the conservative ("clearly important") choice.
- ``fog``: 2.0 points, ``mood``: 2.0 points. No published daily-item MCID; IMMPACT 30%
  guidance as for fatigue.
- any other outcome: 30% of its scale width.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ldn_n1.errors import PlanError
from ldn_n1.schema import SIDE_EFFECTS

__all__ = ["DEFAULT_OUTCOMES", "DEFAULT_SIDE_EFFECTS", "Outcome", "Plan", "load_plan"]


@dataclass(frozen=True)
class Outcome:
    """One outcome of the plan.

    Attributes
    ----------
    name : str
        Column name in the diary.
    better : {"lower", "higher"}
        Direction of improvement.
    scale : tuple of float
        (minimum, maximum) of the scale, inclusive.
    mcid : float
        Minimal clinically important difference, in the outcome's points.
    """

    name: str
    better: str = "lower"
    scale: tuple[float, float] = (0.0, 10.0)
    mcid: float = 2.0

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.better == "higher" else -1.0


DEFAULT_OUTCOMES: dict[str, Outcome] = {
    "pain": Outcome("pain", "lower", (0.0, 10.0), 2.0),
    "fatigue": Outcome("fatigue", "lower", (0.0, 10.0), 2.0),
    "sleep_quality": Outcome("sleep_quality", "higher", (0.0, 10.0), 2.0),
    "fog": Outcome("fog", "lower", (0.0, 10.0), 2.0),
    "mood": Outcome("mood", "higher", (0.0, 10.0), 2.0),
}

DEFAULT_SIDE_EFFECTS: tuple[str, ...] = SIDE_EFFECTS


@dataclass(frozen=True)
class Plan:
    """A pre-registered analysis plan; every field has a default.

    Attributes
    ----------
    primary : str, default "pain"
        The outcome that decides "responded".
    evaluation_days : int, default 28
        Length of the evaluation window at the end of treatment, in days.
    min_baseline_days : int, default 14
        Fewer baseline days with data are analysed with a warning.
    probability_threshold : float, default 0.8
        Posterior probability needed for a verdict.
    side_effects : tuple of str
        Side-effect columns to report (those present in the diary).
    outcomes : dict of str to Outcome
        Outcomes to analyse, in order; the primary first.
    weekday : bool, default True
        Model day-of-week rhythms (effect-coded) when the diary has at least 5 weeks of data.
    shared_noise : bool, default False
        Use the patient's other outcomes to explain the day-to-day noise they share ("bad
        days are bad across symptoms"): each outcome's model gets the mean of the other
        outcomes' standardised residuals as a covariate. Experimental: in the calibration
        study it narrows the intervals by about 15% but their coverage falls below nominal
        (two-stage residuals carry part of the treatment course), so it is off by default.
    seed : int, default 20251125
        Seed of the forward simulation that estimates how many more days would settle an
        inconclusive verdict (results are deterministic given the seed).
    """

    primary: str = "pain"
    evaluation_days: int = 28
    min_baseline_days: int = 14
    probability_threshold: float = 0.8
    side_effects: tuple[str, ...] = DEFAULT_SIDE_EFFECTS
    outcomes: Mapping[str, Outcome] = field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    weekday: bool = True
    shared_noise: bool = False
    seed: int = 20251125

    def outcome(self, name: str) -> Outcome:
        """The plan's :class:`Outcome` of that name (a default one for undeclared columns)."""
        if name in self.outcomes:
            return self.outcomes[name]
        return Outcome(name, "lower", (0.0, 10.0), 3.0)

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (the TOML structure), for reports and JSON."""
        return {
            "primary": self.primary,
            "evaluation_days": self.evaluation_days,
            "min_baseline_days": self.min_baseline_days,
            "probability_threshold": self.probability_threshold,
            "side_effects": list(self.side_effects),
            "weekday": self.weekday,
            "shared_noise": self.shared_noise,
            "seed": self.seed,
            "outcomes": {
                name: {"better": o.better, "scale": list(o.scale), "mcid": o.mcid}
                for name, o in self.outcomes.items()
            },
        }

    def to_toml(self) -> str:
        """The plan as TOML text (round-trips through :func:`load_plan`)."""
        d = self.to_dict()
        lines = [
            f"primary = {_toml_str(d['primary'])}",
            f"evaluation_days = {d['evaluation_days']}",
            f"min_baseline_days = {d['min_baseline_days']}",
            f"probability_threshold = {d['probability_threshold']}",
            "side_effects = [" + ", ".join(_toml_str(s) for s in d["side_effects"]) + "]",
            f"weekday = {'true' if d['weekday'] else 'false'}",
            f"shared_noise = {'true' if d['shared_noise'] else 'false'}",
            f"seed = {d['seed']}",
        ]
        for name, o in d["outcomes"].items():
            lines += [
                "",
                f"[outcomes.{_toml_key(name)}]",
                f"better = {_toml_str(o['better'])}",
                f"scale = [{o['scale'][0]}, {o['scale'][1]}]",
                f"mcid = {o['mcid']}",
            ]
        return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(text: str) -> str:
    return text if text.replace("_", "").replace("-", "").isalnum() else _toml_str(text)


_TOP_KEYS = {
    "primary",
    "evaluation_days",
    "min_baseline_days",
    "probability_threshold",
    "side_effects",
    "outcomes",
    "weekday",
    "shared_noise",
    "seed",
}
_OUTCOME_KEYS = {"better", "scale", "mcid"}


def _number(where: str, value: object, low: float, high: float, *, integer: bool = False) -> Any:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        kind = "an integer" if integer else "a number"
        msg = f"plan key {where!r}: got {value!r}, expected {kind} from {low:g} to {high:g}"
        raise PlanError(msg)
    return value


def _parse_outcome(name: str, spec: object, source: str) -> Outcome:
    if not isinstance(spec, Mapping):
        msg = f"{source}: [outcomes.{name}] must be a table, got {spec!r}"
        raise PlanError(msg)
    unknown = sorted(set(spec) - _OUTCOME_KEYS)
    if unknown:
        msg = (
            f"{source}: unknown key {unknown[0]!r} in [outcomes.{name}], "
            f"expected one of {sorted(_OUTCOME_KEYS)}"
        )
        raise PlanError(msg)
    base = DEFAULT_OUTCOMES.get(name, Outcome(name))
    better = spec.get("better", base.better)
    if better not in ("lower", "higher"):
        msg = f"plan key 'outcomes.{name}.better': got {better!r}, expected 'lower' or 'higher'"
        raise PlanError(msg)
    scale = spec.get("scale", list(base.scale))
    if (
        not isinstance(scale, list)
        or len(scale) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
        or not scale[0] < scale[1]
    ):
        msg = f"plan key 'outcomes.{name}.scale': got {scale!r}, expected [min, max] with min < max"
        raise PlanError(msg)
    default_mcid = base.mcid if name in DEFAULT_OUTCOMES else 0.3 * (scale[1] - scale[0])
    mcid = _number(
        f"outcomes.{name}.mcid", spec.get("mcid", default_mcid), 1e-9, scale[1] - scale[0]
    )
    return Outcome(name, better, (float(scale[0]), float(scale[1])), float(mcid))


def parse_plan(raw: Mapping[str, Any], source: str = "plan") -> Plan:
    """Build a :class:`Plan` from parsed TOML data (see :func:`load_plan`)."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        msg = f"{source}: unknown key {unknown[0]!r}, expected one of {sorted(_TOP_KEYS)}"
        raise PlanError(msg)
    plan = Plan()
    changes: dict[str, Any] = {}
    if "evaluation_days" in raw:
        changes["evaluation_days"] = _number(
            "evaluation_days", raw["evaluation_days"], 7, 365, integer=True
        )
    if "min_baseline_days" in raw:
        changes["min_baseline_days"] = _number(
            "min_baseline_days", raw["min_baseline_days"], 1, 365, integer=True
        )
    if "probability_threshold" in raw:
        changes["probability_threshold"] = float(
            _number("probability_threshold", raw["probability_threshold"], 0.5, 0.999)
        )
    if "seed" in raw:
        changes["seed"] = _number("seed", raw["seed"], 0, 2**63 - 1, integer=True)
    for key in ("weekday", "shared_noise"):
        if key in raw:
            if not isinstance(raw[key], bool):
                msg = f"plan key {key!r}: got {raw[key]!r}, expected true or false"
                raise PlanError(msg)
            changes[key] = raw[key]
    if "side_effects" in raw:
        se = raw["side_effects"]
        if not isinstance(se, list) or not all(isinstance(s, str) and s for s in se):
            msg = f"plan key 'side_effects': got {se!r}, expected a list of column names"
            raise PlanError(msg)
        changes["side_effects"] = tuple(se)
    outcomes = dict(DEFAULT_OUTCOMES)
    if "outcomes" in raw:
        if not isinstance(raw["outcomes"], Mapping):
            msg = f"{source}: 'outcomes' must be a table of [outcomes.NAME] tables"
            raise PlanError(msg)
        for name, spec in raw["outcomes"].items():
            outcomes[name] = _parse_outcome(name, spec, source)
    primary = raw.get("primary", plan.primary)
    if not isinstance(primary, str) or primary not in outcomes:
        msg = f"plan key 'primary': got {primary!r}, expected one of {sorted(outcomes)}"
        raise PlanError(msg)
    ordered = {primary: outcomes[primary]} | {k: v for k, v in outcomes.items() if k != primary}
    return replace(plan, primary=primary, outcomes=ordered, **changes)


def load_plan(source: str | Path | Mapping[str, Any] | Plan | None = None) -> Plan:
    """Load an analysis plan from a TOML file (or a mapping); ``None`` gives the defaults.

    Parameters
    ----------
    source : path, mapping, Plan or None
        A TOML file, already-parsed data, a Plan (returned as is), or None.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        Unreadable file, TOML syntax error, unknown key or bad value (the message names it).

    Examples
    --------
    >>> plan = load_plan({"primary": "fatigue", "outcomes": {"fatigue": {"mcid": 1.5}}})
    >>> plan.primary, plan.outcome("fatigue").mcid, list(plan.outcomes)[:2]
    ('fatigue', 1.5, ['fatigue', 'pain'])
    """
    if source is None:
        return Plan()
    if isinstance(source, Plan):
        return source
    if isinstance(source, Mapping):
        return parse_plan(source)
    path = Path(source)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"{path}: cannot read the plan ({exc.strerror or exc})"
        raise PlanError(msg) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not valid TOML ({exc})"
        raise PlanError(msg) from exc
    return parse_plan(raw, source=path.name)
