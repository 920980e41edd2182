"""Mirror mode: live ids served from a directory laid out like ../shared/data.

The key property: a Dataset built from the mirror equals, value for value and field for
field (except the provenance notes), the Dataset built by the live providers from the
same numbers. The "live" side here is the real FRED, Ken French and Yahoo providers
talking to fakes that serve the shared files in each source's own wire format.
"""

from __future__ import annotations

import doctest
import io
import zipfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from backtest.config import AssetSpec, MacroSpec
from backtest.data import SeriesRequest, default_providers, make_loader, mirror
from backtest.data.cache import Cache, load_series
from backtest.data.dataset import build_dataset
from backtest.data.fred import FredProvider
from backtest.data.french import FrenchProvider
from backtest.data.mirror import MirrorProvider, mirror_request
from backtest.data.yahoo import YahooProvider
from backtest.errors import DataError

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_doctests() -> None:
    assert doctest.testmod(mirror).failed == 0


@pytest.mark.parametrize(
    ("live", "local"),
    [("fred:DGS10", "csv:macro/DGS10"),
     ("fred:dgs10", "csv:macro/DGS10"),
     ("yahoo:QQQ", "csv:assets/QQQ"),
     ("yahoo:BTC-USD", "csv:assets/BTC-USD"),
     ("yahoo:^GSPC", "csv:assets/GSPC"),
     ("french:Portfolios_Formed_on_BE-ME/Hi10", "csv:assets/Portfolios_Formed_on_BE-ME_monthly#Hi10"),
     ("french:Portfolios_Formed_on_D-P/<= 0", "csv:assets/Portfolios_Formed_on_D-P_monthly#LE0"),
     ("french:F-F_Research_Data_Factors/Mkt-RF", "csv:assets/F-F_Research_Data_Factors_monthly#Mkt-RF"),
     ("french:F-F_Research_Data_Factors_daily/RF", "csv:assets/F-F_Research_Data_Factors_daily#RF")],
)
def test_mirror_paths(live: str, local: str) -> None:
    assert str(mirror_request(SeriesRequest.parse(live))) == local


