"""The bundled examples: each report states the verdict its truth implies (or inconclusive),
and the messy example's report shows its data-quality problems."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.errors import LdnWarning
from ldn_n1.report import render_report
from ldn_n1.simulate import true_class

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


@pytest.mark.parametrize("name", ["responder", "non_responder", "worsened", "messy"])
def test_report_states_the_verdict_the_truth_implies(name):
    truth = pd.read_csv(DATA / f"{name}.truth.csv").set_index("outcome")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LdnWarning)
        result = analyze(DATA / f"{name}.csv")
    pain = result.primary
    expected = true_class(truth.loc["pain"], 2.0)
    assert pain.classification in (expected, "inconclusive")
    html = render_report(result, generated="2026-01-01 00:00")
    assert f"Verdict: {pain.classification}." in html
    if name != "messy":  # the three clear examples get their verdict, not "inconclusive"
        assert pain.classification == expected


def test_messy_report_shows_quality_problems():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LdnWarning)
        result = analyze(DATA / "messy.csv")
    q = result.quality
    assert q.days_expected - q.days_present == 37
    html = render_report(result, generated="2026-01-01 00:00")
    text = re.sub(r"<[^>]+>", " ", html)
    assert "rows were not in date order" in text
    assert re.search(r"\b37\b", text)  # missing days are reported
    assert "&lt;script&gt;" in html  # the hostile note is shown escaped
    assert "<script>alert" not in html
