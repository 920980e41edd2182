"""Size and power of Hansen's studentized SPA against the Reality Check, by Monte Carlo.

Hansen's (2005) Monte Carlo in miniature: each universe is one benchmark-beating
candidate (model 0, unit variance) and many POOR models — negative mean
differential, erratic (variance 4-64 times model 0's). Differentials are iid
normal, T = 200 bars, so the stationary bootstrap runs with block size 1 (the iid
bootstrap); B = 500 replications for the size (with B = 200 the p-value's
discreteness alone lifts the rejection rate at p <= 0.05 to 5.75 %, measured on
4,000 other universes; 4.7 % with B = 500 on 3,000), 200 elsewhere. Seeds are
fixed: the rates below are exact reproductions, and the bands are chosen so that a
correct implementation passes for almost any seed, while the Reality Check
statistic in the SPA's place fails the power test.

Two designs of poor models:

* FAR: population t-statistics in [-12, -6], beyond Hansen's log-log bound
  (-sqrt(2 log log 200) = -1.83) in practically every sample. Hansen's consistent
  recentering drops them from the null distribution whether or not the statistic
  is studentized, so ``spa.consistent`` and ``rc.consistent`` agree here; White's
  original Reality Check (``rc.upper``, every mean recentered to 0) lets the
  erratic models swamp the null distribution and never rejects.
* MIXED: t in [-10, -2]: some poor models sit near the bound and are recentered to
  0. Their large variance then dominates the non-studentized maximum, and the RC
  (consistent) loses its power; studentized, each counts as one unit-variance
  competitor.

Measured rates (share of universes with p <= 0.05), in this order: SPA consistent,
RC consistent, RC upper (White):

============  =====================  ====================
design        null (model 0 mean 0)  edge (model 0 t = 3)
============  =====================  ====================
FAR           0.061, 0.061, 0.000    0.923, 0.923, 0.000
MIXED         0.023, 0.000, 0.000    0.770, 0.008, 0.000
============  =====================  ====================

(FAR null with B = 500 over 1,000 universes; the others B = 200, 400 universes.)
The FAR null's 0.061 is 2 standard errors above the design's size measured on
3,000 other universes (0.047).

Monte Carlo standard errors: sqrt(p(1-p)/n) = 0.0069 at p = 0.05, n = 1,000
universes (the FAR null); 0.013 at p = 0.92 and 0.021 at p = 0.77, n = 400. A
single t-test of model 0 alone at 5 % has power P(Z > 1.645 - 3) = 0.91: the SPA
keeps all of it among 100 erratic poor models.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from backtest.stats import spa_test

N_BARS = 200


def _universe(seed: int, design: str, edge_t: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t_low, t_high = (-12.0, -6.0) if design == "far" else (-10.0, -2.0)
    sigma = np.concatenate([[1.0], rng.uniform(2.0, 8.0, 100)])
    t_pop = np.concatenate([[edge_t], rng.uniform(t_low, t_high, 100)])
    mean = t_pop * sigma / np.sqrt(N_BARS)
    return 0.01 * (mean + sigma * rng.standard_normal((N_BARS, 101)))


@cache
def _rates(design: str, edge_t: float, n_universes: int, reps: int) -> tuple[float, float, float]:
    """Share of universes rejecting at 5 %: SPA consistent, RC consistent, RC upper."""
    hits = np.zeros(3)
    zero = np.zeros(N_BARS)
    for u in range(n_universes):
        trials = _universe(20_000 + u, design, edge_t)
        r = spa_test(zero, trials, seed=u, reps=reps, block_size=1)
        hits += [r.consistent <= 0.05, r.rc.consistent <= 0.05, r.rc.upper <= 0.05]
    spa, rc, white = hits / n_universes
    return float(spa), float(rc), float(white)


def test_size_under_the_null_with_many_poor_erratic_models() -> None:
    spa, rc, white = _rates("far", 0.0, 1000, 500)
    assert 0.03 <= spa <= 0.07, spa  # 5 % +- 2 % (~2.9 standard errors)
    assert white <= 0.01, white  # White's RC: conservative, here it never rejects
    assert abs(rc - spa) <= 0.01, (rc, spa)  # recentering alone handles far-poor models


def test_power_against_a_planted_edge_among_many_poor_erratic_models() -> None:
    spa, _, white = _rates("far", 3.0, 400, 200)
    assert spa >= 0.85, spa  # measured 0.923; the lone t-test's power is 0.91
    assert white <= 0.05, white
    spa_mixed, rc_mixed, _ = _rates("mixed", 3.0, 400, 200)
    assert spa_mixed >= 0.65, spa_mixed  # measured 0.770
    assert rc_mixed <= 0.10, rc_mixed  # measured 0.008: erratic near-bound models swamp it
    assert spa_mixed - rc_mixed >= 0.5


def test_near_bound_poor_models_make_both_conservative_the_rc_more() -> None:
    # Hansen's consistent p is conservative when poor models sit near the log-log
    # bound (they are recentered to 0 and count as competitors); never liberal
    spa, rc, white = _rates("mixed", 0.0, 400, 200)
    assert spa <= 0.05, spa  # measured 0.023
    assert rc <= spa and white <= spa
