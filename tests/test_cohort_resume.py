"""A batch killed with SIGKILL mid-run, then resumed, writes the same bytes as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ldn_n1.cohort import run_batch
from ldn_n1.errors import LdnError
from ldn_n1.simulate import frame_to_csv, simulate_cohort

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

N_PATIENTS = 20
CHUNK = 2
N_TASKS = N_PATIENTS // CHUNK
SCRIPT = """
import sys
from ldn_n1.cohort import run_batch
sys.exit(run_batch(sys.argv[1], sys.argv[2], workers=2, chunk_size={chunk}, progress=False))
"""


@pytest.fixture(scope="module")
def diaries(tmp_path_factory) -> Path:
    data, _ = simulate_cohort(N_PATIENTS, seed=77)
    path = tmp_path_factory.mktemp("resume") / "diaries.csv"
    path.write_text(frame_to_csv(data), encoding="utf-8", newline="")
    return path


def _kill_after_first_chunk(diaries: Path, out: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(chunk=CHUNK), str(diaries), str(out)],
        env=env,
        start_new_session=True,  # its own process group: the pool's workers die with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    parts = out / ".parts"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if parts.is_dir() and any(p.name.startswith("part-") for p in parts.iterdir()):
                break
            if proc.poll() is not None:
                pytest.fail(f"batch ended before it could be killed: {proc.stderr.read().decode()}")
            time.sleep(0.005)
        else:
            pytest.fail("no chunk was written within 120 s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return sorted(p.name for p in parts.iterdir())


def test_resume_after_sigkill_is_byte_identical(diaries, tmp_path, monkeypatch):
    out = tmp_path / "killed"
    left = _kill_after_first_chunk(diaries, out)
    done = [name for name in left if name.startswith("part-")]
    assert 1 <= len(done) < N_TASKS, left
    assert "manifest.json" in left
    assert not (out / "results.csv").exists()
    for name in done:  # parts are complete (written under a temporary name, then renamed)
        lines = (out / ".parts" / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 + CHUNK * 5, name

    from ldn_n1.cohort import runner

    calls = []
    real = runner.run_task

    def counting(task, *args, **kwargs):
        calls.append(task.index)
        return real(task, *args, **kwargs)

    monkeypatch.setattr(runner, "run_task", counting)
    # Resumed in this process (workers=1): only the tasks without a part are analysed.
    assert run_batch(diaries, out, workers=1, resume=True, progress=False) == 0
    finished = {int(name[5:11]) for name in done}
    assert sorted(calls) == sorted(set(range(N_TASKS)) - finished)
    assert not (out / ".parts").exists()

    monkeypatch.setattr(runner, "run_task", real)
    fresh = tmp_path / "fresh"
    assert run_batch(diaries, fresh, workers=1, chunk_size=CHUNK, progress=False) == 0
    for name in ("results.csv", "errors.csv", "cohort_summary.csv", "cohort_summary.html"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_resume_refuses_changed_input(diaries, tmp_path):
    out = tmp_path / "out"
    (out / ".parts").mkdir(parents=True)
    (out / ".parts" / "manifest.json").write_text(
        '{"version": 1, "chunk_size": 2}', encoding="utf-8"
    )
    with pytest.raises(LdnError, match=r"cannot resume .* changed since it was interrupted"):
        run_batch(diaries, out, workers=1, resume=True, progress=False)
