"""ldn_n1: did this one patient respond? N-of-1 analysis of daily symptom diaries."""

from __future__ import annotations

from ldn_n1.errors import AnalysisError, DiaryError, LdnError, LdnWarning, PlanError

__version__ = "0.1.0"

__all__ = [
    "AnalysisError",
    "DiaryError",
    "LdnError",
    "LdnWarning",
    "PlanError",
    "__version__",
]
