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
accounting itself), so only scalar helpers are called from it, small enough that
LLVM inlines them. vectorbt's order (``execute_order_nb``) is written out in the
loop: as a helper of its own it was too large for LLVM to inline, so every order
was a call returning its 5-tuple through memory, with ``_add`` called (not inlined)
inside it; written out, a bar that trades costs ~15% less, for ~0.5 CPU s more at
the first compilation (6.7 s against 6.1 s for ``simulate_compact`` and
``simulate_measured``). Forcing the helpers inline (``inline="always"``) was measured
before: ~10% cheaper, but the first compilation after install 4.4 CPU s longer
(11.4 s against 7.0 s for every kernel of a sweep), and the first ``tune`` after
install is a target of its own.

Metrics (:func:`simulate_measured`): sweeps do not take ``values``, ``traded`` and
``pre`` out of numba. Each trial is simulated into scratch rows of length ``n_bars``
(reused, so they stay in cache), then measured in two passes over its bars: the net
returns (written out, the sweep keeps them), turnover, every
:class:`~backtest.metrics.Metric` but ``share_risk_off`` (a count of the strategy's
decided states, taken outside). :func:`measure_compact` is the same measurement of
value paths already simulated. Simulation and measurement live in this one module on
purpose: numba's cache keys a compiled function on its own source file only, so a
fused kernel in another file would keep running an old simulation after this file
changed.

Every rule of the reference path (:func:`~backtest.metrics.compute_metrics` and
:func:`~backtest.metrics._batch.compute_metrics_batch`, empyrical-reloaded 0.5 with
bottleneck underneath) is mirrored operation by operation:

* net returns ``v[t] / v[t-1] - 1`` with ``v[0]`` the initial capital
  (:func:`~backtest.engine.net_returns` of :func:`~backtest.engine.value_path`); bar
  turnover ``0.5 * traded / pre`` with bar 0 counted from the starting money
  (:func:`~backtest.engine.bar_turnover`); the build/ongoing split of
  :func:`~backtest.metrics.split_turnover` (build = first decision + lag).
* means are bottleneck's ``nanmean`` (a sequential sum over the bars in order, over
  the count); standard deviations its ``nanstd`` (two passes: that mean, then the
  sequential sum of squared deviations over ``n - ddof``; ddof=1 everywhere
  empyrical uses it); the product of ``1 + r`` is sequential, as ``cumprod``.
* CAGR ``prod(1 + r) ** (1 / (n / ppy)) - 1`` and total return ``prod(1 + r) - 1``
  (NaN for no return); volatility ``std * ppy ** 0.5`` (NaN below 2 returns); Sharpe
  ``mean(x) / std(x) * sqrt(ppy)`` and Sortino ``mean(x) * ppy / (sqrt(mean(min(x,
  0)^2)) * sqrt(ppy))`` on the excess ``x = r - cash`` (NaN below 2 returns, or when
  the deviation is at most :data:`~backtest.metrics.NUMERICAL_ZERO`); max drawdown on
  ``100 * cumprod(1 + r)`` against its running peak anchored at 100; Calmar
  ``CAGR / |max DD|`` (NaN when the drawdown is at most ``NUMERICAL_ZERO`` or the ratio
  infinite).
* against a benchmark ``b`` (NaN without one or below 2 returns): beta ``mean((bx -
  mean(bx)) · x) / mean((bx - mean(bx))^2)`` with ``bx = b - cash`` (NaN when ``bx``
  does not vary or its variance is below 1e-30), Jensen's alpha ``(1 + mean(x - beta ·
  bx)) ** ppy - 1``, tracking error ``std(r - b) * ppy ** 0.5`` and information ratio
  ``mean(r - b) / std(r - b) * sqrt(ppy)`` (NaN unless the population deviation of
  ``r - b`` exceeds ``1e-15 * max(1, max |r - b|)``).

