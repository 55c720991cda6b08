"""Reference test: single-case effect sizes against SingleCaseES 0.7.4.

Package: R package SingleCaseES 0.7.4 (GitHub ``jepusto/SingleCaseES``, commit ``8de5a3a``),
with Kendall 2.2.1, under R 4.2.2. Data and numbers: ``../shared/validation/singlecasees/``
(``cases.csv``, ``expected.csv``; made by ``generate.R`` in that folder).

Every row of ``expected.csv`` is one R call

    calc_ES(A_data, B_data, ES = <measure>, improvement = ..., <options>, confidence = ...)

on one of 56 published series (54 real, 2 with a shortened baseline), with ``options`` as
written in the row (``SE``, ``Kendall``, ``pretest_trend``, ``std_dev``, ``bias_correct``,
``scale``, ``observation_length``, ``intervals``, ``D_const``, ``delta_method``, ``goal``).
The test makes the same call through :mod:`ldn_n1.effects` on the values of ``cases.csv``
(missing values included; the functions drop them) and compares estimate, SE and CI limits,
the extra columns (SMD's SD, NAP/Tau truncation constant, Tau-BC's Theil-Sen line and trend
p-value), the warnings R raised (as ``EffectSize.notes``) and the error rows (R stops:
``AnalysisError`` here).

Tolerances (README of the folder): ``rtol=1e-10, atol=1e-12`` for every number; R's ``NA``
and ``NaN`` must be NaN (Python has one NaN) and ``Inf``/``-Inf`` must match exactly. The
Newcombe limits of NAP, Tau and Tau-BC are R's ``uniroot`` results at its default tolerance,
reproduced by porting R's ``zeroin`` (``ci_root="uniroot"``); ``ci_root="exact"`` is checked
against the machine-precision roots in ``ci_*_exactroot`` at ``rtol=1e-12``. Tau-BC with
``Kendall=TRUE`` and the baseline-trend p-value are float32 arithmetic in the reference
(Kendall's Fortran); both are emulated in float32 here and held to the same tolerance (the
README's 5e-3 and 1e-6 are for double-precision ports).
The folder's README documents no bug in these SingleCaseES numbers, so no value is corrected.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from ldn_n1.effects import (
    EffectSize,
    ird,
    lor,
    lrm,
    lrr_d,
    lrr_i,
    nap,
    pand,
    pct_change_from_lrr,
    pem,
    pnd,
    pogo,
    smd,
    tau,
    tau_bc,
    tau_u,
)
from ldn_n1.errors import AnalysisError

_spec = importlib.util.spec_from_file_location(
    "_paths", pathlib.Path(__file__).with_name("_paths.py")
)
_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_paths)
REF = _paths.require("singlecasees")  # skips the module with a clear reason when absent

RTOL, ATOL = 1e-10, 1e-12
RTOL_EXACTROOT = 1e-12
NUM_COLS = ("estimate", "se", "ci_lower", "ci_upper")
DETAIL_COLS = {
    "baseline_sd": "baseline_sd",
    "pooled_sd": "pooled_sd",
    "trunc_const": "trunc_const",
    "tau_bc_slope": "slope",
    "tau_bc_intercept": "intercept",
}

# values read with Python's float() (correctly rounded), "NA" kept as a missing value
_cases = pd.read_csv(REF / "cases.csv", dtype=str, keep_default_na=False)
_cases["outcome"] = [math.nan if v == "NA" else float(v) for v in _cases["outcome"]]
CASES = {
    key: (
        g.loc[g["phase"] == "A", "outcome"].to_numpy(),
        g.loc[g["phase"] == "B", "outcome"].to_numpy(),
    )
    for key, g in _cases.groupby(["dataset", "case"], sort=False)
}
EXPECTED = pd.read_csv(REF / "expected.csv", dtype=str, keep_default_na=False)
GROUPS = list(EXPECTED.groupby(["dataset", "case", "measure"], sort=False).groups)


def _parse_options(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(";")) if text else {}


def _flag(value: str) -> bool:
    return {"TRUE": True, "FALSE": False}[value]


def _num(opts: dict[str, str], key: str) -> float | None:
    return float(opts[key]) if key in opts else None


def call_for(measure: str, opts: dict[str, str]) -> Callable[[np.ndarray, np.ndarray], EffectSize]:
    """The ldn_n1 call equivalent to ``calc_ES(ES = measure, <opts>)``."""
    imp = opts.get("improvement", "increase")
    conf = float(opts.get("confidence", "0.95"))
    if measure in ("NAP", "Tau"):
        fn = nap if measure == "NAP" else tau
        return lambda a, b, **kw: fn(a, b, improvement=imp, se=opts["SE"], confidence=conf, **kw)
    if measure == "Tau_BC":
        kendall = _flag(opts["Kendall"])
        pre = None if opts["pretest_trend"] == "FALSE" else float(opts["pretest_trend"])
        extra = {} if kendall else {"se": opts["SE"]}
        return lambda a, b, **kw: tau_bc(
            a, b, improvement=imp, kendall=kendall, pretest_trend=pre, confidence=conf,
            **extra, **kw,
        )  # fmt: skip
    simple = {"Tau_U": tau_u, "PND": pnd, "PEM": pem, "PAND": pand, "IRD": ird}
    if measure in simple:
        return lambda a, b: simple[measure](a, b, improvement=imp)
    if measure == "SMD":
        return lambda a, b: smd(
            a, b, improvement=imp, std_dev=opts["std_dev"],
            bias_correct=_flag(opts["bias_correct"]), confidence=conf,
        )  # fmt: skip
    if measure in ("LRRd", "LRRi", "Pct_Change_d", "Pct_Change_i"):
        fn = lrr_d if measure[-1] == "d" else lrr_i

        def run(a: np.ndarray, b: np.ndarray) -> EffectSize:
            res = fn(
                a, b, improvement=imp, scale=opts["scale"],
                observation_length=_num(opts, "observation_length"),
                intervals=_num(opts, "intervals"), d_const=_num(opts, "D_const"),
                bias_correct=_flag(opts["bias_correct"]), confidence=conf,
            )  # fmt: skip
            return pct_change_from_lrr(res) if measure.startswith("Pct") else res

        return run
    if measure == "LOR":
        return lambda a, b: lor(
            a, b, improvement=imp, scale=opts["scale"], intervals=_num(opts, "intervals"),
            d_const=_num(opts, "D_const"), bias_correct=_flag(opts["bias_correct"]),
            confidence=conf,
        )  # fmt: skip
    if measure == "LRM":
        return lambda a, b: lrm(
            a, b, improvement=imp, delta_method=_flag(opts["delta_method"]), confidence=conf
        )
    if measure == "PoGO":
        return lambda a, b: pogo(a, b, goal=float(opts["goal"]), confidence=conf)
    raise AssertionError(f"no mapping for measure {measure}")


def _same(actual: float, text: str, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """R's printed value vs ours: NA/NaN -> NaN, +-Inf exactly, else within tolerance."""
    if text in ("NA", "NaN"):
        return math.isnan(actual)
    expected = float(text)
    if math.isinf(expected):
        return actual == expected
    return bool(np.isclose(actual, expected, rtol=rtol, atol=atol))


