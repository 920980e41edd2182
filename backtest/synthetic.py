"""A seeded, regime-switching synthetic market whose truth is known.

Ground truth for tests and for measuring detection power: the regimes, the
durations and the credit betas that generated the prices are returned with them.
Pure: the same :class:`SyntheticSpec` always gives the same market.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.errors import ConfigError

__all__ = [
    "REGIMES",
    "RegimeDynamics",
    "RegimeName",
    "SyntheticMarket",
    "SyntheticSpec",
    "generate_market",
]

RegimeName = Literal["calm", "rising", "stress"]
#: Regime labels, in the order of every per-regime tuple and matrix row.
REGIMES: Final[tuple[RegimeName, ...]] = ("calm", "rising", "stress")
_FREQ: Final[dict[int, str]] = {12: "ME", 252: "B"}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class RegimeDynamics:
    """How the yield and the credit spread move while a regime lasts.

    Parameters
    ----------
    spell_years : float
        Expected length of a spell in years (spells are geometric in bars).
    yield_drift_pp : float
        Drift of the yield in percentage points per year.
    yield_vol_pp : float
        Volatility of yield changes in percentage points per √year.
    spread_drift_pp : float
        Drift of the credit spread in percentage points per year.
    spread_vol_pp : float
        Volatility of spread changes in percentage points per √year.
    spread_jump_pp : float, default 0.0
        Jump added to the spread on the first bar of each spell.
    """

    spell_years: float
    yield_drift_pp: float
    yield_vol_pp: float
    spread_drift_pp: float
    spread_vol_pp: float
    spread_jump_pp: float = 0.0


_CALM: Final = RegimeDynamics(
    spell_years=4.0, yield_drift_pp=-0.4, yield_vol_pp=0.6, spread_drift_pp=-0.2, spread_vol_pp=0.2
)
_RISING: Final = RegimeDynamics(
    spell_years=1.5, yield_drift_pp=1.5, yield_vol_pp=0.9, spread_drift_pp=1.0, spread_vol_pp=0.3
)
_STRESS: Final = RegimeDynamics(
    spell_years=0.5,
    yield_drift_pp=-1.0,
    yield_vol_pp=1.2,
    spread_drift_pp=1.0,
    spread_vol_pp=0.8,
    spread_jump_pp=1.0,
)


@dataclass(frozen=True, kw_only=True)
class SyntheticSpec:
    """Everything that determines a synthetic market (frozen, hashable).

    Parameters
    ----------
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.
    n_periods : int, default 600
        Number of bars, including the first (where prices are 1.0).
    periods_per_year : {12, 252}, default 12
        Month-end bars (``"ME"``) or business days (``"B"``).
    start : str, default "1970-01-31"
        First date (rolled forward onto the bar calendar).
    durations, credit_betas, noise_vols : tuple of (name, float) pairs
        Per asset, same names in each: duration in years, exposure of returns to
        spread changes in decimals (-3 = lose 3 % per 100 bp of widening), and
        idiosyncratic volatility per year (decimal).
    link : float, default 1.0
        Scale of the dependence of returns on yields and spreads; ``0.0`` makes
        returns pure carry plus noise (for "no edge on noise" tests).
    carry : float, default 0.03
        Return per year that every asset earns, decimal.
    calm, rising, stress : RegimeDynamics
        Dynamics while each regime lasts.
    exit_probabilities : tuple of three 3-tuples
        Row ``i``: where a spell of regime ``i`` goes when it ends, in the order
        of :data:`REGIMES`; zero diagonal, rows sum to 1.
    yield_start_pct, yield_mean_pct, yield_reversion : float
        Yield level on bar 0 and the level (percent) it reverts to at
        ``yield_reversion`` per year, on top of the regime drift.
    spread_start_pp, spread_mean_pp, spread_reversion, spread_floor_pp : float
        The same for the spread, which never falls below ``spread_floor_pp``.
    """

    seed: int = 0
    n_periods: int = 600
    periods_per_year: int = 12
    start: str = "1970-01-31"
    durations: tuple[tuple[str, float], ...] = (
        ("LONG1", 25.0),
        ("LONG2", 18.0),
        ("MID", 8.0),
        ("SHORT1", 3.0),
        ("SHORT2", 1.0),
    )
    credit_betas: tuple[tuple[str, float], ...] = (
        ("LONG1", -3.0),
        ("LONG2", -2.0),
        ("MID", -1.0),
        ("SHORT1", -0.3),
        ("SHORT2", 0.0),
    )
    noise_vols: tuple[tuple[str, float], ...] = (
        ("LONG1", 0.15),
        ("LONG2", 0.12),
        ("MID", 0.06),
        ("SHORT1", 0.02),
        ("SHORT2", 0.005),
    )
    link: float = 1.0
    carry: float = 0.03
    calm: RegimeDynamics = _CALM
    rising: RegimeDynamics = _RISING
    stress: RegimeDynamics = _STRESS
    exit_probabilities: tuple[tuple[float, float, float], ...] = (
        (0.0, 0.7, 0.3),
        (0.6, 0.0, 0.4),
        (0.7, 0.3, 0.0),
    )
    yield_start_pct: float = 5.0
    yield_mean_pct: float = 5.0
    yield_reversion: float = 0.15
    spread_start_pp: float = 1.0
    spread_mean_pp: float = 1.0
    spread_reversion: float = 0.5
    spread_floor_pp: float = 0.2

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def assets(self) -> tuple[str, ...]:
        """Asset names, in the order of ``durations``."""
        return tuple(name for name, _ in self.durations)

    @property
    def dynamics(self) -> tuple[RegimeDynamics, RegimeDynamics, RegimeDynamics]:
        """Per-regime dynamics in the order of :data:`REGIMES`."""
        return (self.calm, self.rising, self.stress)

    def transition_matrix(self) -> FloatArray:
        """Return the per-bar regime transition matrix, rows and columns in :data:`REGIMES` order.

        ``P[i, i] = 1 - 1/(L_i · periods_per_year)`` so that spells of regime
        ``i`` last ``L_i = spell_years`` on average; the rest of row ``i`` is
        ``exit_probabilities[i]`` scaled to ``1 - P[i, i]``.
        """
        leave = np.array([1.0 / (d.spell_years * self.periods_per_year) for d in self.dynamics])
        exits = np.asarray(self.exit_probabilities, dtype=np.float64)
        return np.diag(1.0 - leave) + leave[:, np.newaxis] * exits


def _validate(spec: SyntheticSpec) -> None:
    """Raise :class:`ConfigError` for an inconsistent spec."""
    if spec.periods_per_year not in _FREQ:
        raise ConfigError(f"periods_per_year must be 12 or 252, got {spec.periods_per_year}")
    try:
        pd.Timestamp(spec.start)
    except ValueError:
        raise ConfigError(f"start must be a date like '1970-01-31', got {spec.start!r}") from None
    if spec.n_periods < 2:
        raise ConfigError(f"n_periods must be >= 2, got {spec.n_periods}")
    names = spec.assets
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"durations must name distinct assets, got {list(names)}")
    for label, pairs in (("credit_betas", spec.credit_betas), ("noise_vols", spec.noise_vols)):
        if sorted(name for name, _ in pairs) != sorted(names):
            raise ConfigError(f"{label} must name the assets of durations: {', '.join(names)}")
    if spec.link < 0 or any(vol < 0 for _, vol in spec.noise_vols):
        raise ConfigError("link and noise_vols must be >= 0")
    if any(d.spell_years * spec.periods_per_year <= 1.0 for d in spec.dynamics):
        raise ConfigError("every spell_years must exceed one bar")
    exits = np.asarray(spec.exit_probabilities, dtype=np.float64)
    if (
        exits.shape != (3, 3)
        or np.any(exits < 0)
        or np.any(np.diag(exits) != 0)
        or not np.allclose(exits.sum(axis=1), 1.0)
    ):
        raise ConfigError(
            "exit_probabilities must be 3×3 (order calm, rising, stress), non-negative, "
            "with a zero diagonal and rows summing to 1"
        )


@dataclass(frozen=True)
class SyntheticMarket:
    """A generated market and the truth that generated it.

    Attributes
    ----------
    yields : pd.Series
        Level of a 10-year-like yield in PERCENT, on a ``DatetimeIndex`` ``date``.
    spread : pd.Series
        Credit spread level in percentage points.
    prices : pd.DataFrame
        DataFrame of shape (n_periods, n_assets): total-return indices starting
        at 1.0; columns are asset names.
    regimes : pd.Series
        Planted regime per bar (``"calm"``, ``"rising"``, ``"stress"``); the
        regime of bar ``t`` drove the move from ``t-1`` to ``t``.
    durations : pd.Series
        Planted duration (years) per asset.
    credit_betas : pd.Series
        Planted exposure of returns to spread changes (decimal per decimal).
    """

    yields: pd.Series
    spread: pd.Series
    prices: pd.DataFrame
    regimes: pd.Series
    durations: pd.Series
    credit_betas: pd.Series


def _simulate_regimes(spec: SyntheticSpec, uniforms: FloatArray) -> npt.NDArray[np.int64]:
    """Markov chain of regime codes (indices into :data:`REGIMES`), starting calm."""
    cumulative = np.cumsum(spec.transition_matrix(), axis=1)
    codes = np.zeros(spec.n_periods, dtype=np.int64)
    for t in range(1, spec.n_periods):
        row = cumulative[codes[t - 1]]
        codes[t] = min(int(np.searchsorted(row, uniforms[t], side="right")), 2)
    return codes


def _simulate_levels(
    spec: SyntheticSpec, codes: npt.NDArray[np.int64], shocks: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Yield (percent) and spread (pp) paths; ``shocks`` is (n_periods, 2) standard normal."""
    dt = 1.0 / spec.periods_per_year
    dyn = spec.dynamics
    yields = np.empty(spec.n_periods)
    spread = np.empty(spec.n_periods)
    yields[0], spread[0] = spec.yield_start_pct, spec.spread_start_pp
    for t in range(1, spec.n_periods):
        d = dyn[codes[t]]
        pull_y = spec.yield_reversion * (spec.yield_mean_pct - yields[t - 1])
        pull_s = spec.spread_reversion * (spec.spread_mean_pp - spread[t - 1])
        jump = d.spread_jump_pp if codes[t] != codes[t - 1] else 0.0
        yields[t] = (
            yields[t - 1]
            + (d.yield_drift_pp + pull_y) * dt
            + d.yield_vol_pp * np.sqrt(dt) * shocks[t, 0]
        )
        spread[t] = max(
            spec.spread_floor_pp,
            spread[t - 1]
            + (d.spread_drift_pp + pull_s) * dt
            + d.spread_vol_pp * np.sqrt(dt) * shocks[t, 1]
            + jump,
        )
    return yields, spread


