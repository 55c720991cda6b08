"""Generate the tutorial notebooks 01-03 from the cells written below.

Run ``python notebooks/_build.py`` after editing a cell; never edit the ``.ipynb`` files by
hand. The notebooks are written without outputs (CI executes them in a fresh kernel:
``tests/test_notebooks.py``). Cell ids are fixed, so rebuilding an unchanged notebook gives
the same bytes.

``04_design_planning.ipynb`` is maintained separately and is not touched here.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _cells(prefix: str, spec: list[tuple[str, str]]) -> list:
    cells = []
    for i, (kind, text) in enumerate(spec):
        source = textwrap.dedent(text).strip("\n")
        make = new_markdown_cell if kind == "md" else new_code_cell
        cell = make(source)
        cell["id"] = f"{prefix}-{i:02d}"
        cells.append(cell)
    return cells


def _notebook(prefix: str, spec: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=_cells(prefix, spec))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


# --------------------------------------------------------------------------- 01
SINGLE = [
    (
        "md",
        """
        # One patient: did low-dose naltrexone help?

        This notebook follows one person with fibromyalgia from their daily symptom diary to a
        verdict. The diaries are **synthetic** (made by `ldn_n1.simulate` with known truth, see
        `data/synthetic/README.md`), so at the end we can check the answer against what really
        happened, which is never possible with a real patient.

        Steps: read a diary and its data-quality report, find the treatment phases, fit the
        model, read the verdict and its caveat, look at *when* the effect appeared, compare
        with classical single-case methods (effect sizes, interrupted time series, the gradual
        effects model), and write the clinician's report. Only the public API of `ldn_n1` is
        used.
        """,
    ),
    (
        "code",
        """
        import tempfile
        from pathlib import Path

        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd

        import ldn_n1

        DATA = Path("../data/synthetic")
        print("ldn_n1", ldn_n1.__version__)
        """,
    ),
    (
        "md",
        """
        ## 1. Reading a diary: the data-quality report

        `ldn_n1.load_diary` reads CSV, TSV, Excel or Parquet, checks every cell against the
        diary format (README, "Diary format") and stops with the file, line, column and bad
        value if something cannot be read. What it *can* read it describes in
        `diary.quality`: how many calendar days have no row, how many cells are blank per
        column, which rows were merged or left out, and every choice made while reading.
        Missing days and blank cells are normal in a diary; they are counted, never filled in.

        `messy.csv` is a deliberately hard diary: a short baseline, gaps of several days,
        completion falling over time, a treatment interruption and a switch from night to
        morning dosing.
        """,
    ),
    (
        "code",
        """
        messy = ldn_n1.load_diary(DATA / "messy.csv")
        print(messy.quality)
        """,
    ),
    (
        "md",
        """
        A third of the calendar days have no row at all, and 12-22% of the recorded days have
        a blank symptom score. The model only uses the days that were recorded, on the true
        calendar axis (a gap of four days is four days, not one), so missing days cost
        information but do not bias the comparison as long as the reason a day is missing is
        not the symptom itself.

        The same report as a tidy table (for a batch of patients, these rows are what one
        would aggregate):
        """,
    ),
    ("code", "messy.quality.to_frame().head(10)"),
    (
        "md",
        """
        ## 2. Phases: baseline, titration, target dose, evaluation window

        The phases come from the dose column alone. The **baseline** is every day before the
        first dose; **titration** steps are the lower doses on the way up; the **target**
        dose is the highest dose held for at least a week. The verdict compares the
        **evaluation window**, the final 28 days of treatment (`evaluation_days` in the
        analysis plan), with what the baseline course predicts for those days. Waiting until
        the end of treatment matters because LDN is thought to act over weeks.

        The messy diary shows what `derive_phases` does with an interruption (three or more
        days without a dose, then back on): the design becomes A-B-A-B.
        """,
    ),
    (
        "code",
        """
        messy_phases = ldn_n1.derive_phases(messy.data)
        print("design:", messy_phases.design)
        messy_phases.to_frame()
        """,
    ),
    (
        "md",
        """
        From here on we follow `responder.csv`, a patient whose diary is more typical: 26
        baseline days, a two-step titration to 4.5 mg and about three months at the target
        dose.
        """,
    ),
    (
        "code",
        """
        diary = ldn_n1.load_diary(DATA / "responder.csv")
        phases = ldn_n1.derive_phases(diary.data)
        print(diary)
        print(f"{phases.baseline_days} baseline days, {phases.treatment_days} days on LDN")
        phases.to_frame()
        """,
    ),
    (
        "md",
        """
        ## 3. The analysis and its verdict

        `ldn_n1.analyze` fits one model per outcome (pain, fatigue, sleep quality, fibro fog,
        mood). In a few sentences:

        * The baseline level, optionally a slow linear trend (natural course), weekday
          effects, and a treatment effect that **builds up gradually** after the first dose,
          as `1 - exp(-t / tau)` with onset time constant `tau` (from an immediate step to
          about two months).
        * Day-to-day errors are **autocorrelated** (bad days cluster): an AR(1) process on
          the calendar axis, exact across gaps.
        * Instead of picking one `tau`, one autocorrelation and trend or no trend, the
          posterior **averages over all of them**, weighted by how well each explains the
          diary. This is exact (conjugate priors), so no MCMC is needed.

        The **improvement** is how much better the outcome was in the evaluation window than
        the patient's own baseline course predicts for those days, in points of the 0-10
        scale (positive = better, whatever the direction of the scale). The verdict uses the
        minimal clinically important difference (MCID, 2 points for pain: IMMPACT, Farrar
        2001) and the plan's probability threshold (0.8):

        | verdict | rule |
        |---|---|
        | responder | P(improvement >= MCID) >= 0.8 |
        | worsened | P(improvement <= -MCID) >= 0.8 |
        | non-responder | P(improvement >= MCID) <= 0.2 (and not worsened) |
        | inconclusive | anything else |
        """,
    ),
    (
        "code",
        """
        result = ldn_n1.analyze(diary)
        result
        """,
    ),
    ("code", "result.summary()"),
    (
        "md",
        """
        For **pain**, the primary outcome, the posterior mean improvement is about 3 points
        with a 95% interval that lies almost entirely above the MCID of 2 points: the
        probability that the improvement is clinically important is well above the threshold of
        0.8, hence *responder*. Fatigue and mood improved too, but not clearly by 2 points (*inconclusive*:
        more diary days would probably not settle it, the sentence says). Sleep quality and
        fibro fog did not change by a clinically important amount (*non-responder*).

        Every verdict comes as a sentence for the patient and with the same caveat:
        """,
    ),
    (
        "code",
        """
        pain = result.primary
        print(pain.sentence)
        print()
        print(result.caveat)
        """,
    ),
    (
        "md",
        """
        The caveat is not boilerplate. Nothing in one open-label diary distinguishes the drug
        from the expectation of getting better, from the illness improving on its own, or from
        regression to the mean (people often start a new treatment when they feel worst). The
        model's trend term absorbs a slow natural course seen in the baseline, but no model can
        rule out the rest. A randomised n-of-1 design (blinded placebo and drug periods) would.

        Does the verdict depend on the prior? The analysis re-fits each outcome with a prior on
        the effect half and twice as wide:
        """,
    ),
    (
        "code",
        """
        frame = result.to_frame().set_index("outcome")
        frame[["classification", "verdict_narrow_prior", "verdict_wide_prior", "rho",
               "trend_weight", "onset_tau_days"]].round(2)
        """,
    ),
    (
        "md",
        """
        The modelled course of pain: the dots are the recorded days, the solid line the
        model's level, the dashed line and the band what the baseline course predicts without
        treatment (the *counterfactual*, with its 95% band). The improvement is the average gap
        between the two lines over the evaluation window (shaded).
        """,
    ),
    (
        "code",
        """
        course = pain.plot_frame(result.data, result.phases.first_day)

        fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        ax.axvspan(phases.evaluation_start, phases.evaluation_end, color="0.9",
                   label="evaluation window")
        ax.axvline(phases.first_dose, color="0.4", lw=1, ls=":", label="first dose")
        ax.fill_between(course["date"], course["cf_low"], course["cf_high"], color="#E69F00",
                        alpha=0.25, lw=0)
        ax.plot(course["date"], course["counterfactual"], color="#E69F00", ls="--",
                label="without treatment (95% band)")
        ax.plot(course["date"], course["expected"], color="#0072B2", label="model")
        ax.plot(course["date"], course["observed"], "o", ms=3, color="0.2", label="recorded")
        ax.set_ylim(-0.3, 10.3)
        ax.set_ylabel("pain (0-10, lower is better)")
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        fig.legend(loc="outside lower center", ncols=5, fontsize="small", frameon=False)
        plt.show()
        """,
    ),
    (
        "md",
        """
        ## 4. Time to effect

        The posterior weight of each onset time constant `tau` tells how fast the benefit
        appeared. With `1 - exp(-t / tau)`, half of the full effect is reached after
        `0.69 tau` days and 90% after `2.3 tau` days; `tau = 0` is an immediate step. A weight
        spread over several values means the diary cannot pin the speed down, which is common:
        day-to-day noise hides the shape of a slow rise.
        """,
    ),
    (
        "code",
        """
        weights = pd.Series(pain.fit.onset_weights)
        labels = ["step" if tau == 0 else f"{tau:g}\\n({2.3 * tau:.0f})" for tau in weights.index]

        fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
        ax.bar(labels, weights.to_numpy(), color="#0072B2")
        ax.set_xlabel("onset time constant tau, days (in brackets: days to 90% of the effect)")
        ax.set_ylabel("posterior weight")
        ax.set_title(f"Pain: time to effect (posterior mean tau {pain.onset_tau_days:.0f} days)")
        plt.show()
        """,
    ),
    (
        "md",
        """
        For this patient most of the weight is on `tau` between 3 and 14 days: the benefit was
        mostly there within a month of the first dose, well before the evaluation window. (The
        simulation's true `tau` for pain was 6.2 days.)

        ## 5. Secondary analyses: classical single-case methods

        Each outcome also carries the methods that single-case research has used for decades.
        They are computed on first use and answer slightly different questions.

        ### Effect sizes (SingleCaseES definitions)

        The baseline days against the evaluation window, with the measures of the R package
        SingleCaseES (the `ldn_n1.effects` port reproduces its published numbers, see notebook
        03). For pain, lower is better, so an improvement is a decrease:

        * **NAP** (non-overlap of all pairs): the probability that a random evaluation day is
          better than a random baseline day (0.5 = no effect, 1 = complete separation).
        * **Tau**: the same rescaled to -1..1 (`2 NAP - 1`); **Tau-U** corrects Tau for a
          baseline trend.
        * **PND**: the share of evaluation days better than the best baseline day (sensitive
          to a single extreme baseline day).
        * **SMD**: the mean difference divided by the baseline SD (a within-person
          standardised effect, not comparable with between-group Cohen's d).
        * **LRRd / LRRi**: the log of the ratio of phase means (log response ratio);
          `exp(LRRd) - 1` is about the percentage change (LRRd negative = less pain; LRRi is
          the same with the sign flipped, so that positive = better).

        Their intervals treat the days as independent. Diary days are autocorrelated, so these
        intervals are too narrow: read the estimates, not the intervals.
        """,
    ),
    (
        "code",
        """
        es = pain.effect_sizes
        es.loc[es["measure"].isin(["NAP", "Tau", "Tau-U", "PND", "SMD", "LRRd", "LRRi"]),
               ["measure", "estimate", "se", "ci_low", "ci_high", "variant", "n_a", "n_b"]].round(3)
        """,
    ),
    (
        "md",
        """
        In words, for this patient:
        """,
    ),
    (
        "code",
        """
        est = es.set_index("measure")["estimate"]
        print(f"NAP {est['NAP']:.2f}: on {est['NAP']:.0%} of (baseline day, evaluation day) "
              "pairs the evaluation day had less pain (ties count half).")
        print(f"exp(LRRd) - 1 = {np.expm1(est['LRRd']):+.0%}: mean pain in the evaluation window "
              "relative to the baseline mean.")
        print(f"SMD {est['SMD']:.1f}: the mean fell by {est['SMD']:.1f} baseline SDs.")
        """,
    ),
    (
        "md",
        """
        ### Interrupted time series (segmented regression)

        A frequentist regression on the calendar days up to the end of the evaluation window:
        the baseline level plus a level change at the first dose and another at the start of
        the target dose, with AR(1) errors fitted by REML. It has no gradual onset, so the
        steps approximate the rise. Its estimate of the same improvement comes with a
        confidence interval:
        """,
    ),
    (
        "code",
        """
        its = pain.its
        print(its)
        its.coefficients.round(3)
        """,
    ),
    (
        "md",
        """
        `level_first` and `level_target` are changes in pain points (negative = less pain);
        their sum is the ITS estimate of the improvement (with the sign flipped, so that
        positive = better), close to the Bayesian estimate.

        ### Gradual effects model (Swan & Pustejovsky 2018)

        The gradual effects model lets the effect grow geometrically: each treated day adds a
        share `1 - omega` of the remaining distance to the full effect. `omega` near 0 is an
        immediate step, near 1 a slow ramp. `beta1` is the effect reached after `m` treated
        days (here the whole treatment), and the half-effect time is
        `log(2) / -log(omega)` days. It is a frequentist twin of the Bayesian onset model,
        but with independent errors.
        """,
    ),
    (
        "code",
        """
        gem = pain.gem
        print(gem)
        print(f"half of the full effect after {gem.half_effect_days:.1f} treated days")
        gem.to_frame().round(3)
        """,
    ),
    (
        "md",
        """
        The three estimates side by side, with the truth of this simulated patient
        (`responder.truth.csv`). They estimate slightly different things: the Bayesian model
        and the ITS give the average improvement over the evaluation window, the gradual
        effects model the effect at the end of treatment (here nearly the same, because the
        effect was complete long before).
        """,
    ),
    (
        "code",
        """
        truth = pd.read_csv(DATA / "responder.truth.csv").set_index("outcome")
        comparison = pd.DataFrame(
            {
                "estimate": [pain.fit.mean, its.improvement, -gem.beta1],
                "95% low": [pain.fit.low, its.improvement_low, -gem.beta1 - 1.96 * gem.se_beta1_delta],
                "95% high": [pain.fit.high, its.improvement_high,
                             -gem.beta1 + 1.96 * gem.se_beta1_delta],
            },
            index=["Bayesian model (verdict)", "ITS, AR(1)", "gradual effects model"],
        )
        comparison["truth"] = truth.loc["pain", "true_improvement"]
        comparison.round(2)
        """,
    ),
    (
        "md",
        """
        All three agree with each other and with the truth. The gradual effects model's
        interval is the narrowest because it ignores autocorrelation, which is why the verdict
        is not based on it.

        ## 6. The clinician's report

        `ldn_n1.write_report` writes a self-contained HTML page (figures inline, no network
        access needed) that a clinician can read in two minutes: the verdict per outcome in
        plain language, the course of each symptom, side effects, data quality, and the
        caveat. We write it to a temporary folder; open the printed path in a browser.
        (`ldn-n1 report DIARY -o report.html --pdf` also prints it to PDF.)
        """,
    ),
    (
        "code",
        """
        out = Path(tempfile.mkdtemp(prefix="ldn_n1_report_")) / "responder.html"
        ldn_n1.write_report(result, out)
        print(out, f"({out.stat().st_size / 1024:.0f} kB)")
        """,
    ),
]


def main(argv: list[str] | None = None) -> int:
    """Write the notebooks; ``--check`` only reports whether they are up to date."""
    args = sys.argv[1:] if argv is None else argv
    notebooks = {
        "01_single_patient.ipynb": _notebook("single", SINGLE),
    }
    stale = []
    for name, nb in notebooks.items():
        path = HERE / name
        text = nbformat.writes(nb) + "\n"
        if "--check" in args:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.stderr.write(f"out of date: {', '.join(stale)} (run python notebooks/_build.py)\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
