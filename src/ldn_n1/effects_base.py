"""Result type and shared numerics of the single-case effect sizes.

:class:`EffectSize` is what every function in :mod:`ldn_n1.effects` returns. The private
helpers here reproduce the arithmetic of R where the reference package (SingleCaseES 0.7.4)
depends on it to the last digit:

- :func:`r_mean`, :func:`r_var`, :func:`r_median`: R's ``mean()`` (extended-precision sum
  with a second, correcting pass), ``var()`` and ``median()`` (mean of the two middle
  values). A plain double-precision mean can turn a constant series into a tiny non-zero
  variance, which changes an SMD from ``Inf`` to a huge finite number.
- :func:`r_zeroin`: R's ``uniroot()`` (Brent's ``zeroin`` as in ``R_zeroin2``), with R's
  default tolerance ``.Machine$double.eps^0.25``; the Newcombe confidence limits of NAP,
  Tau and Tau-BC are its approximate roots, not the exact ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from ldn_n1.errors import AnalysisError, PlanError

__all__ = ["EffectSize"]

NAN = float("nan")
_EPS = float(np.finfo(float).eps)
#: R's default ``uniroot`` tolerance, ``.Machine$double.eps^0.25`` (= 2**-13).
R_UNIROOT_TOL = _EPS**0.25
IMPROVEMENTS = ("increase", "decrease")


@dataclass(frozen=True)
class EffectSize:
    """One effect size of a baseline (A) versus treatment (B) comparison.

    Attributes
    ----------
    measure : str
        Name as SingleCaseES labels it: ``"NAP"``, ``"Tau"``, ``"Tau-U"``, ``"Tau-BC"``,
        ``"PND"``, ``"PEM"``, ``"PAND"``, ``"IRD"``, ``"SMD"``, ``"LRRd"``, ``"LRRi"``,
        ``"Pct_Change_d"``, ``"Pct_Change_i"``, ``"LOR"``, ``"LRM"`` or ``"PoGO"``.
    estimate : float
        Point estimate (oriented so that larger means improvement, except LRRd and
        Pct_Change_d, where negative means improvement).
    se : float
        Standard error; NaN where the method defines none (PND, PEM, PAND, IRD, Tau-U,
        Pct_Change) or where it is undefined for the data (e.g. a phase of 1 observation).
    ci_low, ci_high : float
        Confidence limits at ``confidence``; NaN where the method defines none.
    variant : str
        The options that define the variant, e.g. ``"SE=unbiased"`` or
        ``"std_dev=baseline; bias_correct=True"``.
    confidence : float
        Confidence level of the interval (NaN for measures without one).
    improvement : str or None
        ``"increase"`` or ``"decrease"``: the direction of improvement used (None for PoGO,
        whose direction is set by the goal).
    n_a, n_b : int
        Number of baseline and treatment observations used (missing values dropped).
    notes : tuple of str
        Conditions SingleCaseES warns about (a phase with fewer than 2 observations, no
        variation, a scale LOR cannot use, a non-significant baseline trend, ...).
    details : tuple of (str, float)
        Extra numbers the reference reports: ``baseline_sd`` / ``pooled_sd`` (SMD),
        ``trunc_const`` (NAP, Tau, Tau-BC), ``slope``, ``intercept``, ``pval_slope_a``
        (Tau-BC), ``d_const`` (LRR, LOR). Read one with :meth:`detail`.
    """

    measure: str
    estimate: float
    se: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    variant: str = ""
    confidence: float = NAN
    improvement: str | None = None
    n_a: int = 0
    n_b: int = 0
    notes: tuple[str, ...] = ()
    details: tuple[tuple[str, float], ...] = ()

    def detail(self, name: str, default: float = NAN) -> float:
        """Return the extra number ``name`` from :attr:`details` (``default`` if absent)."""
        for key, value in self.details:
            if key == name:
                return value
        return default

    def __repr__(self) -> str:
        parts = [f"{self.measure}={self.estimate:.4g}"]
        if not math.isnan(self.se):
            parts.append(f"se={self.se:.3g}")
        if not (math.isnan(self.ci_low) and math.isnan(self.ci_high)):
            parts.append(f"{self.confidence:.0%} CI [{self.ci_low:.4g}, {self.ci_high:.4g}]")
        if self.variant:
            parts.append(f"({self.variant})")
        parts.append(f"n_a={self.n_a}, n_b={self.n_b}")
        return f"EffectSize({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict: NaN becomes None, +-inf the strings ``"inf"``/``"-inf"``."""
        out: dict[str, Any] = {
            "measure": self.measure,
            "estimate": _json_number(self.estimate),
            "se": _json_number(self.se),
            "ci_low": _json_number(self.ci_low),
            "ci_high": _json_number(self.ci_high),
            "variant": self.variant,
            "confidence": _json_number(self.confidence),
            "improvement": self.improvement,
            "n_a": self.n_a,
            "n_b": self.n_b,
            "notes": list(self.notes),
        }
        out["details"] = {key: _json_number(value) for key, value in self.details}
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row tidy DataFrame (columns as :func:`ldn_n1.effects.calc_effect_sizes`)."""
        return pd.DataFrame([self._row()])

    def _row(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "variant": self.variant,
            "n_a": self.n_a,
            "n_b": self.n_b,
            "notes": "; ".join(self.notes),
        }


def _json_number(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)


# ---------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------


def clean_phase(values: npt.ArrayLike, label: str) -> np.ndarray:
    """Return the finite values of one phase as float64, missing values (NaN/NA) dropped.

    Raises
    ------
    AnalysisError
        If the phase is not one-dimensional, holds an infinite value, or has no values.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.array(values, dtype=float)
    if arr.ndim != 1:
        msg = (
            f"phase {label}: expected a one-dimensional sequence of numbers, got shape {arr.shape}"
        )
        raise AnalysisError(msg)
    arr = arr[~np.isnan(arr)]
    if np.isinf(arr).any():
        msg = f"phase {label}: got an infinite value, expected finite numbers"
        raise AnalysisError(msg)
    if arr.size == 0:
        msg = f"phase {label} has no observations (after dropping missing values)"
        raise AnalysisError(msg)
    return arr


