"""How many more diary days would likely settle an inconclusive verdict.

Forward simulation from the posterior: draw a model from the grid by its posterior weight,
then its coefficients and noise variance from the conjugate posterior, continue the diary
(AR(1) noise continuing from the last residual, whole-number scores clipped to the scale,
the patient's observed completion rate), refit, and classify. The answer is the shortest
horizon at which at least half of the simulated futures reach a verdict other than
``inconclusive``. All simulated futures share one pattern of missing days, so every refit at a
horizon is a single batched fit.
"""

from __future__ import annotations

import numpy as np

from ldn_n1.bayes import DEFAULT_RHOS, DEFAULT_TAUS, BayesFit, Prior, _design, _grid, _probabilities
from ldn_n1.verdict import classify

__all__ = ["days_to_settle"]


def days_to_settle(
    fit: BayesFit,
    t: np.ndarray,
    y: np.ndarray,
    *,
    start_weekday: int,
    first_dose_day: float,
    window_days: int,
    better: str,
    mcid: float,
    threshold: float,
    scale: tuple[float, float],
    seed: int,
    prior: Prior | None = None,
    use_weekday: bool = True,
    covariates: np.ndarray | None = None,
    horizons: tuple[int, ...] = (14, 28, 56, 84),
    n_sims: int = 48,
) -> int | None:
    """Shortest extra diary length (days) after which a verdict is likely (>= 50%).

    Parameters
    ----------
    fit : BayesFit
        The current fit (its posterior grid is sampled).
    t, y : arrays
        The days with a value (since the first diary day) and the values.
    start_weekday : int
        Weekday of diary day 0 (Monday = 0).
    first_dose_day, window_days, better, mcid, threshold, scale, prior, use_weekday
        As for :func:`ldn_n1.bayes.fit_bayes` and the plan.
    covariates : array, shape (n, m), optional
        The covariates of the fit; simulated future days get 0 (their expected value).
    seed : int
        Seed of the simulation (the result is deterministic given it).
    horizons : tuple of int
        Extra days tried, shortest first.
    n_sims : int
        Simulated futures per horizon.

    Returns
    -------
    int or None
        The first horizon at which at least half the futures are conclusive, or None when
        even the longest is not enough.
    """
    rng = np.random.default_rng(seed)
    prior = prior or Prior()
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    grid = fit.posterior
    parts = grid.parts
    weights = np.exp(grid.log_w[:, 0])
    sizes = [p["mean"].shape[0] for p in parts]
    picks = rng.choice(weights.size, size=n_sims, p=weights / weights.sum())
    span = t[-1] - t[0] + 1
    completion = min(1.0, t.size / span)
    h_max = max(horizons)
    future = t[-1] + 1 + np.arange(h_max, dtype=float)
    future = future[rng.random(h_max) < completion]
    if future.size == 0:
        return None
    all_t = np.concatenate([t, future])
    weekday = ((all_t.astype(int) + start_weekday) % 7).astype(int)
    taus = DEFAULT_TAUS
    cov = None
    if covariates is not None:
        cov = np.concatenate([covariates, np.zeros((future.size, covariates.shape[1]))])
    base, onsets = _design(all_t, first_dose_day, weekday, taus, cov)
    design = np.concatenate([base, onsets.T], axis=1)
    means = np.empty((all_t.size, n_sims))
    rho = np.empty(n_sims)
    marginal = np.empty(n_sims)
    for s, k in enumerate(picks):
        part_i = 0 if k < sizes[0] else 1
        j = k if part_i == 0 else k - sizes[0]
        part = parts[part_i]
        an, bn = part["shape_n"][j], part["rate_n"][j, 0]
        rho[s] = part["rho"][j]
        innov = bn / rng.gamma(an)
        coef = rng.multivariate_normal(part["mean"][j, :, 0], innov * part["cov_unit"][j])
        means[:, s] = design[:, part["cols"][j]] @ coef
        marginal[s] = innov / (1.0 - rho[s] ** 2)
    # AR(1) continuation from each draw's last residual, vectorised over the draws.
    resid = y[-1] - means[t.size - 1]
    noise = rng.standard_normal((future.size, n_sims))
    sims = np.empty((future.size, n_sims))
    prev_t = t[-1]
    for i, day in enumerate(future):
        phi = rho ** (day - prev_t)
        resid = phi * resid + np.sqrt(marginal * (1.0 - phi**2)) * noise[i]
        sims[i] = means[t.size + i] + resid
        prev_t = day
    sims = np.clip(np.round(sims), scale[0], scale[1])
    sign = 1.0 if better == "higher" else -1.0
    for h in horizons:
        keep = future <= t[-1] + h
        n_new = int(keep.sum())
        Y = np.concatenate([np.repeat(y[:, None], n_sims, axis=1), sims[:n_new]], axis=0)
        tt = all_t[: t.size + n_new]
        end = t[-1] + h - first_dose_day
        window = (max(0.0, end - window_days + 1), end)
        g = _grid(
            tt,
            Y,
            first_dose_day,
            weekday[: tt.size],
            window,
            sign,
            prior,
            DEFAULT_RHOS,
            taus,
            use_weekday,
            0.5 * (scale[0] + scale[1]),
            cov=None if cov is None else cov[: tt.size],
        )
        _, p_mcid, p_worse = _probabilities(g, mcid, positive=False)
        verdicts = [classify(a, b, threshold) for a, b in zip(p_mcid, p_worse, strict=True)]
        if np.mean([v != "inconclusive" for v in verdicts]) >= 0.5:
            return int(h)
    return None
