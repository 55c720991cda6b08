from __future__ import annotations

import pytest

from ldn_n1.verdict import CAVEAT, classify, describe_outcome


@pytest.mark.parametrize(
    ("p_mcid", "p_worse", "threshold", "expected"),
    [
        (0.8, 0.0, 0.8, "responder"),
        (0.79, 0.0, 0.8, "inconclusive"),
        (0.2, 0.0, 0.8, "non-responder"),
        (0.21, 0.0, 0.8, "inconclusive"),
        (0.0, 0.8, 0.8, "worsened"),
        (0.0, 0.5, 0.8, "non-responder"),
        (0.05, 0.0, 0.95, "non-responder"),
        (0.9, 0.0, 0.95, "inconclusive"),
    ],
)
def test_classify_thresholds(p_mcid, p_worse, threshold, expected):
    assert classify(p_mcid, p_worse, threshold) == expected


def test_sentence_directions():
    lower = describe_outcome("pain", "lower", 2.0, 2.6, 1.8, 3.4, 0.93, 0.0, "responder")
    assert lower.startswith("Pain fell by about 2.6 points (95% interval 1.8 to 3.4)")
    assert "93%" in lower
    assert lower.endswith("Verdict: responder.")
    higher = describe_outcome("sleep_quality", "higher", 2.0, -1.2, -2.0, -0.4, 0.0, 0.3, "x")
    assert higher.startswith("Sleep quality fell by about 1.2 points (95% interval 0.4 to 2.0)")
    assert "worsening: 30%" in higher
    worse_pain = describe_outcome("pain", "lower", 2.0, -1.0, -2.0, 0.5, 0.0, 0.2, "x")
    assert worse_pain.startswith("Pain rose by about 1.0 point (95% interval -0.5 to 2.0)")


def test_inconclusive_sentence_says_what_would_settle_it():
    text = describe_outcome("pain", "lower", 2, 1.5, 0.1, 2.9, 0.3, 0.0, "inconclusive", 28)
    assert "About 28 more diary days" in text
    text = describe_outcome("pain", "lower", 2, 1.5, 0.1, 2.9, 0.3, 0.0, "inconclusive", None)
    assert "would probably not settle it" in text


def test_caveat_mentions_the_limits():
    for phrase in ("open-label", "expectation", "regression to the mean", "individual response"):
        assert phrase in CAVEAT
