"""Regime timing that tells the truth: the state in force, since when, the first switch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.errors import DataError
from backtest.regimes import (
    Regime,
    RegimeKind,
    expected_spread_sign,
    regime_mask,
    regime_masks,
    regime_timing,
)


def _regime(start: str, end: str, kind: RegimeKind = RegimeKind.LIQUIDITY_DRAIN) -> Regime:
    return Regime("r", pd.Timestamp(start), pd.Timestamp(end), kind, "d", "ref")


def _daily(flags: dict[str, bool], start: str = "2025-03-03", end: str = "2026-06-30") -> pd.Series:
    """Business-daily state: False until the first date in ``flags``, then each value onward."""
    idx = pd.bdate_range(start, end, name="date")
    state = pd.Series(False, index=idx)
    for date, value in sorted(flags.items()):
        state[state.index >= date] = value
    return state


def test_an_old_spell_that_ended_does_not_lead_a_regime() -> None:
    # the case: risk-off in April 2025, back on by July, risk-off again from the
    # 2025-09-29 close; the 2025-26 drain starts 2025-10-01
    state = _daily({"2025-04-07": True, "2025-07-01": False, "2025-09-29": True})
    row = regime_timing(state, [_regime("2025-10-01", "2026-06-30")]).iloc[0]
    assert row["state_at_start"] == "risk-off"
    assert row["state_since"] == pd.Timestamp("2025-09-29")
    assert row["lead_days"] == -2.0 and bool(row["called"])
    assert pd.isna(row["first_switch"]) and row["share_risk_off"] == 1.0


def test_a_regime_spent_risk_on_is_missed() -> None:
    # the 2025 tariff shock (April): risk-on throughout -> missed, 0% risk-off
    state = _daily({"2025-01-02": False, "2025-05-15": True})
    row = regime_timing(state, [_regime("2025-04-02", "2025-04-30")]).iloc[0]
    assert row["state_at_start"] == "risk-on" and pd.isna(row["first_switch"])
    assert np.isnan(row["lead_days"]) and not bool(row["called"])
    assert row["share_risk_off"] == 0.0


def test_a_switch_inside_is_a_lag() -> None:
    state = _daily({"2025-04-10": True})
    row = regime_timing(state, [_regime("2025-04-02", "2025-04-30")]).iloc[0]
    assert row["first_switch"] == pd.Timestamp("2025-04-10")
    assert row["first_switch_to"] == "risk-off"
    assert row["lead_days"] == 8.0
    # bars Apr 2..30: 21; held risk-off from the bar after the Apr 10 close: Apr 11..30
    assert row["bars"] == 21
    assert row["share_risk_off"] == pytest.approx(14 / 21)


def test_easing_expects_risk_on() -> None:
    state = _daily({"2025-03-03": True, "2025-05-20": False})
    row = regime_timing(state, [_regime("2025-05-01", "2025-08-29", RegimeKind.EASING)]).iloc[0]
    assert row["expected_state"] == "risk-on" and row["state_at_start"] == "risk-off"
    assert row["first_switch_to"] == "risk-on" and row["lead_days"] == 19.0
    assert expected_spread_sign(RegimeKind.EASING) == 1
    assert expected_spread_sign("rate_shock") == -1


def test_monthly_bars_and_data_starting_inside_a_regime() -> None:
    idx = pd.date_range("2022-01-31", periods=6, freq="ME", name="date")
    state = pd.Series([True, True, False, False, True, True], index=idx)
    rows = regime_timing(state, [_regime("2021-06-01", "2022-02-15", RegimeKind.RATE_SHOCK),
                                 _regime("2022-03-15", "2022-06-30", RegimeKind.RATE_SHOCK)])
    first, second = rows.iloc[0], rows.iloc[1]
    # the data begin inside the first regime: no state at its start, nothing to call
    assert pd.isna(first["state_at_start"]) and first["coverage"] == "partial"
    assert np.isnan(first["lead_days"]) and not bool(first["called"])
    # the March bar (Mar 1-31) is the second regime's first: the state at its start is the
    # February close's (risk-off since the first bar), which then flips at the March close
    assert second["state_at_start"] == "risk-off" and second["state_since"] == idx[0]
    assert bool(second["since_data_start"]) and second["lead_days"] == -43.0
    assert second["first_switch"] == idx[2] and second["first_switch_to"] == "risk-on"
    assert second["share_risk_off"] == 0.5  # held over Mar, Apr, May, Jun: T, F, F, T


def test_regime_mask_matches_the_table_rule() -> None:
    idx = pd.date_range("2022-01-31", periods=4, freq="ME", name="date")
    mask = regime_mask(idx, _regime("2022-01-31", "2022-02-10"))
    assert mask.tolist() == [False, True, False, False]


def test_regime_masks_are_each_regimes_mask() -> None:
    idx = pd.date_range("2022-01-31", periods=6, freq="ME", name="date")
    catalog = [_regime("2022-01-31", "2022-02-10"), _regime("2022-03-15", "2022-05-01"),
               _regime("2023-01-01", "2023-02-01")]
    masks = regime_masks(idx, catalog)
    assert [m.tolist() for m in masks] == [regime_mask(idx, r).tolist() for r in catalog]
    assert regime_masks(pd.DatetimeIndex([], name="date"), catalog)[0].shape == (0,)


def test_bad_state_is_refused() -> None:
    idx = pd.date_range("2022-01-31", periods=3, freq="ME", name="date")
    with pytest.raises(DataError):
        regime_timing(pd.Series([1.0, 0.0, np.nan], index=idx), [])
