"""Determinism: the same input, plan and seed give the same bytes in separate processes.

Two interpreters with different string-hash seeds (``PYTHONHASHSEED``) run the batch with
reports and a single-patient analysis with its report; every file they write must be
byte-identical, except the one "Generated <time>" line of each patient report. The patients
are chosen so that the seeded forward simulation of inconclusive verdicts (``settle_days``)
runs and gives a number. ``analyze(...).to_dict()`` must also be identical across repeated
calls in one process and across processes.

Not repeated here: identical results from the local and the Dask engine
(``tests/test_cohort_dask.py``), from any number of workers and after an interrupted run
(``tests/test_cohort_resume.py``, ``tests/test_crash_safety.py``), and a report rendered from
one pickled result in another process (``tests/test_report.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from ldn_n1.analysis import analyze
from ldn_n1.diary import load_diary
from ldn_n1.errors import LdnWarning
from ldn_n1.plan import Plan
from ldn_n1.simulate import frame_to_csv, simulate_cohort

#: Patients of ``simulate_cohort(13, seed=31)``: SIM00006 has two inconclusive outcomes,
#: SIM00010 one whose ``settle_days`` is a number under plan seed 7.
PATIENTS = ("SIM00001", "SIM00006", "SIM00010")
SINGLE = "SIM00010"
PLAN = replace(Plan(), seed=7)
HASH_SEEDS = ("0", "2718281")
GENERATED = re.compile(r'<p class="generated">Generated [^<]* by ldn_n1 [^<]*\.</p>')

SCRIPT = """
import json, sys
from pathlib import Path
from ldn_n1.analysis import analyze
from ldn_n1.cohort import run_batch
from ldn_n1.diary import load_diary
from ldn_n1.errors import LdnWarning
from ldn_n1.report import write_report

diaries, plan, out, single = sys.argv[1:5]
out = Path(out)
code = run_batch(diaries, out / "batch", plan=plan, workers=1, chunk_size=2, reports=True,
                 progress=False)
result = analyze(load_diary(diaries, patient_id=single), plan)
(out / "result.json").write_text(json.dumps(result.to_dict(), allow_nan=False), encoding="utf-8")
write_report(result, out / "report.html")
sys.exit(code)
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("determinism")
    data, _ = simulate_cohort(13, seed=31)
    diaries = folder / "diaries.csv"
    diaries.write_text(
        frame_to_csv(data[data["patient_id"].isin(PATIENTS)]), encoding="utf-8", newline=""
    )
    plan = folder / "plan.toml"
    plan.write_text(PLAN.to_toml(), encoding="utf-8")
    return diaries, plan


@pytest.fixture(scope="module")
def runs(inputs, tmp_path_factory) -> list[Path]:
    """The outputs of the script in two processes with different hash seeds (run together)."""
    diaries, plan = inputs
    root = tmp_path_factory.mktemp("runs")
    procs, outs = [], []
    for seed in HASH_SEEDS:
        out = root / f"hashseed-{seed}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PYTHONHASHSEED": seed}
        cmd = [sys.executable, "-c", SCRIPT, str(diaries), str(plan), str(out), SINGLE]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        outs.append(out)
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()
        assert b"analysed 3 of 3 patients" in stdout
    return outs


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_batch_and_reports_identical_across_hash_seeds(runs):
    a, b = (_files(out) for out in runs)
    assert sorted(a) == sorted(b)
    expected = {"batch/results.csv", "batch/errors.csv", "batch/cohort_summary.csv",
                "batch/cohort_summary.html", "result.json", "report.html"}  # fmt: skip
    expected |= {f"batch/reports/{pid}.html" for pid in PATIENTS}
    assert set(a) == expected
    for name in sorted(a):
        if name == "report.html" or name.startswith("batch/reports/"):
            # Only the time stamp line may differ: mask exactly one line per report.
            text_a, n_a = GENERATED.subn("GENERATED", a[name].decode("utf-8"))
            text_b, n_b = GENERATED.subn("GENERATED", b[name].decode("utf-8"))
            assert n_a == n_b == 1, name
            assert text_a == text_b, name
        else:
            assert a[name] == b[name], name


def test_to_dict_identical_in_process_and_across_processes(inputs, runs):
    diaries, plan = inputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LdnWarning)  # e.g. a short baseline
        first = analyze(load_diary(diaries, patient_id=SINGLE), plan)
        second = analyze(load_diary(diaries, patient_id=SINGLE), plan)
    # The seeded forward simulation ran and produced a number (so the seed is exercised).
    assert any(o.settle_days is not None for o in first.outcomes.values())
    text = json.dumps(first.to_dict(), allow_nan=False)
    assert json.dumps(second.to_dict(), allow_nan=False) == text
    for out in runs:
        assert (out / "result.json").read_text(encoding="utf-8") == text
