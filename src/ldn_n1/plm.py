"""Piecewise linear regression of one single case, as scan's ``plm()`` computes it.

A port of ``plm()`` from the R package scan 0.67.1 (Wilbert & Lueke): the design of Huitema &
McKean (2000) and its variants, fitted by OLS, by GLS with AR(p) errors (exact ML, as
``nlme::gls(correlation = corARMA(p), method = "ML")``), or as a Poisson or binomial GLM.

Design (``plm_design``), for a case with measurement times ``mt`` and phase labels:

- phase levels are the distinct labels in order of first appearance (A-B-A-B has two levels);
- ``model="W"``: ``mt - mt[0]`` (intercept = level at the first measurement); ``"H-M"`` and
  ``"B&L-B"``: ``mt`` as given; ``"JW"`` = ``"B&L-B"`` with both contrasts ``"preceding"``;
- level dummy ``phase<X>`` for each level but the first: ``contrast_level="first"`` -- 1 on
  rows of X; ``"preceding"`` -- 1 on rows of X and every later level;
- slope dummy ``inter<X>``: the same 0/1 pattern (``contrast_slope``) as a time count: for each
  run of consecutive levels with equal dummy value, over the rows of those levels,
  ``(mt - mt_first) * value`` (``+ 1`` for B&L-B), ``mt_first`` = the run's first row.

Model statistics follow scan: ``F = ((SST - SSE) / df_effect) / (SSE / df_res)``,
``R^2 = 1 - var(resid) / var(y)``, ``delta_r2`` = loss of R^2 when a predictor is dropped and
the model refitted (with the same error structure), ``partial_r2 = t^2 / (t^2 + df_res)``.
Gaussian CIs are ``estimate +- qnorm(0.975) se`` (what R's ``confint`` returns for these fits);
Poisson and binomial CIs are MASS profile-likelihood intervals (:mod:`ldn_n1.glm_profile`).

Validated against every ``plm`` number of ``../shared/validation/scan`` (scan 0.67.1, R 4.2.2;
``tests/reference/test_reference_scan_plm.py``).

References
----------
Huitema, B. E. & McKean, J. W. (2000). Design specification issues in time-series intervention
models. Educational and Psychological Measurement, 60, 38-58.
Beretvas, S. & Chung, H. (2008). An evaluation of modified R2-change effect size indices for
single-subject experimental designs. EBCAI, 2, 120-128.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.diagnostic import acorr_ljungbox

from ldn_n1.describe import r_acf
from ldn_n1.errors import AnalysisError
from ldn_n1.glm_r import profile_confint, r_glm_fit
from ldn_n1.gls_ar import fit_gls_ar

__all__ = ["PlmFit", "plm_design", "scan_plm"]

_MODELS = ("W", "H-M", "B&L-B", "JW")
_CONTRASTS = ("first", "preceding")
_FAMILIES = ("gaussian", "poisson", "binomial")


def _check(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        msg = f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}"
        raise AnalysisError(msg)


def _resolve(model: str, contrast: str, level: str | None, slope: str | None):
    _check("model", model, _MODELS)
    _check("contrast", contrast, _CONTRASTS)
    level = contrast if level is None else level
    slope = contrast if slope is None else slope
    _check("contrast_level", level, _CONTRASTS)
    _check("contrast_slope", slope, _CONTRASTS)
    if model == "JW":
        return "B&L-B", "preceding", "preceding"
    return model, level, slope


def plm_design(
    data: pd.DataFrame,
    *,
    pvar: str = "phase",
    mvar: str = "mt",
    model: str = "W",
    contrast: str = "first",
    contrast_level: str | None = None,
    contrast_slope: str | None = None,
) -> pd.DataFrame:
    """Build scan's piecewise-regression columns for one case.

    Parameters
    ----------
    data : DataFrame
        One case in measurement order, with a phase column and a measurement-time column.
        Not modified.
    pvar, mvar : str
        Names of the phase and measurement-time columns.
    model : {"W", "H-M", "B&L-B", "JW"}
    contrast : {"first", "preceding"}
        Default for both contrasts.
    contrast_level, contrast_slope : {"first", "preceding"}, optional
        Override ``contrast`` for the level or slope dummies (ignored for ``"JW"``).

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``mvar`` (time as used by the model), ``phase<X>`` and
        ``inter<X>`` for every phase level X but the first, in level order.
    """
    model, c_level, c_slope = _resolve(model, contrast, contrast_level, contrast_slope)
    labels = data[pvar].astype(str).to_numpy()
    levels = list(dict.fromkeys(labels))
    if len(levels) < 2:
        msg = f"plm needs at least two phases, found {levels}"
        raise AnalysisError(msg)
    code = np.array([levels.index(lab) for lab in labels])
    mt = data[mvar].to_numpy(dtype=float)
    if model == "W":
        mt = mt - mt[0]
    out = {mvar: mt}
    n_lev = len(levels)
    for j in range(1, n_lev):
        pattern = (code == j) if c_level == "first" else (code >= j)
        out[f"phase{levels[j]}"] = pattern.astype(float)
    add = 1.0 if model == "B&L-B" else 0.0
    for j in range(1, n_lev):
        per_level = np.array(
            [(lv == j) if c_slope == "first" else (lv >= j) for lv in range(n_lev)]
        )
        inter = np.zeros(len(mt))
        start = 0
        while start < n_lev:
            stop = start
            while stop + 1 < n_lev and per_level[stop + 1] == per_level[start]:
                stop += 1
            rows = np.flatnonzero((code >= start) & (code <= stop))
            if per_level[start]:
                inter[rows] = mt[rows] - mt[rows[0]] + add
            start = stop + 1
        out[f"inter{levels[j]}"] = inter
    return pd.DataFrame(out, index=data.index)


@dataclass(frozen=True, eq=False, repr=False)
class PlmFit:
    """A fitted scan-style piecewise regression (:func:`scan_plm`).

    Attributes
    ----------
    model, family : str
        Design model (``"JW"`` is reported as given) and distribution family.
    ar : int
        Autoregressive order of the errors (0 = independent).
    contrast_level, contrast_slope : str
        Contrasts actually used.
    coefficients : DataFrame
        One row per coefficient: ``term`` (design column, ``"(Intercept)"``), ``label``
        (scan's printed label, e.g. ``"Level phase B (phaseB)"``), ``estimate``, ``se``,
        ``statistic`` (t for gaussian, z otherwise), ``p``, ``ci_low``, ``ci_high`` (95%),
        ``delta_r2`` and ``partial_r2`` (gaussian; NaN otherwise or for the intercept).
    statistic_name : str
        ``"t"`` or ``"z"``.
    fit_statistics : dict of str to float
        Gaussian: ``F, df1, df2, p, r2, r2_adj, AIC, n_obs``; Poisson/binomial: ``chi2,
        chi2_df, chi2_p, deviance, null_deviance, AIC, n_obs``; AR fits add ``ar_phi1..``,
        ``sigma, logLik_ML, AIC_ML`` (``AIC`` is NaN for them, as scan reports it).
    residuals : ndarray
        Response residuals of the rows used.
    design : DataFrame
        Response, design columns and covariates of the rows used.
    """

    model: str
    family: str
    ar: int
    contrast_level: str
    contrast_slope: str
    coefficients: pd.DataFrame
    statistic_name: str
    fit_statistics: dict[str, float]
    residuals: np.ndarray
    design: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"PlmFit(model={self.model!r}, family={self.family!r}, AR={self.ar}, "
            f"n_obs={int(self.fit_statistics['n_obs'])}, k={len(self.coefficients)})"
        )

    def residual_checks(self, lag_max: int = 3) -> dict[str, float]:
        """Residual autocorrelations (R ``acf``) and the Ljung-Box test at ``lag_max``.

        As scan reports them for gaussian fits (``acf(residuals)``, ``Box.test(type =
        "Ljung-Box")``). For Poisson/binomial fits the residuals are response residuals
        ``y - mu`` (R's ``residuals.glm`` would give deviance residuals).
        """
        acf = r_acf(self.residuals, lag_max)
        lb = acorr_ljungbox(self.residuals, lags=[lag_max])
        out = {f"acf_lag{k}": float(acf[k - 1]) for k in range(1, lag_max + 1)}
        out["ljung_box_X2"] = float(lb["lb_stat"].iloc[0])
        out["ljung_box_df"] = float(lag_max)
        out["ljung_box_p"] = float(lb["lb_pvalue"].iloc[0])
        return out

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (a copy)."""
        return self.coefficients.copy()


def _label(term: str, mvar: str, levels: Sequence[str]) -> str:
    if term == "(Intercept)":
        return "Intercept"
    if term == mvar:
        return f"Trend ({mvar})"
    for lev in levels:
        if term == f"phase{lev}":
            return f"Level phase {lev} ({term})"
        if term == f"inter{lev}":
            return f"Slope phase {lev} ({term})"
    return term


def _gaussian_r2(y: np.ndarray, resid: np.ndarray) -> float:
    return float(1.0 - np.var(resid, ddof=1) / np.var(y, ddof=1))


def _fit_gaussian(y, x, ar):
    """Estimates, se, residuals, df_res and extras of one gaussian fit (OLS or AR GLS)."""
    k = x.shape[1]
    if ar == 0:
        res = OLS(y, x).fit()
        loglik = float(res.llf)
        extra = {"AIC": -2.0 * loglik + 2.0 * (k + 1)}
        return res.params, res.bse, y - x @ res.params, extra
    g = fit_gls_ar(y, x, ar, method="ML")
    extra = {"AIC": np.nan}
    extra.update({f"ar_phi{i + 1}": float(v) for i, v in enumerate(g.ar)})
    extra.update(
        {"sigma": g.sigma, "logLik_ML": g.loglik, "AIC_ML": -2.0 * g.loglik + 2.0 * (k + 1 + ar)}
    )
    return g.params, g.bse, g.resid, extra


def scan_plm(
    data: pd.DataFrame,
    *,
    dvar: str = "values",
    pvar: str = "phase",
    mvar: str = "mt",
    model: str = "W",
    family: str = "gaussian",
    ar: int = 0,
    trend: bool = True,
    level: bool = True,
    slope: bool = True,
    contrast: str = "first",
    contrast_level: str | None = None,
    contrast_slope: str | None = None,
    covariates: Sequence[str] = (),
    var_trials: str | None = None,
    r_squared: bool = True,
    profile_ci: bool = True,
) -> PlmFit:
    """Piecewise regression of one single case, as scan 0.67.1's ``plm()``.

    Parameters
    ----------
    data : DataFrame
        One case in measurement order. Rows with NaN in the response or a covariate are
        dropped after the design is built (R's ``na.omit``). Not modified.
    dvar, pvar, mvar : str
        Response, phase and measurement-time columns.
    model, contrast, contrast_level, contrast_slope
        Design, see :func:`plm_design`.
    family : {"gaussian", "poisson", "binomial"}
        Binomial: ``dvar`` holds successes, ``var_trials`` the number of trials.
    ar : int, default 0
        AR order of the errors (gaussian only): exact ML GLS (:func:`ldn_n1.gls_ar.fit_gls_ar`).
    trend, level, slope : bool
        Include the time column, the level dummies, the slope dummies.
    covariates : sequence of str
        Further predictor columns appended to the formula (scan's ``update = . ~ . + x``).
    var_trials : str, optional
        Column with the number of trials (binomial).
    r_squared : bool, default True
        Compute ``delta_r2`` by refitting without each predictor (gaussian only).
    profile_ci : bool, default True
        Profile-likelihood CIs for Poisson/binomial fits (set False to skip the refits).

    Returns
    -------
    PlmFit

    Raises
    ------
    AnalysisError
        Unknown option, AR with a non-gaussian family, too few observations.
    """
    _check("family", family, _FAMILIES)
    if ar and family != "gaussian":
        msg = "family is not 'gaussian' but AR is set"
        raise AnalysisError(msg)
    if family == "binomial" and var_trials is None:
        msg = "family is 'binomial' but 'var_trials' is not defined"
        raise AnalysisError(msg)
    design = plm_design(
        data,
        pvar=pvar,
        mvar=mvar,
        model=model,
        contrast=contrast,
        contrast_level=contrast_level,
        contrast_slope=contrast_slope,
    )
    levels = list(dict.fromkeys(data[pvar].astype(str)))
    phase_cols = [f"phase{lev}" for lev in levels[1:]]
    inter_cols = [f"inter{lev}" for lev in levels[1:]]
    terms = (
        ([mvar] if trend else []) + (phase_cols if level else []) + (inter_cols if slope else [])
    )
    terms += list(covariates)
    frame = design.copy()
    for cov in covariates:
        frame[cov] = data[cov].to_numpy(dtype=float)
    frame["__y"] = data[dvar].to_numpy(dtype=float)
    if var_trials is not None:
        frame["__trials"] = data[var_trials].to_numpy(dtype=float)
    frame = frame.dropna(subset=[*terms, "__y"])
    y = frame["__y"].to_numpy()
    x = np.column_stack([np.ones(len(frame)), frame[terms].to_numpy(dtype=float)])
    names = ["(Intercept)", *terms]
    n, k = x.shape
    if n <= k:
        msg = f"{n} observations are too few for {k} coefficients"
        raise AnalysisError(msg)
    _, c_level, c_slope = _resolve(model, contrast, contrast_level, contrast_slope)
    stats_out: dict[str, float] = {}
    delta = np.full(k, np.nan)
    partial = np.full(k, np.nan)
    if family == "gaussian":
        params, bse, resid, extra = _fit_gaussian(y, x, ar)
        df_res = n - k
        statistic = params / bse
        p = 2.0 * stats.t.sf(np.abs(statistic), df_res)
        zq = stats.norm.ppf(0.975)
        ci = np.column_stack([params - zq * bse, params + zq * bse])
        sst = float(np.sum((y - y.mean()) ** 2))
        sse = float(np.sum(resid**2))
        f_value = ((sst - sse) / (k - 1)) / (sse / df_res)
        r2 = _gaussian_r2(y, resid)
        stats_out.update(
            F=f_value,
            df1=float(k - 1),
            df2=float(df_res),
            p=float(stats.f.sf(f_value, k - 1, df_res)),
            r2=r2,
            r2_adj=1.0 - (1.0 - r2) * (n - 1) / df_res,
        )
        if ar == 0:
            partial[1:] = statistic[1:] ** 2 / (statistic[1:] ** 2 + df_res)
        if r_squared:
            for j in range(1, k):
                keep = np.arange(k) != j
                r_resid = _fit_gaussian(y, x[:, keep], ar)[2]
                delta[j] = r2 - _gaussian_r2(y, r_resid)
        stats_out["AIC"] = extra.pop("AIC")
        stats_out["n_obs"] = float(n)
        stats_out.update(extra)
        stat_name = "t"
    else:
        weights = frame["__trials"].to_numpy() if family == "binomial" else None
        response = y if weights is None else y / weights
        res = r_glm_fit(x, response, family, weights=weights)
        params, bse = res.params, res.bse
        statistic = params / bse
        p = 2.0 * stats.norm.sf(np.abs(statistic))
        if profile_ci:
            ci = profile_confint(x, response, family, res, weights=weights)
        else:
            ci = np.full((k, 2), np.nan)
        if family == "poisson":
            loglik = float(np.sum(stats.poisson.logpmf(y, res.mu)))
        else:
            loglik = float(np.sum(stats.binom.logpmf(y, weights, res.mu)))
        resid = response - res.mu
        chi2 = res.null_deviance - res.deviance
        stats_out.update(
            chi2=float(chi2),
            chi2_df=float(k - 1),
            chi2_p=float(stats.chi2.sf(chi2, k - 1)),
            deviance=float(res.deviance),
            null_deviance=float(res.null_deviance),
            AIC=-2.0 * loglik + 2.0 * k,
            n_obs=float(n),
        )
        stat_name = "z"
    coef = pd.DataFrame(
        {
            "term": names,
            "label": [_label(t, mvar, levels) for t in names],
            "estimate": params,
            "se": bse,
            "statistic": statistic,
            "p": p,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "delta_r2": delta,
            "partial_r2": partial,
        }
    )
    used = frame.rename(columns={"__y": dvar, "__trials": var_trials or "trials"})
    return PlmFit(
        model=model,
        family=family,
        ar=ar,
        contrast_level=c_level,
        contrast_slope=c_slope,
        coefficients=coef,
        statistic_name=stat_name,
        fit_statistics=stats_out,
        residuals=np.asarray(resid, dtype=float),
        design=used,
    )