The ongoing turnover's mean is numpy's pairwise sum (blocks of 128 in 8 lanes, as
``ndarray.mean`` sums a row), re-traced in :func:`_pairwise`. The only operations
that differ from the batch path are the guards' deviations (numpy's pairwise ``std``,
compared with a threshold: only a value at the threshold could fall differently) and
``power`` (CAGR, alpha: the batch path raises a whole column at once, which numpy may
route to its SIMD ``power``; the kernel calls libm's ``pow``, as ``compute_metrics``
does on one series), so the metrics equal the batch path's to the bit or to an ulp
(tested at 1e-12, relative above 1). A trial's numbers depend on its own row alone,
in a fixed order: the same bits whatever other trials share the call. A trial whose
returns are not all finite is flagged (``finite[i] = False``) and measured by the
reference path.

As in the simulation, array arguments are indexed, never sliced, in the loops over
bars.

References
----------
.. [1] vectorbt 1.2, ``vectorbt/portfolio/nb.py``: ``simulate_from_orders_nb``,
   ``execute_order_nb``, ``buy_nb``, ``sell_nb``, ``cash_flow_nb``, ``asset_flow_nb``
   (``Portfolio.value`` values assets with ``direction="both"``: the flow is the signed
   order size, not the long-only position change, which snaps relative changes below 1e-9).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["CHECK_NAMES", "KERNEL_METRICS", "N_METRICS", "measure_compact", "simulate_compact",
           "simulate_measured", "simulate_path"]

_REL, _ABS = 1e-9, 1e-12
_WEIGHT_TOL = 1e-9  # validate_weights' tolerance for negatives and sums above 1

#: Codes of the weight checks, in the order ``validate_weights`` applies them.
CHECK_NAMES = ("ok", "partly NaN", "infinite", "negative", "sum above 1")

Floats = npt.NDArray[np.float64]


@njit(cache=True)
def _is_close(a: float, b: float) -> bool:
    """Approximate equality, as vectorbt's ``is_close_nb``."""
    if not (np.isfinite(a) and np.isfinite(b)):  # NaN or infinite
        return False
    if a == b:
        return True
    return abs(a - b) <= max(_REL * max(abs(a), abs(b)), _ABS)


@njit(cache=True)
def _snap(a: float) -> float:
    """``_add(a, 0.0)`` = ``_add(0.0, a)``: zero within the absolute tolerance, else ``a``."""
    return 0.0 if abs(a) <= _ABS else a


@njit(cache=True)
def _add(a: float, b: float) -> float:
    """Sum as vectorbt's ``add_nb``: within tolerance of zero it is exactly zero.

    ``add_nb`` tests ``is_close(|a|, |b|)`` when the signs differ (zero and NaN have
    signs of their own) and ``is_close(a + b, 0)`` when not. Both come to one test,
    ``|a + b| <= max(1e-9 * max(|a|, |b|), 1e-12)`` with ``a + b`` finite: with
    opposite signs ``|a| - |b|`` is ``±(a + b)`` to the bit; otherwise ``|a + b| >=
    max(|a|, |b|)``, above the relative term, so only the absolute one can hold; and
    ``a + b`` is finite only if ``a`` and ``b`` are (``is_close`` is False on NaN and
    infinities). One test, no branch on the signs (the tests compare it with
    vectorbt's ``add_nb`` to the bit).
    """
    s = a + b
    d = abs(s)
    return 0.0 if d <= max(_REL * max(abs(a), abs(b)), _ABS) and d < np.inf else s


