"""A numba kernel of the engine's accounting, for many strategies in one call.

The vectorbt adapter (:mod:`backtest.engine._vbt`) stays the reference for
``backtest run``; this kernel re-implements the same rules for sweeps, where
vectorbt's per-call overhead and its memory (one column per trial) dominate.

Rules, as :func:`backtest.engine.run_backtest` applies them:

* Target weights decided at the close of bar ``d`` trade at the close of bar
  ``d + execution_lag``; a row of NaN (or a bar without a decision) is no trade;
  before the first executed decision the portfolio holds the cash asset.
* Validated targets are clipped at 0 and the remainder of a traded row
  (``1 - sum``, if positive) is added to the cash asset.
* Orders are target percentages of the value before the bar's trades, at the
  close; sells before buys, ordered by signed order value (vectorbt's
  ``call_seq="auto"``: a stable insertion sort); fill = close × (1 ± slippage);
  fees on the filled value; the last buy is cut to the cash left.
* vectorbt's float tolerances are mirrored on purpose (``vectorbt.utils.math_``:
  relative 1e-9, absolute 1e-12): cash and positions within 1e-12 of zero snap
  to zero before each order, a buy whose cost is within 1e-9 of the cash left is
  filled in full, a sub-1e-12 order is ignored. The reported value is rebuilt
  from the order flows as vectorbt's ``Portfolio.value()`` does (cash flows and
  asset flows accumulated with the same snapping), not from the in-simulation
  state.

Everything is single-threaded (``parallel=False``): executors parallelize over
chunks of trials, and a trial's numbers never depend on which chunk it ran in.
The bar loop is one long function on purpose: a numba call that passes arrays
costs their reference counting, measured at ~70 ns per bar (more than the
accounting itself), so only scalar helpers are called from it, inlined
(``inline="always"``: as calls, a bar without a trade cost 1.7 times as much).

Metrics: sweeps do not take ``values``, ``traded`` and ``pre`` out of numba.
:func:`backtest.engine._kernel_metrics.simulate_measured` runs :func:`_simulate_one`
into scratch rows and measures each trial while its rows are in cache: net returns,
the turnover split and every :class:`~backtest.metrics.Metric` but
``share_risk_off``, each by the operations of the empyrical path in the same order
(bottleneck's sequential means and two-pass deviations, numpy's pairwise mean for
turnover, the ``NUMERICAL_ZERO`` guards, ddof=1, ``ppy`` annualization, max drawdown
on ``100 * cumprod(1 + r)``); equal to ``compute_metrics_batch`` to the bit but for
an ulp of CAGR, Calmar and alpha (tested at 1e-12), see that module.

References
----------
.. [1] vectorbt 1.2, ``vectorbt/portfolio/nb.py``: ``simulate_from_orders_nb``,
   ``execute_order_nb``, ``buy_nb``, ``sell_nb``, ``cash_flow_nb``, ``asset_flow_nb``
   (``Portfolio.value`` values assets with ``direction="both"``: the flow is the signed
   order size, not the long-only position change, which snaps relative changes below 1e-9).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["CHECK_NAMES", "simulate_compact"]

_REL, _ABS = 1e-9, 1e-12
_WEIGHT_TOL = 1e-9  # validate_weights' tolerance for negatives and sums above 1

#: Codes of the weight checks, in the order ``validate_weights`` applies them.
CHECK_NAMES = ("ok", "partly NaN", "infinite", "negative", "sum above 1")

Floats = npt.NDArray[np.float64]


@njit(cache=True, inline="always")
def _is_close(a: float, b: float) -> bool:
    """Approximate equality, as vectorbt's ``is_close_nb``."""
    if not (np.isfinite(a) and np.isfinite(b)):  # NaN or infinite
        return False
    if a == b:
        return True
    return abs(a - b) <= max(_REL * max(abs(a), abs(b)), _ABS)


@njit(cache=True, inline="always")
def _snap(a: float) -> float:
    """``_add(a, 0.0)`` = ``_add(0.0, a)``: zero within the absolute tolerance, else ``a``."""
    return 0.0 if abs(a) <= _ABS else a


@njit(cache=True, inline="always")
def _sign(a: float) -> float:
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)


@njit(cache=True, inline="always")
def _add(a: float, b: float) -> float:
    """Sum as vectorbt's ``add_nb``: within tolerance of zero it is exactly zero."""
    zero = _is_close(abs(a), abs(b)) if _sign(a) != _sign(b) else _is_close(a + b, 0.0)
    return 0.0 if zero else a + b


