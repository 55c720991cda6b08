"""Descriptive statistics, autocorrelations and phase trends of one case, as scan reports them.

Ports of scan 0.67.1's ``describe()``, ``autocorr()`` and ``trend()`` (Wilbert & Lueke), with
tidy DataFrames as output. Phases are *runs* of equal consecutive labels (an A-B-A-B case has
four), named as scan names them: ``describe`` renames a recurring label ``A(1)``, ``A(2)``;
``autocorr`` appends ``_phase<k>`` and ``trend`` ``.phase<k>`` to the k-th run when its label
already occurred.

Validated against every ``describe``/``autocorr``/``trend`` number of
``../shared/validation/scan`` (``tests/reference/test_reference_scan_describe.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["r_acf", "scan_autocorr", "scan_describe", "scan_trend"]


def r_acf(x: np.ndarray, lag_max: int) -> np.ndarray:
    """Autocorrelations at lags 1..``lag_max``, exactly as R's ``acf(na.action = na.pass)``.

    Parameters
    ----------
    x : array
        Series; NaN = missing.
    lag_max : int

    Returns
    -------
    ndarray, shape (lag_max,)

    Notes
    -----
    The series is centred on the mean of its observed values; the autocovariance at lag k
    is the sum of products over the pairs with both values observed divided by (number of such
    pairs + k) -- n for a complete series, the usual biased estimator -- and the ratios are
    clipped to [-1, 1]. A constant series gives NaN (0 / 0), as in R.

    Examples
    --------
    >>> r_acf(np.array([1.0, 2.0, 3.0, 4.0]), 2).round(4).tolist()
    [0.25, -0.3]
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    xc = np.where(ok, x - (x[ok].mean() if ok.any() else 0.0), 0.0)
    cov = np.full(lag_max + 1, np.nan)
    for lag in range(lag_max + 1):
        both = ok[lag:] & ok[: x.size - lag]
        nu = int(both.sum())
        if nu > 0:
            cov[lag] = float(np.sum(xc[lag:] * xc[: x.size - lag])) / (nu + lag)
    with np.errstate(divide="ignore", invalid="ignore"):
        acf = cov[1:] / cov[0]
    return np.where(np.isnan(acf), np.nan, np.clip(acf, -1.0, 1.0))


def _runs(labels: np.ndarray) -> list[tuple[str, int, int]]:
    """(label, start, stop) of each run of equal labels; stop exclusive."""
    out = []
    start = 0
    for i in range(1, labels.size + 1):
        if i == labels.size or labels[i] != labels[start]:
            out.append((str(labels[start]), start, i))
            start = i
    return out