@njit(cache=True)
def _simulate_one(close, frames, p, q, a, b, trade, cash_col,  # type: ignore[no-untyped-def]
                  lag, fee, slip, init_cash, values, traded, pre, status, firsts, shares):
    """One trial; array arguments are indexed, never sliced, in the bar loop (speed).

    What a bar costs is kept to what it changes: the ring of pending decisions is
    addressed by a slot counter (no integer division per bar), the value before the
    trades sums the held assets only (``held_assets``, rebuilt when they change), and
    an order of nothing (no target, no position: most assets of a rotation) is left out
    of the call sequence (see below). Each step gives the bits it gave before.

    ``shares`` (shape ``(n_bars, n_assets)``, or ``(0, 0)`` for none) receives the
    shares held after each close's trades, as vectorbt's ``assets()`` reports them.
    """
    n, k = close.shape
    record = shares.shape[0] > 0
    pos = np.zeros(k)  # in-simulation state: drives the order sizes
    cash = init_cash
    assets = np.zeros(k)  # post-hoc state: what vectorbt's Portfolio.value() reports
    cash_rep = init_cash
    ring = np.empty((lag + 1, k))  # decided targets of rows t - lag .. t
    decided = np.zeros(lag + 1, dtype=np.bool_)
    checks = np.full(5, -1)
    w = np.empty(k)
    order_value = np.empty(k)
    keys = np.empty(k)
    seq = np.empty(k, dtype=np.int64)
    cash_flow = np.zeros(k)
    asset_flow = np.zeros(k)
    fees = np.full(k, fee)
    slips = np.full(k, slip)
    fees[cash_col], slips[cash_col] = 0.0, 0.0  # the cash asset trades free
    fee_factor = 1.0 + fees  # the orders' terms, as execute_order_nb computes them
    buy_factor = 1.0 + slips
    sell_factor = 1.0 - slips
    held_assets = np.empty(k, dtype=np.int64)  # the assets[j] != 0.0, in column order
    n_held = 0
    first_decision = -1
    dirty = True  # cash and positions changed since they were last snapped
    slot = lag  # ring slot of row t (t % (lag + 1)); row t - lag's is the next one
    for t in range(n):
        # value before this close's trades: last close's cash and shares at this close
        # (the held assets, in column order: the terms of the sum that are not zero)
        if t == 0:
            pre[t] = init_cash
        else:
            if record:  # what the previous close left (every path below ends a bar there)
                for j in range(k):
                    shares[t - 1, j] = assets[j]
            held = 0.0
            for m in range(n_held):
                j = held_assets[m]
                held += assets[j] * close[t, j]
            pre[t] = cash_rep + held
        # decision row t: validate_weights' checks (a row partly NaN, an infinite
        # weight, one below -1e-9, a sum above 1 + 1e-9; the first failing row of
        # each), then kept until it executes; an all-NaN row is no trade
        slot = 0 if slot == lag else slot + 1
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
        due = 0 if slot == lag else slot + 1  # row d = t - lag's slot
        executed = t >= lag and decided[due]
        if executed:  # row d clipped at 0, the remainder to the cash asset
            total = 0.0
            for j in range(k):
                x = ring[due, j]
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
            # reported cash and assets take a zero flow (which snaps them too). Snapping
            # is idempotent: once done after a trade, the next bars without one only
            # re-value the same assets, the sum that gave pre[t] (t >= 1 here).
            traded[t] = 0.0
            if not dirty:
                values[t] = pre[t]
                continue
            cash = _snap(cash)
            cash_rep = _snap(cash_rep)
            asset_value = 0.0
            n_held = 0
            for j in range(k):
                pos[j] = _snap(pos[j])
                assets[j] = _snap(assets[j])
                if assets[j] != 0.0:
                    asset_value += assets[j] * close[t, j]
                    held_assets[n_held] = j
                    n_held += 1
            values[t] = cash_rep + asset_value
            dirty = False
            continue
        dirty = True
        value = cash
        for j in range(k):
            if pos[j] != 0.0:
                value += pos[j] * close[t, j]
        # vectorbt's auto call sequence: the orders sorted by signed order value, sells
        # first (a stable insertion sort: columns in seq, their values in keys). An order
        # of nothing (no target weight, no position) changes nothing but snaps the cash,
        # which the next order does again: such orders are left out of the sequence,
        # and the cash is snapped after the others if one of them came last. A NaN order
        # value (vectorbt's sort places NaN its own way) runs the full sequence instead.
        ordered = True
        last = 0  # the full sequence's last: the largest value, the last column of ties
        for j in range(k):
            v = w[j] * value - pos[j] * close[t, j]
            order_value[j] = v
            if np.isnan(v):
                ordered = False
            elif v >= order_value[last]:
                last = j
        n_seq = 0
        if ordered:
            for j in range(k):
                pos[j] = _snap(pos[j])
                if w[j] == 0.0 and pos[j] == 0.0:
                    continue
                v = order_value[j]
                m = n_seq - 1
                while m >= 0 and keys[m] > v:
                    keys[m + 1] = keys[m]
                    seq[m + 1] = seq[m]
                    m -= 1
                keys[m + 1] = v
                seq[m + 1] = j
                n_seq += 1
            snap_last = w[last] == 0.0 and pos[last] == 0.0
        else:
            for j in range(k):
                v = order_value[j]
                m = j - 1
                while m >= 0 and (keys[m] > v or np.isnan(keys[m])):
                    keys[m + 1] = keys[m]
                    seq[m + 1] = seq[m]
                    m -= 1
                keys[m + 1] = v
                seq[m + 1] = j
            n_seq = k
            snap_last = False
        # the orders, as vectorbt's execute_order_nb (target percent, long only, no
        # fixed fees): cash, position and value snapped first; a buy is cut to the cash
        # left, a sell to the position; an order that fills nothing leaves them snapped
        value = _snap(value)
        turnover = 0.0
        for m in range(n_seq):
            j = seq[m]
            cash = _snap(cash)
            held = _snap(pos[j])
            pos[j] = held
            if np.isnan(w[j]) or np.isnan(value) or value <= 0.0:
                continue
            price = close[t, j]
            size = w[j] * value
            size /= price
            size -= held
            if size > 0.0:  # buy, cut to the cash left
                fill = price * buy_factor[j]
                if cash == 0.0 or abs(size) <= _ABS:
                    continue
                req_cash = size * fill
                paid = req_cash * fees[j] + 0.0
                total = req_cash + paid
                if total < cash or _is_close(total, cash):
                    cash = _add(cash, -total)
                else:
                    max_req_cash = cash / fee_factor[j]
                    if max_req_cash <= 0.0:
                        continue
                    size = max_req_cash / fill
                    paid = cash - max_req_cash
                    cash = _add(cash, -cash)
                pos[j] = _add(held, size)
            else:  # sell (long only: never below zero)
                fill = price * sell_factor[j]
                size = -min(held, -size)
                if held == 0.0 or abs(size) <= _ABS:
                    continue
                acq_cash = -size * fill
                paid = acq_cash * fees[j] + 0.0
                final_acq = _add(acq_cash, -paid)
                if final_acq < 0.0:
                    continue
                cash = cash + final_acq
                pos[j] = _add(held, size)
            if size == 0.0:
                continue
            turnover += abs(size * fill)
            cash_flow[j] = _snap(-size * fill - paid)
            asset_flow[j] = _snap(size)  # asset_value(direction="both"): the signed size
        if snap_last:
            cash = _snap(cash)
        group_flow = 0.0
        for j in range(k):
            group_flow += cash_flow[j]
        cash_rep = _add(cash_rep, group_flow)
        asset_value = 0.0
        n_held = 0
        for j in range(k):
            assets[j] = _add(assets[j], asset_flow[j])
            cash_flow[j], asset_flow[j] = 0.0, 0.0  # zero again for the next bar
            if assets[j] != 0.0:
                asset_value += assets[j] * close[t, j]
                held_assets[n_held] = j
                n_held += 1
        values[t] = cash_rep + asset_value
        traded[t] = turnover
        if t == 0:  # the cash asset held after the first close's trades
            firsts[0] = assets[cash_col] * close[0, cash_col] if assets[cash_col] != 0.0 else 0.0
    if record and n:
        for j in range(k):
            shares[n - 1, j] = assets[j]
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
    none = np.empty((0, 0))
    for i in range(a.shape[0]):
        _simulate_one(close, frames, first[i], second[i], a[i], b[i], trade[i], cash_col,
                      lag[i], fee[i], slip[i], init_cash[i], values[i], traded[i], pre[i],
                      status[i], firsts[i], none)


