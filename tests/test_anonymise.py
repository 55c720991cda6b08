from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.anonymise import EPOCH, anonymise, anonymise_diaries, read_key
from ldn_n1.cli import main
from ldn_n1.diary import load_diaries, load_diary
from ldn_n1.errors import LdnError, LdnWarning
from ldn_n1.pseudonym import date_shift_days, key_fingerprint, pseudonym
from ldn_n1.simulate import frame_to_csv, simulate_cohort

MESSY = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "messy.csv"
HOSTILE_IDS = ("../x", "<script>", "=cmd")


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _key(path: Path) -> bytes:
    return read_key(path, create=True)[0]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Four simulated diaries in one wide file, hostile ids for two of them."""
    folder = tmp_path_factory.mktemp("cohort")
    data, _ = simulate_cohort(4, seed=7)
    ids = {"SIM00001": "../x", "SIM00002": "<script>"}
    data["patient_id"] = data["patient_id"].replace(ids)
    path = folder / "cohort.csv"
    path.write_text(frame_to_csv(data), encoding="utf-8")
    return path, {d.patient_id: d for d in load_diaries(path)}


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys" / "secret.key"
    _key(path)
    return path


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("dates", ["relative", "shift"])
def test_same_key_gives_same_bytes(cohort, key_file, tmp_path, dates):
    path, _ = cohort
    anonymise(path, tmp_path / "a", key_file=key_file, dates=dates)
    anonymise(path, tmp_path / "b", key_file=key_file, dates=dates)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(first) == ["diaries.csv", "manifest.json"]
    assert first == second


def test_different_key_gives_different_pseudonyms(cohort, key_file, tmp_path):
    path, originals = cohort
    other = tmp_path / "other.key"
    m1 = anonymise(path, tmp_path / "a", key_file=key_file)
    m2 = anonymise(path, tmp_path / "b", key_file=other, create_key=True)
    ids1 = set(pd.read_csv(tmp_path / "a" / "diaries.csv")["patient_id"])
    ids2 = set(pd.read_csv(tmp_path / "b" / "diaries.csv")["patient_id"])
    assert len(ids1) == len(ids2) == len(originals)
    assert not ids1 & ids2
    assert m1.key_fingerprint != m2.key_fingerprint


def test_pseudonym_and_shift_follow_documented_formula():
    key = bytes(range(32))
    mac = hmac.new(key, b"ldn_n1 pseudonym v1\x00" + b"P001", hashlib.sha256)
    assert pseudonym(key, "P001") == "P-" + mac.hexdigest()[:16]
    shift_mac = hmac.new(key, b"ldn_n1 date shift v1\x00P001", hashlib.sha256).digest()
    k = int.from_bytes(shift_mac[:8], "big") % 50
    assert date_shift_days(key, "P001") == 7 * (k - 25 if k < 25 else k - 24)
    shifts = {date_shift_days(key, f"id{i}") for i in range(2000)}
    assert shifts == {7 * w for w in range(-25, 26) if w != 0}  # all 50 values, never 0
    assert (
        key_fingerprint(key)
        == hashlib.sha256(b"ldn_n1 key fingerprint v1\x00" + key).hexdigest()[:16]
    )


# ---------------------------------------------------------------------------- nothing leaks
def test_no_id_note_or_date_in_output(cohort, key_file, tmp_path):
    path, originals = cohort
    messy = load_diary(MESSY)
    for source, out in [(path, tmp_path / "c"), (MESSY, tmp_path / "m")]:
        anonymise(source, out, key_file=key_file, dates="relative")
    blob = b"".join(b for out in ("c", "m") for b in _files(tmp_path / out).values())
    diaries = [*originals.values(), messy]
    notes = {str(n) for d in diaries for n in d.data["notes"].dropna() if len(str(n).strip()) >= 4}
    assert "<script>alert(1)</script>" in notes
    for note in notes:
        assert note.encode() not in blob, note
    for pid in [*originals, "messy", "SIM00003", "SIM00004"]:
        assert pid.encode() not in blob, pid
    dates = {day.strftime("%Y-%m-%d") for d in diaries for day in d.data["date"]}
    for day in dates:
        assert day.encode() not in blob, day
    assert b"<" not in blob
    assert b"script" not in blob


def test_key_not_in_output(cohort, key_file, tmp_path):
    path, _ = cohort
    key = _key(key_file)
    manifest = anonymise(path, tmp_path / "o", key_file=key_file, dates="shift")
    blob = b"".join(_files(tmp_path / "o").values())
    assert key.hex().encode() not in blob
    assert key.hex().upper().encode() not in blob
    assert key not in blob
    assert manifest.key_fingerprint.encode() in blob
    assert manifest.key_fingerprint not in key.hex()
    assert str(key_file).encode() not in blob  # the key's location is not shared either


# ---------------------------------------------------------------------------- dates
def _first_dose(data: pd.DataFrame) -> pd.Timestamp:
    return data.loc[data["dose_mg"] > 0, "date"].iloc[0]


def _pairs(cohort, key: bytes, out: Path):
    _, originals = cohort
    anon = {d.patient_id: d for d in load_diaries(out / "diaries.csv")}
    assert len(anon) == len(originals)
    return [(d, anon[pseudonym(key, pid)]) for pid, d in originals.items()]


def test_relative_day_zero_is_first_dose(cohort, key_file, tmp_path):
    path, _ = cohort
    anonymise(path, tmp_path / "o", key_file=key_file, dates="relative")
    for orig, anon in _pairs(cohort, _key(key_file), tmp_path / "o"):
        first = _first_dose(orig.data)
        day0 = _first_dose(anon.data)
        # Day 0 is in the week of Monday 2000-01-03, on the real weekday of the first dose.
        assert EPOCH <= day0 <= EPOCH + pd.Timedelta(days=6)
        assert day0.day_of_week == first.day_of_week
        real_days = (orig.data["date"] - first).dt.days.to_numpy()
        days = (anon.data["date"] - day0).dt.days.to_numpy()
        np.testing.assert_array_equal(days, real_days)
        assert days[0] < 0  # baseline days are negative
        assert int(np.sum(days < 0)) == int(np.sum(orig.data["date"] < first))


def test_relative_without_weekday_puts_day_zero_on_epoch(cohort, key_file, tmp_path):
    path, _ = cohort
    manifest = anonymise(path, tmp_path / "o", key_file=key_file, keep_weekday=False)
    for _orig, anon in _pairs(cohort, _key(key_file), tmp_path / "o"):
        assert _first_dose(anon.data) == EPOCH
    assert "Monday 2000-01-03" in manifest.date_note


def test_shift_keeps_weekdays_and_moves_every_date(cohort, key_file, tmp_path):
    path, _ = cohort
    manifest = anonymise(path, tmp_path / "o", key_file=key_file, dates="shift")
    assert manifest.date_method == "shift"
    for orig, anon in _pairs(cohort, _key(key_file), tmp_path / "o"):
        offsets = set((anon.data["date"] - orig.data["date"]).dt.days)
        assert len(offsets) == 1
        (offset,) = offsets
        assert offset % 7 == 0
        assert 7 <= abs(offset) <= 175
        np.testing.assert_array_equal(
            anon.data["date"].dt.day_of_week, orig.data["date"].dt.day_of_week
        )


# ---------------------------------------------------------------------------- analysis
def _analyze(diary):
    """analyze(), with its short-baseline LdnWarning (if any) recorded instead of raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LdnWarning)
        result = analyze(diary)
    assert all(issubclass(w.category, LdnWarning) for w in caught)
    assert len(caught) == len(result.notes)
    return result


