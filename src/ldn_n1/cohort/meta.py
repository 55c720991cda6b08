"""Random-effects meta-analysis of the individual improvements of a cohort.

Each analysed patient contributes its estimated ``improvement`` (points, positive = better)
with a standard error taken from its 95% interval, ``SE = (high - low) / (2 * 1.96)``
(the posterior is close to normal; its interval is a t-mixture, so this is an
approximation). The patients' true improvements are modelled as draws from
``N(mu, tau^2)``; :func:`statsmodels.stats.meta_analysis.combine_effects` estimates ``mu``
and the between-patient variance ``tau^2`` (Paule-Mandel by default, DerSimonian-Laird for
comparison).

From that distribution:

- the 95% prediction interval for a new patient's true improvement,
  ``mu +/- t_{0.975, k-2} * sqrt(tau^2 + SE(mu)^2)`` (Higgins, Thompson & Spiegelhalter
  2009; Riley, Higgins & Deeks 2011);
- the share of patients whose true improvement is at least the MCID,
  ``P(N(mu, tau^2) >= MCID) = 1 - Phi((MCID - mu) / tau)`` (a property of the fitted
  distribution, not a count of verdicts; with ``tau = 0`` it is 1 when ``mu >= MCID`` and
  0 otherwise).

Validated against direct ``combine_effects`` calls (tests/test_cohort.py).

References
----------
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand
87:377-385. DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin
Trials 7:177-188. Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of
random-effects meta-analysis. J R Stat Soc A 172:137-159. Riley RD, Higgins JPT, Deeks JJ
(2011). Interpretation of random effects meta-analyses. BMJ 342:d549.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Z_95", "MetaAnalysis", "meta_analyze", "meta_frame", "meta_input"]

#: Normal quantile of a two-sided 95% interval, used to turn intervals into SEs.
Z_95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class MetaAnalysis:
    """Random-effects summary of one outcome's individual improvements.

    Attributes
    ----------
    outcome : str
    method : {"pm", "dl"}
        Estimator of ``tau^2``: Paule-Mandel or DerSimonian-Laird.
    k : int
        Patients included (finite improvement and a positive-width interval).
    mean, se : float
        Pooled (random-effects) mean improvement and its standard error, points.
    ci_low, ci_high : float
        95% confidence interval of the mean (normal).
    tau2 : float
        Between-patient variance of the true improvement, points^2.
    pi_low, pi_high : float
        95% prediction interval of a new patient's true improvement (NaN for k < 3).
    mcid : float
        The outcome's MCID, points.
    share_above_mcid : float
        ``P(N(mean, tau2) >= mcid)``.
    i2 : float
        Share of the total variation due to heterogeneity (Higgins' I^2, truncated at 0).
    q : float
        Cochran's Q.
    """

    outcome: str
    method: str
    k: int
    mean: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    pi_low: float
    pi_high: float
    mcid: float
    share_above_mcid: float
    i2: float
    q: float

    @property
    def tau(self) -> float:
        """Between-patient standard deviation of the true improvement, points."""
        return math.sqrt(self.tau2) if self.tau2 >= 0 else math.nan

    def __repr__(self) -> str:
        return (
            f"MetaAnalysis({self.outcome!r}, {self.method}, k={self.k}, mean={self.mean:.3g} "
            f"[{self.ci_low:.3g}, {self.ci_high:.3g}], tau2={self.tau2:.3g}, "
            f"P(true >= MCID)={self.share_above_mcid:.2f})"
        )


def meta_input(results: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The rows of one outcome that enter the meta-analysis, with their ``se``.

    Parameters
    ----------
    results : DataFrame
        Batch results (columns ``patient_id, outcome, status, improvement,
        improvement_low, improvement_high, mcid``); not modified.
    outcome : str

    Returns
    -------
    DataFrame
        Columns ``patient_id, improvement, se, mcid`` for ``status == "ok"`` rows of the
        outcome with a finite improvement and ``improvement_high > improvement_low``.
    """
    rows = results[(results["outcome"] == outcome) & (results["status"] == "ok")]
    eff = rows["improvement"].to_numpy(dtype=float)
    low = rows["improvement_low"].to_numpy(dtype=float)
    high = rows["improvement_high"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(eff) & np.isfinite(low) & np.isfinite(high) & (high > low)
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].to_numpy()[keep],
            "improvement": eff[keep],
            "se": (high[keep] - low[keep]) / (2.0 * Z_95),
            "mcid": rows["mcid"].to_numpy(dtype=float)[keep],
        }
    )


