from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError, DataError
from backtest.signals import ComponentSpec, SignalSpec, compute_signal, regime_state, standardize


def _macro(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("1950-01-31", periods=n, freq="ME")
    aaa = 4 + np.cumsum(rng.normal(0, 0.2, n))
    return pd.DataFrame({"AAA": aaa, "BAA": aaa + 1 + np.abs(np.cumsum(rng.normal(0, 0.1, n)))},
                        index=idx)


SPEC = SignalSpec(components=(
    ComponentSpec(name="aaa", series="AAA", periods=12, min_periods=24),
    ComponentSpec(name="credit", series="BAA - AAA", periods=12, min_periods=24, weight=0.5),
))


def test_expanding_zscore_by_hand() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 10.0])
    z = standardize(x, "expanding", window=None, min_periods=3)
    assert np.isnan(z.iloc[1])
    assert z.iloc[2] == pytest.approx((3 - 2) / 1.0)  # mean 2, sd 1 of [1,2,3]
    assert z.iloc[3] == pytest.approx((10 - 4) / np.std([1, 2, 3, 10], ddof=1))


def test_composite_is_the_weighted_sum() -> None:
    out = compute_signal(SPEC, _macro(), 12)
    expected = out["aaa"] + 0.5 * out["credit"]
    pd.testing.assert_series_equal(out["composite"], expected, check_names=False)
    assert out["composite"].iloc[: 12 + 23].isna().all()  # 12-bar change + 24 z-score bars
    assert out["composite"].iloc[12 + 23 :].notna().all()


def test_unknown_series_and_bad_specs() -> None:
    with pytest.raises(DataError, match="unknown macro series 'DGS10'"):
        compute_signal(SignalSpec(components=(ComponentSpec(name="x", series="DGS10"),)),
                       _macro(), 12)
    with pytest.raises(ConfigError, match="window"):
        ComponentSpec(name="x", series="AAA", standardize="rolling")
    with pytest.raises(ConfigError, match="unique"):
        SignalSpec(components=(ComponentSpec(name="x", series="A"),) * 2)


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(40, 190), seed=st.integers(0, 500))
def test_no_lookahead_changing_the_future_changes_nothing_before(cut: int, seed: int) -> None:
    macro = _macro(seed=seed)
    future = macro.copy()
    future.iloc[cut + 1 :] = future.iloc[cut + 1 :] * 3.0 + 7.0  # rewrite everything after t
    a, b = compute_signal(SPEC, macro, 12), compute_signal(SPEC, future, 12)
    pd.testing.assert_frame_equal(a.iloc[: cut + 1], b.iloc[: cut + 1])
    assert not a.iloc[cut + 1 :].equals(b.iloc[cut + 1 :])  # the test can see a change


def test_regime_state_hysteresis_and_min_hold() -> None:
    c = pd.Series([np.nan, -1, 0.5, 1.5, 0.8, 0.2, -0.5, 2.0, -2.0, -2.0])
    plain = regime_state(c, enter=1.0)
    assert plain.tolist() == [False, False, False, True, False, False, False, True, False, False]
    hyst = regime_state(c, enter=1.0, exit=0.0)
    assert hyst.tolist() == [False, False, False, True, True, True, False, True, False, False]
    held = regime_state(c, enter=1.0, exit=0.0, min_hold=3)
    assert held.tolist() == [False, False, False, True, True, True, False, False, False, True][:6] + held.tolist()[6:]
    assert held.iloc[3:6].all()
    with pytest.raises(ConfigError):
        regime_state(c, enter=0.0, exit=1.0)


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(1, 60), seed=st.integers(0, 500), hold=st.integers(1, 5))
def test_regime_state_has_no_lookahead(cut: int, seed: int, hold: int) -> None:
    rng = np.random.default_rng(seed)
    c = pd.Series(rng.normal(0, 1, 80))
    d = c.copy()
    d.iloc[cut + 1 :] = rng.normal(0, 3, 80 - cut - 1)
    a = regime_state(c, enter=0.5, exit=-0.5, min_hold=hold)
    b = regime_state(d, enter=0.5, exit=-0.5, min_hold=hold)
    assert a.iloc[: cut + 1].equals(b.iloc[: cut + 1])


def test_min_components_lets_late_series_join_at_the_same_scale() -> None:
    macro = _macro(n=200)
    macro.loc[macro.index[:100], "BAA"] = np.nan  # the credit series starts later
    spec = SignalSpec(components=SPEC.components, min_components=1)
    out = compute_signal(spec, macro, 12)
    early = out.iloc[40:100]
    assert early["credit"].isna().all()
    # one component defined: rescaled by (1 + 0.5) / 1
    np.testing.assert_allclose(early["composite"], 1.5 * early["aaa"])
    late = out.dropna()
    np.testing.assert_allclose(late["composite"], late["aaa"] + 0.5 * late["credit"])
    assert compute_signal(SPEC, macro, 12)["composite"].iloc[40:100].isna().all()
    with pytest.raises(ConfigError, match="min_components"):
        SignalSpec(components=SPEC.components, min_components=3)
