"""Segmented regression (interrupted time series) of one daily diary outcome.

The frequentist LDN model of ldn_n1: an outcome on the *calendar* day axis (``day`` = days
since the first dose, so missing days keep their true length) regressed on

============== ============================================================================
column         meaning
============== ============================================================================
``intercept``  baseline level, projected to the day of the first dose
``trend``      baseline trend per day (``trend=True``), continued through treatment
``level_first`` level change from the first dose: a step, or the gradual-onset shape
               ``1 - exp(-day / onset_tau)`` (:func:`ldn_n1.features.onset`)
``slope_first`` change of slope from the first dose, ``max(day, 0)`` (``slope_change=True``)
``level_target`` further level change from the first day at the target dose (step or onset)
``slope_target`` further change of slope from the target dose
``wd_mon``..   effect-coded day-of-week terms (``weekday=True``), the intercept stays the
``wd_sat``     mean over a week
============== ============================================================================

The target-dose terms are left out when the target dose starts on the first dose day.
Interruptions (A-B-A-B) are not modelled separately: the treatment terms keep counting from
the first dose and the target start, so off-drug days after an interruption count as treated.

**Errors.** ``"ols"``: independent errors (t intervals). ``"hac"``: OLS estimates with
Newey-West (Bartlett kernel) HAC standard errors from statsmodels (``cov_type="HAC"``,
``use_correction=True``, t intervals with the residual df); ``maxlags`` defaults to 7 days'
worth of rows -- a week, the natural period of diaries -- or ``floor(4 (n/100)^(2/9))`` if
that is larger; HAC works on row order, so a missing day is treated as adjacent.
``"ar1"``: GLS with AR(1) errors in continuous time, ``corr(e_i, e_j) = phi^|day_i - day_j|``,
fitted by exact restricted maximum likelihood with a gap-aware Prais-Winsten transform
(:func:`ldn_n1.gls_ar.fit_gls_ar`; equivalent to ``nlme::gls(correlation = corAR1(form =
~ day), method = "REML")``), t intervals with ``n - k`` df.

**Estimand** (DESIGN section 4). ``improvement`` = mean over every calendar day of the
evaluation window of (counterfactual - fitted), signed so that positive is better, where the
counterfactual is the fitted baseline level and trend continued (all treatment terms zero;
day-of-week terms cancel). It is a linear combination ``c' b`` of the treatment coefficients,
so its standard error is ``sqrt(c' V c)`` with the coefficient covariance ``V`` of the chosen
error model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from ldn_n1.describe import r_acf
from ldn_n1.errors import AnalysisError
from ldn_n1.features import WEEKDAYS, day_numbers, onset, weekday_effects
from ldn_n1.gls_ar import fit_gls_ar
from ldn_n1.phases import Phases

__all__ = ["ItsFit", "default_hac_maxlags", "fit_its", "its_design"]

_ERRORS = ("ols", "hac", "ar1")
_TREATMENT = ("level_first", "slope_first", "level_target", "slope_target")


def default_hac_maxlags(n_obs: int) -> int:
    """Default Newey-West truncation lag: ``max(7, floor(4 (n/100)^(2/9)))``."""
    return max(7, int(np.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0))))


def its_design(
    dates: pd.Series | pd.DatetimeIndex,
    phases: Phases,
    *,
    trend: bool = True,
    slope_change: bool = True,
    weekday: bool = False,
    onset_tau: float | None = None,
) -> pd.DataFrame:
    """Design matrix of the ITS model for the given dates.

    Parameters
    ----------
    dates : Series or DatetimeIndex
        Calendar days (any subset, any order).
    phases : Phases
        From :func:`ldn_n1.phases.derive_phases`: ``first_dose`` and ``target_start`` are used.
    trend, slope_change, weekday, onset_tau
        See :func:`fit_its`.

    Returns
    -------
    DataFrame
        One row per date (default index), the columns of the table in the module docstring.
    """
    day = day_numbers(dates, phases.first_dose)
    target_day = float((phases.target_start - phases.first_dose).days)
    tau = 0.0 if onset_tau is None else float(onset_tau)
    cols: dict[str, np.ndarray] = {"intercept": np.ones(day.size)}
    if trend:
        cols["trend"] = day
    cols["level_first"] = onset(day, tau)
    if slope_change:
        cols["slope_first"] = np.maximum(day, 0.0)
    if target_day > 0:
        cols["level_target"] = onset(day - target_day, tau)
        if slope_change:
            cols["slope_target"] = np.maximum(day - target_day, 0.0)
    if weekday:
        wd = weekday_effects(dates)
        for j, name in enumerate(WEEKDAYS[:6]):
            cols[f"wd_{name}"] = wd[:, j]
    return pd.DataFrame(cols)


@dataclass(frozen=True, eq=False, repr=False)
class ItsFit:
    """A fitted ITS model of one outcome (:func:`fit_its`).

    Attributes
    ----------
    outcome, errors, better : str
    onset_tau : float or None
    coefficients : DataFrame
        ``term, estimate, se, ci_low, ci_high, t, p``: 95% intervals and two-sided p values
        from the t distribution with ``df_resid`` degrees of freedom (every error model).
    series : DataFrame
        One row per calendar day from the first to the last diary day: ``date, day,
        observed`` (NaN where not recorded), ``fitted, counterfactual, in_window``.
    improvement, improvement_se, improvement_low, improvement_high : float
        The estimand (outcome units, positive = better) with its SE and 95% interval.
    n_obs : int
        Rows used in the fit.
    n_excluded : int
        Rows of ``data`` with a missing outcome (excluded).
    n_missing_days : int
        Calendar days between the first and last diary day without a row.
    df_resid : float
    sigma : float
        Residual standard deviation (``errors="ar1"``: the marginal SD of the AR(1) errors,
        as nlme reports ``sigma``; the innovation SD is ``sigma * sqrt(1 - phi^2)``).
    ar1_phi : float
        AR(1) coefficient per day (``errors="ar1"``), else NaN.
    hac_maxlags : int or None
        Newey-West truncation lag used (``errors="hac"``).
    diagnostics : dict of str to float
        ``durbin_watson``, ``ljung_box_7``/``_p``, ``ljung_box_14``/``_p``, ``resid_acf1`` of the
        residuals (OLS/HAC) or of the whitened innovations (AR(1)).
    """

    outcome: str
    errors: str
    better: str
    onset_tau: float | None
    coefficients: pd.DataFrame
    series: pd.DataFrame
    improvement: float
    improvement_se: float
    improvement_low: float
    improvement_high: float
    n_obs: int
    n_excluded: int
    n_missing_days: int
    df_resid: float
    sigma: float
    ar1_phi: float
    hac_maxlags: int | None
    diagnostics: dict[str, float]

    def __repr__(self) -> str:
        return (
            f"ItsFit(outcome={self.outcome!r}, errors={self.errors!r}, "
            f"improvement={self.improvement:.3g} [{self.improvement_low:.3g}, "
            f"{self.improvement_high:.3g}], n_obs={self.n_obs})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (a copy)."""
        return self.coefficients.copy()

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary: estimand, counts, diagnostics and coefficients."""

        def num(v: float) -> float | None:
            return None if v is None or not np.isfinite(v) else float(v)

        return {
            "outcome": self.outcome,
            "errors": self.errors,
            "better": self.better,
            "onset_tau": self.onset_tau,
            "improvement": num(self.improvement),
            "improvement_se": num(self.improvement_se),
            "improvement_low": num(self.improvement_low),
            "improvement_high": num(self.improvement_high),
            "n_obs": self.n_obs,
            "n_excluded": self.n_excluded,
            "n_missing_days": self.n_missing_days,
            "ar1_phi": num(self.ar1_phi),
            "hac_maxlags": self.hac_maxlags,
            "diagnostics": {k: num(v) for k, v in self.diagnostics.items()},
            "coefficients": [
                {k: (num(v) if k != "term" else v) for k, v in row.items()}
                for row in self.coefficients.to_dict("records")
            ],
        }


def _diagnostics(resid: np.ndarray) -> dict[str, float]:
    out = {"durbin_watson": float(durbin_watson(resid)), "resid_acf1": float(r_acf(resid, 1)[0])}
    lags = [lag for lag in (7, 14) if lag < resid.size]
    lb = acorr_ljungbox(resid, lags=lags) if lags else None
    for lag in (7, 14):
        if lb is not None and lag in lb.index:
            out[f"ljung_box_{lag}"] = float(lb.loc[lag, "lb_stat"])
            out[f"ljung_box_{lag}_p"] = float(lb.loc[lag, "lb_pvalue"])
        else:
            out[f"ljung_box_{lag}"] = out[f"ljung_box_{lag}_p"] = np.nan
    return out


def fit_its(
    data: pd.DataFrame,
    outcome: str,
    phases: Phases,
    *,
    trend: bool = True,
    slope_change: bool = True,
    weekday: bool = False,
    errors: str = "ols",
    onset_tau: float | None = None,
    better: str = "lower",
    hac_maxlags: int | None = None,
) -> ItsFit:
    """Fit the interrupted-time-series model to one outcome of one diary.

    Parameters
    ----------
    data : DataFrame
        Columns ``date`` (datetime64) and ``outcome`` (float, NaN = not recorded); days may
        be absent. Not modified.
    outcome : str
        Column to analyse.
    phases : Phases
        From :func:`ldn_n1.phases.derive_phases` on the same diary.
    trend : bool, default True
        Baseline trend (continued in the counterfactual).
    slope_change : bool, default True
        Slope changes at the first dose and at the target dose.
    weekday : bool, default False
        Effect-coded day-of-week terms.
    errors : {"ols", "hac", "ar1"}, default "ols"
        Error model (see the module notes).
    onset_tau : float, optional
        Time constant (days) of a gradual onset replacing the level steps; ``None`` = steps.
    better : {"lower", "higher"}, default "lower"
        Direction of improvement of the outcome.
    hac_maxlags : int, optional
        Newey-West truncation lag; default :func:`default_hac_maxlags`.

    Returns
    -------
    ItsFit

    Raises
    ------
    AnalysisError
        Unknown option, missing column, no baseline or no treatment observations, or a
        design that cannot be estimated (too few rows, collinear columns).

    Examples
    --------
    >>> from ldn_n1.phases import derive_phases
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=70),
    ...                   "dose_mg": [0.0] * 28 + [4.5] * 42})
    >>> d["pain"] = 6.0 - 2.0 * (d["dose_mg"] > 0) + rng.normal(0, 0.5, 70)
    >>> fit = fit_its(d, "pain", derive_phases(d), slope_change=False, errors="ar1")
    >>> fit.improvement_low < 2.0 < fit.improvement_high
    True
    """
    if errors not in _ERRORS:
        msg = f"errors must be one of {_ERRORS}, got {errors!r}"
        raise AnalysisError(msg)
    if better not in ("lower", "higher"):
        msg = f"better must be 'lower' or 'higher', got {better!r}"
        raise AnalysisError(msg)
    if onset_tau is not None and not onset_tau >= 0:
        msg = f"onset_tau must be >= 0 days, got {onset_tau!r}"
        raise AnalysisError(msg)
    for col in ("date", outcome):
        if col not in data.columns:
            msg = f"column {col!r} not found in the diary data"
            raise AnalysisError(msg)
    frame = data[["date", outcome]].sort_values("date")
    if frame["date"].duplicated().any():
        dup = frame.loc[frame["date"].duplicated(), "date"].iloc[0]
        msg = f"{outcome!r}: the diary has more than one row for {pd.Timestamp(dup).date()}"
        raise AnalysisError(msg)
    y_all = frame[outcome].to_numpy(dtype=float)
    keep = ~np.isnan(y_all)
    dates = pd.DatetimeIndex(frame["date"])[keep]
    y = y_all[keep]
    opts = {"trend": trend, "slope_change": slope_change, "weekday": weekday}
    design = its_design(dates, phases, onset_tau=onset_tau, **opts)
    day = day_numbers(dates, phases.first_dose)
    n_base = int(np.sum(day < 0))
    if n_base < (2 if trend else 1) or n_base == y.size:
        msg = (
            f"{outcome!r}: {n_base} recorded baseline days and {y.size - n_base} recorded "
            "treatment days; the model needs both (two baseline days with a trend)"
        )
        raise AnalysisError(msg)
    x = design.to_numpy()
    n, k = x.shape
    if n <= k or np.linalg.matrix_rank(x) < k:
        msg = (
            f"{outcome!r}: {n} recorded days cannot estimate the {k} terms "
            f"{list(design.columns)} (too few days or collinear phases)"
        )
        raise AnalysisError(msg)
    names = list(design.columns)
    phi = np.nan
    used_lags = None
    if errors == "ar1":
        gls = fit_gls_ar(y, x, 1, times=day, method="REML")
        params, cov = gls.params, gls.cov_params
        phi = float(gls.ar[0])
        sigma = gls.sigma
        diag_resid = gls.whitened_resid
    else:
        model = OLS(y, x)
        if errors == "hac":
            used_lags = default_hac_maxlags(n) if hac_maxlags is None else int(hac_maxlags)
            res = model.fit(
                cov_type="HAC",
                cov_kwds={"maxlags": used_lags, "use_correction": True},
                use_t=True,
            )
        else:
            res = model.fit()
        params, cov = res.params, res.cov_params()
        sigma = float(np.sqrt(res.scale))
        diag_resid = res.resid
    df_resid = float(n - k)
    se = np.sqrt(np.diag(cov))
    tq = stats.t.ppf(0.975, df_resid)
    statistic = params / se
    coef = pd.DataFrame(
        {
            "term": names,
            "estimate": params,
            "se": se,
            "ci_low": params - tq * se,
            "ci_high": params + tq * se,
            "t": statistic,
            "p": 2.0 * stats.t.sf(np.abs(statistic), df_resid),
        }
    )
    # Calendar grid: fitted and counterfactual on every day, the estimand over every window day.
    grid = pd.date_range(phases.first_day, phases.last_day, freq="D")
    gx = its_design(grid, phases, onset_tau=onset_tau, **opts)
    treat = np.array([c in _TREATMENT for c in names])
    fitted = gx.to_numpy() @ params
    counterfactual = gx.to_numpy()[:, ~treat] @ params[~treat]
    in_window = np.asarray((grid >= phases.evaluation_start) & (grid <= phases.evaluation_end))
    sign = 1.0 if better == "lower" else -1.0
    c = np.where(treat, -sign * gx.to_numpy()[in_window].mean(axis=0), 0.0)
    improvement = float(c @ params)
    improvement_se = float(np.sqrt(c @ cov @ c))
    observed = pd.Series(y, index=dates).reindex(grid).to_numpy()
    series = pd.DataFrame(
        {
            "date": grid,
            "day": day_numbers(grid, phases.first_dose),
            "observed": observed,
            "fitted": fitted,
            "counterfactual": counterfactual,
            "in_window": in_window,
        }
    )
    recorded_days = pd.DatetimeIndex(frame["date"]).normalize().unique()
    return ItsFit(
        outcome=outcome,
        errors=errors,
        better=better,
        onset_tau=onset_tau,
        coefficients=coef,
        series=series,
        improvement=improvement,
        improvement_se=improvement_se,
        improvement_low=float(improvement - tq * improvement_se),
        improvement_high=float(improvement + tq * improvement_se),
        n_obs=n,
        n_excluded=int(np.sum(~keep)),
        n_missing_days=int(grid.size - grid.isin(recorded_days).sum()),
        df_resid=df_resid,
        sigma=sigma,
        ar1_phi=phi,
        hac_maxlags=used_lags,
        diagnostics=_diagnostics(np.asarray(diag_resid, dtype=float)),
    )