def meta_analyze(
    effect: np.ndarray,
    se: np.ndarray,
    *,
    mcid: float,
    method: str = "pm",
    outcome: str = "",
) -> MetaAnalysis:
    """Random-effects meta-analysis of individual improvements.

    Parameters
    ----------
    effect : array of float
        Each patient's improvement, points (positive = better).
    se : array of float
        Their standard errors (> 0).
    mcid : float
        Minimal clinically important difference, points.
    method : {"pm", "dl"}, default "pm"
        ``method_re`` of :func:`statsmodels.stats.meta_analysis.combine_effects`.
    outcome : str
        Label kept in the result.

    Returns
    -------
    MetaAnalysis
        With NaN estimates when fewer than 2 patients are given (``tau^2`` needs two).

    Notes
    -----
    The confidence interval of the mean is ``combine_effects(...).conf_int(use_t=False)``
    (normal); the prediction interval uses ``t`` with ``k - 2`` degrees of freedom.
    ``tau^2`` is truncated at 0 (statsmodels' DerSimonian-Laird value is not); the mean is
    then the fixed-effect mean, as the estimator defines it.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    effect = np.asarray(effect, dtype=float)
    se = np.asarray(se, dtype=float)
    k = int(effect.size)
    nan = math.nan
    if k < 2:
        return MetaAnalysis(
            outcome, method, k, nan, nan, nan, nan, nan, nan, nan, mcid, nan, nan, nan
        )
    variance = se**2
    # statsmodels' DerSimonian-Laird tau2 = (Q - df) / C is not truncated at zero; the
    # estimator is max(0, .), and with tau2 = 0 the random-effects mean is the fixed-effect
    # one, so a negative value is replaced by the fixed-effect results (the sqrt of the
    # negative variance it would otherwise take is silenced, its value unused).
    with np.errstate(invalid="ignore"):
        res = combine_effects(effect, variance, method_re=method, use_t=False)
        cis = res.conf_int(alpha=0.05, use_t=False)
    if float(res.tau2) > 0:
        tau2, mean, sd_mean, ci = float(res.tau2), res.mean_effect_re, res.sd_eff_w_re, cis[1]
    else:
        tau2, mean, sd_mean, ci = 0.0, res.mean_effect_fe, res.sd_eff_w_fe, cis[0]
    mean, sd_mean = float(mean), float(sd_mean)
    if k >= 3:
        half = float(stats.t.ppf(0.975, k - 2)) * math.sqrt(tau2 + sd_mean**2)
        pi_low, pi_high = mean - half, mean + half
    else:
        pi_low = pi_high = nan
    if tau2 > 0:
        share = float(stats.norm.sf(mcid, loc=mean, scale=math.sqrt(tau2)))
    else:
        share = 1.0 if mean >= mcid else 0.0
    return MetaAnalysis(
        outcome=outcome,
        method=method,
        k=k,
        mean=mean,
        se=sd_mean,
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        tau2=tau2,
        pi_low=pi_low,
        pi_high=pi_high,
        mcid=float(mcid),
        share_above_mcid=share,
        i2=max(float(res.i2), 0.0),
        q=float(res.q),
    )


def meta_frame(results: pd.DataFrame, methods: tuple[str, ...] = ("pm", "dl")) -> pd.DataFrame:
    """Meta-analyses of every outcome of batch results, one row per outcome and method.

    Parameters
    ----------
    results : DataFrame
        Batch results (see :func:`meta_input`); not modified.
    methods : tuple of str
        ``tau^2`` estimators, default Paule-Mandel then DerSimonian-Laird.

    Returns
    -------
    DataFrame
        The fields of :class:`MetaAnalysis` (plus ``tau``), outcomes in order of first
        appearance. The MCID is the outcome's median ``mcid`` (the plan gives one value).
    """
    ok = results[results["status"] == "ok"]
    rows = []
    for outcome in pd.unique(ok["outcome"].dropna()):
        data = meta_input(results, outcome)
        mcids = ok.loc[ok["outcome"] == outcome, "mcid"].to_numpy(dtype=float)
        mcid = float(np.median(mcids)) if mcids.size else math.nan
        for method in methods:
            m = meta_analyze(
                data["improvement"].to_numpy(),
                data["se"].to_numpy(),
                mcid=mcid,
                method=method,
                outcome=str(outcome),
            )
            row = {f: getattr(m, f) for f in m.__dataclass_fields__}
            row["tau"] = m.tau
            rows.append(row)
    columns = [*MetaAnalysis.__dataclass_fields__, "tau"]
    return pd.DataFrame(rows, columns=columns)
