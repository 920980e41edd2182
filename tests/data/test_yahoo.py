"""yfinance frames as ``yfinance.download`` (1.x) returns them, without the network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.data.base import Kind, SeriesRequest
from backtest.data.yahoo import YahooProvider, parse_yahoo_frame
from backtest.errors import DataError, ProviderError

DATES = pd.DatetimeIndex(["2022-01-03", "2022-01-04", "2022-01-05"], name="Date")


def download_frame(closes: dict[str, pd.Series], *, adj: bool = False, by_ticker: bool = False):
    """A frame shaped like yfinance 1.x ``download``: (Price, Ticker) MultiIndex columns.

    ``adj=True`` mimics ``auto_adjust=False`` (raw Close plus Adj Close);
    ``by_ticker=True`` mimics ``group_by="ticker"`` (Ticker, Price).
    """
    parts = {}
    for ticker, close in closes.items():
        fields = {"Close": close * (1.05 if adj else 1.0), "High": close * 1.01,
                  "Low": close * 0.99, "Open": close, "Volume": close * 0 + 1e6}
        if adj:
            fields["Adj Close"] = close
        parts[ticker] = pd.DataFrame(fields)
    frame = pd.concat(parts, axis=1, names=["Ticker", "Price"])
    if not by_ticker:
        frame.columns = frame.columns.swaplevel(0, 1)
        frame = frame.sort_index(axis=1, level=0)
    return frame


@pytest.fixture
def two() -> dict[str, pd.Series]:
    return {"QQQ": pd.Series([401.7, 396.2, 384.0], index=DATES),
            "TLT": pd.Series([140.2, 139.9, 138.8], index=DATES)}


def test_multiindex_price_ticker(two):
    frame = download_frame(two)
    assert frame.columns.names == ["Price", "Ticker"]
    got = parse_yahoo_frame(frame, "TLT")
    assert got.name == "yahoo:TLT" and got.index.name == "date"
    np.testing.assert_array_equal(got.to_numpy(), two["TLT"].to_numpy())


def test_multiindex_ticker_price(two):
    got = parse_yahoo_frame(download_frame(two, by_ticker=True), "qqq")
    np.testing.assert_array_equal(got.to_numpy(), two["QQQ"].to_numpy())


def test_adj_close_wins_over_raw_close_when_auto_adjust_false(two):
    got = parse_yahoo_frame(download_frame(two, adj=True), "QQQ")
    np.testing.assert_array_equal(got.to_numpy(), two["QQQ"].to_numpy())


def test_single_level_columns(two):
    frame = download_frame({"QQQ": two["QQQ"]}).droplevel("Ticker", axis=1)
    got = parse_yahoo_frame(frame, "QQQ")
    np.testing.assert_array_equal(got.to_numpy(), two["QQQ"].to_numpy())


def test_tz_aware_index_and_nan_rows(two):
    close = two["QQQ"].copy()
    close.iloc[1] = np.nan
    frame = download_frame({"QQQ": close})
    frame.index = frame.index.tz_localize("America/New_York")
    got = parse_yahoo_frame(frame, "QQQ")
    assert got.index.tz is None and len(got) == 2


@pytest.mark.parametrize("frame", [None, pd.DataFrame()])
def test_empty_frame_is_unknown_ticker(frame):
    with pytest.raises(DataError, match=r"^yahoo:NOPE: no data \(unknown ticker\?\)$"):
        parse_yahoo_frame(frame, "NOPE")


def test_all_nan_ticker_in_a_multi_download(two):
    frame = download_frame({**two, "NOPE": two["QQQ"] * np.nan})
    with pytest.raises(DataError, match=r"^yahoo:NOPE: no data \(unknown ticker\?\)$"):
        parse_yahoo_frame(frame, "NOPE")


def test_ticker_missing_from_frame(two):
    with pytest.raises(DataError, match=r"not in the downloaded frame \(tickers: QQQ, TLT"):
        parse_yahoo_frame(download_frame(two), "SPY")


def test_duplicate_dates(two):
    frame = download_frame(two)
    frame.index = pd.DatetimeIndex(["2022-01-03", "2022-01-03", "2022-01-05"])
    with pytest.raises(DataError, match="duplicate date 2022-01-03"):
        parse_yahoo_frame(frame, "QQQ")


def test_real_histories_round_trip(shared_data):
    """A two-ticker download frame built from the real QQQ and TLT adjusted closes."""
    closes = {
        t: pd.read_csv(shared_data / "assets" / f"{t}.csv", index_col="date", parse_dates=True)[
            "adj_close"
        ]
        for t in ("QQQ", "TLT")
    }
    frame = download_frame(closes)  # union of dates: QQQ starts 1999, TLT 2002 (NaN before)
    for ticker, close in closes.items():
        got = parse_yahoo_frame(frame, ticker)
        assert len(got) == len(close)
        np.testing.assert_array_equal(got.to_numpy(), close.to_numpy())


class FakeDownload:
    def __init__(self, result):
        self.result = result
        self.kwargs: dict = {}

    def __call__(self, tickers, **kwargs):
        self.kwargs = {"tickers": tickers, **kwargs}
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def test_fetch_asks_for_adjusted_full_history(two):
    fake = FakeDownload(download_frame({"QQQ": two["QQQ"]}))
    fetched = YahooProvider(download=fake).fetch(SeriesRequest("yahoo", "QQQ"))
    assert fake.kwargs["auto_adjust"] is True and fake.kwargs["actions"] is False
    assert fake.kwargs["period"] == "max" and fake.kwargs["progress"] is False
    assert (fetched.kind, fetched.frequency) == (Kind.PRICE, "D")
    assert "auto_adjust=True" in fetched.notes


def test_crypto_is_calendar_daily(two):
    fake = FakeDownload(download_frame({"BTC-USD": two["QQQ"]}))
    assert YahooProvider(download=fake).fetch(SeriesRequest("yahoo", "BTC-USD")).frequency == "C"


def test_yfinance_exception_becomes_provider_error():
    fake = FakeDownload(RuntimeError("Too Many Requests.\nRate limited. Try after a while."))
    with pytest.raises(ProviderError) as info:
        YahooProvider(download=fake).fetch(SeriesRequest("yahoo", "QQQ"))
    assert str(info.value) == (
        "yahoo:QQQ: yfinance failed (RuntimeError: Too Many Requests. Rate limited. "
        "Try after a while.); try again later or use --offline"
    )


def test_fetch_unknown_ticker():
    with pytest.raises(DataError, match="no data"):
        YahooProvider(download=FakeDownload(pd.DataFrame())).fetch(SeriesRequest("yahoo", "ZZZZ"))


def test_fetch_keywords_exist_in_the_installed_yfinance(two):
    """The call we make must bind to the real ``yfinance.download`` signature (no network)."""
    import inspect

    yfinance = pytest.importorskip("yfinance")
    fake = FakeDownload(download_frame({"QQQ": two["QQQ"]}))
    YahooProvider(download=fake).fetch(SeriesRequest("yahoo", "QQQ"))
    inspect.signature(yfinance.download).bind(**fake.kwargs)


def test_an_empty_download_with_a_network_failure_says_offline():
    class Logging(FakeDownload):
        def __call__(self, tickers, **kwargs):
            import logging

            logging.getLogger("yfinance").error(
                "['BTC-USD']: DNSError('Failed to perform, curl: (6) Could not resolve host: "
                "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html')")
            return super().__call__(tickers, **kwargs)

    with pytest.raises(ProviderError) as info:
        YahooProvider(download=Logging(pd.DataFrame())).fetch(SeriesRequest("yahoo", "BTC-USD"))
    assert str(info.value).startswith(
        "yahoo:BTC-USD: cannot reach Yahoo Finance (DNS lookup failed); offline?")


def test_an_unknown_ticker_keeps_yfinance_reason_in_one_line():
    class Logging(FakeDownload):
        def __call__(self, tickers, **kwargs):
            import logging

            logging.getLogger("yfinance").error("\n1 Failed download:")
            logging.getLogger("yfinance").error(
                "['ZZZZ']: YFTzMissingError('possibly delisted;\nno timezone found')")
            return super().__call__(tickers, **kwargs)

    with pytest.raises(DataError) as info:
        YahooProvider(download=Logging(pd.DataFrame())).fetch(SeriesRequest("yahoo", "ZZZZ"))
    assert str(info.value) == ("yahoo:ZZZZ: no data (unknown ticker?); yfinance: "
                               "YFTzMissingError('possibly delisted; no timezone found')")


@pytest.mark.parametrize(("proxy", "why"), [("http://127.0.0.1:9", "proxy"),
                                            ("http://no-such-host.invalid:9", "")])
def test_the_real_yfinance_offline_is_one_quiet_line(monkeypatch, capfd, proxy, why):
    """No network needed: the real yfinance (curl) is sent to a proxy that is not there."""
    pytest.importorskip("yfinance")
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ProviderError) as info:
        YahooProvider(timeout_s=10).fetch(SeriesRequest("yahoo", "BTC-USD"))
    text = str(info.value)
    assert text.startswith("yahoo:BTC-USD: cannot reach Yahoo Finance (")
    assert "offline?" in text and "\n" not in text and why in text
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # yfinance's own lines are not printed