@njit(cache=True, inline="always")
def _order(cash, pos, weight, value, price, fee, slip):  # type: ignore[no-untyped-def]
    """One target-percent order (vectorbt ``execute_order_nb``, long only, no fixed fees).

    Returns ``(cash, position, signed filled size, fill price, fees)``: the new cash
    and position snapped as vectorbt snaps them, size 0 when nothing was filled.
    """
    cash, pos, value = _snap(cash), _snap(pos), _snap(value)
    if np.isnan(weight) or np.isnan(value) or value <= 0.0:
        return cash, pos, 0.0, 0.0, 0.0
    size = weight * value
    size /= price
    size -= pos
    if size > 0.0:  # buy, cut to the cash left
        adj_price = price * (1.0 + slip)
        if cash == 0.0 or abs(size) <= _ABS:
            return cash, pos, 0.0, 0.0, 0.0
        req_cash = size * adj_price
        req_fees = req_cash * fee + 0.0
        total = req_cash + req_fees
        if total < cash or _is_close(total, cash):
            return _add(cash, -total), _add(pos, size), size, adj_price, req_fees
        max_req_cash = _snap(cash) / (1.0 + fee)
        if max_req_cash <= 0.0:
            return cash, pos, 0.0, 0.0, 0.0
        final_size = max_req_cash / adj_price
        return _add(cash, -cash), _add(pos, final_size), final_size, adj_price, cash - max_req_cash
    adj_price = price * (1.0 - slip)  # sell (long only: never below zero)
    size_limit = min(pos, -size)
    if pos == 0.0 or abs(size_limit) <= _ABS:
        return cash, pos, 0.0, 0.0, 0.0
    acq_cash = size_limit * adj_price
    fees_paid = acq_cash * fee + 0.0
    final_acq = _add(acq_cash, -fees_paid)
    if final_acq < 0.0:
        return cash, pos, 0.0, 0.0, 0.0
    return cash + final_acq, _add(pos, -size_limit), -size_limit, adj_price, fees_paid


@njit(cache=True)
def _simulate_one(close, frames, p, q, a, b, trade, cash_col,  # type: ignore[no-untyped-def]
                  lag, fee, slip, init_cash, values, traded, pre, status, firsts):
    """One trial; array arguments are indexed, never sliced, in the bar loop (speed)."""
    n, k = close.shape
    pos = np.zeros(k)  # in-simulation state: drives the order sizes
    cash = init_cash
    assets = np.zeros(k)  # post-hoc state: what vectorbt's Portfolio.value() reports
    cash_rep = init_cash
    ring = np.empty((lag + 1, k))  # decided targets of rows t - lag .. t
    decided = np.zeros(lag + 1, dtype=np.bool_)
    checks = np.full(5, -1)
    w = np.empty(k)
    order_value = np.empty(k)
    seq = np.empty(k, dtype=np.int64)
    cash_flow = np.empty(k)
    asset_flow = np.empty(k)
    fees = np.full(k, fee)
    slips = np.full(k, slip)
    fees[cash_col], slips[cash_col] = 0.0, 0.0  # the cash asset trades free
    first_decision = -1
    for t in range(n):
        # value before this close's trades: last close's cash and shares at this close
        if t == 0:
            pre[t] = init_cash
        else:
            held = 0.0
            for j in range(k):
                if assets[j] != 0.0:
                    held += assets[j] * close[t, j]
            pre[t] = cash_rep + held
        # decision row t: validate_weights' checks (a row partly NaN, an infinite
        # weight, one below -1e-9, a sum above 1 + 1e-9; the first failing row of
        # each), then kept until it executes; an all-NaN row is no trade
        slot = t % (lag + 1)
        decided[slot] = False
        if trade[t]:
            at, bt = a[t], b[t]
            all_nan, any_nan, total = True, False, 0.0
            for j in range(k):
                if at == 0.0:
                    x = bt * frames[q, t, j]
                elif bt == 0.0:
                    x = at * frames[p, t, j]
                else:
                    x = at * frames[p, t, j] + bt * frames[q, t, j]
                if np.isnan(x):
                    any_nan = True
                else:
                    all_nan = False
                    if np.isinf(x) and checks[2] < 0:
                        checks[2] = t
                    if x < -_WEIGHT_TOL and checks[3] < 0:
                        checks[3] = t
                    total += x
                ring[slot, j] = x
            if not all_nan:
                decided[slot] = True
                if first_decision < 0:
                    first_decision = t
                if any_nan and checks[1] < 0:
                    checks[1] = t
                if total > 1.0 + _WEIGHT_TOL and checks[4] < 0:
                    checks[4] = t
        d = t - lag
        executed = d >= 0 and decided[d % (lag + 1)]
        if executed:  # row d clipped at 0, the remainder to the cash asset
            total = 0.0
            for j in range(k):
                x = ring[d % (lag + 1), j]
                if x < 0.0:
                    x = 0.0
                w[j] = x
                total += x
            if 1.0 - total > 0.0:
                w[cash_col] = w[cash_col] + (1.0 - total)
        elif t == 0:  # bar 0 without a decision holds the cash asset
            for j in range(k):
                w[j] = 0.0
            w[cash_col] = 1.0
            executed = True
        if not executed:
            # NaN orders: vectorbt snaps cash and positions, then ignores them; the
            # reported cash and assets take a zero flow (which snaps them too)
            cash = _snap(cash)
            cash_rep = _snap(cash_rep)
            asset_value = 0.0
            for j in range(k):
                pos[j] = _snap(pos[j])
                assets[j] = _snap(assets[j])
                if assets[j] != 0.0:
                    asset_value += assets[j] * close[t, j]
            values[t] = cash_rep + asset_value
            traded[t] = 0.0
            continue
        value = cash
        for j in range(k):
            if pos[j] != 0.0:
                value += pos[j] * close[t, j]
        # vectorbt's auto call sequence: stable insertion sort by signed order value
        for j in range(k):
            order_value[j] = w[j] * value - pos[j] * close[t, j]
            seq[j] = j
            cash_flow[j] = 0.0
            asset_flow[j] = 0.0
        for j in range(1, k):
            v, s = order_value[j], seq[j]
            m = j - 1
            while m >= 0 and (order_value[m] > v or np.isnan(order_value[m])):
                order_value[m + 1] = order_value[m]
                seq[m + 1] = seq[m]
                m -= 1
            order_value[m + 1] = v
            seq[m + 1] = s
        turnover = 0.0
        for m in range(k):
            j = seq[m]
            cash, pos[j], size, fill, paid = _order(
                cash, pos[j], w[j], value, close[t, j], fees[j], slips[j])
            if size == 0.0:
                continue
            turnover += abs(size * fill)
            cash_flow[j] = _snap(-size * fill - paid)
            asset_flow[j] = _snap(size)  # asset_value(direction="both"): the signed size
        group_flow = 0.0
        for j in range(k):
            group_flow += cash_flow[j]
        cash_rep = _add(cash_rep, group_flow)
        asset_value = 0.0
        for j in range(k):
            assets[j] = _add(assets[j], asset_flow[j])
            if assets[j] != 0.0:
                asset_value += assets[j] * close[t, j]
        values[t] = cash_rep + asset_value
        traded[t] = turnover
        if t == 0:  # the cash asset held after the first close's trades
            firsts[0] = assets[cash_col] * close[0, cash_col] if assets[cash_col] != 0.0 else 0.0
    firsts[1] = first_decision
    status[0], status[1] = 0, -1
    for c in range(1, 5):
        if checks[c] >= 0:
            status[0], status[1] = c, checks[c]
            break


