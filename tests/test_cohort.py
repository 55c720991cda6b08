"""Cohort batch: results contract, equality with analyze(), fault isolation, CSV safety, meta-analysis."""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from ldn_n1 import cohort
from ldn_n1.analysis import analyze
from ldn_n1.cohort import analyze_cohort, meta_analyze, run_batch, summarize_cohort
from ldn_n1.cohort.meta import Z_95, meta_frame
from ldn_n1.cohort.output import (
    RESULT_COLUMNS,
    assign_report_names,
    csv_text,
    neutralise,
    safe_filename,
)
from ldn_n1.diary import iter_diaries
from ldn_n1.errors import DiaryError, LdnError
from ldn_n1.plan import DEFAULT_OUTCOMES, Plan
from ldn_n1.simulate import frame_to_csv, simulate_cohort, simulate_patient

DESIGN_COLUMNS = [
    "patient_id", "outcome", "primary", "classification", "improvement", "improvement_low",
    "improvement_high", "p_improvement", "p_mcid", "p_worsening", "mcid", "n_baseline_days",
    "n_evaluation_days", "missing_share", "status", "message",
]  # fmt: skip
NUMERIC = [
    "improvement", "improvement_low", "improvement_high", "p_improvement", "p_mcid",
    "p_worsening", "mcid", "missing_share", "onset_tau_days", "rho", "trend_weight",
]  # fmt: skip
#: Two outcomes keep the tests fast; the batch path is the same for five.
PLAN = replace(Plan(), outcomes={k: DEFAULT_OUTCOMES[k] for k in ("pain", "sleep_quality")})


def _write(path: Path, frame: pd.DataFrame) -> Path:
    path.write_text(frame_to_csv(frame), encoding="utf-8", newline="")
    return path


def _raw_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory) -> Path:
    data, _ = simulate_cohort(52, seed=2024)
    return _write(tmp_path_factory.mktemp("cohort") / "diaries.csv", data)


def test_public_api():
    assert cohort.__all__ == [
        "CohortResult",
        "CohortSummary",
        "MetaAnalysis",
        "analyze_cohort",
        "meta_analyze",
        "run_batch",
        "summarize_cohort",
    ]


def test_batch_equals_analyze(cohort_csv, tmp_path):
    """52 simulated patients: the batch (2 worker processes) reproduces analyze() to 1e-9."""
    out = tmp_path / "out"
    assert run_batch(cohort_csv, out, plan=PLAN, workers=2, chunk_size=8, progress=False) == 0
    batch = pd.read_csv(out / "results.csv", keep_default_na=False, na_values=[""])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short-baseline warnings; the batch records them
        direct = pd.concat(
            [analyze(d, PLAN, settle=False).to_frame() for d in iter_diaries(cohort_csv)],
            ignore_index=True,
        )
    assert len(batch) == len(direct) == 52 * 2
    assert batch["patient_id"].tolist() == direct["patient_id"].tolist()
    for name in ("outcome", "classification", "verdict_narrow_prior", "verdict_wide_prior"):
        assert batch[name].tolist() == direct[name].tolist(), name
    for name in ("n_baseline_days", "n_evaluation_days"):
        assert batch[name].tolist() == direct[name].tolist(), name
    assert batch["primary"].tolist() == direct["primary"].tolist()
    for name in NUMERIC:
        np.testing.assert_allclose(
            batch[name].to_numpy(float), direct[name].to_numpy(float), rtol=0, atol=1e-9,
            equal_nan=True, err_msg=name,
        )  # fmt: skip
    assert (batch["status"] == "ok").all()
    # The in-memory API gives the same table.
    mem = analyze_cohort(cohort_csv, PLAN, workers=1, chunk_size=13)
    np.testing.assert_array_equal(
        mem.results["improvement"].to_numpy(), batch["improvement"].to_numpy()
    )
    assert mem.results["classification"].tolist() == batch["classification"].tolist()