def _dedupe(names: list[str], sep: str) -> list[str]:
    """scan's loop: rename the first duplicated run name to ``name + sep + position``."""
    names = list(names)
    while True:
        dup = next((i for i, v in enumerate(names) if v in names[:i]), None)
        if dup is None:
            return names
        names[dup] = f"{names[dup]}{sep}{dup + 1}"


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of ``lm(y ~ x)`` on the complete pairs."""
    xm, ym = x.mean(), y.mean()
    sxx = float(np.sum((x - xm) ** 2))
    b = float(np.sum((x - xm) * (y - ym))) / sxx
    return ym - b * xm, b


def scan_describe(
    data: pd.DataFrame, *, dvar: str = "values", pvar: str = "phase", mvar: str = "mt"
) -> pd.DataFrame:
    """Descriptive statistics per phase, as scan's ``describe()``.

    Parameters
    ----------
    data : DataFrame
        One case in measurement order. Not modified.
    dvar, pvar, mvar : str
        Value, phase and measurement-time columns.

    Returns
    -------
    DataFrame
        One row per phase run: ``phase`` (recurring labels as ``A(1)``, ``A(2)``), ``n`` (rows,
        missing included), ``mis`` (missing values), ``m``, ``md`` (median), ``sd`` (n - 1),
        ``mad`` (``1.4826 * median |x - median|``), ``min``, ``max`` over the observed values,
        and ``trend``: the OLS slope of the values on ``mt`` within the phase (NaN with fewer
        than two observed values).
    """
    labels = data[pvar].astype(str).to_numpy()
    runs = _runs(labels)
    counts = pd.Series([r[0] for r in runs]).value_counts()
    seen: dict[str, int] = {}
    rows = []
    y_all = data[dvar].to_numpy(dtype=float)
    x_all = data[mvar].to_numpy(dtype=float)
    for label, start, stop in runs:
        name = label
        if counts[label] > 1:
            seen[label] = seen.get(label, 0) + 1
            name = f"{label}({seen[label]})"
        y = y_all[start:stop]
        x = x_all[start:stop]
        ok = ~np.isnan(y)
        obs = y[ok]
        row = {"phase": name, "n": float(y.size), "mis": float(y.size - obs.size)}
        stat_names = ("m", "md", "sd", "mad", "min", "max", "trend")
        row.update(dict.fromkeys(stat_names, np.nan))
        if obs.size:
            med = float(np.median(obs))
            row.update(
                m=float(obs.mean()),
                md=med,
                sd=float(obs.std(ddof=1)) if obs.size > 1 else np.nan,
                mad=1.4826 * float(np.median(np.abs(obs - med))),
                min=float(obs.min()),
                max=float(obs.max()),
            )
        if obs.size >= 2:
            row["trend"] = _ols(x[ok] - x[0] + 1.0, obs)[1]
        rows.append(row)
    return pd.DataFrame(rows)


def scan_autocorr(
    data: pd.DataFrame, *, dvar: str = "values", pvar: str = "phase", lag_max: int = 3
) -> pd.DataFrame:
    """Autocorrelations within each phase and over the whole case, as scan's ``autocorr()``.

    Parameters
    ----------
    data : DataFrame
        One case in measurement order. Not modified.
    dvar, pvar : str
        Value and phase columns.
    lag_max : int, default 3

    Returns
    -------
    DataFrame
        One row per phase run (recurring labels get ``_phase<k>``) and a last row ``all``;
        columns ``phase``, ``lag1`` .. ``lag<lag_max>``. Lags beyond ``n - 1`` (n = rows of the
        phase, missing included) are NaN. Missing values are handled as R's
        ``acf(na.action = na.pass)`` (:func:`r_acf`); scan itself stops on them unless
        ``na.action = na.pass`` is given.
    """
    labels = data[pvar].astype(str).to_numpy()
    runs = _runs(labels)
    names = _dedupe([r[0] for r in runs], "_phase")
    y_all = data[dvar].to_numpy(dtype=float)
    parts = [(nm, y_all[s:e]) for nm, (_, s, e) in zip(names, runs, strict=True)]
    parts.append(("all", y_all))
    rows = []
    for name, y in parts:
        row: dict[str, object] = {"phase": name}
        lags = np.full(lag_max, np.nan)
        k = min(lag_max, y.size - 1)
        if k >= 1:
            lags[:k] = r_acf(y, k)
        row.update({f"lag{j + 1}": float(lags[j]) for j in range(lag_max)})
        rows.append(row)
    return pd.DataFrame(rows)


def scan_trend(
    data: pd.DataFrame,
    *,
    dvar: str = "values",
    pvar: str = "phase",
    mvar: str = "mt",
    first_mt: float = 0.0,
) -> pd.DataFrame:
    """Linear and quadratic trends over the whole case and per phase, as scan's ``trend()``.

    Parameters
    ----------
    data : DataFrame
        One case in measurement order. Not modified.
    dvar, pvar, mvar : str
        Value, phase and measurement-time columns.
    first_mt : float, default 0
        Within each subset (all rows, or one phase run) ``mt`` is shifted so that its
        smallest value equals ``first_mt``.

    Returns
    -------
    DataFrame
        Rows ``Linear.ALL``, ``Linear.<phase>``..., then ``Quadratic.ALL``, ...; columns
        ``label`` (scan's row name; recurring labels get ``.phase<k>``), ``model``
        (``"Linear"``: ``values ~ mt``; ``"Quadratic"``: ``values ~ I(mt^2)``, no linear term),
        ``phase``, ``intercept``, ``b`` (slope) and ``beta`` = ``b * sd(x) / sd(y)`` over the
        complete rows (``x`` = ``mt`` or ``mt^2``).
    """
    labels = data[pvar].astype(str).to_numpy()
    runs = _runs(labels)
    names = _dedupe([r[0] for r in runs], ".phase")
    y_all = data[dvar].to_numpy(dtype=float)
    mt_all = data[mvar].to_numpy(dtype=float)
    subsets = [("ALL", 0, y_all.size)] + [
        (nm, s, e) for nm, (_, s, e) in zip(names, runs, strict=True)
    ]
    rows = []
    for model, power in (("Linear", 1), ("Quadratic", 2)):
        for name, s, e in subsets:
            mt = mt_all[s:e]
            mt = mt - (np.nanmin(mt) - first_mt)
            x = mt**power
            y = y_all[s:e]
            ok = ~np.isnan(y) & ~np.isnan(x)
            a, b = _ols(x[ok], y[ok])
            with np.errstate(divide="ignore", invalid="ignore"):
                beta = b * np.std(x[ok], ddof=1) / np.std(y[ok], ddof=1)
            rows.append(
                {
                    "label": f"{model}.{name}",
                    "model": model,
                    "phase": name,
                    "intercept": a,
                    "b": b,
                    "beta": float(beta),
                }
            )
    return pd.DataFrame(rows)
