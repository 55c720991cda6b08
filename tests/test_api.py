"""The public API is pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ldn_n1

EXPECTED = {
    "AnalysisError", "Diary", "DiaryError", "LdnError", "LdnWarning", "Outcome",
    "OutcomeResult", "PatientResult", "Phases", "Plan", "PlanError", "QualityReport",
    "__version__", "analyze", "analyze_cohort", "calc_effect_sizes", "derive_phases",
    "fit_gem", "fit_its", "iter_diaries", "load_diaries", "load_diary", "load_plan",
    "simulate_cohort", "simulate_patient", "write_report",
}  # fmt: skip


def test_all_is_pinned():
    assert set(ldn_n1.__all__) == EXPECTED
    for name in ldn_n1.__all__:
        assert callable(getattr(ldn_n1, name)) or name == "__version__"


def test_import_loads_no_heavy_modules():
    code = (
        "import sys, ldn_n1; "
        "heavy = [m for m in ('matplotlib', 'seaborn', 'jinja2', 'dask', 'IPython', "
        "'statsmodels.api') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no_such_thing"):
        ldn_n1.no_such_thing  # noqa: B018


def test_help_is_fast_to_import():
    """``ldn-n1 --help`` only needs argparse: the package import loads no numerics."""
    code = "import sys, ldn_n1.cli; print('pandas' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False False"