@njit(cache=True)
def simulate_path(close, weights, cash_col, lag, fee, slip, init_cash,  # type: ignore[no-untyped-def]
                  values, traded, pre, shares):
    """Simulate one strategy's decided weights, keeping its holdings (the engine's path).

    Parameters
    ----------
    close : ndarray, shape (n_bars, n_assets)
    weights : ndarray, shape (n_bars, n_assets), C-contiguous
        Decided targets (validated); an all-NaN row is no trade. Executed ``lag``
        bars later, clipped at 0 with the remainder in the cash asset, as
        :func:`simulate_compact` executes a trial's decisions.
    cash_col, lag, fee, slip, init_cash
        As one trial of :func:`simulate_compact`.
    values, traded, pre : ndarray, shape (n_bars,)
        Output, as in :func:`simulate_compact`.
    shares : ndarray, shape (n_bars, n_assets)
        Output: shares held after each close's trades (vectorbt's ``assets()``).
    """
    n = close.shape[0]
    frames = weights.reshape((1, n, close.shape[1]))
    a, b = np.ones(n), np.zeros(n)  # 1.0 * w[t] is w[t], to the bit
    trade = np.ones(n, dtype=np.bool_)
    status, firsts = np.empty(2, dtype=np.int64), np.empty(2)
    _simulate_one(close, frames, 0, 0, a, b, trade, cash_col, lag, fee, slip, init_cash,
                  values, traded, pre, status, firsts, shares)

