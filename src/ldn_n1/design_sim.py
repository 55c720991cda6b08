"""The simulated patient of study-design planning (:mod:`ldn_n1.design`).

:class:`StudyDesign` (the patient and the diary lengths to compare, checked on creation, with
the full effect, true improvement and correct verdict of each design) and the simulation of
its diaries: AR(1) noise and missing days per batch, aligned at the first dose, cut to each
design with the Monday effect and the gradual onset. The model is described in
:mod:`ldn_n1.design`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from scipy.signal import lfilter

from ldn_n1.errors import PlanError
from ldn_n1.features import onset, window_mean_onset
from ldn_n1.simulate_truth import true_class

__all__ = ["StudyDesign"]


@dataclass(frozen=True)
class StudyDesign:
    """One kind of patient and the diary lengths to compare.

    Parameters
    ----------
    improvement : float
        True improvement (points, positive = better): the mean effect over the evaluation
        window, as in the estimand of DESIGN §4.
    noise_sd : float
        Marginal SD of the day-to-day noise (points; fibromyalgia pain diaries: about 1.6).
    rho : float
        Lag-1 autocorrelation of the noise, 0 <= rho < 1.
    missing_share : float
        Share of days not recorded (missing at random), 0 <= missing_share < 1.
    baseline_days : sequence of int
        Baseline lengths to compare (days before the first dose, each >= 1).
    treatment_days : sequence of int
        Treatment lengths to compare (days from the first dose to the end of the diary, each
        >= ``evaluation_days``).
    mcid : float
        Minimal clinically important difference (points, > 0).
    tau_days : float, default 24.0
        Onset time constant (days; 90% of the full effect after 2.3 tau; 0 = a step).
    better : {"lower", "higher"}, default "lower"
        Direction of improvement of the outcome.
    probability_threshold : float, default 0.8
        Posterior probability needed for a verdict (as in the plan).
    evaluation_days : int, default 28
        Length of the evaluation window (final days of treatment).
    weekly_amplitude : float, default 0.3
        Extra badness on Mondays (points).
    level : float, optional
        Level at the first dose without treatment (points); default 6 when lower is better,
        4 when higher is better.
    scale : (float, float), default (0, 10)
        The outcome's scale; simulated scores are whole numbers clipped to it.
    reference_treatment_days : int, optional
        When given (>= ``evaluation_days``), ``improvement`` is the improvement over the
        evaluation window of a treatment of this length, and the full effect is the same in
        every design (see the module notes). Default: ``improvement`` holds in every design.

    Raises
    ------
    PlanError
        A field out of range; the message names the field and quotes the value.
    """

    improvement: float
    noise_sd: float
    rho: float
    missing_share: float
    baseline_days: Sequence[int]
    treatment_days: Sequence[int]
    mcid: float
    tau_days: float = 24.0
    better: str = "lower"
    probability_threshold: float = 0.8
    evaluation_days: int = 28
    weekly_amplitude: float = 0.3
    level: float | None = None
    scale: tuple[float, float] = (0.0, 10.0)
    reference_treatment_days: int | None = None

    def __post_init__(self) -> None:
        _number("improvement", self.improvement)
        _number("noise_sd", self.noise_sd, lo=0.0, lo_open=True)
        _number("rho", self.rho, lo=0.0, hi=1.0, hi_open=True)
        _number("missing_share", self.missing_share, lo=0.0, hi=1.0, hi_open=True)
        _number("mcid", self.mcid, lo=0.0, lo_open=True)
        _number("tau_days", self.tau_days, lo=0.0)
        _number("probability_threshold", self.probability_threshold, 0.5, 1.0, True, True)
        _number("weekly_amplitude", self.weekly_amplitude, lo=0.0)
        if self.better not in ("lower", "higher"):
            msg = f"better: got {self.better!r}, expected 'lower' or 'higher'"
            raise PlanError(msg)
        evaluation = _whole("evaluation_days", self.evaluation_days, 1)
        if len(self.scale) != 2 or not self.scale[0] < self.scale[1]:
            msg = f"scale: got {self.scale!r}, expected (low, high) with low < high"
            raise PlanError(msg)
        scale = (float(self.scale[0]), float(self.scale[1]))
        level = self.level
        if level is None:
            level = scale[0] + (0.6 if self.better == "lower" else 0.4) * (scale[1] - scale[0])
        _number("level", level, lo=scale[0], hi=scale[1])
        fix = object.__setattr__  # frozen: normalise once here
        fix(self, "evaluation_days", evaluation)
        fix(self, "scale", scale)
        fix(self, "level", float(level))
        fix(self, "baseline_days", _days("baseline_days", self.baseline_days, 1))
        fix(self, "treatment_days", _days("treatment_days", self.treatment_days, evaluation))
        if self.reference_treatment_days is not None:
            ref = _whole("reference_treatment_days", self.reference_treatment_days, evaluation)
            fix(self, "reference_treatment_days", ref)
        # A one-day window on the first dosed day holds no gradual effect at all (g(0) = 0).
        if self.tau_days > 0 and min(*self.treatment_days, self.reference_treatment_days or 2) == 1:
            msg = "treatment_days: got 1, expected at least 2 when the onset is gradual"
            raise PlanError(msg)

    def _window_mean_onset(self, treatment_days: int) -> float:
        start = treatment_days - self.evaluation_days
        return float(window_mean_onset(start, treatment_days - 1, self.tau_days))

    def full_effect(self, treatment_days: int) -> float:
        """Full effect (points) simulated in the design with ``treatment_days`` of treatment."""
        reference = self.reference_treatment_days or treatment_days
        return self.improvement / self._window_mean_onset(reference)

    def true_improvement(self, treatment_days: int) -> float:
        """The estimand (points): mean effect over that design's evaluation window."""
        if self.reference_treatment_days is None:
            return float(self.improvement)
        return self.full_effect(treatment_days) * self._window_mean_onset(treatment_days)

    def true_class(self, treatment_days: int | None = None) -> str:
        """The correct verdict (responder, non-responder or worsened) for that design.

        Without ``treatment_days``: the class of ``improvement`` itself.
        """
        value = (
            self.improvement if treatment_days is None else self.true_improvement(treatment_days)
        )
        return true_class({"true_improvement": value}, mcid=self.mcid)

    def to_dict(self) -> dict[str, object]:
        """The design as plain Python values (JSON-safe)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("baseline_days", "treatment_days", "scale"):
            out[key] = list(out[key])
        return out


def _number(name, value, lo=None, hi=None, lo_open=False, hi_open=False) -> None:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)
    ok = ok and math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        bounds = []
        if lo is not None:
            bounds.append(f"{'>' if lo_open else '>='} {lo:g}")
        if hi is not None:
            bounds.append(f"{'<' if hi_open else '<='} {hi:g}")
        rule = f"a number {' and '.join(bounds)}" if bounds else "a finite number"
        msg = f"{name}: got {value!r}, expected {rule}"
        raise PlanError(msg)


def _whole(name: str, value: object, lo: int) -> int:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not ok or value < lo:  # type: ignore[operator]
        msg = f"{name}: got {value!r}, expected a whole number >= {lo}"
        raise PlanError(msg)
    return int(value)  # type: ignore[arg-type]


def _days(name: str, values: object, lo: int) -> tuple[int, ...]:
    items = [values] if isinstance(values, int | np.integer) else values
    if isinstance(items, str) or not isinstance(items, Sequence | np.ndarray) or len(items) == 0:
        msg = f"{name}: got {values!r}, expected one or more whole numbers >= {lo}"
        raise PlanError(msg)
    return tuple(sorted({_whole(name, v, lo) for v in items}))


def _simulate_batch(
    design: StudyDesign, n: int, seed: np.random.SeedSequence | int
) -> tuple[int, np.ndarray, np.ndarray]:
    """Noise and missing days of one batch, aligned at the first dose.

    Returns ``(first_dose_weekday, noise, observed)``: noise of shape (L, n) and the observed
    mask of shape (L,) on days ``-max(baseline_days) .. max(treatment_days) - 1``.

    The noise starts from a stationary value on the first dosed day and runs forward into the
    treatment and backward into the baseline (a stationary Gaussian AR(1) is reversible in
    time), each direction and each missing-day pattern from its own stream, so a design's
    diaries do not depend on the other, longer designs of the grid.
    """
    sq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    start, ahead, back, seen_ahead, seen_back = (np.random.default_rng(c) for c in sq.spawn(5))
    weekday0 = int(start.integers(7))
    x0 = start.standard_normal((1, n))
    innovation = math.sqrt(1.0 - design.rho**2)
    paths = []
    for rng, days in ((ahead, max(design.treatment_days) - 1), (back, max(design.baseline_days))):
        z = np.concatenate([x0, innovation * rng.standard_normal((days, n))])
        paths.append(lfilter([1.0], [1.0, -design.rho], z, axis=0))
    noise = design.noise_sd * np.concatenate([paths[1][:0:-1], paths[0]])
    observed = np.concatenate(
        [
            seen_back.random(max(design.baseline_days))[::-1] >= design.missing_share,
            seen_ahead.random(max(design.treatment_days)) >= design.missing_share,
        ]
    )
    return weekday0, noise, observed


def _series(design: StudyDesign, baseline: int, treatment: int, batch) -> tuple:
    """Days, values (n_days, n) and weekdays of one design cut from a batch."""
    weekday0, noise, observed = batch
    offset = max(design.baseline_days) - baseline
    d = np.arange(-baseline, treatment, dtype=float)
    keep = observed[offset : offset + d.size]
    d = d[keep]
    x = noise[offset : offset + keep.size][keep]
    weekday = (weekday0 + d.astype(int)) % 7
    worse = 1.0 if design.better == "lower" else -1.0
    week = np.where(weekday == 0, design.weekly_amplitude, 0.0)
    effect = design.full_effect(treatment) * onset(d, design.tau_days)
    y = design.level + worse * (week[:, None] + x - effect[:, None])
    y = np.clip(np.rint(y), *design.scale) + 0.0
    return d + baseline, y, weekday