@pytest.mark.parametrize("dates", ["relative", "shift"])
def test_analysis_unchanged(cohort, key_file, tmp_path, dates):
    path, _ = cohort
    anonymise(path, tmp_path / "o", key_file=key_file, dates=dates)
    for orig, anon in _pairs(cohort, _key(key_file), tmp_path / "o"):
        kept = [c for c in orig.data.columns if c not in ("date", "notes")]
        pd.testing.assert_frame_equal(anon.data[kept], orig.data[kept])
        r_before, r_after = _analyze(orig), _analyze(anon)
        assert r_after.notes == r_before.notes
        before = r_before.to_frame().drop(columns="patient_id")
        after = r_after.to_frame().drop(columns="patient_id")
        assert after["classification"].tolist() == before["classification"].tolist()
        numbers = before.select_dtypes("number").columns
        assert len(numbers) > 5
        np.testing.assert_allclose(
            after[numbers].to_numpy(float), before[numbers].to_numpy(float), rtol=0, atol=1e-9
        )


def test_values_written_at_full_precision(key_file, tmp_path):
    days = pd.date_range("2025-01-01", periods=20)
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "pain": [np.pi, 1 / 3, 2.0, 7.123456789012345] * 5,
            "dose_mg": [0.0] * 8 + [4.5] * 12,
            "alcohol_units": [0.1 + 0.2] * 20,
        }
    )
    src = tmp_path / "p1.csv"
    frame.to_csv(src, index=False)
    anonymise(src, tmp_path / "o", key_file=key_file)
    anon = load_diary(tmp_path / "o" / "diaries.csv")
    orig = load_diary(src)
    for column in ("pain", "dose_mg", "alcohol_units"):
        np.testing.assert_array_equal(anon.data[column], orig.data[column])


