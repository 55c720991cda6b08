"""scan's ``plm()`` (piecewise regression) reproduced on scan's own example data.

Reference: R package **scan 0.67.1** (GitHub ``jazznbass/scan``, commit ``7e80cb9``), R 4.2.2,
nlme 3.1-162, MASS 7.3-58.2; numbers in ``../shared/validation/scan/expected.csv``, made by
``generate.R`` beside them with calls such as::

    plm(exampleAB["Johanna"], model = "W")                 # + confint(), acf(), Box.test()
    plm(case, model = "H-M" | "B&L-B" | "JW", trend = FALSE, level = FALSE, slope = FALSE)
    plm(case, model = "W", contrast = "preceding")
    plm(case, model = "W", contrast_level = "preceding", contrast_slope = "first")
    plm(exampleAB["Johanna"], AR = 1)                      # nlme::gls(corARMA(p = 1), "ML")
    plm(example_A24, family = "poisson")                   # confint(): MASS profile CIs
    plm(exampleAB_score["Christiano"], family = "binomial", var_trials = "trials")
    plm(exampleAB_add, update = . ~ . + cigarrets)

Every ``plm`` row is compared; each (dataset, case, options) is one test. Tolerances follow
the README's precision: OLS fits (closed form) 1e-9 relative; Poisson/binomial IRLS fits and
their profile-likelihood CIs 1e-7; AR fits are numerical optima of nlme's optimiser, 1e-4.
``atol`` is only for numbers that are zero up to rounding: an effect that is exactly zero in
exact arithmetic (e.g. a flat baseline) comes out as +-1e-16 noise in R and here, so estimates
get ``atol`` = 1e-9 times the largest |estimate| of the fit, their t/z that divided by the
term's SE, partial R^2 (t^2 / (t^2 + df)) 1e-18, and delta R^2 (a difference of two R^2 of
order 1) 1e-12. A p value inherits the relative error of its z (or t) times z^2, so its
``rtol`` is scaled by ``max(1, z^2)`` (Poisson p values of 1e-33 from IRLS fits that agree to
1e-9 in z). P values that R computes as
``1 - pchisq(...)`` and that underflow to 0 there get 1e-15.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pandas as pd
import pytest

from ldn_n1.errors import AnalysisError
from ldn_n1.plm import plm_design, scan_plm

_spec = importlib.util.spec_from_file_location(
    "_paths", pathlib.Path(__file__).with_name("_paths.py")
)
_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_paths)
SCAN = _paths.require("scan")

PER_TERM = {
    "estimate": "estimate",
    "se": "se",
    "t": "statistic",
    "z": "statistic",
    "p": "p",
    "delta_r2": "delta_r2",
    "ci95_lower": "ci_low",
    "ci95_upper": "ci_high",
    "partial_r2": "partial_r2",
}


def _value(text: str) -> float:
    return np.nan if text in ("NA", "NaN") else float(text)


def _load():
    cases = pd.read_csv(SCAN / "cases.csv", dtype={"case": str, "phase": str})
    datasets = pd.read_csv(SCAN / "datasets.csv").set_index("dataset")
    expected = pd.read_csv(SCAN / "expected.csv", dtype=str, keep_default_na=False, na_filter=False)
    expected = expected[expected["function"] == "plm"].copy()
    expected["expected"] = expected["value"].map(_value)
    groups = {
        key: grp[["term", "statistic", "expected"]].reset_index(drop=True)
        for key, grp in expected.groupby(["dataset", "case", "options"], sort=False)
    }
    return cases, datasets, groups


CASES, DATASETS, GROUPS = _load()


def _case(dataset: str, case: str) -> tuple[pd.DataFrame, str]:
    """The case's rows with ``mt`` renamed to the data set's own time variable."""
    mvar = DATASETS.loc[dataset, "mvar"]
    rows = CASES[(CASES["dataset"] == dataset) & (CASES["case"] == case)]
    return rows.sort_values("row").reset_index(drop=True).rename(columns={"mt": mvar}), mvar


def _kwargs(options: str) -> dict:
    """Translate the options string of expected.csv into :func:`scan_plm` arguments."""
    kw: dict = {}
    for item in options.split(";"):
        name, value = item.split("=", 1)
        if name in ("trend", "level", "slope"):
            kw[name] = value == "TRUE"
        elif name == "AR":
            kw["ar"] = int(value)
        elif name == "update":
            kw["covariates"] = [value.removeprefix(".~.+")]
        else:
            kw[name] = value
    return kw


def _tolerance(options: str) -> float:
    if "AR=" in options:
        return 1e-4
    if "family=" in options:
        return 1e-7
    return 1e-9


def _compute(data: pd.DataFrame, mvar: str, options: str):
    kw = _kwargs(options)
    fit = scan_plm(data, mvar=mvar, **kw)
    ours: dict[tuple[str, str], float] = {}
    for row in fit.coefficients.to_dict("records"):
        for stat, col in PER_TERM.items():
            ours[(row["label"], stat)] = row[col]
    for stat, value in fit.fit_statistics.items():
        ours[("model", stat)] = value
    if fit.family == "gaussian":
        for stat, value in fit.residual_checks(3).items():
            ours[("residuals", stat)] = value
    scale = float(np.max(np.abs(fit.coefficients["estimate"])))
    return ours, scale


@pytest.mark.parametrize(
    ("key", "expected"),
    [pytest.param(k, v, id="|".join(k)) for k, v in GROUPS.items()],
)
def test_scan_plm(key, expected):
    dataset, case, options = key
    data, mvar = _case(dataset, case)
    ours, scale = _compute(data, mvar, options)
    pairs = list(zip(expected.term, expected.statistic, strict=True))
    missing = [p for p in pairs if p not in ours]
    assert not missing, f"not computed: {missing}"
    got = np.array([ours[p] for p in pairs])
    want = expected["expected"].to_numpy()
    stat = expected["statistic"].to_numpy()
    se = np.array([ours.get((t, "se"), np.nan) for t, _ in pairs])
    atol = np.where(stat == "estimate", 1e-9 * scale, 0.0)
    atol = np.where(np.isin(stat, ["t", "z"]), 1e-9 * scale / se, atol)
    atol = np.where(stat == "partial_r2", 1e-18, atol)
    atol = np.where(stat == "delta_r2", 1e-12, atol)
    atol = np.where(np.isin(stat, ["p", "chi2_p"]) & (want == 0.0), 1e-15, atol)
    rtol = np.full(len(pairs), _tolerance(options))
    # a p value inherits the relative error of its z (or t) multiplied by z^2
    z = np.array([ours.get((t, "z"), ours.get((t, "t"), 0.0)) for t, _ in pairs])
    rtol = np.where(stat == "p", rtol * np.maximum(1.0, z**2), rtol)
    bad = ~(
        np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        | (np.isnan(got) & np.isnan(want))
    )
    detail = [
        f"{t} {s}: got {g!r}, expected {w!r}"
        for (t, s), g, w, b in zip(pairs, got, want, bad, strict=True)
        if b
    ]
    assert not detail, f"{len(detail)} of {len(pairs)} differ:\n" + "\n".join(detail)


def test_every_reference_row_is_covered():
    assert sum(len(v) for v in GROUPS.values()) == 6842


DESIGN_FILES = sorted((SCAN / "design").glob("*.csv"))


@pytest.mark.parametrize("path", DESIGN_FILES, ids=[p.stem for p in DESIGN_FILES])
def test_design_matrices(path):
    """plm_design() equals the design columns scan's plm() built (``plm()$data``)."""
    table = pd.read_csv(path, dtype={"phase": str})
    dummy_cols = [c for c in table.columns if c.startswith(("phase", "inter")) and c != "phase"]
    n_checked = 0
    for (model, c_level, c_slope), grp in table.groupby(
        ["model", "contrast_level", "contrast_slope"], sort=False
    ):
        grp = grp.sort_values("row")
        data = pd.DataFrame(
            {"phase": grp["phase"].to_numpy(), "mt": grp["mt_original"].to_numpy(dtype=float)}
        )
        ours = plm_design(data, model=model, contrast_level=c_level, contrast_slope=c_slope)
        np.testing.assert_array_equal(ours["mt"].to_numpy(), grp["mt_in_model"].to_numpy())
        for col in dummy_cols:
            np.testing.assert_array_equal(
                ours[col].to_numpy(), grp[col].to_numpy(dtype=float), err_msg=f"{model} {col}"
            )
        assert set(ours.columns) == {"mt", *dummy_cols}
        n_checked += 1
    assert n_checked >= 2


def test_scan_plm_rejects_bad_options():
    data, mvar = _case("exampleAB", "Johanna")
    with pytest.raises(AnalysisError, match="model must be one of"):
        scan_plm(data, mvar=mvar, model="Huitema")
    with pytest.raises(AnalysisError, match="family is not 'gaussian' but AR is set"):
        scan_plm(data, mvar=mvar, family="poisson", ar=1)
    with pytest.raises(AnalysisError, match="'var_trials' is not defined"):
        scan_plm(data, mvar=mvar, family="binomial")
    with pytest.raises(AnalysisError, match="at least two phases"):
        scan_plm(data.assign(phase="A"), mvar=mvar)
