"""Tests of the clinician report (``ldn_n1.report``): structure, safety, determinism, writing.

The HTML is checked with the standard library's ``html.parser``; the plot-data frames are
re-computed independently (rolling mean by hand, posterior probabilities by integrating the
plotted density).
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ldn_n1.analysis import analyze
from ldn_n1.report import html as report_html
from ldn_n1.report import plotdata, plots
from ldn_n1.report.context import software_versions
from ldn_n1.report.html import render_report, write_report
from ldn_n1.report.svg import figure_to_svg
from ldn_n1.simulate import frame_to_csv, simulate_patient

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FIXED = "2025-01-01 00:00 UTC"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Collect(HTMLParser):
    """Collect start tags with attributes, check nesting, keep the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.svg_titles = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), tuple(self.stack)))
        if tag == "title" and self.stack and self.stack[-1] == "svg":
            self.svg_titles += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(document: str) -> _Collect:
    parser = _Collect()
    parser.feed(document)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def diary_file(tmp_path_factory) -> Path:
    sp = simulate_patient(3, patient_id="P-07", scenario="responder")
    path = tmp_path_factory.mktemp("diary") / "p07.csv"
    path.write_text(frame_to_csv(sp.data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(diary_file):
    return analyze(diary_file)


@pytest.fixture(scope="module")
def document(result) -> str:
    return render_report(result, generated=FIXED)


@pytest.fixture(scope="module")
def hostile(diary_file):
    """Untrusted text in the id, a note and the file name, plus opioid use while on LDN."""
    data = pd.read_csv(diary_file)
    data["patient_id"] = XSS
    data["notes"] = data["notes"].astype(object)
    data.loc[40, "notes"] = XSS
    treated = np.flatnonzero(data["dose_mg"].to_numpy() > 0)
    data.loc[treated[[20, 21]], "opioid_use"] = 1
    res = analyze(data)
    quality = dataclasses.replace(res.quality, file=XSS + ".csv", notes=(*res.quality.notes, XSS))
    return dataclasses.replace(res, source=XSS + ".csv", quality=quality)


def test_html_parses_and_is_one_document(document):
    parser = _parse(document)
    assert parser.errors == []
    assert parser.stack == []
    names = [t[0] for t in parser.tags]
    assert names.count("html") == names.count("head") == names.count("body") == 1
    assert document.startswith("<!DOCTYPE html>")
    head_meta = [a for t, a, _ in parser.tags if t == "meta"]
    assert {"charset": "utf-8"} in head_meta
    assert any(a.get("name") == "viewport" for a in head_meta)


def test_no_external_resources(document):
    parser = _parse(document)
    for tag, attrs, _ in parser.tags:
        assert tag not in {"link", "script", "iframe", "object", "embed"}, tag
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, key, value)
            if value:
                assert value.startswith(("#", "data:")), (tag, key, value)
    # Stronger: no URL anywhere (the SVG namespaces and metadata are stripped too).
    assert "http://" not in document
    assert "https://" not in document
    assert "@import" not in document
    assert not re.search(r"url\((?!#)", document)
    # A content security policy that forbids any request.
    assert "default-src 'none'" in document


@pytest.fixture(scope="module")
def hostile_document(hostile) -> str:
    return render_report(hostile, generated=FIXED)


def test_untrusted_text_is_escaped(hostile_document):
    document = hostile_document
    assert XSS not in document
    # patient id (title, header, methods), the note, the file name (header, quality), a
    # quality note: every place shows the escaped text.
    assert document.count(ESCAPED) >= 6
    parser = _parse(document)
    assert parser.errors == []
    assert [t for t, _, _ in parser.tags if t == "script"] == []
    assert XSS in "".join(parser.text)


def test_opioid_banner_only_when_flagged(document, hostile, hostile_document, result):
    assert not result.safety.opioid_flag
    assert 'role="alert"' not in document
    assert hostile.safety.opioid_flag
    flagged = hostile_document
    banner = re.search(r'<section class="alert" role="alert".*?</section>', flagged, re.DOTALL)
    assert banner is not None
    days = hostile.safety.opioid_days
    assert f"<strong>{len(days)} days</strong>" in banner.group(0)
    first = days[0]
    assert f"{first.day} {first.strftime('%b')} {first.year}" in banner.group(0)
    # The banner comes before the headline.
    assert flagged.index('role="alert"') < flagged.index('class="headline')


def test_figures_have_alt_text(document):
    parser = _parse(document)
    svgs = [(a, s) for t, a, s in parser.tags if t == "svg" and "svg" not in s]
    assert len(svgs) == 5  # timeline, other outcomes, counterfactual, posterior, side effects
    for attrs, stack in svgs:
        assert attrs.get("role") == "img"
        assert len((attrs.get("aria-label") or "").strip()) > 40
        assert "figure" in stack
    assert parser.svg_titles == 5
    for tag, attrs, _ in parser.tags:
        if tag == "img":
            assert (attrs.get("alt") or "").strip()
    figures = [t for t, _, _ in parser.tags if t == "figure"]
    captions = [t for t, _, _ in parser.tags if t == "figcaption"]
    assert len(figures) == len(captions) == 5


def test_ids_are_unique(document):
    ids = re.findall(r'\sid="([^"]+)"', document)
    assert len(ids) > 100
    assert len(ids) == len(set(ids))
    # Every internal reference points to an id of the document.
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', document))
    assert refs <= set(ids)


def test_headline_states_verdict_numbers_and_caveat(document, result):
    primary = result.primary
    head = re.search(r'<section class="headline.*?</section>', document, re.DOTALL).group(0)
    assert primary.classification in head
    assert html.escape(primary.sentence, quote=False) in head
    assert result.caveat in head
    assert "individual response varies" in head
    fit = primary.fit
    lo, hi = sorted((-fit.high, -fit.low) if fit.mean > 0 else (fit.low, fit.high))
    assert f"{abs(fit.mean):.1f}" in head
    assert f"{abs(lo):.1f}" in head
    assert f"{abs(hi):.1f}" in head
    shown = "&gt;99%" if fit.p_mcid > 0.99 else f"{100 * fit.p_mcid:.0f}%"
    assert f'<span class="big">{shown}</span>' in head
    # The headline comes first in <main>, before the outcome table and the figures.
    assert document.index('class="headline') < document.index('id="outcomes-title"')
    assert document.index('id="outcomes-title"') < document.index('id="figures-title"')


def _shown(x: float, signed: bool = False) -> str:
    """How the report prints a number: one decimal, a real minus sign, zero never signed."""
    text = f"{x:+.1f}" if signed else f"{x:.1f}"
    if float(text) == 0.0:
        return "0.0"
    return text.replace("-", "−")


def test_outcome_table_lists_every_outcome(document, result):
    table = re.search(r'<table class="outcomes">.*?</table>', document, re.DOTALL).group(0)
    rows = re.findall(r"<tr.*?</tr>", table, re.DOTALL)[1:]
    assert len(rows) == len(result.outcomes)
    for row, outcome in zip(rows, result.outcomes.values(), strict=True):
        assert outcome.label in row
        assert f">{outcome.classification}<" in row
        f = outcome.fit
        assert _shown(f.mean, signed=True) in row
        assert _shown(f.low) in row
        assert _shown(f.high) in row
        assert f">{outcome.mcid:g}<" in row
        assert f"{outcome.n_baseline_days} / {outcome.n_evaluation_days}" in row


def test_plan_quality_methods_and_provenance(document, result):
    assert result.sha256 is not None
    assert result.sha256 in document
    assert result.plan.to_toml().replace('"', "&#34;") in document
    quality = result.quality
    assert f"{quality.days_expected} calendar days" in document
    assert f"{quality.days_present} with an entry" in document
    import matplotlib
    import numpy
    import scipy
    import statsmodels

    for name, module in [
        ("numpy", numpy),
        ("pandas", pd),
        ("scipy", scipy),
        ("statsmodels", statsmodels),
        ("matplotlib", matplotlib),
    ]:
        assert f"<li>{name} {module.__version__}</li>" in document
    assert re.search(r"<li>ldn_n1 \d+\.\d+", document)
    methods = document[document.index('id="methods-title"') :]
    order = [
        "1. Design",
        "2. Participant",
        "3. Outcomes",
        "4. Baseline and treatment phases",
        "5. Analysis",
        "6. Limitations",
        "7. Software and input",
    ]
    positions = [methods.index(f"<h3>{h}</h3>") for h in order]
    assert positions == sorted(positions)


def test_deterministic_except_generated_line(result, document):
    assert render_report(result, generated=FIXED) == document
    now = render_report(result)  # default time stamp: the current time
    a, b = document.splitlines(), now.splitlines()
    assert len(a) == len(b)
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert len(differ) == 1
    version = dict(software_versions())["ldn_n1"]
    line = '<p class="generated">Generated {} by ldn_n1 {}.</p>'
    assert a[differ[0]].strip() == line.format(FIXED, version)
    stamp = (
        r'<p class="generated">Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC by ldn_n1 '
        + re.escape(version)
        + r"\.</p>"
    )
    assert re.fullmatch(stamp, b[differ[0]].strip())


def test_write_report_is_atomic(tmp_path, result, document):
    out = tmp_path / "report.html"
    assert write_report(result, out, generated=FIXED) == out
    assert out.read_text(encoding="utf-8") == document
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert out.stat().st_mode & 0o777 == 0o644


def test_failed_figure_leaves_existing_report_untouched(tmp_path, result, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(plots, "plot_posterior", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(result, out, generated=FIXED)
    assert out.read_text(encoding="utf-8") == "previous report"
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(result, tmp_path / "new.html", generated=FIXED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failed_replace_removes_temporary_file(tmp_path, result, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report_html.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_report(result, out, generated=FIXED)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_write_report_rejects_missing_folder(tmp_path, result):
    from ldn_n1.errors import LdnError

    with pytest.raises(LdnError, match="does not exist"):
        write_report(result, tmp_path / "nowhere" / "report.html")
    with pytest.raises(LdnError, match="is a folder"):
        write_report(result, tmp_path)


def test_primary_without_fit_and_without_column(result):
    primary = result.primary
    reason = "too few days with pain recorded for a verdict (3 baseline, 20 in the window)"
    no_fit = dataclasses.replace(
        primary, fit=None, classification="inconclusive", sentence=reason, sensitivity={}
    )
    res = dataclasses.replace(result, outcomes={**result.outcomes, "pain": no_fit})
    document = render_report(res, generated=FIXED)
    assert _parse(document).errors == []
    assert "Not enough diary data for a verdict on pain." in document
    assert f"Pain: {reason}" in document
    assert document.count('role="img"') == 3  # no counterfactual or posterior figure
    missing = dataclasses.replace(
        result, outcomes={k: v for k, v in result.outcomes.items() if k != "pain"}
    )
    document = render_report(missing, generated=FIXED)
    assert "no column “pain”" in document
    assert _parse(document).errors == []


def test_timeline_frame_against_diary(result):
    frame = plotdata.timeline_frame(result)
    days = pd.date_range(result.phases.first_day, result.phases.last_day)
    assert len(frame) == len(days) * len(result.outcomes)
    pain = frame[frame["outcome"] == "pain"].set_index("date")
    data = result.data.set_index("date")
    assert np.array_equal(pain["value"].reindex(data.index), data["pain"], equal_nan=True)
    missing_days = days.difference(data.index)
    assert pain.loc[missing_days, "value"].isna().all()
    # Centred 7-day mean, recomputed by hand on a few days.
    for day in days[[5, 30, 60]]:
        window = data["pain"].reindex(pd.date_range(day - pd.Timedelta(days=3), periods=7))
        expected = window.mean() if window.notna().sum() >= 4 else np.nan
        assert pain.loc[day, "mean7"] == pytest.approx(expected, nan_ok=True)
    # Dose and phase follow the phase structure.
    target = result.phases.target_start
    assert pain.loc[target, "dose_mg"] == result.phases.target_dose_mg
    assert pain.loc[result.phases.first_day, "phase"] == "baseline"
    assert pain["evaluation"].sum() == result.phases.window_days


def test_posterior_frame_integrates_to_the_fit(result):
    frame = plotdata.posterior_frame(result)
    fit = result.primary.fit
    mcid = result.primary.mcid
    x, d = frame["x"].to_numpy(), frame["density"].to_numpy()
    assert np.trapezoid(d, x) == pytest.approx(1.0, abs=2e-3)
    above = x >= mcid
    assert np.trapezoid(d[above], x[above]) == pytest.approx(fit.p_mcid, abs=2e-3)
    below = x <= -mcid
    assert np.trapezoid(d[below], x[below]) == pytest.approx(fit.p_worsening, abs=2e-3)
    assert set(frame["region"]) <= {"worse", "unclear", "better"}
    assert (frame.loc[frame["x"] >= mcid, "region"] == "better").all()


def test_incidence_frame_keeps_safety_numbers(result):
    frame = plotdata.incidence_frame(result)
    inc = result.safety.incidence
    pd.testing.assert_frame_equal(frame[inc.columns], inc)
    assert frame.loc[frame["segment"] == "baseline", "kind"].eq("baseline").all()
    assert frame["order"].min() == 0


def test_plot_functions_draw_on_given_axes(result):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_posterior(plotdata.posterior_frame(result), ax=ax) is fig
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    assert plots.plot_counterfactual(plotdata.counterfactual_frame(result), ax=ax2) is fig2
    timeline = plots.plot_timeline(plotdata.timeline_frame(result))
    assert isinstance(timeline, Figure)
    assert len(timeline.axes) == 2  # scores and the dose axis


def test_figure_to_svg_is_inline_safe(result):
    fig = plots.plot_posterior(plotdata.posterior_frame(result))
    svg = str(figure_to_svg(fig, "fig-a", 'Alt with "quotes" & <tags>'))
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-label="Alt with &#34;quotes&#34; &amp; &lt;tags&gt;"' in svg
    assert "<title>Alt with &#34;quotes&#34; &amp; &lt;tags&gt;</title>" in svg
    assert "xmlns" not in svg
    assert "<!--" not in svg
    assert "<style" not in svg
    assert all(i.startswith("fig-a-") for i in re.findall(r'\sid="([^"]+)"', svg))
    assert str(figure_to_svg(fig, "fig-a", "x")) == str(figure_to_svg(fig, "fig-a", "x"))
    with pytest.raises(ValueError, match="alternative text"):
        figure_to_svg(fig, "fig-a", "  ")
    with pytest.raises(ValueError, match="figure key"):
        figure_to_svg(fig, "Fig A", "alt")


def test_report_package_import_is_light():
    code = (
        "import sys, ldn_n1, ldn_n1.report, ldn_n1.report.pdf; "
        "heavy = [m for m in ('matplotlib', 'jinja2', 'seaborn') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == ""


def test_missing_opioid_column_is_said(result, document):
    assert "No opioid use recorded on or after the first dose." in document
    bare = dataclasses.replace(result, data=result.data.drop(columns="opioid_use"))
    assert "opioid use (contraindicated with naltrexone) could not be checked" in render_report(
        bare, generated=FIXED
    )


def test_deterministic_across_processes(tmp_path, result, document):
    # Another interpreter with another string-hash seed renders the same bytes.
    import pickle

    stored = tmp_path / "result.pkl"
    stored.write_bytes(pickle.dumps(result))
    code = (
        "import pickle, sys; from ldn_n1.report.html import render_report; "
        f"r = pickle.loads(open({str(stored)!r}, 'rb').read()); "
        f"sys.stdout.buffer.write(render_report(r, generated={FIXED!r}).encode())"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True)
    assert out.stdout.decode() == document