def _r_conditions(messages: str) -> set[str]:
    """Warnings and messages R raised (printed Fortran diagnostics and errors left out)."""
    out = set()
    for part in messages.split(" | "):
        kind, _, text = part.partition(": ")
        if kind in ("warning", "message"):
            out.add(text)
    return out


def _check_row(row: pd.Series, a: np.ndarray, b: np.ndarray) -> list[str]:
    """Compare one expected row; return the list of mismatches (empty if all agree)."""
    opts = _parse_options(row["options"])
    fn = call_for(row["measure"], opts)
    where = f"{row['measure']} [{row['options']}]"
    if row["messages"].startswith("error:") or " | error:" in row["messages"]:
        with pytest.raises(AnalysisError):
            fn(a, b)
        return []
    res = fn(a, b)
    bad = []
    if res.measure != row["es_label"]:
        bad.append(f"{where}: measure label {res.measure!r} != {row['es_label']!r}")
    ours = {"estimate": res.estimate, "se": res.se, "ci_lower": res.ci_low, "ci_upper": res.ci_high}
    for col in NUM_COLS:
        if not _same(ours[col], row[col]):
            bad.append(f"{where}: {col} {ours[col]!r} != R {row[col]}")
    for col, key in DETAIL_COLS.items():
        if row[col] != "NA" and not _same(res.detail(key), row[col]):
            bad.append(f"{where}: {col} {res.detail(key)!r} != R {row[col]}")
    pval = row["tau_bc_pval_slope_A"]
    if pval != "NA" and not _same(res.detail("pval_slope_a"), pval):
        bad.append(f"{where}: trend p-value {res.detail('pval_slope_a')!r} != R {pval}")
    if set(res.notes) != _r_conditions(row["messages"]):
        bad.append(f"{where}: notes {res.notes} != R conditions {row['messages']!r}")
    return bad


