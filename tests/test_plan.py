from __future__ import annotations

import pytest

from ldn_n1.errors import PlanError
from ldn_n1.plan import DEFAULT_OUTCOMES, Plan, load_plan


def test_defaults():
    plan = load_plan(None)
    assert plan.primary == "pain"
    assert plan.evaluation_days == 28
    assert plan.probability_threshold == 0.8
    assert plan.outcome("pain").mcid == 2.0
    assert plan.outcome("sleep_quality").better == "higher"
    assert list(plan.outcomes) == list(DEFAULT_OUTCOMES)


def test_toml_file_round_trip(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(
        'primary = "fatigue"\nevaluation_days = 42\n[outcomes.fatigue]\nmcid = 1.5\n'
        '[outcomes.steps]\nbetter = "higher"\nscale = [0, 20000]\n',
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert plan.primary == "fatigue"
    assert next(iter(plan.outcomes)) == "fatigue"
    assert plan.evaluation_days == 42
    assert plan.outcome("fatigue").mcid == 1.5
    # undeclared MCID of a new outcome: 30% of its scale
    assert plan.outcome("steps").mcid == pytest.approx(6000.0)
    again = tmp_path / "again.toml"
    again.write_text(plan.to_toml(), encoding="utf-8")
    assert load_plan(again) == plan


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"primay": "pain"}, "unknown key 'primay'"),
        ({"evaluation_days": 0}, "evaluation_days"),
        ({"evaluation_days": 7.5}, "an integer"),
        ({"probability_threshold": 0.3}, "probability_threshold"),
        ({"primary": "steps"}, "primary"),
        ({"outcomes": {"pain": {"better": "down"}}}, "better"),
        ({"outcomes": {"pain": {"scale": [10, 0]}}}, "scale"),
        ({"outcomes": {"pain": {"mcid": -1}}}, "mcid"),
        ({"outcomes": {"pain": {"mcidd": 1}}}, "unknown key 'mcidd'"),
        ({"side_effects": "nausea"}, "side_effects"),
        ({"weekday": "yes"}, "weekday"),
    ],
)
def test_bad_plans_name_the_key(raw, match):
    with pytest.raises(PlanError, match=match):
        load_plan(raw)


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(PlanError, match="cannot read"):
        load_plan(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("primary = ", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan(bad)


def test_plan_passthrough():
    plan = Plan(evaluation_days=21)
    assert load_plan(plan) is plan
