"""Turn a matplotlib Figure into inline, accessible, deterministic SVG markup.

Deterministic: the SVG is saved with ``svg.hashsalt`` set to the figure's key and without
the date metadata, so the same figure gives the same bytes. Inline-safe: the XML prolog,
DOCTYPE, ``<metadata>`` block and comments are removed, namespace declarations dropped
(an inline ``<svg>`` in HTML needs none) and ``xlink:href`` written as ``href``, so the
markup holds no URL at all; every ``id`` is prefixed with the figure's key so several figures
can live in one document without clashing ids. Accessible: the root gets ``role="img"``, an
``aria-label`` and a ``<title>`` with the alternative text; the fixed width/height become
responsive (``viewBox`` kept, width 100%).
"""

from __future__ import annotations

import io
import re
import warnings

import matplotlib as mpl
from markupsafe import Markup, escape
from matplotlib.figure import Figure

from ldn_n1.report.plots import RC

__all__ = ["figure_to_svg"]

_KEY = re.compile(r"^[a-z][a-z0-9-]*$")
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')


def figure_to_svg(fig: Figure, key: str, alt: str) -> Markup:
    """Render ``fig`` as inline SVG markup with alternative text.

    Parameters
    ----------
    fig : Figure
        The figure (drawn with :mod:`ldn_n1.report.plots`).
    key : str
        Short unique name of the figure in the report (lower-case letters, digits, ``-``);
        prefixes every id and salts matplotlib's id hashes.
    alt : str
        Alternative text: what the figure shows, in words. Escaped here.

    Returns
    -------
    markupsafe.Markup
        ``<svg role="img" aria-label="..." ...><title>...</title>...</svg>``.

    Raises
    ------
    ValueError
        If ``key`` is not a valid key or ``alt`` is empty.

    Notes
    -----
    The figure's layout is computed once and then frozen (layout engine set to ``"none"``).
    """
    if not _KEY.match(key):
        msg = f"figure key must match {_KEY.pattern}, got {key!r}"
        raise ValueError(msg)
    if not alt.strip():
        msg = f"figure {key!r} needs alternative text"
        raise ValueError(msg)
    buffer = io.StringIO()
    with mpl.rc_context({**RC, "svg.hashsalt": key}), warnings.catch_warnings():
        # Untrusted text (patient ids in the cohort forest plot) may hold characters the font
        # lacks; they are drawn as boxes, and matplotlib's warning about it is not an error.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        # Constrained layout refines positions on every draw; lay out once, then freeze it,
        # so that saving the same figure again gives the same bytes.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.DOTALL)
    # matplotlib's global "*{stroke-linejoin...}" rule would leak into the page: the report's
    # stylesheet applies it to figures only.
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r"<defs>\s*</defs>\s*", "", text)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    text = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{key}-{m.group(2)}", text)
    head_end = text.index(">")
    head = text[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    label = escape(alt)
    head += f' class="figure" role="img" aria-label="{label}" focusable="false"'
    body = text[head_end + 1 :].strip()
    # The alt text is escaped above; the rest is matplotlib's own markup.
    return Markup(f"{head}>\n<title>{label}</title>\n{body}\n")
