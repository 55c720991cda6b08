"""Writing batch tables: deterministic cell text, CSV-injection neutralising, atomic files.

Every table the batch writes (``results.csv``, ``errors.csv``, ``cohort_summary.csv`` and the
chunk parts of an unfinished run) goes through :func:`format_cell`, so the same numbers
always give the same bytes: floats as the shortest text that reads back to the same double
(``repr``), whole-number columns without ``.0``, booleans ``True``/``False``, missing values
empty, ``\\n`` line endings. Files are written to a temporary file in the target folder and
renamed into place (:func:`write_csv_atomic`), so a reader (or a killed run) never sees a
half-written file.

CSV injection: a spreadsheet opened on ``results.csv`` would run a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula (OWASP "CSV Injection").
Patient ids, messages and file names are untrusted, so :func:`neutralise` prefixes such text
cells with ``'`` (the spreadsheet's "this is text" mark); cells that are plain numbers
(``-1.5``) are left alone, and numeric columns are never touched.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "ERROR_COLUMNS",
    "EXTRA_COLUMNS",
    "RESULT_COLUMNS",
    "TEXT_COLUMNS",
    "AtomicTextFile",
    "assign_report_names",
    "csv_text",
    "format_cell",
    "neutralise",
    "remove_temporaries",
    "safe_filename",
    "write_csv_atomic",
    "write_text_atomic",
]

#: The columns of ``results.csv`` fixed by DESIGN §5, in this order.
RESULT_COLUMNS = (
    "patient_id",
    "outcome",
    "primary",
    "classification",
    "improvement",
    "improvement_low",
    "improvement_high",
    "p_improvement",
    "p_mcid",
    "p_worsening",
    "mcid",
    "n_baseline_days",
    "n_evaluation_days",
    "missing_share",
    "status",
    "message",
)
#: Extra columns of ``results.csv``, after :data:`RESULT_COLUMNS`.
EXTRA_COLUMNS = (
    "onset_tau_days",
    "rho",
    "trend_weight",
    "verdict_narrow_prior",
    "verdict_wide_prior",
    "target_dose_mg",
    "dose_timing",
    "n_timing_switches",
    "source",
)
#: Columns of ``errors.csv``: one row per problem (a diary error lists every problem found).
ERROR_COLUMNS = (
    "patient_id",
    "source",
    "error_type",
    "line",
    "row",
    "column",
    "value",
    "expected",
    "message",
)
#: Columns holding untrusted or free text (neutralised against CSV injection).
TEXT_COLUMNS = frozenset(
    {
        "patient_id",
        "outcome",
        "classification",
        "status",
        "message",
        "verdict_narrow_prior",
        "verdict_wide_prior",
        "dose_timing",
        "source",
        "error_type",
        "row",
        "column",
        "value",
        "expected",
        "section",
        "group",
        "statistic",
        "method",
    }
)
_INT_COLUMNS = frozenset({"n_baseline_days", "n_evaluation_days", "n_timing_switches", "line", "k"})

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would read as a formula.

    Parameters
    ----------
    text : str
        Cell text.

    Returns
    -------
    str
        ``"'" + text`` when ``text`` starts with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return (or their full-width forms, which some spreadsheets also accept) and
        is not a plain number; otherwise ``text`` unchanged.

    References
    ----------
    OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("-1.5"), neutralise("P-01")
    ("'=HYPERLINK(1)", '-1.5', 'P-01')
    """
    if text.startswith(_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def format_cell(value: object, column: str = "") -> str:
    """Deterministic text of one cell.

    ``None``/NaN -> empty; bool -> ``True``/``False``; whole-number columns (day counts,
    line numbers) -> integer text; other floats -> ``repr`` (shortest round-trip text, so
    ``float(format_cell(x)) == x`` exactly); ``inf`` -> ``inf``; anything else ``str``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or hasattr(value, "dtype"):
        try:
            x = float(value)  # numpy scalars
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(x):
            return ""
        if column in _INT_COLUMNS and x.is_integer():
            return str(int(x))
        if hasattr(value, "dtype") and value.dtype.kind == "b":
            return "True" if x else "False"
        if hasattr(value, "dtype") and value.dtype.kind in "iu":
            return str(int(x))
        return repr(x)
    return str(value)


def csv_text(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    header: bool = True,
    neutralise_text: bool = True,
) -> str:
    """CSV text of rows (sequences in ``columns`` order), cells via :func:`format_cell`.

    Text columns (:data:`TEXT_COLUMNS`) are neutralised unless ``neutralise_text=False``
    (used for the raw chunk parts of an unfinished run).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    text_pos = [i for i, c in enumerate(columns) if c in TEXT_COLUMNS] if neutralise_text else []
    for row in rows:
        cells = [format_cell(v, c) for v, c in zip(row, columns, strict=True)]
        for i in text_pos:
            cells[i] = neutralise(cells[i])
        writer.writerow(cells)
    return buffer.getvalue()


def write_text_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write text (a string or an iterable of pieces) via a temporary file, then rename.

    The temporary file lives in the target folder (same file system, so :func:`os.replace`
    is atomic) and is flushed to disk before the rename; it is removed on any failure.
    """
    with AtomicTextFile(path) as fh:
        if isinstance(text, str):
            fh.write(text)
        else:
            for piece in text:
                fh.write(piece)


def _temporary(path: Path) -> tuple[Path, io.TextIOWrapper]:
    """Open a new temporary file beside ``path`` (mode from the umask, like any new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, tmp.open("x", encoding="utf-8", newline="")
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


#: Name of a temporary file made by :func:`_temporary` (``.<name>.<12 hex digits>.tmp``).
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")


def remove_temporaries(folder: str | os.PathLike[str]) -> int:
    """Remove the temporary files that atomic writes killed mid-way (SIGKILL) left in ``folder``.

    Only names of the form :func:`_temporary` makes are removed; returns how many.
    """
    removed = 0
    for path in Path(folder).glob(".*.tmp"):
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def write_csv_atomic(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    neutralise_text: bool = True,
) -> None:
    """Write a CSV file atomically (see :func:`csv_text` and :func:`write_text_atomic`)."""
    write_text_atomic(path, csv_text(columns, rows, neutralise_text=neutralise_text))


# --------------------------------------------------------------------------- file names
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)", re.IGNORECASE)
_UNSAFE = re.compile(r'[<>:"/\\|?*\s]')
_MAX_NAME_BYTES = 120


def safe_filename(name: str, *, default: str = "patient") -> str:
    """A file-name stem that is safe on Linux, macOS and Windows, from any patient id.

    Parameters
    ----------
    name : str
        The untrusted id.
    default : str
        Stem used when nothing usable is left.

    Returns
    -------
    str
        NFKC-normalised; control and format characters dropped; path separators, the
        characters Windows forbids (``<>:"/\\|?*``) and white space replaced by ``_``;
        leading dots/dashes and trailing dots removed (no ``..``, no hidden files, no
        option-like names); Windows device names (``CON``, ``NUL``, ``COM1``, ... also with
        an extension) prefixed with ``_``; at most 120 UTF-8 bytes. Two ids may give the
        same stem: :func:`assign_report_names` disambiguates.

    Examples
    --------
    >>> safe_filename("../../etc/passwd"), safe_filename("CON"), safe_filename("a\\x00b")
    ('etc_passwd', '_CON', 'ab')
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"_*\.\.+_*", "_", text)  # no "..", anywhere
    text = text.strip("._- ")
    text = re.sub(r"_+", "_", text)
    encoded = text.encode("utf-8")[:_MAX_NAME_BYTES]
    text = encoded.decode("utf-8", errors="ignore").rstrip("._ ")
    if not text:
        return default
    if _RESERVED.fullmatch(text.split(".")[0]):
        text = "_" + text
    return text


def assign_report_names(ids: Iterable[str], suffix: str = ".html") -> list[str]:
    """Unique safe file names for ids, in order (``P1.html``, ``P1-2.html``, ...).

    Names are compared case-insensitively (``casefold``), so they stay distinct on
    case-insensitive file systems (Windows, macOS). The first id keeps the plain name; later
    clashes get ``-2``, ``-3``, ... . The same ids in the same order always give the same
    names.
    """
    used: set[str] = set()
    names = []
    for pid in ids:
        stem = safe_filename(pid)
        candidate, k = stem, 1
        while (candidate + suffix).casefold() in used:
            k += 1
            candidate = f"{stem}-{k}"
        used.add((candidate + suffix).casefold())
        names.append(candidate + suffix)
    return names


class AtomicTextFile:
    """A text file written under a temporary name and renamed into place on success.

    Use as a context manager: ``with AtomicTextFile(path) as fh: fh.write(...)``. The
    temporary file lives in the target folder (same file system, so :func:`os.replace` is
    atomic) and is flushed to disk before the rename. On an exception it is removed and
    ``path`` is left as it was.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tmp: Path | None = None
        self._fh: io.TextIOWrapper | None = None

    def __enter__(self) -> io.TextIOWrapper:
        self._tmp, self._fh = _temporary(self.path)
        return self._fh

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        fh, tmp = self._fh, self._tmp
        if fh is None or tmp is None:  # pragma: no cover - __enter__ failed
            return
        try:
            if exc_type is None:
                fh.flush()
                os.fsync(fh.fileno())
            fh.close()
            if exc_type is None:
                os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
