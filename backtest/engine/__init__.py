"""The engine: validated target weights in, an immutable :class:`BacktestResult` out.

The engine alone applies the execution lag: targets decided at the close of bar
``t`` are traded at the close of bar ``t + execution_lag``. Weights must be
finite, >= 0 and sum to <= 1 (no leverage, no shorting); whatever a row leaves
unallocated is held in the cash asset, so idle money earns the bill rate. Before
the first executed decision the portfolio holds the cash asset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.config import CostModel
from backtest.engine._accounting import net_returns, one_way_turnover, value_path
from backtest.engine._vbt import simulate
from backtest.engine.result import BacktestResult, PlotKind
from backtest.errors import StrategyError
from backtest.strategy import Decision

__all__ = ["BacktestResult", "PlotKind", "execute_targets", "run_backtest", "validate_weights"]

_TOL = 1e-9


def validate_weights(weights: pd.DataFrame, label: str) -> pd.DataFrame:
    """Check target weights; return them with tiny negative round-off clipped to 0.

    Raises
    ------
    StrategyError
        Naming the strategy and the first offending date: a row partly NaN, a
        non-finite or negative weight, or a row summing to more than 1.
    """
    values = weights.to_numpy(dtype="float64")
    rows = ~np.isnan(values).all(axis=1)
    checks = [
        (np.isnan(values).any(axis=1) & rows,
         "has NaN for some assets (use an all-NaN row for no trade)"),
        (np.isinf(values).any(axis=1), "has an infinite weight"),
        ((values < -_TOL).any(axis=1), "has a negative weight (shorting is not allowed)"),
        (np.nansum(values, axis=1) > 1 + _TOL, "sums to more than 1 (leverage is not allowed)"),
    ]
    for bad, what in checks:
        if bad.any():
            i = int(np.argmax(bad))
            raise StrategyError(f"strategy {label!r}: weights on {weights.index[i].date()} {what}")
    return weights.clip(lower=0.0)


def execute_targets(targets: pd.DataFrame, cash: str, execution_lag: int) -> pd.DataFrame:
    """Shift validated targets by the execution lag and fill the remainder with cash.

    Row ``t`` of the output is what is traded at the close of bar ``t``. The first
    bar holds the cash asset unless a decision executes there (lag 0).
    """
    executed = targets.shift(execution_lag)
    trade = ~executed.isna().all(axis=1)
    residual = 1.0 - executed.loc[trade].sum(axis=1)
    executed.loc[trade, cash] = executed.loc[trade, cash] + residual.clip(lower=0.0)
    if not trade.iloc[0]:
        executed.iloc[0] = 0.0
        executed.iloc[0, executed.columns.get_loc(cash)] = 1.0
    return executed


def run_backtest(
    decision: Decision,
    prices: pd.DataFrame,
    *,
    cash: str,
    costs: CostModel,
    execution_lag: int,
    periods_per_year: int,
    initial_capital: float = 1.0,
    label: str = "strategy",
    kind: str = "custom",
) -> BacktestResult:
    """Execute a strategy's decision on ``prices`` (the trading window, no NaN)."""
    if prices.isna().to_numpy().any():
        bad = prices.columns[prices.isna().any()].tolist()
        raise StrategyError(f"strategy {label!r}: prices missing inside the window for {bad}")
    targets = validate_weights(decision.weights.reindex(columns=prices.columns), label)
    targets = targets.reindex(prices.index)
    executed = execute_targets(targets, cash, execution_lag)
    is_cash = (prices.columns == cash).astype(float)
    sim = simulate(
        prices,
        executed,
        fees=costs.fees_bps / 1e4 * (1.0 - is_cash),
        slippage=costs.slippage_bps / 1e4 * (1.0 - is_cash),
        initial_capital=initial_capital,
        days_per_bar=365.25 / periods_per_year,
    )
    after = sim.value.to_numpy()
    values = value_path(after, initial_capital)
    cash_returns = prices[cash].pct_change().iloc[1:]
    risk_off = None
    if decision.risk_off is not None:
        risk_off = decision.risk_off.reindex(prices.index).iloc[1:]
    return BacktestResult(
        label=label,
        kind=kind,
        returns=pd.Series(net_returns(values), index=prices.index[1:], name=label),
        values=pd.Series(values, index=prices.index, name=label),
        weights=sim.asset_value.div(sim.value, axis=0),
        targets=targets,
        turnover=pd.Series(one_way_turnover(sim.traded_value.to_numpy(), after),
                           index=prices.index, name="turnover"),
        cash_returns=cash_returns.rename("cash"),
        risk_off=risk_off,
        periods_per_year=periods_per_year,
        execution_lag=execution_lag,
        costs=costs,
    )
