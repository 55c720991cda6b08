"""Property tests of ``run_batch`` on generated hostile multi-patient CSV files.

Each example writes one CSV file holding a few simulated patients whose ids are drawn from
hostile text (path traversal, absolute paths, Windows device names, markup, spreadsheet
formulas, control characters, unicode, very long, blank) and some of whose cells are replaced
with junk (text in scores, out-of-range values, negative doses, broken dates, formulas). The
batch must then:

- return 0 (every patient analysed) or 1 (some failed), or raise :class:`LdnError` (the
  command line's exit 2), and raise that only for an input it cannot read at all (NUL bytes);
- write one group of rows per patient of the input into ``results.csv``: all ``ok`` (one row
  per plan outcome) or a single ``error`` row, in the order of the patients' first rows;
- list every failed patient in ``errors.csv``;
- leave no cell in any CSV that a spreadsheet would run as a formula;
- write nothing outside its output folder, leave the input untouched and leave no temporary
  file; with ``reports=True``, write the reports as plain files directly in ``out/reports``.

The batch runs in this process (``workers=1``) with a one-outcome plan to stay fast.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ldn_n1.cohort import run_batch
from ldn_n1.cohort.output import RESULT_COLUMNS, neutralise
from ldn_n1.cohort.tasks import ROW_COLUMNS
from ldn_n1.errors import DiaryError, LdnError
from ldn_n1.plan import DEFAULT_OUTCOMES, Plan
from ldn_n1.simulate import frame_to_csv, simulate_cohort

PLAN = replace(Plan(), outcomes={"pain": DEFAULT_OUTCOMES["pain"]})
POOL_SIZE = 4
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE_IDS = [
    "../x", "../../etc/passwd", "/abs", "/abs/x", "C:\\x", "\\\\server\\share", "CON", "con",
    "NUL", "aux.txt", "COM1", "LPT9", "..", ".", ".hidden", "-rf", "<script>alert(1)</script>",
    "--><script>x</script>", '"><img src=x onerror=alert(1)>', "=cmd|' /C calc'!A0",
    "+SUM(1)", "-x", "@evil", "\tx", "\rx", "=1+1", "\uff1dx", "-5", "+3", "1e3", "007",
    "NA", "-", "P 1", " padded ", "a\nb", "a\tb", "a\x1fb", "\u202eevil", "zero\u200bwidth",
    "ü", "中文", "P1", "p1", "x" * 300, "ä" * 200, "$\\frac{1}{0}$", "%s%n", "'quoted'", "",
    "   ",
]  # fmt: skip
JUNK = ["abc", "11", "-1", "7,5", "5x", "=1+1", "@x", "NA", "", "nan", "inf", "1e400",
        "2025-02-30", "yesterday", "<b>x</b>", "\u00a0", "3.5.1", "-0"]  # fmt: skip
#: Control characters the diary reader counts when it tells text from binary content.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
CORRUPTIBLE = ["date", "pain", "fatigue", "dose_mg", "opioid_use", "nausea", "notes"]

id_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
ids = st.one_of(st.sampled_from(HOSTILE_IDS), id_text)


@pytest.fixture(scope="module")
def pool() -> tuple[list[str], list[list[list[str]]]]:
    """Header and each simulated patient's rows, as the text cells of a CSV file."""
    data, _ = simulate_cohort(POOL_SIZE, seed=2718)
    rows = list(csv.reader(io.StringIO(frame_to_csv(data))))
    header, body = rows[0], rows[1:]
    pid = header.index("patient_id")
    patients: dict[str, list[list[str]]] = {}
    for row in body:
        patients.setdefault(row[pid], []).append(row)
    return header, list(patients.values())


@st.composite
def cohorts(draw, pool):
    """``(csv text, ids in file order)`` of a few patients with hostile ids and junk cells."""
    header, patients = pool
    n = draw(st.integers(1, 3))
    chosen = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=n, max_size=n, unique=True))
    names = draw(st.lists(ids, min_size=n, max_size=n))
    pid = header.index("patient_id")
    rows = []
    for k, name in zip(chosen, names, strict=True):
        rows += [[name if j == pid else cell for j, cell in enumerate(r)] for r in patients[k]]
    if n > 1 and draw(st.booleans()):
        date = header.index("date")
        rows.sort(key=lambda r: r[date])  # interleaved patients (stable: ties keep order)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(rows) - 1))
        column = header.index(draw(st.sampled_from(CORRUPTIBLE)))
        rows[i][column] = draw(st.one_of(st.sampled_from(JUNK), id_text))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue(), [r[pid] for r in rows]


def _expected_ids(ids_in_rows: list[str], stem: str) -> list[str]:
    """Patients the reader finds: stripped non-empty ids in order of first row (else the stem)."""
    found = list(dict.fromkeys(s.strip() for s in ids_in_rows if s.strip()))
    return found or [stem]


