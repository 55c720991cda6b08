"""The report in a real browser: headless Chromium renders it, prints it, logs nothing.

Skipped when no Chromium-family browser is on PATH (CI installs Debian ``chromium``).
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from ldn_n1.analysis import analyze
from ldn_n1.errors import LdnError
from ldn_n1.report.html import write_report
from ldn_n1.report.pdf import browser_command, find_browser, html_to_pdf
from ldn_n1.simulate import simulate_patient

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> str:
    try:
        return find_browser()
    except LdnError as exc:
        pytest.skip(f"no headless Chromium/Chrome on PATH ({exc})")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    sp = simulate_patient(3, patient_id="B-01", scenario="responder")
    data = sp.data.copy()
    treated = np.flatnonzero(data["dose_mg"].to_numpy() > 0)
    data.loc[treated[30], "opioid_use"] = 1
    result = analyze(data)
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(result, path, generated="2025-01-01 00:00 UTC")
    return result, path


def _run(browser, tmp_path, *flags, url):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = browser_command(browser, profile, "--enable-logging=stderr", "--v=0", *flags, url)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _console(stderr: str) -> list[str]:
    """Console messages (script errors, blocked requests, CSP violations) in the log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_screenshot_is_not_blank(browser, report, tmp_path):
    import matplotlib.image as mpimg

    _result, path = report
    shot = tmp_path / "shot.png"
    done = _run(
        browser,
        tmp_path,
        "--window-size=1200,3000",
        f"--screenshot={shot}",
        url=path.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == []
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1200)
    non_white = np.mean(np.any(pixels < 0.95, axis=-1))
    assert 0.05 < non_white < 0.9
    assert float(pixels.std()) > 0.05
    # The inline stylesheet was applied: the responder headline box (#e3f4ee) and the opioid
    # banner (#fbe6d8) fill large areas with their background colours.
    colours = np.round(pixels * 255).astype(int).reshape(-1, 3)
    for rgb in ((0xE3, 0xF4, 0xEE), (0xFB, 0xE6, 0xD8)):
        share = np.mean(np.all(np.abs(colours - rgb) <= 2, axis=1))
        assert share > 0.01, rgb


def test_dom_rendered_without_console_messages(browser, report, tmp_path):
    result, path = report
    done = _run(browser, tmp_path, "--dump-dom", url=path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == []
    dom = done.stdout
    assert len(re.findall(r'<svg[^>]*role="img"', dom)) == 5
    assert f">{result.primary.classification}<" in dom
    assert 'role="alert"' in dom


def test_console_check_detects_a_blocked_request(browser, tmp_path):
    # The check above would see a request the page's security policy blocks.
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'\"></head><body>"
        "<img src='https://example.invalid/x.png' alt='x'></body></html>",
        encoding="utf-8",
    )
    done = _run(browser, tmp_path, "--dump-dom", url=page.as_uri())
    assert done.returncode == 0
    assert any("Content Security Policy" in line for line in _console(done.stderr))


def test_html_to_pdf_prints_a4(browser, report, tmp_path):
    _result, path = report
    pdf = html_to_pdf(path, tmp_path / "report.pdf", browser=browser)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 20_000
    # A4 is 595.28 x 841.89 pt; Chromium writes it rounded to 594.96 x 841.92.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes
    for width, height in boxes:
        assert float(width) == pytest.approx(595.28, abs=1.0)
        assert float(height) == pytest.approx(841.89, abs=1.0)
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_html_to_pdf_errors(tmp_path):
    with pytest.raises(LdnError, match="no such file"):
        html_to_pdf(tmp_path / "missing.html", tmp_path / "out.pdf")
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><p>x</p>", encoding="utf-8")
    with pytest.raises(LdnError, match="no headless browser found"):
        html_to_pdf(page, tmp_path / "out.pdf", browser="no-such-browser-ldn-n1")
    with pytest.raises(LdnError, match="does not exist"):
        html_to_pdf(page, tmp_path / "nowhere" / "out.pdf")