@njit(cache=True)
def simulate_compact(close, frames, first, second, a, b, trade, cash_col,  # type: ignore[no-untyped-def]
                     lag, fee, slip, init_cash, values, traded, pre, status, firsts):
    """Simulate every trial of a compact batch decision on one market.

    Parameters
    ----------
    close : ndarray, shape (n_bars, n_assets)
        Prices (total-return indices) on the trading window, no NaN.
    frames : ndarray, shape (n_frames, n_bars, n_assets)
        Candidate weight frames (sleeves) on the window.
    first, second : ndarray of int64, shape (n_trials,)
        Frames ``P`` and ``Q`` of each trial.
    a, b : ndarray, shape (n_trials, n_bars)
        Coefficients: trial ``i`` decides ``a[i, d] · P[d] + b[i, d] · Q[d]`` at row ``d``.
    trade : ndarray of bool, shape (n_trials, n_bars)
        Rows that are decisions (elsewhere: no trade).
    cash_col : int
        Column of the cash asset.
    lag : ndarray of int64, shape (n_trials,)
        Execution lag in bars.
    fee, slip : ndarray, shape (n_trials,)
        Fees and slippage as fractions of traded value / price (non-cash assets).
    init_cash : ndarray, shape (n_trials,)
    values, traded, pre : ndarray, shape (n_trials, n_bars)
        Output: portfolio value after each close's trades, the bar's traded value
        ``sum |size × fill price|``, and the value before the close's trades (the
        previous close's cash and shares at this close's prices; the initial cash
        at bar 0), as vectorbt's ``cash()`` and ``assets()`` give them.
    status : ndarray of int64, shape (n_trials, 2)
        Output: ``(code, row)`` of the first weight rule a trial's decisions break
        (codes of :data:`CHECK_NAMES`, in ``validate_weights``' order, over every
        decision row, executed or not), ``(0, -1)`` if none; such a trial's values
        are meaningless.
    firsts : ndarray, shape (n_trials, 2)
        Output: the value held in the cash asset after the first close's trades,
        and the first decision row (a traded row that is not all NaN; -1: none).
    """
    for i in range(a.shape[0]):
        _simulate_one(close, frames, first[i], second[i], a[i], b[i], trade[i], cash_col,
                      lag[i], fee[i], slip[i], init_cash[i], values[i], traded[i], pre[i],
                      status[i], firsts[i])
