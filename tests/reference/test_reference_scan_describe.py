"""scan's ``describe()``, ``autocorr()`` and ``trend()`` reproduced on scan's own example data.

Reference: R package **scan 0.67.1** (GitHub ``jazznbass/scan``, commit ``7e80cb9``), R 4.2.2,
numbers in ``../shared/validation/scan/expected.csv`` made by ``generate.R`` beside them:

- ``describe(case)`` -- every cell of ``$descriptives``;
- ``autocorr(case, lag_max = 3)`` (``na.action = na.pass`` for Leidig2018, whose series hold NA);
- ``trend(case, first_mt = 0)`` and, for exampleAB and Grosche2011, ``trend(case, first_mt = 1)``.

Every number is compared. All are closed-form (means, medians, OLS on one predictor, sample
autocorrelations), so the tolerance is the README's 1e-9 relative; ``atol`` 1e-12 only absorbs
floating-point noise around an exact zero (e.g. a slope of a perfectly flat phase that R's QR
gives as 1e-17). NA/NaN in R must be NaN here.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pandas as pd
import pytest

from ldn_n1.describe import scan_autocorr, scan_describe, scan_trend

_spec = importlib.util.spec_from_file_location(
    "_paths", pathlib.Path(__file__).with_name("_paths.py")
)
_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_paths)
SCAN = _paths.require("scan")

FUNCTIONS = ("describe", "autocorr", "trend")
RTOL = 1e-9
ATOL = 1e-12


def _value(text: str) -> float:
    return np.nan if text in ("NA", "NaN") else float(text)


def _load():
    cases = pd.read_csv(SCAN / "cases.csv", dtype={"case": str, "phase": str})
    expected = pd.read_csv(SCAN / "expected.csv", dtype=str, keep_default_na=False, na_filter=False)
    expected = expected[expected["function"].isin(FUNCTIONS)].copy()
    expected["expected"] = expected["value"].map(_value)
    groups = {
        key: grp[["term", "statistic", "expected"]].reset_index(drop=True)
        for key, grp in expected.groupby(["dataset", "case", "function", "options"], sort=False)
    }
    return cases, groups


CASES, GROUPS = _load()


def _case(dataset: str, case: str) -> pd.DataFrame:
    rows = CASES[(CASES["dataset"] == dataset) & (CASES["case"] == case)]
    return rows.sort_values("row").reset_index(drop=True)


def _compute(function: str, options: str, data: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Our numbers keyed by (term, statistic) in the vocabulary of expected.csv."""
    opts = dict(o.split("=", 1) for o in options.split(";") if o)
    out: dict[tuple[str, str], float] = {}
    if function == "describe":
        table = scan_describe(data)
        for row in table.itertuples(index=False):
            for stat in ("n", "mis", "m", "md", "sd", "mad", "min", "max", "trend"):
                out[(row.phase, stat)] = getattr(row, stat)
    elif function == "autocorr":
        table = scan_autocorr(data, lag_max=int(opts["lag_max"]))
        for row in table.to_dict("records"):
            for lag in (1, 2, 3):
                out[(row["phase"], f"lag{lag}")] = row[f"lag{lag}"]
    else:
        table = scan_trend(data, first_mt=float(opts["first_mt"]))
        for row in table.itertuples(index=False):
            out[(row.label, "Intercept")] = row.intercept
            out[(row.label, "B")] = row.b
            out[(row.label, "Beta")] = row.beta
    return out


@pytest.mark.parametrize(
    ("key", "expected"),
    [pytest.param(k, v, id="|".join(x for x in k if x)) for k, v in GROUPS.items()],
)
def test_scan_describe_autocorr_trend(key, expected):
    dataset, case, function, options = key
    ours = _compute(function, options, _case(dataset, case))
    pairs = list(zip(expected.term, expected.statistic, strict=True))
    missing = [p for p in pairs if p not in ours]
    assert not missing, f"not computed: {missing}"
    got = np.array([ours[p] for p in pairs])
    want = expected["expected"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_every_reference_row_is_covered():
    n_rows = sum(len(v) for v in GROUPS.values())
    assert n_rows == 855 + 414 + 636
