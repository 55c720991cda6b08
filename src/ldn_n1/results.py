"""Result objects of :func:`ldn_n1.analyze`: :class:`OutcomeResult` and :class:`PatientResult`.

Numbers stay numbers until rendered: ``to_frame()`` gives a tidy DataFrame with stable
columns, ``to_dict()`` plain JSON-safe data, ``summary()`` a printable table (text and HTML).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ldn_n1.bayes import BayesFit
from ldn_n1.phases import Phases
from ldn_n1.plan import Plan
from ldn_n1.safety import SafetyResult
from ldn_n1.verdict import outcome_label

__all__ = ["SUMMARY_COLUMNS", "OutcomeResult", "PatientResult", "Summary"]

#: Columns of :meth:`PatientResult.to_frame` (the batch ``results.csv`` columns of DESIGN §5
#: minus ``patient_id``/``status``/``message``, plus model details).
SUMMARY_COLUMNS = [
    "outcome",
    "primary",
    "classification",
    "improvement",
    "improvement_low",
    "improvement_high",
    "p_improvement",
    "p_mcid",
    "p_worsening",
    "mcid",
    "n_baseline_days",
    "n_evaluation_days",
    "missing_share",
    "onset_tau_days",
    "rho",
    "trend_weight",
    "verdict_narrow_prior",
    "verdict_wide_prior",
    "settle_days",
]


@dataclass(frozen=True)
class OutcomeResult:
    """Verdict and posterior summary for one outcome of one patient.

    ``fit`` is None when too few days were recorded for a verdict (``classification`` is then
    ``inconclusive`` and ``sentence`` says why).
    """

    name: str
    better: str
    mcid: float
    primary: bool
    classification: str
    sentence: str
    n_baseline_days: int
    n_evaluation_days: int
    missing_share: float
    fit: BayesFit | None = field(default=None, repr=False)
    settle_days: int | None = None
    sensitivity: dict = field(default_factory=dict)
    scale: tuple[float, float] = (0.0, 10.0)
    data: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    phases: Phases | None = field(default=None, repr=False, compare=False)

    # Secondary analyses (issue: effect sizes, ITS, gradual effects), computed on first use so
    # that analyze() and the batch stay fast; each is a pure function of the diary.
    def _phase_values(self) -> tuple[np.ndarray, np.ndarray]:
        dates = pd.DatetimeIndex(self.data["date"])
        y = self.data[self.name].to_numpy(float)
        ok = ~np.isnan(y)
        base = y[ok & (dates < self.phases.first_dose)]
        win = y[
            ok & (dates >= self.phases.evaluation_start) & (dates <= self.phases.evaluation_end)
        ]
        return base, win

    @cached_property
    def effect_sizes(self) -> pd.DataFrame:
        """Single-case effect sizes, baseline vs evaluation window (SingleCaseES definitions).

        NAP, Tau, Tau-U, PND, PEM, IRD, SMD, LRRd/LRRi and the other measures of
        :func:`ldn_n1.effects.calc_effect_sizes` (``measures="all"``), with the outcome's
        direction of improvement; PoGO's goal is the best end of the scale.
        """
        from ldn_n1.effects import calc_effect_sizes

        base, win = self._phase_values()
        direction = "increase" if self.better == "higher" else "decrease"
        goal = self.scale[1] if self.better == "higher" else self.scale[0]
        return calc_effect_sizes(base, win, improvement=direction, measures="all", goal=goal)

    @cached_property
    def its(self) -> Any:
        """Frequentist interrupted-time-series fit: baseline level, level changes at the first
        and the target dose, gap-aware AR(1) errors (REML).

        No baseline trend: with a trend and step changes, a gradual onset is extrapolated so
        poorly that the interval spans most of the scale (see ``ldn_n1.its.fit_its`` to fit
        other variants)."""
        from ldn_n1.its import fit_its

        return fit_its(
            self.data,
            self.name,
            self.phases,
            errors="ar1",
            trend=False,
            slope_change=False,
            better=self.better,
        )

    @cached_property
    def gem(self) -> Any:
        """Gradual effects model (Swan & Pustejovsky 2018), on the calendar-day axis.

        ``gem.half_effect_days`` is the frequentist twin of the Bayesian onset time.
        """
        from ldn_n1.gem import fit_gem

        dates = pd.DatetimeIndex(self.data["date"])
        keep = dates <= self.phases.evaluation_end
        t = ((dates - self.phases.first_day) // pd.Timedelta(days=1)).to_numpy(float)[keep]
        treated = np.asarray(dates >= self.phases.first_dose, dtype=float)[keep]
        y = self.data[self.name].to_numpy(float)[keep]
        return fit_gem(y, treated, time=t, family="gaussian")

    @property
    def label(self) -> str:
        """Readable outcome name."""
        return outcome_label(self.name)

    @property
    def onset_tau_days(self) -> float:
        """Posterior-weighted mean onset time constant (days; 0 = immediate)."""
        if self.fit is None:
            return math.nan
        w = self.fit.onset_weights
        return float(sum(tau * p for tau, p in w.items()))

    def row(self) -> dict[str, Any]:
        """The outcome's row of :meth:`PatientResult.to_frame`."""
        f = self.fit
        nan = math.nan
        return {
            "outcome": self.name,
            "primary": self.primary,
            "classification": self.classification,
            "improvement": f.mean if f else nan,
            "improvement_low": f.low if f else nan,
            "improvement_high": f.high if f else nan,
            "p_improvement": f.p_improvement if f else nan,
            "p_mcid": f.p_mcid if f else nan,
            "p_worsening": f.p_worsening if f else nan,
            "mcid": self.mcid,
            "n_baseline_days": self.n_baseline_days,
            "n_evaluation_days": self.n_evaluation_days,
            "missing_share": self.missing_share,
            "onset_tau_days": self.onset_tau_days,
            "rho": f.rho_mean if f else nan,
            "trend_weight": f.trend_weight if f else nan,
            "verdict_narrow_prior": self.sensitivity.get("narrow", ""),
            "verdict_wide_prior": self.sensitivity.get("wide", ""),
            "settle_days": self.settle_days if self.settle_days is not None else nan,
        }

    def plot_frame(self, data: pd.DataFrame, first_day: pd.Timestamp) -> pd.DataFrame:
        """Daily observed values, modelled level and counterfactual with a 95% band."""
        if self.fit is None:
            return pd.DataFrame(
                columns=["date", "observed", "expected", "counterfactual", "cf_low", "cf_high"]
            )
        f = self.fit
        dates = first_day + pd.to_timedelta(f.days, unit="D")
        observed = pd.Series(data[self.name].to_numpy(float), index=pd.DatetimeIndex(data["date"]))
        return pd.DataFrame(
            {
                "date": dates,
                "observed": observed.reindex(dates).to_numpy(),
                "expected": f.expected,
                "counterfactual": f.counterfactual,
                "cf_low": f.counterfactual - 1.96 * f.counterfactual_sd,
                "cf_high": f.counterfactual + 1.96 * f.counterfactual_sd,
            }
        )


