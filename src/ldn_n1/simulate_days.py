"""Day-level engine of the synthetic LDN diaries, vectorised over a block of patients.

Given the parameters of ``n`` patients (:func:`ldn_n1.simulate_params.draw_params`) and each
patient's own standard-normal and uniform numbers, :func:`simulate_block` builds padded
``(n, days)`` arrays of the dose schedule, the latent (noise-free) course, the observed
scores, side effects and missingness, and returns the rows present in the diaries plus the
numbers the truth table needs. All loops run over days (at most a few hundred), never over
patients or rows.

Model, per patient and outcome ``k`` (``s_k = +1`` where higher is worse, ``-1`` where higher
is better; ``d`` = day index from the first diary day, ``t = d - baseline_days``):

``y_k(d) = level_k + s_k * (flare_k e^{-d/kappa} - drift_k (d - b) + week(d) + x_k(d)
- delta_k g_k(d))``, rounded to a whole number and clipped to 0-10, where

- ``g_k`` is the onset curve: ``g(t) = a g(t-1) + (1 - a) on(t-1)``, ``g = 0`` up to the first
  dose, ``a = exp(-1 / tau_k)``, ``on`` = 1 on scheduled dosing days. Under continuous dosing
  this is exactly ``1 - exp(-t / tau)``; during an interruption the effect decays with the same
  time constant and it builds up again on resumption. Single missed doses do not change it.
- ``x_k`` is AR(1) noise with coefficient ``rho`` and marginal SD ``noise_sd_k``; its
  innovations are ``sqrt(c) z_0 + sqrt(1 - c) z_k`` with a shared "bad day" factor ``z_0``, so
  the noise correlation between outcomes is ``c`` (in the worse direction of each outcome).
  The first day is drawn from the stationary distribution.
- ``week(d)``: +amp on Mondays ("Monday effect") or -amp on Saturdays and Sundays.
- ``delta_k`` (positive = better), ``drift_k`` (points/day, positive = getting better,
  anchored at the first dose) and the flare settling term are parameters.

Side effects occur each day with probability ``sus_j (base_j + bump_j h(d) m_j(d) +
night_j n(d))``, capped at 0.9: ``h`` sums ``exp(-days since increase / 7)`` over the dose
increases (the start, each titration step, a resumption), ``n(d)`` = 1 on days the dose is
taken at night, and ``m_j`` = 0.3 for vivid dreams and insomnia after a switch to morning
dosing (1 otherwise). Rates are illustrative (vivid dreams and insomnia most common, as in
LDN case series), not fitted to data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ldn_n1.simulate_params import OUTCOMES, SIDE_EFFECTS, WORSE_SIGN

__all__ = ["NOTES", "N_NORMAL_COLS", "N_UNIFORM_COLS", "Block", "simulate_block"]

N_NORMAL_COLS = 1 + len(OUTCOMES)  # shared factor + one per outcome
# Columns of each patient's (days, N_UNIFORM_COLS) uniform block.
_COMPLETE, _BLANK, _MISS, _SIDE = 0, 1, 6, 7
_SIDE_BLANK, _OPIOID, _DRINK, _UNITS, _NOTE, _PICK, _SWAP, _DOSE_BLANK, _OTHER_BLANK, _CHUNK = (
    range(15, 25)
)
N_UNIFORM_COLS = 25

EPOCH = np.datetime64("2024-01-01", "D")
# Per-day probabilities: no drug, peak extra after an increase, extra on night-dosing days.
SIDE_BASE = np.array([0.02, 0.05, 0.02, 0.06, 0.02, 0.01, 0.03, 0.04])
SIDE_BUMP = np.array([0.25, 0.12, 0.10, 0.10, 0.06, 0.04, 0.02, 0.04])
SIDE_NIGHT = np.array([0.15, 0.08, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
SIDE_MORNING_FACTOR = np.array([0.3, 0.3, 1, 1, 1, 1, 1, 1])
SIDE_DECAY_DAYS = 7.0
ALCOHOL_UNITS = np.array([1.0, 1.0, 2.0, 2.0, 3.0, 4.0])
TITRATION_MG = (1.5, 3.0, 4.5)

# Free-text notes: everyday ones and some hostile to CSV/HTML/spreadsheets (notes are
# untrusted input the report must escape).
_GENERIC = (
    "bad night",
    "flare after gardening",
    "period",
    "stressful week, work deadline",
    "weather change, joints worse",
    "good day!",
    "visited family, tired",
    "headache in the afternoon",
    "pain 8 at night & couldn't sleep",
    "<b>much</b> better today",
    'doctor said "keep going"',
    "=1+1",
    "+ took paracetamol",
    "-",
    "@home all day",
    "slept 9h, woke up refreshed",
    "note with, two commas, here",
    "line one\nline two",
    "Müdigkeit stark; ça va",
    "50% better?",
)
_EVENTS = (
    "first LDN dose, 1.5 mg",
    "switched to morning dose because of vivid dreams",
    "stopped LDN for a few days (ran out of capsules)",
    "back on LDN",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    'felt "wired" after dose,\nslept 3 hours; will ask <Dr. B> & pharmacist',
)
NOTES = np.array([None, *_GENERIC, *_EVENTS], dtype=object)
_EV = 1 + len(_GENERIC)  # code of the first event note


@dataclass(frozen=True)
class Block:
    """Simulated rows and truth of a block of patients (internal container).

    ``rows`` holds 1-D arrays of the diary rows present (``patient`` = index in the block,
    ``day`` = day index), in output order; ``truth`` holds arrays of shape (n,) or (n, 5);
    ``latent`` holds the padded noise-free arrays (for a single patient's ``latent`` frame).
    """

    rows: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]
    latent: dict[str, np.ndarray]


def _pad(blocks: list[np.ndarray], length: int, fill: float) -> np.ndarray:
    out = np.full((len(blocks), length, blocks[0].shape[1]), fill)
    for i, b in enumerate(blocks):
        out[i, : b.shape[0]] = b
    return out


def simulate_block(
    p: dict[str, np.ndarray],
    normals: list[np.ndarray],
    uniforms: list[np.ndarray],
    evaluation_days: int,
) -> Block:
    """Simulate the diaries of a block of patients.

    Parameters
    ----------
    p : dict of str to ndarray
        Parameters of ``n`` patients (see :func:`ldn_n1.simulate_params.draw_params`).
    normals, uniforms : list of ndarray
        Per patient, arrays of shape (days, N_NORMAL_COLS) and (days, N_UNIFORM_COLS), with
        ``days = baseline_days + treatment_days``.
    evaluation_days : int
        Length of the evaluation window (final days of treatment) for the truth.

    Returns
    -------
    Block
    """
    n_days = p["baseline_days"] + p["treatment_days"]
    length = int(n_days.max())
    z = _pad(normals, length, 0.0)
    u = _pad(uniforms, length, 1.0)
    d = np.arange(length)[None, :]
    valid = d < n_days[:, None]
    b = p["baseline_days"][:, None]
    t = d - b
    messy = np.asarray(p["unsorted"], dtype=bool)[:, None]

    # Dose schedule: 1.5 mg (1 week, 2 if slow), 3 mg, 4.5 mg from step45_day unless stays at 3.
    tit = p["titration"][:, None]
    first_step = np.where(tit == 1, 14, 7)
    stay = (tit == 2) | (t < p["step45_day"][:, None])
    sched = np.select([t < 0, t < first_step, stay], [0.0, 1.5, 3.0], 4.5)
    sched = np.where(valid, sched, 0.0)
    i_len = p["interruption_days"]
    i_lo, i_hi = 21, p["treatment_days"] - evaluation_days - i_len  # ends before the window
    interrupted = np.asarray(p["interrupted"], dtype=bool) & (i_hi >= i_lo)
    i_start = (i_lo + np.floor(p["interruption_pos"] * (i_hi - i_lo + 1))).astype(int)
    in_break = interrupted[:, None] & (t >= i_start[:, None]) & (t < (i_start + i_len)[:, None])
    sched = np.where(in_break, 0.0, sched)
    on = sched > 0
    t_switch = 7 + np.floor(p["switch_pos"] * 36).astype(int)
    switched = np.asarray(p["switched_to_morning"], dtype=bool) & (t_switch < p["treatment_days"])
    # Missed doses: single days, never next to an interruption (which would change its
    # length) nor on the day of the switch to morning dosing (whose row records the switch).
    next_to_break = (t == i_start[:, None] - 1) | (t == (i_start + i_len)[:, None])
    keep_on = (interrupted[:, None] & next_to_break) | (
        switched[:, None] & (t == t_switch[:, None])
    )
    miss = on & (t >= 1) & ~keep_on & (u[..., _MISS] < p["missed_dose_prob"][:, None])
    miss[:, 1:] &= ~miss[:, :-1]  # single days only: a run of zeros would be an interruption
    dose = np.where(miss, 0.0, sched)
    morning = switched[:, None] & (t >= t_switch[:, None])
    dose_time = np.where(dose > 0, np.where(morning, 2, 1), 0)

    # Onset curve per outcome (recursion over days; exact 1 - exp(-t/tau) under dosing).
    a = np.exp(-1.0 / p["tau_days"])
    g = np.zeros((len(normals), length, len(OUTCOMES)))
    onf = on.astype(float)
    for j in range(1, length):
        g[:, j] = a * g[:, j - 1] + (1.0 - a) * onf[:, j - 1, None]

    # AR(1) noise with a shared bad-day factor.
    rho = p["rho"][:, None]
    c = p["shared_corr"][:, None, None]
    innov = (np.sqrt(c) * z[..., :1] + np.sqrt(1.0 - c) * z[..., 1:]) * (
        p["noise_sd"][:, None, :] * np.sqrt(1.0 - rho[..., None] ** 2)
    )
    x = np.empty_like(innov)
    x[:, 0] = innov[:, 0] / np.sqrt(1.0 - rho**2)
    for j in range(1, length):
        x[:, j] = rho * x[:, j - 1] + innov[:, j]

    # Weekly rhythm and natural course (badness units: positive = worse).
    weekday = (p["start_offset"][:, None] + d + (EPOCH.astype(int) + 3)) % 7  # Monday = 0
    amp = p["weekly_amp"][:, None]
    week = np.select(
        [p["weekly"][:, None] == 1, p["weekly"][:, None] == 2],
        [amp * (weekday == 0), -amp * (weekday >= 5)],
        0.0,
    )
    settling = np.exp(-d / p["flare_tau_days"][:, None])[..., None]
    natural = (
        p["flare_points"][:, None, :] * settling - p["drift_per_day"][:, None, :] * t[..., None]
    )
    effect = p["effect"][:, None, :] * g  # points, positive = better
    expected = p["level"][:, None, :] + WORSE_SIGN * (natural + week[..., None] - effect)

    # Which rows exist: completion falling over time, gaps, forced anchor days.
    frac = d / np.maximum(n_days[:, None] - 1, 1)
    completion = p["completion_start"][:, None] - p["completion_decline"][:, None] * frac
    present = valid & (u[..., _COMPLETE] < completion)
    for k in range(2):
        glen = p["gap_days"][:, k][:, None]
        gstart = 1 + np.floor(p["gap_pos"][:, k][:, None] * (n_days[:, None] - glen - 1))
        gap = (k < p["n_gaps"][:, None]) & (d >= gstart) & (d < gstart + glen)
        present &= ~gap
    restart = (i_start + i_len)[:, None]
    forced = valid & (
        (d == 0)
        | (t == 0)
        | (d == n_days[:, None] - 1)
        | (interrupted[:, None] & ((t == i_start[:, None]) | (t == restart)))
        | (switched[:, None] & (t == t_switch[:, None]))
        | (messy & ((d == 2) | (t == 3) | (d == n_days[:, None] - 5)))
    )
    present |= forced

    # Output order: by patient, then day; shuffled blocks of 20 days plus swaps when unsorted.
    pi, di = np.nonzero(present)
    chunk_rank = np.argsort(np.argsort(u[:, ::20, _CHUNK], axis=1), axis=1)
    key = np.where(
        messy,
        chunk_rank[:, np.minimum(d[0] // 20, chunk_rank.shape[1] - 1)] * 1000.0
        + d
        - 1.5 * (u[..., _SWAP] < 0.08),
        d,
    )
    order = np.lexsort((key[pi, di], pi))
    pi, di = pi[order], di[order]

    # Everything below is computed on the rows present only.
    ur = u[pi, di]
    tr = t[pi, di]
    blank_p = p["blank_prob"][pi]
    blank = ur[:, _BLANK : _BLANK + len(OUTCOMES)] < blank_p[:, None]
    # (+ 0.0 turns the -0.0 that rint gives for small negatives into 0.0)
    scores = np.clip(np.rint(expected[pi, di] + WORSE_SIGN * x[pi, di]), 0.0, 10.0) + 0.0
    scores[blank] = np.nan
    messy_r = messy[pi, 0]
    dose_blank = messy_r & (tr >= 1) & ~forced[pi, di] & (ur[:, _DOSE_BLANK] < 0.03)
    dose_r = np.where(dose_blank, np.nan, dose[pi, di])
    time_r = np.where(dose_blank, 0, dose_time[pi, di])

    # Side effects.
    increase = np.diff(sched, axis=1, prepend=0.0) > 0
    h = lfilter([1.0], [1.0, -np.exp(-1.0 / SIDE_DECAY_DAYS)], increase.astype(float), axis=1)
    morning_r = morning[pi, di]
    night = (time_r == 1)[:, None]
    factor = np.where(morning_r[:, None], SIDE_MORNING_FACTOR, 1.0)
    prob = p["susceptibility"][pi] * (
        SIDE_BASE + SIDE_BUMP * h[pi, di][:, None] * factor + SIDE_NIGHT * night
    )
    side = (ur[:, _SIDE : _SIDE + len(SIDE_EFFECTS)] < np.minimum(prob, 0.9)).astype(float)
    side[ur[:, _SIDE_BLANK] < blank_p / 2] = np.nan
    opioid_p = p["opioid_prob"][pi] * np.where(tr < 0, 1.0, 0.3)
    opioid = (p["opioid_user"][pi] & (ur[:, _OPIOID] < opioid_p)).astype(float)
    drink = p["drinker"][pi] & (ur[:, _DRINK] < p["drink_prob"][pi])
    pick = np.minimum((ur[:, _UNITS] * len(ALCOHOL_UNITS)).astype(int), len(ALCOHOL_UNITS) - 1)
    alcohol = np.where(drink, ALCOHOL_UNITS[pick], 0.0)
    other_blank = ur[:, _OTHER_BLANK] < blank_p / 3
    opioid[other_blank] = np.nan
    alcohol[other_blank] = np.nan

    # Notes: everyday notes at random, event notes on their day.
    n_gen = len(_GENERIC)
    note = np.where(
        ur[:, _NOTE] < p["note_prob"][pi],
        1 + np.minimum((ur[:, _PICK] * n_gen).astype(int), n_gen - 1),
        0,
    )
    last_r = n_days[pi] - 1
    note = np.select(
        [
            tr == 0,
            switched[pi] & (tr == t_switch[pi]),
            interrupted[pi] & (tr == i_start[pi]),
            interrupted[pi] & (tr == restart[pi, 0]),
            messy_r & (di == 2),
            messy_r & (tr == 3),
            messy_r & (di == last_r - 4),
        ],
        list(range(_EV, _EV + 7)),
        note,
    )
    rows = {
        "patient": pi,
        "day": di,
        "scores": scores,
        "dose_mg": dose_r,
        "dose_time": time_r,
        "side": side,
        "opioid_use": opioid,
        "alcohol_units": alcohol,
        "note": note,
    }

    # Truth: mean latent drug effect over the final evaluation_days days of treatment.
    window = valid & (d >= n_days[:, None] - evaluation_days)
    true_improvement = (effect * window[..., None]).sum(axis=1) / evaluation_days
    n = len(normals)
    observed = np.stack(
        [np.bincount(pi, weights=~blank[:, j], minlength=n) for j in range(len(OUTCOMES))],
        axis=1,
    )
    held = np.stack([(sched == mg).sum(axis=1) for mg in TITRATION_MG], axis=1)
    qualifies = held >= 7
    # Target dose as DESIGN §3: the highest level held >= 7 days, else the level held longest.
    highest = len(TITRATION_MG) - 1 - np.argmax(qualifies[:, ::-1], axis=1)
    top = np.where(qualifies.any(axis=1), highest, np.argmax(held, axis=1))
    truth = {
        "true_improvement": true_improvement,
        "missing_share": 1.0 - observed / n_days[:, None],
        "interrupted": interrupted,
        "interruption_start": np.where(interrupted, i_start, -1),  # days since first dose
        "interruption_days": np.where(interrupted, i_len, 0),
        "switched_to_morning": switched,
        "target_dose_mg": np.asarray(TITRATION_MG)[top],
        "n_days": n_days,
    }
    latent = {"sched": sched, "effect": effect, "expected": expected, "natural": natural}
    return Block(rows=rows, truth=truth, latent=latent)
