"""The Dask engine gives byte-identical results to the local engine (small LocalCluster)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ldn_n1.cohort import analyze_cohort, run_batch
from ldn_n1.errors import LdnError
from ldn_n1.simulate import frame_to_csv, simulate_cohort

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (optional extra ldn_n1[dask])"
)

N_PATIENTS = 10
OUTPUTS = ("results.csv", "errors.csv", "cohort_summary.csv", "cohort_summary.html")


@pytest.fixture(scope="module")
def diaries(tmp_path_factory) -> Path:
    data, _ = simulate_cohort(N_PATIENTS, seed=5)
    path = tmp_path_factory.mktemp("dask") / "diaries.csv"
    path.write_text(frame_to_csv(data), encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="module")
def cluster():
    # Worker processes import ldn_n1 from the same place as this process.
    os.environ.setdefault("PYTHONPATH", os.pathsep.join(sys.path))
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # no clash on port 8787
    ) as running:
        yield running


@pytest.fixture(scope="module")
def local_run(diaries, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    assert run_batch(diaries, out, workers=1, chunk_size=3, progress=False) == 0
    return out


def test_dask_scheduler_matches_local(diaries, cluster, local_run, tmp_path):
    out = tmp_path / "dask"
    code = run_batch(
        diaries,
        out,
        engine="dask",
        scheduler=cluster.scheduler_address,
        chunk_size=3,
        progress=False,
    )
    assert code == 0
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (local_run / name).read_bytes(), name


def test_dask_in_memory_matches_local(diaries, cluster):
    a = analyze_cohort(diaries, engine="dask", scheduler=cluster.scheduler_address, chunk_size=4)
    b = analyze_cohort(diaries, workers=1, chunk_size=4)
    assert a.results.equals(b.results)


def test_dask_missing_extra(diaries, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(LdnError, match=r"pip install \"ldn_n1\[dask\]\""):
        run_batch(diaries, tmp_path / "out", engine="dask", progress=False)


def test_scheduler_needs_dask_engine(diaries, tmp_path):
    with pytest.raises(LdnError, match="--scheduler needs --engine dask"):
        run_batch(diaries, tmp_path / "out", scheduler="tcp://127.0.0.1:1", progress=False)


def test_dask_own_local_cluster(diaries, local_run, tmp_path):
    """Without --scheduler the engine starts (and stops) its own 2-worker LocalCluster."""
    out = tmp_path / "own"
    assert run_batch(diaries, out, engine="dask", workers=2, chunk_size=3, progress=False) == 0
    assert (out / "results.csv").read_bytes() == (local_run / "results.csv").read_bytes()
