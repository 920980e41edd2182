"""Duration targeting: the portfolio's duration falls linearly as the cost of capital rises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.strategies._common import (
    composite_on_window,
    no_trade_except,
    signal_fraction,
    validate_band,
)
from backtest.strategy import (
    BatchDecision,
    Decision,
    MarketData,
    Rebalance,
    SwitchLevels,
    trade_mask,
)

__all__ = ["DurationTargeting"]

_EPS_YEARS = 1e-9


@dataclass(frozen=True, kw_only=True)
class DurationTargeting:
    r"""Choose sleeve weights so that the portfolio's duration tracks a signal-driven target.

    Target duration, in years, falls linearly from ``duration_max_years`` when the
    composite is at or below ``signal_low`` to ``duration_min_years`` at or above
    ``signal_high``:

    .. math:: D^*_t = D_{max} - (D_{max} - D_{min})\,
              \mathrm{clip}\!\left(\frac{s_t - s_{low}}{s_{high} - s_{low}}, 0, 1\right)

    With ``D_L``, ``D_S`` the durations of the long and short sleeves at ``t``
    (weighted means of their members' durations) and cash at duration 0, the
    weights are the fully invested long/short mix with duration ``D*`` when
    ``D_S <= D* <= D_L``; all long when ``D* > D_L`` (no leverage); and
    ``D*/D_S`` in the short sleeve, the rest in cash, when ``D* < D_S``.

    Per-asset durations are ``durations_years`` when given (constant, e.g. from
    a DCF or a bond's modified duration), else the empirical estimates that
    ``[sleeves] yield_series`` makes, each known at its date. A bar where a
    sleeve member has no estimate, or where ``D_L <= D_S``, is not traded (the
    previous holdings drift). The strategy counts as risk-off while ``D*`` is
    below the midpoint of the bounds.

    Parameters
    ----------
    duration_max_years, duration_min_years : float
        Bounds of the target; ``0 <= min < max``.
    signal_low, signal_high : float
        Composite levels (z-score units) where the target leaves ``max`` and
        reaches ``min``; ``low < high``.
    durations_years : mapping of str to float
        Asset alias → duration in years; must cover every sleeve member. Empty:
        use the sleeves' estimates.
    rebalance : {"monthly", "every_bar", "weekly", "never", "on_change"}
        When to reset to the target; a flip of the risk-off state always trades.
    """

    name: ClassVar[str] = "duration_targeting"
    duration_max_years: float = 20.0
    duration_min_years: float = 2.0
    signal_low: float = -1.0
    signal_high: float = 1.0
    durations_years: Mapping[str, float] = field(default_factory=dict)
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        validate_band(self.name, self.signal_low, self.signal_high, ("signal_low", "signal_high"))
        if not 0.0 <= self.duration_min_years < self.duration_max_years:
            raise ConfigError(
                f"{self.name}: need 0 <= duration_min_years < duration_max_years, got "
                f"{self.duration_min_years} and {self.duration_max_years}"
            )
        if any(not np.isfinite(v) for v in self.durations_years.values()):
            raise ConfigError(f"{self.name}: durations_years must be finite numbers")

    def target_years(self, market: MarketData) -> pd.Series:
        """Target duration ``D*_t`` in years on the trading window."""
        return self._target(composite_on_window(market))

    def _target(self, composite: pd.Series) -> pd.Series:
        f = signal_fraction(composite, low=self.signal_low, high=self.signal_high, shape="linear")
        return self._target_of(f)

    def _target_of(self, f: pd.Series) -> pd.Series:
        """``D* = D_max - (D_max - D_min) · f`` from the signal map ``f``."""
        span = self.duration_max_years - self.duration_min_years
        return (self.duration_max_years - span * f).rename("target_years")

    def risk_off_state(self, composite: pd.Series) -> pd.Series:
        """Risk-off while the target is below the bounds' midpoint (NaN keeps the last value)."""
        midpoint = 0.5 * (self.duration_max_years + self.duration_min_years)
        return (self._target(composite.ffill()) < midpoint).rename("risk_off")

    def switch_levels(self) -> SwitchLevels:
        """The target crosses the midpoint where the composite crosses its band's midpoint."""
        mid = 0.5 * (self.signal_low + self.signal_high)
        return SwitchLevels(mid, mid, 1)

    def _asset_durations(self, market: MarketData, members: list[str]) -> pd.DataFrame:
        if self.durations_years:
            missing = [a for a in members if a not in self.durations_years]
            unknown = [a for a in self.durations_years if a not in market.prices.columns]
            if missing or unknown:
                raise ConfigError(
                    f"{self.name}: durations_years "
                    + (f"lacks sleeve members {missing}" if missing else "")
                    + ("; " if missing and unknown else "")
                    + (f"names unknown assets {unknown}" if unknown else "")
                )
            row = pd.Series(self.durations_years, dtype="float64")
            row = row.reindex(market.prices.columns)
            return pd.DataFrame(
                np.tile(row.to_numpy(), (len(market.index), 1)),
                index=market.index,
                columns=market.prices.columns,
            )
        if market.sleeves.durations is None:
            raise ConfigError(
                f"{self.name} needs duration estimates: give durations_years = "
                "{ASSET = years, ...} in its table, or set [sleeves] yield_series and "
                "window so that empirical durations are estimated"
            )
        return market.sleeves.durations.reindex(
            index=market.index, columns=market.prices.columns
        )

    def _sleeve_durations(
        self, market: MarketData
    ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
        """Long and short sleeves on the window and their durations ``D_L``, ``D_S``."""
        long, short = market.sleeve("long"), market.sleeve("short")
        held = (long.fillna(0.0) > 0) | (short.fillna(0.0) > 0)
        members = [str(c) for c in held.columns[held.any().to_numpy()]]
        durations = self._asset_durations(market, members).to_numpy()
        return (long, short, _sleeve_duration(long.to_numpy(), durations),
                _sleeve_duration(short.to_numpy(), durations))

    def _mix(
        self, target: np.ndarray, d_long: np.ndarray, d_short: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coefficients ``a`` (long sleeve), ``b`` (short sleeve) and the tradable rows."""
        ok = np.isfinite(target) & np.isfinite(d_long) & np.isfinite(d_short)
        ok &= d_long - d_short > _EPS_YEARS
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.clip((target - d_short) / (d_long - d_short), 0.0, 1.0)
            b = np.where(target >= d_short, 1.0 - a, target / d_short)
        return np.where(ok, a, np.nan), np.where(ok, b, np.nan), ok

    def decide(self, market: MarketData) -> Decision:
        """Long/short/cash weights whose duration is the target (see the class notes)."""
        long, short, d_long, d_short = self._sleeve_durations(market)
        target = self.target_years(market)
        a, b, ok = self._mix(target.to_numpy(), d_long, d_short)
        weights = long.fillna(0.0) * a[:, None] + short.fillna(0.0) * b[:, None]
        weights[~ok] = np.nan
        state = self.risk_off_state(market.signal["composite"]).reindex(market.index)
        trade = trade_mask(market.index, self.rebalance, state)
        return Decision(weights=no_trade_except(weights, trade), risk_off=state)

    @classmethod
    def decide_batch(
        cls, strategies: Sequence[DurationTargeting], market: MarketData
    ) -> BatchDecision:
        """Every strategy's ``decide`` at once: row ``i`` is ``strategies[i].decide(market)``.

        Sleeve durations are computed once per distinct ``durations_years``, the
        signal map once per distinct ``(signal_low, signal_high)``.
        """
        from backtest.strategies._batch import exact_key, trade_masks

        composite, full = composite_on_window(market), market.signal["composite"]
        shape = (len(strategies), len(market.index))
        a, b = np.empty(shape), np.empty(shape)
        ok, states = np.empty(shape, dtype=bool), np.empty(shape, dtype=bool)
        sleeves: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
        fractions: dict[tuple[object, ...], pd.Series] = {}
        rules: dict[tuple[object, ...], np.ndarray] = {}
        for i, s in enumerate(strategies):
            key = exact_key(*sorted(s.durations_years.items()))
            if key not in sleeves:
                sleeves[key] = s._sleeve_durations(market)[2:]
            band = exact_key(s.signal_low, s.signal_high)
            if band not in fractions:
                fractions[band] = signal_fraction(
                    composite, low=s.signal_low, high=s.signal_high, shape="linear"
                )
            rule = (*band, *exact_key(s.duration_max_years, s.duration_min_years))
            if rule not in rules:
                rules[rule] = s.risk_off_state(full).reindex(market.index).to_numpy(dtype=bool)
            target = s._target_of(fractions[band])
            a[i], b[i], ok[i] = s._mix(target.to_numpy(), *sleeves[key])
            states[i] = rules[rule]
        trade = trade_masks(market.index, [s.rebalance for s in strategies], states) & ok
        sleeve = [market.sleeve(name).fillna(0.0).to_numpy() for name in ("long", "short")]
        return BatchDecision(
            frames=np.stack(sleeve),
            first=np.zeros(len(strategies), dtype=np.int64),
            second=np.ones(len(strategies), dtype=np.int64),
            a=a,
            b=b,
            trade=trade,
            risk_off=states,
        )


def _sleeve_duration(weights: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Weighted duration per row; NaN if the row is unknown or a member lacks an estimate."""
    member = np.nan_to_num(weights) > 0
    missing = (member & np.isnan(durations)).any(axis=1) | np.isnan(weights).all(axis=1)
    total = np.where(member, np.nan_to_num(weights) * np.nan_to_num(durations), 0.0).sum(axis=1)
    return np.where(missing, np.nan, total)