def generate_market(spec: SyntheticSpec) -> SyntheticMarket:
    r"""Generate a regime-switching market from ``spec`` (pure and seeded).

    Parameters
    ----------
    spec : SyntheticSpec
        All parameters, including the seed.

    Returns
    -------
    SyntheticMarket
        Yields, spread, prices and the planted regimes, durations and betas.

    Notes
    -----
    Regimes follow a Markov chain with :meth:`SyntheticSpec.transition_matrix`.
    Per bar (``dt = 1/periods_per_year``; levels in percent / pp):

    .. math::
        Δy_t = (μ^y_{s_t} + κ_y(\bar y - y_{t-1}))dt + σ^y_{s_t}\sqrt{dt}\,z_t \\
        Δc_t = (μ^c_{s_t} + κ_c(\bar c - c_{t-1}))dt + σ^c_{s_t}\sqrt{dt}\,w_t + J_{s_t}
               1[s_t ≠ s_{t-1}] \\
        R_{i,t} = \text{carry}\,dt + \text{link}\,(-D_i Δy_t + β_i Δc_t)/100
                  + σ_i \sqrt{dt}\,ε_{i,t}

    with the spread floored at ``spread_floor_pp`` (returns use the floored
    change). The random draws do not depend on ``link``, so markets that differ
    only in ``link`` share their yields, spreads, regimes and noise.
    """
    rng = np.random.default_rng(spec.seed)
    uniforms = rng.random(spec.n_periods)
    shocks = rng.standard_normal((spec.n_periods, 2))
    noise = rng.standard_normal((spec.n_periods, len(spec.assets)))
    codes = _simulate_regimes(spec, uniforms)
    yields, spread = _simulate_levels(spec, codes, shocks)
    dt = 1.0 / spec.periods_per_year
    duration = np.array([value for _, value in spec.durations])
    betas = dict(spec.credit_betas)
    beta = np.array([betas[name] for name in spec.assets])
    vols = dict(spec.noise_vols)
    vol = np.array([vols[name] for name in spec.assets])
    dy = np.diff(yields, prepend=yields[0])[:, np.newaxis] / 100.0
    ds = np.diff(spread, prepend=spread[0])[:, np.newaxis] / 100.0
    returns = spec.carry * dt + spec.link * (-duration * dy + beta * ds) + vol * np.sqrt(dt) * noise
    returns[0] = 0.0
    index = pd.date_range(spec.start, periods=spec.n_periods, freq=_FREQ[spec.periods_per_year])
    index.name = "date"
    labels = np.array(REGIMES, dtype=object)[codes]
    return SyntheticMarket(
        yields=pd.Series(yields, index=index, name="yield"),
        spread=pd.Series(spread, index=index, name="spread"),
        prices=pd.DataFrame(
            np.cumprod(1.0 + returns, axis=0), index=index, columns=list(spec.assets)
        ),
        regimes=pd.Series(labels, index=index, name="regime", dtype="str"),
        durations=pd.Series(duration, index=list(spec.assets), name="duration"),
        credit_betas=pd.Series(beta, index=list(spec.assets), name="credit_beta"),
    )
