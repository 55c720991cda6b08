"""The result of a gradual effects model fit: :class:`GemFit` (:func:`ldn_n1.gem.fit_gem`).

Frozen estimates, covariances and the series they were fitted to, with the derived
quantities (standard errors, equilibrium effect, half-effect days), the fitted and
counterfactual series, a tidy table and a JSON-safe dictionary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_n1.gem_math import _FAMILIES, _onset_scale, gem_covariate, half_effect_days

__all__ = ["GemFit"]


@dataclass(frozen=True, eq=False, repr=False)
class GemFit:
    """Result of :func:`fit_gem`.

    Attributes
    ----------
    family, link : str
        GLM family and its (canonical) link.
    m : float
        Treated days ``beta1`` refers to.
    omega : float
        Geometric onset rate (profile-deviance estimate, or the value fixed).
    beta0, beta1 : float
        Baseline level and effect after ``m`` treated days, on the link scale (identity:
        outcome units; log: log ratio; logit: log odds ratio).
    vcov_glm : numpy.ndarray
        2x2 covariance of ``(beta0, beta1)`` with ``omega`` treated as known.
    vcov_delta : numpy.ndarray
        3x3 delta-method covariance of ``(beta0, beta1, omega)`` (NaN when singular).
    deviance, dispersion : float
        GLM deviance; dispersion (1 for poisson and binomial, else Pearson X2 / (n_obs - 2)).
    n_obs, n_missing, n_gaps : int
        Outcomes used; rows given with a NaN outcome; time points absent from ``time``.
        ``n_missing + n_gaps`` days were left out of the likelihood.
    omega_bounds : (float, float)
        Range searched (both equal to ``omega`` when it was fixed).
    deviance_evaluations : int
        GLM fits made by the search.
    profile_omega, profile_deviance : numpy.ndarray
        Grid of the global search and the profile deviance on it.
    time, treatment, outcome, trials : numpy.ndarray
        The series on the full time grid (outcome NaN where excluded).
    """

    family: str
    link: str
    m: float
    omega: float
    beta0: float
    beta1: float
    vcov_glm: np.ndarray
    vcov_delta: np.ndarray
    deviance: float
    dispersion: float
    n_obs: int
    n_missing: int
    n_gaps: int
    omega_bounds: tuple[float, float]
    deviance_evaluations: int
    profile_omega: np.ndarray
    profile_deviance: np.ndarray
    time: np.ndarray
    treatment: np.ndarray
    outcome: np.ndarray
    trials: np.ndarray | None

    @property
    def se_beta0_glm(self) -> float:
        """Standard error of ``beta0`` with ``omega`` known (``summary(glm)``)."""
        return float(np.sqrt(self.vcov_glm[0, 0]))

    @property
    def se_beta1_glm(self) -> float:
        """Standard error of ``beta1`` with ``omega`` known."""
        return float(np.sqrt(self.vcov_glm[1, 1]))

    @property
    def se_beta0_delta(self) -> float:
        """Delta-method standard error of ``beta0``."""
        return float(np.sqrt(self.vcov_delta[0, 0]))

    @property
    def se_beta1_delta(self) -> float:
        """Delta-method standard error of ``beta1``."""
        return float(np.sqrt(self.vcov_delta[1, 1]))

    @property
    def se_omega_delta(self) -> float:
        """Delta-method standard error of ``omega`` (meaningless at a bound)."""
        return float(np.sqrt(self.vcov_delta[2, 2]))

    @property
    def n_excluded(self) -> int:
        """Days on the time grid left out of the likelihood (no outcome)."""
        return self.n_missing + self.n_gaps

    @property
    def omega_at_bound(self) -> bool:
        """Whether ``omega`` lies within 1e-6 of a bound of the search."""
        lo, hi = self.omega_bounds
        return lo != hi and min(self.omega - lo, hi - self.omega) < 1e-6

    @property
    def equilibrium_effect(self) -> float:
        """Full effect under continuous treatment, ``beta1 / (1 - omega**m)``."""
        g, _ = _onset_scale(self.omega, self.m)
        if self.omega < 1.0:
            return self.beta1 * g / (1.0 - self.omega)
        return math.copysign(math.inf, self.beta1) if self.beta1 != 0 else 0.0

    @property
    def half_effect_days(self) -> float:
        """Treated days to half of the full effect, ``log(2) / -log(omega)``."""
        return half_effect_days(self.omega)

    def series(self) -> pd.DataFrame:
        """Fitted and counterfactual series on the full time grid.

        Returns
        -------
        pandas.DataFrame
            ``time, treatment, outcome`` (NaN where excluded), ``excluded`` (bool),
            ``covariate`` (``f``), ``fitted`` (mean under treatment as given),
            ``counterfactual`` (mean had treatment never started, ``g^-1(beta0)``) and
            ``effect`` (``fitted - counterfactual``), on the outcome's scale (successes
            when ``trials`` were given).
        """
        f, _ = gem_covariate(self.omega, self.treatment, self.m)
        inv = _FAMILIES[self.family][1]().link.inverse
        fitted = inv(self.beta0 + self.beta1 * f)
        counter = np.broadcast_to(inv(np.array([self.beta0]))[0], f.shape).copy()
        if self.trials is not None:
            fitted, counter = fitted * self.trials, counter * self.trials
        return pd.DataFrame(
            {
                "time": self.time,
                "treatment": self.treatment,
                "outcome": self.outcome,
                "excluded": ~np.isfinite(self.outcome),
                "covariate": f,
                "fitted": fitted,
                "counterfactual": counter,
                "effect": fitted - counter,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``parameter, estimate, se_glm, se_delta`` for beta0, beta1, omega."""
        return pd.DataFrame(
            {
                "parameter": ["beta0", "beta1", "omega"],
                "estimate": [self.beta0, self.beta1, self.omega],
                "se_glm": [self.se_beta0_glm, self.se_beta1_glm, np.nan],
                "se_delta": [self.se_beta0_delta, self.se_beta1_delta, self.se_omega_delta],
            }
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary (non-finite numbers become None)."""

        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        keys = [
            "omega",
            "beta0",
            "beta1",
            "se_beta0_glm",
            "se_beta1_glm",
            "se_beta0_delta",
            "se_beta1_delta",
            "se_omega_delta",
            "deviance",
            "dispersion",
            "equilibrium_effect",
            "half_effect_days",
        ]
        out: dict[str, object] = {"family": self.family, "link": self.link, "m": num(self.m)}
        out.update({k: num(getattr(self, k)) for k in keys})
        out.update(n_obs=self.n_obs, n_missing=self.n_missing, n_gaps=self.n_gaps)
        return out

    def __repr__(self) -> str:
        """One line: family, omega, effect and its delta-method SE, data used."""
        return (
            f"GemFit({self.family}, omega={self.omega:.4g}, beta1={self.beta1:.4g} "
            f"(se {self.se_beta1_delta:.3g}), m={self.m:g}, n_obs={self.n_obs}, "
            f"excluded={self.n_excluded})"
        )