def check_improvement(improvement: str) -> str:
    """Validate the direction of improvement."""
    if improvement not in IMPROVEMENTS:
        msg = f"improvement: got {improvement!r}, expected 'increase' or 'decrease'"
        raise PlanError(msg)
    return improvement


def check_confidence(confidence: float) -> float:
    """Validate a confidence level (strictly between 0 and 1)."""
    conf = float(confidence)
    if not 0.0 < conf < 1.0:
        msg = f"confidence: got {confidence!r}, expected a number strictly between 0 and 1"
        raise PlanError(msg)
    return conf


def oriented(a: np.ndarray, b: np.ndarray, improvement: str) -> tuple[np.ndarray, np.ndarray]:
    """Negate both phases for ``improvement="decrease"`` (as SingleCaseES does)."""
    if check_improvement(improvement) == "decrease":
        return -a, -b
    return a, b


def oriented_phases(
    a: npt.ArrayLike, b: npt.ArrayLike, improvement: str
) -> tuple[np.ndarray, np.ndarray]:
    """Clean phase A, then phase B (:func:`clean_phase`), then orient both (:func:`oriented`)."""
    return oriented(clean_phase(a, "A"), clean_phase(b, "B"), improvement)


def short_phase_note(n_a: int, n_b: int) -> tuple[str, ...]:
    """SingleCaseES's warning for a phase with fewer than 2 observations."""
    short = [label for label, k in (("A", n_a), ("B", n_b)) if k < 2]
    if not short:
        return ()
    if len(short) == 2:
        return ("A, B phases contain less than 2 observations.",)
    return (f"{short[0]} phase contains less than 2 observations.",)


# ---------------------------------------------------------------------------------------
# R arithmetic
# ---------------------------------------------------------------------------------------


