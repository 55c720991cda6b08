"""Pseudonymise diaries for sharing a cohort: :func:`anonymise` and :class:`Manifest`.

What the shared copy keeps and loses:

- **ids**: each ``patient_id`` becomes a keyed pseudonym ``P-`` + 16 hex digits
  (HMAC-SHA256 with a secret key, :func:`ldn_n1.pseudonym.pseudonym`). The same key gives
  the same pseudonyms on every run; without the key they cannot be traced back by hashing
  candidate ids. Patients are written in pseudonym order, not input order.
- **dates** (``dates=``):

  - ``"relative"`` (default): dates become day numbers from the first dose (day 0 = the
    first day with ``dose_mg > 0``, baseline days negative), written as *synthetic*
    dates because every diary reader needs a ``date`` column: day ``d`` is written as
    ``2000-01-03 + w + d`` where ``w`` (0 = Monday .. 6 = Sunday) is the weekday of the
    real first dose, so the first dose falls in the week of Monday 2000-01-03 on its real
    weekday. These are not real dates. Keeping the weekday keeps weekly rhythms and makes
    the analysis identical (its weekday terms would otherwise be relabelled);
    ``keep_weekday=False`` puts every first dose on 2000-01-03 itself.
  - ``"shift"``: every date of a patient moves by a secret whole number of weeks
    (-25..+25, never 0; :func:`ldn_n1.pseudonym.date_shift_days`): weekdays and the
    spacing of days are kept, the calendar dates are hidden, the season stays roughly known.

- **columns**: only the analysis columns are kept: ``pain``, ``fatigue``, ``sleep_quality``,
  ``fog``, ``mood``, ``dose_mg``, ``dose_time``, ``phase`` (explicit A/B labels, DESIGN §3),
  the side effects, ``opioid_use``, ``alcohol_units``. Free text (``notes``) and every other
  column (also other numeric columns) are dropped and listed in the manifest.
- **values** are unchanged (written with full precision), so the analysis of the shared
  copy equals that of the original. This is *pseudonymisation*, not anonymisation: whoever
  holds the original diaries (or the key) can link the copy to them, and under the GDPR
  pseudonymised health data are still personal data.

Patients whose diary fails validation are skipped and counted by reason (never by id).
The key never enters the output; the manifest holds a fingerprint of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from ldn_n1.diary import Diary, iter_diaries
from ldn_n1.errors import DiaryError, LdnError, LdnWarning
from ldn_n1.pseudonym import (
    DATE_METHODS,
    EPOCH,
    KEPT_COLUMNS,
    KEY_BYTES,
    Anonymised,
    anonymise_diaries,
    date_note,
    key_fingerprint,
    to_csv_text,
)
from ldn_n1.schema import canonical_name

__all__ = [
    "EPOCH",
    "KEPT_COLUMNS",
    "Anonymised",
    "Manifest",
    "SkippedPatients",
    "anonymise",
    "anonymise_diaries",
    "read_key",
]

#: Shortest key accepted from a file (128 bits).
MIN_KEY_BYTES = 16
OUTPUT_FILE = "diaries.csv"
MANIFEST_FILE = "manifest.json"
_STRUCTURE = frozenset({"patient_id", "date", "measure", "value"})


@dataclass(frozen=True)
class SkippedPatients:
    """Patients left out of the shared copy for one reason (no ids)."""

    reason: str
    patients: int


@dataclass(frozen=True)
class Manifest:
    """What :func:`anonymise` wrote and removed; written as ``manifest.json`` beside the data.

    Holds no original id, no key and no input path. ``key_file`` and ``out`` are kept for
    :meth:`summary` (printed locally) and left out of :meth:`to_dict`.
    """

    software_version: str
    date_method: str
    date_note: str
    key_fingerprint: str
    key_created: bool
    patients_read: int
    patients_written: int
    rows_written: int
    columns_kept: tuple[str, ...]
    columns_removed: tuple[str, ...]
    notes_removed: int
    skipped: tuple[SkippedPatients, ...]
    output_file: str
    output_sha256: str
    pseudonym_method: str = "P- + first 16 hex digits of HMAC-SHA256(key, id)"
    key_file: str | None = field(default=None, compare=False)
    out: str | None = field(default=None, compare=False)

    @property
    def patients_skipped(self) -> int:
        """Patients read but not written."""
        return sum(s.patients for s in self.skipped)

    def __repr__(self) -> str:
        return (
            f"Manifest({self.patients_written} patients, {self.rows_written} rows, "
            f"dates={self.date_method!r}, {self.patients_skipped} skipped, "
            f"key {self.key_fingerprint})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the content of ``manifest.json``)."""
        return {
            "software": "ldn_n1",
            "software_version": self.software_version,
            "output_file": self.output_file,
            "output_sha256": self.output_sha256,
            "pseudonyms": self.pseudonym_method,
            "key_fingerprint": self.key_fingerprint,
            "key_created": self.key_created,
            "date_method": self.date_method,
            "date_note": self.date_note,
            "patients_read": self.patients_read,
            "patients_written": self.patients_written,
            "patients_skipped": self.patients_skipped,
            "skipped": [{"reason": s.reason, "patients": s.patients} for s in self.skipped],
            "rows_written": self.rows_written,
            "columns_kept": list(self.columns_kept),
            "columns_removed": list(self.columns_removed),
            "notes_removed": self.notes_removed,
        }

    def summary(self) -> Any:
        """Printable summary (text and HTML); says where the files are and if a key was made."""
        from ldn_n1.results import Summary

        table = pd.DataFrame(
            {
                "item": [
                    "patients written",
                    "patients skipped",
                    "rows written",
                    "notes removed",
                    "columns removed",
                ],
                "value": [
                    str(self.patients_written),
                    str(self.patients_skipped),
                    str(self.rows_written),
                    str(self.notes_removed),
                    ", ".join(self.columns_removed) or "-",
                ],
            }
        )
        lines = []
        if self.out is not None:
            lines.append(f"wrote {Path(self.out) / self.output_file} and {MANIFEST_FILE}")
        if self.key_created:
            lines.append(
                f"created a new secret key in {self.key_file} (readable by you only): keep it, "
                "never share it; the same key gives the same pseudonyms next time"
            )
        lines.append(f"key fingerprint {self.key_fingerprint}; {self.date_note}")
        lines += [f"skipped {s.patients} patient(s): {s.reason}" for s in self.skipped]
        lines.append(
            "pseudonymised, not anonymous: values are unchanged, so whoever holds the "
            "original diaries or the key can link them"
        )
        return Summary("Anonymised diaries for sharing", table, lines)


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key that appeared meanwhile; 0600: owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key