# ---------------------------------------------------------------------------- inputs
def test_input_files_unchanged(cohort, key_file, tmp_path):
    path, _ = cohort
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(MESSY.read_bytes())
    (folder / "b.csv").write_bytes(path.read_bytes())
    watched = [path, MESSY, folder / "a.csv", folder / "b.csv"]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in watched}
    anonymise(path, tmp_path / "o1", key_file=key_file, dates="shift")
    anonymise(MESSY, tmp_path / "o2", key_file=key_file)
    manifest = anonymise(folder, tmp_path / "o3", key_file=key_file)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in watched} == before
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv"]
    assert manifest.patients_written == 5


def test_parquet_input(cohort, key_file, tmp_path):
    path, _ = cohort
    parquet = tmp_path / "cohort.parquet"
    pd.read_csv(path, dtype=str, keep_default_na=False).to_parquet(parquet)
    anonymise(parquet, tmp_path / "o", key_file=key_file)
    anonymise(path, tmp_path / "c", key_file=key_file)
    assert (tmp_path / "o" / "diaries.csv").read_bytes() == (
        tmp_path / "c" / "diaries.csv"
    ).read_bytes()


def test_hostile_ids_and_formula_cells(key_file, tmp_path):
    rows = []
    for pid in HOSTILE_IDS:
        for i, day in enumerate(pd.date_range("2025-03-01", periods=30)):
            dose = 0.0 if i < 10 else 3.0
            rows.append(
                {
                    "patient_id": pid,
                    "date": day.strftime("%Y-%m-%d"),
                    "pain": 5 + (i % 3),
                    "dose_mg": dose,
                    "dose_time": "=HYPERLINK(evil)" if i == 15 else ("night" if dose else ""),
                    "notes": "@SUM(A1)" if i == 3 else "",
                }
            )
    src = tmp_path / "hostile.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    out = tmp_path / "o"
    manifest = anonymise(src, out, key_file=key_file)
    assert manifest.patients_written == 3
    assert manifest.notes_removed == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.csv", "keys", "o"]
    blob = b"".join(_files(out).values())
    for pid in HOSTILE_IDS:
        assert pid.encode() not in blob
    assert b"@SUM" not in blob
    text = (out / "diaries.csv").read_text()
    cells = [c for line in text.splitlines() for c in line.split(",")]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=hyperlink(evil)" in cells  # dose_time is read lower case; neutralised
    loaded = load_diaries(out / "diaries.csv")
    assert sorted(d.patient_id for d in loaded) == sorted(
        pseudonym(_key(key_file), p) for p in HOSTILE_IDS
    )


