"""Truth table of the synthetic diaries and the true classification of a patient-outcome.

The truth is what an analysis of the diary should recover: the DESIGN §4 estimand computed
on the latent, noise-free drug effect (never on the noisy scores), plus the design facts of
the diary (baseline length, target dose, interruption, switch of dosing time, missingness).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ldn_n1.plan import DEFAULT_OUTCOMES
from ldn_n1.simulate_params import EFFECT_CLASSES, OUTCOMES, SCENARIOS

__all__ = ["TRUTH_COLUMNS", "true_class", "truth_frame"]

#: Columns of the truth table, in order (one row per patient x outcome).
TRUTH_COLUMNS = (
    "patient_id",
    "outcome",
    "better",
    "scenario",
    "true_improvement",
    "effect_full",
    "tau_days",
    "rho",
    "noise_sd",
    "drift_per_day",
    "flare_settling",
    "baseline_days",
    "treatment_days",
    "first_dose_date",
    "target_dose_mg",
    "switched_to_morning",
    "interrupted",
    "missing_share",
    # Extra detail (extensions of the required columns).
    "effect_class",
    "level",
    "flare_points",
    "flare_tau_days",
    "shared_noise_corr",
    "weekly_rhythm",
    "weekly_points",
    "titration",
    "interruption_start_date",
    "interruption_days",
    "evaluation_days",
)
_TITRATIONS = np.array(["standard", "slow", "stay_3mg"], dtype=object)
_WEEKLY = np.array(["none", "monday", "weekend"], dtype=object)


def truth_frame(
    ids: list[str],
    p: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    evaluation_days: int,
) -> pd.DataFrame:
    """Assemble the truth table of a block of patients.

    Parameters
    ----------
    ids : list of str
        Patient ids, one per patient of the block.
    p : dict of str to ndarray
        The patients' parameters (:func:`ldn_n1.simulate_params.draw_params`).
    truth : dict of str to ndarray
        Derived truth from :func:`ldn_n1.simulate_days.simulate_block`.
    evaluation_days : int
        The evaluation window used for ``true_improvement``.

    Returns
    -------
    DataFrame
        One row per patient x outcome (outcomes in the order of :data:`OUTCOMES`), columns
        :data:`TRUTH_COLUMNS`:

        - ``true_improvement``: mean over the final ``evaluation_days`` calendar days of
          treatment of the latent drug effect ``delta (1 - e^{-t/tau})`` (with the decay and
          rebuild around an interruption), points, positive = better. Drift and flare settling
          are natural course, not drug effect, and do not count.
        - ``effect_full``: ``delta``, the full effect, points, positive = better.
        - ``tau_days``: onset time constant (days). ``rho``: AR(1) coefficient of the noise.
          ``noise_sd``: marginal SD of the latent noise (points, before rounding).
        - ``drift_per_day``: natural-course slope, points/day, positive = getting better.
        - ``flare_settling``: the patient started the diary in a flare that settles with time
          constant ``flare_tau_days`` from ``flare_points`` above the usual level (points,
          worse direction); both are NaN without a flare.
        - ``baseline_days``, ``treatment_days``: calendar days before the first dose, and from
          the first dose to the last diary day inclusive. ``first_dose_date``.
        - ``target_dose_mg``: highest level held >= 7 days. ``switched_to_morning``,
          ``interrupted`` (>= 3 consecutive days off, then back on).
        - ``missing_share``: share of the calendar days from the first to the last diary day
          with no value for this outcome (missing row or blank cell).
        - ``effect_class`` (none/small/clear/worse, as designed), ``level`` (the natural-course
          level on the day of the first dose, without flare: the level a flare settles to), ``shared_noise_corr``, ``weekly_rhythm``
          (none/monday/weekend) and ``weekly_points``, ``titration``
          (standard/slow/stay_3mg), ``interruption_start_date`` (first day off; NaT
          without an interruption) and ``interruption_days`` (0 without), ``evaluation_days``.
    """
    n, k = len(ids), len(OUTCOMES)

    def per_patient(values: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(values), k)

    first_dose = (np.datetime64("2024-01-01", "D") + p["start_offset"] + p["baseline_days"]).astype(
        "datetime64[us]"
    )
    flare = np.asarray(p["flare_points"], dtype=float)
    flare_any = (flare != 0).any(axis=1)
    columns = {
        "patient_id": per_patient(np.asarray(ids, dtype=object)),
        "outcome": np.tile(np.asarray(OUTCOMES, dtype=object), n),
        "better": np.tile(np.asarray([DEFAULT_OUTCOMES[o].better for o in OUTCOMES]), n),
        "scenario": per_patient(np.asarray(SCENARIOS, dtype=object)[p["scenario"]]),
        "true_improvement": truth["true_improvement"].ravel(),
        "effect_full": p["effect"].ravel(),
        "tau_days": p["tau_days"].ravel(),
        "rho": per_patient(p["rho"]),
        "noise_sd": p["noise_sd"].ravel(),
        "drift_per_day": p["drift_per_day"].ravel(),
        "flare_settling": per_patient(flare_any),
        "baseline_days": per_patient(p["baseline_days"]),
        "treatment_days": per_patient(p["treatment_days"]),
        "first_dose_date": per_patient(first_dose),
        "target_dose_mg": per_patient(truth["target_dose_mg"]),
        "switched_to_morning": per_patient(truth["switched_to_morning"]),
        "interrupted": per_patient(truth["interrupted"]),
        "missing_share": truth["missing_share"].ravel(),
        "effect_class": per_patient(np.asarray(EFFECT_CLASSES, dtype=object)[p["effect_class"]]),
        "level": p["level"].ravel(),
        "flare_points": np.where(flare_any[:, None], flare, np.nan).ravel(),
        "flare_tau_days": per_patient(np.where(flare_any, p["flare_tau_days"], np.nan)),
        "shared_noise_corr": per_patient(p["shared_corr"]),
        "weekly_rhythm": per_patient(_WEEKLY[p["weekly"]]),
        "weekly_points": per_patient(p["weekly_amp"]),
        "titration": per_patient(_TITRATIONS[p["titration"]]),
        "interruption_start_date": per_patient(
            np.where(
                truth["interrupted"],
                first_dose + truth["interruption_start"].astype("timedelta64[D]"),
                np.datetime64("NaT"),
            ).astype("datetime64[us]")
        ),
        "interruption_days": per_patient(truth["interruption_days"]),
        "evaluation_days": np.full(n * k, evaluation_days),
    }
    frame = pd.DataFrame(columns)
    for name in ("baseline_days", "treatment_days", "interruption_days", "evaluation_days"):
        frame[name] = frame[name].astype("int64")
    for name in ("flare_settling", "switched_to_morning", "interrupted"):
        frame[name] = frame[name].astype(bool)
    return frame


def true_class(truth_row: Mapping[str, object] | pd.Series, mcid: float | None = None) -> str:
    """True classification of one patient-outcome from its truth row.

    Parameters
    ----------
    truth_row : mapping or Series
        A row of the truth table (needs ``true_improvement``; ``outcome`` when ``mcid`` is
        not given).
    mcid : float, optional
        Minimal clinically important difference in points; default: the outcome's MCID in
        :data:`ldn_n1.plan.DEFAULT_OUTCOMES` (2.0 for the five standard outcomes).

    Returns
    -------
    str
        ``"responder"`` if ``true_improvement >= mcid``, ``"worsened"`` if
        ``true_improvement <= -mcid``, else ``"non-responder"`` (the DESIGN §4 classes with
        the uncertainty removed: these are what a perfect analysis would say).

    Examples
    --------
    >>> true_class({"outcome": "pain", "true_improvement": 2.4})
    'responder'
    >>> true_class({"outcome": "pain", "true_improvement": -0.5}, mcid=0.5)
    'worsened'
    """
    if mcid is None:
        mcid = DEFAULT_OUTCOMES[str(truth_row["outcome"])].mcid
    value = float(truth_row["true_improvement"])  # type: ignore[arg-type]
    if value >= mcid:
        return "responder"
    if value <= -mcid:
        return "worsened"
    return "non-responder"