# columns, in the order of backtest.metrics.Metric (checked by the tests)
_CAGR, _VOL, _SHARPE, _SORTINO, _MDD, _CALMAR, _TURNOVER, _RISK_OFF = 0, 1, 2, 3, 4, 5, 6, 7
_TOTAL, _BETA, _ALPHA, _IR, _TE, _INITIAL = 8, 9, 10, 11, 12, 13
N_METRICS = 14

#: The columns the kernel fills (all but ``share_risk_off``), in ``Metric`` order.
KERNEL_METRICS = ("cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                  "annual_turnover", "share_risk_off", "total_return", "beta", "alpha",
                  "information_ratio", "tracking_error", "initial_turnover")

_ZERO = 1e-10  # backtest.metrics.NUMERICAL_ZERO (the tests check they agree)


@njit(cache=True, error_model="numpy")
def _bench_moments(bench, cash, out):  # type: ignore[no-untyped-def]
    """Per benchmark row: mean and variance of ``bx = b - cash`` as empyrical's beta takes them.

    ``out[j] = (mean, variance, varies)``: bottleneck's sequential mean, then the mean
    of the squared residuals (the beta denominator); ``varies`` is 1.0 when the
    variance is positive (``np.nanstd(bx) > 0`` of the reference).
    """
    n = cash.shape[0]
    for j in range(bench.shape[0]):
        total = 0.0
        for s in range(n):
            total += bench[j, s] - cash[s]
        mean = total / n if n else np.nan
        sq = 0.0
        for s in range(n):
            d = (bench[j, s] - cash[s]) - mean
            sq += d * d
        var = sq / n if n else np.nan
        out[j, 0], out[j, 1], out[j, 2] = mean, var, 1.0 if var > 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def _tau(traded, pre, t, first_cash, pre0):  # type: ignore[no-untyped-def]
    """Bar ``t``'s one-way turnover (``bar_turnover``: bar 0 from the money held as cash)."""
    if t == 0:
        traded = traded - first_cash + abs(first_cash - pre0)
    return 0.5 * traded / pre


