"""Signed component contributions add up to the composite, as min_components rescales it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.errors import DataError
from backtest.signals import ComponentSpec, SignalSpec, component_contributions, compute_signal

IDX = pd.date_range("1990-01-31", periods=200, freq="ME", name="date")


def _macro(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((200, 3)).cumsum(axis=0), index=IDX,
                         columns=["A", "B", "C"])
    frame.loc[: IDX[80], "C"] = np.nan  # C starts late
    return frame


def _spec(min_components: int | None) -> SignalSpec:
    return SignalSpec(
        components=(
            ComponentSpec(name="a", series="A", periods=12, min_periods=24, weight=1.0),
            ComponentSpec(name="b", series="B", periods=12, min_periods=24, sign=-1, weight=0.5),
            ComponentSpec(name="c", series="C", periods=12, min_periods=24, weight=2.0),
        ),
        min_components=min_components,
    )


@pytest.mark.parametrize("min_components", [None, 2])
def test_contributions_add_up_to_the_composite(min_components: int | None) -> None:
    spec = _spec(min_components)
    signal = compute_signal(spec, _macro(), 12)
    contrib, present = component_contributions(spec, signal)
    defined = signal["composite"].notna()
    np.testing.assert_allclose(contrib[defined].sum(axis=1), signal["composite"][defined],
                               rtol=1e-12, atol=1e-12)
    assert contrib[~defined].isna().all().all()
    pd.testing.assert_frame_equal(present, signal[["a", "b", "c"]].notna())


def test_sign_weight_and_rescaling() -> None:
    spec = _spec(2)
    signal = compute_signal(spec, _macro(), 12)
    contrib, present = component_contributions(spec, signal)
    early = signal.index[(signal["a"].notna() & signal["b"].notna() & signal["c"].isna())
                         & signal["composite"].notna()][0]
    # c absent: total |w| 3.5 over present |w| 1.5 -> scale 7/3; b's sign is -1
    assert not present.loc[early, "c"] and np.isnan(contrib.loc[early, "c"])
    assert contrib.loc[early, "a"] == pytest.approx(signal.loc[early, "a"] * 3.5 / 1.5)
    assert contrib.loc[early, "b"] == pytest.approx(-0.5 * signal.loc[early, "b"] * 3.5 / 1.5)
    late = signal.index[-1]
    assert contrib.loc[late, "c"] == pytest.approx(2.0 * signal.loc[late, "c"])


def test_columns_are_checked() -> None:
    spec = _spec(None)
    with pytest.raises(DataError, match="lacks"):
        component_contributions(spec, pd.DataFrame({"a": [1.0]}))
