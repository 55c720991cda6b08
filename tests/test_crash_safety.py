"""Crash safety of ``ldn-n1 batch``: SIGKILL at random points, then ``--resume``.

A batch over 90 simulated patients in chunks of 3 (30 chunks, 2 worker processes) is killed
with SIGKILL three times at seeded random points, each later run resuming the interrupted
one; a final ``ldn-n1 batch --resume`` must then write ``results.csv``, ``errors.csv`` and
``cohort_summary.*`` byte-identical to an uninterrupted run, and leave no temporary file and
no ``.parts`` folder. Two deterministic kills cover the short windows random kills rarely hit:
while the final tables are being written, and while the reports are being moved into place.

Interrupted report writing in the single-patient path (a figure failing midway leaves no file
and keeps an older report) is tested in ``tests/test_report.py``
(``test_failed_figure_leaves_existing_report_untouched``,
``test_failed_replace_removes_temporary_file``); one kill right after the first chunk is in
``tests/test_cohort_resume.py``.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ldn_n1.cohort import run_batch
from ldn_n1.plan import DEFAULT_OUTCOMES, Plan
from ldn_n1.simulate import frame_to_csv, simulate_cohort

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

N_PATIENTS = 90
CHUNK = 3
N_TASKS = N_PATIENTS // CHUNK
N_SMALL = 12
SEED = 20250917
#: Seed of the kill points; this one kills the fresh run as soon as it has started (no chunk
#: done yet), the first resumed run after 5 more chunks and the second after 1.
KILL_SEED = 14
TABLES = ("results.csv", "errors.csv", "cohort_summary.csv", "cohort_summary.html")
#: One outcome keeps each chunk short, so there are many chunk boundaries to land between.
PLAN = replace(Plan(), outcomes={"pain": DEFAULT_OUTCOMES["pain"]})

#: First, fresh run (the command line has no chunk-size option; resumed runs reuse it).
START = """
import sys
from ldn_n1.cohort import run_batch
sys.exit(run_batch(sys.argv[1], sys.argv[2], plan=sys.argv[3], workers=2, chunk_size={chunk},
                   progress=False))
"""
#: A run that kills itself at a chosen moment of the final merge (``mode``, ``n``).
SELF_KILL = """
import os, signal, sys
from ldn_n1.cohort import parts, tasks
from ldn_n1.cohort import run_batch

mode, n = sys.argv[4], int(sys.argv[5])
calls = []

def kill_on_call(real, counts=lambda *args: True):
    def wrapped(*args, **kwargs):
        calls.append(counts(*args))
        if sum(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapped

tasks._render_report = lambda result: "<p>" + str(len(result.patient_id)) + "</p>"
if mode == "tables":  # inside the open results.csv / errors.csv temporary files
    parts.merge_rows = kill_on_call(parts.merge_rows)
else:  # between moving two reports into out/reports
    into_reports = lambda src, dst: os.path.basename(os.path.dirname(dst)) == "reports" and (
        os.path.basename(os.path.dirname(os.path.dirname(dst))) != ".parts")
    os.replace = kill_on_call(os.replace, into_reports)
sys.exit(run_batch(sys.argv[1], sys.argv[2], plan=sys.argv[3], workers=1, chunk_size={chunk},
                   reports=(mode == "reports"), progress=False))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ldn_n1.cli", "batch", *args]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crash")
    data, _ = simulate_cohort(N_PATIENTS, seed=SEED)
    paths = {"plan": folder / "plan.toml", "big": folder / "big.csv", "small": folder / "small.csv"}
    paths["plan"].write_text(PLAN.to_toml(), encoding="utf-8")
    paths["big"].write_text(frame_to_csv(data), encoding="utf-8", newline="")
    small = data[data["patient_id"].isin([f"SIM{i:05d}" for i in range(1, N_SMALL + 1)])]
    paths["small"].write_text(frame_to_csv(small), encoding="utf-8", newline="")
    return paths


@pytest.fixture(scope="module")
def reference(files, tmp_path_factory) -> dict[str, Path]:
    """Uninterrupted runs, in this process (also checks the result does not depend on workers)."""
    root = tmp_path_factory.mktemp("reference")
    plan = files["plan"]
    assert run_batch(files["big"], root / "big", plan=plan, workers=1, chunk_size=CHUNK,
                     progress=False) == 0  # fmt: skip
    assert run_batch(files["small"], root / "small", plan=plan, workers=1, chunk_size=CHUNK,
                     progress=False) == 0  # fmt: skip
    return {"big": root / "big", "small": root / "small"}


def _parts(out: Path) -> set[str]:
    folder = out / ".parts"
    return (
        {p.name for p in folder.iterdir() if p.name.startswith("part-")}
        if folder.is_dir()
        else set()
    )


