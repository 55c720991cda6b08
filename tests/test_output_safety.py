"""Output safety: untrusted text never becomes markup, formulas or paths outside the output.

One hostile cohort file goes through the whole batch with real reports: patient ids, notes,
dose times, an extra column's header and the file name itself carry HTML/SVG payloads,
template syntax and spreadsheet formulas; some patients have formula-like junk in their
cells. Checked:

- the patient reports and ``cohort_summary.html``: no element or attribute the payloads try
  to create (no ``script``, ``img``, event handler, ``javascript:`` URL), the payloads shown
  as text, template syntax shown literally;
- ``results.csv``, ``errors.csv`` and an anonymised ``diaries.csv``: text cells starting with
  ``= + - @`` (also full width) get a leading ``'``; numbers, negative ones included, stay
  numbers;
- report file names from hostile ids (device names, ``..``, absolute and Windows paths,
  very long ids, ids equal up to case, Unicode compatibility forms or invisible characters)
  stay inside ``out/reports``, unique on case-insensitive file systems.

Unit tests of :func:`~ldn_n1.cohort.output.neutralise` and
:func:`~ldn_n1.cohort.output.safe_filename` are in ``tests/test_cohort.py``; the single
report's escaping of a hostile id, note and file name in ``tests/test_report.py``.
"""

from __future__ import annotations

import csv
import os
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_n1.anonymise import anonymise
from ldn_n1.cohort import run_batch
from ldn_n1.cohort.output import neutralise
from ldn_n1.plan import DEFAULT_OUTCOMES, Plan
from ldn_n1.simulate import frame_to_csv, simulate_patient

PLAN = replace(Plan(), outcomes={k: DEFAULT_OUTCOMES[k] for k in ("pain", "sleep_quality")})
#: The input file's own name is untrusted too (it is quoted in reports and messages).
FILE_NAME = "=<svg onload=alert(9)>.csv"
NOTE = "<img src=x onerror=alert(2)>"
TEMPLATE = "{{ 7*7 }}{% raw %}"
DOSE_TIME = "=hyperlink(1)"
MARKUP_DOSE_TIME = "<b onmouseover=alert(3)>night</b>"
COLUMN = "<svg onload=alert(5)>"
#: Analysed patients (each gets a real report): id -> scenario.
ANALYSED = {
    "<script>alert(1)</script>": "responder",
    "--><svg onload=alert(4)>": "worsened",  # would close an SVG comment holding the label
    "=cmd|' /C calc'!A0": "responder",
    "-5": "responder",
    "\uff0bx": "responder",
    "../../CON": "responder",
}
#: Patients with junk cells (error rows): id -> (column, junk).
FAILING = {
    "+SUM(1)": ("pain", "=1+1"),
    "-x": ("fatigue", "@SUM(1)"),
    "@x": ("dose_mg", "-1.5"),
    "\uff1dx": ("pain", "+cmd"),
    "\uff20x": ("mood", "-cmd"),
}
#: Elements the payloads try to create (``<b>`` without attributes is the page's own).
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "frame", "base", "form"}
NUMERIC = ["improvement", "improvement_low", "improvement_high", "p_improvement", "p_mcid",
           "p_worsening", "mcid", "missing_share", "onset_tau_days", "rho", "trend_weight",
           "target_dose_mg", "n_baseline_days", "n_evaluation_days", "n_timing_switches"]  # fmt: skip


def _hostile_frame() -> pd.DataFrame:
    frames = []
    for i, (pid, scenario) in enumerate(ANALYSED.items()):
        d = simulate_patient(40 + i, patient_id=pid, scenario=scenario).data
        d["notes"] = d["notes"].astype(object)
        d.loc[d.index[5], "notes"] = NOTE
        d.loc[d.index[6], "notes"] = TEMPLATE
        d["dose_time"] = d["dose_time"].astype(object)
        dosing = d["dose_mg"].to_numpy() > 0
        d.loc[dosing, "dose_time"] = (
            DOSE_TIME if i == 1 else MARKUP_DOSE_TIME if i == 0 else "night"
        )
        frames.append(d)
    for i, (pid, (column, junk)) in enumerate(FAILING.items()):
        d = simulate_patient(60 + i, patient_id=pid).data
        d[column] = d[column].astype(object)
        d.loc[d.index[3], column] = junk
        frames.append(d)
    data = pd.concat(frames, ignore_index=True)
    data[COLUMN] = "free text"  # a text column is dropped with a note quoting its header
    return data


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, Path, int]:
    root = tmp_path_factory.mktemp("hostile")
    source = root / FILE_NAME
    source.write_text(frame_to_csv(_hostile_frame()), encoding="utf-8", newline="")
    out = root / "out"
    code = run_batch(source, out, plan=PLAN, workers=1, reports=True, progress=False)
    return source, out, code