@njit(cache=True, error_model="numpy")
def _pairwise(a, lo, n):  # type: ignore[no-untyped-def]
    """Sum of ``a[lo:lo + n]`` in numpy's order (``pairwise_sum``: blocks of 128, 8 lanes)."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        while i < n - (n % 8):
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, lo, half) + _pairwise(a, lo + half, n - half)


@njit(cache=True, error_model="numpy")
def _turnover(traded, pre, first_cash, first_decision, lag, ppy, taus, row):  # type: ignore[no-untyped-def]
    """Initial build and annual ongoing turnover (``split_turnover`` of ``bar_turnover``).

    The ongoing bars' turnover is written to ``taus`` (scratch) and summed in numpy's
    pairwise order, so that the mean is the batch path's to the bit.
    """
    n_bars = traded.shape[0]
    build = first_decision + lag if first_decision >= 0 else n_bars
    initial, start = 0.0, 1
    if build < n_bars:
        initial = _tau(traded[build], pre[build], build, first_cash, pre[0])
        start = build + 1
    for t in range(start, n_bars):
        taus[t] = _tau(traded[t], pre[t], t, first_cash, pre[0])
    count = n_bars - start
    row[_INITIAL] = initial
    row[_TURNOVER] = (0.0 + _pairwise(taus, start, count)) / count * ppy if count > 0 else np.nan


@njit(cache=True, error_model="numpy")
def _measure_one(values, traded, pre, first_cash, first_decision, lag, init_cash,  # type: ignore[no-untyped-def]
                 ppy, cash, bench, which, moments, taus, returns, row):
    """Measure one simulated trial into ``returns`` and ``row``; False if a return is not finite."""
    n = values.shape[0] - 1
    fppy = float(ppy)
    _turnover(traded, pre, first_cash, first_decision, lag, fppy, taus, row)
    has_bench = which >= 0
    mean_bx = moments[which, 0] if has_bench else 0.0
    # pass 1: returns, sums, product, drawdown
    prod, peak, mdd = 1.0, 100.0, np.inf
    sum_r, sum_x, sum_down, sum_act, sum_cov, max_act = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    finite = True
    prev = init_cash
    for s in range(n):
        r = values[s + 1] / prev - 1.0
        prev = values[s + 1]
        returns[s] = r
        if not np.isfinite(r):
            finite = False
        prod *= r + 1.0
        cum = prod * 100.0
        if cum >= peak:  # at a peak the drawdown (cum - peak) / peak is exactly 0
            peak = cum
            if mdd > 0.0:
                mdd = 0.0
        else:
            dd = (cum - peak) / peak
            if dd < mdd:
                mdd = dd
        sum_r += r
        x = r - cash[s]
        sum_x += x
        down = x if x < 0.0 else 0.0
        sum_down += down * down
        if has_bench:
            act = r - bench[which, s]
            sum_act += act
            if abs(act) > max_act:
                max_act = abs(act)
            sum_cov += ((bench[which, s] - cash[s]) - mean_bx) * x
    if not finite:
        return False
    mean_r, mean_x, mean_act = sum_r / n, sum_x / n, sum_act / n  # NaN for n = 0
    beta = np.nan
    if has_bench and n >= 2 and moments[which, 2] > 0.0 and not moments[which, 1] < 1e-30:
        beta = (sum_cov / n) / moments[which, 1]
    # pass 2: squared deviations, alpha's residuals
    ss_r, ss_x, ss_act, sum_alpha = 0.0, 0.0, 0.0, 0.0
    for s in range(n):
        r = returns[s]
        d = r - mean_r
        ss_r += d * d
        x = r - cash[s]
        d = x - mean_x
        ss_x += d * d
        if has_bench:
            d = (r - bench[which, s]) - mean_act
            ss_act += d * d
            sum_alpha += x - beta * (bench[which, s] - cash[s])
    _summarize(n, fppy, prod, mdd, mean_x, sum_down, ss_r, ss_x, row)
    _relative(n, fppy, has_bench, beta, sum_alpha, mean_act, ss_act, max_act, row)
    return True


@njit(cache=True, error_model="numpy")
def _summarize(n, ppy, prod, mdd, mean_x, sum_down, ss_r, ss_x, row):  # type: ignore[no-untyped-def]
    """CAGR, total return, volatility, Sharpe, Sortino, max drawdown, Calmar."""
    nan = np.nan
    cagr = prod ** (1.0 / (n / ppy)) - 1.0 if n >= 1 else nan
    row[_CAGR] = cagr
    row[_TOTAL] = prod - 1.0 if n >= 1 else nan
    row[_MDD] = mdd if n >= 1 else nan
    row[_VOL] = math.sqrt(ss_r / (n - 1)) * ppy ** 0.5 if n >= 2 else nan
    std_x = math.sqrt(ss_x / (n - 1)) if n >= 2 else nan
    row[_SHARPE] = mean_x / std_x * math.sqrt(ppy) if std_x > _ZERO else nan
    downside = math.sqrt(sum_down / n) if n >= 2 else nan
    row[_SORTINO] = mean_x * ppy / (downside * math.sqrt(ppy)) if downside > _ZERO else nan
    calmar = nan
    if n >= 1 and abs(mdd) > _ZERO and mdd < 0.0:
        calmar = cagr / abs(mdd)
        if np.isinf(calmar):
            calmar = nan
    row[_CALMAR] = calmar
    row[_RISK_OFF] = nan


@njit(cache=True, error_model="numpy")
def _relative(n, ppy, has_bench, beta, sum_alpha, mean_act, ss_act, max_act, row):  # type: ignore[no-untyped-def]
    """Beta, alpha, tracking error, information ratio (NaN without a benchmark)."""
    nan = np.nan
    row[_BETA], row[_ALPHA], row[_TE], row[_IR] = nan, nan, nan, nan
    if not has_bench or n < 2:
        return
    row[_BETA] = beta
    if not np.isnan(beta):
        row[_ALPHA] = (sum_alpha / n + 1.0) ** ppy - 1.0
    std_act = math.sqrt(ss_act / (n - 1))
    row[_TE] = std_act * ppy ** 0.5
    if math.sqrt(ss_act / n) > 1e-15 * max(1.0, max_act):
        row[_IR] = mean_act / std_act * math.sqrt(ppy)


@njit(cache=True)
def measure_compact(values, traded, pre, firsts, lag, init_cash, ppy,  # type: ignore[no-untyped-def]
                    cash, bench, which, returns, metrics, finite):
    """Measure value paths already simulated (:func:`~backtest.engine._kernel.simulate_compact`).

    Parameters
    ----------
    values, traded, pre : ndarray, shape (n_trials, n_bars)
        The accounting kernel's outputs.
    firsts : ndarray, shape (n_trials, 2)
        Its cash asset held after bar 0 and first decision row.
    lag, ppy : ndarray of int64, shape (n_trials,)
        Execution lag and periods per year.
    init_cash : ndarray, shape (n_trials,)
    cash : ndarray, shape (n_bars - 1,)
        The cash asset's returns, no NaN.
    bench : ndarray, shape (n_benchmarks, n_bars - 1)
        Benchmark returns on the same bars, no NaN (zero rows: none).
    which : ndarray of int64, shape (n_trials,)
        Each trial's benchmark row, -1 for none.
    returns : ndarray, shape (n_trials, n_bars - 1)
        Output: net returns.
    metrics : ndarray, shape (n_trials, N_METRICS)
        Output, columns in ``Metric`` order (``share_risk_off`` left NaN).
    finite : ndarray of bool, shape (n_trials,)
        Output: False where a return is not finite (metrics not computed).
    """
    moments = np.empty((bench.shape[0], 3))
    _bench_moments(bench, cash, moments)
    taus = np.empty(values.shape[1])
    for i in range(values.shape[0]):
        finite[i] = _measure_one(values[i], traded[i], pre[i], firsts[i, 0], int(firsts[i, 1]),
                                 lag[i], init_cash[i], ppy[i], cash, bench, which[i], moments,
                                 taus, returns[i], metrics[i])


@njit(cache=True)
def simulate_measured(close, frames, first, second, a, b, trade, cash_col,  # type: ignore[no-untyped-def]
                      lag, fee, slip, init_cash, ppy, cash, bench, which,
                      returns, rows, metrics, status, finite):
    """Simulate and measure every trial; the value paths never leave cache.

    Parameters as :func:`~backtest.engine._kernel.simulate_compact` (``close`` to
    ``init_cash``, ``status``) and :func:`measure_compact` (``ppy`` to ``finite``),
    but trial ``i``'s net returns go to ``returns[rows[i]]`` and its metrics to
    ``metrics[rows[i]]`` (``rows``: int64, one per trial), so that a caller's output
    matrix is filled in place, never copied.
    """
    n_bars = close.shape[0]
    moments = np.empty((bench.shape[0], 3))
    _bench_moments(bench, cash, moments)
    values, traded, pre = np.empty(n_bars), np.empty(n_bars), np.empty(n_bars)
    taus = np.empty(n_bars)
    firsts = np.empty(2)
    none = np.empty((0, 0))
    for i in range(a.shape[0]):
        _simulate_one(close, frames, first[i], second[i], a[i], b[i], trade[i], cash_col,
                      lag[i], fee[i], slip[i], init_cash[i], values, traded, pre, status[i],
                      firsts, none)
        finite[i] = _measure_one(values, traded, pre, firsts[0], int(firsts[1]), lag[i],
                                 init_cash[i], ppy[i], cash, bench, which[i], moments, taus,
                                 returns[rows[i]], metrics[rows[i]])
