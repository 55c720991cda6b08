"""Per-patient parameters of the synthetic LDN diaries: distributions, sources, overrides.

Every patient is described by a handful of numbers (baseline length, noise, onset time,
effect size, ...). They are drawn here from a fixed block of uniform random numbers per
patient (inverse-CDF transforms, vectorised over patients), so the same patient stream always
gives the same patient whatever else is in the cohort.

Sources of the numbers (see DESIGN §9):

- Day-to-day variability: within-person SD of daily pain in fibromyalgia e-diaries has a
  mean of 1.61 points (range 0.27-4.05). The latent AR(1) noise has a marginal SD in
  1.0-2.0, drawn as ``1 + u**0.7`` (mean 1.59): with whole-number rounding and weekly rhythm
  added and the downward bias of a sample SD under autocorrelation, the observed
  within-person SD of pain in no-effect diaries averages about 1.6 (measured in the tests).
- Lag-1 autocorrelation: no published fibromyalgia figure; rho uniform in 0.3-0.8.
- Shared "bad day" factor: correlation of the daily noise across outcomes uniform in
  0.3-0.6 (bad days are bad across symptoms). Illustrative; not fitted to data.
- Pain MCID 2 points (Farrar 2001; fibromyalgia 2.1 points); the MCIDs of all outcomes are
  those of :data:`ldn_n1.plan.DEFAULT_OUTCOMES`.
- Onset: ``effect(t) = delta * (1 - exp(-t / tau))`` with ``tau`` log-uniform in 3-40 days
  (onset from days to about three months; 90% of the full effect by day 56 means
  ``tau`` ~= 24).
- Titration: 1.5 mg for a week, 3 mg, 4.5 mg from week 3 or 4 (the usual fibromyalgia
  schedule; 4.5 mg is the dose of the Stanford pilot and INNOVA trials). A dose-finding
  study put the dose for a response in 50% / 95% of patients at 3.9 / 5.4 mg; 15% of the
  simulated patients stay at 3 mg. The effect size ``delta`` is the patient's effect at their
  own target dose (no dose-response model).
- Diary completion about 85% of days in research diaries, falling over time (DESIGN §9).
- Baseline symptom levels, side-effect rates, alcohol and opioid use and the weekly rhythm
  are illustrative values typical of fibromyalgia cohorts, not fitted to data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ldn_n1.errors import LdnError
from ldn_n1.plan import DEFAULT_OUTCOMES
from ldn_n1.schema import OUTCOMES, SIDE_EFFECTS

__all__ = [
    "DEFAULT_MIX",
    "EFFECT_CLASSES",
    "OUTCOMES",
    "SCENARIOS",
    "SIDE_EFFECTS",
    "SimulationError",
    "apply_overrides",
    "draw_params",
]


class SimulationError(LdnError, ValueError):
    """A simulation argument (scenario, mix, override) is unknown or out of range."""


#: +1 where a higher value is worse (pain, fatigue, fog), -1 where higher is better.
WORSE_SIGN = np.array([1.0 if DEFAULT_OUTCOMES[o].better == "lower" else -1.0 for o in OUTCOMES])
MCID = np.array([DEFAULT_OUTCOMES[o].mcid for o in OUTCOMES])

SCENARIOS = ("non_responder", "drifting", "responder", "small", "worsened", "messy")
EFFECT_CLASSES = ("none", "small", "clear", "worse")

#: Default cohort mix: 40% no effect (a third of them drifting or settling after a flare),
#: 30% clear responders, 15% small effect (< MCID), 10% worsened, 5% messy diaries.
DEFAULT_MIX: Mapping[str, float] = MappingProxyType(
    {
        "non_responder": 0.27,
        "drifting": 0.13,
        "responder": 0.30,
        "small": 0.15,
        "worsened": 0.10,
        "messy": 0.05,
    }
)

#: Uniform numbers drawn per patient for its parameters (headroom for new parameters).
N_PARAM_UNIFORMS = 96

# Baseline (day of first dose) levels on 0-10, uniform ranges; worsened patients start lower
# on pain so a worsening of 2.5-3.5 points stays inside the scale.
LEVEL_RANGE = {
    "pain": (5.0, 7.5),
    "fatigue": (5.5, 8.0),
    "sleep_quality": (2.5, 5.0),
    "fog": (4.0, 7.0),
    "mood": (4.0, 6.5),
}
WORSENED_PAIN_LEVEL = (4.0, 6.0)
# Full effect on pain (points, positive = better) per effect class.
PAIN_EFFECT_RANGE = {"none": (0.0, 0.0), "small": (0.5, 1.5), "clear": (3.0, 4.5),
                     "worse": (-3.5, -2.5)}  # fmt: skip
# Other outcomes follow pain in MCID units times a factor in (lo, hi), or do not respond.
COUPLING = {
    "fatigue": (0.5, 1.1, 0.85),  # (lo, hi, probability the outcome responds at all)
    "sleep_quality": (0.3, 1.0, 0.7),
    "fog": (0.3, 1.0, 0.7),
    "mood": (0.2, 0.9, 0.7),
}
TAU_RANGE = (3.0, 40.0)
NOISE_SD_RANGE = (1.0, 2.0)
NOISE_SD_SKEW = 0.7  # noise_sd = 1 + u**0.7: mean 1.59, so observed no-effect pain SD ~1.6
RHO_RANGE = (0.3, 0.8)
SHARED_CORR_RANGE = (0.3, 0.6)
DRIFT_RANGE = (0.01, 0.03)  # points/day; capped so the total drift is at most MAX_DRIFT_POINTS
MAX_DRIFT_POINTS = 3.0
FLARE_POINTS_RANGE = (0.8, 2.5)  # extra badness on day 0, decaying with FLARE_TAU_RANGE
FLARE_TAU_RANGE = (7.0, 25.0)


def _uniform(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return lo + u * (hi - lo)


def _integers(u: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Whole numbers lo..hi inclusive from uniforms."""
    return np.minimum(lo + np.floor(u * (hi - lo + 1)), hi).astype(np.int64)