class Summary:
    """A printable summary table: ``str()`` gives text, ``_repr_html_`` an HTML table."""

    def __init__(self, title: str, table: pd.DataFrame, lines: list[str]) -> None:
        self.title = title
        self.table = table
        self.lines = lines

    def __str__(self) -> str:
        shown = self.table.to_string(index=False, float_format=lambda x: f"{x:.2f}")
        return "\n".join([self.title, "", shown, "", *self.lines])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = self.table.to_html(index=False, float_format=lambda x: f"{x:.2f}", escape=True)
        items = "".join(f"<li>{html.escape(x)}</li>" for x in self.lines)
        return f"<h4>{html.escape(self.title)}</h4>{body}<ul>{items}</ul>"


@dataclass(frozen=True)
class PatientResult:
    """Everything :func:`ldn_n1.analyze` found for one patient."""

    patient_id: str
    source: str
    sha256: str | None
    plan: Plan
    phases: Phases
    quality: Any
    outcomes: dict[str, OutcomeResult]
    safety: SafetyResult
    notes: tuple[str, ...]
    caveat: str
    data: pd.DataFrame = field(repr=False)

    @property
    def primary(self) -> OutcomeResult | None:
        """The primary outcome's result (None if the diary lacks it)."""
        return self.outcomes.get(self.plan.primary)

    def __repr__(self) -> str:
        p = self.primary
        head = f"{p.name}: {p.classification}" if p else "no primary outcome"
        if p and p.fit:
            head += f" ({p.fit.mean:+.1f} points, P(>=MCID)={p.fit.p_mcid:.2f})"
        return (
            f"PatientResult({self.patient_id!r}, {head}, {len(self.outcomes)} outcomes, "
            f"{self.phases.baseline_days} baseline + {self.phases.treatment_days} treatment days)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome with the columns of :data:`SUMMARY_COLUMNS`."""
        rows = [o.row() for o in self.outcomes.values()]
        frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
        frame.insert(0, "patient_id", self.patient_id)
        return frame

    def summary(self) -> Summary:
        """A readable table of all outcomes plus the verdict sentences and the caveat."""
        frame = self.to_frame()
        table = pd.DataFrame(
            {
                "outcome": [outcome_label(n) for n in frame["outcome"]],
                "verdict": frame["classification"],
                "improvement": frame["improvement"],
                "95% low": frame["improvement_low"],
                "95% high": frame["improvement_high"],
                "P(>0)": frame["p_improvement"],
                "P(>=MCID)": frame["p_mcid"],
                "P(<=-MCID)": frame["p_worsening"],
                "MCID": frame["mcid"],
            }
        )
        lines = [o.sentence for o in self.outcomes.values()]
        if self.safety.opioid_flag:
            lines.append(
                f"WARNING: opioid use recorded on {len(self.safety.opioid_days)} day(s) after "
                "the first dose; opioids must not be combined with naltrexone."
            )
        lines += list(self.notes)
        lines.append(self.caveat)
        title = f"Patient {self.patient_id}: improvement in points (positive = better)"
        return Summary(title, table, lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the results (NaN becomes None, dates ISO strings)."""
        outcomes = {}
        for name, o in self.outcomes.items():
            entry = _clean(o.row())
            entry["sentence"] = o.sentence
            entry["onset_weights"] = (
                {f"{k:g}": float(v) for k, v in o.fit.onset_weights.items()} if o.fit else None
            )
            outcomes[name] = entry
        s = self.safety
        return {
            "patient_id": self.patient_id,
            "source": self.source,
            "sha256": self.sha256,
            "plan": self.plan.to_dict(),
            "phases": _clean_records(self.phases.to_frame()),
            "outcomes": outcomes,
            "safety": {
                "opioid_days": [d.date().isoformat() for d in s.opioid_days],
                "side_effects": _clean_records(s.incidence),
                "first_onset": _clean_records(s.first_onset),
                "timing_switch": _clean_records(s.timing_switch),
                "alcohol": _clean_records(s.alcohol),
            },
            "notes": list(self.notes),
            "caveat": self.caveat,
        }


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else float(value)
    return value


def _clean_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(rec) for rec in frame.to_dict(orient="records")]
