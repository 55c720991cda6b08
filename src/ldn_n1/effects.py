"""Single-case effect sizes of a baseline (A) versus a treatment (B) phase.

A Python port of the effect sizes of the R package SingleCaseES 0.7.4 (Pustejovsky, Chen,
Swan, Grekov & Cai), reproducing its published numbers to rounding (see
``tests/reference/test_reference_singlecasees.py``):

=============  ======================================================  ====================
measure        function                                                module
=============  ======================================================  ====================
NAP, Tau       :func:`nap`, :func:`tau`                                ``effects_overlap``
Tau-U          :func:`tau_u`                                           ``effects_overlap``
PND, PEM       :func:`pnd`, :func:`pem`                                ``effects_overlap``
PAND, IRD      :func:`pand`, :func:`ird`                               ``effects_overlap``
Tau-BC         :func:`tau_bc`                                          ``effects_taubc``
SMD, LRM       :func:`smd`, :func:`lrm`                                ``effects_parametric``
PoGO           :func:`pogo`                                            ``effects_parametric``
LRRd, LRRi     :func:`lrr_d`, :func:`lrr_i`, :func:`pct_change`        ``effects_ratio``
LOR            :func:`lor`                                             ``effects_ratio``
=============  ======================================================  ====================

Every function is pure: it takes the two phases' values (missing values are dropped) and
returns a frozen :class:`EffectSize`; :func:`calc_effect_sizes` computes several at once into
a tidy DataFrame, like SingleCaseES's ``calc_ES``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy.typing as npt
import pandas as pd

from ldn_n1.effects_base import EffectSize
from ldn_n1.effects_overlap import ird, nap, pand, pem, pnd, tau, tau_u
from ldn_n1.effects_parametric import lrm, pogo, smd
from ldn_n1.effects_ratio import (
    lor,
    lrr_d,
    lrr_i,
    pct_change,
    pct_change_from_lrr,
    truncation_constant,
)
from ldn_n1.effects_taubc import tau_bc
from ldn_n1.errors import PlanError

__all__ = [
    "MEASURES",
    "EffectSize",
    "calc_effect_sizes",
    "ird",
    "lor",
    "lrm",
    "lrr_d",
    "lrr_i",
    "nap",
    "pand",
    "pct_change",
    "pct_change_from_lrr",
    "pem",
    "pnd",
    "pogo",
    "smd",
    "tau",
    "tau_bc",
    "tau_u",
    "truncation_constant",
]

#: Functions by SingleCaseES's ``ES`` name.
MEASURES: dict[str, Callable[..., EffectSize]] = {
    "NAP": nap,
    "Tau": tau,
    "Tau_U": tau_u,
    "Tau_BC": tau_bc,
    "PND": pnd,
    "PEM": pem,
    "PAND": pand,
    "IRD": ird,
    "SMD": smd,
    "LRRd": lrr_d,
    "LRRi": lrr_i,
    "LOR": lor,
    "LRM": lrm,
    "PoGO": pogo,
}
_ALIASES = {"Tau-U": "Tau_U", "TauU": "Tau_U", "Tau-BC": "Tau_BC", "TauBC": "Tau_BC"}
_GROUPS = {
    "NOM": ("IRD", "NAP", "PAND", "PEM", "PND", "Tau", "Tau_BC", "Tau_U"),
    "parametric": ("LOR", "LRRd", "LRRi", "LRM", "PoGO", "SMD"),
}
_GROUPS["all"] = _GROUPS["NOM"] + _GROUPS["parametric"]
DEFAULT_MEASURES = ("LRRd", "LRRi", "SMD", "Tau")
COLUMNS = ["measure", "estimate", "se", "ci_low", "ci_high", "confidence", "variant",
           "n_a", "n_b", "notes"]  # fmt: skip


def _resolve(measures: str | Iterable[str] | None) -> list[str]:
    if measures is None:
        return list(DEFAULT_MEASURES)
    names = [measures] if isinstance(measures, str) else list(measures)
    out: list[str] = []
    for name in names:
        key = _ALIASES.get(name, name)
        expanded = _GROUPS.get(key, (key,))
        for item in expanded:
            if item not in MEASURES:
                known = ", ".join([*MEASURES, *_GROUPS])
                msg = f"measures: got {name!r}, expected one of {known}"
                raise PlanError(msg)
            if item not in out:
                out.append(item)
    return out


def calc_effect_sizes(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    improvement: str = "increase",
    measures: str | Iterable[str] | None = None,
    confidence: float = 0.95,
    pct_change: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Compute several effect sizes of baseline ``a`` versus treatment ``b`` at once.

    Parameters
    ----------
    a, b : array_like of float
        Baseline and treatment values (Tau-U and Tau-BC need them in session order);
        missing values are dropped.
    improvement : {"increase", "decrease"}, default "increase"
        Direction of improvement, passed to every measure that uses one (PoGO does not).
        As in SingleCaseES's ``calc_ES``, this default also applies to LRRd.
    measures : str or iterable of str, optional
        SingleCaseES ``ES`` names (``"NAP"``, ``"Tau"``, ``"Tau_U"``, ``"Tau_BC"``,
        ``"PND"``, ``"PEM"``, ``"PAND"``, ``"IRD"``, ``"SMD"``, ``"LRRd"``, ``"LRRi"``,
        ``"LOR"``, ``"LRM"``, ``"PoGO"``) or groups ``"NOM"``, ``"parametric"``, ``"all"``.
        Default: LRRd, LRRi, SMD, Tau (as ``calc_ES``).
    confidence : float, default 0.95
    pct_change : bool, default False
        Add ``Pct_Change_d`` / ``Pct_Change_i`` rows after LRRd / LRRi.
    **options
        Passed to each measure that accepts them: ``se``, ``ci_root`` (NAP, Tau, Tau-BC),
        ``kendall``, ``pretest_trend`` (Tau-BC), ``std_dev`` (SMD), ``bias_correct``
        (SMD, LRR, LOR), ``scale``, ``observation_length``, ``intervals``, ``d_const``
        (LRR, LOR), ``delta_method`` (LRM), ``goal`` (PoGO, required for it).

    Returns
    -------
    pandas.DataFrame
        One row per effect size with columns ``measure, estimate, se, ci_low, ci_high,
        confidence, variant, n_a, n_b, notes`` (NaN where a measure has no SE or interval).

    Raises
    ------
    PlanError
        An unknown measure or an option that no requested measure accepts.

    Examples
    --------
    >>> from ldn_n1.effects import calc_effect_sizes
    >>> out = calc_effect_sizes([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29],
    ...                         measures=["NAP", "PND"])
    >>> out["measure"].tolist(), out["estimate"].round(4).tolist()
    (['NAP', 'PND'], [0.9167, 0.7143])
    """
    names = _resolve(measures)
    used: set[str] = set()
    rows: list[EffectSize] = []
    for name in names:
        fn = MEASURES[name]
        params = inspect.signature(fn).parameters
        kwargs = {k: v for k, v in options.items() if k in params}
        used.update(kwargs)
        if "improvement" in params:
            kwargs["improvement"] = improvement
        if "confidence" in params:
            kwargs["confidence"] = confidence
        if name == "PoGO" and "goal" not in kwargs:
            msg = "measures: PoGO needs the goal level of the outcome (goal=...)"
            raise PlanError(msg)
        res = fn(a, b, **kwargs)
        rows.append(res)
        if pct_change and name in ("LRRd", "LRRi"):
            rows.append(pct_change_from_lrr(res))
    unused = sorted(set(options) - used)
    if unused:
        msg = f"options not used by any of {', '.join(names)}: {', '.join(unused)}"
        raise PlanError(msg)
    return pd.DataFrame([r._row() for r in rows], columns=COLUMNS)