def _listing(root: Path, skip: Path) -> dict[str, tuple[int, int] | None]:
    """Every path under ``root`` except ``skip`` and its content; files with size and mtime."""
    found: dict[str, tuple[int, int] | None] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d != skip]
        for name in dirs:
            found[str((here / name).relative_to(root))] = None
        for name in files:
            st_ = (here / name).lstat()
            found[str((here / name).relative_to(root))] = (st_.st_size, st_.st_mtime_ns)
    return found


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _groups(rows: list[list[str]]) -> list[list[list[str]]]:
    groups: list[list[list[str]]] = []
    for row in rows:
        if groups and groups[-1][0][0] == row[0]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _run(text: str, *, reports: bool = False):
    """Run the batch on ``text`` inside a fresh folder tree; return what it did and left."""
    with tempfile.TemporaryDirectory(prefix="ldn-prop-") as tmp:
        base = Path(tmp)
        inbox = base / "in" / "deep"
        inbox.mkdir(parents=True)
        source = inbox / "diaries.csv"
        source.write_bytes(text.encode("utf-8"))
        out = base / "work" / "out"
        out.parent.mkdir()
        before = _listing(base, out)
        try:
            code = run_batch(source, out, plan=PLAN, workers=1, reports=reports, progress=False)
        except LdnError as exc:
            code = exc
        after = _listing(base, out)
        assert after == before, "files outside the output folder changed"
        assert source.read_bytes() == text.encode("utf-8")
        left = [p for p in out.rglob("*")] if out.exists() else []
        assert not [p for p in left if p.name.endswith(".tmp")], left
        assert not (out / ".parts").exists()
        tables = {}
        if not isinstance(code, LdnError):
            for name in ("results.csv", "errors.csv", "cohort_summary.csv"):
                tables[name] = _rows(out / name)
            assert (out / "cohort_summary.html").is_file()
        report_files = None
        if (out / "reports").exists():
            report_files = [
                (p.name, p.is_file(), p.is_symlink()) for p in (out / "reports").iterdir()
            ]
            assert all(p.parent == out / "reports" for p in (out / "reports").rglob("*"))
        return code, tables, report_files


def _check_tables(code: int, tables: dict[str, list[list[str]]], expected: list[str]) -> list:
    results, errors = tables["results.csv"], tables["errors.csv"]
    assert results[0] == list(ROW_COLUMNS)
    assert results[0][: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    groups = _groups(results[1:])
    # One group per patient of the input, in order of first appearance; ids neutralised.
    assert [g[0][0] for g in groups] == [neutralise(p) for p in expected]
    status = ROW_COLUMNS.index("status")
    failed = []
    for group in groups:
        states = [r[status] for r in group]
        if states == ["error"]:
            failed.append(group[0][0])
            assert group[0][ROW_COLUMNS.index("message")]
        else:
            assert states == ["ok"] * len(PLAN.outcomes), states
            assert [r[1] for r in group] == list(PLAN.outcomes)
    assert code == (1 if failed else 0)
    # Every failed patient is explained in errors.csv (and only failed patients are listed).
    listed = {r[0] for r in errors[1:] if not r[2].startswith("report:")}
    assert listed == set(failed)
    # No cell of any table would run as a spreadsheet formula.
    for name, rows in tables.items():
        for row in rows:
            for cell in row:
                assert neutralise(cell) == cell, (name, cell)
    return failed


def _check(code, tables, text: str, ids_in_rows: list[str]) -> list[str] | None:
    """Check a run; return the failed patients, or None when the whole file was refused."""
    if isinstance(code, LdnError):
        # The only whole-file refusal: control characters (here from ids repeated on every
        # row) above the reader's threshold mean binary content; exit 2, nothing written.
        assert isinstance(code, DiaryError)
        assert "binary content (control characters)" in str(code)
        assert CONTROL.search(text)
        assert tables == {}
        event("refused: control characters")
        return None
    failed = _check_tables(code, tables, _expected_ids(ids_in_rows, "diaries"))
    event(f"failed patients: {len(failed)}")
    return failed


@given(data=st.data())
@SETTINGS
def test_batch_on_hostile_cohort_files(pool, data):
    text, ids_in_rows = data.draw(cohorts(pool))
    code, tables, report_files = _run(text)
    assert report_files is None
    _check(code, tables, text, ids_in_rows)


@pytest.mark.parametrize(
    "text",
    [
        "patient_id,date,pain,dose_mg\na\x00b,2025-01-01,3,0\na\x00b,2025-01-20,3,4.5\n",
        "patient_id,date,pain,dose_mg\nP1,2025-01-01,3,0\n\x00\x00\x00\n",
    ],
)
def test_nul_bytes_refuse_the_whole_file(text):
    # NUL bytes mean binary content: the reader refuses the file (exit 2), nothing is written.
    code, tables, _ = _run(text)
    assert isinstance(code, DiaryError)
    assert "NUL" in str(code)
    assert tables == {}


@given(data=st.data())
@settings(SETTINGS, max_examples=12)
def test_report_files_stay_inside_the_output_folder(pool, data):
    """Reports of hostile ids: one plain file per analysed patient, directly in out/reports.

    The report HTML itself is replaced by a stub (rendering is what takes time and is
    tested in ``test_output_safety.py``); the file naming and moving are the real code.
    """
    from ldn_n1.cohort import tasks

    text, ids_in_rows = data.draw(cohorts(pool))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks, "_render_report", lambda result: "<p>report</p>")
        code, tables, report_files = _run(text, reports=True)
    failed = _check(code, tables, text, ids_in_rows)
    if failed is None:
        assert report_files is None
        return
    n_ok = len(_groups(tables["results.csv"][1:])) - len(failed)
    names = [name for name, is_file, is_link in report_files or [] if is_file and not is_link]
    assert len(names) == len(report_files or []) == n_ok
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert name.endswith(".html")
        assert not name.startswith((".", "-"))
        assert len(name.encode("utf-8")) <= 255
        assert all(c not in name for c in '/\\<>:"|?*\x00')
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
