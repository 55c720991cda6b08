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
        0.8, hence *responder*. Fatigue and mood improved too, but not clearly by 2 points
        (*inconclusive*: more diary days would probably not settle it, the sentence says).
        Sleep quality and fibro fog did not change by a clinically important amount
        (*non-responder*).

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


# --------------------------------------------------------------------------- 02
COHORT = [
    (
        "md",
        """
        # A cohort: 200 patients, one verdict each, and how much response varies

        An analyst with many patients' diaries (a registry, a patient community's app, a
        clinic's records) wants each patient's verdict and a summary across patients. This
        notebook analyses the 200 synthetic diaries of `data/synthetic/cohort_200.csv`
        (`simulate_cohort(200, seed=2025)`: responders, non-responders, patients who got
        worse, small effects, drifting natural courses and messy diaries), summarises the
        verdicts, pools the individual estimates in a random-effects meta-analysis, shows how
        much the individual responses differ, and, because the data are simulated, compares
        every verdict with the truth.
        """,
    ),
    (
        "code",
        """
        import tempfile
        import time
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        from scipy import stats

        import ldn_n1
        from ldn_n1.simulate import true_class

        DATA = Path("../data/synthetic")
        WORKERS = 2  # worker processes; the default is every core of the machine
        """,
    ),
    (
        "md",
        """
        ## 1. The batch

        `ldn_n1.analyze_cohort` reads a folder of diaries, one long or wide file with a
        `patient_id` column, or a Parquet dataset, and analyses each patient exactly as
        `ldn_n1.analyze` would (in a pool of worker processes, or on a Dask cluster with
        `engine="dask"`). A patient whose diary cannot be read or analysed becomes an error
        row with the reason; the others go on.

        For files on disk and very large cohorts, `ldn-n1 batch INPUT --out DIR` (or
        `ldn_n1.cohort.run_batch`) writes `results.csv`, `errors.csv` and a cohort summary
        (CSV and HTML) and can resume after an interruption. Here we keep everything in
        memory and save the two main tables to a temporary folder.
        """,
    ),
    (
        "code",
        """
        start = time.perf_counter()
        cohort = ldn_n1.analyze_cohort(DATA / "cohort_200.csv", workers=WORKERS)
        print(cohort)
        print(f"{time.perf_counter() - start:.0f} s with {WORKERS} worker processes")
        """,
    ),
    (
        "code",
        """
        out = Path(tempfile.mkdtemp(prefix="ldn_n1_cohort_"))
        cohort.results.to_csv(out / "results.csv", index=False)
        cohort.summary.to_frame().to_csv(out / "cohort_summary.csv", index=False)
        print("wrote", sorted(p.name for p in out.iterdir()), "to", out)

        results = cohort.results
        pain = results[(results["outcome"] == "pain") & (results["status"] == "ok")]
        pain[["patient_id", "classification", "improvement", "improvement_low",
              "improvement_high", "p_mcid", "n_baseline_days", "dose_timing"]].head()
        """,
    ),
    (
        "md",
        """
        `results` has one row per patient and outcome (5 outcomes x 200 patients), with the
        verdict, the posterior mean improvement and its 95% interval, P(improvement >= MCID),
        the number of baseline and evaluation days, the onset time, and the target dose and
        dose timing. `cohort.errors` lists any patient that failed (none here).

        ## 2. Verdict shares

        The share of each verdict per outcome, with 95% Wilson intervals:
        """,
    ),
    (
        "code",
        """
        verdicts = cohort.summary.verdicts
        verdicts[verdicts["outcome"] == "pain"].round(3)
        """,
    ),
    (
        "code",
        """
        ORDER = ["responder", "inconclusive", "non-responder", "worsened"]
        COLORS = {"responder": "#009E73", "inconclusive": "#BBBBBB",
                  "non-responder": "#56B4E9", "worsened": "#D55E00"}
        LABELS = {"sleep_quality": "sleep quality", "fog": "fibro fog"}
        shares = verdicts.pivot_table(index="outcome", columns="classification", values="share")
        shares = shares.loc[list(dict.fromkeys(verdicts["outcome"])), ORDER]
        shares.index = [LABELS.get(name, name) for name in shares.index]

        fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
        left = np.zeros(len(shares))
        for verdict in ORDER:
            ax.barh(shares.index, shares[verdict], left=left, color=COLORS[verdict],
                    label=verdict)
            left += shares[verdict].to_numpy()
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the 200 patients")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4, frameon=False)
        plt.show()
        """,
    ),
    (
        "md",
        """
        About a quarter of the patients are called responders on pain, more than half
        non-responders; one in five is inconclusive. These are shares of *verdicts*: they
        include misclassification both ways and the inconclusive ones, so they are not the
        share of patients who truly responded. The meta-analysis estimates that.

        ## 3. Random-effects meta-analysis: the average, and the spread

        Each patient gives an estimate of their own improvement with a standard error (from
        the width of the 95% interval). A random-effects model treats the patients' *true*
        improvements as drawn from a normal distribution with mean `mu` and between-patient
        variance `tau^2`, and separates that spread from each estimate's own uncertainty
        (Paule-Mandel estimator of `tau^2`; DerSimonian-Laird alongside).

        * the **pooled mean** `mu` with its 95% CI: the average true improvement;
        * **tau**: the SD of the true improvements across patients;
        * the **95% prediction interval**: where the true improvement of a *new* patient from
          the same population would lie;
        * `P(N(mu, tau^2) >= MCID)`: the estimated **share of patients whose true improvement
          reaches the MCID**;
        * `I^2`: the share of the variation between estimates that is real heterogeneity
          rather than noise.
        """,
    ),
    (
        "code",
        """
        meta = cohort.summary.meta
        m = meta[(meta["outcome"] == "pain") & (meta["method"] == "pm")].iloc[0]
        print(f"patients pooled:          {m['k']}")
        print(f"pooled mean improvement:  {m['mean']:.2f} points "
              f"(95% CI {m['ci_low']:.2f} to {m['ci_high']:.2f})")
        print(f"tau^2 = {m['tau2']:.2f}, tau = {np.sqrt(m['tau2']):.2f} points; I^2 = {m['i2']:.0%}")
        print(f"95% prediction interval:  {m['pi_low']:.2f} to {m['pi_high']:.2f} points")
        print(f"share with true improvement >= MCID ({m['mcid']:g}): {m['share_above_mcid']:.0%}")
        """,
    ),
    (
        "code",
        """
        columns = ["outcome", "method", "k", "mean", "ci_low", "ci_high", "tau2", "pi_low",
                   "pi_high", "i2", "share_above_mcid"]
        meta[columns].round(3)
        """,
    ),
    (
        "md",
        """
        For pain the pooled mean is about one point, half the MCID: as a trial average, LDN
        would look like it does little. The prediction interval says something else: it runs
        from a clear worsening to a large improvement, and the model estimates that roughly
        three in ten patients improve by at least the MCID. The average patient does not
        exist.

        ## 4. Individual response varies: the picture

        Left: every patient's estimate with its 95% interval, ranked, coloured by verdict,
        with the pooled mean (black line, its CI as a dark band) and the prediction interval
        (light band). Right: because the cohort is simulated, the *true* improvements are
        known; their histogram against the normal distribution the meta-analysis fitted.
        (One patient recorded pain on only 3 days of the evaluation window: too few for an
        estimate, so the verdict is *inconclusive* and the patient is not in the pooled
        analysis.)
        """,
    ),
    (
        "code",
        """
        ranked = pain.dropna(subset=["improvement"]).sort_values("improvement")
        ranked = ranked.reset_index(drop=True)
        rank = np.arange(len(ranked))

        truth = pd.read_csv(DATA / "cohort_200_truth.csv")
        pain_truth = truth[truth["outcome"] == "pain"].set_index("patient_id")

        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained",
                                      gridspec_kw={"width_ratios": [1.5, 1]}, sharey=True)
        ax.axhspan(m["pi_low"], m["pi_high"], color="0.93", label="95% prediction interval")
        ax.axhspan(m["ci_low"], m["ci_high"], color="0.6", label="pooled mean (95% CI)")
        ax.axhline(m["mean"], color="k", lw=1)
        for verdict in ORDER:
            sel = ranked["classification"] == verdict
            ax.vlines(rank[sel], ranked.loc[sel, "improvement_low"],
                      ranked.loc[sel, "improvement_high"], color=COLORS[verdict], lw=1.2,
                      label=verdict)
            ax.plot(rank[sel], ranked.loc[sel, "improvement"], "o", ms=2, color="k")
        ax.axhline(m["mcid"], color="#D55E00", ls="--", lw=1, label="MCID")
        ax.axhline(0, color="0.4", lw=0.6)
        ax.set_xlabel(f"{len(ranked)} patients, ranked by estimated improvement")
        ax.set_ylabel("pain improvement, points (positive = better)")
        ax.legend(loc="upper left", fontsize="small", ncols=2, frameon=False)

        true = pain_truth["true_improvement"]
        ax2.hist(true, bins=np.arange(-4.625, 5.0, 0.25), orientation="horizontal",
                 density=True, color="#999999", label="true improvements (simulation)")
        grid = np.linspace(-6, 7, 300)
        ax2.plot(stats.norm.pdf(grid, m["mean"], np.sqrt(m["tau2"])), grid, color="k",
                 label="fitted N(mu, tau^2)")
        ax2.axhline(m["mcid"], color="#D55E00", ls="--", lw=1)
        # The patients without any drug effect form a spike at 0: clip it and say so.
        ax2.set_xlim(0, 0.6)
        ax2.annotate(f"{(true == 0).mean():.0%} of patients:\\nno drug effect (clipped)",
                     xy=(0.6, 0), xytext=(0.33, 0.9), fontsize="small", ha="center",
                     arrowprops={"arrowstyle": "->", "color": "0.3"})
        ax2.set_xlabel("density")
        ax2.legend(loc="upper right", fontsize="small", frameon=False)
        plt.show()
        """,
    ),
    (
        "md",
        """
        The individual intervals are wide (a diary is one person's noisy days) but many of
        them do not even overlap the pooled mean: some patients clearly improved by 3-4
        points, others clearly got worse. On the right, the truth is far from normal: a spike
        at zero (no drug effect), a group around +3 (responders), a few below -2. The normal
        random-effects model still gets the numbers it is asked for (mean, spread, share
        above the MCID) about right: compare with the truth:
        """,
    ),
    (
        "code",
        """
        pd.DataFrame(
            {
                "meta-analysis": [m["mean"], np.sqrt(m["tau2"]), m["share_above_mcid"]],
                "truth (simulation)": [true.mean(), true.std(), (true >= m["mcid"]).mean()],
            },
            index=["mean improvement", "SD of true improvements (tau)",
                   "share with true improvement >= MCID"],
        ).round(3)
        """,
    ),
    (
        "md",
        """
        ## 5. The verdicts against the truth

        For each patient the simulation knows the true improvement on pain, and so the verdict
        a perfect analysis would give (`ldn_n1.simulate.true_class`: responder when the true
        improvement is at least the MCID, worsened when at most -MCID, non-responder
        otherwise). Rows: the truth; columns: the toolkit's verdict.
        """,
    ),
    (
        "code",
        """
        pain_truth["true_class"] = [true_class(row) for _, row in pain_truth.iterrows()]
        compared = pain.join(pain_truth[["true_class", "scenario", "true_improvement"]],
                             on="patient_id")
        confusion = pd.crosstab(compared["true_class"], compared["classification"],
                                margins=True, margins_name="total")
        confusion.loc[["responder", "non-responder", "worsened", "total"],
                      [*ORDER, "total"]]
        """,
    ),
    (
        "code",
        """
        called = compared["classification"]
        truly = compared["true_class"]
        print(f"false responders: {((called == 'responder') & (truly != 'responder')).sum()} "
              f"of {(truly != 'responder').sum()} patients who did not truly respond")
        print(f"positive predictive value: {(truly[called == 'responder'] == 'responder').mean():.0%} "
              f"of the {(called == 'responder').sum()} patients called responders truly responded")
        print(f"sensitivity: {(called[truly == 'responder'] == 'responder').mean():.0%} "
              f"of the {(truly == 'responder').sum()} true responders were called responders")
        print(f"worsening: {(called[truly == 'worsened'] == 'worsened').mean():.0%} "
              f"of the {(truly == 'worsened').sum()} truly worsened were called worsened, none "
              f"responder: {(called[truly == 'worsened'] != 'responder').all()}")
        """,
    ),
    (
        "md",
        """
        The verdict rule is deliberately cautious: a wrong "responder" is the costly error
        (a patient stays on a drug that does nothing for them), so when the evidence is not
        strong enough, the answer is *inconclusive* rather than a guess. By simulated
        scenario:
        """,
    ),
    (
        "code",
        """
        by_scenario = pd.crosstab(compared["scenario"], compared["classification"])
        by_scenario[[c for c in ORDER if c in by_scenario.columns]]
        """,
    ),
    (
        "md",
        """
        Where do the inconclusive verdicts come from? The true improvement of every patient,
        grouped by the verdict they got:
        """,
    ),
    (
        "code",
        """
        rng = np.random.default_rng(0)  # horizontal jitter only
        fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
        for i, verdict in enumerate(ORDER):
            sel = compared[compared["classification"] == verdict]
            x = i + rng.uniform(-0.25, 0.25, len(sel))
            ax.plot(x, sel["true_improvement"], "o", ms=3.5, alpha=0.7, color=COLORS[verdict])
        ax.axhline(m["mcid"], color="#D55E00", ls="--", lw=1, label="MCID")
        ax.axhline(-m["mcid"], color="#D55E00", ls="--", lw=1)
        ax.set_xticks(range(len(ORDER)), labels=ORDER)
        ax.set_xlabel("the toolkit's verdict")
        ax.set_ylabel("true improvement, points")
        ax.legend(loc="lower left", frameon=False)
        plt.show()
        """,
    ),
    (
        "md",
        """
        Three groups end up *inconclusive*: patients without any drug effect whose symptoms
        drifted or settled on their own (a before/after comparison sees an improvement; the
        model's trend term keeps it from calling them responders, but cannot rule a drug
        effect out either), patients with small true effects of about 0.6-1.5 points, below
        the MCID but not far, and some true responders with few or noisy diary days. Wrong
        verdicts are rare, and most of them are the cautious kind: truly worsened patients
        called non-responders (they did not improve, but the worsening was not certain
        enough to be named).
        """,
    ),
    (
        "md",
        """
        ## 6. Subgroups: dose timing

        The summary also tabulates responder shares by target dose and by when the dose was
        taken in the evaluation window (night or morning). These tables describe; they do not
        test, and with open-label data a difference between subgroups can have many causes.
        """,
    ),
    ("code", "cohort.summary.by_timing.round(3)"),
    (
        "md",
        """
        Everything above inherits the caveat of each single verdict: open-label before/after
        comparisons cannot separate the drug from expectation, the natural course, or
        regression to the mean, and a cohort of them cannot either. What the cohort adds is
        the distribution: how differently people respond, which no average shows.
        """,
    ),
]


