"""App exports (Bearable, Daylio, Visible, Flaredown) read into canonical diaries.

Fixtures are in ``tests/corpus/apps`` (see its README): small awkward files typed by hand,
and larger exports made from simulated patients by ``make_fixtures.py``.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.apps import LAYOUTS, default_mcid, detect_app, suggested_plan
from ldn_n1.apps_flaredown import parse_dose
from ldn_n1.apps_mapping import load_mapping
from ldn_n1.diary import iter_diaries, load_diaries, load_diary
from ldn_n1.errors import DiaryError
from ldn_n1.plan import Outcome, Plan
from ldn_n1.readers import read_table

APPS = Path(__file__).parent / "corpus" / "apps"
CANONICAL = Path(__file__).parent / "corpus" / "valid" / "basic.csv"
NAN = np.nan
DAYLIO_MAPPING = APPS / "daylio_mapping.toml"


def _check(diary, expected: dict[str, list]) -> None:
    """Exact values per day of the columns in ``expected`` (``date`` as ISO text)."""
    data = diary.data
    assert data["date"].dt.strftime("%Y-%m-%d").tolist() == expected.pop("date")
    for column, values in expected.items():
        if column == "notes":
            assert data[column].astype(object).where(data[column].notna(), None).tolist() == values
        else:
            np.testing.assert_array_equal(data[column].to_numpy(dtype=float), values, column)


def _notes(diary) -> str:
    return "\n".join(diary.quality.notes)


# --------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("file", "app"),
    [
        ("bearable_2020.csv", "bearable"),
        ("bearable_current.csv", "bearable"),
        ("daylio_custom.csv", "daylio"),
        ("daylio_2019.csv", "daylio"),
        ("visible_small.csv", "visible"),
        ("flaredown_small.csv", "flaredown"),
    ],
)
def test_detect_app_by_header(file, app):
    assert detect_app(read_table(APPS / file).headers) == app


def test_canonical_diary_stays_canonical():
    auto = load_diary(CANONICAL)
    plain = load_diary(CANONICAL, source="diary")
    assert detect_app(read_table(CANONICAL).headers) is None
    assert auto.app is None
    assert dict(auto.scales) == {}
    pd.testing.assert_frame_equal(auto.data, plain.data)
    assert suggested_plan(auto) == Plan()


@pytest.mark.parametrize("app", ["bearable", "daylio", "visible", "flaredown"])
def test_explicit_source_with_wrong_layout_names_the_columns(app):
    with pytest.raises(DiaryError, match="columns found: 'date', 'pain'") as info:
        load_diary(CANONICAL, source=app)
    message = str(info.value)
    assert message.startswith("basic.csv: expected the ")
    for column in LAYOUTS[app][0]:
        assert repr(column).replace("'", "") in message.replace("'", "")
    assert "missing" in message


def test_bearable_file_read_as_daylio_is_an_error():
    with pytest.raises(DiaryError, match=r"Daylio export columns .*missing 'full_date'"):
        load_diary(APPS / "bearable_2020.csv", source="daylio")


def test_source_argument_is_checked():
    with pytest.raises(ValueError, match=r"source must be one of .*'fitbit'"):
        load_diary(CANONICAL, source="fitbit")
    with pytest.raises(TypeError, match="pass the diary itself as the first argument"):
        load_diary(CANONICAL, source=CANONICAL)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Bearable
def test_bearable_2020_layout_daily_values():
    diary = load_diary(APPS / "bearable_2020.csv", source="bearable")
    assert diary.app == "bearable"
    assert dict(diary.scales) == {
        "pain": (0.0, 4.0),
        "fatigue": (0.0, 4.0),
        "mood": (1.0, 10.0),
        "sleep_quality": (1.0, 5.0),
    }
    _check(
        diary,
        {
            "date": [f"2020-09-{d}" for d in range(22, 29)],
            # max of Widespread 3 / Back 2; 'Unbearable' with a blank rating = 4; a day with
            # only a headache row = 0; no symptom rows = blank
            "pain": [3, 4, NAN, 0, 1, NAN, NAN],
            "fatigue": [1, 0, NAN, 0, 0, NAN, NAN],
            "mood": [5, NAN, 5, NAN, NAN, 7, NAN],  # mean of 6 and 4
            "sleep_quality": [2, NAN, NAN, NAN, NAN, NAN, NAN],
            "sleep_hours": [6.5, NAN, NAN, NAN, NAN, NAN, NAN],
            # 0 before the first naltrexone; 1.5 am + 1.5 pm; vitamin D only = 0; no meds =
            # blank; 4500 mcg = 4.5 mg
            "dose_mg": [0, 0, 0, 3, 0, NAN, 4.5],
            "nausea": [0, 1, NAN, 0, 0, NAN, NAN],
            "headache": [0, 0, NAN, 1, 0, NAN, NAN],
            "alcohol_units": [NAN, 1, 0, NAN, NAN, NAN, NAN],  # the repeated row counted once
            "notes": ["tired after work", None, None, None, None, "good day,", None],
        },
    )
    assert "opioid_use" not in diary.data.columns
    assert diary.quality.notes[1] == (
        "1 entry repeated exactly (every field the same as an earlier entry) counted once"
    )


def test_bearable_current_layout_daily_values():
    # Quoted fields, spaces around headers and values, newest first, an entry without
    # 'date formatted' (its 'date' used), a rating given only by its label.
    diary = load_diary(APPS / "bearable_current.csv")
    _check(
        diary,
        {
            "date": ["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04", "2022-03-05"],
            "pain": [4, NAN, 3, 3, 2],
            "fatigue": [0, NAN, 1, 0, 0],
            "sleep_quality": [3, NAN, NAN, NAN, NAN],
            "mood": [NAN, 6, NAN, 4.5, 8],
            "sleep_hours": [7.75, NAN, NAN, NAN, NAN],
            "dose_mg": [0, 0, 0, 1.5, 1.5],
            "nausea": [0, NAN, 0, 1, 0],
            "alcohol_units": [NAN, 0, 1, NAN, NAN],
            "notes": ["flare, stayed in bed", None, None, "first dose, 1.5 mg", None],
        },
    )
    notes = _notes(diary)
    assert "1 entry without a readable 'date formatted': their 'date' used" in notes


def test_bearable_notes_record_every_choice():
    notes = _notes(load_diary(APPS / "bearable_2020.csv"))
    for text in (
        "read as a Bearable export (default mapping)",
        (
            "pain (outcome) from the Bearable symptoms 'Back (lower) pain', 'Neck pain', "
            "'Widespread pain': daily maximum (worst), on the scale 0-4; a day with other "
            "Bearable symptoms but none of these is 0, a day without Bearable symptoms is blank"
        ),
        "nausea (side effect) from the Bearable symptoms 'Nausea': 1 if present that day",
        "mood from Bearable mood ratings (1-10): daily mean (1 day with several entries)",
        "1 naltrexone amount in mcg converted to mg",
        "dose_mg from the entries 'Naltrexone (mcg)', 'Naltrexone (mg)' (mg, summed per day)",
        "opioid_use: no opioid entry or tag found, so not recorded (unknown)",
        "alcohol_units from '🍷 Alcohol - A lot': one unit per tag (a lower bound)",
        "categories not read: Health measurements (1)",
        (
            "scales kept as recorded in Bearable, nothing rescaled: pain 0-4, fatigue 0-4, "
            "mood 1-10, sleep_quality 1-5"
        ),
    ):
        assert text in notes


def test_bearable_problems_with_lines():
    with pytest.raises(DiaryError) as info:
        load_diary(APPS / "bearable_bad.csv")
    shown = [str(p) for p in info.value.problems]
    assert shown[:5] == [
        (
            "bearable_bad.csv line 2, column 'rating/amount': got '7', expected a symptom rating "
            "0-4 (0 none, 1 mild, 2 moderate, 3 severe, 4 unbearable)"
        ),
        (
            "bearable_bad.csv line 3, column 'rating/amount': got '2', expected a rating that "
            "agrees with the label in 'detail' (mild 1, moderate 2, severe 3, unbearable 4)"
        ),
        (
            "bearable_bad.csv line 4, column 'date': got '31st Feb 2022', expected a date such as "
            "2025-03-04 (YYYY-MM-DD)"
        ),
        "bearable_bad.csv line 5, column 'rating/amount': got 'x', expected a mood rating 1-10",
        (
            "bearable_bad.csv line 6, column 'detail': got 'Naltrexone (tablets)', expected a "
            "naltrexone amount in mg (or mcg); for other units give a dose log (dose_log=)"
        ),
    ]


def test_dose_log_replaces_the_app_doses():
    log = pd.DataFrame({"date": ["2020-09-24"], "dose_mg": [4.5]})
    diary = load_diary(APPS / "bearable_2020.csv", dose_log=log)
    # 28 Sep held only a naltrexone entry (not used now) and a health measurement: no day
    np.testing.assert_array_equal(diary.data["dose_mg"], [0, 0, 4.5, 4.5, 4.5, 4.5])
    assert diary.data["date"].iloc[-1] == pd.Timestamp("2020-09-27")
    notes = _notes(diary)
    assert "3 naltrexone entries not used: dose_mg from the dose log" in notes
    assert "1 day with only entries that are not used left out (no value to analyse)" in notes


def test_mapping_file_mean_and_ignored_names():
    diary = load_diary(APPS / "bearable_2020.csv", mapping=APPS / "mapping_custom.toml")
    # mean of 3 and 2 on the first day; 'Neck pain' ignored, so that day's pain is 0
    np.testing.assert_array_equal(diary.data["pain"], [2.5, 4, NAN, 0, 0, NAN, NAN])
    notes = _notes(diary)
    assert "read as a Bearable export (mapping file 'mapping_custom.toml')" in notes
    assert "daily mean, on the scale 0-4" in notes
    assert (
        "Bearable symptoms not used (no outcome or side effect matches; entries): Neck pain (1)"
        in notes
    )


def test_mapping_declares_a_new_outcome_and_opioids():
    export = pd.DataFrame(
        {
            "date": ["3rd Mar 2022"] * 3 + ["4th Mar 2022"] * 2,
            "weekday": ["Thursday"] * 3 + ["Friday"] * 2,
            "time of day": ["am", "pm", "am", "am", "pm"],
            "category": ["Symptom", "Symptom", "Meds/Supplements", "Symptom", "Meds/Supplements"],
            "rating/amount": ["2", "3", "50", "1", "4.5"],
            "detail": [
                "Morning stiffness (Moderate)",
                "Joint pain (Severe)",
                "Tramadol (mg)",
                "Joint pain (Mild)",
                "LDN (mg)",
            ],
            "notes": [""] * 5,
        }
    )
    before = export.copy()
    mapping = {"outcomes": {"stiffness": ["stiff"]}}
    diary = load_diary(export, source="bearable", mapping=mapping)
    pd.testing.assert_frame_equal(export, before)  # the caller's frame is not modified
    _check(
        diary,
        {
            "date": ["2022-03-03", "2022-03-04"],
            "pain": [3, 1],
            "stiffness": [2, 0],
            "dose_mg": [0, 4.5],
            "opioid_use": [1, 0],
        },
    )
    assert diary.scales["stiffness"] == (0.0, 4.0)
    assert suggested_plan(diary).outcome("stiffness") == Outcome("stiffness", "lower", (0, 4), 1)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"colour": "red"}, "column 'colour'.*expected a key among"),
        ({"combine": "median"}, "column 'combine': got 'median', expected 'max' or 'mean'"),
        ({"outcomes": {"mood": ["happy"]}}, "mood and sleep_quality come from the app's own"),
        ({"outcomes": {"dose_mg": ["ldn"]}}, "column 'outcomes.dose_mg'"),
        ({"outcomes": {"sleep": ["sleep"]}}, "not another column's alias .*'sleep_quality'"),
        ({"outcomes": {"pain": "pain"}}, "expected a list of names"),
        ({"side_effects": {"rash": ["rash"]}}, "expected a side effect: vivid_dreams"),
        ({"daylio": {"moods": {"super": 7}}}, "expected a mood level from 1 to 5"),
        ({"daylio": {"scale": [5, 1]}}, r"expected \[min, max\] with min < max"),
        ({"daylio": {"scale": [0, 100]}}, "expected a range within 0-10"),
        ({"ldn": {"dose_mg": 0}}, "expected a dose in mg above 0"),
        ({"ldn": {"name": ["ldn"]}}, "column 'ldn.name'"),
    ],
)
def test_bad_mapping_is_an_error(raw, match):
    with pytest.raises(DiaryError, match=match):
        load_mapping(raw)


def test_mapping_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("combine = ", encoding="utf-8")
    with pytest.raises(DiaryError, match=r"bad\.toml: expected a valid TOML mapping file"):
        load_mapping(bad)
    with pytest.raises(DiaryError, match=r"missing\.toml: expected a readable mapping file"):
        load_mapping(tmp_path / "missing.toml")


def test_name_rules_short_fragments_match_whole_words():
    rules = load_mapping(None).tag_rules()
    assert rules.match("LDN 4.5mg") == "ldn"
    assert rules.match("Goldnugget tea") is None
    assert rules.match("Gin and tonic") == "alcohol_units"
    assert rules.match("Ginger") is None
    assert load_mapping(None).outcome_rules().match("Headache") is None


# --------------------------------------------------------------------------- Daylio
def test_daylio_custom_moods_with_mapping_file():
    # Newest first, several entries a day, 24-hour and am/pm times, a no-break space in the
    # scales, quotes and <br> in the notes.
    log = pd.DataFrame({"date": ["2024-03-06"], "dose_mg": [1.5]})
    diary = load_diary(APPS / "daylio_custom.csv", mapping=DAYLIO_MAPPING, dose_log=log)
    assert diary.app == "daylio"
    assert dict(diary.scales) == {"mood": (1.0, 5.0), "pain": (1.0, 5.0)}
    _check(
        diary,
        {
            "date": ["2024-03-04", "2024-03-05", "2024-03-06"],
            "mood": [2, 4, 4],  # awful 1 + meh 3; good 4; Super 5 + so-so 3
            "pain": [5, NAN, 4],  # daily maximum of the Pain scale
            "dose_mg": [0, 0, 1.5],
            "headache": [0, 1, 0],
            "alcohol_units": [0, 0, 2],
            "notes": ['bad flare, "the worst" week', None, "Morning: stiff\nslow"],
        },
    )
    notes = _notes(diary)
    assert (
        "custom labels 'so-so', 'super' from the mapping): daily mean (2 days with several" in notes
    )
    assert "LDN activities 'LDN' not used: dose_mg from the dose log" in notes
    assert (
        "Daylio scales not used (no outcome or side effect matches; entries): Energy (1)" in notes
    )


def test_daylio_unknown_moods_are_listed():
    with pytest.raises(DiaryError) as info:
        load_diary(APPS / "daylio_custom.csv", dose_log=APPS / "daylio_sim_doses.csv")
    first = info.value.problems[0]
    assert (first.line, first.column, first.value) == (2, "mood", "Super")
    assert '"Super" (1 entry, first on line 2); "so-so" (1 entry, first on line 3)' in str(first)
    assert "[daylio] moods" in str(first)


def test_daylio_scales_need_their_range():
    log = pd.DataFrame({"date": ["2024-03-06"], "dose_mg": [1.5]})
    diary = load_diary(
        APPS / "daylio_custom.csv",
        mapping={"daylio": {"moods": {"Super": 5, "so-so": 3}}},
        dose_log=log,
    )
    assert "pain" not in diary.data.columns
    assert "Daylio scales 'Energy', 'Pain' not read: give their range" in _notes(diary)


def test_daylio_2019_layout_default_moods():
    log = pd.DataFrame({"date": ["2019-07-02"], "dose_mg": [1.5]})
    diary = load_diary(APPS / "daylio_2019.csv", source="daylio", dose_log=log)
    _check(
        diary,
        {
            "date": ["2019-06-30", "2019-07-01", "2019-07-02"],
            "mood": [1, 3.5, 4],  # 'Good' read as good
            "nausea": [0, 1, 1],
            "dose_mg": [0, 0, 1.5],
            "notes": [None, "woke early", None],
        },
    )


def test_daylio_ldn_activity_with_a_mapped_dose():
    mapping = {"daylio": {"moods": {"Super": 5, "so-so": 3}}, "ldn": {"dose_mg": 4.5}}
    diary = load_diary(APPS / "daylio_custom.csv", mapping=mapping)
    # two LDN entries on one day are one dose, not two
    np.testing.assert_array_equal(diary.data["dose_mg"], [0, 0, 4.5])


# --------------------------------------------------------------------------- Visible
def test_visible_daily_values_with_trailing_spaces():
    log = pd.DataFrame({"date": ["2024-05-22"], "dose_mg": [1.5]})
    diary = load_diary(APPS / "visible_small.csv", dose_log=log)
    assert diary.app == "visible"
    assert dict(diary.scales) == {"pain": (0, 3), "fog": (0, 3), "stability_score": (1, 5)}
    _check(
        diary,
        {
            "date": ["2024-05-20", "2024-05-21", "2024-05-22"],
            "pain": [NAN, 1, 3],  # max of Muscle pain and Joint pain; none tracked = blank
            "fog": [3, 2, 1],
            "stability_score": [NAN, 1, 2],
            "crash": [NAN, 1, NAN],
            "resting_hr": [NAN, NAN, 62],
            "hr_variability": [NAN, NAN, 49],
            "nausea": [NAN, 2, 0],  # Visible severity 0-3 kept
            "headache": [1, NAN, NAN],
            "dose_mg": [0, 0, 1.5],
            "notes": [None, None, "Bad night, woke at 3"],
        },
    )
    notes = _notes(diary)
    assert "Visible sleep, measurement and experience trackers not used: Sleep (1)" in notes
    assert "Physically active (1)" in notes


def test_visible_without_dose_log_says_so():
    with pytest.raises(DiaryError, match="a 'dose_mg' column or a dose log"):
        load_diary(APPS / "visible_small.csv")


def test_visible_bad_value():
    export = pd.DataFrame(
        {
            "observation_date": ["2024-05-20", "2024-05-21", "2024-05-21"],
            "tracker_name": ["Muscle pain", "Muscle pain", "Note"],
            "tracker_category": ["Pain", "Pain", "Note"],
            "observation_value": ["2", "bad", "free text is fine here"],
        }
    )
    with pytest.raises(
        DiaryError,
        match=r"row 1, column 'observation_value': got 'bad', expected a Visible symptom severity 0-3",
    ):
        load_diary(
            export,
            source="visible",
            dose_log=pd.DataFrame({"date": ["2024-05-21"], "dose_mg": [1]}),
        )


# --------------------------------------------------------------------------- Flaredown
def test_flaredown_many_users_in_any_order():
    diaries = {d.patient_id: d for d in load_diaries(APPS / "flaredown_small.csv")}
    assert list(diaries) == ["QEVuQwEA+WkN==", "QEVuQwEAO+R1=="]
    first, second = diaries.values()
    assert first.app == "flaredown"
    _check(
        first,
        {
            "date": ["2017-04-28", "2017-04-29", "2017-04-30", "2017-05-01"],
            "pain": [4, NAN, 2, 1],  # a blank value is "not rated"
            "fatigue": [2, NAN, NAN, NAN],
            "fog": [NAN, 1, NAN, NAN],
            "dose_mg": [0, 0, 1.5, 0],  # '1 x 1.5mg'; Vitamin D only = 0
            "opioid_use": [0, NAN, 0, 0],
        },
    )
    assert "fibromyalgia" not in first.data.columns  # never recorded by this user
    _check(
        second,
        {
            "date": ["2015-05-26", "2015-05-27", "2015-05-28"],
            "fibromyalgia": [2, 3, 1],
            "dose_mg": [0, 0, 4.5],  # '4,5 mg'
            "nausea": [1, NAN, NAN],
            "opioid_use": [1, NAN, 0],
            "alcohol_units": [1, NAN, 0],
        },
    )
    assert "pain" not in second.data.columns
    notes = _notes(first)
    assert "patient_id from user_id; age, sex and country not used" in notes
    assert (
        "pain (outcome) from the Flaredown conditions and symptoms 'hip pain when gettin up', 'pain in hand joints'"
        in notes
    )
    assert "dose_mg from the LDN entries 'Low Dose Naltrexone'" in notes
    assert "no entries for fibromyalgia: left out" in notes
    assert "entries not used: weather (1)" in notes


def test_flaredown_one_user_and_bad_values():
    diary = load_diary(APPS / "flaredown_small.csv", patient_id="QEVuQwEAO+R1==")
    assert diary.patient_id == "QEVuQwEAO+R1=="
    with pytest.raises(DiaryError, match="one patient, found 2"):
        load_diary(APPS / "flaredown_small.csv")
    text = (APPS / "flaredown_small.csv").read_text(encoding="utf-8")
    broken = text.replace("Low Dose Naltrexone,1 x 1.5mg", "Low Dose Naltrexone,two pills")
    frame = pd.read_csv(io.StringIO(broken), dtype=str, keep_default_na=False)
    items = list(iter_diaries(frame, source="flaredown"))
    errors = [i for i in items if isinstance(i, DiaryError)]
    assert [i.patient_id for i in items if not isinstance(i, DiaryError)] == ["QEVuQwEAO+R1=="]
    assert len(errors) == 1
    assert errors[0].patient_id == "QEVuQwEA+WkN=="
    assert "got 'two pills', expected an LDN dose such as '4.5 mg'" in str(errors[0])


@pytest.mark.parametrize(
    ("text", "mg"),
    [("4.5 mg", 4.5), ("4.5mg", 4.5), ("4.5", 4.5), ("4,5 mg", 4.5), ("1 x 4.5mg", 4.5),
     ("3 x 1.5 mg", 4.5), ("4500 mcg", 4.5), ("2 pills", NAN), ("", NAN), (None, NAN)],
)  # fmt: skip
def test_parse_dose(text, mg):
    np.testing.assert_equal(parse_dose(text), mg)


# --------------------------------------------------------------------------- common
def test_export_without_usable_entries():
    export = pd.DataFrame(
        {
            "date": ["3rd Mar 2022"],
            "weekday": ["Thursday"],
            "time of day": ["am"],
            "category": ["Weather"],
            "rating/amount": [""],
            "detail": ["Sunny"],
            "notes": [""],
        }
    )
    with pytest.raises(
        DiaryError, match="expected at least one day with an entry that can be used"
    ):
        load_diary(export, source="bearable")


def test_source_and_sha256_of_the_export_are_kept():
    path = APPS / "bearable_current.csv"
    diary = load_diary(str(path))
    assert diary.source == str(path)
    assert diary.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert diary.quality.file == "bearable_current.csv"


def test_problem_of_the_canonical_table_points_at_the_export_line(tmp_path):
    # Dosed from the first day: the canonical check names the export line of that day.
    lines = (APPS / "bearable_current.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if '"4th Mar 2022"' in line]
    path = tmp_path / "first_day.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(DiaryError, match=r"first_day.csv line 2, column 'dose_mg': got '1.5'"):
        load_diary(path)


def test_folder_with_an_app_export_and_a_diary(tmp_path):
    shutil.copy(APPS / "bearable_sim.csv", tmp_path / "a_bearable.csv")
    shutil.copy(CANONICAL, tmp_path / "b_diary.csv")
    diaries = load_diaries(tmp_path)
    assert [(d.patient_id, d.app) for d in diaries] == [
        ("a_bearable", "bearable"),
        ("b_diary", None),
    ]


@pytest.mark.parametrize(
    ("scale", "mcid"), [((0, 4), 1.0), ((0, 3), 1.0), ((1, 5), 1.0), ((1, 10), 2.0), ((0, 10), 2.0)]
)
def test_default_mcid(scale, mcid):
    assert default_mcid(scale) == mcid


def test_suggested_plan_keeps_settings_and_declared_outcomes():
    diary = load_diary(APPS / "bearable_sim.csv")
    base = Plan(
        evaluation_days=21,
        outcomes={"pain": Outcome("pain", "lower", (0.0, 4.0), 1.5), "mood": Outcome("mood")},
    )
    plan = suggested_plan(diary, base)
    assert plan.evaluation_days == 21
    assert plan.primary == "pain"
    assert plan.outcome("pain").mcid == 1.5  # declared on the app's scale: kept
    assert plan.outcome("mood") == Outcome("mood", "higher", (1.0, 10.0), 2.0)  # 0-10 replaced
    assert list(plan.outcomes) == ["pain", "fatigue", "sleep_quality", "mood"]
    assert plan.outcome("sleep_quality") == Outcome("sleep_quality", "higher", (1.0, 5.0), 1.0)


# --------------------------------------------------------------------------- end to end
@pytest.mark.parametrize(
    ("file", "options", "expected"),
    [
        ("bearable_sim.csv", {}, {"pain": (0, 4, 1), "fatigue": (0, 4, 1),
                                   "sleep_quality": (1, 5, 1), "mood": (1, 10, 2)}),
        ("daylio_sim.csv", {"mapping": DAYLIO_MAPPING, "dose_log": APPS / "daylio_sim_doses.csv"},
         {"pain": (1, 5, 1), "mood": (1, 5, 1)}),
        ("visible_sim.csv", {"dose_log": APPS / "visible_sim_doses.csv"},
         {"pain": (0, 3, 1), "fatigue": (0, 3, 1), "fog": (0, 3, 1), "stability_score": (1, 5, 1)}),
    ],
)  # fmt: skip
def test_analyze_and_report_an_app_diary(file, options, expected, tmp_path):
    from ldn_n1.report import write_report

    diary = load_diary(APPS / file, **options)
    result = analyze(diary, suggested_plan(diary), settle=False)
    frame = result.to_frame().set_index("outcome")
    assert list(frame.index) == list(expected)
    for name, (low, high, mcid) in expected.items():
        outcome = result.plan.outcome(name)
        assert (outcome.scale, outcome.mcid) == ((low, high), mcid)
        assert frame.loc[name, "mcid"] == mcid
        assert frame.loc[name, "classification"] in {"responder", "non-responder", "worsened",
                                                     "inconclusive"}  # fmt: skip
        assert frame.loc[name, "n_baseline_days"] >= 14
    out = write_report(result, tmp_path / "r.html")
    assert "responder" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["report", str(APPS / "bearable_sim.csv")],
        [
            "report",
            str(APPS / "visible_sim.csv"),
            "--dose-log",
            str(APPS / "visible_sim_doses.csv"),
        ],
    ],
)
def test_cli_report_on_app_exports(args, tmp_path, capsys):
    from ldn_n1.cli import main

    assert main([*args, "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert "wrote" in capsys.readouterr().out


def test_cohort_on_the_flaredown_export():
    from ldn_n1.cohort import analyze_cohort

    diary = next(
        d for d in iter_diaries(APPS / "flaredown_sim.csv") if not isinstance(d, Exception)
    )
    result = analyze_cohort(APPS / "flaredown_sim.csv", plan=suggested_plan(diary), workers=1)
    table = result.results
    ok = table[table["status"] == "ok"]
    assert ok["patient_id"].unique().tolist() == ["QEVuQwEAa1b2c3==", "QEVuQwEAd4e5f6=="]
    assert set(ok["outcome"]) == {"pain", "fatigue", "fog", "fibromyalgia"}
    assert (ok["mcid"] == 1.0).all()
    failed = table[table["status"] == "error"]
    assert failed["patient_id"].tolist() == ["QEVuQwEAg7h8i9=="]
    assert "never dosed" in failed["message"].iloc[0]


def test_make_fixtures_reproduces_the_committed_files(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", APPS / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.bearable()
    module.flaredown()
    for name in ("bearable_sim.csv", "flaredown_sim.csv"):
        assert (tmp_path / name).read_bytes() == (APPS / name).read_bytes()


def test_every_fixture_is_used():
    text = Path(__file__).read_text(encoding="utf-8")
    for path in APPS.iterdir():
        if path.suffix in {".csv", ".toml"}:
            assert path.name in text, path.name
