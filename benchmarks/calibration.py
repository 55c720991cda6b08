"""Calibration study: verdicts of ldn_n1 vs a Welch t-test, on simulated patients with known truth.

Run: ``python benchmarks/calibration.py [--patients 600] [--seed 11]``

For each simulated patient the primary outcome (pain) is analysed by the toolkit's
Bayesian-lite model (the same code path as ``analyze``) and by a naive before/after
comparison: a Welch t-test of the baseline days vs the last 28 days, calling a "responder"
when the improvement is significant (two-sided p < 0.05) and at least the MCID.

Printed, side by side: false "responder" rate among no-effect patients (and among drifting /
flare-settling no-effect patients), PPV, sensitivity for clear responders (true improvement
>= 1.25 x MCID), share of worsened patients called worsened, 95% interval coverage, mean
interval width, Brier score of P(improvement >= MCID).
Targets: false responders <= 2% (<= 5% when drifting), PPV >= 0.97, sensitivity >= 0.85,
coverage 0.93-0.98.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from ldn_n1.calibration import calibration_table, run_calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=600)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    start = time.perf_counter()
    per_patient = run_calibration(args.patients, seed=args.seed)
    elapsed = time.perf_counter() - start
    table = calibration_table(per_patient)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(f"{args.patients} simulated patients (seed {args.seed}), {elapsed:.1f} s")
        print(per_patient["truth_class"].value_counts().to_string())
        print()
        print(table.to_string(float_format=lambda x: f"{x:.3f}"))
        counts = ", ".join(f"{k} {v}" for k, v in table.attrs["counts"].items())
        print(f"\npatients per group: {counts}")


if __name__ == "__main__":
    main()
