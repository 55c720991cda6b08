"""Tau-U (scan's variants) and its meta-analysis over cases.

Ports of scan 0.67.1's ``tau_u()`` (``R/tau_u.R``), its Kendall routine ``kendall_tau()``
(``R/private_kendall.R``) and the fixed-effect meta-analysis ``.meta_tau()``, with scan's
numerical behaviour kept on purpose:

- ``Tau = S / D``; ``D`` is the Kendall tau-b denominator for ``method="complete"`` (except
  row "A vs. B", where ``D = pairs - ties / 2``), else the number of pairs;
- ``Z`` and ``p`` always come from the Kendall routine: tau-a (``3 S / sqrt(N (N - 1)
  (2 N + 5) / 2)``) only for ``method="complete", tau_method="a"``; otherwise tau-b with the
  tie-corrected variance of S, *also* for ``"parker"`` and ``"tarlow"``, which use tau-a
  only for ``D`` (and hence Tau);
- the tau-a ``SD_S`` is computed as ``S / Z`` and is therefore NaN when ``S = 0``;
- Fisher-z intervals are back-transformed with ``(exp(2 z) - 1) / (exp(2 z) + 1)``, which is
  NaN at ``z = +inf`` (a Tau of exactly 1), where ``tanh`` would give 1.

These differ from SingleCaseES's Tau-U (``ldn_n1.effects``), which is why they live here
under ``scan_`` names. Validated against every scan reference number in
``tests/reference/test_reference_scan_overlap.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from ldn_n1.errors import AnalysisError
from ldn_n1.overlap_data import PhaseSelection, select_phases

__all__ = [
    "TAU_U_MODELS",
    "KendallResult",
    "ScanTauU",
    "kendall_scan",
    "scan_tau_u",
    "scan_tau_u_meta",
]

TAU_U_MODELS = (
    "A vs. B",
    "Trend A",
    "Trend B",
    "A vs. B - Trend A",
    "A vs. B + Trend B",
    "A vs. B + Trend B - Trend A",
)
META_MODELS = (TAU_U_MODELS[0], TAU_U_MODELS[3], TAU_U_MODELS[4], TAU_U_MODELS[5])
_TABLE_COLUMNS = [
    "pairs", "pos", "neg", "ties", "S", "D", "Tau", "CI lower", "CI upper",
    "SD_S", "VAR_S", "SE_Tau", "Z", "p", "n",
]  # fmt: skip


@dataclass(frozen=True)
class KendallResult:
    """Output of scan's Kendall routine for one pair of vectors (see :func:`kendall_scan`)."""

    n: int
    S: float
    D: float
    tau: float
    sd_s: float
    z: float
    p: float


def kendall_scan(
    x: npt.ArrayLike, y: npt.ArrayLike, tau_method: str = "b", continuity: bool = False
) -> KendallResult:
    """Kendall's S, tau, z and p as scan's ``kendall_tau()`` computes them.

    Parameters
    ----------
    x, y : array_like
        Paired vectors without missing values.
    tau_method : {"b", "a"}
        ``"b"``: denominator ``sqrt((n0 - t_x)(n0 - t_y))`` and the tie-corrected variance
        of S; ``"a"``: denominator ``n0 = N (N - 1) / 2`` and the untied variance.
    continuity : bool
        Use ``sign(S)(|S| - 1)`` for z.

    Returns
    -------
    KendallResult
        ``sd_s`` for tau-a is ``S / z`` as in scan (NaN when S = 0); when z is infinite, tau
        and p are NaN (scan sets them to NA).
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = xa.size
    sx = np.sign(xa[None, :] - xa[:, None])
    s = np.float64(np.sum(np.triu(sx * np.sign(ya[None, :] - ya[:, None]))))
    tx = np.unique(xa, return_counts=True)[1].astype(float)
    ty = np.unique(ya, return_counts=True)[1].astype(float)
    n0 = n * (n - 1) / 2
    s_cc = np.sign(s) * (abs(s) - 1) if continuity else s
    with np.errstate(divide="ignore", invalid="ignore"):
        if tau_method == "a":
            den = n0
            root = np.sqrt(n * (n - 1) * (2 * n + 5) / 2)
            sd_s = s / (3 * s / root)
            z = 3 * s_cc / root
        else:
            ti, ui = np.sum(tx * (tx - 1) / 2), np.sum(ty * (ty - 1) / 2)
            den = np.sqrt((n0 - ti) * (n0 - ui))
            v0 = n * (n - 1) * (2 * n + 5)
            vt = np.sum(tx * (tx - 1) * (2 * tx + 5))
            vu = np.sum(ty * (ty - 1) * (2 * ty + 5))
            v1 = np.sum(tx * (tx - 1)) * np.sum(ty * (ty - 1))
            v2 = np.sum(tx * (tx - 1) * (tx - 2)) * np.sum(ty * (ty - 1) * (ty - 2))
            var_s = (
                (v0 - vt - vu) / 18
                + np.float64(v1) / (2 * n * (n - 1))
                + np.float64(v2) / np.float64(9 * n * (n - 1) * (n - 2))
            )
            sd_s = np.sqrt(var_s)
            z = np.float64(s_cc) / sd_s
        tau = np.float64(s) / den
    p = 2 * stats.norm.sf(abs(z))
    if np.isinf(z):
        tau, p = np.nan, np.nan
    return KendallResult(n, s, float(den), float(tau), float(sd_s), float(z), float(p))


def _inv_fisher_z(z: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """scan's vectorised back-transform: NaN at z = +inf, -1 at z = -inf."""
    e = np.exp(2 * np.asarray(z, dtype=float))
    with np.errstate(invalid="ignore"):
        return (e - 1) / (e + 1)


