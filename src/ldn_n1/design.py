"""Study-design planning: how many baseline and treatment days does one patient's diary need?

For a patient described by a :class:`StudyDesign` (expected improvement, day-to-day noise,
autocorrelation, missing days, onset speed), :func:`plan_study` simulates diaries for every
combination of baseline and treatment length, analyses each with the toolkit's own
Bayesian-lite model (:mod:`ldn_n1.bayes`) and verdict rule (:func:`ldn_n1.verdict.classify`),
and reports how often the verdict is conclusive and how often it is correct.

Simulated diary, per day ``d`` (days since the first dose; baseline days are negative)::

    y(d) = clip(round(level + w * (week(d) + x(d) - delta * g(d))), scale)

with ``w = +1`` when lower is better (-1 otherwise), ``x`` a stationary AR(1) series with
coefficient ``rho`` and marginal SD ``noise_sd`` (the first day drawn from the stationary
distribution), ``week(d) = weekly_amplitude`` on Mondays (a "Monday effect", in the worse
direction) and 0 otherwise, ``g(d) = 1 - exp(-d / tau_days)`` from the first dose on (0
before; ``tau_days = 0`` is a step) and days missing at random with probability
``missing_share``. This is the day-level model of :mod:`ldn_n1.simulate_days` for one outcome
with constant dosing, no natural drift and no flare. The full effect ``delta`` is set per
treatment length so that the true estimand (DESIGN §4: mean of ``delta * g`` over the final
``evaluation_days`` days of treatment) equals ``improvement`` in every design::

    delta = improvement / mean(g over the evaluation window)

so every design answers the same question (is the improvement at the end of treatment
at least the MCID?), and the correct verdict is :func:`ldn_n1.simulate.true_class` of
``improvement`` (responder if ``>= mcid``, worsened if ``<= -mcid``, non-responder otherwise).
With a gradual onset this means a *larger* full effect for a shorter treatment. To compare
treatment lengths for one and the same patient instead, give ``reference_treatment_days``:
``improvement`` is then the improvement after that many days of treatment, ``delta`` is the
same in every design, a shorter treatment sees less of it, and the true improvement and the
correct verdict are given per design.

Randomness and Monte Carlo error. Simulations run in batches of ``batch_size``; each batch
has its own stream (``np.random.SeedSequence(seed).spawn``), one weekday of the first dose and
one pattern of missing days shared by its simulations, so that a batch is a single matrix fit
(:func:`ldn_n1.bayes._grid` takes a matrix of series on the same days). All designs use the
same batches (common random numbers: the series are aligned at the first dose, a longer
baseline extends them into the past, a longer treatment into the future), so differences
between designs are estimated more precisely than the designs themselves, and a design's
numbers do not change when other designs are added to the grid. Because the
simulations of a batch share their missing days, standard errors are cluster-robust over
batches, ``sqrt(B / (B - 1) * sum_b (k_b - p n_b)^2) / N`` (``k_b`` successes out of ``n_b``
in batch ``b``, ``N`` simulations in all); with a single batch the binomial SE is given.

Validated by: identical posterior probabilities to :func:`ldn_n1.bayes.fit_bayes` on each
simulated series, the sample SD and lag-1 autocorrelation of long simulated series against
``noise_sd`` and ``rho``, and the no-effect check (no responder verdicts) in
``tests/test_design.py``.

The patient (:class:`StudyDesign`) and the simulation of its diaries are in
:mod:`ldn_n1.design_sim`; this module scores the diaries with the toolkit's model, gathers
the operating characteristics of each design (:func:`plan_study`, :func:`required_days`) and
holds the result (:class:`StudyPlanResult`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ldn_n1.analysis import MIN_DAYS, MIN_DAYS_WEEKDAY
from ldn_n1.bayes import DEFAULT_RHOS, DEFAULT_TAUS, Prior, _grid, _probabilities
from ldn_n1.design_sim import StudyDesign, _number, _series, _simulate_batch, _whole
from ldn_n1.errors import PlanError
from ldn_n1.results import Summary
from ldn_n1.verdict import VERDICTS, classify

__all__ = ["StudyDesign", "StudyPlanResult", "plan_study", "required_days"]

TABLE_COLUMNS = (
    "baseline_days",
    "treatment_days",
    "p_conclusive",
    "p_correct",
    "se_conclusive",
    "se_correct",
    "n_sims",
    "p_responder",
    "p_non_responder",
    "p_worsened",
    "p_inconclusive",
    "full_effect",
    "true_improvement",
    "true_class",
)


@dataclass(frozen=True)
class StudyPlanResult:
    """Simulated operating characteristics of every design of a :class:`StudyDesign`.

    Attributes
    ----------
    table : DataFrame
        One row per (baseline_days, treatment_days): ``p_conclusive`` (share of verdicts other
        than inconclusive), ``p_correct`` (share equal to ``true_class``), their
        cluster-robust Monte Carlo standard errors ``se_conclusive``, ``se_correct``,
        ``n_sims``, the share of each verdict (``p_responder``, ``p_non_responder``,
        ``p_worsened``, ``p_inconclusive``), ``full_effect`` (points: the simulated effect at
        full onset), ``true_improvement`` (points: the estimand in that design) and
        ``true_class`` (the correct verdict).
    design : StudyDesign
    n_sims, seed, batch_size : int
        Simulations per design, seed and simulations per batch (one missing-day pattern).
    """

    table: pd.DataFrame = field(repr=False)
    design: StudyDesign = field(repr=False)
    n_sims: int
    seed: int
    batch_size: int

    def __repr__(self) -> str:
        return (
            f"StudyPlanResult(improvement={self.design.improvement:g}, "
            f"designs={len(self.table)}, n_sims={self.n_sims}, seed={self.seed})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The result table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, object]:
        """The design, settings and table as plain Python values (JSON-safe)."""
        return {
            "design": self.design.to_dict(),
            "n_sims": self.n_sims,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "table": self.table.to_dict(orient="records"),
        }

    def summary(self, target: float = 0.8) -> Summary:
        """A text/HTML table of every design plus plain sentences.

        The sentence names the shortest design (fewest diary days, then fewest baseline days)
        whose share of conclusive verdicts reaches ``target``; when none does, the design
        with the most correct verdicts.
        """
        d = self.design
        tab = self.table
        shown = pd.DataFrame(
            {
                "baseline days": tab["baseline_days"],
                "treatment days": tab["treatment_days"],
                "conclusive": [
                    _pm(p, s)
                    for p, s in zip(tab["p_conclusive"], tab["se_conclusive"], strict=True)
                ],
                "correct": [
                    _pm(p, s) for p, s in zip(tab["p_correct"], tab["se_correct"], strict=True)
                ],
                "responder": [f"{100 * p:.0f}%" for p in tab["p_responder"]],
                "non-responder": [f"{100 * p:.0f}%" for p in tab["p_non_responder"]],
                "worsened": [f"{100 * p:.0f}%" for p in tab["p_worsened"]],
            }
        )
        pick = required_days(self, target)
        if pick is not None:
            row = tab[(tab["baseline_days"] == pick[0]) & (tab["treatment_days"] == pick[1])]
            row = row.iloc[0]
            head = f"With {pick[0]} baseline and {pick[1]} treatment days"
        else:
            # More data can turn wrong verdicts into inconclusive ones: show the design
            # that is most often right.
            total = tab["baseline_days"] + tab["treatment_days"]
            order = np.lexsort((tab["baseline_days"], total, -tab["p_correct"]))
            row = tab.iloc[order[0]]
            days = (int(row["baseline_days"]), int(row["treatment_days"]))
            head = (
                f"No design reaches {100 * target:.0f}% conclusive verdicts. With "
                f"{days[0]} baseline and {days[1]} treatment days (the design most often right)"
            )
        verdict = (
            f"{head}, {100 * row['p_conclusive']:.0f}% of patients like this would get a "
            f"conclusive verdict and {100 * row['p_correct']:.0f}% the correct one "
            f"({row['true_class']})."
        )
        patient = (
            f"Patients like this: true improvement {d.improvement:g} points over the last "
            f"{d.evaluation_days} days of treatment (MCID {d.mcid:g}), day-to-day SD "
            f"{d.noise_sd:g}, lag-1 autocorrelation {d.rho:g}, {100 * d.missing_share:.0f}% "
            f"of days missing, onset time constant {d.tau_days:g} days."
        )
        method = (
            f"{self.n_sims} simulated diaries per design, analysed with the toolkit's model "
            f"(verdict threshold {d.probability_threshold:g}); +/- is the Monte Carlo "
            "standard error in percentage points. Real diaries also drift, flare and fall "
            "silent: treat these numbers as a best case."
        )
        lines = [verdict, patient, method]
        big = tab["full_effect"].abs().max()
        if d.reference_treatment_days is None and big > 1.5 * abs(d.improvement):
            short = int(tab["treatment_days"].min())
            lines.append(
                f"With a gradual onset, {d.improvement:g} points over the last "
                f"{d.evaluation_days} days of a {short}-day treatment needs a full effect of "
                f"{big:.1f} points: short treatments describe a different patient. To compare "
                "treatment lengths for one patient, set reference_treatment_days."
            )
        return Summary("Study design: chance of a conclusive verdict", shown, lines)


def _pm(p: float, se: float) -> str:
    return f"{100 * p:.0f}% +/- {100 * se:.0f}"


def _posterior_probabilities(
    design: StudyDesign, baseline: int, treatment: int, t, Y, weekday
) -> tuple[np.ndarray, np.ndarray] | None:
    """P(improvement >= MCID) and P(improvement <= -MCID) of each column of Y.

    The same computation as :func:`ldn_n1.bayes.fit_bayes` (checked in the tests) with the
    settings of :func:`ldn_n1.analyze`, batched over the columns; None when too few days are
    recorded in the baseline or the evaluation window for a verdict.
    """
    window = (float(treatment - design.evaluation_days), float(treatment - 1))
    d0 = float(baseline)
    n_base = int(np.sum(t < d0))
    n_window = int(np.sum((t >= d0 + window[0]) & (t <= d0 + window[1])))
    if n_base < MIN_DAYS or n_window < MIN_DAYS:
        return None
    grid = _grid(
        t,
        Y,
        d0,
        weekday,
        window,
        1.0 if design.better == "higher" else -1.0,
        Prior(),
        DEFAULT_RHOS,
        DEFAULT_TAUS,
        t.size >= MIN_DAYS_WEEKDAY,
        0.5 * (design.scale[0] + design.scale[1]),
    )
    _, p_mcid, p_worse = _probabilities(grid, design.mcid)
    return p_mcid, p_worse


def _verdicts(design: StudyDesign, baseline: int, treatment: int, t, Y, weekday) -> np.ndarray:
    """Verdict of each column of Y, as :func:`ldn_n1.analyze` would give it."""
    probs = _posterior_probabilities(design, baseline, treatment, t, Y, weekday)
    if probs is None:
        return np.full(Y.shape[1], "inconclusive", dtype=object)
    threshold = design.probability_threshold
    return np.array([classify(a, b, threshold) for a, b in zip(*probs, strict=True)], dtype=object)


def _share_and_se(hits: np.ndarray, sizes: np.ndarray) -> tuple[float, float]:
    """Share of successes and its cluster-robust SE over batches (binomial for one batch)."""
    total = sizes.sum()
    p = hits.sum() / total
    if hits.size < 2:
        return float(p), float(math.sqrt(p * (1.0 - p) / total))
    b = hits.size
    return float(p), float(math.sqrt(b / (b - 1) * np.sum((hits - p * sizes) ** 2)) / total)


def plan_study(
    design: StudyDesign, *, n_sims: int = 200, seed: int = 1, batch_size: int = 10
) -> StudyPlanResult:
    """Estimate by simulation how often each design gives a conclusive and a correct verdict.

    Parameters
    ----------
    design : StudyDesign
        The patient and the baseline and treatment lengths to compare.
    n_sims : int, default 200
        Simulated diaries per design (the same diaries, cut to length, for every design).
    seed : int, default 1
        Seed; the result is deterministic given it, and a batch's diaries do not depend on
        ``n_sims`` (a larger run extends a smaller one).
    batch_size : int, default 10
        Simulations sharing one missing-day pattern and one matrix fit.

    Returns
    -------
    StudyPlanResult

    Raises
    ------
    PlanError
        ``n_sims``, ``batch_size`` or ``seed`` not a whole number (>= 1, >= 1, >= 0).

    Notes
    -----
    Each diary is analysed as :func:`ldn_n1.analyze` analyses the primary outcome with the
    default plan: the Bayesian-lite model averaged over the onset, autocorrelation and trend
    grid, weekday terms from 35 recorded days on, no verdict with fewer than 5 recorded days
    in the baseline or the evaluation window. With 200 simulations a share near 80% has a
    standard error of about 3 percentage points.

    Examples
    --------
    >>> design = StudyDesign(improvement=3.0, noise_sd=1.6, rho=0.5, missing_share=0.15,
    ...                      baseline_days=[28], treatment_days=[84], mcid=2.0)
    >>> result = plan_study(design, n_sims=20, seed=3)
    >>> list(result.table.columns[:4])
    ['baseline_days', 'treatment_days', 'p_conclusive', 'p_correct']
    """
    if not isinstance(design, StudyDesign):
        msg = f"design: got {type(design).__name__}, expected a StudyDesign"
        raise PlanError(msg)
    n_sims = _whole("n_sims", n_sims, 1)
    batch_size = _whole("batch_size", batch_size, 1)
    seed = _whole("seed", seed, 0)
    sizes = np.full(-(-n_sims // batch_size), batch_size)
    sizes[-1] = n_sims - batch_size * (sizes.size - 1)
    streams = np.random.SeedSequence(seed).spawn(sizes.size)
    cells = [(b, t) for b in design.baseline_days for t in design.treatment_days]
    counts = np.zeros((len(cells), sizes.size, len(VERDICTS)))
    for j, (size, stream) in enumerate(zip(sizes, streams, strict=True)):
        batch = _simulate_batch(design, int(size), stream)
        for i, (baseline, treatment) in enumerate(cells):
            t, Y, weekday = _series(design, baseline, treatment, batch)
            verdicts = _verdicts(design, baseline, treatment, t, Y, weekday)
            counts[i, j] = [np.sum(verdicts == v) for v in VERDICTS]
    conclusive = counts[:, :, :3].sum(axis=2)
    truth = [design.true_class(treatment) for _, treatment in cells]
    correct = counts[np.arange(len(cells)), :, [VERDICTS.index(v) for v in truth]]
    rows = []
    for i, (baseline, treatment) in enumerate(cells):
        p_c, se_c = _share_and_se(conclusive[i], sizes)
        p_k, se_k = _share_and_se(correct[i], sizes)
        share = counts[i].sum(axis=0) / n_sims
        full = design.full_effect(treatment)
        true = design.true_improvement(treatment)
        rows.append(
            (baseline, treatment, p_c, p_k, se_c, se_k, n_sims, *share, full, true, truth[i])
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return StudyPlanResult(table, design, n_sims, seed, batch_size)


def required_days(
    design: StudyDesign | StudyPlanResult,
    target: float = 0.8,
    *,
    measure: str = "p_conclusive",
    n_sims: int = 200,
    seed: int = 1,
) -> tuple[int, int] | None:
    """The shortest (baseline_days, treatment_days) of the grid that reaches ``target``.

    Parameters
    ----------
    design : StudyDesign or StudyPlanResult
        A design (then :func:`plan_study` is run with ``n_sims`` and ``seed``) or its result.
    target : float, default 0.8
        Share to reach, 0 < target <= 1.
    measure : {"p_conclusive", "p_correct"}
        Which share must reach the target.
    n_sims, seed : int
        Passed to :func:`plan_study` when ``design`` is a StudyDesign.

    Returns
    -------
    (int, int) or None
        Fewest diary days in all (baseline + treatment), ties broken by the shorter
        baseline; None when no design of the grid reaches the target. The comparison uses the
        point estimate: look at the standard errors in the table before relying on a
        design that only just reaches it.
    """
    _number("target", target, lo=0.0, hi=1.0, lo_open=True)
    if measure not in ("p_conclusive", "p_correct"):
        msg = f"measure: got {measure!r}, expected 'p_conclusive' or 'p_correct'"
        raise PlanError(msg)
    result = design if isinstance(design, StudyPlanResult) else None
    if result is None:
        result = plan_study(design, n_sims=n_sims, seed=seed)  # type: ignore[arg-type]
    tab = result.table
    ok = tab[tab[measure] >= target]
    if ok.empty:
        return None
    order = np.lexsort((ok["baseline_days"], ok["baseline_days"] + ok["treatment_days"]))
    best = ok.iloc[order[0]]
    return int(best["baseline_days"]), int(best["treatment_days"])
