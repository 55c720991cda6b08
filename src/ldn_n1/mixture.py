"""A finite mixture of Student-t distributions: the posterior of ``improvement``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

__all__ = ["Mixture"]


@dataclass(frozen=True)
class Mixture:
    """A finite mixture of Student-t distributions (the posterior of ``improvement``)."""

    weight: np.ndarray
    loc: np.ndarray
    scale: np.ndarray
    df: np.ndarray

    def sf(self, x: float) -> float:
        """P(improvement >= x)."""
        return float(np.sum(self.weight * special.stdtr(self.df, (self.loc - x) / self.scale)))

    def cdf(self, x: float) -> float:
        """P(improvement <= x); components with weight below 1e-12 are skipped."""
        k = self._active
        return float(self.weight[k] @ special.stdtr(self.df[k], (x - self.loc[k]) / self.scale[k]))

    @property
    def _active(self) -> np.ndarray:
        return self.weight > 1e-12

    @property
    def mean(self) -> float:
        """Posterior mean."""
        return float(np.sum(self.weight * self.loc))

    def ppf(self, q: float) -> float:
        """Quantile, by bracketing root-finding (Brent) on the mixture CDF (to 1e-10)."""
        spread = np.max(self.scale * stats.t.ppf(0.9999, self.df))
        lo, hi = np.min(self.loc) - spread, np.max(self.loc) + spread
        return float(optimize.brentq(lambda x: self.cdf(x) - q, lo, hi, xtol=1e-10))
