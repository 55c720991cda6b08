"""Building blocks of the gradual effects model (:mod:`ldn_n1.gem`).

The GLM families with their canonical links, the gradual-onset covariate ``f(omega; m)`` and
its exact derivative in ``omega`` (with the onset scale ``g = (1 - omega) / (1 - omega**m)``),
the treated days to a share of the full effect, and the positive-definite inverse used for
the "glm" and delta-method covariances. Shared by the fit (:mod:`ldn_n1.gem`) and its result
(:mod:`ldn_n1.gem_result`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.signal import lfilter
from statsmodels.genmod.families.family import Binomial, Family, Gaussian, Poisson

from ldn_n1.errors import AnalysisError

__all__ = ["days_to_effect_fraction", "gem_covariate", "half_effect_days"]

# family name -> (link name, statsmodels family, scale passed to GLM.fit)
_FAMILIES: dict[str, tuple[str, type[Family], float | str]] = {
    "gaussian": ("identity", Gaussian, "X2"),
    "poisson": ("log", Poisson, 1.0),
    "quasipoisson": ("log", Poisson, "X2"),
    "binomial": ("logit", Binomial, 1.0),
    "quasibinomial": ("logit", Binomial, "X2"),
}
_SERIES_CUTOFF = 1e-4  # below this 1 - omega, g(omega) and g'(omega) use their Taylor series


def _onset_scale(omega: float, m: float) -> tuple[float, float]:
    """Return ``g = (1 - omega) / (1 - omega**m)`` and ``dg/domega`` (exact at 0 and 1)."""
    u = 1.0 - omega
    if u < _SERIES_CUTOFF:  # removes the 0/0 at omega = 1 and the cancellation next to it
        c1, c2 = (m - 1.0) / 2.0, (m * m - 1.0) / 12.0
        g = (1.0 + u * (c1 + u * (c2 + u * c2 / 2.0))) / m
        dg = -(c1 + u * (2.0 * c2 + u * 1.5 * c2)) / m
        return g, dg
    if omega == 0.0:
        d, power = 1.0, (0.0 if m > 1 else 1.0 if m == 1 else math.inf)
    else:
        d, power = -math.expm1(m * math.log(omega)), omega ** (m - 1.0)
    return u / d, (-d + u * m * power) / (d * d)


def gem_covariate(
    omega: float, treatment: Sequence[float] | np.ndarray, m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gradual-onset covariate ``f(omega; m)`` and its derivative in ``omega``.

    Parameters
    ----------
    omega : float
        Geometric rate, ``0 <= omega <= 1`` (0: immediate step; 1: linear ramp, the limit).
    treatment : array_like
        Treatment on consecutive time points (0/1; other values act as a dose).
    m : float
        Number of treated time points the effect ``beta1`` refers to (``m > 0``).

    Returns
    -------
    f, df : numpy.ndarray
        ``f_t = g(omega) * S_t`` with ``S_t = sum_{s <= t} omega**(t - s) * treatment_s`` and
        ``g = (1 - omega) / (1 - omega**m)``, and ``df/domega = g' S + g S'`` with
        ``S'_t = sum_{s < t} (t - s) omega**(t - s - 1) treatment_s``.

    Notes
    -----
    ``S`` and ``S'`` are computed by the recursions ``S_t = omega S_{t-1} + treatment_t`` and
    ``S'_t = omega S'_{t-1} + S_{t-1}`` (``scipy.signal.lfilter``). The derivative includes
    the term of the first time point, which ``gem_scd``'s ``D_linear_predictor_obs`` omits
    when the series starts treated. Checked against exact rational arithmetic in the tests.
    """
    trt = np.asarray(treatment, dtype=float)
    s = lfilter([1.0], [1.0, -omega], trt)
    ds = lfilter([0.0, 1.0], [1.0, -omega], s)
    g, dg = _onset_scale(float(omega), float(m))
    return g * s, dg * s + g * ds


def days_to_effect_fraction(omega: float, fraction: float = 0.5) -> float:
    """Treated days until the effect reaches ``fraction`` of its full (equilibrium) size.

    Under continuous treatment the covariate after ``k`` treated days is
    ``(1 - omega**k) / (1 - omega**m)``, a share ``1 - omega**k`` of its limit, so the
    answer is ``k = log(1 - fraction) / log(omega)`` (continuous; the first treated day is
    ``k = 1``). It does not depend on ``m``.

    Parameters
    ----------
    omega : float
        Geometric rate of the gradual effects model, ``0 <= omega <= 1``.
    fraction : float, default 0.5
        Share of the full effect, ``0 < fraction < 1``.

    Returns
    -------
    float
        Days (time units of the fit); 0 for ``omega = 0``, ``inf`` for ``omega = 1``.

    Examples
    --------
    >>> round(days_to_effect_fraction(0.5), 6)
    1.0
    >>> round(days_to_effect_fraction(0.9, 0.9), 3)
    21.854
    """
    if not 0.0 <= omega <= 1.0 or not 0.0 < fraction < 1.0:
        msg = f"need 0 <= omega <= 1 and 0 < fraction < 1, got omega={omega}, {fraction=}"
        raise AnalysisError(msg)
    if omega == 0.0:
        return 0.0
    if omega == 1.0:
        return math.inf
    return math.log1p(-fraction) / math.log(omega)


def half_effect_days(omega: float) -> float:
    """Treated days to half of the full effect: ``log(2) / -log(omega)``.

    The "half-life" of the onset: after ``k`` continuously treated days the gradual
    effects model has reached ``1 - omega**k`` of its equilibrium effect
    ``beta1 / (1 - omega**m)`` (``gem_scd``'s parameterisation; see
    :func:`days_to_effect_fraction`).

    Examples
    --------
    >>> round(half_effect_days(0.5 ** (1 / 7)), 6)
    7.0
    """
    return days_to_effect_fraction(omega, 0.5)


def _inverse_pd(a: np.ndarray) -> np.ndarray:
    try:
        return cho_solve(cho_factor(a), np.eye(a.shape[0]))
    except (LinAlgError, ValueError):
        return np.full(a.shape, np.nan)