def test_results_columns_and_files(cohort_csv, tmp_path):
    data = pd.read_csv(cohort_csv)
    small = _write(tmp_path / "five.csv", data[data["patient_id"].isin(["SIM00001", "SIM00002"])])
    out = tmp_path / "out"
    assert run_batch(small, out, plan=PLAN, workers=1, progress=False) == 0
    header = _raw_rows(out / "results.csv")[0]
    assert header[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS
    assert list(RESULT_COLUMNS) == DESIGN_COLUMNS
    assert {"onset_tau_days", "rho", "trend_weight", "target_dose_mg", "dose_timing"} <= set(header)
    assert sorted(p.name for p in out.iterdir()) == [
        "cohort_summary.csv",
        "cohort_summary.html",
        "errors.csv",
        "results.csv",
    ]  # the chunk parts are gone after a finished run
    assert _raw_rows(out / "errors.csv") == [
        [
            "patient_id",
            "source",
            "error_type",
            "line",
            "row",
            "column",
            "value",
            "expected",
            "message",
        ]
    ]
    summary = pd.read_csv(out / "cohort_summary.csv")
    assert summary.columns.tolist() == [
        "section",
        "outcome",
        "group",
        "statistic",
        "value",
        "low",
        "high",
        "n",
    ]
    patients = summary[(summary["section"] == "cohort") & (summary["statistic"] == "patients")]
    assert patients["value"].tolist() == [2.0]


def _folder_with_problems(folder: Path) -> None:
    folder.mkdir()
    for i, pid in enumerate(["P1", "P2"]):
        _write(folder / f"a{i}.csv", simulate_patient(i + 1, patient_id=pid).data)
    bad = frame_to_csv(simulate_patient(9, patient_id="BAD").data).splitlines()
    cells = bad[5].split(",")
    cells[2] = "lots"
    bad[5] = ",".join(cells)
    (folder / "b_bad.csv").write_text("\n".join(bad) + "\n", encoding="utf-8")
    never = simulate_patient(10, patient_id="NODOSE").data.assign(dose_mg=0.0)
    _write(folder / "c_never.csv", never)
    _write(folder / "d_boom.csv", simulate_patient(11, patient_id="BOOM").data)
    _write(folder / "e_dup.csv", simulate_patient(12, patient_id="P1").data)


def test_failures_become_error_rows(tmp_path, monkeypatch):
    """Bad value, no treatment, an unexpected exception and a duplicate id: rows, not a crash."""
    import ldn_n1.analysis

    real = ldn_n1.analysis.analyze

    def flaky(diary, plan=None, *, settle=True):
        if diary.patient_id == "BOOM":
            raise ZeroDivisionError("simulated bug")
        return real(diary, plan, settle=settle)

    monkeypatch.setattr(ldn_n1.analysis, "analyze", flaky)
    folder = tmp_path / "diaries"
    _folder_with_problems(folder)
    out = tmp_path / "out"
    assert run_batch(folder, out, plan=PLAN, workers=1, chunk_size=2, progress=False) == 1
    res = pd.read_csv(out / "results.csv", keep_default_na=False)
    first = res.drop_duplicates(["patient_id", "source"])
    assert list(zip(first["patient_id"], first["source"], first["status"], strict=True)) == [
        ("P1", "a0.csv", "ok"),
        ("P2", "a1.csv", "ok"),
        ("BAD", "b_bad.csv", "error"),
        ("NODOSE", "c_never.csv", "error"),
        ("BOOM", "d_boom.csv", "error"),
        ("P1", "e_dup.csv", "error"),
    ]
    assert res["patient_id"].tolist().count("P1") == 3  # two outcomes + the duplicate's error row
    errors = res[res["status"] == "error"].set_index(["patient_id", "source"])["message"]
    assert (
        errors[("BAD", "b_bad.csv")]
        == "b_bad.csv line 6, column 'pain': got 'lots', expected a number 0-10"
    )
    assert "no treatment phase" in errors[("NODOSE", "c_never.csv")]
    assert errors[("BOOM", "d_boom.csv")].startswith(
        "internal error (ZeroDivisionError: simulated bug)"
    )
    assert errors[("P1", "e_dup.csv")] == (
        "e_dup.csv, column 'patient_id': got 'P1', an id not used by another file (also in a0.csv)"
    )
    details = pd.read_csv(out / "errors.csv", keep_default_na=False)
    bad = details[details["patient_id"] == "BAD"].iloc[0]
    assert (int(bad["line"]), bad["column"], bad["value"], bad["expected"]) == (
        6,
        "pain",
        "lots",
        "a number 0-10",
    )
    assert details["error_type"].tolist() == [
        "DiaryError",
        "DiaryError",
        "ZeroDivisionError",
        "DiaryError",
    ]
    summary = pd.read_csv(out / "cohort_summary.csv")
    counts = summary[summary["section"] == "cohort"].set_index("statistic")["value"].to_dict()
    assert counts == {"patients": 6.0, "analysed": 2.0, "errors": 4.0}


def test_streamed_file_keeps_line_numbers(tmp_path):
    """A large file is cut into chunks of patients; messages still name the original lines."""
    frames = [simulate_patient(i, patient_id=f"Q{i}").data for i in range(1, 6)]
    text = frame_to_csv(pd.concat(frames, ignore_index=True)).splitlines()
    target = next(i for i, line in enumerate(text) if line.startswith("Q4,")) + 3
    cells = text[target].split(",")
    cells[3] = "eleven"  # fatigue
    text[target] = ",".join(cells)
    path = tmp_path / "all.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    line = target + 1
    expected = next(d for d in iter_diaries(path) if isinstance(d, DiaryError))
    assert expected.line == line
    out = tmp_path / "out"
    assert run_batch(path, out, plan=PLAN, workers=1, chunk_size=2, progress=False) == 1
    details = pd.read_csv(out / "errors.csv", keep_default_na=False)
    assert details["line"].tolist() == [line]
    res = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert res.loc[res["patient_id"] == "Q4", "message"].tolist() == [str(expected)]
    assert res["patient_id"].drop_duplicates().tolist() == ["Q1", "Q2", "Q3", "Q4", "Q5"]


def test_unreadable_input_is_exit_2(tmp_path):
    from ldn_n1.cli import main

    with pytest.raises(DiaryError, match="not found"):
        run_batch(tmp_path / "missing.csv", tmp_path / "out")
    assert main(["batch", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(LdnError, match="workers: got 0"):
        run_batch(tmp_path, tmp_path / "out", workers=0)


# --------------------------------------------------------------------------- CSV injection
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("-2e-05", "-2e-05"),
        ("P-01", "P-01"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_csv_text_neutralises_text_but_not_numbers():
    rows = [('=HYPERLINK("x")', "pain", -0.5, 3, "@bad"), ("-cmd", "-", -1e-7, float("nan"), "ok")]
    text = csv_text(["patient_id", "outcome", "improvement", "n_baseline_days", "message"], rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1] == ['\'=HYPERLINK("x")', "pain", "-0.5", "3", "'@bad"]
    assert parsed[2] == ["'-cmd", "'-", "-1e-07", "", "ok"]
    assert float(parsed[2][2]) == -1e-7


def test_batch_neutralises_hostile_ids(tmp_path):
    ids = ["=cmd|' /C calc'!A0", "+SUM(1)", "-x", "@evil", "-5"]
    data = pd.concat([simulate_patient(i + 1, patient_id=p).data for i, p in enumerate(ids)])
    path = _write(tmp_path / "hostile.csv", data)
    out = tmp_path / "out"
    assert run_batch(path, out, plan=PLAN, workers=1, progress=False) == 0
    rows = _raw_rows(out / "results.csv")[1:]
    assert [r[0] for r in rows[::2]] == ["'=cmd|' /C calc'!A0", "'+SUM(1)", "'-x", "'@evil", "-5"]
    improvements = [r[4] for r in rows]
    assert any(v.startswith("-") for v in improvements)  # negative numbers are left as numbers
    assert all(not v.startswith("'") for r in rows for v in r[2:15])


# --------------------------------------------------------------------------- report names
HOSTILE_IDS = ["../../etc/passwd", "/abs/x", "CON", "nul.txt", "com1", "a\x00b\x1fc", "P1", "p1",
               "", "..", ".hidden", "x" * 400, "ü/ü", "<>:\"|?*", "P1", "-rf"]  # fmt: skip
RESERVED = (
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)


def _check_names(names: list[str]) -> None:
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert "/" not in name
        assert "\\" not in name
        assert ".." not in name
        assert not name.startswith((".", "-", " "))
        assert name.split(".")[0].upper() not in RESERVED
        assert all(ord(c) >= 32 for c in name)
        assert len(name.encode()) <= 255
        assert name.endswith(".html")


def test_safe_filenames():
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("") == "patient"
    names = assign_report_names(HOSTILE_IDS)
    _check_names(names)
    assert names[6:8] == ["P1.html", "p1-2.html"]
    assert names[14] == "P1-3.html"
    assert assign_report_names(HOSTILE_IDS) == names  # deterministic


def test_reports_written_under_safe_names(tmp_path, monkeypatch):
    from ldn_n1.cohort import tasks

    monkeypatch.setattr(tasks, "_render_report", lambda result: f"<p>{len(result.patient_id)}</p>")
    ids = ["../escape", "CON", "P1", "p1", "a b"]
    data = pd.concat([simulate_patient(i + 1, patient_id=p).data for i, p in enumerate(ids)])
    path = _write(tmp_path / "ids.csv", data)
    out = tmp_path / "out"
    assert run_batch(path, out, plan=PLAN, workers=1, reports=True, progress=False) == 0
    written = sorted(p.name for p in (out / "reports").iterdir())
    assert written == sorted(["escape.html", "_CON.html", "P1.html", "p1-2.html", "a_b.html"])
    _check_names(written)
    assert not (tmp_path / "escape.html").exists()
    assert (out / "reports" / "escape.html").read_text() == "<p>9</p>"


def test_real_report(tmp_path):
    pytest.importorskip("ldn_n1.report.html")
    path = _write(tmp_path / "one.csv", simulate_patient(3, patient_id="R/1").data)
    out = tmp_path / "out"
    assert run_batch(path, out, plan=PLAN, workers=1, reports=True, progress=False) == 0
    page = (out / "reports" / "R_1.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "R/1" in page


# --------------------------------------------------------------------------- meta-analysis
def _fake_results(seed: int, k: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    eff = rng.normal(0.8, 1.2, k)
    se = rng.uniform(0.3, 1.0, k)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(k)],
            "outcome": "pain",
            "primary": True,
            "classification": rng.choice(["responder", "non-responder", "inconclusive"], k),
            "status": "ok",
            "improvement": eff,
            "improvement_low": eff - Z_95 * se,
            "improvement_high": eff + Z_95 * se,
            "mcid": 2.0,
            "target_dose_mg": rng.choice([3.0, 4.5], k),
            "dose_timing": rng.choice(["night", "morning", ""], k),
        }
    )


@pytest.mark.parametrize("method", ["pm", "dl"])
def test_meta_analysis_equals_statsmodels(method):
    res = _fake_results(5)
    eff = res["improvement"].to_numpy()
    se = (res["improvement_high"] - res["improvement_low"]).to_numpy() / (2 * 1.959963984540054)
    direct = combine_effects(eff, se**2, method_re=method, use_t=False)
    assert direct.tau2 > 0
    m = meta_analyze(eff, se, mcid=2.0, method=method, outcome="pain")
    assert m.k == 30
    assert m.tau2 == pytest.approx(direct.tau2, rel=1e-12)
    assert m.mean == pytest.approx(direct.mean_effect_re, rel=1e-12)
    assert m.se == pytest.approx(direct.sd_eff_w_re, rel=1e-12)
    low, high = direct.conf_int(alpha=0.05, use_t=False)[1]
    assert (m.ci_low, m.ci_high) == pytest.approx((low, high), rel=1e-12)
    half = stats.t.ppf(0.975, 28) * math.sqrt(direct.tau2 + direct.sd_eff_w_re**2)
    assert (m.pi_low, m.pi_high) == pytest.approx((m.mean - half, m.mean + half), rel=1e-12)
    share = stats.norm.sf((2.0 - direct.mean_effect_re) / math.sqrt(direct.tau2))
    assert m.share_above_mcid == pytest.approx(share, rel=1e-12)
    frame = meta_frame(res)
    row = frame[frame["method"] == method].iloc[0]
    assert row["mean"] == pytest.approx(m.mean, rel=1e-12)


def test_meta_analysis_without_heterogeneity():
    """Q < df: tau2 = 0 (DerSimonian-Laird truncated), the fixed-effect mean, share 0 or 1."""
    eff = np.array([1.0, 1.1, 0.9, 1.05])
    se = np.full(4, 1.0)
    for method in ("pm", "dl"):
        m = meta_analyze(eff, se, mcid=2.0, method=method)
        fe = combine_effects(eff, se**2, method_re=method)
        assert m.tau2 == 0.0
        assert m.mean == pytest.approx(fe.mean_effect_fe, rel=1e-12)
        assert m.share_above_mcid == 0.0
    assert math.isnan(meta_analyze(eff[:1], se[:1], mcid=2.0).mean)


def test_summary_tables():
    res = _fake_results(7, k=40)
    s = summarize_cohort(res)
    assert s.primary == "pain"
    assert s.n_patients == 40
    assert s.n_errors == 0
    v = s.verdicts.set_index("classification")
    assert v["count"].sum() == 40
    low, high = proportion_confint(v.loc["responder", "count"], 40, alpha=0.05, method="wilson")
    assert (v.loc["responder", "share_low"], v.loc["responder", "share_high"]) == pytest.approx(
        (low, high)
    )
    assert s.by_target_dose["group"].tolist() == ["3 mg", "4.5 mg"]
    assert s.by_target_dose["n"].sum() == 40
    assert s.by_timing["group"].tolist() == ["night", "morning", "unknown"]
    assert len(s.forest) == 40
    assert s.forest["improvement"].is_monotonic_increasing
    frame = s.to_frame()
    pm = frame[(frame["section"] == "meta_pm") & (frame["statistic"] == "tau2")]
    assert pm["value"].iloc[0] == pytest.approx(
        s.meta.loc[s.meta["method"] == "pm", "tau2"].iloc[0]
    )


def test_html_escapes_ids():
    from ldn_n1.cohort.html import render_summary

    res = _fake_results(3, k=8)
    res.loc[0, "patient_id"] = "<script>alert(1)</script>"
    res["dose_timing"] = ["<img src=x onerror=alert(2)>"] * 8
    page = render_summary(summarize_cohort(res))
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert page.count("<svg") == 1


def test_parquet_dataset_matches_csv(tmp_path, cohort_csv):
    """A Parquet dataset partitioned by patient gives the same numbers as the CSV."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    data = pd.read_csv(cohort_csv)
    data = data[data["patient_id"].isin(["SIM00003", "SIM00004", "SIM00005"])]
    table = pa.Table.from_pandas(data, preserve_index=False)
    pq.write_to_dataset(table, tmp_path / "ds", partition_cols=["patient_id"])
    a = analyze_cohort(tmp_path / "ds", PLAN, workers=1, chunk_size=2)
    b = analyze_cohort(_write(tmp_path / "three.csv", data), PLAN, workers=1)
    assert a.results["patient_id"].tolist() == b.results["patient_id"].tolist()
    np.testing.assert_allclose(
        a.results["improvement"], b.results["improvement"], rtol=0, atol=1e-12
    )
