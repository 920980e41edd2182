"""The engine: validated target weights in, an immutable :class:`BacktestResult` out.

The engine alone applies the execution lag: targets decided at the close of bar
``t`` are traded at the close of bar ``t + execution_lag``. Weights must be
finite, >= 0 and sum to <= 1 (no leverage, no shorting); whatever a row leaves
unallocated is held in the cash asset, so idle money earns the bill rate. Before
the first executed decision the portfolio holds the cash asset.

Value path, returns and turnover follow :mod:`backtest.engine._accounting` (one
place, shared with any other executor of these rules): ``values[0]`` is the initial
capital, so with ``execution_lag = 0`` the first trade and its costs fall into the
first reported return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.config import CostModel
from backtest.engine._accounting import bar_turnover, net_returns, value_path
from backtest.engine._native import simulate as simulate_on_kernel
from backtest.engine._vbt import simulate
from backtest.engine.result import ENGINES, BacktestResult, Engine, PlotKind
from backtest.errors import DataError, StrategyError
from backtest.strategy import Decision

__all__ = [
    "ENGINES",
    "BacktestResult",
    "Engine",
    "PlotKind",
    "bar_turnover",
    "execute_targets",
    "net_returns",
    "run_backtest",
    "validate_weights",
    "value_path",
]

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
    engine: Engine = "vectorbt",
) -> BacktestResult:
    """Execute a strategy's decision on ``prices`` (the trading window, no NaN).

    ``engine`` executes the rules: ``"vectorbt"`` (the engine of record: ``run``,
    ``compare``) or ``"kernel"``, the project's numba kernel (the sweep's), tested
    equal to vectorbt (1e-10) for every strategy kind and cost setting; it spares
    vectorbt's import (~2 s) where a person waits for the answer (``thesis``).
    """
    if prices.isna().to_numpy().any():
        bad = prices.columns[prices.isna().any()].tolist()
        raise StrategyError(f"strategy {label!r}: prices missing inside the window for {bad}")
    level = prices.to_numpy(dtype="float64")
    wrong = ~np.isfinite(level) | (level <= 0)
    if wrong.any():  # the data layer rejects these first; never hand them to vectorbt
        row, col = (int(i[0]) for i in np.nonzero(wrong))
        raise DataError(
            f"{prices.columns[col]}: the price level on {prices.index[row].date()} is "
            f"{level[row, col]:g}; prices must be finite and > 0"
        )
    targets = validate_weights(decision.weights.reindex(columns=prices.columns), label)
    targets = targets.reindex(prices.index)
    if engine == "kernel":
        sim = simulate_on_kernel(
            prices, targets, cash=cash, execution_lag=execution_lag,
            fees=costs.fees_bps / 1e4, slippage=costs.slippage_bps / 1e4,
            initial_capital=initial_capital,
        )
    elif engine == "vectorbt":
        is_cash = (prices.columns == cash).astype(float)
        sim = simulate(
            prices,
            execute_targets(targets, cash, execution_lag),
            fees=costs.fees_bps / 1e4 * (1.0 - is_cash),
            slippage=costs.slippage_bps / 1e4 * (1.0 - is_cash),
            initial_capital=initial_capital,
            days_per_bar=365.25 / periods_per_year,
        )
    else:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    index = prices.index
    values = value_path(sim.value.to_numpy(), initial_capital)
    turnover = bar_turnover(
        sim.traded_value.to_numpy(),
        sim.pre_trade_value.to_numpy(),
        float(sim.asset_value[cash].iloc[0]),
    )
    cash_returns = prices[cash].pct_change().iloc[1:]
    risk_off = None
    if decision.risk_off is not None:
        risk_off = decision.risk_off.reindex(index).iloc[1:]
    return BacktestResult(
        label=label,
        kind=kind,
        returns=pd.Series(net_returns(values), index=index[1:], name=label),
        values=pd.Series(values, index=index, name=label),
        weights=sim.asset_value.div(sim.value, axis=0),
        targets=targets,
        turnover=pd.Series(turnover, index=index, name="turnover"),
        cash_returns=cash_returns.rename("cash"),
        risk_off=risk_off,
        periods_per_year=periods_per_year,
        execution_lag=execution_lag,
        costs=costs,
        engine=engine,
    )
