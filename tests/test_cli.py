"""The command line: exit codes, one-line errors, outputs written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ldn_n1.cli import main, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).with_name("corpus")
SYNTHETIC = ROOT / "data" / "synthetic"


@pytest.mark.parametrize("path", sorted((CORPUS / "valid").glob("*.*")), ids=lambda p: p.name)
def test_validate_valid_exits_0(path, capsys):
    if path.name == "dose_log.csv":
        pytest.skip("a dose log, not a diary: used with dose_log_diary.csv")
    extra = ["--dose-log", str(path.with_name("dose_log.csv"))] if "dose_log" in path.name else []
    assert main(["validate", str(path), *extra]) == 0
    assert "days" in capsys.readouterr().out


@pytest.mark.parametrize("path", sorted((CORPUS / "malformed").glob("*.*")), ids=lambda p: p.name)
def test_validate_malformed_exits_2_with_one_line(path, capsys):
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ldn-n1: error: ")
    assert "\n" not in err
    assert "Traceback" not in err


def test_debug_shows_the_exception():
    from ldn_n1.errors import DiaryError

    with pytest.raises(DiaryError):
        main(["validate", str(CORPUS / "malformed" / "non_numeric_score.csv"), "--debug"])


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        main(["analyze"])
    assert info.value.code == 2


def test_analyze_prints_and_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["analyze", str(SYNTHETIC / "responder.csv"), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Verdict:" in text
    data = json.loads(out.read_text())
    assert data["outcomes"]["pain"]["classification"] in {
        "responder",
        "non-responder",
        "worsened",
        "inconclusive",
    }


def test_analyze_with_bad_plan_exits_2(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text("primary = 3\n", encoding="utf-8")
    assert main(["analyze", str(SYNTHETIC / "responder.csv"), "--plan", str(plan)]) == 2
    assert "primary" in capsys.readouterr().err


def test_simulate_writes_files(tmp_path):
    assert main(["simulate", "--patients", "3", "--out", str(tmp_path), "--seed", "4"]) == 0
    diaries = (tmp_path / "diaries.csv").read_text()
    assert diaries.startswith("patient_id,date,")
    assert (tmp_path / "truth.csv").exists()


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    with pytest.raises(TypeError):
        write_text_atomic(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    write_text_atomic(target, "new")
    assert target.read_text() == "new"


def test_validate_all_problems_lists_each(capsys):
    path = CORPUS / "malformed" / "many_problems.csv"
    assert main(["validate", str(path), "--all-problems"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "ldn-n1: error: 4 problems:"
    assert any("'fatigue': got 'six'" in line for line in lines[1:])
    assert len(lines) == 5


def test_app_export_end_to_end(tmp_path, capsys):
    apps = CORPUS / "apps"
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            str(apps / "visible_sim.csv"),
            "--source",
            "visible",
            "--dose-log",
            str(apps / "visible_sim_doses.csv"),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert "Verdict:" in html
    assert main(["analyze", str(apps / "bearable_sim.csv")]) == 0
    # Bearable symptoms stay on their 0-4 scale: the MCID is one category, not 2 points
    assert "(at least 1 point)" in capsys.readouterr().out
