"""Reproduce scan 0.67.1's overlap indices, Tau-U and baseline-corrected Tau.

Reference: R package **scan** 0.67.1 (Wilbert & Lüke; GitHub ``jazznbass/scan`` commit
``7e80cb9``) with mblm 0.12.1, R 4.2.2, run by ``../shared/validation/scan/generate.R`` on
scan's own example data sets (43 real cases from 23 data sets). Every row of ``expected.csv``
whose ``function`` is one of ``pnd, pem, pet, nap, pand, ird, overlap, tau_u, tau_u_meta,
corrected_tau, smd`` is recomputed here from ``cases.csv``. The R calls are, per case
(``phases`` and the options as listed in the ``options`` column):

- ``pnd(case, decreasing)``, ``pem(case, decreasing, chi.test = TRUE)``,
  ``pet(case, decreasing)``, ``nap(case, decreasing)``, ``ird(case, decreasing)``,
  ``overlap(case, decreasing)``, ``smd(case)``;
- ``pand(case, decreasing, method = "sort" | "minimum")``;
- ``tau_u(case, method, tau_method, continuity_correction, ci, ci_method)``;
- ``corrected_tau(case, repeated, continuity, tau_method)``;

and, for the data sets with several cases (case ``(all cases)``), ``pand(all, ...)``,
``ird(all, ...)`` and ``tau_u(all, method, meta_weight_method)$Overall_tau_u``.

Tolerance: ``rtol=1e-9`` (the README's precision for closed-form quantities) with
``atol=1e-12`` for values that are zero up to floating-point cancellation; Fisher's odds
ratio is R's ``uniroot`` root, reproduced by porting R's zeroin step for step, so the same
tolerance applies. NA/NaN/Inf must match exactly (R's NA and NaN are both NaN here). The
README documents no reference bug in this scope.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pandas as pd
import pytest

from ldn_n1.errors import AnalysisError
from ldn_n1.overlap import (
    scan_corrected_tau,
    scan_ird,
    scan_ird_pooled,
    scan_nap,
    scan_overlap,
    scan_pand,
    scan_pand_pooled,
    scan_pem,
    scan_pet,
    scan_pnd,
    scan_smd,
    scan_tau_u,
    scan_tau_u_meta,
)
from ldn_n1.overlap_data import select_phases

_spec = importlib.util.spec_from_file_location(
    "_paths", pathlib.Path(__file__).with_name("_paths.py")
)
_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_paths)
SCAN = _paths.require("scan")  # skips the module with a clear reason when absent

SCOPE = (
    "pnd", "pem", "pet", "nap", "pand", "ird", "overlap",
    "tau_u", "tau_u_meta", "corrected_tau", "smd",
)  # fmt: skip
RTOL, ATOL = 1e-9, 1e-12
KEY = ["dataset", "case", "function", "options"]


def _load():
    expected = pd.read_csv(SCAN / "expected.csv", dtype=str, keep_default_na=False)
    expected = expected[expected["function"].isin(SCOPE)].copy()
    expected["number"] = (
        expected["value"].replace({"NA": "nan", "NaN": "nan", "Inf": "inf", "-Inf": "-inf"})
    ).astype(float)
    cases = pd.read_csv(SCAN / "cases.csv", dtype={"case": str, "phase": str})
    return expected, cases


EXPECTED, CASES = _load()
GROUPS = {k: g for k, g in EXPECTED.groupby(KEY, sort=False)}


def _case(dataset: str, case: str):
    d = CASES[(CASES["dataset"] == dataset) & (CASES["case"] == case)].sort_values("row")
    return d["values"].to_numpy(float), d["phase"].to_list(), d["mt"].to_numpy(float)


def _all_cases(dataset: str):
    names = CASES.loc[CASES["dataset"] == dataset, "case"].unique()
    return [_case(dataset, c) for c in names]


def _options(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for part in filter(None, text.split(";")):
        key, value = part.split("=", 1)
        if key == "phases":
            a, b = value.split("|")
            out[key] = (int(a), int(b)) if a.isdigit() else (a.split("+"), b.split("+"))
        elif value in ("TRUE", "FALSE"):
            out[key] = value == "TRUE"
        else:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


def _tau_kwargs(opt: dict[str, object]) -> dict[str, object]:
    names = {"method", "tau_method", "continuity_correction", "ci", "ci_method", "phases"}
    return {k: v for k, v in opt.items() if k in names}


def _compute(dataset: str, case: str, function: str, options: str) -> dict[tuple[str, str], float]:
    """Our numbers for one (dataset, case, function, options) group, keyed (term, statistic)."""
    opt = _options(options)
    ph = opt.get("phases", (1, 2))
    dec = bool(opt.get("decreasing", False))
    if case == "(all cases)":
        pooled = [(v, p) for v, p, _ in _all_cases(dataset)]
        if function == "pand":
            return _pand_rows(scan_pand_pooled(pooled, decreasing=dec, method=opt["method"]))
        if function == "ird":
            return {("IRD", "IRD"): scan_ird_pooled(pooled, decreasing=dec)}
        results = [scan_tau_u(v, p, method=opt["method"]) for v, p in pooled]
        meta = scan_tau_u_meta(results, weight_method=opt["meta_weight_method"])
        return {
            (row["model"], col): row[col]
            for _, row in meta.iterrows()
            for col in ("Tau_U", "se", "CI lower", "CI upper", "z", "p")
        }
    v, p, mt = _case(dataset, case)
    if function == "pnd":
        n_b = select_phases(v, p, mt, ph).n_b
        return {("PND", "PND"): scan_pnd(v, p, phases=ph, decreasing=dec), ("PND", "n_B"): n_b}
    if function == "pem":
        r = scan_pem(v, p, phases=ph, decreasing=dec)
        names = ["PEM", "positives", "total", "binom.p", "Chi", "DF", "chi.p"]
        return {("PEM", n): x for n, x in zip(names, r.to_dict().values(), strict=True)}
    if function == "pet":
        r = scan_pet(v, p, mt, phases=ph, decreasing=dec, ci=opt["ci"])
        return {("PET", "PET"): r.PET, ("PET", "PET CI"): r.PET_ci, ("PET", "binom.p"): r.binom_p}
    if function == "nap":
        r = scan_nap(v, p, phases=ph, decreasing=dec)
        names = ["NAP", "NAP Rescaled", "Pairs", "Non-overlaps", "Positives", "Ties", "w", "p",
                 "d", "R2"]  # fmt: skip
        return {("NAP", n): x for n, x in zip(names, r.to_dict().values(), strict=True)}
    if function == "pand":
        return _pand_rows(scan_pand(v, p, phases=ph, decreasing=dec, method=opt["method"]))
    if function == "ird":
        return {("IRD", "IRD"): scan_ird(v, p, phases=ph, decreasing=dec)}
    if function == "overlap":
        r = scan_overlap(v, p, mt, phases=ph, decreasing=dec)
        return {("overlap", k): x for k, x in r.items()}
    if function == "smd":
        r = scan_smd(v, p, phases=ph)
        names = ["mA", "mB", "sdA", "sdB", "sd cohen", "sd hedges", "Glass' delta", "Hedges' g",
                 "Hedges' g correction", "Hedges' g durlak correction", "Cohen's d"]  # fmt: skip
        return {("SMD", n): x for n, x in zip(names, r.to_dict().values(), strict=True)}
    if function == "tau_u":
        r = scan_tau_u(v, p, **_tau_kwargs(opt))
        return {(row, col): r.table.loc[row, col] for row in r.table.index for col in r.table}
    if function == "corrected_tau":
        kw = {k: opt[k] for k in ("repeated", "continuity", "tau_method", "phases") if k in opt}
        r = scan_corrected_tau(v, p, mt, **kw)
        out = {(row, col): r.table.loc[row, col] for row in r.table.index for col in r.table}
        out[("result", "tau")] = r.tau
        out[("result", "p")] = r.p
        out[("result", "correction_applied")] = float(r.correction_applied)
        return out
    raise AssertionError(function)


def _pand_rows(r) -> dict[tuple[str, str], float]:
    if r.method == "minimum":
        stats = {"PAND": r.pand, "overlaps": r.overlaps, "perc_overlaps": r.perc_overlap,
                 "n": r.n, "n_a": r.n_a, "n_b": r.n_b}  # fmt: skip
    else:
        c = r.counts
        stats = {
            "PAND": r.pand, "phi": r.phi, "perc_overlap": r.perc_overlap, "overlaps": r.overlaps,
            "n": r.n, "n_a": r.n_a, "n_b": r.n_b, "count_AA": c[0, 0], "count_AB": c[0, 1],
            "count_BA": c[1, 0], "count_BB": c[1, 1], "chi2": r.chi2, "chi2_p": r.chi2_p,
            "fisher_OR": r.fisher_or, "fisher_p": r.fisher_p,
        }  # fmt: skip
    return {("PAND", k): float(x) for k, x in stats.items()}


def _mismatches(key) -> list[str]:
    group = GROUPS[key]
    ours = _compute(*key)
    bad = []
    for term, stat, want in group[["term", "statistic", "number"]].itertuples(index=False):
        if (term, stat) not in ours:
            bad.append(f"{term} / {stat}: missing (R {want!r})")
            continue
        got = float(ours[(term, stat)])
        if np.isnan(want) or np.isinf(want) or np.isnan(got) or np.isinf(got):
            if not (np.isnan(want) and np.isnan(got)) and want != got:
                bad.append(f"{term} / {stat}: R {want!r}, ours {got!r}")
        elif not np.isclose(got, want, rtol=RTOL, atol=ATOL):
            bad.append(f"{term} / {stat}: R {want!r}, ours {got!r}")
    return bad


def _id(key) -> str:
    return "-".join(k for k in key if k).replace(" ", "_")


@pytest.mark.parametrize("key", list(GROUPS), ids=[_id(k) for k in GROUPS])
def test_scan_reference_group(key):
    bad = _mismatches(key)
    assert not bad, f"{len(bad)} of {len(GROUPS[key])} numbers differ:\n" + "\n".join(bad)


def test_scope_is_complete():
    counts = EXPECTED["function"].value_counts()
    assert counts["tau_u"] == 5022
    assert len(EXPECTED) == sum(len(g) for g in GROUPS.values())


def test_rejects_missing_phase():
    v, p, _ = _case("exampleAB", "Johanna")
    with pytest.raises(AnalysisError, match="phase number 3 not found"):
        scan_nap(v, p, phases=(1, 3))