class _Markup(HTMLParser):
    """Elements, attributes and visible text of a document (comments kept apart)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def _check_markup(document: str) -> str:
    """Assert no payload became markup; return the visible text."""
    parser = _Markup()
    parser.feed(document)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in FORBIDDEN_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name)
    assert parser.comments == []
    for raw in ("<script", "<img", "<b ", "<iframe"):
        assert raw not in document.lower(), raw
    return "".join(parser.text)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_batch_ran(batch):
    _, out, code = batch
    assert code == 1  # the FAILING patients
    results = _rows(out / "results.csv")
    failed = [r["patient_id"] for r in results if r["status"] == "error"]
    assert failed == [neutralise(p) for p in FAILING]
    assert len(results) == len(ANALYSED) * len(PLAN.outcomes) + len(FAILING)


def test_patient_reports_escape_untrusted_text(batch):
    _, out, _ = batch
    reports = sorted((out / "reports").iterdir())
    assert len(reports) == len(ANALYSED)
    for path in reports:
        document = path.read_text(encoding="utf-8")
        text = _check_markup(document)
        assert NOTE in text
        assert TEMPLATE in text  # data is never evaluated as a template
        assert FILE_NAME in text
        assert f"column '{COLUMN}' holds text" in text


def test_report_shows_hostile_id_and_dose_time_as_text(batch):
    _, out, _ = batch
    text = _check_markup((out / "reports" / "script_alert(1)_script.html").read_text("utf-8"))
    assert "<script>alert(1)</script>" in text
    comment_id = _check_markup((out / "reports" / "svg_onload=alert(4).html").read_text("utf-8"))
    assert "--><svg onload=alert(4)>" in comment_id


def test_cohort_summary_escapes_untrusted_text(batch):
    _, out, _ = batch
    document = (out / "cohort_summary.html").read_text(encoding="utf-8")
    text = _check_markup(document)
    # Dose times are shown in the "response by dose timing" table (lower case, as read).
    assert MARKUP_DOSE_TIME in text
    assert DOSE_TIME in text
    # Ids are drawn in the forest plot as glyph outlines, never as markup or text.
    assert "alert(1)" not in document
    assert "alert(4)" not in document
    assert document.count("<svg") == 1


def test_results_and_errors_neutralise_formulas_but_not_numbers(batch):
    _, out, _ = batch
    results, errors = _rows(out / "results.csv"), _rows(out / "errors.csv")
    ids = list(dict.fromkeys(r["patient_id"] for r in results))
    expected = [neutralise(p.strip()) for p in [*ANALYSED, *FAILING]]
    assert ids == expected
    assert "'=cmd|' /C calc'!A0" in ids
    assert "'\uff0bx" in ids  # full-width forms too
    assert "-5" in ids  # an id that is a plain number is left alone
    for row in results:
        assert row["source"] == "'" + FILE_NAME
        for name in NUMERIC:
            if row[name]:
                float(row[name])  # numbers stay numbers (no leading ')
    improvements = [float(r["improvement"]) for r in results if r["improvement"]]
    assert min(improvements) < 0  # the worsened patient: negative numbers written as such
    timings = {r["dose_timing"] for r in results if r["status"] == "ok"}
    assert "'" + DOSE_TIME in timings
    values = {r["patient_id"]: r["value"] for r in errors if r["column"] in {"pain", "fatigue", "dose_mg", "mood"}}  # fmt: skip
    assert values == {
        "'+SUM(1)": "'=1+1",
        "'-x": "'@SUM(1)",
        "'@x": "-1.5",  # the negative dose is quoted as the number it is
        "'\uff1dx": "'+cmd",
        "'\uff20x": "'-cmd",
    }
    for row in errors:
        assert row["source"] == "'" + FILE_NAME
        assert row["message"].startswith("'" + FILE_NAME)
    for table in (results, errors):
        for row in table:
            assert all(neutralise(cell) == cell for cell in row.values())


def test_anonymised_diaries_neutralise_formulas(batch, tmp_path):
    source, _, _ = batch
    key = tmp_path / "key" / "secret.key"
    out = tmp_path / "shared"
    manifest = anonymise(source, out, key_file=key, create_key=True)
    assert manifest.patients_written == len(ANALYSED)
    rows = _rows(out / "diaries.csv")
    times = {r["dose_time"] for r in rows}
    assert "'" + DOSE_TIME in times
    assert MARKUP_DOSE_TIME in times  # not a formula: left as it is
    for row in rows:
        assert all(neutralise(cell) == cell for cell in row.values())
        for name, cell in row.items():
            if name not in {"patient_id", "date", "dose_time"} and cell:
                float(cell)
    assert all(r["patient_id"].startswith("P-") for r in rows)  # keyed pseudonyms
    blob = (out / "diaries.csv").read_text(encoding="utf-8")
    for pid in ANALYSED:
        assert pid == "-5" or pid not in blob  # "-5" is also a piece of some pseudonyms
    assert NOTE not in blob


def test_anonymised_diaries_neutralise_full_width_forms(tmp_path):
    sp = simulate_patient(3, patient_id="P1", scenario="responder")
    data = sp.data.copy()
    data["dose_time"] = data["dose_time"].astype(object)
    treated = np.flatnonzero(data["dose_mg"].to_numpy() > 0)
    hostile = ["\uff1dcmd", "\uff0bcmd", "\uff0dcmd", "\uff20cmd", "=cmd", "+cmd", "-cmd", "@cmd"]
    for k, text in enumerate(hostile):
        data.loc[data.index[treated[k]], "dose_time"] = text
    source = tmp_path / "p1.csv"
    source.write_text(frame_to_csv(data), encoding="utf-8", newline="")
    anonymise(source, tmp_path / "out", key_file=tmp_path / "k" / "key", create_key=True)
    times = {r["dose_time"] for r in _rows(tmp_path / "out" / "diaries.csv")}
    assert {"'" + t for t in hostile} <= times
    assert not set(hostile) & times


# --------------------------------------------------------------------------- file names
NAME_IDS = {
    "CON": "_CON.html",
    "nul": "_nul.html",
    "Aux": "_Aux.html",
    "com1.txt": "_com1.txt.html",
    "LPT9": "_LPT9.html",
    "..": "patient.html",
    ".": "patient-2.html",
    "../..": "patient-3.html",
    "../escape": "escape.html",
    "/abs/x": "abs_x.html",
    "/etc/passwd": "etc_passwd.html",
    "C:\\Windows\\x": "C_Windows_x.html",
    "\\\\server\\share": "server_share.html",
    "Pa": "Pa.html",
    "pA": "pA-2.html",
    "file": "file.html",
    "\ufb01le": "file-2.html",  # the "fi" ligature: NFKC "file"
    "P\u200b1": "P1.html",  # a zero-width space is dropped
    "P1": "P1-2.html",
    "a/b": "a_b.html",
    "a_b": "a_b-2.html",
    "y" * 300: "y" * 120 + ".html",
    "y" * 300 + "z": "y" * 120 + "-2.html",
}


def test_report_names_from_hostile_ids_stay_inside(tmp_path, monkeypatch):
    """Real naming and moving, stub report text (rendering is tested above)."""
    from ldn_n1.cohort import tasks

    monkeypatch.setattr(tasks, "_render_report", lambda result: "<p>stub</p>")
    frames = [
        simulate_patient(i + 1, patient_id=pid, scenario="responder").data
        for i, pid in enumerate(NAME_IDS)
    ]
    root = tmp_path / "root"
    (root / "input").mkdir(parents=True)
    source = root / "input" / "ids.csv"
    source.write_text(frame_to_csv(pd.concat(frames)), encoding="utf-8", newline="")
    decoy = root / "escape.html"
    decoy.write_text("keep", encoding="utf-8")
    out = root / "work" / "out"
    out.parent.mkdir()
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    plan = replace(PLAN, outcomes={"pain": DEFAULT_OUTCOMES["pain"]})
    assert run_batch(source, out, plan=plan, workers=1, reports=True, progress=False) == 0
    after = sorted(str(p.relative_to(root)) for p in root.rglob("*") if out not in p.parents)
    assert after == sorted([*before, "work/out"])
    assert decoy.read_text(encoding="utf-8") == "keep"
    written = sorted(os.listdir(out / "reports"))
    assert written == sorted(NAME_IDS.values())
    assert all((out / "reports" / name).is_file() for name in written)
    assert len({name.casefold() for name in written}) == len(written)
    assert all(len(name.encode("utf-8")) <= 255 for name in written)
