from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.config import AssetSpec, MacroSpec
from backtest.data.base import Kind, SeriesRequest
from backtest.data.dataset import build_dataset
from backtest.data.embedded import EmbeddedProvider
from backtest.errors import DataError

P = EmbeddedProvider()


def test_embedded_series_are_real_and_labelled() -> None:
    s5v1 = P.fetch(SeriesRequest.parse("embedded:french/S5V1"))
    assert s5v1.kind is Kind.RETURN and s5v1.frequency == "M"
    assert s5v1.values.index[0] == pd.Timestamp("1949-01-31")
    assert s5v1.values.index[-1] == pd.Timestamp("2017-03-31")
    baa = P.fetch(SeriesRequest.parse("embedded:moody/BAA")).values
    assert baa.loc["1919-01-01"] == 7.12  # Moody's Baa, Jan 1919 (FRED BAA)
    mkt = P.fetch(SeriesRequest.parse("embedded:french/Mkt")).values
    mktrf = P.fetch(SeriesRequest.parse("embedded:french/MktRF")).values
    rf = P.fetch(SeriesRequest.parse("embedded:french/RF")).values
    np.testing.assert_allclose(mkt, mktrf + rf)
    with pytest.raises(DataError, match="unknown column 'S9V9'"):
        P.fetch(SeriesRequest.parse("embedded:french/S9V9"))
    with pytest.raises(DataError, match="unknown embedded series"):
        P.fetch(SeriesRequest.parse("embedded:gold"))


def test_dataset_builds_total_return_indices_and_lagged_macro() -> None:
    ds = build_dataset(
        {"G": AssetSpec(id="embedded:french/S5V1"), "RF": AssetSpec(id="embedded:french/RF")},
        {"SPREAD": MacroSpec(id="embedded:moody/BAA - embedded:moody/AAA")},
        cash="RF", frequency="M", periods_per_year=12, load=P.fetch,
    )
    rets = P.fetch(SeriesRequest.parse("embedded:french/S5V1")).values
    got = ds.prices["G"].pct_change().dropna()
    np.testing.assert_allclose(got.to_numpy(), rets.to_numpy(), rtol=1e-12)
    assert ds.prices["G"].loc["1948-12-31"] == 1.0  # base one month before the first return
    assert ds.prices.index[0] == pd.Timestamp("1919-01-31")  # reaches back for the signal
    baa = P.fetch(SeriesRequest.parse("embedded:moody/BAA")).values
    aaa = P.fetch(SeriesRequest.parse("embedded:moody/AAA")).values
    # the 1950-06 spread is known at the end of July, not June
    assert ds.macro["SPREAD"].loc["1950-07-31"] == pytest.approx(baa["1950-06-01"] - aaa["1950-06-01"])
    assert ds.macro["SPREAD"].loc["1950-06-30"] == pytest.approx(baa["1950-05-01"] - aaa["1950-05-01"])
    roles = {(s.alias, s.role, s.lag) for s in ds.sources}
    assert ("SPREAD", "macro", "next_month") in roles and ("RF", "cash", "none") in roles
    assert len(ds.fingerprint) == 64


def test_direct_file_reads_equal_the_packages_own_loaders() -> None:
    import importlib

    from linearmodels.datasets import french

    from backtest.data import embedded

    pd.testing.assert_frame_equal(embedded._load_french(), french.load())
    for name, file in (("default", "default.csv.gz"), ("sp500", "sp500.csv.gz"),
                       ("nasdaq", "nasdaq.csv.gz"), ("core_cpi", "core-cpi.csv.gz")):
        theirs = importlib.import_module(f"arch.data.{name}").load()
        pd.testing.assert_frame_equal(embedded._load_arch(name, file), theirs)
