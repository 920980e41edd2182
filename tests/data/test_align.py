from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.data.align import PublicationLag, as_of, default_lag, release_dates
from backtest.data.expr import parse_expr
from backtest.errors import ConfigError


@pytest.mark.parametrize(
    ("spec", "observed", "released"),
    [
        ("none", "2024-03-15", "2024-03-15"),
        ("1B", "2024-03-15", "2024-03-18"),  # Friday's H.15 yield: known Monday
        ("3D", "2024-03-15", "2024-03-18"),
        ("next_month", "2024-03-01", "2024-04-01"),  # March average: known 1 April
        ("next_month+3B", "2024-06-01", "2024-07-04"),  # 4th business day of July
        ("next_WED", "2024-03-15", "2024-03-20"),  # NFCI week ending Friday -> Wednesday
        ("next_THU", "2024-03-13", "2024-03-14"),  # H.4.1 Wednesday level -> Thursday
        ("next_WED", "2024-03-20", "2024-03-27"),  # strictly after
    ],
)
def test_release_dates(spec: str, observed: str, released: str) -> None:
    out = release_dates(pd.DatetimeIndex([observed]), PublicationLag(spec))
    assert out[0] == pd.Timestamp(released)


def test_bad_lag_and_defaults() -> None:
    with pytest.raises(ConfigError, match="bad publication lag"):
        PublicationLag("tomorrow")
    assert str(default_lag("fred:DGS10", "D")) == "1B"
    assert str(default_lag("fred:BAA", "M")) == "next_month"
    assert str(default_lag("fred:NFCI", "W")) == "next_WED"
    assert str(default_lag("csv:macro/WALCL", "W")) == "next_THU"


@settings(max_examples=50, deadline=None)
@given(spec=st.sampled_from(["1B", "2D", "next_month", "next_month+3B", "next_WED", "next_THU"]),
       seed=st.integers(0, 1000))
def test_a_value_is_never_visible_before_its_release(spec: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    obs = pd.date_range("2000-01-01", periods=120, freq="MS" if "month" in spec else "W-FRI")
    values = pd.Series(rng.normal(size=len(obs)), index=obs)  # distinct values
    calendar = pd.bdate_range("1999-12-01", "2010-06-30")
    aligned = as_of(values, PublicationLag(spec), calendar, max_age_days=400)
    released = release_dates(obs, PublicationLag(spec))
    when = dict(zip(values.to_numpy(), released, strict=True))
    seen = aligned.dropna()
    assert all(when[v] <= d for d, v in seen.items())  # never before release
    # ... and each value is visible from its release date on (unless superseded)
    assert len(seen) and seen.index[0] == calendar[calendar >= released.min()][0]


def test_as_of_stops_carrying_a_stale_value() -> None:
    values = pd.Series([1.0], index=pd.DatetimeIndex(["2024-01-01"]))
    cal = pd.date_range("2024-02-01", "2024-06-30", freq="ME")
    out = as_of(values, PublicationLag("next_month"), cal, max_age_days=70)
    assert out.tolist()[:2] == [1.0, 1.0] and np.isnan(out.iloc[-1])


def test_expressions() -> None:
    assert parse_expr("fred:DGS10 - fred:DFII10").terms == (("fred:DGS10", 1.0), ("fred:DFII10", -1.0))
    e = parse_expr("fred:WALCL - fred:WTREGEN - fred:RRPONTSYD*1000")
    assert e.terms[-1] == ("fred:RRPONTSYD", -1000.0)
    assert parse_expr("french:Portfolios_Formed_on_BE-ME/Hi10").names == (
        "french:Portfolios_Formed_on_BE-ME/Hi10",)  # '-' inside a name is not a minus
    idx = pd.date_range("2020-01-01", periods=3)
    data = {"A": pd.Series([1.0, 2, 3], index=idx), "B": pd.Series([0.5, np.nan, 1], index=idx)}
    out = parse_expr("2*A - B/2").evaluate(data.__getitem__)
    assert out.iloc[0] == pytest.approx(1.75) and np.isnan(out.iloc[1])
    with pytest.raises(ConfigError, match="cannot parse term"):
        parse_expr("A - * B")
