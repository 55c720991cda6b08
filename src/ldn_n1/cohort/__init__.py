"""Cohort batch: analyse many patients' diaries, in parallel, and summarise across them.

- :func:`analyze_cohort` -- in memory: a :class:`CohortResult` (results, errors, summary).
- :func:`run_batch` -- the ``ldn-n1 batch`` runner: writes ``results.csv``, ``errors.csv``,
  ``cohort_summary.csv``/``.html`` (and reports), resumable after an interruption.
- :func:`summarize_cohort` -- verdict shares, random-effects meta-analysis, response by
  dose and timing, from a results table.

Engines: a local process pool (:mod:`ldn_n1.cohort.runner`) or Dask
(:mod:`ldn_n1.cohort.dask_engine`, optional extra ``ldn_n1[dask]``).
"""

from __future__ import annotations

from ldn_n1.cohort.meta import MetaAnalysis, meta_analyze
from ldn_n1.cohort.runner import CohortResult, analyze_cohort, run_batch
from ldn_n1.cohort.summary import CohortSummary, summarize_cohort

__all__ = [
    "CohortResult",
    "CohortSummary",
    "MetaAnalysis",
    "analyze_cohort",
    "meta_analyze",
    "run_batch",
    "summarize_cohort",
]
