"""Speed of one patient's full ``analyze`` (5 outcomes), side by side with baselines.

Run: ``python benchmarks/analyze_speed.py [--repeats 20]``

Prints, for the bundled example diaries: the time of ``analyze`` on an already loaded diary
(settle=False: the verdicts and intervals; settle=True: plus the forward simulation for
inconclusive outcomes), of ``load_diary`` alone, and of a baseline: one statsmodels OLS with
Newey-West (HAC) errors of a segmented regression per outcome (the "spreadsheet-plus" way),
with the ratio of each to the baseline. Target: analyze well under 100 ms per patient.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from statsmodels.regression.linear_model import OLS

from ldn_n1.analysis import analyze
from ldn_n1.diary import load_diary
from ldn_n1.phases import derive_phases

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000.0


def _naive(diary) -> None:
    data = diary.data
    phases = derive_phases(data)
    t = ((data["date"] - phases.first_day).dt.days).to_numpy(float)
    d0 = (phases.first_dose - phases.first_day).days
    for name in diary.outcomes[:5]:
        y = data[name].to_numpy(float)
        ok = ~np.isnan(y)
        X = np.column_stack([np.ones(t.size), t, t >= d0, np.maximum(t - d0, 0)])[ok]
        OLS(y[ok], X).fit(cov_type="HAC", cov_kwds={"maxlags": 7})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"{'diary':<16}{'load':>9}{'analyze':>10}{'+settle':>10}{'OLS+HAC':>10}{'ratio':>8}")
    for name in ("responder", "non_responder", "worsened", "messy"):
        path = DATA / f"{name}.csv"
        diary = load_diary(path)
        load_ms = _best(lambda p=path: load_diary(p), args.repeats)
        fast = _best(lambda d=diary: analyze(d, settle=False), args.repeats)
        full = _best(lambda d=diary: analyze(d), max(3, args.repeats // 4))
        naive = _best(lambda d=diary: _naive(d), args.repeats)
        print(
            f"{name:<16}{load_ms:>7.1f}ms{fast:>8.1f}ms{full:>8.1f}ms{naive:>8.1f}ms"
            f"{fast / naive:>7.1f}x"
        )
    print("times: best of repeats, milliseconds per patient (5 outcomes)")


if __name__ == "__main__":
    import warnings

    from ldn_n1.errors import LdnWarning

    warnings.simplefilter("ignore", LdnWarning)
    main()
