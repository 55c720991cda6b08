"""Overlap indices of single-case data as the R package scan computes them.

Ports of scan 0.67.1 (Wilbert & Lüke; ``R/nap.R``, ``pnd.R``, ``pem.R``, ``pet.R``,
``smd.R``, ``overlap.R``) for one case: values in time order, a phase label per value and
(for PET and the trend-based indices) measurement times. Tau-U and its meta-analysis live in
:mod:`ldn_n1.overlap_tau`, baseline-corrected Tau in :mod:`ldn_n1.overlap_ctau`; PAND and IRD in
:mod:`ldn_n1.overlap_pand`; all are re-exported here.

These are scan's variants, kept distinct from SingleCaseES's effect sizes in
:mod:`ldn_n1.effects` (which differ in tie handling, intervals and scaling): e.g. scan's
NAP reports a normal-approximation Wilcoxon test and a rescaled NAP, scan's PEM counts
strictly exceeding values only, and scan's PET is specific to scan. Every function takes
scan's ``phases`` selection (see :func:`ldn_n1.overlap_data.select_phases`) and, where
direction matters, ``decreasing=True`` for outcomes where lower B values are the
improvement (pain, fatigue). Missing values (NaN) are dropped per index as scan does.

Validated against all scan reference numbers in
``tests/reference/test_reference_scan_overlap.py`` (43 real cases from 23 published data
sets) to 1e-9 relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from ldn_n1 import effects
from ldn_n1.errors import AnalysisError
from ldn_n1.overlap_ctau import ScanCorrectedTau, scan_corrected_tau
from ldn_n1.overlap_data import PhaseComparison, PhaseSelection, select_phases
from ldn_n1.overlap_pand import ScanPand, scan_ird, scan_ird_pooled, scan_pand, scan_pand_pooled
from ldn_n1.overlap_rstats import binom_greater_p, chisq_equal_p, r_lm_line, wilcox_normal
from ldn_n1.overlap_tau import TAU_U_MODELS, ScanTauU, scan_tau_u, scan_tau_u_meta

__all__ = [
    "TAU_U_MODELS",
    "ScanCorrectedTau",
    "ScanNap",
    "ScanPand",
    "ScanPem",
    "ScanPet",
    "ScanSmd",
    "ScanTauU",
    "scan_corrected_tau",
    "scan_ird",
    "scan_ird_pooled",
    "scan_nap",
    "scan_overlap",
    "scan_pand",
    "scan_pand_pooled",
    "scan_pem",
    "scan_pet",
    "scan_pnd",
    "scan_smd",
    "scan_tau_u",
    "scan_tau_u_meta",
]

Phase = Sequence[str] | npt.ArrayLike


class _Record:
    """Shared to_dict / to_frame for the flat result records."""

    def to_dict(self) -> dict[str, float]:
        """JSON-safe dictionary of the statistics."""
        return {k: float(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with one column per statistic."""
        return pd.DataFrame([self.to_dict()])


def _direction(decreasing: bool) -> str:
    return "decrease" if decreasing else "increase"


def _two_phases(comp: PhaseComparison, need_a: int = 1, need_b: int = 1):
    a, b = comp.a, comp.b
    if a.size < need_a or b.size < need_b:
        msg = (
            f"need at least {need_a} observed value(s) in phase A and {need_b} in phase B, "
            f"got {a.size} and {b.size}"
        )
        raise AnalysisError(msg)
    return a, b


def scan_pnd(
    values: npt.ArrayLike,
    phase: Phase,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
) -> float:
    """Percentage of non-overlapping data (scan's ``pnd()``).

    PND = % of B values above max(A) (below min(A) if ``decreasing``), strictly.

    Examples
    --------
    >>> round(scan_pnd([1, 3, 2, 4, 2, 5], list("AAABBB")), 2)
    66.67
    """
    a, b = _two_phases(select_phases(values, phase, None, phases))
    # scan's PND is SingleCaseES's (strict), in percent
    return 100 * effects.pnd(a, b, improvement=_direction(decreasing)).estimate


@dataclass(frozen=True)
class ScanPem(_Record):
    """Percent exceeding the median with scan's tests.

    Attributes
    ----------
    PEM : float
        % of B values strictly above the A median (below if decreasing).
    positives, total : float
        Exceeding B values and number of B values.
    binom_p : float
        ``binom.test(positives, total, alternative = "greater")``.
    chi2, df, chi2_p : float
        ``chisq.test(c(positives, total - positives), p = c(.5, .5))``.
    """

    PEM: float
    positives: float
    total: float
    binom_p: float
    chi2: float
    df: float
    chi2_p: float


def scan_pem(
    values: npt.ArrayLike,
    phase: Phase,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
) -> ScanPem:
    """Percent exceeding the median (scan's ``pem(..., chi.test = TRUE)``).

    Examples
    --------
    >>> round(scan_pem([1, 3, 2, 4, 2, 5], list("AAABBB")).PEM, 2)
    66.67
    """
    a, b = _two_phases(select_phases(values, phase, None, phases))
    med = np.median(a)
    k = float(np.sum(b < med) if decreasing else np.sum(b > med))
    chi2, df, chi2_p = chisq_equal_p(k, b.size)
    return ScanPem(k / b.size * 100, k, float(b.size), binom_greater_p(k, b.size), chi2, df, chi2_p)


