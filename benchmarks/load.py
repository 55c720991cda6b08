"""Time diary loading: one 1-year diary, and a many-patient wide or long file.

Usage::

    PYTHONPATH=src python benchmarks/load.py [--patients 10000] [--days 365] [--layout wide long]

Files are generated with numpy in a temporary folder (deleted afterwards) and written with
pyarrow's CSV writer; only reading is timed. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ldn_n1.diary import iter_diaries, load_diaries, load_diary
from ldn_n1.errors import DiaryError

OUTCOMES = ("pain", "fatigue", "sleep_quality", "fog", "mood")


def make_wide(patients: int, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per patient-day: 5 outcomes (0-10, 15% blank), dose (baseline 28 days), notes."""
    n = patients * days
    day = np.tile(np.arange(days), patients)
    start = np.datetime64("2025-01-01") + rng.integers(0, 365, patients)
    columns: dict[str, object] = {
        "patient_id": np.repeat(
            np.char.add("P", np.char.zfill(np.arange(patients).astype(str), 6)), days
        ),
        "date": (np.repeat(start, days) + day).astype(str),
    }
    for name in OUTCOMES:
        score = np.clip(np.round(rng.normal(5, 1.6, n) * 2) / 2, 0, 10)
        columns[name] = np.where(rng.random(n) < 0.15, np.nan, score)
    columns["dose_mg"] = np.where(day < 28, 0.0, np.minimum(1.5 * (1 + (day - 28) // 14), 4.5))
    columns["dose_time"] = np.where(day < 28, "", "night")
    columns["notes"] = np.where(rng.random(n) < 0.02, "bad day, flare", "")
    return pd.DataFrame(columns)


def to_long(wide: pd.DataFrame, measures: tuple[str, ...]) -> pd.DataFrame:
    """``patient_id, date, measure, value`` rows for the given measures (blank values dropped)."""
    parts = []
    for name in measures:
        value = wide[name]
        keep = value.notna().to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": wide["patient_id"].to_numpy()[keep],
                    "date": wide["date"].to_numpy()[keep],
                    "measure": name,
                    "value": value.to_numpy()[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def write_csv(frame: pd.DataFrame, path: Path) -> float:
    pacsv.write_csv(
        pa.Table.from_pandas(frame, preserve_index=False),
        path,
        pacsv.WriteOptions(quoting_style="needed"),
    )
    return path.stat().st_size / 1e6


def timed(label: str, func) -> object:
    start = time.perf_counter()
    result = func()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--layout", nargs="+", default=["wide", "long"], choices=["wide", "long"])
    parser.add_argument(
        "--long-measures", type=int, default=2, help="measures per day in the long file"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        single = make_wide(1, 365, rng).drop(columns="patient_id")
        size = write_csv(single, folder / "one.csv")
        diary = timed(
            f"load_diary, 1 patient x 365 days ({size:.2f} MB)",
            lambda: load_diary(folder / "one.csv"),
        )
        print(f"  {diary!r}")
        wide = make_wide(args.patients, args.days, rng)
        if "wide" in args.layout:
            size = write_csv(wide, folder / "wide.csv")
            rows = len(wide)
            diaries = timed(
                f"load_diaries, wide, {args.patients} patients, {rows} rows ({size:.0f} MB)",
                lambda: load_diaries(folder / "wide.csv"),
            )
            print(f"  {len(diaries)} diaries, first {diaries[0]!r}")
            del diaries
            count = timed(
                "iter_diaries, wide (consume all)",
                lambda: sum(
                    not isinstance(d, DiaryError) for d in iter_diaries(folder / "wide.csv")
                ),
            )
            print(f"  {count} diaries")
        if "long" in args.layout:
            long = to_long(wide, ("dose_mg", *OUTCOMES[: args.long_measures]))
            size = write_csv(long, folder / "long.csv")
            diaries = timed(
                f"load_diaries, long, {args.patients} patients, {len(long)} rows ({size:.0f} MB)",
                lambda: load_diaries(folder / "long.csv"),
            )
            print(f"  {len(diaries)} diaries, first {diaries[0]!r}")


if __name__ == "__main__":
    main()
