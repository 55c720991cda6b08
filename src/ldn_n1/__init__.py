"""ldn_n1: did this one patient respond? N-of-1 analysis of daily symptom diaries.

Public API (see the README):

- :func:`load_diary`, :func:`load_diaries`, :func:`iter_diaries` -- read and validate diaries.
- :class:`Plan`, :func:`load_plan` -- the pre-registered analysis plan.
- :func:`derive_phases` -- baseline, titration steps, target dose, evaluation window.
- :func:`analyze` -- one patient's verdicts (:class:`PatientResult`).
- :func:`write_report` -- the clinician's HTML report (imported on first use).
- :func:`analyze_cohort` -- many patients (imported on first use).
- :func:`simulate_patient`, :func:`simulate_cohort` -- synthetic diaries with known truth.
- :func:`calc_effect_sizes`, :func:`fit_its`, :func:`fit_gem` -- single-case effect sizes,
  interrupted time series and the gradual effects model.

Importing the package loads no plotting, templating or cluster libraries.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ldn_n1.errors import AnalysisError, DiaryError, LdnError, LdnWarning, PlanError

__version__ = "0.1.0"

__all__ = [
    "AnalysisError",
    "Diary",
    "DiaryError",
    "LdnError",
    "LdnWarning",
    "Outcome",
    "OutcomeResult",
    "PatientResult",
    "Phases",
    "Plan",
    "PlanError",
    "QualityReport",
    "__version__",
    "analyze",
    "analyze_cohort",
    "calc_effect_sizes",
    "derive_phases",
    "fit_gem",
    "fit_its",
    "iter_diaries",
    "load_diaries",
    "load_diary",
    "load_plan",
    "simulate_cohort",
    "simulate_patient",
    "write_report",
]


# Public names and the module that defines each: imported on first use, so that
# ``import ldn_n1`` and ``ldn-n1 --help`` stay fast.
_LAZY = {
    "analyze": "ldn_n1.analysis",
    "Diary": "ldn_n1.diary",
    "QualityReport": "ldn_n1.diary",
    "iter_diaries": "ldn_n1.diary",
    "load_diaries": "ldn_n1.diary",
    "load_diary": "ldn_n1.diary",
    "calc_effect_sizes": "ldn_n1.effects",
    "fit_gem": "ldn_n1.gem",
    "fit_its": "ldn_n1.its",
    "Phases": "ldn_n1.phases",
    "derive_phases": "ldn_n1.phases",
    "Outcome": "ldn_n1.plan",
    "Plan": "ldn_n1.plan",
    "load_plan": "ldn_n1.plan",
    "OutcomeResult": "ldn_n1.results",
    "PatientResult": "ldn_n1.results",
    "simulate_cohort": "ldn_n1.simulate",
    "simulate_patient": "ldn_n1.simulate",
    "write_report": "ldn_n1.report",
    "analyze_cohort": "ldn_n1.cohort",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    msg = f"module 'ldn_n1' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