def _choice(u: np.ndarray, weights: list[float]) -> np.ndarray:
    cum = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)


def scenario_codes(u: np.ndarray, mix: Mapping[str, float] | None) -> np.ndarray:
    """Scenario index (into :data:`SCENARIOS`) per patient, drawn from ``mix``."""
    mix = DEFAULT_MIX if mix is None else mix
    unknown = sorted(set(mix) - set(SCENARIOS))
    if unknown:
        msg = f"unknown scenario {unknown[0]!r} in mix, expected some of {list(SCENARIOS)}"
        raise SimulationError(msg)
    weights = [float(mix.get(s, 0.0)) for s in SCENARIOS]
    if any(not np.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        msg = f"mix weights must be finite, >= 0 and not all 0, got {dict(mix)}"
        raise SimulationError(msg)
    return _choice(u, weights)


def draw_params(u: np.ndarray, scenario: np.ndarray) -> dict[str, np.ndarray]:
    """Draw every patient's parameters from its uniform numbers.

    Parameters
    ----------
    u : ndarray, shape (n, N_PARAM_UNIFORMS)
        Independent uniforms on [0, 1), one row per patient (from the patient's own stream).
    scenario : ndarray of int, shape (n,)
        Index into :data:`SCENARIOS`.

    Returns
    -------
    dict of str to ndarray
        Patient-level arrays of shape (n,) and per-outcome arrays of shape (n, 5) (columns in
        the order of :data:`OUTCOMES`). Day positions that depend on the diary length
        (interruption, switch, gaps) are kept as fractions in [0, 1) and resolved later, so an
        override of a length keeps them valid.

    Notes
    -----
    Column ``k`` of ``u`` always feeds the same parameter, whatever the scenario, so a
    patient's draws do not shift when a distribution changes elsewhere.
    """
    col = iter(range(1, N_PARAM_UNIFORMS))  # column 0 is the scenario's (scenario_codes)

    def nxt(k: int | None = None) -> np.ndarray:
        if k is None:
            return u[:, next(col)]
        return u[:, [next(col) for _ in range(k)]]

    name = np.asarray(SCENARIOS)[scenario]
    messy = name == "messy"
    p: dict[str, np.ndarray] = {"scenario": scenario}
    # Effect class: fixed by the scenario, drawn for messy diaries (none 40/small 20/clear 40).
    cls = np.select(
        [name == "responder", name == "small", name == "worsened"], [2, 1, 3], default=0
    )
    p["effect_class"] = np.where(messy, np.array([0, 1, 2])[_choice(nxt(), [0.4, 0.2, 0.4])], cls)
    p["start_offset"] = _integers(nxt(), 0, 364)  # days after 2024-01-01
    short = nxt() < 0.08
    base = np.where(short, _integers(nxt(), 7, 13), _integers(nxt(), 14, 42))
    p["baseline_days"] = np.where(messy, _integers(nxt(), 10, 13), base)
    total = _integers(nxt(), 90, 200)
    p["treatment_days"] = np.maximum(total - p["baseline_days"], np.where(messy, 100, 56))
    # Titration: 0 standard (4.5 mg from week 3 or 4), 1 slow (4.5 mg from week 5), 2 stays at 3 mg.
    p["titration"] = _choice(nxt(), [0.77, 0.08, 0.15])
    p["step45_day"] = np.where(p["titration"] == 1, 28, np.where(nxt() < 0.5, 14, 21))
    p["missed_dose_prob"] = np.where(
        messy, _uniform(nxt(), 0.03, 0.06), np.where(nxt() < 0.5, 0.0, _uniform(nxt(), 0.01, 0.05))
    )
    p["interrupted"] = messy | (nxt() < 0.08)
    p["interruption_pos"] = nxt()
    p["interruption_days"] = _integers(nxt(), 3, 10)
    p["switched_to_morning"] = messy | (nxt() < 0.2)
    p["switch_pos"] = nxt()
    p["rho"] = _uniform(nxt(), *RHO_RANGE)
    p["shared_corr"] = _uniform(nxt(), *SHARED_CORR_RANGE)
    p["weekly"] = _choice(nxt(), [0.4, 0.3, 0.3])  # 0 none, 1 Monday worse, 2 weekend better
    p["weekly_amp"] = np.where(p["weekly"] == 0, 0.0, _uniform(nxt(), 0.2, 0.6))
    p["completion_start"] = np.where(
        messy, _uniform(nxt(), 0.80, 0.90), _uniform(nxt(), 0.85, 0.99)
    )
    declining = messy | (nxt() < 0.4)
    p["completion_decline"] = np.where(
        declining, np.where(messy, _uniform(nxt(), 0.25, 0.45), _uniform(nxt(), 0.1, 0.35)), 0.0
    )
    p["n_gaps"] = np.where(messy, 2, np.where(nxt() < 0.25, _integers(nxt(), 1, 2), 0))
    p["gap_pos"] = nxt(2)
    p["gap_days"] = _integers(nxt(2), 3, 14)
    p["blank_prob"] = np.where(messy, _uniform(nxt(), 0.12, 0.20), _uniform(nxt(), 0.05, 0.15))
    p["opioid_user"] = nxt() < 0.03
    p["opioid_prob"] = _uniform(nxt(), 0.05, 0.3)
    p["drinker"] = nxt() < 0.55
    p["drink_prob"] = _uniform(nxt(), 0.03, 0.25)
    p["note_prob"] = np.where(messy, 0.08, _uniform(nxt(), 0.01, 0.06))
    p["unsorted"] = messy
    # Side-effect susceptibility: patient factor x per-effect factor; those who switch to
    # morning dosing do so because of vivid dreams / insomnia, so they are twice as prone.
    sus = _uniform(nxt(), 0.4, 1.6)[:, None] * _uniform(nxt(len(SIDE_EFFECTS)), 0.5, 1.5)
    sus[:, :2] *= np.where(p["switched_to_morning"], 2.0, 1.0)[:, None]
    p["susceptibility"] = sus
    # Outcomes.
    lo = np.array([LEVEL_RANGE[o][0] for o in OUTCOMES])
    hi = np.array([LEVEL_RANGE[o][1] for o in OUTCOMES])
    level = lo + nxt(5) * (hi - lo)
    worse = p["effect_class"] == 3
    level[:, 0] = np.where(worse, _uniform(nxt(), *WORSENED_PAIN_LEVEL), level[:, 0])
    p["level"] = level
    p["noise_sd"] = _uniform(nxt(5) ** NOISE_SD_SKEW, *NOISE_SD_RANGE)
    # Onset: the patient's tau (log-uniform) for pain; other outcomes within a factor e^0.25.
    jitter = np.exp(_uniform(nxt(5), -0.25, 0.25))
    jitter[:, 0] = 1.0
    tau = np.exp(_uniform(nxt(), *np.log(TAU_RANGE)))[:, None] * jitter
    p["tau_days"] = np.clip(tau, *TAU_RANGE)
    p["effect"] = _effects(p["effect_class"], level, nxt(), nxt(4), nxt(4))
    # Natural course (drifting scenario only): 0 drift only, 1 flare only, 2 both.
    kind = _choice(nxt(), [0.45, 0.40, 0.15])
    drifting = name == "drifting"
    has_drift = drifting & (kind != 1)
    has_flare = drifting & (kind != 0)
    days = p["baseline_days"] + p["treatment_days"]
    sign = np.where(nxt() < 0.6, 1.0, -1.0)  # improving natural course is more common
    rate = np.minimum(_uniform(nxt(), *DRIFT_RANGE), MAX_DRIFT_POINTS / days)
    p["drift_per_day"] = np.where(
        has_drift[:, None], (sign * rate)[:, None] * _uniform(nxt(5), 0.5, 1.0), 0.0
    )
    p["flare_points"] = np.where(has_flare[:, None], _uniform(nxt(5), *FLARE_POINTS_RANGE), 0.0)
    p["flare_tau_days"] = _uniform(nxt(), *FLARE_TAU_RANGE)  # used where flare_points != 0
    return p


def _effects(
    cls: np.ndarray, level: np.ndarray, u_pain: np.ndarray, u_on: np.ndarray, u_mult: np.ndarray
) -> np.ndarray:
    """Full effects (points, positive = better) per outcome, coupled to pain.

    Pain's effect is drawn from :data:`PAIN_EFFECT_RANGE` for the class; every other
    outcome gets ``(pain effect / pain MCID) * its MCID * factor`` (factor uniform in the
    :data:`COUPLING` range) with the coupling probability, else 0, so a responder's pain and
    fatigue usually improve together. Effects are capped so the treated level stays within
    1-9.5 on the 0-10 scale (room to improve: to 1 point from the best end; to worsen: to
    0.5 from the worst end), which keeps clipping at 0/10 from hiding the effect.
    """
    lo = np.array([PAIN_EFFECT_RANGE[c][0] for c in EFFECT_CLASSES])[cls]
    hi = np.array([PAIN_EFFECT_RANGE[c][1] for c in EFFECT_CLASSES])[cls]
    pain = _uniform(u_pain, lo, hi)
    strength = pain / MCID[0]
    eff = np.empty_like(level)
    eff[:, 0] = pain
    for j, name in enumerate(OUTCOMES[1:], start=1):
        c_lo, c_hi, c_p = COUPLING[name]
        factor = np.where(u_on[:, j - 1] < c_p, _uniform(u_mult[:, j - 1], c_lo, c_hi), 0.0)
        eff[:, j] = strength * MCID[j] * factor
    # Room to improve / worsen from the level, in "better" points.
    worst_value = np.where(WORSE_SIGN > 0, 9.5, 0.5)
    best_value = np.where(WORSE_SIGN > 0, 1.0, 9.0)
    room_better = np.maximum(WORSE_SIGN * (level - best_value), 0.0)
    room_worse = np.maximum(WORSE_SIGN * (worst_value - level), 0.0)
    return np.clip(eff, -room_worse, room_better) + 0.0  # no -0.0 (worsened x factor 0)


PATIENT_OVERRIDES = {
    "baseline_days": (1, 10_000),
    "treatment_days": (1, 10_000),
    "titration": ("standard", "slow", "stay_3mg"),
    "missed_dose_prob": (0.0, 0.5),
    "interrupted": bool,
    "interruption_days": (3, 60),
    "switched_to_morning": bool,
    "rho": (0.0, 0.99),
    "shared_corr": (0.0, 1.0),
    "weekly": ("none", "monday", "weekend"),
    "weekly_amp": (0.0, 5.0),
    "completion_start": (0.0, 1.0),
    "completion_decline": (0.0, 1.0),
    "n_gaps": (0, 2),
    "blank_prob": (0.0, 1.0),
    "opioid_user": bool,
    "drinker": bool,
    "note_prob": (0.0, 1.0),
    "unsorted": bool,
    "flare_tau_days": (0.5, 1000.0),
}
OUTCOME_OVERRIDES = {
    "level": (0.0, 10.0),
    "noise_sd": (0.0, 10.0),
    "effect": (-10.0, 10.0),
    "tau_days": (0.1, 1000.0),
    "drift_per_day": (-1.0, 1.0),
    "flare_points": (-10.0, 10.0),
}


def apply_overrides(params: dict[str, np.ndarray], overrides: Mapping[str, object]) -> None:
    """Replace drawn parameters of a single patient in place (``params`` holds one patient).

    Patient-level keys take a scalar (see ``PATIENT_OVERRIDES``; ``start_date`` takes an ISO
    date). Per-outcome keys (``level``, ``noise_sd``, ``effect``, ``tau_days``,
    ``drift_per_day``, ``flare_points``) take a scalar for every outcome or a mapping
    ``{outcome: value}``; ``effect`` is in points with positive = better.

    Raises
    ------
    SimulationError
        For an unknown key, an unknown outcome or a value out of range.
    """
    for key, value in overrides.items():
        if key == "start_date":
            offset = (np.datetime64(str(value), "D") - np.datetime64("2024-01-01", "D")).astype(int)
            params["start_offset"] = np.array([offset])
        elif key in PATIENT_OVERRIDES:
            rule = PATIENT_OVERRIDES[key]
            params[key] = np.array([_check(key, value, rule)])
        elif key in OUTCOME_OVERRIDES:
            values = value if isinstance(value, Mapping) else dict.fromkeys(OUTCOMES, value)
            for outcome, v in values.items():
                if outcome not in OUTCOMES:
                    msg = f"override {key!r}: unknown outcome {outcome!r}, expected {OUTCOMES}"
                    raise SimulationError(msg)
                params[key][0, OUTCOMES.index(outcome)] = _check(
                    f"{key}[{outcome}]", v, OUTCOME_OVERRIDES[key]
                )
        else:
            allowed = sorted([*PATIENT_OVERRIDES, *OUTCOME_OVERRIDES, "start_date"])
            msg = f"unknown simulation parameter {key!r}, expected one of {allowed}"
            raise SimulationError(msg)


def _check(key: str, value: object, rule: object) -> object:
    if rule is bool:
        if not isinstance(value, bool | np.bool_):
            msg = f"override {key!r}: got {value!r}, expected True or False"
            raise SimulationError(msg)
        return bool(value)
    if isinstance(rule, tuple) and isinstance(rule[0], str):
        if value not in rule:
            msg = f"override {key!r}: got {value!r}, expected one of {list(rule)}"
            raise SimulationError(msg)
        return rule.index(value)
    lo, hi = rule  # type: ignore[misc]
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        msg = f"override {key!r}: got {value!r}, expected a number {lo}-{hi}"
        raise SimulationError(msg)
    if not lo <= value <= hi or (isinstance(lo, int) and int(value) != value):
        kind = "a whole number" if isinstance(lo, int) else "a number"
        msg = f"override {key!r}: got {value!r}, expected {kind} {lo}-{hi}"
        raise SimulationError(msg)
    return value
