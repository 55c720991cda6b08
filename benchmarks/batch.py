"""Benchmark the cohort batch against reading the file and a naive per-patient regression loop.

Usage (from the project root)::

    python benchmarks/batch.py              # 1,000 simulated patients
    python benchmarks/batch.py --with-10k   # also 10,000 (takes several minutes on 2 cores)
    python benchmarks/batch.py --sizes 200 --workers 2

For each cohort size it simulates the patients (:func:`ldn_n1.simulate.simulate_cohort`),
writes one wide CSV with ``patient_id`` (:func:`ldn_n1.simulate.frame_to_csv`) in a temporary
folder, and measures, each step in a fresh Python process:

- **batch**: ``run_batch`` on the file (5 outcomes, all cores by default): wall time,
  patients/s, peak RSS of the batch process and of the largest worker process
  (``resource.getrusage``; ``RUSAGE_CHILDREN`` reports the largest waited-for descendant);
- **read**: ``pandas.read_csv`` of the same file, nothing else;
- **naive loop**: one process looping over patients, fitting per patient a segmented
  regression of pain (level + trend, change in level and trend at the first dose) with
  statsmodels OLS and HAC standard errors (7 lags).

The ratios printed are batch time / read time and batch time / naive-loop time. The batch
does much more per patient (validation, phases, a Bayesian model average over onset, AR(1)
and trend for five outcomes, verdicts, safety), so the naive loop is a floor for per-patient
cost rather than a competitor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SIMULATE = """
import sys
from ldn_n1.simulate import frame_to_csv, simulate_cohort
data, _ = simulate_cohort(int(sys.argv[1]), seed=20251125)
with open(sys.argv[2], "w", encoding="utf-8", newline="") as fh:
    fh.write(frame_to_csv(data))
"""

_BATCH = """
import json, resource, sys, time
from ldn_n1.cohort import run_batch
start = time.perf_counter()
code = run_batch(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), progress=False)
seconds = time.perf_counter() - start
# Pool workers are children of the forkserver, which reaps them; stop and reap it so their
# peak RSS reaches RUSAGE_CHILDREN (private helper, benchmark only).
import multiprocessing.forkserver as fs
if hasattr(fs, "_forkserver") and hasattr(fs._forkserver, "_stop"):
    fs._forkserver._stop()
kib = lambda who: resource.getrusage(who).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": seconds, "code": code,
                  "rss_self_mb": kib(resource.RUSAGE_SELF) / 1024,
                  "rss_worker_mb": kib(resource.RUSAGE_CHILDREN) / 1024}))
"""

_READ = """
import json, resource, sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": len(frame),
                  "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_NAIVE = """
import json, resource, sys, time
import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
frame = pd.read_csv(sys.argv[1], usecols=["patient_id", "date", "pain", "dose_mg"],
                    parse_dates=["date"])
start = time.perf_counter()
fitted = 0
for _, g in frame.groupby("patient_id", sort=False):
    g = g.sort_values("date")
    t = (g["date"] - g["date"].iloc[0]).dt.days.to_numpy(float)
    dosed = g["dose_mg"].to_numpy(float) > 0
    if not dosed.any():
        continue
    t0 = t[np.argmax(dosed)]
    post = (t >= t0).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, post * (t - t0)])
    y = g["pain"].to_numpy(float)
    ok = np.isfinite(y)
    res = OLS(y[ok], X[ok]).fit(cov_type="HAC", cov_kwds={"maxlags": 7})
    fitted += res.params.size > 0
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "fitted": int(fitted),
                  "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        msg = f"benchmark step failed ({done.returncode}):\n{done.stderr}"
        raise RuntimeError(msg)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def bench(n: int, workers: int, folder: Path) -> dict:
    """Measure the three steps on ``n`` simulated patients; returns the numbers."""
    csv = folder / f"cohort_{n}.csv"
    _run(_SIMULATE, str(n), str(csv))
    batch = _run(_BATCH, str(csv), str(folder / f"out_{n}"), str(workers))
    read = _run(_READ, str(csv))
    naive = _run(_NAIVE, str(csv))
    return {
        "patients": n,
        "file_mb": csv.stat().st_size / 1e6,
        "batch_s": batch["seconds"],
        "patients_per_s": n / batch["seconds"],
        "rss_batch_mb": batch["rss_self_mb"],
        "rss_worker_mb": batch["rss_worker_mb"],
        "read_s": read["seconds"],
        "naive_s": naive["seconds"],
        "naive_per_s": naive["fitted"] / naive["seconds"],
        "batch_over_read": batch["seconds"] / read["seconds"],
        "batch_over_naive": batch["seconds"] / naive["seconds"],
        "exit_code": batch["code"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], help="cohort sizes")
    parser.add_argument("--with-10k", action="store_true", help="also run 10,000 patients")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    sizes = list(args.sizes) + ([10000] if args.with_10k and 10000 not in args.sizes else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="ldn-n1-bench-") as tmp:
        for n in sizes:
            rows.append(bench(n, args.workers, Path(tmp)))
            r = rows[-1]
            print(f"{n} patients: batch {r['batch_s']:.1f} s", file=sys.stderr, flush=True)
    print(
        f"cohort batch benchmark: {args.workers} worker processes, 5 outcomes, os.cpu_count()={os.cpu_count()}"
    )
    head = (
        f"{'patients':>8} {'file MB':>8} {'batch s':>8} {'pat/s':>7} {'RSS batch MB':>13} "
        f"{'RSS worker MB':>14} {'read s':>7} {'naive s':>8} {'naive pat/s':>12} "
        f"{'batch/read':>11} {'batch/naive':>12}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['patients']:>8} {r['file_mb']:>8.1f} {r['batch_s']:>8.1f} {r['patients_per_s']:>7.1f} "
            f"{r['rss_batch_mb']:>13.0f} {r['rss_worker_mb']:>14.0f} {r['read_s']:>7.2f} "
            f"{r['naive_s']:>8.1f} {r['naive_per_s']:>12.0f} {r['batch_over_read']:>11.0f} "
            f"{r['batch_over_naive']:>12.1f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