@dataclass(frozen=True)
class ScanPet(_Record):
    """Percent exceeding the trend.

    Attributes
    ----------
    PET : float
        % of B values above the OLS line of A extended into B (below if decreasing).
    PET_ci : float
        % of B values above ``fit + qnorm(ci) se.fit`` (below ``fit - ...`` if decreasing);
        NaN with fewer than 3 A values.
    binom_p : float
        ``binom.test(#beyond the line, nB, alternative = "greater")``.
    """

    PET: float
    PET_ci: float
    binom_p: float


def scan_pet(
    values: npt.ArrayLike,
    phase: Phase,
    mt: npt.ArrayLike | None = None,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
    ci: float = 0.95,
) -> ScanPet:
    """Percent exceeding the trend (scan's ``pet()``).

    Notes
    -----
    ``se.fit`` is the standard error of the fitted mean at each B time from the A
    regression ``values ~ mt`` (R's ``predict(..., se.fit = TRUE)``); the bound is one-sided
    with ``qnorm(ci)`` (0 when ``ci = 0``). The A line is computed with R's own QR steps
    (:func:`ldn_n1.overlap_rstats.r_lm_line`): a B value lying exactly on the line in exact
    arithmetic is then above or below it as in R (Parker et al. 2011's example has one).

    Raises
    ------
    AnalysisError
        Fewer than two complete A rows, no B row, or a single distinct A time.
    """
    comp = select_phases(values, phase, mt, phases).observed()
    xa, ya = comp.mt[~comp.is_b], comp.values[~comp.is_b]
    xb, yb = comp.mt[comp.is_b], comp.values[comp.is_b]
    if ya.size < 2 or yb.size < 1 or np.unique(xa).size < 2:
        msg = "PET needs two complete rows with distinct times in phase A and one in phase B"
        raise AnalysisError(msg)
    design = np.column_stack([np.ones_like(xa), xa])
    # R's own QR steps, so that a B value lying exactly on the line is classified as in R
    coef = np.array(r_lm_line(xa, ya))
    fit = coef[0] + coef[1] * xb
    beyond = yb < fit if decreasing else yb > fit
    pet_ci = np.nan
    if ya.size >= 3:
        resid = ya - design @ coef
        s2 = resid @ resid / (ya.size - 2)
        xtx_inv = np.linalg.inv(design.T @ design)
        xb_design = np.column_stack([np.ones_like(xb), xb])
        se_fit = np.sqrt(s2 * np.einsum("ij,jk,ik->i", xb_design, xtx_inv, xb_design))
        factor = stats.norm.ppf(ci) if ci != 0 else 0.0
        bound_hit = yb < fit - se_fit * factor if decreasing else yb > fit + se_fit * factor
        pet_ci = float(np.mean(bound_hit) * 100)
    return ScanPet(float(np.mean(beyond) * 100), pet_ci, binom_greater_p(beyond.sum(), yb.size))


@dataclass(frozen=True)
class ScanNap(_Record):
    """Nonoverlap of all pairs with scan's extras.

    Attributes
    ----------
    NAP : float
        ``(positives + 0.5 ties) / pairs * 100``.
    NAP_rescaled : float
        ``2 NAP - 100``.
    pairs, non_overlaps, positives, ties : float
        Pair counts (``non_overlaps = positives + 0.5 ties``).
    w, p : float
        ``wilcox.test(A, B, alternative = "less"`` (``"greater"`` if decreasing)``,
        exact = FALSE)``.
    d, R2 : float
        ``d = 3.464 (1 - sqrt((1 - NAP/100) / 0.5))`` and ``(d / sqrt(d^2 + 4))^2``.
    """

    NAP: float
    NAP_rescaled: float
    pairs: float
    non_overlaps: float
    positives: float
    ties: float
    w: float
    p: float
    d: float
    R2: float


def scan_nap(
    values: npt.ArrayLike,
    phase: Phase,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
) -> ScanNap:
    """Nonoverlap of all pairs (scan's ``nap()``).

    Examples
    --------
    >>> r = scan_nap([12, 14, 9, 10, 10, 6, 4, 5, 3, 4], list("AAAABBBBBB"), decreasing=True)
    >>> r.NAP, r.ties
    (93.75, 1.0)
    """
    a, b = _two_phases(select_phases(values, phase, None, phases))
    diff = b[None, :] - a[:, None]
    pos = float(np.sum(diff < 0) if decreasing else np.sum(diff > 0))
    ties = float(np.sum(diff == 0))
    pairs = float(a.size * b.size)
    nonover = pos + 0.5 * ties
    # the estimate is SingleCaseES's NAP (ties count one half); scan adds the rest
    nap = effects.nap(a, b, improvement=_direction(decreasing), se="none").estimate
    w, p = wilcox_normal(a, b, "greater" if decreasing else "less")
    d = 3.464 * (1 - np.sqrt((1 - nap) / 0.5))
    r2 = (d / np.sqrt(d**2 + 4)) ** 2
    return ScanNap(nap * 100, 2 * (nap * 100) - 100, pairs, nonover, pos, ties, w, p, d, r2)