def read_key(path: str | PathLike[str], *, create: bool = False) -> tuple[bytes, bool]:
    """Read the secret key from its file, or create the file.

    Parameters
    ----------
    path : str or path
        File holding the key as hex text (whitespace ignored).
    create : bool, default False
        Create the file (32 random bytes, mode 0600) when it does not exist. An existing
        key is never overwritten.

    Returns
    -------
    key : bytes
    created : bool
        Whether the file was created now.

    Raises
    ------
    LdnError
        The file does not exist (and ``create`` is false), cannot be read, is not hex or
        holds fewer than 16 bytes. The message names the path, never the key.

    Warns
    -----
    LdnWarning
        On POSIX systems, when the key file can be read by the group or by others.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            msg = (
                f"key file {str(path)!r} does not exist: give an existing key file, or create "
                "a new one with --new-key (create_key=True)"
            )
            raise LdnError(msg)
        return _create_key(path), True
    if path.is_dir():
        msg = f"key file {str(path)!r} is a folder, expected a file holding the key"
        raise LdnError(msg)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"key file {str(path)!r} cannot be read as hex text ({type(exc).__name__})"
        raise LdnError(msg) from None
    try:
        key = bytes.fromhex("".join(text.split()))
    except ValueError:
        msg = f"key file {str(path)!r} does not hold a hex-encoded key"
        raise LdnError(msg) from None
    if len(key) < MIN_KEY_BYTES:
        msg = (
            f"key file {str(path)!r} holds {len(key)} bytes, expected at least "
            f"{MIN_KEY_BYTES} (a new key has {KEY_BYTES})"
        )
        raise LdnError(msg)
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"key file {str(path)!r} can be read by other users: chmod 600 it",
            LdnWarning,
            stacklevel=2,
        )
    return key, False


def _reasons(errors: Sequence[DiaryError], hidden: Sequence[str]) -> list[str]:
    """Why each patient failed (first problem: column and rule), ids and file names redacted.

    The value and the location are left out; any whole-token occurrence of an id or file
    name in the column or the rule (e.g. "also in jane_doe.csv") becomes ``<redacted>``.
    """
    if not errors:
        return []
    words = sorted({h for h in hidden if h}, key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, words))})(?!\w)")
    out = []
    for error in errors:
        first = error.problems[0]
        text = f"expected {first.expected}"
        if first.column is not None:
            text = f"column {first.column!r}: {text}"
        out.append(pattern.sub("<redacted>", text) if words else text)
    return out


def _header_columns(source: str) -> set[str]:
    """Canonical names of the header of a diary file (columns dropped while reading too)."""
    from ldn_n1.readers import read_table

    return {n for n in (canonical_name(h) for h in read_table(source).headers) if n}


def _check_paths(source: Path, out: Path, key_file: Path) -> None:
    out_r = out.resolve()
    if source.is_dir() and source.resolve() == out_r:
        msg = f"output folder {str(out)!r} is the input folder: choose another --out"
        raise LdnError(msg)
    if source.is_file() and source.resolve() in {
        (out_r / OUTPUT_FILE),
        (out_r / MANIFEST_FILE),
    }:
        msg = f"writing to {str(out)!r} would overwrite the input {str(source)!r}"
        raise LdnError(msg)
    key_r = key_file.resolve()
    if key_r == out_r or out_r in key_r.parents:
        msg = f"key file {str(key_file)!r} is inside the output folder, which is for sharing"
        raise LdnError(msg)


def anonymise(
    input: str | PathLike[str],
    out: str | PathLike[str],
    *,
    key_file: str | PathLike[str],
    dates: str = "relative",
    create_key: bool = False,
    keep_weekday: bool = True,
    date_format: str | None = None,
) -> Manifest:
    """Write a pseudonymised copy of diaries for sharing: ``OUT/diaries.csv`` + ``manifest.json``.

    Parameters
    ----------
    input : str or path
        A diary file (single or multi-patient, any format :func:`ldn_n1.load_diaries`
        reads) or a folder of diaries. Only read, never modified.
    out : str or path
        Output folder (created). Must not be the input folder or hold the key.
    key_file : str or path
        File holding the secret key (hex). Keep it away from the shared data.
    dates : {"relative", "shift"}, default "relative"
        Relative synthetic dates from the first dose, or a secret whole-week shift (see
        the module documentation).
    create_key : bool, default False
        Create ``key_file`` (32 random bytes, mode 0600) if it does not exist.
    keep_weekday : bool, default True
        Relative dates: keep the real weekday of every day (see the module documentation).
    date_format : str, optional
        ``strptime`` format for ambiguous input dates.

    Returns
    -------
    Manifest

    Raises
    ------
    LdnError
        Bad ``dates``; key file missing (without ``create_key``) or unreadable; output
        folder equal to the input folder or holding the key; no patient could be written.
    DiaryError
        The input cannot be read at all.

    Notes
    -----
    ``OUT/diaries.csv`` is canonical wide CSV (``patient_id``, ``date``, kept columns) that
    :func:`ldn_n1.load_diaries` and ``ldn-n1 batch`` read directly. Both files are written
    atomically (temporary file, then rename). Output is deterministic: the same input and
    key give the same bytes. Patients with a diary that fails validation are skipped and
    counted by reason in the manifest.
    """
    from ldn_n1 import __version__
    from ldn_n1.cli import write_text_atomic

    if dates not in DATE_METHODS:
        msg = f"dates must be one of {', '.join(DATE_METHODS)}, got {dates!r}"
        raise LdnError(msg)
    source, out, key_path = Path(input), Path(out), Path(key_file)
    _check_paths(source, out, key_path)
    if not create_key and not key_path.exists():
        read_key(key_path)  # raises, naming the path
    diaries: list[Diary] = []
    errors: list[DiaryError] = []
    for item in iter_diaries(source, date_format=date_format):
        (errors if isinstance(item, DiaryError) else diaries).append(item)
    key, created = read_key(key_path, create=create_key)
    result = anonymise_diaries(diaries, key, dates=dates, keep_weekday=keep_weekday)

    files = sorted({d.source for d in diaries})
    removed = set(result.columns_removed)
    for f in files:
        removed |= _header_columns(f) - set(KEPT_COLUMNS) - _STRUCTURE
    hidden = [d.patient_id for d in diaries] + [e.patient_id or "" for e in errors]
    hidden += [Path(f).name for f in files] + [Path(f).stem for f in files]
    if source.is_dir():
        hidden += [p.name for p in source.iterdir()] + [p.stem for p in source.iterdir()]
    reasons = Counter(_reasons(errors, hidden) + list(result.skipped))
    skipped = tuple(SkippedPatients(r, n) for r, n in sorted(reasons.items()))
    written = int(result.data["patient_id"].nunique())
    if written == 0:
        detail = "; ".join(f"{s.patients}: {s.reason}" for s in skipped)
        msg = f"no patient could be anonymised ({detail})"
        if created:
            msg += f"; a new key was created in {str(key_path)!r}"
        raise LdnError(msg)

    text = to_csv_text(result.data)
    manifest = Manifest(
        software_version=__version__,
        date_method=dates,
        date_note=date_note(dates, keep_weekday),
        key_fingerprint=key_fingerprint(key),
        key_created=created,
        patients_read=len(diaries) + len(errors),
        patients_written=written,
        rows_written=len(result.data),
        columns_kept=tuple(c for c in result.data.columns if c != "patient_id"),
        columns_removed=tuple(sorted(removed)),
        notes_removed=result.notes_removed,
        skipped=skipped,
        output_file=OUTPUT_FILE,
        output_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        key_file=str(key_path),
        out=str(out),
    )
    write_text_atomic(out / OUTPUT_FILE, text)
    body = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    write_text_atomic(out / MANIFEST_FILE, body + "\n")
    return manifest
