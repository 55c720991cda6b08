"""Write the larger app-export fixtures from simulated patients (deterministic).

Run from the repository root: ``PYTHONPATH=src python tests/corpus/apps/make_fixtures.py``.
The files are committed; this script documents how they were made. Each export is made
from :func:`ldn_n1.simulate.simulate_patient` (0-10 scores) by the conversions below, which
stand in for a patient using the app; they are fixture choices, not the toolkit's rules.
The small, awkward fixtures of this folder are typed by hand.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_n1.simulate import simulate_patient

HERE = Path(__file__).parent
COMMON = {
    "baseline_days": 28,
    "treatment_days": 84,
    "n_gaps": 1,
    "blank_prob": 0.03,
    "completion_start": 0.97,
    "interrupted": False,
    "switched_to_morning": False,
}


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    (HERE / name).write_text(buffer.getvalue(), encoding="utf-8")


def _dose_log(name: str, data: pd.DataFrame) -> None:
    dose = data["dose_mg"].ffill().fillna(0.0)
    change = dose.ne(dose.shift())
    rows = [
        [d.date().isoformat(), f"{x:g}"]
        for d, x in zip(data["date"][change], dose[change], strict=True)
    ]
    _write(name, ["date", "dose_mg"], rows)


def _level(x: float, factor: float, top: int, low: int = 0) -> int:
    return int(np.clip(np.round(x * factor), low, top))


def _ordinal(day: pd.Timestamp) -> str:
    n = day.day
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} {day:%b %Y}"


def bearable() -> None:
    data = simulate_patient(101, scenario="responder", effect={"pain": 4.0}, **COMMON).data
    labels = ["None", "Mild", "Moderate", "Severe", "Unbearable"]
    rows: list[list[object]] = []
    for k, r in enumerate(data.itertuples()):
        day = r.date
        base = [f"{day.date().isoformat()}T08:00:00.000Z", _ordinal(day), f"{day:%A}"]
        if not np.isnan(r.pain):
            wide = _level(r.pain, 0.4, 4)
            if wide:
                rows.append([*base, "am", "Symptom", wide, f"Widespread pain ({labels[wide]})", ""])
            back = _level(r.pain - 1.5, 0.4, 4)
            if back:
                rows.append(
                    [*base, "pm", "Symptom", back, f"Back (lower) pain ({labels[back]})", ""]
                )
            if not np.isnan(r.fatigue) and _level(r.fatigue, 0.4, 4):
                tired = _level(r.fatigue, 0.4, 4)
                rows.append([*base, "mid", "Symptom", tired, f"Fatigue ({labels[tired]})", ""])
            if r.nausea == 1:
                rows.append([*base, "pm", "Symptom", 1, "Nausea (Mild)", ""])
        if not np.isnan(r.mood):
            rows.append([*base, "am", "Mood", _level(r.mood, 1, 10, 1), "", ""])
            if k % 3 == 0:
                rows.append([*base, "pm", "Mood", _level(r.mood + 1, 1, 10, 1), "", ""])
        if not np.isnan(r.sleep_quality):
            rows.append([*base, "pre", "Sleep quality", _level(r.sleep_quality, 0.5, 5, 1), "", ""])
            rows.append([*base, "pre", "Sleep", f"{6 + k % 3}:{15 * (k % 4):02d}", "", ""])
        rows.append([*base, "08:30", "Meds/Supplements", 1, "Vitamin D (tablets)", ""])
        if r.dose_mg > 0:
            rows.append(
                [*base, "22:00", "Meds/Supplements", f"{r.dose_mg:g}", "Naltrexone (mg)", ""]
            )
        tags = (
            "🍷 Alcohol - Moderate | ☕ Caffeine - Little"
            if r.alcohol_units > 0
            else ("☕ Caffeine - Little")
        )
        rows.append([*base, "all day", "Lifestyle", "", tags, ""])
    header = [
        "date",
        "date formatted",
        "weekday",
        "time of day",
        "category",
        "rating/amount",
        "detail",
        "notes",
    ]
    _write("bearable_sim.csv", header, rows)


def daylio() -> None:
    data = simulate_patient(
        202, scenario="responder", effect={"pain": 4.0, "mood": 3.0}, **COMMON
    ).data
    labels = {5: "Super", 4: "good", 3: "so-so", 2: "bad", 1: "awful"}
    rows: list[list[object]] = []
    for k, r in enumerate(data.itertuples()):
        if np.isnan(r.mood):
            continue
        level = _level(r.mood, 0.5, 5, 1)
        acts = [
            a
            for a, on in (
                ("LDN", r.dose_mg > 0),
                ("alcohol", r.alcohol_units > 0),
                ("headache", r.headache == 1),
                ("work", k % 7 < 5),
            )
            if on
        ]
        pain = "" if np.isnan(r.pain) else f"Pain:\u00a0{_level(r.pain, 0.4, 5, 1)}"
        morning = "8:05 am" if k % 2 else "07:50"
        entries = [[morning, labels[level], " | ".join(acts), pain, "", ""]]
        if k % 4 == 0:
            later = _level(r.mood + 1, 0.5, 5, 1)
            entries.append(
                [
                    "9:40 pm" if k % 8 else "21:40",
                    labels[later],
                    "",
                    "",
                    "Evening",
                    "calmer<br>slept early",
                ]
            )
        for e in entries:
            day = r.date
            rows.append([day.date().isoformat(), f"{day:%B} {day.day}", f"{day:%A}", *e])
    rows.reverse()  # Daylio writes the newest entry first
    header = [
        "full_date",
        "date",
        "weekday",
        "time",
        "mood",
        "activities",
        "scales",
        "note_title",
        "note",
    ]
    _write("daylio_sim.csv", header, rows)
    _dose_log("daylio_sim_doses.csv", data)


def visible() -> None:
    data = simulate_patient(
        303, scenario="responder", effect={"pain": 4.0, "fog": 3.0}, **COMMON
    ).data
    rows: list[list[object]] = []
    for k, r in enumerate(data.itertuples()):
        day = r.date.date().isoformat()
        if not np.isnan(r.pain):
            rows.append([day, "Muscle pain", "Pain", f"{_level(r.pain, 0.3, 3)} "])
            rows.append([day, "Joint pain", "Pain", f"{_level(r.pain - 2, 0.3, 3)} "])
            rows.append([day, "Stability Score", "Measurement", _level(5 - r.pain * 0.4, 1, 5, 1)])
        if not np.isnan(r.fog):
            rows.append([day, "Brain Fog", "Brain", _level(r.fog, 0.3, 3)])
        if not np.isnan(r.fatigue):
            rows.append([day, "Fatigue", "Energy", _level(r.fatigue, 0.3, 3)])
        rows.append([day, "Nausea", "Gastrointestinal", int(r.nausea == 1)])
        rows.append([day, "Resting HR", "Measurement", 60 + k % 9])
        rows.append([day, "Sleep", "Sleep", 1 + k % 3])
        if k % 10 == 3:
            rows.append([day, "Note", "Note", "Long day, rested after lunch"])
    rows.reverse()
    _write(
        "visible_sim.csv",
        ["observation_date", "tracker_name", "tracker_category", "observation_value "],
        rows,
    )
    _dose_log("visible_sim_doses.csv", data)


def flaredown() -> None:
    users = [
        ("QEVuQwEAa1b2c3==", 404, "responder", "Low Dose Naltrexone", "{:g} mg"),
        ("QEVuQwEAd4e5f6==", 405, "non_responder", "LDN", "1 x {:g}mg"),
        ("QEVuQwEAg7h8i9==", 406, "non_responder", None, ""),
    ]
    rows: list[list[object]] = []
    for uid, seed, scenario, drug, fmt in users:
        data = simulate_patient(seed, patient_id=uid, scenario=scenario, **COMMON).data
        for r in data.itertuples():
            day = r.date.date().isoformat()
            base = [uid, 45, "female", "US", day]
            for tid, kind, name, x in (
                (1, "Condition", "Fibromyalgia", r.pain),
                (2, "Symptom", "Pain", r.pain),
                (3, "Symptom", "Fatigue", r.fatigue),
                (4, "Symptom", "Brain fog", r.fog),
            ):
                value = "" if np.isnan(x) else _level(x, 0.4, 4)
                rows.append([*base, tid, kind, name, value])
            rows.append([*base, 10, "Treatment", "Magnesium", "400 mg"])
            if drug and r.dose_mg > 0:
                rows.append([*base, 11, "Treatment", drug, fmt.format(r.dose_mg)])
            if r.alcohol_units > 0:
                rows.append([*base, 20, "Tag", "wine", ""])
            rows.append([*base, 30, "Weather", "humidity", "66.0"])
    order = np.random.default_rng(7).permutation(len(rows))
    header = [
        "user_id",
        "age",
        "sex",
        "country",
        "checkin_date",
        "trackable_id",
        "trackable_type",
        "trackable_name",
        "trackable_value",
    ]
    _write("flaredown_sim.csv", header, [rows[i] for i in order])


if __name__ == "__main__":
    bearable()
    daylio()
    visible()
    flaredown()