@dataclass(frozen=True)
class ScanSmd(_Record):
    """Standardised mean differences (scan's ``smd()``); see :func:`scan_smd`."""

    mA: float
    mB: float
    sdA: float
    sdB: float
    sd_cohen: float
    sd_hedges: float
    glass_delta: float
    hedges_g: float
    hedges_g_correction: float
    hedges_g_durlak: float
    cohens_d: float


def _ratio(num: float, den: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(num) / np.float64(den))


def scan_smd(values: npt.ArrayLike, phase: Phase, *, phases: PhaseSelection = (1, 2)) -> ScanSmd:
    """Standardised mean differences (scan's ``smd()``).

    Notes
    -----
    SDs with n - 1; ``sd_hedges`` pooled, ``sd_cohen = sqrt((sdA^2 + sdB^2) / 2)``;
    Glass' delta = (mB - mA) / sdA (inf when sdA = 0); Hedges' g = (mB - mA) / sd_hedges,
    times ``1 - 3 / (4 n - 9)`` (correction) or ``(n - 3) / (n - 2.25) sqrt((n - 2) / n)``
    (Durlak); Cohen's d = (mB - mA) / sd_cohen.

    Examples
    --------
    >>> scan_smd([1, 2, 3, 4, 5, 6], list("AAABBB")).glass_delta
    3.0
    """
    a, b = _two_phases(select_phases(values, phase, None, phases), 2, 2)
    na, nb = a.size, b.size
    n = na + nb
    ma, mb = float(a.mean()), float(b.mean())
    sda, sdb = float(a.std(ddof=1)), float(b.std(ddof=1))
    sd_h = float(np.sqrt(((na - 1) * sda**2 + (nb - 1) * sdb**2) / (na + nb - 2)))
    sd_c = float(np.sqrt((sda**2 + sdb**2) / 2))
    g = _ratio(mb - ma, sd_h)
    return ScanSmd(
        ma, mb, sda, sdb, sd_c, sd_h, _ratio(mb - ma, sda), g,
        g * (1 - 3 / (4 * n - 9)),
        g * ((n - 3) / (n - 2.25) * np.sqrt((n - 2) / n)),
        _ratio(mb - ma, sd_c),
    )  # fmt: skip


def _ols_slope(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    ok = ~np.isnan(y)
    x, y = x[ok], y[ok]
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def scan_overlap(
    values: npt.ArrayLike,
    phase: Phase,
    mt: npt.ArrayLike | None = None,
    *,
    phases: PhaseSelection = (1, 2),
    decreasing: bool = False,
) -> dict[str, float]:
    """The summary row of scan's ``overlap()`` for one case.

    Returns
    -------
    dict
        ``PND, PEM, PET, NAP, NAP rescaled, PAND`` (sort method), ``IRD``, ``Tau_U(A)``
        ("A vs. B - Trend A", complete tau-b), ``Tau_U(BA)`` ("A vs. B + Trend B - Trend
        A"), ``Base_Tau`` (baseline-corrected Tau), ``Diff_mean = mB - mA``, ``Diff_trend``
        (OLS slope on mt in B minus that in A), ``SMD`` (Glass' delta) and ``Hedges_g``
        (with the small-sample correction). Tau-U and Base_Tau ignore ``decreasing``.
    """
    comp = select_phases(values, phase, mt, (1, 2) if phases is None else phases)
    v, lab = comp.values, np.where(comp.is_b, "B", "A")
    pem = scan_pem(v, lab, decreasing=decreasing)
    nap = scan_nap(v, lab, decreasing=decreasing)
    tau = scan_tau_u(v, lab)
    smd = scan_smd(v, lab)
    is_a = ~comp.is_b
    return {
        "PND": scan_pnd(v, lab, decreasing=decreasing),
        "PEM": pem.PEM,
        "PET": scan_pet(v, lab, comp.mt, decreasing=decreasing).PET,
        "NAP": nap.NAP,
        "NAP rescaled": nap.NAP_rescaled,
        "PAND": scan_pand(v, lab, decreasing=decreasing).pand,
        "IRD": scan_ird(v, lab, decreasing=decreasing),
        "Tau_U(A)": float(tau.table.loc["A vs. B - Trend A", "Tau"]),
        "Tau_U(BA)": float(tau.table.loc["A vs. B + Trend B - Trend A", "Tau"]),
        "Base_Tau": scan_corrected_tau(v, lab, comp.mt).tau,
        "Diff_mean": smd.mB - smd.mA,
        "Diff_trend": _ols_slope(comp.mt[comp.is_b], v[comp.is_b])
        - _ols_slope(comp.mt[is_a], v[is_a]),
        "SMD": smd.glass_delta,
        "Hedges_g": smd.hedges_g_correction,
    }
