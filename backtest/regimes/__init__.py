"""Historical regimes: a dated catalog, and per-regime results (pure).

The catalog (``data/regimes.toml``) lists episodes of a rising cost of capital
(rate shocks, credit stress, liquidity drains) and of relief (easing), read
with :func:`load_catalog` or :func:`parse_catalog` into frozen
:class:`Regime` records. :func:`regime_table` compounds strategy returns and
the long-minus-short-duration spread inside each regime;
:func:`signal_timing` says whether and when a risk-off signal fired around
each one; :func:`regime_timing` says which state was in force at each regime's
start, since when, when it first switched inside, and the share of bars risk-off.
Only :func:`load_catalog` touches the filesystem.

Examples
--------
>>> from pathlib import Path
>>> from backtest.regimes import load_catalog, regime_table, regimes_within
>>> catalog = load_catalog(Path("data/regimes.toml"))  # doctest: +SKIP
>>> recent = regimes_within(catalog, "2000-01-01", "2026-06-30")  # doctest: +SKIP
>>> table = regime_table(returns, recent)  # doctest: +SKIP
"""

from __future__ import annotations

from backtest.regimes._attribution import regime_table, signal_timing
from backtest.regimes._catalog import (
    Regime,
    RegimeKind,
    load_catalog,
    parse_catalog,
    regimes_within,
)
from backtest.regimes._timing import (
    expected_spread_sign,
    regime_mask,
    regime_masks,
    regime_timing,
)

__all__ = [
    "Regime",
    "RegimeKind",
    "expected_spread_sign",
    "load_catalog",
    "parse_catalog",
    "regime_mask",
    "regime_masks",
    "regime_table",
    "regime_timing",
    "regimes_within",
    "signal_timing",
]