def test_invalid_patients_skipped_and_counted(cohort, key_file, tmp_path):
    path, originals = cohort
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = frame[frame["patient_id"] == "SIM00003"].copy()
    bad["patient_id"] = "SECRET-ID-1"
    bad.loc[bad.index[5], "pain"] = "seven"
    never = frame[frame["patient_id"] == "SIM00004"].copy()
    never["patient_id"] = "SECRET-ID-2"
    never["dose_mg"] = "0"
    src = tmp_path / "mixed.csv"
    pd.concat([frame, bad, never]).to_csv(src, index=False)
    manifest = anonymise(src, tmp_path / "o", key_file=key_file)
    assert manifest.patients_read == len(originals) + 2
    assert manifest.patients_written == len(originals)
    assert manifest.patients_skipped == 2
    reasons = sorted(s.reason for s in manifest.skipped)
    assert reasons[0].startswith("column 'dose_mg': expected a dose above 0")
    assert reasons[1] == "column 'pain': expected a number 0-10"
    blob = b"".join(_files(tmp_path / "o").values())
    assert b"SECRET-ID" not in blob
    assert b"seven" not in blob
    assert "skipped 1 patient(s): column 'pain'" in str(manifest.summary())


def test_folder_reasons_hide_ids_and_file_names(key_file, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    one = pd.read_csv(MESSY, dtype=str, keep_default_na=False)
    one["patient_id"] = "Jane-Doe"
    one.to_csv(folder / "jane_doe_clinic.csv", index=False)
    one.to_csv(folder / "jane_doe_copy.csv", index=False)  # the same id again: an error
    (folder / "broken_smith.csv").write_text("no,header,here\n")
    manifest = anonymise(folder, tmp_path / "o", key_file=key_file)
    assert manifest.patients_written == 1
    assert manifest.patients_skipped == 2
    text = json.dumps(manifest.to_dict()) + str(manifest.summary())
    for secret in ("Jane-Doe", "jane_doe", "smith"):
        assert secret not in text
    assert "<redacted>" in text
    assert str(tmp_path) not in json.dumps(manifest.to_dict())


def test_no_valid_patient_is_an_error(key_file, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("date,pain,dose_mg\n2025-01-01,5,1\n2025-01-02,5,1\n")
    with pytest.raises(LdnError, match="no patient could be anonymised"):
        anonymise(src, tmp_path / "o", key_file=key_file)
    assert not (tmp_path / "o" / "diaries.csv").exists()


def test_unreadable_input_raises(key_file, tmp_path):
    with pytest.raises(LdnError, match="not found"):
        anonymise(tmp_path / "missing.csv", tmp_path / "o", key_file=key_file)


# ---------------------------------------------------------------------------- manifest
def test_manifest_lists_what_was_removed(key_file, tmp_path):
    frame = load_diary(MESSY).data
    raw = pd.read_csv(MESSY, dtype=str, keep_default_na=False)
    raw["Clinician name"] = "Dr Who"
    raw["weight_kg"] = "70"
    raw.to_csv(tmp_path / "p7.csv", index=False)
    manifest = anonymise(tmp_path / "p7.csv", tmp_path / "o", key_file=key_file)
    assert manifest.columns_removed == ("clinician_name", "notes", "weight_kg")
    expected_notes = int((frame["notes"].fillna("").str.strip() != "").sum())
    assert manifest.notes_removed == expected_notes > 5
    assert manifest.rows_written == len(frame)
    d = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert d == manifest.to_dict()
    assert d["software_version"] == __import__("ldn_n1").__version__
    assert d["date_method"] == "relative"
    assert d["key_fingerprint"] == key_fingerprint(_key(key_file))
    data = (tmp_path / "o" / "diaries.csv").read_bytes()
    assert d["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert b"Dr Who" not in data
    header = data.split(b"\n", 1)[0].decode().split(",")
    assert header[:3] == ["patient_id", "date", "pain"]
    assert "notes" not in header
    assert "weight_kg" not in header
    assert "Manifest(1 patients" in repr(manifest)
    assert "<table" in manifest.summary()._repr_html_()


# ---------------------------------------------------------------------------- key file
def test_missing_key_file_names_the_path(cohort, tmp_path):
    path, _ = cohort
    key = tmp_path / "nope.key"
    with pytest.raises(LdnError, match=r"nope\.key"):
        anonymise(path, tmp_path / "o", key_file=key)
    assert not key.exists()
    assert not (tmp_path / "o").exists()


def test_new_key_created_private_and_reused(cohort, tmp_path):
    path, _ = cohort
    key = tmp_path / "new" / "secret.key"
    m1 = anonymise(path, tmp_path / "a", key_file=key, create_key=True)
    assert m1.key_created
    assert "created a new secret key in" in str(m1.summary())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    content = key.read_bytes()
    m2 = anonymise(path, tmp_path / "b", key_file=key, create_key=True)
    assert not m2.key_created
    assert key.read_bytes() == content  # never overwritten
    assert "created a new" not in str(m2.summary())


@pytest.mark.parametrize(
    ("content", "match"),
    [("not hex at all", "does not hold a hex-encoded key"), ("abcd\n", "holds 2 bytes")],
)
def test_bad_key_file(cohort, tmp_path, content, match):
    path, _ = cohort
    key = tmp_path / "bad.key"
    key.write_text(content)
    key.chmod(0o600)
    with pytest.raises(LdnError, match=match):
        anonymise(path, tmp_path / "o", key_file=key)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_readable_key_file_warns(tmp_path):
    key = tmp_path / "open.key"
    key.write_text(bytes(32).hex())
    key.chmod(0o644)
    with pytest.warns(LdnWarning, match="chmod 600"):
        read_key(key)


def test_output_folder_checks(cohort, key_file, tmp_path):
    path, _ = cohort
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(MESSY.read_bytes())
    with pytest.raises(LdnError, match="is the input folder"):
        anonymise(folder, folder, key_file=key_file)
    with pytest.raises(LdnError, match="inside the output folder"):
        anonymise(path, key_file.parent, key_file=key_file)
    with pytest.raises(LdnError, match="dates must be one of"):
        anonymise(path, tmp_path / "o", key_file=key_file, dates="blur")
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv"]


def test_caller_diaries_not_modified(cohort):
    _, originals = cohort
    diaries = list(originals.values())
    copies = [d.data.copy() for d in diaries]
    result = anonymise_diaries(diaries, bytes(32), dates="shift")
    assert result.patients_read == len(diaries)
    for d, c in zip(diaries, copies, strict=True):
        pd.testing.assert_frame_equal(d.data, c)


# ---------------------------------------------------------------------------- command line
def test_cli_anonymise(cohort, tmp_path, capsys):
    path, _ = cohort
    key = tmp_path / "cli.key"
    code = main(["anonymise", str(path), "--out", str(tmp_path / "o"), "--key-file", str(key)])
    assert code == 2
    assert "ldn-n1: error: key file" in capsys.readouterr().err
    code = main(
        [
            "anonymise",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--key-file",
            str(key),
            "--new-key",
            "--dates",
            "shift",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "patients written" in printed
    assert "created a new secret key" in printed
    assert len(load_diaries(tmp_path / "o" / "diaries.csv")) == 4


def test_folder_with_different_columns(key_file, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(MESSY.read_bytes())
    days = pd.date_range("2025-01-01", periods=40).strftime("%Y-%m-%d")
    small = pd.DataFrame({"date": days, "pain": [5.5] * 40, "dose_mg": [0] * 15 + [1.5] * 25})
    small.to_csv(folder / "b.csv", index=False)
    manifest = anonymise(folder, tmp_path / "o", key_file=key_file)
    assert manifest.patients_written == 2
    anon = {d.patient_id: d for d in load_diaries(tmp_path / "o" / "diaries.csv")}
    b = anon[pseudonym(_key(key_file), "b")]
    np.testing.assert_array_equal(b.data["pain"], small["pain"])
    assert b.data["fatigue"].isna().all()  # columns of the other diary are blank here
    assert b.data["dose_time"].isna().all()


def test_phase_labels_kept_and_undosed_diary_skipped_for_relative_days(key_file, tmp_path):
    days = pd.date_range("2025-01-01", periods=30).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"date": days, "pain": [5.0] * 30, "phase": ["A"] * 10 + ["+B"] * 20})
    frame.to_csv(tmp_path / "ab.csv", index=False)
    with pytest.raises(LdnError, match=r"1: no day with dose_mg > 0"):
        anonymise(tmp_path / "ab.csv", tmp_path / "o", key_file=key_file)
    manifest = anonymise(tmp_path / "ab.csv", tmp_path / "s", key_file=key_file, dates="shift")
    assert manifest.columns_kept == ("date", "pain", "phase")
    (diary,) = load_diaries(tmp_path / "s" / "diaries.csv")
    assert diary.data["phase"].tolist() == ["A"] * 10 + ["'+B"] * 20
