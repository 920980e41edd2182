"""No look-ahead in the analysis series: contributions, attribution, state, regime timing,
and the strategy re-run without one asset (concentration).

The same truncation/rewrite test as the signals (tests/lookahead.py) on the embedded
data: everything the analysis reports for a bar at or before t, or a regime over by t,
is unchanged when the data after t are removed or rewritten.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lookahead import future_loader

import backtest
from backtest.analysis import bar_contributions
from backtest.config import load_config
from backtest.data.embedded import EmbeddedProvider
from backtest.evaluate import without_asset
from backtest.regimes import regime_timing
from backtest.signals import component_contributions

CONFIG = load_config()
PROVIDER = EmbeddedProvider()
FULL = backtest.run(CONFIG)


def _pieces(run: backtest.RunResult) -> dict[str, object]:
    prices = run.dataset.prices.loc[run.window]
    rets = prices.pct_change(fill_method=None)
    contrib, present = component_contributions(run.config.signal, run.signal)
    state = run.main.risk_off
    assert state is not None
    return {
        "contributions": contrib, "present": present, "state": state,
        "bars": {label: bar_contributions(r.weights, rets, r.returns)
                 for label, r in run.results.items()},
        "timing": regime_timing(state.astype(bool), run.catalog).set_index("regime"),
        # the strategy re-run without one asset (the concentration line of the verdict)
        "without": without_asset(run, "BusEq").returns,
    }


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months=st.integers(100, 780), mode=st.sampled_from(["truncate", "rewrite"]))
def test_analysis_series_use_nothing_after_t(months: int, mode: str) -> None:
    cut = FULL.window[months]
    other = backtest.run(CONFIG, load=future_loader(PROVIDER.fetch, cut, mode))
    a, b = _pieces(FULL), _pieces(other)
    for key in ("contributions", "present"):
        pd.testing.assert_frame_equal(a[key].loc[:cut], b[key].loc[:cut])  # type: ignore[index]
    pd.testing.assert_series_equal(a["state"].loc[:cut], b["state"].loc[:cut])  # type: ignore[index]
    pd.testing.assert_series_equal(a["without"].loc[:cut], b["without"].loc[:cut],  # type: ignore[index]
                                   rtol=1e-12)
    for label, frame in a["bars"].items():  # type: ignore[union-attr]
        pd.testing.assert_frame_equal(frame.loc[:cut], b["bars"][label].loc[:cut],  # type: ignore[index]
                                      rtol=1e-12)
    over = [r.name for r in FULL.catalog if r.end + pd.Timedelta(days=40) < cut]
    ta = a["timing"].loc[a["timing"].index.intersection(over)]  # type: ignore[union-attr]
    tb = b["timing"].loc[ta.index]  # type: ignore[union-attr]
    pd.testing.assert_frame_equal(ta.drop(columns="coverage"), tb.drop(columns="coverage"))
