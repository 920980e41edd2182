"""Statistics of the thesis (pure): whether a rising cost of capital hurts long duration.

Everything here takes pandas/numpy objects and returns frozen dataclasses; no
I/O, no clock. Confidence intervals of means and compounded spreads come from the
stationary bootstrap (:mod:`arch.bootstrap`), regressions carry Newey–West
standard errors (:mod:`statsmodels`), and every random draw is seeded.

* :func:`state_spread` — the long-minus-short spread after risk-off vs risk-on closes;
* :func:`predictive_regression` — the composite against the next bar's spread,
  with the Campbell–Thompson out-of-sample R² (expanding estimates only);
* :func:`mechanism` — the spread on yield and credit-spread changes (per 100 bp);
* :func:`decade_spreads`, :func:`regime_spreads` — the spread by decade and regime;
* :func:`sharpe_differences` — Sharpe differences with a paired bootstrap;
* :func:`metrics_by_state` — the headline metrics per regime and per risk-off/on state;
* :func:`attribute` — per-asset contributions over the run and each regime;
* :func:`rank_agreement` — two duration measures' ranks compared over time;
* :func:`idea_split` — the headline statistics before and after ``[run] idea_date``;
* :func:`largest_contributor`, :func:`concentration` — one asset's share of the return;
* :func:`classify_assets` and :data:`COUNTER_EVIDENCE` — published evidence per asset class;
* :func:`thesis_statistics` and :func:`write_verdict` — all of it, and the verdict.

The orchestration from a run (:func:`backtest.evaluate.evaluate_thesis`) lives
outside this package because it runs the alternatives through the engine.
"""

from __future__ import annotations

from backtest.analysis._attribution import (
    COSTS,
    METHOD,
    Attribution,
    attribute,
    bar_contributions,
    compound,
)
from backtest.analysis._bootstrap import (
    Interval,
    bootstrap_interval,
    bootstrap_p_value,
    expected_block_length,
    percentile_interval,
    resample_positions,
    rng_for,
)
from backtest.analysis._by_state import (
    STATE_METRICS,
    MetricsByState,
    SubsetMetrics,
    metrics_by_state,
)
from backtest.analysis._concentration import (
    CONCENTRATED_SHARE,
    WITHOUT_METHOD,
    Concentration,
    concentration,
    largest_contributor,
)
from backtest.analysis._evidence import (
    COUNTER_EVIDENCE,
    AssetClass,
    Reference,
    asset_class,
    classify_assets,
    counter_evidence,
)
from backtest.analysis._hac import HacFit, hac_ols, newey_west_lags
from backtest.analysis._mechanism import Mechanism, mechanism
from backtest.analysis._predictive import (
    OosForecasts,
    Predictive,
    expanding_forecasts,
    predictive_regression,
)
from backtest.analysis._ranks import RankAgreement, rank_agreement
from backtest.analysis._sharpe import SharpeComparison, sharpe_differences
from backtest.analysis._split import HINDSIGHT_SHARE, IdeaSplit, SplitPart, idea_split
from backtest.analysis._spread import (
    TOO_NOISY_HALF_WIDTH,
    BootstrapSettings,
    PeriodSpread,
    StateSpread,
    adjust_p_values,
    decade_spreads,
    period_spread,
    regime_spreads,
    state_spread,
)
from backtest.analysis._thesis import Thesis, ThesisInputs, thesis_statistics
from backtest.analysis._verdict import (
    AGREE_RHO,
    SHARPE_EQUAL,
    duration_agreement,
    write_verdict,
)

__all__ = [
    "AGREE_RHO",
    "CONCENTRATED_SHARE",
    "COSTS",
    "COUNTER_EVIDENCE",
    "HINDSIGHT_SHARE",
    "METHOD",
    "SHARPE_EQUAL",
    "STATE_METRICS",
    "TOO_NOISY_HALF_WIDTH",
    "WITHOUT_METHOD",
    "AssetClass",
    "Attribution",
    "BootstrapSettings",
    "Concentration",
    "HacFit",
    "IdeaSplit",
    "Interval",
    "Mechanism",
    "MetricsByState",
    "OosForecasts",
    "PeriodSpread",
    "Predictive",
    "RankAgreement",
    "Reference",
    "SharpeComparison",
    "SplitPart",
    "StateSpread",
    "SubsetMetrics",
    "Thesis",
    "ThesisInputs",
    "adjust_p_values",
    "asset_class",
    "attribute",
    "bar_contributions",
    "bootstrap_interval",
    "bootstrap_p_value",
    "classify_assets",
    "compound",
    "concentration",
    "counter_evidence",
    "decade_spreads",
    "duration_agreement",
    "expanding_forecasts",
    "expected_block_length",
    "hac_ols",
    "idea_split",
    "largest_contributor",
    "mechanism",
    "metrics_by_state",
    "newey_west_lags",
    "percentile_interval",
    "period_spread",
    "predictive_regression",
    "rank_agreement",
    "regime_spreads",
    "resample_positions",
    "rng_for",
    "sharpe_differences",
    "state_spread",
    "thesis_statistics",
    "write_verdict",
]