def _kill_when(cmd: list[str], out: Path, new_parts: int, extra_s: float, log: Path) -> bool:
    """Start ``cmd``; SIGKILL its process group once it wrote ``new_parts`` more chunk parts
    (0: once it started its run) and ``extra_s`` seconds passed. False if it ended first."""
    before = _parts(out)
    manifest = out / ".parts" / "manifest.json"
    started = manifest.exists()  # a resumed run: its run has begun when the process has
    with log.open("ab") as err:
        proc = subprocess.Popen(cmd, env=_env(), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            if (started or manifest.exists()) and len(_parts(out) - before) >= new_parts:
                time.sleep(extra_s)
                break
            time.sleep(0.002)
        else:
            pytest.fail(f"no progress within 120 s: {log.read_text()}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, log.read_text()
    return True


def _check_parts_complete(out: Path) -> None:
    """Every chunk part left by a kill is whole: header plus all its patients' rows."""
    for name in _parts(out):
        with (out / ".parts" / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        k = rows[0].index("_patient")
        assert sorted({r[k] for r in rows[1:]}, key=int) == [str(i) for i in range(CHUNK)], name


def _check_finished(out: Path, reference: Path) -> None:
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (out / ".parts").exists()
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []


def test_random_sigkills_then_resume_is_byte_identical(files, reference, tmp_path):
    rng = random.Random(KILL_SEED)
    out = tmp_path / "out"
    log = tmp_path / "stderr.log"
    plan = str(files["plan"])
    first = [sys.executable, "-c", START.format(chunk=CHUNK), str(files["big"]), str(out), plan]
    resume = _cli(
        str(files["big"]), "--out", str(out), "--plan", plan, "--workers", "2", "--resume"
    )
    points = [(rng.randint(0, 5), rng.uniform(0.0, 0.1)) for _ in range(3)]
    killed = []
    for i, (new_parts, extra_s) in enumerate(points):
        killed.append(_kill_when(first if i == 0 else resume, out, new_parts, extra_s, log))
        assert not (out / "results.csv").exists()
        _check_parts_complete(out)
    assert all(killed), (points, killed)
    done = _parts(out)
    assert 0 < len(done) < N_TASKS, sorted(done)
    assert (out / ".parts" / "manifest.json").is_file()

    finished = subprocess.run(resume, env=_env(), capture_output=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    assert f"analysed {N_PATIENTS} of {N_PATIENTS} patients" in finished.stdout.decode()
    _check_finished(out, reference["big"])


@pytest.mark.parametrize(("mode", "n"), [("tables", 3), ("reports", 5)])
def test_sigkill_during_final_writes_then_resume(files, reference, tmp_path, mode, n):
    """Killed with the results/errors temporary files open, or halfway through moving the
    reports: the resumed run finishes the same files and removes what the kill left."""
    out = tmp_path / "out"
    plan = str(files["plan"])
    script = SELF_KILL.format(chunk=CHUNK)
    cmd = [sys.executable, "-c", script, str(files["small"]), str(out), plan, mode, str(n)]
    killed = subprocess.run(cmd, env=_env(), capture_output=True, timeout=300, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(_parts(out)) == N_SMALL // CHUNK  # every chunk was done before the kill
    if mode == "tables":
        left = sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))
        assert [n.split(".")[1] for n in left] == ["errors", "results"], left
        assert not (out / "results.csv").exists()
        extra: list[str] = []
    else:
        moved = sorted(p.name for p in (out / "reports").iterdir())
        assert len(moved) == n - 1
        extra = ["--reports"]
    cmd = _cli(str(files["small"]), "--out", str(out), "--plan", plan, "--workers", "1",
               "--resume", *extra)  # fmt: skip
    finished = subprocess.run(cmd, env=_env(), capture_output=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    _check_finished(out, reference["small"])
    if mode == "reports":
        reports = sorted((out / "reports").iterdir())
        assert [p.name for p in reports] == [f"SIM{i:05d}.html" for i in range(1, N_SMALL + 1)]
        assert {p.read_text(encoding="utf-8") for p in reports} == {"<p>8</p>"}
        assert f"wrote {N_SMALL} reports" in finished.stdout.decode()


def test_only_own_temporary_files_are_removed(tmp_path):
    from ldn_n1.cohort.output import remove_temporaries

    own = [".results.csv.0123456789ab.tmp", ".cohort_summary.html.a1b2c3d4e5f6.tmp"]
    other = [".results.csv.xyz.tmp", "mine.tmp", ".notes.0123456789AB.tmp", "results.csv"]
    for name in own + other:
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / ".folder.0123456789ab.tmp").mkdir()
    assert remove_temporaries(tmp_path) == len(own)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*other, ".folder.0123456789ab.tmp"]
    )
