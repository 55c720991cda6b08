"""Clinician report: one self-contained HTML file per patient, optional PDF.

- :func:`write_report` / :func:`render_report` (:mod:`ldn_n1.report.html`): the HTML report;
- :func:`html_to_pdf` (:mod:`ldn_n1.report.pdf`): print it to PDF with headless Chromium.

Names are loaded on first use, so ``import ldn_n1.report`` does not import jinja2 or
matplotlib (and ``import ldn_n1`` does not import this package at all).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["html_to_pdf", "render_report", "write_report"]

_WHERE = {
    "write_report": "ldn_n1.report.html",
    "render_report": "ldn_n1.report.html",
    "html_to_pdf": "ldn_n1.report.pdf",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    msg = f"module 'ldn_n1.report' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