@pytest.mark.parametrize(
    ("sid", "message"),
    [("french:Portfolios_Formed_on_BE-ME/Hi10@equal", "drop '@equal'"),
     ("yahoo:../secrets", "cannot name a file"),
     ("fred:A/B", "cannot name a file"),
     ("csv:macro/DGS10", "only fred, french, yahoo")],
)
def test_bad_mirror_ids(sid: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        mirror_request(SeriesRequest.parse(sid))


def test_mirror_serves_live_ids_with_live_labels(shared_data: Path) -> None:
    provider = MirrorProvider(shared_data)
    dgs10 = provider.fetch(SeriesRequest.parse("fred:DGS10"))
    assert str(dgs10.request) == "fred:DGS10" and dgs10.values.name == "fred:DGS10"
    assert (dgs10.kind.value, dgs10.units, dgs10.frequency) == ("level", "percent", "D")
    assert dgs10.notes.startswith(f"mirror: {shared_data / 'macro' / 'DGS10.csv'}; FRED")
    assert dgs10.values["1981-09-30"] == 15.84  # the all-time high (SOURCES.md)
    gspc = provider.fetch(SeriesRequest.parse("yahoo:^GSPC"))
    assert (gspc.kind.value, gspc.frequency) == ("price", "D")
    assert gspc.values["1987-10-19"] / gspc.values["1987-10-16"] - 1 == pytest.approx(-0.205, abs=1e-3)
    btc = provider.fetch(SeriesRequest.parse("yahoo:BTC-USD"))
    assert btc.frequency == "C"  # crypto trades every calendar day
    assert btc.values["2021"].idxmax() == pd.Timestamp("2021-11-08")
    hi10 = provider.fetch(SeriesRequest.parse("french:Portfolios_Formed_on_BE-ME/Hi 10"))
    assert (hi10.kind.value, hi10.units, hi10.frequency) == ("return", "decimal return", "M")
    raw = pd.read_csv(shared_data / "assets" / "Portfolios_Formed_on_BE-ME_monthly.csv",
                      index_col="date", parse_dates=True)["Hi10"].dropna()
    raw.index = raw.index.as_unit("ns")
    pd.testing.assert_series_equal(hi10.values, raw / 100, check_names=False, check_freq=False)


def test_missing_series_names_the_mirror_file(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"fred:DGS1O \(mirror\): .*no file macro/DGS1O.csv.*"
                                        r"did you mean DGS10"):
        MirrorProvider(shared_data).fetch(SeriesRequest.parse("fred:DGS1O"))
    with pytest.raises(DataError, match="the mirror directory .* does not exist"):
        MirrorProvider(tmp_path / "nowhere").fetch(SeriesRequest.parse("fred:DGS10"))


def test_mirror_reads_bypass_the_cache_and_the_network(shared_data: Path, tmp_path: Path) -> None:
    load = make_loader(offline=True, data_dir=str(tmp_path / "cache"), mirror=shared_data)
    got = load(SeriesRequest.parse("yahoo:QQQ"))  # offline, empty cache: the mirror serves it
    assert got.values.index[-1] == pd.Timestamp("2026-07-31")
    assert not (tmp_path / "cache").exists()  # mirror reads are never cached
    providers = default_providers(mirror=shared_data)
    assert {type(providers[s]).__name__ for s in ("fred", "yahoo", "french")} == {"MirrorProvider"}
    assert type(default_providers()["fred"]).__name__ == "FredProvider"


# --- the live providers, fed the shared files in their own wire formats -------------


class _Response:
    def __init__(self, content: bytes) -> None:
        self.status_code, self.content, self.headers = 200, content, {}


class _Web:
    """Serves FRED CSV downloads and Ken French zips built from the shared files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, url: str, *, params=None, timeout: float) -> _Response:
        if "fredgraph" in url:
            sid = params["id"]
            text = (self.root / "macro" / f"{sid}.csv").read_text()
            return _Response(text.replace("date,value", f"observation_date,{sid}", 1).encode())
        file = url.rsplit("/", 1)[1].removesuffix("_CSV.zip")
        stem = file if file.endswith("_daily") else f"{file}_monthly"
        tidy = pd.read_csv(self.root / "assets" / f"{stem}.csv", index_col="date", parse_dates=True)
        fmt = "%Y%m%d" if file.endswith("_daily") else "%Y%m"
        lines = ["This file was created using the 202602 CRSP database.", "",
                 "  Value Weight Returns -- Monthly", "," + ",".join(tidy.columns)]
        lines += [d.strftime(fmt) + "," + ",".join(f"{v:.2f}" for v in row)
                  for d, row in tidy.fillna(-99.99).iterrows()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{file}.CSV", "\n".join(lines) + "\n")
        return _Response(buffer.getvalue())


def _download(root: Path):
    def download(ticker: str, **_: object) -> pd.DataFrame:
        frame = pd.read_csv(root / "assets" / f"{ticker.lstrip('^')}.csv", index_col="date",
                            parse_dates=True)
        close = frame["adj_close"].rename_axis("Date")
        columns = pd.MultiIndex.from_tuples([("Close", ticker)], names=["Price", "Ticker"])
        return pd.DataFrame({("Close", ticker): close}).set_axis(columns, axis=1)
    return download


@pytest.fixture
def live(shared_data: Path, tmp_path: Path):
    web = _Web(shared_data)
    providers = default_providers()
    providers.update(fred=FredProvider(web, sleep=lambda s: None),
                     french=FrenchProvider(web, sleep=lambda s: None),
                     yahoo=YahooProvider(download=_download(shared_data)))
    cache = Cache(tmp_path / "cache")

    def load(request: SeriesRequest):
        return load_series(request, providers=providers, cache=cache, offline=False,
                           max_age=None, now=NOW)
    return load


DAILY = ({"QQQ": AssetSpec(id="yahoo:QQQ"), "BTC": AssetSpec(id="yahoo:BTC-USD"),
          "BIL": AssetSpec(id="yahoo:BIL")},
         {"DGS10": MacroSpec(id="fred:DGS10"), "NET": MacroSpec(id="fred:WALCL - fred:RRPONTSYD*1000"),
          "NFCI": MacroSpec(id="fred:NFCI")}, "BIL", "B")
MONTHLY = ({"HI": AssetSpec(id="french:Portfolios_Formed_on_BE-ME/Hi10"),
            "RF": AssetSpec(id="french:F-F_Research_Data_Factors/RF"),
            "MKT": AssetSpec(id="french:F-F_Research_Data_Factors/Mkt-RF + "
                                "french:F-F_Research_Data_Factors/RF"),
            "CASH3M": AssetSpec(id="fred:DGS3MO", kind="bill_yield", basis="bond_equivalent",
                                before="fred:TB3MS", before_basis="discount")},
           {"SPREAD": MacroSpec(id="fred:BAA - fred:AAA")}, "RF", "M")


@pytest.mark.parametrize("spec", [DAILY, MONTHLY], ids=["daily", "monthly"])
def test_mirror_dataset_equals_the_live_dataset(spec, live, shared_data: Path) -> None:
    assets, macro, cash, freq = spec
    kw = dict(cash=cash, frequency=freq, periods_per_year=252 if freq == "B" else 12)
    from_live = build_dataset(assets, macro, load=live, **kw)
    from_mirror = build_dataset(assets, macro, load=make_loader(mirror=shared_data), **kw)
    pd.testing.assert_frame_equal(from_live.prices, from_mirror.prices)
    pd.testing.assert_frame_equal(from_live.macro, from_mirror.macro)
    assert from_live.fingerprint == from_mirror.fingerprint
    assert len(from_live.sources) == len(from_mirror.sources)
    for a, b in zip(from_live.sources, from_mirror.sources, strict=True):
        a_fields, b_fields = asdict(a), asdict(b)
        assert b_fields.pop("notes").startswith("mirror: ")
        a_fields.pop("notes")
        assert a_fields == b_fields