# --------------------------------------------------------------------------- 03
VALIDATION = [
    (
        "md",
        """
        # Methods validation: the published R numbers, and calibration with known truth

        Two kinds of evidence that the toolkit computes what it claims:

        1. **Reproduction of reference software.** The single-case effect sizes, scan's
           piecewise regression and the gradual effects model are ports of R code
           (SingleCaseES 0.7.4, scan 0.67.1, `gem_scd`). Their numbers on published
           single-case datasets are compared with what R printed. The full comparison (several
           thousand numbers) is the test suite in `tests/reference/`; this notebook shows a few
           cases side by side.
        2. **Calibration.** The verdicts are checked on simulated patients whose true
           improvement is known: how often a patient without any drug effect is called a
           responder, how often clear responders are found, how often the 95% interval
           contains the truth, next to the naive before/after t-test.

        The reference numbers are not part of this repository. They are read from
        `../shared/validation` next to the project folder, or from the folder in the
        environment variable `LDN_N1_VALIDATION`. Without them, part 1 is skipped with a note
        and part 2 still runs.
        """,
    ),
    (
        "code",
        """
        import math
        import os
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        from IPython.display import display
        from statsmodels.stats.proportion import proportion_confint

        import ldn_n1
        from ldn_n1.calibration import calibration_table, run_calibration
        from ldn_n1.plm import scan_plm


        def find_validation() -> Path | None:
            \"\"\"The reference folder: $LDN_N1_VALIDATION, else ../shared/validation.\"\"\"
            env = os.environ.get("LDN_N1_VALIDATION")
            path = Path(env) if env else Path("..").resolve().parent / "shared" / "validation"
            return path if path.is_dir() else None


        VALIDATION = find_validation()
        if VALIDATION is None:
            print(
                "Reference data not found (set LDN_N1_VALIDATION or put them in "
                "../shared/validation): the comparisons with R are skipped below; the "
                "calibration study in part 2 runs anyway."
            )
        else:
            print("reference data:", VALIDATION)
        """,
    ),
    (
        "md",
        """
        ## 1a. Single-case effect sizes vs SingleCaseES 0.7.4

        `validation/singlecasees/cases.csv` holds the baseline (A) and treatment (B) values of
        56 published series, `expected.csv` what `SingleCaseES::calc_ES` returned for each
        measure and option set. Each row names its options (`improvement=decrease;SE=unbiased;
        ...`); we pass the same options to `ldn_n1.calc_effect_sizes`. Four measures on four
        series with different scales (counts, proportions, other):

        * NAP and Tau with the unbiased SE and Newcombe's interval,
        * SMD standardised by the baseline SD with the small-sample correction,
        * LRRi, the log response ratio with bias correction.
        """,
    ),
    (
        "code",
        """
        CASES = [
            ("Schmidt2007", "Albert/Disruptive Behavior/pair 1"),
            ("Wright2012", "Peter/Problem_behavior"),
            ("Casey1978", "120_Eric"),
            ("Thorne", "Participant 1/Academic Engagement/pair 1"),
        ]
        # Options that pick one row per measure (the case's own direction and scale).
        CHOICE = {
            "NAP": "SE=unbiased;confidence=0.95",
            "Tau": "SE=unbiased;confidence=0.95",
            "SMD": "std_dev=baseline;bias_correct=TRUE;confidence=0.95",
            "LRRi": "bias_correct=TRUE;confidence=0.95",
        }


        def read_exact(path: Path) -> pd.DataFrame:
            \"\"\"Read a reference CSV as text, so that numbers are parsed exactly by float().\"\"\"
            return pd.read_csv(path, dtype=str, keep_default_na=False)


        def number(text: str) -> float:
            return math.nan if text in ("NA", "") else float(text)


        def es_options(options: str) -> dict:
            \"\"\"An expected.csv options string as calc_effect_sizes keywords.\"\"\"
            kwargs = {}
            for item in options.split(";"):
                key, value = item.split("=", 1)
                if key == "SE":
                    kwargs["se"] = value
                elif key == "D_const":
                    kwargs["d_const"] = float(value)
                elif key == "bias_correct":
                    kwargs[key] = value == "TRUE"
                elif key in ("confidence", "observation_length", "intervals"):
                    kwargs[key] = float(value)
                else:  # improvement, std_dev, scale
                    kwargs[key] = value
            return kwargs


        def compare_effect_sizes(folder: Path) -> pd.DataFrame:
            values = read_exact(folder / "cases.csv")
            expected = read_exact(folder / "expected.csv")
            meta = read_exact(folder / "case_meta.csv").set_index(["dataset", "case"])
            rows = []
            for dataset, case in CASES:
                series = values[(values["dataset"] == dataset) & (values["case"] == case)]
                a = np.array([number(v) for v in series.loc[series["phase"] == "A", "outcome"]])
                b = np.array([number(v) for v in series.loc[series["phase"] == "B", "outcome"]])
                direction = meta.loc[(dataset, case), "improvement"]
                for measure, choice in CHOICE.items():
                    wanted = {f"improvement={direction}", *choice.split(";")}
                    candidates = expected[
                        (expected["dataset"] == dataset)
                        & (expected["case"] == case)
                        & (expected["measure"] == measure)
                        & expected["options"].map(lambda o, w=wanted: w <= set(o.split(";")))
                    ]
                    r = candidates.iloc[0]
                    ours = ldn_n1.calc_effect_sizes(
                        a, b, measures=[measure], **es_options(r["options"])
                    ).iloc[0]
                    rows.append(
                        {
                            "case": f"{dataset}: {case}".replace("/pair 1", ""),
                            "measure": measure,
                            "options": r["options"],
                            "R estimate": number(r["estimate"]),
                            "ldn_n1 estimate": ours["estimate"],
                            "R SE": number(r["se"]),
                            "ldn_n1 SE": ours["se"],
                            "max |difference| (estimate, SE, CI)": np.nanmax(np.abs(
                                np.array([ours["estimate"], ours["se"], ours["ci_low"],
                                          ours["ci_high"]])
                                - np.array([number(r[k]) for k in
                                            ("estimate", "se", "ci_lower", "ci_upper")])
                            )),
                        }
                    )
            return pd.DataFrame(rows)


        if VALIDATION is None:
            print("skipped: no reference data")
        else:
            es_table = compare_effect_sizes(VALIDATION / "singlecasees")
            with pd.option_context("display.max_colwidth", 60, "display.precision", 6):
                display(es_table)
            worst = es_table["max |difference| (estimate, SE, CI)"].max()
            print(f"largest absolute difference over {len(es_table)} rows: {worst:.1e}")
        """,
    ),
    (
        "md",
        """
        The numbers agree to rounding error (differences of order 1e-15). The reference test
        (`rtol=1e-10`) checks all 3,551 rows of `expected.csv` including warnings and
        error cases (`tests/reference/test_reference_singlecasees.py`).

        ## 1b. Piecewise regression vs scan 0.67.1 `plm()`

        scan's `plm()` fits a single case by ordinary least squares with a trend, a level
        change and a slope change at the phase change (scan's default design, model "W"), or
        by generalised least squares with AR(1) errors (`AR = 1`, exact maximum likelihood).
        The case is scan's own example `exampleAB`, "Johanna" (20 sessions).
        """,
    ),
    (
        "code",
        """
        STATS = {"estimate": "estimate", "se": "se", "t": "statistic", "p": "p",
                 "ci95_lower": "ci_low", "ci95_upper": "ci_high"}


        def compare_plm(folder: Path, options: str, **kwargs) -> pd.DataFrame:
            cases = pd.read_csv(folder / "cases.csv", dtype={"case": str, "phase": str})
            johanna = cases[(cases["dataset"] == "exampleAB") & (cases["case"] == "Johanna")]
            fit = scan_plm(johanna.sort_values("row"), dvar="values", pvar="phase", mvar="mt",
                           **kwargs)
            expected = read_exact(folder / "expected.csv")
            expected = expected[
                (expected["dataset"] == "exampleAB") & (expected["case"] == "Johanna")
                & (expected["function"] == "plm") & (expected["options"] == options)
                & expected["statistic"].isin(list(STATS))
                & ~expected["term"].isin(["model", "residuals"])
            ]
            ours = fit.coefficients.set_index("label")
            rows = []
            for term, group in expected.groupby("term", sort=False):
                row = {"term": term}
                for stat in ("estimate", "se", "p"):
                    r = number(group.loc[group["statistic"] == stat, "value"].iloc[0])
                    row[f"R {stat}"] = r
                    row[f"ldn_n1 {stat}"] = ours.loc[term, STATS[stat]]
                row["max relative difference"] = max(
                    abs(ours.loc[term, STATS[st]] - number(v)) / abs(number(v))
                    for st, v in zip(group["statistic"], group["value"], strict=True)
                )
                rows.append(row)
            return pd.DataFrame(rows).set_index("term")


        if VALIDATION is None:
            print("skipped: no reference data")
        else:
            for options, kwargs in (("model=W", {"model": "W"}),
                                    ("model=W;AR=1", {"model": "W", "ar": 1})):
                table = compare_plm(VALIDATION / "scan", options, **kwargs)
                print(f"plm(exampleAB['Johanna'], {options.replace(';', ', ')})")
                with pd.option_context("display.precision", 6):
                    display(table)
        """,
    ),
    (
        "md",
        """
        The maximum relative difference is over estimate, SE, t, p and the 95% interval. The
        OLS fit is reproduced to rounding error (the reference test asks for `rtol=1e-9`).
        The AR(1) fit is a numerical optimum (nlme's optimiser in R, ours in Python); the
        reference test holds it to `rtol=1e-4`.

        ## 1c. Gradual effects model vs `SingleCaseES::gem_scd`

        The gradual effects model (Swan & Pustejovsky 2018) is the frequentist cousin of this
        toolkit's onset model. A gaussian fit of one published series (Thorne, academic
        engagement of participant 1), with `m` = the number of treated sessions. R's
        `optimize()` stops at a tolerance of 2^-13 in `omega`; the reference also holds the
        fully converged answer of the same R code (`value_converged`), which is what a
        global search with tight tolerances should reach:
        """,
    ),
    (
        "code",
        """
        QUANTITIES = ["omega", "beta0", "beta1", "se_beta0_glm", "se_beta1_glm",
                      "se_beta0_delta", "se_beta1_delta", "se_omega_delta", "deviance",
                      "dispersion"]
        GEM_CASE = ("Thorne", "Academic Engagement/Participant 1", "gaussian")


        def compare_gem(folder: Path):
            dataset, case, family = GEM_CASE
            cases = read_exact(folder / "cases.csv")
            series = cases[(cases["dataset"] == dataset) & (cases["case"] == case)]
            series = series.sort_values("session", key=lambda x: x.astype(int), kind="stable")
            trt = series["trt"].map(number).to_numpy()
            y = series["outcome"].map(number).to_numpy()
            m = float(trt.sum())
            fit = ldn_n1.fit_gem(y, trt, family=family, m=m)
            expected = read_exact(folder / "expected.csv")
            expected = expected[
                (expected["dataset"] == dataset) & (expected["case"] == case)
                & (expected["family"] == family) & (expected["m"].map(number) == m)
            ].set_index("quantity")
            table = pd.DataFrame(
                {
                    "R (default tolerance)": expected.loc[QUANTITIES, "value"].map(number),
                    "R (converged)": expected.loc[QUANTITIES, "value_converged"].map(number),
                    "ldn_n1": [getattr(fit, q) for q in QUANTITIES],
                }
            )
            table["relative difference to converged"] = (
                (table["ldn_n1"] - table["R (converged)"]).abs() / table["R (converged)"].abs()
            )
            return fit, table


        if VALIDATION is None:
            print("skipped: no reference data")
        else:
            gem_fit, gem_table = compare_gem(VALIDATION / "gem")
            print(gem_fit)
            with pd.option_context("display.precision", 8):
                display(gem_table)
        """,
    ),
    (
        "md",
        """
        Our fit matches R's converged answer to about 1e-8 (relative); R's default output
        differs from both in the fourth or fifth digit of `omega` because of `optimize()`'s
        loose default tolerance. `tests/reference/test_reference_gem.py` checks all 371 fits
        (and documents two numbers in R's output that are wrong and how they are matched in
        corrected form). The fitted series (an A-B-A-B withdrawal design: the effect also
        fades gradually when the treatment is withdrawn):
        """,
    ),
    (
        "code",
        """
        if VALIDATION is None:
            print("skipped: no reference data")
        else:
            s = gem_fit.series()
            fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
            ax.plot(s["time"], s["outcome"], "o", color="0.2", ms=4, label="observed")
            ax.plot(s["time"], s["fitted"], color="#0072B2", label="gradual effects model")
            ax.plot(s["time"], s["counterfactual"], color="#E69F00", ls="--",
                    label="without treatment")
            start = s.loc[s["treatment"] > 0, "time"].min()
            ax.axvline(start - 0.5, color="0.4", lw=1, ls=":")
            ax.set_xlabel("session")
            ax.set_ylabel("academic engagement")
            ax.set_title(f"omega = {gem_fit.omega:.3f}: half of the effect after "
                         f"{gem_fit.half_effect_days:.1f} sessions")
            ax.legend(fontsize="small", frameon=False)
            plt.show()
        """,
    ),
    (
        "md",
        """
        ## 2. Calibration on simulated patients

        Reproducing R proves the arithmetic, not that the verdicts are right. For that we
        need patients whose true improvement is known. `run_calibration(n, seed)` simulates a
        cohort with the project's simulator (AR(1) day-to-day noise with rho 0.3-0.8, weekly
        rhythm, missing days, whole-number scores, gradual onset; some patients drift or
        settle after a flare without any drug effect, a natural course that a before/after
        comparison mistakes for a drug effect), analyses pain in each, and applies a naive
        rule next to it: Welch's t-test of the baseline days against the final 28 days,
        "responder" when significant (p < 0.05) and the difference is at least the MCID.

        200 patients keep this notebook fast; `benchmarks/calibration.py` runs the full study
        (600 patients by default). The same seed as that script is used.
        """,
    ),
    (
        "code",
        """
        per_patient = run_calibration(200, seed=11)
        table = calibration_table(per_patient)
        print("patients per group:", table.attrs["counts"])
        table.round(3)
        """,
    ),
    (
        "md",
        """
        With 200 patients each rate rests on a few dozen patients, so each has a wide Monte
        Carlo uncertainty: below, the counts with 95% Wilson intervals. The project's targets
        (README) are false responders at most 2% among patients with no effect (5% when their
        symptoms drift), sensitivity at least 0.85 for clear responders (true improvement at
        least 1.25 x MCID), and 95% intervals that contain the truth 93-98% of the time. A
        run of this size cannot confirm a target of 2% (zero of 58 is still compatible with
        about 6%); `benchmarks/calibration.py` with more patients narrows the intervals.
        """,
    ),
    (
        "code",
        """
        counts = table.attrs["counts"]
        RATES = {  # row of the table: (plot label, patients in the group, target)
            "false responders, no effect": ("false responders,\\nno effect", counts["no effect"], 0.02),
            "false responders, drifting": ("false responders,\\ndrifting", counts["drifting"], 0.05),
            "sensitivity, clear responders": ("sensitivity,\\nclear responders", counts["clear"], 0.85),
            "worsened called worsened": ("worsened called\\nworsened", counts["worsened"], np.nan),
        }
        rows = []
        for row, (_, n, target) in RATES.items():
            for method in ("ldn_n1", "welch t-test"):
                k = round(table.loc[row, method] * n)
                low, high = proportion_confint(k, n, method="wilson")
                rows.append({"rate": row, "method": method, "patients": f"{k} of {n}",
                             "share": k / n, "95% low": low, "95% high": high, "target": target})
        rates = pd.DataFrame(rows)
        rates.round(3)
        """,
    ),
    (
        "code",
        """
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained",
                                      gridspec_kw={"width_ratios": [1.1, 1]})
        y = np.arange(len(RATES))
        for k, (method, color) in enumerate((("ldn_n1", "#0072B2"), ("welch t-test", "#D55E00"))):
            r = rates[rates["method"] == method]
            pos = y + (-0.18 if k == 0 else 0.18)
            ax.barh(pos, r["share"], height=0.34, color=color, label=method)
            ax.errorbar(r["share"], pos, xerr=[r["share"] - r["95% low"], r["95% high"] - r["share"]],
                        fmt="none", ecolor="0.2", capsize=2, lw=1)
        targets = rates.loc[rates["method"] == "ldn_n1", "target"]
        ax.plot(targets, y - 0.18, "k|", ms=16, mew=2.5, label="target")
        ax.set_yticks(y, labels=[label for label, _, _ in RATES.values()])
        ax.invert_yaxis()
        ax.set_xlim(0, 1.02)
        ax.set_xlabel("share of patients (95% Wilson interval)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, frameon=False)
        ax.set_title("Verdicts: toolkit vs naive t-test")

        # Coverage: each patient's 95% interval against the true improvement.
        d = per_patient[per_patient["low"].notna()].sort_values("true_improvement").reset_index(drop=True)
        covered = (d["low"] <= d["true_improvement"]) & (d["true_improvement"] <= d["high"])
        rank = np.arange(len(d))
        ax2.vlines(rank[covered], d["low"][covered], d["high"][covered], color="#56B4E9", lw=1,
                   label="95% interval contains the truth")
        ax2.vlines(rank[~covered], d["low"][~covered], d["high"][~covered], color="#D55E00", lw=1.5,
                   label="misses the truth")
        ax2.plot(rank, d["true_improvement"], "k.", ms=3, label="true improvement")
        ax2.axhline(2.0, color="0.5", ls="--", lw=1, label="MCID")
        ax2.set_xlabel("simulated patients, ordered by true improvement")
        ax2.set_ylabel("pain improvement, points")
        ax2.set_title(f"Coverage {covered.mean():.0%} of {len(d)} intervals")
        ax2.legend(loc="upper left", fontsize="small", frameon=False)
        plt.show()
        """,
    ),
    (
        "md",
        """
        How to read this:

        * The naive t-test calls many patients without any drug effect responders, most of
          all when their symptoms drift: a before/after difference is attributed to the drug.
          The toolkit's trend term and autocorrelated errors make that much rarer, at the
          price of fewer decisions (some verdicts are *inconclusive*).
        * The toolkit calls fewer of the truly worsened patients *worsened*: when it is not
          80% sure that the worsening reaches the MCID, it says *non-responder*, which is
          still true (they did not improve), only less specific.
        * The t-test's high sensitivity is not a virtue here: it comes with its false
          responders (its positive predictive value is in the table above).
        * Coverage near 95% means the intervals are honest about the uncertainty, including
          the autocorrelation the t-test ignores. The t-test has no interval of the same
          estimand (it compares raw means, drift included), so there is no coverage to show
          for it.

        None of this removes the caveat of notebook 01: the simulated patients have no
        expectation or placebo effect, which no analysis of an open-label diary can detect.
        """,
    ),
]


def main(argv: list[str] | None = None) -> int:
    """Write the notebooks; ``--check`` only reports whether they are up to date."""
    args = sys.argv[1:] if argv is None else argv
    notebooks = {
        "01_single_patient.ipynb": _notebook("single", SINGLE),
        "02_cohort.ipynb": _notebook("cohort", COHORT),
        "03_methods_validation.ipynb": _notebook("validation", VALIDATION),
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
