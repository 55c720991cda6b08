"""Regenerate the bundled synthetic diaries in ``data/synthetic/`` from fixed seeds.

Usage (from the project root)::

    python benchmarks/make_synthetic.py            # write data/synthetic/
    python benchmarks/make_synthetic.py --check    # exit 1 if the files differ from a rebuild
    python benchmarks/make_synthetic.py --out DIR  # write elsewhere

The output is byte-identical on every run (fixed seeds, deterministic CSV formatting via
:func:`ldn_n1.simulate.frame_to_csv`). Nothing at runtime needs this script; the test
``tests/test_simulate.py`` rebuilds the files in memory and compares them with the committed
ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import ldn_n1  # noqa: F401
except ImportError:  # running from a source checkout without an install
    sys.path.insert(0, str(ROOT / "src"))

import pandas as pd

from ldn_n1.simulate import (
    frame_to_csv,
    simulate_cohort,
    simulate_patient,
    true_class,
)

OUT = ROOT / "data" / "synthetic"
#: Single diaries: file stem -> (scenario, seed). The patient id is the stem.
EXAMPLES = {
    "responder": ("responder", 1),
    "non_responder": ("non_responder", 3),
    "worsened": ("worsened", 7),
    "messy": ("messy", 5),
}
COHORT_SIZE = 200
COHORT_SEED = 2025

_DESCRIPTIONS = {
    "responder": "a clear responder: pain and the other outcomes improve gradually after the "
    "first dose",
    "non_responder": "no drug effect on any outcome (only noise, weekly rhythm and missing days)",
    "worsened": "pain gets clearly worse on LDN",
    "messy": "a hard real-world diary: short baseline, two multi-day gaps, many blank cells, "
    "completion falling over time, missed doses, an interruption (>= 3 days off, then back on), "
    "a switch from night to morning dosing, a few blank doses, rows out of date order, and "
    "hostile notes (`<script>alert(1)</script>`, `=cmd|...` at the start of a cell, a "
    "multi-line note with quotes, commas, `<` and `&`)",
}


def _summary_row(name: str, truth: pd.DataFrame) -> str:
    pain = truth.loc[truth["outcome"] == "pain"].iloc[0]
    flags = [k for k in ("interrupted", "switched_to_morning", "flare_settling") if pain[k]]
    return (
        f"| `{name}.csv` | {pain['scenario']} | {pain['true_improvement']:.2f} "
        f"| {true_class(pain)} | {pain['effect_full']:.2f} | {pain['tau_days']:.1f} "
        f"| {int(pain['baseline_days'])} | {int(pain['treatment_days'])} "
        f"| {pain['target_dose_mg']:g} | {pain['missing_share']:.0%} "
        f"| {', '.join(flags) or '-'} |"
    )


def _readme(single: dict[str, pd.DataFrame], cohort_truth: pd.DataFrame, cohort_bytes: int) -> str:
    rows = "\n".join(_summary_row(name, truth) for name, truth in single.items())
    described = "\n".join(f"- `{name}.csv`: {_DESCRIPTIONS[name]}." for name in single)
    pain = cohort_truth.loc[cohort_truth["outcome"] == "pain"]
    counts = pain["scenario"].value_counts().sort_index()
    classes = pd.Series([true_class(r) for r in pain.to_dict(orient="records")])
    class_counts = classes.value_counts().sort_index()
    scen = ", ".join(f"{k} {v}" for k, v in counts.items())
    cls = ", ".join(f"{k} {v}" for k, v in class_counts.items())
    seeds = ", ".join(f"`{n}` {s}" for n, (_, s) in EXAMPLES.items())
    return f"""# Synthetic LDN diaries (generated; not real patients)

Every file here is produced by `benchmarks/make_synthetic.py` from fixed seeds with the
simulator in `ldn_n1.simulate`; rerun the script to regenerate them byte for byte (the test
suite checks that they match). Each diary is in the canonical wide format (DESIGN §1):
`patient_id, date, pain, fatigue, sleep_quality, fog, mood, dose_mg, dose_time`, eight side
effects as 0/1, `opioid_use`, `alcohol_units`, `notes`. Missing days have no row; blank cells
are empty. Notes are untrusted text and some are deliberately hostile.

## Single diaries

{described}

Each `<name>.csv` has a `<name>.truth.csv` with its truth, one row per outcome. Pain truth
(true improvement = mean drug effect over the final 28 days of treatment, points, positive =
better; class against the MCID of 2 points):

| file | scenario | true improvement | true class | full effect | tau (days) | baseline days | treatment days | target mg | pain missing | events |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}

Seeds: {seeds} (`simulate_patient(seed, scenario=..., patient_id=<name>)`).

## Cohort

- `cohort_200.csv`: {COHORT_SIZE} diaries in one wide file with `patient_id`
  (`simulate_cohort({COHORT_SIZE}, seed={COHORT_SEED})`, the default mix), {cohort_bytes:,} bytes.
- `cohort_200_truth.csv`: its truth table, one row per patient x outcome.

Scenarios (patients): {scen}. True class on pain at MCID 2: {cls}.

## Truth columns

`true_improvement` (the DESIGN §4 estimand on the latent, noise-free drug effect; drift and
flare settling are natural course and do not count), `effect_full` (full effect `delta` of
`delta (1 - exp(-t / tau))`, positive = better), `tau_days`, `rho` (AR(1) coefficient of the
daily noise), `noise_sd` (its marginal SD), `drift_per_day` (natural course, positive =
getting better), `flare_settling`, `baseline_days`, `treatment_days`, `first_dose_date`,
`target_dose_mg`, `switched_to_morning`, `interrupted`, `missing_share` (share of calendar
days without a value for the outcome), and details: `effect_class`, `level`, `flare_points`,
`flare_tau_days`, `shared_noise_corr`, `weekly_rhythm`, `weekly_points`, `titration`,
`evaluation_days`. The model and the sources of its numbers are documented in
`src/ldn_n1/simulate_params.py` and `src/ldn_n1/simulate_days.py`.
"""


def build_files() -> dict[str, str]:
    """Return every file of ``data/synthetic/`` as ``{file name: text}``."""
    files: dict[str, str] = {}
    single: dict[str, pd.DataFrame] = {}
    for name, (scenario, seed) in EXAMPLES.items():
        sim = simulate_patient(seed, scenario=scenario, patient_id=name)
        truth = sim.truth_frame()
        files[f"{name}.csv"] = frame_to_csv(sim.data)
        files[f"{name}.truth.csv"] = frame_to_csv(truth)
        single[name] = truth
    data, truth = simulate_cohort(COHORT_SIZE, COHORT_SEED)
    files[f"cohort_{COHORT_SIZE}.csv"] = frame_to_csv(data)
    files[f"cohort_{COHORT_SIZE}_truth.csv"] = frame_to_csv(truth)
    cohort_bytes = len(files[f"cohort_{COHORT_SIZE}.csv"].encode("utf-8"))
    files["README.md"] = _readme(single, truth, cohort_bytes)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the files; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    files = build_files()
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out / name).is_file()
            or (args.out / name).read_bytes() != text.encode("utf-8")
        ]
        for name in stale:
            print(f"differs: {args.out / name}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_bytes(text.encode("utf-8"))
        print(f"wrote {args.out / name} ({len(text.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
