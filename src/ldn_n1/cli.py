"""Command line of ldn_n1 (``ldn-n1``).

Exit codes: 0 success; 2 bad input or usage (the one-line error, no traceback unless
``--debug``); 1 an internal error. ``batch`` returns 1 when some patients failed (DESIGN §5).
No statistics here: handlers call the library and print or write what it returns.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main", "write_text_atomic"]

_EPILOG = {
    "validate": "example:\n  ldn-n1 validate diary.csv\n  ldn-n1 validate diary.csv --dose-log doses.csv",
    "simulate": "example:\n  ldn-n1 simulate --patients 200 --out synthetic/ --seed 7",
    "analyze": "example:\n  ldn-n1 analyze diary.csv --plan plan.toml --json result.json",
    "report": "example:\n  ldn-n1 report diary.csv --plan plan.toml -o report.html",
    "batch": "example:\n  ldn-n1 batch diaries/ --out results/ --workers 2",
    "demo": "example:\n  ldn-n1 demo            # writes ./ldn-n1-demo/report.html",
    "plan-study": "example:\n  ldn-n1 plan-study --improvement 2.5 --rho 0.6 --baseline-days 14 28",
    "anonymise": "example:\n  ldn-n1 anonymise diaries/ --out shared/ --key-file secret.key --new-key",
}


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
        # mkstemp creates the file private (0600); give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _add_diary_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("diary", help="diary file (CSV, TSV, XLSX or Parquet)")
    p.add_argument("--dose-log", help="separate dose log (date, dose_mg[, dose_time])")
    p.add_argument("--date-format", help="strptime format for ambiguous dates, e.g. %%d/%%m/%%Y")
    p.add_argument("--patient", help="patient_id to pick from a multi-patient file")
    p.add_argument(
        "--source",
        choices=["auto", "diary", "bearable", "daylio", "visible", "flaredown"],
        default="auto",
        help="where the diary comes from (auto: recognised by its header)",
    )
    p.add_argument(
        "--mapping",
        help="TOML mapping file for app exports (symptom names, LDN name, tags, Daylio moods)",
    )


def _load(args: argparse.Namespace):
    from ldn_n1.diary import load_diary

    return load_diary(
        args.diary,
        patient_id=args.patient,
        dose_log=args.dose_log,
        date_format=args.date_format,
        source=args.source,
        mapping=args.mapping,
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from ldn_n1.errors import DiaryError

    try:
        return _validate(args)
    except DiaryError as exc:
        if not args.all_problems or len(exc.problems) < 2:
            raise
        print(f"ldn-n1: error: {len(exc.problems)} problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2


def _validate(args: argparse.Namespace) -> int:
    if args.patient:
        print(_load(args).quality)
        return 0
    from ldn_n1.diary import load_diaries

    diaries = load_diaries(
        args.diary,
        dose_log=args.dose_log,
        date_format=args.date_format,
        source=args.source,
        mapping=args.mapping,
    )
    shown = diaries[:_MAX_REPORTS]
    for i, diary in enumerate(shown):
        if i:
            print()
        print(diary.quality)
    if len(diaries) > len(shown):
        print(f"\n... and {len(diaries) - len(shown)} more patients (all valid)")
    if len(diaries) > 1:
        print(f"\n{len(diaries)} patients, all valid")
    return 0


_MAX_REPORTS = 20


def _cmd_simulate(args: argparse.Namespace) -> int:
    from ldn_n1.simulate import frame_to_csv, simulate_cohort

    out = Path(args.out)
    data, truth = simulate_cohort(args.patients, seed=args.seed)
    write_text_atomic(out / "diaries.csv", frame_to_csv(data))
    write_text_atomic(out / "truth.csv", frame_to_csv(truth))
    print(f"wrote {args.patients} simulated diaries to {out / 'diaries.csv'}")
    print(f"wrote their truth table to {out / 'truth.csv'}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from ldn_n1.analysis import analyze

    result = analyze(_load(args), args.plan)
    print(result.summary())
    if args.json:
        text = json.dumps(result.to_dict(), indent=2, allow_nan=False)
        write_text_atomic(Path(args.json), text + "\n")
        print(f"\nwrote {args.json}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ldn_n1.analysis import analyze
    from ldn_n1.report import write_report

    result = analyze(_load(args), args.plan)
    out = Path(args.output)
    write_report(result, out)
    print(f"wrote {out}")
    if args.pdf:
        from ldn_n1.report.pdf import html_to_pdf

        pdf = out.with_suffix(".pdf")
        html_to_pdf(out, pdf)
        print(f"wrote {pdf}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ldn_n1.analysis import analyze
    from ldn_n1.diary import load_diary
    from ldn_n1.report import write_report
    from ldn_n1.simulate import frame_to_csv, simulate_patient

    out = Path(args.out)
    patient = simulate_patient(args.seed, patient_id="DEMO-001", scenario="responder")
    diary_path = out / "demo_diary.csv"
    write_text_atomic(diary_path, frame_to_csv(patient.data))
    result = analyze(load_diary(diary_path))
    print(result.summary())
    report = out / "report.html"
    write_report(result, report)
    print(f"\nwrote the synthetic diary to {diary_path}")
    print(f"wrote the report to {report.resolve()}")
    if args.pdf:
        from ldn_n1.report.pdf import html_to_pdf

        html_to_pdf(report, report.with_suffix(".pdf"))
        print(f"wrote {report.with_suffix('.pdf').resolve()}")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from ldn_n1.cohort import run_batch

    return run_batch(
        args.input,
        args.out,
        plan=args.plan,
        workers=args.workers,
        engine=args.engine,
        scheduler=args.scheduler,
        reports=args.reports,
        resume=args.resume,
    )


def _cmd_plan_study(args: argparse.Namespace) -> int:
    from ldn_n1.design import StudyDesign, plan_study

    design = StudyDesign(
        improvement=args.improvement,
        noise_sd=args.noise_sd,
        rho=args.rho,
        missing_share=args.missing,
        baseline_days=args.baseline_days,
        treatment_days=args.treatment_days,
        mcid=args.mcid,
    )
    result = plan_study(design, n_sims=args.sims, seed=args.seed)
    print(result.summary())
    return 0


def _cmd_anonymise(args: argparse.Namespace) -> int:
    from ldn_n1.anonymise import anonymise

    manifest = anonymise(
        args.input, args.out, key_file=args.key_file, dates=args.dates, create_key=args.new_key
    )
    print(manifest.summary())
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ldn-n1",
        description="Did this patient respond? N-of-1 analysis of daily symptom diaries.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str, handler: Callable) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=_EPILOG.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(handler=handler)
        p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
        return p

    p = command("validate", "check a diary and print its data-quality report", _cmd_validate)
    _add_diary_options(p)
    p.add_argument(
        "--all-problems", action="store_true", help="list every problem found, one per line"
    )

    p = command("simulate", "write synthetic LDN diaries with their known truth", _cmd_simulate)
    p.add_argument("--patients", type=int, default=200, help="number of patients (default 200)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    p = command("analyze", "analyse one diary and print the verdict table", _cmd_analyze)
    _add_diary_options(p)
    p.add_argument("--plan", help="analysis plan (TOML)")
    p.add_argument("--json", help="also write the full result as JSON to this file")

    p = command("report", "write a one-page HTML report for a clinician", _cmd_report)
    _add_diary_options(p)
    p.add_argument("--plan", help="analysis plan (TOML)")
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write")
    p.add_argument("--pdf", action="store_true", help="also print it to PDF (needs Chromium)")

    p = command("demo", "analyse a bundled synthetic diary end to end", _cmd_demo)
    p.add_argument("--out", default="ldn-n1-demo", help="output folder (default ./ldn-n1-demo)")
    p.add_argument("--seed", type=int, default=6, help="seed of the synthetic diary")
    p.add_argument("--pdf", action="store_true", help="also print the report to PDF")

    p = command(
        "batch", "analyse a cohort: a folder of diaries or one multi-patient file", _cmd_batch
    )
    p.add_argument("input", help="folder of diaries, a long/wide file with patient_id, or Parquet")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--plan", help="analysis plan (TOML)")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument("--engine", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler")
    p.add_argument("--reports", action="store_true", help="also write each patient's HTML report")
    p.add_argument("--resume", action="store_true", help="finish an interrupted run")

    p = command(
        "plan-study",
        "how many baseline and treatment days are needed for a conclusive verdict",
        _cmd_plan_study,
    )
    p.add_argument("--improvement", type=float, default=2.5, help="expected improvement (points)")
    p.add_argument("--noise-sd", type=float, default=1.6, help="day-to-day SD (points)")
    p.add_argument("--rho", type=float, default=0.5, help="lag-1 autocorrelation")
    p.add_argument("--missing", type=float, default=0.15, help="share of days not recorded")
    p.add_argument("--baseline-days", type=int, nargs="+", default=[14, 28, 42])
    p.add_argument("--treatment-days", type=int, nargs="+", default=[56, 84, 112])
    p.add_argument("--mcid", type=float, default=2.0, help="MCID (points)")
    p.add_argument("--sims", type=int, default=200, help="simulated patients per design")
    p.add_argument("--seed", type=int, default=1)

    p = command(
        "anonymise",
        "pseudonymise diaries for sharing (keyed-hash ids, relative days, no free text)",
        _cmd_anonymise,
    )
    p.add_argument("input", help="a diary file or a folder of diaries")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--key-file", required=True, help="file holding the secret key")
    p.add_argument("--new-key", action="store_true", help="create the key file if absent")
    p.add_argument(
        "--dates",
        choices=["relative", "shift"],
        default="relative",
        help="relative: day numbers from the first dose; shift: dates moved by a secret offset",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    import warnings

    from ldn_n1.errors import LdnError, LdnWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LdnWarning)
            code = int(args.handler(args))
        for w in caught:
            if issubclass(w.category, LdnWarning):
                print(f"ldn-n1: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return code
    except LdnError as exc:
        if args.debug:
            raise
        print(f"ldn-n1: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        print(f"ldn-n1: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