@pytest.mark.parametrize(
    ("dataset", "case", "measure"), GROUPS, ids=[f"{d}/{c}/{m}" for d, c, m in GROUPS]
)
def test_matches_singlecasees(dataset: str, case: str, measure: str) -> None:
    """Estimate, SE, CI, extra columns and warnings of every option set for one case."""
    a, b = CASES[(dataset, case)]
    rows = EXPECTED[
        (EXPECTED["dataset"] == dataset)
        & (EXPECTED["case"] == case)
        & (EXPECTED["measure"] == measure)
    ]
    bad = [msg for _, row in rows.iterrows() for msg in _check_row(row, a, b)]
    assert not bad, "\n".join(bad)


# groups with a Newcombe interval (NAP, Tau, Tau_BC with Kendall = FALSE, no error)
EXACT_GROUPS = list(
    EXPECTED[EXPECTED["ci_lower_exactroot"] != "NA"]
    .groupby(["dataset", "case", "measure"], sort=False)
    .groups
)


@pytest.mark.parametrize(
    ("dataset", "case", "measure"),
    EXACT_GROUPS,
    ids=[f"{d}/{c}/{m}" for d, c, m in EXACT_GROUPS],
)
def test_exact_newcombe_roots(dataset: str, case: str, measure: str) -> None:
    """``ci_root="exact"`` gives the machine-precision roots in ``ci_*_exactroot``."""
    a, b = CASES[(dataset, case)]
    rows = EXPECTED[
        (EXPECTED["dataset"] == dataset)
        & (EXPECTED["case"] == case)
        & (EXPECTED["measure"] == measure)
        & (EXPECTED["ci_lower_exactroot"] != "NA")
    ]
    bad = []
    for _, row in rows.iterrows():
        res = call_for(measure, _parse_options(row["options"]))(a, b, ci_root="exact")
        for ours, col in ((res.ci_low, "ci_lower_exactroot"), (res.ci_high, "ci_upper_exactroot")):
            if not _same(ours, row[col], rtol=RTOL_EXACTROOT):
                bad.append(f"{row['options']}: {col} {ours!r} != R {row[col]}")
    assert not bad, "\n".join(bad)


def test_every_expected_row_is_covered() -> None:
    """The parametrised groups cover all 3,551 rows of expected.csv (834 exact-root rows)."""
    assert len(EXPECTED) == 3551
    assert (EXPECTED["ci_lower_exactroot"] != "NA").sum() == 834
    covered = EXPECTED.set_index(["dataset", "case", "measure"]).index.isin(GROUPS)
    assert covered.all()
