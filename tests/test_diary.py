"""Reading and validating diaries: the corpus of odd-but-valid and malformed files, layouts,
dose logs, several patients, and the promise never to modify the input."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_n1.diary import Diary, iter_diaries, load_diaries, load_diary
from ldn_n1.errors import DiaryError
from ldn_n1.quality import ExcludedRow

CORPUS = Path(__file__).parent / "corpus"
VALID = CORPUS / "valid"
MALFORMED = CORPUS / "malformed"


def dates(*days: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in days]


def column(diary: Diary, name: str) -> list[object]:
    """Column values with NaN / <NA> as None, for exact comparisons."""
    return [None if pd.isna(v) else v for v in diary.data[name].tolist()]


# --------------------------------------------------------------------------- malformed corpus
# file, (line, column, value) of the first problem, words the message must contain, problems
MALFORMED_CASES = {
    "empty.csv": (None, None, None, "the file is empty", 1),
    "header_only.csv": (None, None, None, "at least one diary row below the header", 1),
    "no_date_column.csv": (
        None,
        None,
        None,
        "a 'date' column; columns found: 'when', 'pain', 'dose_mg'",
        1,
    ),
    "ambiguous_dates.csv": (2, "date", "03/04/2025", "an unambiguous date", 2),
    "mixed_date_order.csv": (4, "date", "01/14/2025", "day/month/year order", 1),
    "two_digit_year.csv": (2, "date", "13/01/25", "four-digit year", 2),
    "unparseable_date.csv": (3, "date", "yesterday", "a date such as 2025-03-04", 2),
    "missing_date_cell.csv": (3, "date", "", "a date for a row with values", 1),
    "non_numeric_score.csv": (4, "fatigue", "5x", "a number 0-10", 1),
    "decimal_comma_junk.csv": (3, "pain", "7,5x", "a number 0-10", 1),
    "bad_value_after_multiline_notes.csv": (9, "pain", "9x", "a number 0-10", 1),
    "score_out_of_range.csv": (3, "pain", "11", "a number 0-10", 1),
    "negative_dose.csv": (3, "dose_mg", "-1.5", "a dose in mg", 1),
    "negative_alcohol.csv": (3, "alcohol_units", "-2", "0 or more", 1),
    "side_effect_out_of_range.csv": (3, "nausea", "5", "a severity 0-3", 2),
    "opioid_not_binary.csv": (3, "opioid_use", "2", "0 or 1", 1),
    "conflicting_duplicate_day.csv": (
        5,
        "date",
        "2025-01-02",
        "line 3 has the same day with different values",
        1,
    ),
    "long_conflict.csv": (5, "value", "4", "line 4 has a different value", 1),
    "never_dosed.csv": (None, "dose_mg", None, "there is no treatment phase", 1),
    "no_baseline.csv": (2, "dose_mg", "1.5", "no baseline", 1),
    "no_dose_column.csv": (None, "dose_mg", None, "a 'dose_mg' column or a dose log", 1),
    "too_many_fields.csv": (3, None, "0", "at most 3 fields as in the header, this row has 4", 1),
    "unclosed_quote.csv": (3, None, None, "a closing quote", 1),
    "duplicate_columns.csv": (None, "Pain Score", None, "also column 'pain'", 1),
    "unnamed_column_with_values.csv": (2, "#3", "x", "a column name in the header", 1),
    "many_problems.csv": (3, "pain", "12", "a number 0-10", 4),
    "nul_bytes.csv": (None, None, None, "binary content with NUL bytes", 1),
    "random_bytes.csv": (None, None, None, "binary content", 1),
    "corrupt.xlsx": (None, None, None, "a readable .xlsx diary", 1),
}


def test_every_malformed_file_has_a_case() -> None:
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted(MALFORMED_CASES)


@pytest.mark.parametrize("name", sorted(MALFORMED_CASES))
def test_malformed_file_raises_with_location(name: str) -> None:
    line, col, value, words, count = MALFORMED_CASES[name]
    before = (MALFORMED / name).read_bytes()
    with pytest.raises(DiaryError, match=re.escape(words)) as info:
        load_diary(MALFORMED / name)
    assert (MALFORMED / name).read_bytes() == before
    error = info.value
    message = str(error)
    assert message.startswith(name)
    assert (error.line, error.column, error.value) == (line, col, value)
    if line is not None:
        assert f"line {line}" in message
    if col is not None:
        assert f"column {col!r}" in message
    if value is not None:
        assert f"got {value!r}" in message
    assert len(error.problems) == count


def test_message_matches_the_documented_form() -> None:
    with pytest.raises(DiaryError) as info:
        load_diary(MALFORMED / "decimal_comma_junk.csv")
    assert (
        str(info.value)
        == "decimal_comma_junk.csv line 3, column 'pain': got '7,5x', expected a number 0-10"
    )


def test_all_problems_listed_in_file_order() -> None:
    with pytest.raises(DiaryError) as info:
        load_diary(MALFORMED / "many_problems.csv")
    found = [(p.line, p.column, p.value) for p in info.value.problems]
    assert found == [
        (3, "pain", "12"),
        (4, "fatigue", "six"),
        (5, "dose_mg", "-1"),
        (6, "date", "soon"),
    ]
    assert str(info.value).endswith("(and 3 more problems)")


def test_ambiguous_dates_load_with_date_format() -> None:
    diary = load_diary(MALFORMED / "ambiguous_dates.csv", date_format="%d/%m/%Y")
    assert diary.data["date"].tolist() == dates("2025-04-03", "2025-04-04", "2025-04-05")
    us = load_diary(MALFORMED / "ambiguous_dates.csv", date_format="%m/%d/%Y")
    assert us.data["date"].tolist() == dates("2025-03-04", "2025-04-04", "2025-05-04")


def test_date_format_is_strict() -> None:
    with pytest.raises(DiaryError, match=re.escape("a date in the format '%d/%m/%Y'")) as info:
        load_diary(VALID / "basic.csv", date_format="%d/%m/%Y")
    assert (info.value.line, info.value.value) == (2, "2025-01-01")


# --------------------------------------------------------------------------- valid corpus
VALID_FILES = sorted(p.name for p in VALID.iterdir() if p.name not in {"dose_log.csv"})
#: files that need an option to load as one diary
MULTI = {"multi_patient.csv", "long_layout.csv"}


def _load_any(name: str) -> list[Diary]:
    if name in MULTI:
        return load_diaries(VALID / name)
    if name == "dose_log_diary.csv":
        return [load_diary(VALID / name, dose_log=VALID / "dose_log.csv")]
    return [load_diary(VALID / name)]


@pytest.mark.parametrize("name", VALID_FILES)
def test_valid_file_loads_and_file_is_untouched(name: str) -> None:
    path = VALID / name
    before = path.read_bytes()
    stat = path.stat()
    diaries = _load_any(name)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    for diary in diaries:
        assert diary.sha256 == hashlib.sha256(before).hexdigest()
        assert diary.source == str(path)
        data = diary.data
        assert data.columns[0] == "date"
        assert "patient_id" not in data.columns
        assert data["date"].is_monotonic_increasing
        assert data["date"].is_unique
        assert (data["date"] == data["date"].dt.normalize()).all()
        assert list(data.index) == list(range(len(data)))
        for name_ in diary.outcomes:
            assert data[name_].dtype == np.float64
        q = diary.quality
        assert q.days_present == len(data)
        assert q.first_day == data["date"].iloc[0].date()
        assert q.last_day == data["date"].iloc[-1].date()
        assert q.days_expected == (q.last_day - q.first_day).days + 1
        assert q.blanks == {c: int(data[c].isna().sum()) for c in data.columns if c != "date"}


def test_every_valid_file_is_tested() -> None:
    assert set(VALID_FILES) | {"dose_log.csv"} == {p.name for p in VALID.iterdir()}


def test_basic() -> None:
    diary = load_diary(VALID / "basic.csv")
    assert diary.patient_id == "basic"
    assert list(diary.data.columns) == [
        "date", "pain", "fatigue", "sleep_quality", "fog", "mood", "dose_mg", "dose_time",
        "vivid_dreams", "nausea", "opioid_use", "alcohol_units", "notes",
    ]  # fmt: skip
    assert diary.outcomes == ("pain", "fatigue", "sleep_quality", "fog", "mood")
    assert column(diary, "pain") == [6, 7, 6.5, 6, 7, 6, 5.5, 5, 5, 4.5]
    assert column(diary, "dose_mg") == [0, 0, 0, 0, 0, 1.5, 1.5, 1.5, 3, 3]
    assert column(diary, "dose_time") == [None] * 5 + ["night"] * 5
    assert column(diary, "vivid_dreams") == [0, 0, 0, 0, 0, 1, 2, 1, 1, 0]
    assert column(diary, "alcohol_units") == [0, 1, 0, 2, 0, 0, 0, 0, 0, 0]
    assert column(diary, "notes")[0] == "start of diary"
    q = diary.quality
    assert (q.days_expected, q.days_present, q.merged_duplicates, q.excluded_rows, q.notes) == (
        10,
        10,
        0,
        (),
        (),
    )
    assert (q.blanks["dose_time"], q.blanks["notes"], q.blanks["pain"]) == (5, 7, 0)
    assert (
        repr(diary)
        == "Diary('basic', 2025-01-01..2025-01-10, 10 days, outcomes=pain,fatigue,sleep_quality,fog,mood)"
    )
    assert isinstance(diary.data["dose_time"].dtype, pd.StringDtype)


def test_unsorted_rows_are_sorted() -> None:
    diary = load_diary(VALID / "unsorted.csv")
    assert diary.data["date"].tolist() == list(pd.date_range("2025-01-01", "2025-01-08"))
    assert column(diary, "pain") == [6, 7, 6.5, 6, 7, 6, 5.5, 5]
    assert column(diary, "dose_mg") == [0, 0, 0, 0, 0, 1.5, 1.5, 1.5]
    assert "rows were not in date order: sorted by date" in diary.quality.notes
    assert "rows were not in date order" not in " ".join(
        load_diary(VALID / "basic.csv").quality.notes
    )


def test_missing_days_are_counted_not_filled() -> None:
    q = load_diary(VALID / "missing_days.csv").quality
    assert (q.days_expected, q.days_present, q.days_missing) == (20, 7, 13)


def test_blank_cells_and_blank_tokens() -> None:
    diary = load_diary(VALID / "blank_cells.csv")
    assert column(diary, "pain") == [6, None, None, 6, 7, 5, 5]
    assert column(diary, "fatigue") == [None, 7, 6, None, None, 6, None]
    assert column(diary, "dose_mg") == [0, 0, 0, None, 0, 1.5, 1.5]
    assert diary.quality.blanks == {"pain": 2, "fatigue": 4, "dose_mg": 1, "notes": 6}
    assert "column 'pain': 'NA' read as blank" in diary.quality.notes
    assert "column 'fatigue': '-', 'N/A' read as blank" in diary.quality.notes


def test_completely_blank_rows_are_excluded_and_counted() -> None:
    diary = load_diary(VALID / "blank_rows.csv")
    assert column(diary, "pain") == [6, 7, 5]
    assert diary.quality.excluded_rows == tuple(
        ExcludedRow(n, "completely empty row") for n in (3, 4, 6, 8)
    )


def test_bom_is_not_part_of_the_header() -> None:
    diary = load_diary(VALID / "bom_utf8.csv")
    assert list(diary.data.columns) == ["date", "pain", "dose_mg"]
    assert column(diary, "pain") == [6, 7, 5]
    assert diary.quality.notes == ()


def test_latin1_fallback_is_noted() -> None:
    diary = load_diary(VALID / "latin1.csv")
    assert column(diary, "notes") == ["café with Renée", None, "naïve hope ± 2"]
    assert diary.quality.notes == ("file is not UTF-8: read as Latin-1 (Windows-1252)",)


def test_utf16_with_bom() -> None:
    diary = load_diary(VALID / "utf16_tab.txt")
    assert column(diary, "notes") == ["Grüße", None]
    assert column(diary, "dose_mg") == [0, 1.5]


def test_quoted_multiline_notes() -> None:
    diary = load_diary(VALID / "multiline_notes_crlf.csv")
    assert column(diary, "pain") == [6, 7, 5, 4]
    assert column(diary, "notes") == [
        "first line\r\nsecond line",
        'she said "ok", then\r\nleft\r\n\r\nlater',
        "plain",
        None,
    ]


def test_semicolon_file_with_decimal_commas() -> None:
    diary = load_diary(VALID / "semicolon_decimal_comma.csv")
    assert diary.data["date"].tolist() == list(pd.date_range("2024-12-30", "2025-01-03"))
    assert column(diary, "pain") == [6.5, 7, 6, 5.5, 5]
    assert column(diary, "fatigue") == [7, 6.5, 6, 6, 5.5]
    assert column(diary, "dose_mg") == [0, 0, 0, 1.5, 1.5]
    assert column(diary, "notes")[1] == "Silvester, müde"
    assert diary.quality.notes == (
        "decimal commas read as decimal points ('7,5' = 7.5)",
        "dates such as '30.12.2024' read as day/month/year (the only order valid for all)",
    )


def test_tab_and_pipe_delimiters() -> None:
    tab = load_diary(VALID / "tab_separated.tsv")
    assert column(tab, "fatigue") == [7, 6.5, 6, 5]
    pipe = load_diary(VALID / "pipe_separated.txt")
    assert column(pipe, "notes") == [None, "bad day, stayed in bed", None]


def test_trailing_spaces_in_headers_and_values() -> None:
    diary = load_diary(VALID / "trailing_spaces.csv")
    assert list(diary.data.columns) == ["date", "pain", "dose_mg"]
    assert column(diary, "pain") == [6, 7, 5]
    assert column(diary, "dose_mg") == [0, 0, 1.5]


def test_aliases_are_applied_and_noted() -> None:
    diary = load_diary(VALID / "aliases.csv")
    assert list(diary.data.columns) == [
        "date", "pain", "sleep_quality", "fog", "dose_mg", "opioid_use", "alcohol_units", "notes",
    ]  # fmt: skip
    assert column(diary, "fog") == [5, 6, 5, 4]
    assert column(diary, "opioid_use") == [0, 1, 0, 0]
    assert "column 'Pain Score' read as 'pain'" in diary.quality.notes
    assert "column 'Dose (mg)' read as 'dose_mg'" not in diary.quality.notes  # plain normalisation
    assert "column 'Comments' read as 'notes'" in diary.quality.notes


def test_identical_duplicates_are_merged_and_counted() -> None:
    diary = load_diary(VALID / "identical_duplicates.csv")
    assert column(diary, "pain") == [6, 7, 6, 5]
    assert diary.quality.merged_duplicates == 3
    assert diary.quality.days_present == 4


def test_day_first_and_month_first_dates_decided_by_the_column() -> None:
    dmy = load_diary(VALID / "day_first_dates.csv")
    assert dmy.data["date"].tolist() == list(pd.date_range("2025-01-10", "2025-01-15"))
    assert "read as day/month/year" in dmy.quality.notes[0]
    mdy = load_diary(VALID / "month_first_dates.csv")
    assert mdy.data["date"].tolist() == list(pd.date_range("2025-01-30", "2025-02-02"))
    assert "read as month/day/year" in mdy.quality.notes[0]


def test_other_unambiguous_date_forms() -> None:
    diary = load_diary(VALID / "other_date_formats.csv")
    assert diary.data["date"].tolist() == list(pd.date_range("2025-03-01", "2025-03-07"))


def test_unknown_numeric_columns_kept_text_columns_dropped_with_a_note() -> None:
    diary = load_diary(VALID / "unknown_columns.csv")
    assert list(diary.data.columns) == ["date", "pain", "steps", "tinnitus", "dose_mg"]
    assert diary.outcomes == ("pain", "steps", "tinnitus")
    assert column(diary, "steps") == [3200, 4100, None, 5000]
    assert column(diary, "tinnitus") == [2, 1, 1, 0]
    assert diary.quality.notes == (
        "column 'weather' holds text (e.g. 'rainy'), not numbers: dropped",
    )


def test_yes_no_in_binary_columns() -> None:
    diary = load_diary(VALID / "yes_no.csv")
    assert column(diary, "opioid_use") == [0, 1, 0, None]
    assert column(diary, "insomnia") == [0, 1, 2, 3]
    assert "column 'opioid_use': yes/no read as 1/0" in diary.quality.notes


def test_excel_first_sheet_and_named_sheet() -> None:
    diary = load_diary(VALID / "excel.xlsx")
    assert diary.patient_id == "excel"
    assert diary.data["date"].tolist() == list(pd.date_range("2025-01-01", "2025-01-04"))
    assert column(diary, "pain") == [6, 7.5, 5, 4]
    assert column(diary, "fatigue") == [7, 6, 6, None]
    assert column(diary, "dose_mg") == [0, 0, 1.5, 1.5]
    assert diary.quality.excluded_rows == (ExcludedRow(4, "completely empty row"),)
    assert (
        diary.quality.notes[0]
        == "read sheet 'Diary' (sheets: 'Diary', 'Info', 'Later'); choose with sheet="
    )
    later = load_diary(VALID / "excel.xlsx", sheet="later")
    assert column(later, "pain") == [3, 2]
    assert column(load_diary(VALID / "excel.xlsx", sheet=2), "dose_mg") == [0, 4.5]
    with pytest.raises(DiaryError, match="a sheet name among 'Diary', 'Info', 'Later'"):
        load_diary(VALID / "excel.xlsx", sheet="Missing")


def test_parquet_with_patient_id_column() -> None:
    diary = load_diary(VALID / "parquet.parquet")
    assert diary.patient_id == "P9"
    assert column(diary, "pain") == [6, None, 5, 4]
    assert column(diary, "notes") == ["a", None, "b", None]
    assert (diary.quality.days_expected, diary.quality.days_present) == (5, 4)


def test_single_patient_id_column() -> None:
    diary = load_diary(VALID / "patient_id_column.csv")
    assert diary.patient_id == "A-17"
    assert "patient_id" not in diary.data.columns


# --------------------------------------------------------------------------- several patients
def test_multi_patient_file_in_order_of_first_appearance() -> None:
    diaries = load_diaries(VALID / "multi_patient.csv")
    assert [d.patient_id for d in diaries] == ["P002", "P001", "P003"]
    p001 = diaries[1]
    assert p001.data["date"].tolist() == list(pd.date_range("2025-01-01", "2025-01-03"))
    assert column(p001, "pain") == [6, 7, 5]
    assert column(diaries[2], "dose_mg") == [0, 4.5]


def test_load_diary_needs_patient_id_for_several_patients() -> None:
    with pytest.raises(
        DiaryError, match="one patient, found 3: 'P002', 'P001', 'P003'; give patient_id="
    ):
        load_diary(VALID / "multi_patient.csv")
    diary = load_diary(VALID / "multi_patient.csv", patient_id="P001")
    assert column(diary, "pain") == [6, 7, 5]
    with pytest.raises(DiaryError, match="a patient id in the file: 'P002', 'P001', 'P003'"):
        load_diary(VALID / "multi_patient.csv", patient_id="P404")


def test_one_bad_patient_does_not_stop_the_others() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "B", "C", "C"],
            "date": ["2025-01-01", "2025-01-02"] * 3,
            "pain": [5, 4, 5, 44, 3, 2],
            "dose_mg": [0, 1.5, 0, 1.5, 0, 0],
        }
    )
    items = list(iter_diaries(frame))
    assert [type(i).__name__ for i in items] == ["Diary", "DiaryError", "DiaryError"]
    assert (items[1].patient_id, items[1].row, items[1].column, items[1].value) == (
        "B",
        3,
        "pain",
        44,
    )
    assert items[2].patient_id == "C"
    assert "no treatment phase" in str(items[2])
    with pytest.raises(DiaryError) as info:
        load_diaries(frame)
    assert len(info.value.problems) == 2


def test_iter_diaries_over_a_folder(tmp_path: Path) -> None:
    for name in ("basic.csv", "excel.xlsx", "no_baseline.csv"):
        source = VALID / name if (VALID / name).exists() else MALFORMED / name
        shutil.copy(source, tmp_path / name)
    (tmp_path / "readme.md").write_text("not a diary")
    shutil.copy(MALFORMED / "empty.csv", tmp_path / "zz_empty.csv")
    items = list(iter_diaries(tmp_path))
    assert [(i.patient_id, isinstance(i, Diary)) for i in items] == [
        ("basic", True),
        ("excel", True),
        ("no_baseline", False),
        ("zz_empty", False),
    ]
    assert "the file is empty" in str(items[3])


def test_unreadable_source_raises_before_iterating(tmp_path: Path) -> None:
    with pytest.raises(DiaryError, match="the file is empty"):
        iter_diaries(MALFORMED / "empty.csv")
    with pytest.raises(DiaryError, match="not found"):
        load_diary(tmp_path / "nothing.csv")
    with pytest.raises(DiaryError, match="a folder holding diary files"):
        iter_diaries(tmp_path)


# --------------------------------------------------------------------------- long layout
def test_long_layout() -> None:
    p001, p002 = load_diaries(VALID / "long_layout.csv")
    assert p001.patient_id == "P001"
    assert column(p001, "pain") == [6, 7, 5]
    assert column(p001, "fatigue") == [7, None, 6]
    assert column(p001, "dose_mg") == [0, 0, 1.5]
    assert column(p001, "notes") == [None, None, "first dose"]
    assert p001.quality.merged_duplicates == 1
    assert "measure 'Pain Score' read as 'pain'" in p001.quality.notes
    assert column(p002, "pain") == [3, 2]
    assert p002.quality.merged_duplicates == 0


def test_long_layout_bad_value_points_at_its_line() -> None:
    frame = pd.DataFrame(
        {
            "date": ["2025-01-01", "2025-01-01", "2025-01-02", "2025-01-02"],
            "measure": ["pain", "dose_mg", "pain", "dose_mg"],
            "value": ["5", "0", "eleven", "1.5"],
        },
        index=[10, 11, 12, 13],
    )
    with pytest.raises(DiaryError) as info:
        load_diary(frame)
    assert (
        str(info.value) == "<DataFrame> row 12, column 'pain': got 'eleven', expected a number 0-10"
    )


def test_layout_wide_reads_measure_and_value_as_plain_columns() -> None:
    frame = pd.DataFrame(
        {
            "date": ["2025-01-01", "2025-01-02"],
            "measure": ["x", "y"],
            "value": [1, 2],
            "dose_mg": [0, 1],
        }
    )
    diary = load_diary(frame, layout="wide")
    assert list(diary.data.columns) == ["date", "dose_mg"]
    long = pd.DataFrame({"date": ["2025-01-01"], "pain": [3]})
    with pytest.raises(DiaryError, match="'measure' and 'value' columns for the long layout"):
        load_diary(long, layout="long")


# --------------------------------------------------------------------------- dose log
def test_dose_log_is_merged_onto_the_days() -> None:
    diary = load_diary(VALID / "dose_log_diary.csv", dose_log=VALID / "dose_log.csv")
    assert diary.data["date"].dt.day.tolist() == [1, 2, 3, 4, 5, 6, 8, 9]
    assert column(diary, "dose_mg") == [0, 0, 0, 1.5, 1.5, 3, 3, 4.5]
    assert column(diary, "dose_time") == [
        None,
        None,
        None,
        "night",
        "night",
        "night",
        "night",
        "morning",
    ]
    assert diary.quality.notes == (
        "dose_mg from the dose log 'dose_log.csv' (each entry holds until the next)",
        "3 days before the first dose-log entry (2025-01-04) read as dose 0",
    )


def test_dose_log_as_dataframe_per_patient() -> None:
    log = pd.DataFrame(
        {
            "patient_id": ["P001", "P002", "P003"],
            "date": ["2025-01-03", "2025-02-03", "2025-03-02"],
            "dose_mg": [1.5, 1.5, 4.5],
        }
    )
    diaries = load_diaries(VALID / "multi_patient.csv", dose_log=log)
    assert [column(d, "dose_mg") for d in diaries] == [[0, 0, 1.5], [0, 0, 1.5], [0, 4.5]]


def test_dose_log_disagreeing_with_the_diary() -> None:
    log = pd.DataFrame({"date": ["2025-01-03"], "dose_mg": [3.0]})
    with pytest.raises(DiaryError) as info:
        load_diary(VALID / "multi_patient.csv", patient_id="P001", dose_log=log)
    assert str(info.value) == (
        "multi_patient.csv line 7, column 'dose_mg': got '1.5', expected 3 mg as in the dose log from 2025-01-03"
    )


def test_dose_log_problems() -> None:
    bad = pd.DataFrame({"date": ["2025-01-03", "2025-01-03", "later"], "dose_mg": [1.5, 3, -1]})
    with pytest.raises(DiaryError) as info:
        load_diary(VALID / "dose_log_diary.csv", dose_log=bad)
    found = [(p.row, p.column, p.value) for p in info.value.problems]
    assert found == [(1, "date", "2025-01-03"), (2, "date", "later"), (2, "dose_mg", -1.0)]
    with pytest.raises(DiaryError, match="a 'dose_mg' column in the dose log"):
        load_diary(VALID / "dose_log_diary.csv", dose_log=pd.DataFrame({"date": ["2025-01-01"]}))
    log = pd.DataFrame({"patient_id": ["P001"], "date": ["2025-01-01"], "dose_mg": [1.5]})
    with pytest.raises(DiaryError, match="a dose-log entry for every patient") as info:
        load_diaries(VALID / "dose_log_diary.csv", dose_log=log)


# --------------------------------------------------------------------------- DataFrame input
def test_dataframe_input_is_not_modified() -> None:
    frame = pd.DataFrame(
        {
            "Date": [
                pd.Timestamp("2025-01-03"),
                pd.Timestamp("2025-01-01"),
                pd.Timestamp("2025-01-02 13:00"),
            ],
            "Pain Score": [" 5 ", "6", None],
            "fatigue": pd.array([4, None, 5], dtype="Int64"),
            "dose_mg": [1.5, 0.0, 0.0],
            "notes": pd.Categorical(["x", "y", "x"]),
        },
        index=["c", "a", "b"],
    )
    copy = frame.copy(deep=True)
    diary = load_diary(frame)
    pd.testing.assert_frame_equal(frame, copy)
    assert (diary.patient_id, diary.source, diary.sha256) == ("patient", "<DataFrame>", None)
    assert diary.data["date"].tolist() == list(pd.date_range("2025-01-01", "2025-01-03"))
    assert column(diary, "pain") == [6, None, 5]
    assert column(diary, "fatigue") == [None, 5, 4]
    assert column(diary, "notes") == ["y", "x", "x"]
    diary.data.loc[0, "pain"] = 99.0  # the caller may change the result, never the input
    pd.testing.assert_frame_equal(frame, copy)


def test_dataframe_problem_names_the_index_label() -> None:
    frame = pd.DataFrame(
        {"date": ["2025-01-01", "2025-01-02"], "pain": [3, 12], "dose_mg": [0, 1]}, index=[7, 8]
    )
    with pytest.raises(DiaryError) as info:
        load_diary(frame)
    assert str(info.value) == "<DataFrame> row 8, column 'pain': got '12', expected a number 0-10"


def test_native_numeric_dates_from_a_dataframe() -> None:
    frame = pd.DataFrame(
        {"date": [20250301, 20250302, 45719], "pain": [5, 4, 3], "dose_mg": [0, 1, 1]}
    )
    diary = load_diary(frame)
    assert diary.data["date"].tolist() == dates("2025-03-01", "2025-03-02", "2025-03-03")
    assert "read as Excel day numbers" in diary.quality.notes[0]


# --------------------------------------------------------------------------- reports and errors
def test_quality_report_text_frame_and_dict() -> None:
    q = load_diary(VALID / "blank_rows.csv").quality
    text = str(q)
    assert text.splitlines()[:2] == [
        "Diary quality: patient 'blank_rows' (blank_rows.csv)",
        "  days:          2025-01-01 to 2025-01-03: 3 calendar days, 3 with a row, 0 missing (0.0%)",
    ]
    assert "    line 3: completely empty row" in text
    frame = q.to_frame()
    assert list(frame.columns) == ["item", "value"]
    items = dict(zip(frame["item"], frame["value"], strict=False))
    assert (items["days_expected"], items["excluded_rows"], items["blank:pain"]) == (3, 4, 0)
    assert items["first_day"] == "2025-01-01"
    assert q.to_dict()["excluded_rows"][0] == {"line": 3, "reason": "completely empty row"}
    assert q.first_day == dt.date(2025, 1, 1)


def test_problems_per_column_are_capped_but_counted() -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=n),
            "pain": ["x"] * n,
            "dose_mg": [0] * 20 + [1] * 20,
        }
    )
    with pytest.raises(DiaryError) as info:
        load_diary(frame)
    problems = info.value.problems
    assert len(problems) == 21
    assert problems[-1].expected == "a number 0-10 (20 more such cells not listed)"


def test_diary_error_survives_pickling() -> None:
    with pytest.raises(DiaryError) as info:
        load_diary(MALFORMED / "many_problems.csv")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert again.problems == info.value.problems


def test_dosing_blank_before_first_dose_is_noted() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=4),
            "pain": [5, 5, 4, 4],
            "dose_mg": [None, None, 1.5, 1.5],
        }
    )
    diary = load_diary(frame)
    assert diary.quality.notes == (
        "dose_mg is blank (unknown) on all 2 days before the first dose",
    )


# --------------------------------------------------------------------------- smaller rules
def test_phase_column_replaces_the_dose_checks() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=4),
            "pain": [5, 5, 4, 4],
            "phase": ["A", "A", "B", "B"],
        }
    )
    diary = load_diary(frame)
    assert list(diary.data.columns) == ["date", "pain", "phase"]
    assert column(diary, "phase") == ["A", "A", "B", "B"]


def test_mostly_numeric_unknown_column_reports_its_junk() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=4),
            "steps": ["100", "200", "lots", "300"],
            "dose_mg": [0, 0, 1, 1],
        }
    )
    with pytest.raises(DiaryError) as info:
        load_diary(frame)
    assert (info.value.row, info.value.column, info.value.value, info.value.expected) == (
        2,
        "steps",
        "lots",
        "a number",
    )


def test_dose_unit_and_excel_serial_dates_in_text(tmp_path: Path) -> None:
    path = tmp_path / "serial.csv"
    path.write_text("date,pain,dose\n45658,5,0 mg\n45659,4,4.5mg\n")
    diary = load_diary(path)
    assert diary.data["date"].tolist() == dates("2025-01-01", "2025-01-02")
    assert column(diary, "dose_mg") == [0, 4.5]
    assert diary.quality.notes == (
        "column 'dose' read as 'dose_mg'",
        "numbers such as '45658' in the date column read as Excel day numbers",
        "column 'dose': unit 'mg' after the numbers ignored",
    )


def test_trailing_empty_fields_are_not_extra_values(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("date,pain,dose_mg\n2025-01-01,5,0,,\n2025-01-02,4,1,\n")
    assert column(load_diary(path), "pain") == [5, 4]


def test_header_not_on_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "late_header.csv"
    path.write_text("\n\n date,pain,dose_mg\n2025-01-01,5,0\n2025-01-02,x,1\n")
    with pytest.raises(DiaryError) as info:
        load_diary(path)
    assert (info.value.line, info.value.value) == (5, "x")


def test_utf16_without_bom_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("date,pain\n2025-01-01,5\n".encode("utf-16-le"))
    with pytest.raises(DiaryError, match=re.escape("UTF-16 without a byte-order mark?")):
        load_diary(path)


def test_same_patient_in_two_files_of_a_folder(tmp_path: Path) -> None:
    shutil.copy(VALID / "patient_id_column.csv", tmp_path / "a.csv")
    shutil.copy(VALID / "patient_id_column.csv", tmp_path / "b.csv")
    first, second = iter_diaries(tmp_path)
    assert isinstance(first, Diary)
    assert isinstance(second, DiaryError)
    assert (
        str(second)
        == "b.csv, column 'patient_id': got 'A-17', expected an id not used by another file (also in a.csv)"
    )


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="layout must be 'auto', 'wide' or 'long'"):
        load_diary(VALID / "basic.csv", layout="tall")
    with pytest.raises(TypeError, match="must be a path or a pandas DataFrame"):
        load_diary(42)
    with pytest.raises(DiaryError, match="but this is a folder"):
        load_diary(VALID)
