"""Cohort tables from batch results: verdict shares, meta-analysis, response by dose and timing.

Pure computation: DataFrames in, a frozen :class:`CohortSummary` out. Writing and plotting
live in :mod:`ldn_n1.cohort.runner` and :mod:`ldn_n1.cohort.html`.

Shares of verdicts are counts among the patients analysed for that outcome, with 95% Wilson
score intervals (``statsmodels.stats.proportion.proportion_confint(method="wilson")``;
Wilson 1927). They describe this cohort's verdicts, which include misclassification both
ways; the meta-analysis (:mod:`ldn_n1.cohort.meta`) estimates the distribution of true
improvements instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ldn_n1.cohort.meta import Z_95, meta_frame, meta_input
from ldn_n1.verdict import VERDICTS

__all__ = ["SUMMARY_FRAME_COLUMNS", "CohortSummary", "summarize_cohort", "wilson"]

#: Columns of :meth:`CohortSummary.to_frame` (``cohort_summary.csv``).
SUMMARY_FRAME_COLUMNS = ("section", "outcome", "group", "statistic", "value", "low", "high", "n")
_GROUP_COLUMNS = ("outcome", "group", "n", "responders", "share", "share_low", "share_high",
                  "non_responders", "worsened", "inconclusive")  # fmt: skip


def wilson(count: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval of ``count / n`` (NaN where ``n == 0``).

    Thin wrapper of ``proportion_confint(count, n, alpha=0.05, method="wilson")``.

    Examples
    --------
    >>> low, high = wilson(np.array([3]), np.array([10]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.1078, 0.6032)
    """
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    low = np.full(count.shape, math.nan)
    high = np.full(count.shape, math.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(count[ok], n[ok], alpha=0.05, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


@dataclass(frozen=True)
class CohortSummary:
    """What a batch found across patients.

    Attributes
    ----------
    n_patients, n_analysed, n_errors : int
        Patients in the input, analysed, and failed (error rows).
    primary : str or None
        The plan's primary outcome (the first outcome flagged ``primary``).
    verdicts : DataFrame
        Per outcome and verdict: ``outcome, classification, count, n, share, share_low,
        share_high`` (Wilson 95%).
    meta : DataFrame
        :func:`ldn_n1.cohort.meta.meta_frame`: per outcome, Paule-Mandel and
        DerSimonian-Laird random-effects summaries.
    by_target_dose, by_timing : DataFrame
        Per outcome and group (target dose ``"4.5 mg"``; dose timing in the evaluation
        window, ``"night"``/``"morning"``/...): ``outcome, group, n, responders, share,
        share_low, share_high, non_responders, worsened, inconclusive``.
    forest : DataFrame
        Plot data of the primary outcome's forest plot: ``patient_id, improvement, low,
        high, se`` sorted by improvement (interval = improvement +/- 1.96 SE as used in the
        meta-analysis).
    """

    n_patients: int
    n_analysed: int
    n_errors: int
    primary: str | None
    verdicts: pd.DataFrame = field(repr=False)
    meta: pd.DataFrame = field(repr=False)
    by_target_dose: pd.DataFrame = field(repr=False)
    by_timing: pd.DataFrame = field(repr=False)
    forest: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        head = f"{self.n_patients} patients, {self.n_analysed} analysed, {self.n_errors} failed"
        pm = self.meta[(self.meta["method"] == "pm") & (self.meta["outcome"] == self.primary)]
        if len(pm):
            m = pm.iloc[0]
            head += (
                f"; {self.primary}: pooled improvement {m['mean']:.2f} "
                f"[{m['ci_low']:.2f}, {m['ci_high']:.2f}], tau2={m['tau2']:.2f}"
            )
        return f"CohortSummary({head})"

    def to_frame(self) -> pd.DataFrame:
        """All tables in one tidy frame (:data:`SUMMARY_FRAME_COLUMNS`), for ``cohort_summary.csv``.

        Sections: ``cohort`` (patients, analysed, errors), ``verdicts`` (``count`` and
        ``share`` with its Wilson interval per verdict), ``meta_pm`` / ``meta_dl`` (``mean``
        with its CI, ``prediction`` with the prediction interval, ``tau2``, ``i2``, ``q``,
        ``mcid``, ``share_above_mcid``; ``n`` = patients included), ``by_target_dose`` and
        ``by_timing`` (``responder_share`` with Wilson interval, counts).
        """
        rows: list[tuple] = []
        nan = math.nan
        for stat, value in (
            ("patients", self.n_patients),
            ("analysed", self.n_analysed),
            ("errors", self.n_errors),
        ):
            rows.append(("cohort", "", "", stat, float(value), nan, nan, value))
        for r in self.verdicts.itertuples(index=False):
            rows.append(
                ("verdicts", r.outcome, r.classification, "count", float(r.count), nan, nan, r.n)
            )
            rows.append(("verdicts", r.outcome, r.classification, "share", r.share, r.share_low, r.share_high, r.n))  # fmt: skip
        for m in self.meta.itertuples(index=False):
            section = f"meta_{m.method}"
            rows += [
                (section, m.outcome, "", "mean", m.mean, m.ci_low, m.ci_high, m.k),
                (section, m.outcome, "", "se", m.se, nan, nan, m.k),
                (section, m.outcome, "", "prediction", m.mean, m.pi_low, m.pi_high, m.k),
                (section, m.outcome, "", "tau2", m.tau2, nan, nan, m.k),
                (section, m.outcome, "", "i2", m.i2, nan, nan, m.k),
                (section, m.outcome, "", "q", m.q, nan, nan, m.k),
                (section, m.outcome, "", "mcid", m.mcid, nan, nan, m.k),
                (section, m.outcome, "", "share_above_mcid", m.share_above_mcid, nan, nan, m.k),
            ]
        for section, table in (
            ("by_target_dose", self.by_target_dose),
            ("by_timing", self.by_timing),
        ):
            for g in table.itertuples(index=False):
                rows.append((section, g.outcome, g.group, "responder_share", g.share, g.share_low, g.share_high, g.n))  # fmt: skip
                for stat in ("responders", "non_responders", "worsened", "inconclusive"):
                    rows.append((section, g.outcome, g.group, stat, float(getattr(g, stat)), nan, nan, g.n))  # fmt: skip
        frame = pd.DataFrame(rows, columns=list(SUMMARY_FRAME_COLUMNS))
        frame["n"] = frame["n"].astype("int64")
        return frame


def _verdict_table(ok: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for outcome in pd.unique(ok["outcome"]):
        cls = ok.loc[ok["outcome"] == outcome, "classification"]
        n = len(cls)
        counts = cls.value_counts()
        for verdict in VERDICTS:
            rows.append((outcome, verdict, int(counts.get(verdict, 0)), n))
    frame = pd.DataFrame(rows, columns=["outcome", "classification", "count", "n"])
    n = frame["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = np.where(n > 0, frame["count"].to_numpy(dtype=float) / n, math.nan)
    frame["share_low"], frame["share_high"] = wilson(frame["count"].to_numpy(), n)
    return frame


def _dose_label(mg: float) -> str:
    return "unknown" if not math.isfinite(mg) else f"{mg:g} mg"


def _group_table(ok: pd.DataFrame, labels: pd.Series, order: list[str]) -> pd.DataFrame:
    rows = []
    for outcome in pd.unique(ok["outcome"]):
        sel = (ok["outcome"] == outcome).to_numpy()
        for group in order:
            cls = ok["classification"].to_numpy()[sel & (labels == group).to_numpy()]
            if cls.size == 0:
                continue
            rows.append(
                (
                    outcome,
                    group,
                    int(cls.size),
                    int(np.sum(cls == "responder")),
                    int(np.sum(cls == "non-responder")),
                    int(np.sum(cls == "worsened")),
                    int(np.sum(cls == "inconclusive")),
                )
            )
    cols = ["outcome", "group", "n", "responders", "non_responders", "worsened", "inconclusive"]
    frame = pd.DataFrame(rows, columns=cols)
    n = frame["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = np.where(n > 0, frame["responders"].to_numpy(dtype=float) / n, math.nan)
    frame["share_low"], frame["share_high"] = wilson(frame["responders"].to_numpy(), n)
    return frame[list(_GROUP_COLUMNS)]


def summarize_cohort(results: pd.DataFrame, primary: str | None = None) -> CohortSummary:
    """Summarise batch results across patients.

    Parameters
    ----------
    results : DataFrame
        ``results.csv`` as a frame (one row per patient x outcome; error rows have
        ``status == "error"``); numeric columns as numbers. Optional columns
        ``target_dose_mg`` and ``dose_timing`` give the subgroup tables. Not modified.
    primary : str, optional
        Outcome of the forest plot; default the outcome flagged ``primary`` in ``results``.

    Returns
    -------
    CohortSummary

    Notes
    -----
    A patient counts once in ``n_patients`` (distinct ``patient_id`` and ``source``);
    ``n_errors`` counts patients with an error row. Subgroup shares use the same Wilson interval as the verdict
    shares and make no adjustment for multiple comparisons: they describe, they do not test.
    """
    status = results["status"].astype(str)
    ok = results[status == "ok"]
    # A patient is an id from one source file (the same id in two files is two patients,
    # the second an error).
    key = results["patient_id"].astype(str)
    if "source" in results.columns:
        key = key + "\x00" + results["source"].fillna("").astype(str)
    n_errors = int(key[status == "error"].nunique())
    n_patients = int(key.nunique())
    n_analysed = int(key[status == "ok"].nunique())
    if primary is None:
        flagged = ok.loc[ok["primary"].astype(str).isin(["True", "true", "1"]), "outcome"]
        primary = str(flagged.iloc[0]) if len(flagged) else None
    if "target_dose_mg" in ok.columns:
        dose = pd.to_numeric(ok["target_dose_mg"], errors="coerce").to_numpy(dtype=float)
        dose_labels = pd.Series([_dose_label(x) for x in dose], index=ok.index, dtype=object)
        finite = np.unique(dose[np.isfinite(dose)])
        dose_order = [_dose_label(x) for x in finite] + ["unknown"]
    else:
        dose_labels, dose_order = pd.Series("unknown", index=ok.index, dtype=object), ["unknown"]
    if "dose_timing" in ok.columns:
        timing = ok["dose_timing"].fillna("").astype(str).replace("", "unknown")
    else:
        timing = pd.Series("unknown", index=ok.index, dtype=object)
    known = [t for t in ("night", "morning") if t in set(timing)]
    timing_order = known + sorted(set(timing) - {"night", "morning", "unknown"}) + ["unknown"]
    forest = pd.DataFrame(columns=["patient_id", "improvement", "low", "high", "se"])
    if primary is not None:
        data = meta_input(results, primary)
        forest = pd.DataFrame(
            {
                "patient_id": data["patient_id"].astype(str),
                "improvement": data["improvement"],
                "low": data["improvement"] - Z_95 * data["se"],
                "high": data["improvement"] + Z_95 * data["se"],
                "se": data["se"],
            }
        )
        forest = forest.sort_values(["improvement", "patient_id"], kind="stable").reset_index(
            drop=True
        )
    return CohortSummary(
        n_patients=n_patients,
        n_analysed=n_analysed,
        n_errors=n_errors,
        primary=primary,
        verdicts=_verdict_table(ok),
        meta=meta_frame(results),
        by_target_dose=_group_table(ok, dose_labels, dose_order),
        by_timing=_group_table(ok, timing, timing_order),
        forest=forest,
    )
