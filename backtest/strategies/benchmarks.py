"""Benchmarks: buy-and-hold, static mix, always-short-duration and the 10-month trend rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from backtest.errors import ConfigError
from backtest.signals import months_to_bars
from backtest.strategies._common import check_assets, no_trade_except
from backtest.strategy import (
    BatchDecision,
    Decision,
    MarketData,
    Rebalance,
    check_calendar_schedule,
    rebalance_mask,
    trade_mask,
)

__all__ = ["AlwaysShort", "BuyAndHold", "StaticMix", "TrendRule"]


def _scheduled(target: pd.DataFrame, schedule: Rebalance) -> pd.DataFrame:
    return no_trade_except(target, rebalance_mask(target.index, schedule))


@dataclass(frozen=True, kw_only=True)
class BuyAndHold:
    """Hold one asset, or one sleeve at equal weights, from the first bar.

    Parameters
    ----------
    asset : str or None
        An asset alias; exactly one of ``asset`` and ``sleeve`` is given.
    sleeve : {"long", "short", "cash"} or None
        A duration sleeve, held at equal weights (with empirical sleeves, its
        members as ranked at each rebalance).
    rebalance : {"never", "every_bar", "weekly", "monthly"}
        ``never`` lets the weights drift (true buy and hold: a ranked sleeve keeps
        its first members).
    """

    name: ClassVar[str] = "buy_and_hold"
    asset: str | None = None
    sleeve: Literal["long", "short", "cash"] | None = None
    rebalance: Rebalance = "never"

    def __post_init__(self) -> None:
        if (self.asset is None) == (self.sleeve is None):
            raise ConfigError("buy_and_hold: give exactly one of asset or sleeve")
        check_calendar_schedule(self.rebalance, self.name)

    def decide(self, market: MarketData) -> Decision:
        """Constant targets, traded on the rebalance schedule."""
        if self.sleeve is not None:
            target = market.sleeve(self.sleeve)
        else:
            asset = str(self.asset)
            check_assets([asset], market, "buy_and_hold")
            target = pd.DataFrame(0.0, index=market.index, columns=market.prices.columns)
            target[asset] = 1.0
        return Decision(weights=_scheduled(target, self.rebalance))


@dataclass(frozen=True, kw_only=True)
class AlwaysShort:
    """Always hold the short-duration sleeve: ``buy_and_hold`` with ``sleeve = "short"``.

    The benchmark the rotation has to beat when the short-duration sleeve wins on
    its own (it did on the embedded 1949–2017 data).

    Parameters
    ----------
    rebalance : {"monthly", "every_bar", "weekly", "never"}
        As in :class:`BuyAndHold`.
    """

    name: ClassVar[str] = "always_short"
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        check_calendar_schedule(self.rebalance, self.name)

    def decide(self, market: MarketData) -> Decision:
        """The short-duration sleeve on the schedule."""
        return BuyAndHold(sleeve="short", rebalance=self.rebalance).decide(market)


@dataclass(frozen=True, kw_only=True)
class StaticMix:
    """Fixed weights (e.g. 60/40 market/cash), restored on the rebalance schedule.

    Parameters
    ----------
    weights : mapping of str to float
        Asset alias → weight; weights are >= 0 and sum to <= 1 (the rest is cash).
    rebalance : {"monthly", "every_bar", "weekly", "never"}
    """

    name: ClassVar[str] = "static_mix"
    weights: Mapping[str, float] = field(default_factory=dict)
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        if not self.weights:
            raise ConfigError("static_mix: weights must name at least one asset")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) > 1 + 1e-12:
            raise ConfigError("static_mix: weights must be >= 0 and sum to <= 1")
        check_calendar_schedule(self.rebalance, self.name)

    def decide(self, market: MarketData) -> Decision:
        """The fixed mix on every rebalance date."""
        check_assets(list(self.weights), market, "static_mix")
        target = pd.DataFrame(0.0, index=market.index, columns=market.prices.columns)
        for asset, w in self.weights.items():
            target[asset] = w
        return Decision(weights=_scheduled(target, self.rebalance))


@dataclass(frozen=True, kw_only=True)
class TrendRule:
    r"""Hold a sleeve while its total-return index is above its moving average, else cash.

    The sleeve's total-return index ``P_t`` compounds the returns of its
    equal-weight members as known at the previous close,
    ``R_t = Σ_i w_{i,t-1} r_{i,t}``, over the whole calendar (history before the
    window feeds the average). The strategy holds the sleeve while
    ``P_t > MA_n(P)_t`` (the mean of the last ``n`` values, ``P_t`` included) and
    ``risk_off_sleeve`` otherwise, including before the average exists.
    ``n = round(lookback_months · periods_per_year / 12)`` bars: 10 monthly, 43
    weekly, 210 business-daily.

    With ``rebalance`` weekly or monthly the rule is checked only at the first bar
    of each week or month and held in between (Faber checks month-end closes); with
    ``every_bar``, ``never`` or ``on_change`` it is checked on every bar and trades
    when it flips.

    Parameters
    ----------
    sleeve : {"long", "short"}
        The sleeve the rule times.
    lookback_months : int
        Length of the moving average in months (converted to bars).
    risk_off_sleeve : {"cash", "short"}
        Held while the index is at or below its average.
    rebalance : {"monthly", "every_bar", "weekly", "never", "on_change"}

    References
    ----------
    .. [1] Faber, M. T. (2007), "A Quantitative Approach to Tactical Asset
       Allocation", *Journal of Wealth Management* 9(4), 69–79 (10-month SMA).
    """

    name: ClassVar[str] = "trend_rule"
    sleeve: Literal["long", "short"] = "long"
    lookback_months: int = 10
    risk_off_sleeve: Literal["cash", "short"] = "cash"
    rebalance: Rebalance = "monthly"

    def __post_init__(self) -> None:
        if self.lookback_months < 1:
            raise ConfigError(f"trend_rule: lookback_months must be >= 1, "
                              f"got {self.lookback_months}")
        if self.sleeve == self.risk_off_sleeve:
            raise ConfigError("trend_rule: sleeve and risk_off_sleeve must differ")

    def risk_off(self, market: MarketData) -> pd.Series:
        """True where the sleeve's index is not above its moving average (on the window)."""
        level = _sleeve_index(market.sleeves.get(self.sleeve), market.prices)
        n = months_to_bars(self.lookback_months, market.periods_per_year)
        above = level > level.rolling(n, min_periods=n).mean()
        state = (~above).reindex(market.index, fill_value=True)
        if self.rebalance in ("weekly", "monthly"):
            checked = rebalance_mask(market.index, self.rebalance)
            state = state.where(checked).ffill().astype(bool)
        return state.rename("risk_off")

    def decide(self, market: MarketData) -> Decision:
        """The sleeve when above its average, ``risk_off_sleeve`` when not."""
        state = self.risk_off(market)
        on = market.sleeve(self.sleeve)
        off = market.sleeve(self.risk_off_sleeve)
        flags = np.broadcast_to(state.to_numpy(dtype=bool)[:, None], on.shape)
        weights = off.where(flags, on)
        trade = trade_mask(market.index, self.rebalance, state)
        return Decision(weights=no_trade_except(weights, trade), risk_off=state)

    @classmethod
    def decide_batch(cls, strategies: Sequence[TrendRule], market: MarketData) -> BatchDecision:
        """Every strategy's ``decide`` at once: row ``i`` is ``strategies[i].decide(market)``.

        The rule is evaluated once per distinct sleeve, look-back and checking schedule.
        """
        from backtest.strategies._batch import SLEEVES, sleeve_frames, trade_masks

        states = np.empty((len(strategies), len(market.index)), dtype=bool)
        rules: dict[tuple[str, int, str], np.ndarray] = {}
        for i, s in enumerate(strategies):
            checked = s.rebalance if s.rebalance in ("weekly", "monthly") else "every_bar"
            key = (s.sleeve, s.lookback_months, checked)
            if key not in rules:
                rules[key] = s.risk_off(market).to_numpy(dtype=bool)
            states[i] = rules[key]
        return BatchDecision(
            frames=sleeve_frames(market),
            first=np.array([SLEEVES.index(s.sleeve) for s in strategies], dtype=np.int64),
            second=np.array([SLEEVES.index(s.risk_off_sleeve) for s in strategies], dtype=np.int64),
            a=(~states).astype("float64"),
            b=states.astype("float64"),
            trade=trade_masks(market.index, [s.rebalance for s in strategies], states),
            risk_off=states,
        )


def _sleeve_index(members: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """Total-return index of a sleeve held with the previous close's membership.

    NaN until the first bar with a known return: a bar whose membership is unknown,
    or where a member (weight > 0) has no return, breaks the index (NaN there).
    """
    held = members.reindex(index=prices.index, columns=prices.columns).shift(1).to_numpy()
    rets = prices.pct_change(fill_method=None).to_numpy()
    member = np.nan_to_num(held) > 0
    contribution = np.where(member, np.nan_to_num(held) * rets, 0.0)
    invalid = np.isnan(held).all(axis=1) | (member & np.isnan(rets)).any(axis=1)
    sleeve_ret = pd.Series(np.where(invalid, np.nan, contribution.sum(axis=1)), index=prices.index)
    return (1.0 + sleeve_ret).cumprod()