def r_mean(x: np.ndarray) -> float:
    """R's ``mean()``: extended-precision sum, then a correcting second pass."""
    ld = np.longdouble
    n = len(x)
    total = ld(0.0)
    for v in x:
        total += ld(v)
    s = total / ld(n)
    if np.isfinite(s):
        t = ld(0.0)
        for v in x:
            t += ld(v) - s
        s = s + t / ld(n)
    return float(s)


def r_var(x: np.ndarray) -> float:
    """R's ``var()`` (``n - 1`` denominator); NaN (R's NA) for fewer than 2 values."""
    n = len(x)
    if n < 2:
        return NAN
    xm = r_mean(x)
    total = np.longdouble(0.0)
    for v in x:
        d = float(v) - xm
        total += np.longdouble(d * d)
    return float(total / np.longdouble(n - 1))


def r_median(x: np.ndarray) -> float:
    """R's ``median()``: middle value, or R's mean of the two middle values."""
    y = np.sort(x)
    n = len(y)
    half = n // 2
    if n % 2 == 1:
        return float(y[half])
    return r_mean(y[half - 1 : half + 1])


def r_sum(values: npt.ArrayLike) -> float:
    """R's ``sum()`` of doubles (extended-precision accumulation); NaN/inf propagate."""
    total = np.longdouble(0.0)
    for v in np.asarray(values, dtype=float):
        total += np.longdouble(v)
    return float(total)


def z_value(confidence: float) -> float:
    """``qnorm(1 - (1 - confidence) / 2)``."""
    return float(special.ndtri(1.0 - (1.0 - confidence) / 2.0))


def wald(estimate: float, se: float, confidence: float) -> tuple[float, float]:
    """Wald limits ``estimate -/+ z * se`` (never truncated; NaN/inf propagate)."""
    z = z_value(confidence)
    with np.errstate(all="ignore"):
        half = np.float64(z) * np.float64(se)
        return float(np.float64(estimate) - half), float(np.float64(estimate) + half)


def wald_parts(estimate: float, se: float, confidence: float) -> tuple[float, float, float, float]:
    """Return ``(estimate, se, ci_low, ci_high)`` as floats, with :func:`wald` limits."""
    est, s = float(estimate), float(se)
    lo, hi = wald(est, s, confidence)
    return est, s, lo, hi


def make_result(
    measure: str,
    parts: tuple[float, float, float, float],
    confidence: float,
    *,
    variant: str,
    improvement: str | None,
    n_a: int,
    n_b: int,
    notes: tuple[str, ...] = (),
    details: tuple[tuple[str, float], ...] = (),
) -> EffectSize:
    """Return the :class:`EffectSize` of ``parts = (estimate, se, ci_low, ci_high)``."""
    estimate, se, ci_low, ci_high = parts
    return EffectSize(
        measure=measure,
        estimate=estimate,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        variant=variant,
        confidence=confidence,
        improvement=improvement,
        n_a=n_a,
        n_b=n_b,
        notes=notes,
        details=details,
    )


def r_zeroin(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    tol: float = R_UNIROOT_TOL,
    maxiter: int = 1000,
) -> float:
    """Return the root R's ``uniroot(f, c(lower, upper))`` returns.

    A step-for-step port of Brent's ``zeroin`` as in R's ``R_zeroin2``
    (``src/library/stats/src/zeroin.c``): ``f(lower)`` and ``f(upper)`` are evaluated first
    and an endpoint where ``f`` is exactly 0 is returned at once; the search stops when
    ``|c - b| / 2 <= 2 * DBL_EPSILON * |b| + tol / 2``.

    Parameters
    ----------
    f : callable
        Function of one float; ``f(lower)`` and ``f(upper)`` must not have the same sign.
    lower, upper : float
        The bracket.
    tol : float, default ``.Machine$double.eps^0.25``
        R's ``tol``.
    maxiter : int, default 1000
        R's ``maxiter``.

    Returns
    -------
    float
        The approximate root (within about ``tol / 2`` of the true one).
    """
    a, b = float(lower), float(upper)
    fa, fb = f(a), f(b)
    if fa * fb > 0:
        msg = "r_zeroin: f(lower) and f(upper) have the same sign"
        raise AnalysisError(msg)
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * _EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b