def _fisher_z(tau: npt.ArrayLike) -> npt.NDArray[np.float64]:
    t = np.asarray(tau, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.log((1 + t) / (1 - t))


def _z_se(n: npt.ArrayLike, se_method: str) -> npt.NDArray[np.float64]:
    nn = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if se_method == "tau":
            return np.sqrt(0.437 / (nn - 4))
        return 1 / np.sqrt(nn - 3)


@dataclass(frozen=True)
class ScanTauU:
    """Tau-U of one case as scan reports it.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows :data:`TAU_U_MODELS`; columns ``pairs, pos, neg, ties, S, D, Tau, CI lower,
        CI upper, SD_S, VAR_S, SE_Tau, Z, p, n``.
    method, tau_method : str
        The operationalisation used (``tau_method`` after ``method`` overrode it).
    continuity_correction : bool
        Whether z used ``|S| - 1``.
    ci : float
        Interval level (NaN: none).
    ci_method : str
        ``"z"``, ``"tau"`` or ``"s"``.
    """

    table: pd.DataFrame = field(repr=False)
    method: str
    tau_method: str
    continuity_correction: bool
    ci: float
    ci_method: str

    def __repr__(self) -> str:
        tau = self.table.loc["A vs. B - Trend A", "Tau"]
        return f"ScanTauU(method={self.method!r}, tau_u(A vs. B - Trend A)={tau:.4g})"

    @property
    def tau_u(self) -> float:
        """Tau of "A vs. B - Trend A" (scan's ``tau_u`` element)."""
        return float(self.table.loc["A vs. B - Trend A", "Tau"])

    def to_frame(self) -> pd.DataFrame:
        """Tidy copy of the table with the model as a column."""
        return self.table.rename_axis("model").reset_index()


def scan_tau_u(
    values: npt.ArrayLike,
    phase: Sequence[str] | npt.ArrayLike,
    *,
    phases: PhaseSelection = (1, 2),
    method: str = "complete",
    tau_method: str = "b",
    continuity_correction: bool = False,
    ci: float | None = 0.95,
    ci_method: str = "z",
) -> ScanTauU:
    """Tau-U family for one case (scan's ``tau_u()``).

    Parameters
    ----------
    values : array_like of float
        Measurements in time order; NaN = missing (dropped).
    phase : sequence of str
        Phase label per measurement.
    phases : pair, default ``(1, 2)``
        Phases compared (see :func:`ldn_n1.overlap_data.select_phases`).
    method : {"complete", "parker", "tarlow"}
        ``"parker"``: ``D`` = number of pairs (tau-a), no continuity correction, and
        ``nA nB`` pairs for "A vs. B - Trend A" and ``n (n - 1) / 2`` for "A vs. B + Trend B
        - Trend A" (Tau can exceed 1); ``"tarlow"``: ``D`` = number of pairs, continuity
        correction, every ``SD_S`` from the Kendall routine. As in scan, both still take
        ``Z`` and ``p`` from the tau-b Kendall routine.
    tau_method : {"b", "a"}
        Used with ``method="complete"`` only.
    continuity_correction : bool
        Used with ``method="complete"`` only.
    ci : float or None, default 0.95
        Interval level; None gives NaN limits.
    ci_method : {"z", "tau", "s"}
        Fisher-z interval with SE ``1 / sqrt(n - 3)`` or ``sqrt(0.437 / (n - 4))``, or
        ``(S -/+ q SD_S) / D``.

    Returns
    -------
    ScanTauU

    Raises
    ------
    AnalysisError
        For an unknown option, or fewer than two observed values in a phase (scan returns
        an all-NA table with a warning there).

    Notes
    -----
    Pair counts: A-B pairs compare every A with every B value; A-A and B-B pairs compare
    earlier with later values. "- Trend A" counts an A-A decrease as positive. S, Z and p
    come from :func:`kendall_scan` on the values against the rankings ``0..0, 1..1``
    (A vs. B), ``1..nA`` (Trend A), ``1..nB`` (Trend B), ``nA..1, nA+1..`` (- Trend A),
    ``0..0, nA+1..n`` (+ Trend B) and ``nA..1, nA+1..n`` (+ Trend B - Trend A).

    Examples
    --------
    >>> r = scan_tau_u([2, 3, 5, 3, 4, 5, 5, 7, 6], list("AAAABBBBB"), method="parker")
    >>> r.table.loc["A vs. B", ["pairs", "S", "Tau"]].tolist()
    [20.0, 16.0, 0.8]
    """
    for name, value, allowed in (
        ("method", method, ("complete", "parker", "tarlow")),
        ("tau_method", tau_method, ("a", "b")),
        ("ci_method", ci_method, ("z", "tau", "s")),
    ):
        if value not in allowed:
            msg = f"{name} must be one of {allowed}, got {value!r}"
            raise AnalysisError(msg)
    if method == "parker":
        tau_method, continuity_correction = "a", False
    elif method == "tarlow":
        tau_method, continuity_correction = "a", True
    level = np.nan if ci is None or np.isnan(ci) else float(ci)

    comp = select_phases(values, phase, None, phases)
    a, b = comp.a, comp.b
    na, nb = a.size, b.size
    if na < 2 or nb < 2:
        msg = f"Tau-U needs at least two observed values per phase, got nA={na}, nB={nb}"
        raise AnalysisError(msg)
    n = na + nb
    ab = np.concatenate([a, b])

    def counts(u: npt.NDArray[np.float64], v: npt.NDArray[np.float64], upper: bool):
        d = np.sign(v[None, :] - u[:, None])
        if upper:
            d = d[np.triu_indices(u.size, 1)]
        return float(np.sum(d > 0)), float(np.sum(d < 0)), float(np.sum(d == 0))

    ab_pos, ab_neg, ab_tie = counts(a, b, upper=False)
    aa_pos, aa_neg, aa_tie = counts(a, a, upper=True)
    bb_pos, bb_neg, bb_tie = counts(b, b, upper=True)
    rankings = [
        np.r_[np.zeros(na), np.ones(nb)],
        np.arange(1, na + 1),
        np.arange(1, nb + 1),
        np.r_[np.arange(na, 0, -1), np.full(nb, na + 1)],
        np.r_[np.zeros(na), np.arange(na + 1, n + 1)],
        np.r_[np.arange(na, 0, -1), np.arange(na + 1, n + 1)],
    ]
    data = [ab, a, b, ab, ab, ab]
    # scan runs its Kendall routine as tau-a only for method "complete" with tau_method "a";
    # "parker" and "tarlow" take S, Z, p and (tarlow) SD_S from the tau-b routine.
    ken_method = "a" if (method == "complete" and tau_method == "a") else "b"
    ken = [
        kendall_scan(x, y, ken_method, continuity_correction)
        for x, y in zip(data, rankings, strict=True)
    ]

    pairs_ab, pairs_aa, pairs_bb = na * nb, na * (na - 1) / 2, nb * (nb - 1) / 2
    t = pd.DataFrame(index=pd.Index(TAU_U_MODELS), columns=_TABLE_COLUMNS, dtype=float)
    t["pairs"] = [pairs_ab, pairs_aa, pairs_bb, pairs_ab + pairs_aa, pairs_ab + pairs_bb,
                  pairs_ab + pairs_aa + pairs_bb]  # fmt: skip
    if method == "parker":
        t.loc["A vs. B - Trend A", "pairs"] = pairs_ab
        t.loc["A vs. B + Trend B - Trend A", "pairs"] = n * (n - 1) / 2
    t["pos"] = [ab_pos, aa_pos, bb_pos, ab_pos + aa_neg, ab_pos + bb_pos, ab_pos + bb_pos + aa_neg]
    t["neg"] = [ab_neg, aa_neg, bb_neg, ab_neg + aa_pos, ab_neg + bb_neg, ab_neg + bb_neg + aa_pos]
    t["ties"] = [ab_tie, aa_tie, bb_tie, ab_tie + aa_tie, ab_tie + bb_tie, ab_tie + bb_tie + aa_tie]
    t["S"] = [k.S for k in ken]
    t["n"] = [float(k.n) for k in ken]
    if method == "complete" and tau_method == "b":
        t["D"] = [k.D for k in ken]
        t.loc["A vs. B", "D"] = pairs_ab - ab_tie / 2
    else:
        t["D"] = t["pairs"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["Tau"] = t["S"].to_numpy() / t["D"].to_numpy()
        if method == "tarlow":
            t["SD_S"] = [k.sd_s for k in ken]
        else:
            t["SD_S"] = [
                2 * np.sqrt(na * nb * (n + 1) / 12),
                kendall_scan(np.arange(na), np.arange(na), tau_method).sd_s,
                kendall_scan(np.arange(nb), np.arange(nb), tau_method).sd_s,
                ken[3].sd_s,
                ken[4].sd_s,
                ken[5].sd_s,
            ]
        t["VAR_S"] = t["SD_S"] ** 2
        t["Z"] = [k.z for k in ken]
        t["p"] = [k.p for k in ken]
        t["SE_Tau"] = t["Tau"].to_numpy() / t["Z"].to_numpy()
        if np.isnan(level):
            lower = upper = np.full(6, np.nan)
        elif ci_method == "s":
            q = stats.norm.isf((1 - level) / 2)
            s = t["S"].to_numpy() - (1 if continuity_correction else 0)
            lower = (s - t["SD_S"].to_numpy() * q) / t["D"].to_numpy()
            upper = (s + t["SD_S"].to_numpy() * q) / t["D"].to_numpy()
        else:
            q = stats.norm.isf((1 - level) / 2)
            tz = _fisher_z(t["Tau"].to_numpy())
            se = _z_se(t["n"].to_numpy(), ci_method)
            lower, upper = _inv_fisher_z(tz - q * se), _inv_fisher_z(tz + q * se)
    t["CI lower"], t["CI upper"] = lower, upper
    return ScanTauU(t, method, tau_method, continuity_correction, level, ci_method)


def scan_tau_u_meta(
    results: Sequence[ScanTauU], *, ci: float = 0.95, weight_method: str = "z"
) -> pd.DataFrame:
    """Fixed-effect meta-analysis of Tau-U over cases (scan's ``Overall_tau_u``).

    Parameters
    ----------
    results : sequence of ScanTauU
        One result per case (same method).
    ci : float, default 0.95
        Interval level.
    weight_method : {"z", "tau"}
        Fisher-z standard error per case: ``1 / sqrt(n - 3)`` or ``sqrt(0.437 / (n - 4))``;
        weights are ``1 / se^2``.

    Returns
    -------
    pandas.DataFrame
        One row per model of :data:`META_MODELS`; columns ``model, Tau_U, se, CI lower,
        CI upper, z, p``. The pooled Fisher z is back-transformed; a pooled z of +/-inf (a
        case with Tau = +/-1) gives Tau_U = +/-1 and an infinite ``z``. A model with a
        missing Tau in any case is all NaN.

    Raises
    ------
    AnalysisError
        For an unknown ``weight_method`` or no results.
    """
    if weight_method not in ("z", "tau"):
        msg = f"weight_method must be 'z' or 'tau', got {weight_method!r}"
        raise AnalysisError(msg)
    if not results:
        msg = "scan_tau_u_meta needs at least one case"
        raise AnalysisError(msg)
    q = stats.norm.isf((1 - ci) / 2)
    rows = []
    for model in META_MODELS:
        tau = np.array([r.table.loc[model, "Tau"] for r in results], dtype=float)
        n = np.array([r.table.loc[model, "n"] for r in results], dtype=float)
        if np.isnan(tau).any() or np.isnan(n).any():
            rows.append([model, *([np.nan] * 6)])
            continue
        w = 1 / _z_se(n, weight_method) ** 2
        with np.errstate(invalid="ignore"):
            te = float(np.sum(_fisher_z(tau) * w) / np.sum(w))
            se = float(np.sqrt(1 / np.sum(w)))
            z = te / se

        def back(v: float) -> float:
            return float(np.sign(v)) if np.isinf(v) else float(_inv_fisher_z(v))

        rows.append([model, back(te), se, back(te - q * se), back(te + q * se), z,
                     2 * stats.norm.sf(abs(z))])  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "Tau_U", "se", "CI lower", "CI upper", "z", "p"])
