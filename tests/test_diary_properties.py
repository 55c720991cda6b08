"""Property tests: any table, as file bytes or as a DataFrame, loads or raises DiaryError.

Never another exception, never a warning (pytest turns warnings into errors), never a
modified input; and whatever loads satisfies the Diary contract.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ldn_n1.diary import Diary, iter_diaries, load_diary
from ldn_n1.errors import DiaryError

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KNOWN = [
    "date", "Date", "day", "patient_id", "id", "pain", "Pain Score", "fatigue", "sleep_quality",
    "fog", "mood", "dose_mg", "Dose (mg)", "dose_time", "vivid_dreams", "nausea", "opioid_use",
    "alcohol_units", "notes", "phase", "measure", "value",
]  # fmt: skip
names = st.one_of(st.sampled_from(KNOWN), st.text(max_size=8))

numbers = st.one_of(
    st.integers(-3, 15).map(str),
    st.floats(-5, 15, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.floats(0, 10, allow_nan=False).map(lambda x: f"{x:.1f}".replace(".", ",")),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "0x10", "4.5 mg", "1_000"]),
)
date_texts = st.one_of(
    st.dates(dt_min := pd.Timestamp("1890-01-01").date(), pd.Timestamp("2230-12-31").date()).map(
        str
    ),
    st.dates(dt_min, pd.Timestamp("2230-12-31").date()).map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates(dt_min, pd.Timestamp("2230-12-31").date()).map(lambda d: d.strftime("%d %b %Y")),
    st.sampled_from(
        [
            "2025-02-30",
            "03/04/2025",
            "13/13/2025",
            "20250301",
            "45000",
            "yesterday",
            "2025-1-1 8:00",
        ]
    ),
)
cell_texts = st.one_of(
    st.just(""),
    st.sampled_from([" ", "NA", "-", "yes", "no", "night", '"', "a,b", "x\ny", "\t", ";", "|"]),
    numbers,
    date_texts,
    st.text(max_size=10),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    ncol = draw(st.integers(1, 6))
    header = [draw(names) for _ in range(ncol)]
    if draw(st.booleans()):  # usually give it a chance to be a diary
        header[0] = "date"
    nrow = draw(st.integers(0, 12))
    rows = [[draw(cell_texts) for _ in range(ncol)] for _ in range(nrow)]
    return header, rows


@st.composite
def near_diaries(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """Mostly valid diaries (gaps, repeated days, any order, 0-2 patients) with a few bad cells."""
    offsets = draw(st.lists(st.integers(0, 30), min_size=2, max_size=15, unique=True))
    n = len(offsets)
    first_dose = draw(st.integers(min(offsets) + 1, max(offsets)))
    extra = draw(st.lists(st.sampled_from(KNOWN[3:]), max_size=2, unique=True))
    extra = [
        e
        for e in extra
        if e not in {"pain", "Pain Score", "dose_mg", "Dose (mg)", "id", "patient_id"}
    ]
    header = ["date", "pain", "dose_mg", *extra]
    patients = draw(st.integers(0, 2))
    if patients:
        header.insert(0, "patient_id")
    rows = []
    for day in offsets:
        cells = {
            "date": (pd.Timestamp("2025-01-01") + pd.Timedelta(days=day)).date().isoformat(),
            "pain": str(draw(st.integers(0, 10))),
            "dose_mg": "1.5" if day >= first_dose else "0",
            "patient_id": draw(st.sampled_from(["A", "B"][:patients] or ["A"])),
        }
        friendly = st.one_of(st.sampled_from(["", "0", "1", "2"]), cell_texts)
        rows.append([cells[h] if h in cells else draw(friendly) for h in header])
    for _ in range(draw(st.integers(0, 2))):  # identical repeated rows
        rows.append(list(rows[draw(st.integers(0, n - 1))]))
    for _ in range(draw(st.integers(0, 2))):  # bad or odd cells
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, len(header) - 1))] = draw(cell_texts)
    return header, rows


def _encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _check_contract(diary: Diary) -> None:
    data = diary.data
    assert data.columns[0] == "date"
    assert data["date"].is_monotonic_increasing
    assert data["date"].is_unique
    assert list(data.index) == list(range(len(data)))
    q = diary.quality
    assert q.days_present == len(data) > 0
    assert q.days_expected == (q.last_day - q.first_day).days + 1 >= q.days_present
    for name in diary.outcomes:
        values = data[name].to_numpy()
        assert values.dtype == np.float64
    if "dose_mg" in data:
        dose = data["dose_mg"].to_numpy()
        assert np.all(np.isnan(dose) | (dose >= 0))
    str(q)
    repr(diary)
    q.to_frame()


def _attempt(func, *args, **kwargs) -> object:
    try:
        return func(*args, **kwargs)
    except DiaryError as error:
        return error


def _check_result(result: object) -> None:
    if isinstance(result, DiaryError):
        assert result.problems
        assert str(result)
    else:
        _check_contract(result)


@SETTINGS
@given(
    table=st.one_of(tables(), near_diaries()),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
    layout=st.sampled_from(["auto", "wide", "long"]),
    junk=st.one_of(st.none(), st.binary(max_size=64)),
)
def test_any_file_loads_or_raises_diary_error(
    table: tuple[list[str], list[list[str]]],
    delimiter: str,
    encoding: str,
    layout: str,
    junk: bytes | None,
) -> None:
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = _encode(out.getvalue(), encoding) if junk is None else junk
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "diary.csv"
        path.write_bytes(data)
        _check_result(_attempt(load_diary, path, layout=layout))
        try:
            items = list(iter_diaries(path, layout=layout))
        except DiaryError:
            pass
        else:
            for item in items:
                if isinstance(item, Diary):
                    _check_contract(item)
                else:
                    assert isinstance(item, DiaryError)
        assert path.read_bytes() == data


native_cells = st.one_of(
    st.none(),
    st.just(math.nan),
    st.integers(-5, 20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    cell_texts,
    st.datetimes(
        pd.Timestamp("1700-01-01").to_pydatetime(), pd.Timestamp("2250-01-01").to_pydatetime()
    ),
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    ncol = draw(st.integers(1, 5))
    header = [draw(names) for _ in range(ncol)]
    if draw(st.booleans()):
        header[0] = "date"
    nrow = draw(st.integers(0, 10))
    columns = {}
    for i in range(len(header)):
        kind = draw(st.sampled_from(["object", "float", "dates", "text"]))
        if kind == "float":
            values = draw(st.lists(st.floats(-2, 12), min_size=nrow, max_size=nrow))
        elif kind == "dates":
            values = pd.to_datetime(
                draw(
                    st.lists(
                        st.dates(dt_min, pd.Timestamp("2200-01-01").date()),
                        min_size=nrow,
                        max_size=nrow,
                    )
                )
            )
        elif kind == "text":
            values = pd.array(
                draw(st.lists(cell_texts, min_size=nrow, max_size=nrow)), dtype="string"
            )
        else:
            values = pd.array(
                draw(st.lists(native_cells, min_size=nrow, max_size=nrow)), dtype=object
            )
        columns[i] = values
    frame = pd.DataFrame(columns)
    frame.columns = header  # may repeat names
    return frame


@SETTINGS
@given(
    frame=st.one_of(frames(), near_diaries().map(lambda t: pd.DataFrame(t[1], columns=t[0]))),
    layout=st.sampled_from(["auto", "wide", "long"]),
)
def test_any_dataframe_loads_or_raises_diary_error(frame: pd.DataFrame, layout: str) -> None:
    copy = frame.copy(deep=True)
    _check_result(_attempt(load_diary, frame, layout=layout))
    pd.testing.assert_frame_equal(frame, copy)


@SETTINGS
@given(
    days=st.lists(st.integers(0, 60), min_size=2, max_size=25),
    first_dose=st.integers(1, 20),
    blanks=st.lists(st.booleans(), min_size=25, max_size=25),
    order=st.randoms(use_true_random=False),
)
def test_valid_diaries_round_trip_whatever_the_row_order(days, first_dose, blanks, order) -> None:
    """Generated valid diaries load with their days and values, whatever the row order."""
    unique = sorted(set(days))
    assume(len(unique) >= 2)
    if first_dose > unique[-1] or first_dose <= unique[0]:
        first_dose = unique[-1]
    start = pd.Timestamp("2025-01-01")
    pain = [None if blanks[i] else (i % 11) for i in range(len(unique))]
    rows = [
        {
            "date": (start + pd.Timedelta(days=d)).date().isoformat(),
            "pain": p,
            "dose_mg": 1.5 if d >= first_dose else 0,
        }
        for d, p in zip(unique, pain, strict=True)
    ]
    shuffled = rows.copy()
    order.shuffle(shuffled)
    diary = load_diary(pd.DataFrame(shuffled))
    assert diary.data["date"].tolist() == [start + pd.Timedelta(days=d) for d in unique]
    got = [None if math.isnan(v) else v for v in diary.data["pain"]]
    assert got == pain
    assert diary.quality.days_expected == unique[-1] - unique[0] + 1
    assert diary.quality.blanks["pain"] == sum(p is None for p in pain)
