"""The clinician report as one self-contained HTML file.

The page holds everything: inline CSS, figures as inline SVG, no scripts, no external URL
(a Content-Security-Policy ``default-src 'none'`` makes any stray request fail), so it opens
offline and can be attached to a record or e-mailed. Text from the diary (patient id, notes,
column and file names) is escaped by jinja2's autoescaping; only the SVG figures, which the
report builds itself, are inserted as markup.

Output is deterministic: the same result gives byte-identical HTML except the single
"Generated ..." line, which ``generated=`` fixes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from ldn_n1.errors import LdnError
from ldn_n1.report.context import report_context

if TYPE_CHECKING:
    import datetime as dt

    from ldn_n1.results import PatientResult

__all__ = ["render_report", "write_report"]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ldn_n1.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(result: PatientResult, *, generated: dt.datetime | str | None = None) -> str:
    """Render the clinician report of one patient as an HTML document.

    Parameters
    ----------
    result : PatientResult
        From :func:`ldn_n1.analyze` (not modified).
    generated : datetime or str, optional
        Time stamp printed in the "Generated ..." line; default now (UTC). Pass a fixed
        value for byte-identical output.

    Returns
    -------
    str
        The complete HTML document (UTF-8 text).

    Raises
    ------
    Exception
        Whatever a figure or the template raises: a figure that fails is an error, never
        silently left out.
    """
    template = _environment().get_template("report.html.j2")
    return template.render(**report_context(result, generated=generated))


def write_report(
    result: PatientResult,
    path: str | os.PathLike[str],
    *,
    generated: dt.datetime | str | None = None,
) -> Path:
    """Write the clinician report of one patient to ``path``, atomically.

    The whole document is rendered first, then written to a temporary file in the same
    folder and moved over ``path`` with :func:`os.replace`: a failure at any point leaves
    no partial file and does not touch an existing report at ``path``.

    Parameters
    ----------
    result : PatientResult
        From :func:`ldn_n1.analyze`.
    path : str or path-like
        Output file (conventionally ``.html``); its folder must exist.
    generated : datetime or str, optional
        See :func:`render_report`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    LdnError
        If the folder of ``path`` does not exist or ``path`` is a folder.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        msg = f"cannot write the report to {path}: folder {folder} does not exist"
        raise LdnError(msg)
    if path.is_dir():
        msg = f"cannot write the report to {path}: it is a folder"
        raise LdnError(msg)
    document = render_report(result, generated=generated).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(document)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); a report is an ordinary document.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
