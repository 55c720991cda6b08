"""Optional PDF of the clinician report, printed by a headless Chromium-family browser.

The HTML report is the primary output; the PDF is its print view (A4, the report's print
stylesheet). No Python PDF library is needed: an installed ``chromium``,
``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` prints the page. The
browser runs with a throw-away profile, no network services (no background networking,
component updates, sync or QUIC) and no sandbox (so that it also works as root in
containers); the report itself makes no network request.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ldn_n1.errors import LdnError

__all__ = ["BROWSERS", "browser_command", "find_browser", "html_to_pdf"]

#: Executable names tried, in order, on PATH.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)


def find_browser(browser: str | os.PathLike[str] | None = None) -> str:
    """Path of the browser to print with.

    Parameters
    ----------
    browser : str or path-like, optional
        An executable name or path; default the first of :data:`BROWSERS` on PATH.

    Returns
    -------
    str
        Absolute path of the executable.

    Raises
    ------
    LdnError
        If no such browser is found.
    """
    names = (os.fspath(browser),) if browser is not None else BROWSERS
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    msg = (
        f"no headless browser found to print the PDF (looked for {', '.join(names)} on PATH); "
        "install Chromium (Debian/Ubuntu: apt-get install chromium) or open the HTML report "
        "and print it to PDF from any browser"
    )
    raise LdnError(msg)


def browser_command(browser: str, profile: str | os.PathLike[str], *extra: str) -> list[str]:
    """The headless browser command line with the report's fixed flags.

    Parameters
    ----------
    browser : str
        Executable (from :func:`find_browser`).
    profile : path
        A fresh, empty folder for the throw-away browser profile (``--user-data-dir``).
    *extra : str
        Further flags and finally the URL.
    """
    return [browser, *_FLAGS, f"--user-data-dir={os.fspath(profile)}", *extra]


def html_to_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    browser: str | os.PathLike[str] | None = None,
    timeout: float = 120.0,
) -> Path:
    """Print an HTML report to PDF (A4) with headless Chromium.

    The PDF is written to a temporary file in the folder of ``pdf_path`` and moved into
    place only when complete, so a failure leaves no partial PDF.

    Parameters
    ----------
    html_path : str or path-like
        The HTML report (from :func:`ldn_n1.report.write_report`).
    pdf_path : str or path-like
        Output PDF; its folder must exist.
    browser : str or path-like, optional
        Browser executable; default the first of :data:`BROWSERS` on PATH.
    timeout : float, default 120
        Seconds to wait for the browser.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    LdnError
        If no browser is found, the HTML file or the output folder does not exist, or the
        browser fails or times out (the message quotes the end of its error output).
    """
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    if not source.is_file():
        msg = f"cannot print {html_path} to PDF: no such file"
        raise LdnError(msg)
    if not target.parent.is_dir():
        msg = f"cannot write the PDF to {target}: folder {target.parent} does not exist"
        raise LdnError(msg)
    executable = find_browser(browser)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory(prefix="ldn_n1-browser-") as profile:
            command = browser_command(
                executable,
                profile,
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp}",
                source.as_uri(),
            )
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired as exc:
                msg = f"{executable} did not finish printing {source.name} within {timeout:g} s"
                raise LdnError(msg) from exc
        if done.returncode != 0 or os.path.getsize(tmp) == 0:
            tail = (done.stderr or "").strip().splitlines()[-5:]
            msg = (
                f"{executable} failed to print {source.name} to PDF (exit code "
                f"{done.returncode}): " + " | ".join(tail)
            )
            raise LdnError(msg)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target
