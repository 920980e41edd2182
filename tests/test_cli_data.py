"""``backtest data fetch|list|show|clear`` and ``--mirror`` through CliRunner, no network.

The remote providers are replaced (``backtest.data.default_providers`` is
monkeypatched) by fakes that serve the shared CSV files under the live ids, and can be
told to fail like a live source does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import backtest.data
from backtest.data.base import FetchedSeries, SeriesRequest
from backtest.data.cache import Cache
from backtest.data.mirror import MirrorProvider
from backtest.errors import DataError, ProviderError

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


class FakeRemote:
    """Serves a remote source from the shared files; ``fail`` makes the next fetches fail."""

    def __init__(self, source: str, root: Path) -> None:
        self.source = source
        self._mirror = MirrorProvider(root)
        self.fail: Exception | None = None
        self.calls: list[str] = []

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        self.calls.append(str(request))
        if self.fail is not None:
            raise self.fail
        got = self._mirror.fetch(request)
        return FetchedSeries(request, got.values, got.kind, got.units, got.frequency,
                             notes=f"fake {self.source}")


@pytest.fixture
def remote(monkeypatch, shared_data):
    fakes = {s: FakeRemote(s, shared_data) for s in ("fred", "yahoo", "french")}
    real = backtest.data.default_providers

    def providers(**kwargs):
        out = real(**kwargs)
        if kwargs.get("mirror") is None:  # --mirror keeps the real mirror providers
            out.update(fakes)
        return out

    monkeypatch.setattr(backtest.data, "default_providers", providers)
    return fakes


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def cli(cache_dir: Path, *args: str):
    from backtest.cli import app

    return runner.invoke(app, ["--data-dir", str(cache_dir), *args], env=WIDE)


def test_fetch_one_then_several_with_progress(remote, cache_dir) -> None:
    one = cli(cache_dir, "data", "fetch", "fred:DGS10")
    assert one.exit_code == 0, one.output
    assert "fred:DGS10: 16172 rows, 1962-01-02 .. 2026-09-30" in one.output
    several = cli(cache_dir, "data", "fetch", "yahoo:QQQ", "french:Portfolios_Formed_on_BE-ME/Hi10",
                  "fred:DGS10")
    assert several.exit_code == 0, several.output
    assert "yahoo:QQQ: 6891 rows, 1999-03-10 .. 2026-07-31" in several.output
    assert "french:Portfolios_Formed_on_BE-ME/Hi10: 1196 rows" in several.output
    assert remote["fred"].calls == ["fred:DGS10"]  # fresh in the cache: not fetched again
    forced = cli(cache_dir, "data", "fetch", "--force", "fred:DGS10")
    assert forced.exit_code == 0 and remote["fred"].calls == ["fred:DGS10"] * 2
    entries = Cache(cache_dir).entries()
    assert [str(m.request) for m in entries] == [
        "fred:DGS10", "french:Portfolios_Formed_on_BE-ME/Hi10", "yahoo:QQQ"]


def test_list_is_a_table_of_source_dates_rows_and_age(remote, cache_dir) -> None:
    empty = cli(cache_dir, "data", "list")
    assert empty.exit_code == 0 and "is empty" in empty.output
    cli(cache_dir, "data", "fetch", "fred:DGS10", "yahoo:BTC-USD", "french:F-F_Research_Data_Factors/RF")
    listed = cli(cache_dir, "data", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    header = next(line for line in lines if "Series" in line)
    for column in ("Source", "Frequency", "First", "Last", "Rows", "Age"):
        assert column in header
    rows = {line.split()[1]: line.split() for line in lines if line.startswith("│ ")
            and ":" in line.split()[1]}
    assert rows["fred:DGS10"][2:8] == ["│", "fred", "│", "D", "│", "1962-01-02"]
    assert "2026-09-30" in rows["fred:DGS10"] and "16172" in rows["fred:DGS10"]
    assert "C" in rows["yahoo:BTC-USD"] and "4356" in rows["yahoo:BTC-USD"]
    assert "M" in rows["french:F-F_Research_Data_Factors/RF"]
    assert all("0d 0h" in " ".join(r) for r in rows.values())  # just fetched


def test_show_prints_metadata_and_rows(remote, cache_dir) -> None:
    cli(cache_dir, "data", "fetch", "fred:NFCI")
    shown = cli(cache_dir, "data", "show", "fred:NFCI", "--rows", "2")
    assert shown.exit_code == 0, shown.output
    for text in ("series: fred:NFCI", "frequency: W", "rows: 2891", "first_date: 1971-01-08",
                 "last_date: 2026-05-29", "sha256:", "1971-01-08", "2026-05-29", "..."):
        assert text in shown.output


def test_clear_one_and_all(remote, cache_dir) -> None:
    cli(cache_dir, "data", "fetch", "fred:DGS10", "fred:BAA10Y")
    one = cli(cache_dir, "data", "clear", "fred:DGS10")
    assert one.exit_code == 0 and "removed 1 cached series" in one.output
    assert [str(m.request) for m in Cache(cache_dir).entries()] == ["fred:BAA10Y"]
    everything = cli(cache_dir, "data", "clear")
    assert "removed 1 cached series" in everything.output
    assert Cache(cache_dir).entries() == []
    assert not list(cache_dir.rglob("*.meta.json"))


def test_offline_messages(remote, cache_dir) -> None:
    fetch = cli(cache_dir, "--offline", "data", "fetch", "fred:DGS10")
    assert fetch.exit_code == 1
    assert fetch.output.strip() == (
        "Error: backtest data fetch needs the network; drop --offline (or copy from a local "
        "mirror with --mirror DIR)")
    show = cli(cache_dir, "--offline", "data", "show", "fred:DGS10")
    assert show.exit_code == 1
    assert show.output.strip() == (f"Error: fred:DGS10 is not in the cache at {cache_dir}; "
                                   "run: backtest data fetch fred:DGS10")
    assert remote["fred"].calls == []


@pytest.mark.parametrize(
    ("failure", "expected"),
    [(ProviderError("fred:DGS10: HTTP 503 from fred after 4 attempts; try again later or use "
                    "--offline"), "HTTP 503 from fred after 4 attempts"),
     (ProviderError("fred:DGS10: fred sent an HTML page ('Error') instead of CSV"), "HTML page"),
     (DataError("fred:DGS10: line 812 has 1 fields, expected 2 (truncated or garbled row)"),
      "truncated")],
)
def test_a_failed_fetch_keeps_the_cached_copy(remote, cache_dir, failure, expected) -> None:
    assert cli(cache_dir, "data", "fetch", "fred:DGS10").exit_code == 0
    cache = Cache(cache_dir)
    before = cache.meta(SeriesRequest.parse("fred:DGS10"))
    parquet = next(cache_dir.rglob("*.parquet")).read_bytes()
    remote["fred"].fail = failure
    again = cli(cache_dir, "data", "fetch", "--force", "fred:DGS10")
    assert again.exit_code == 1
    lines = again.output.strip().splitlines()
    assert len(lines) == 1, lines  # printed once, as the error (issue 11)
    assert lines[0].startswith("Error: fred:DGS10: ") and lines[0].endswith("(kept)")
    assert expected in lines[0] and "using the cached copy" in lines[0]
    assert cache.meta(SeriesRequest.parse("fred:DGS10")) == before
    assert next(cache_dir.rglob("*.parquet")).read_bytes() == parquet
    assert not list(cache_dir.rglob("*.tmp"))


def test_unknown_series_and_partial_failures(remote, cache_dir) -> None:
    remote["fred"].fail = DataError("fred:NOPE: unknown series at FRED (HTTP 404); check the id "
                                    "at https://fred.stlouisfed.org/series/NOPE")
    one = cli(cache_dir, "data", "fetch", "fred:NOPE")
    assert one.exit_code == 1
    assert one.output.strip().splitlines() == [
        "Error: fred:NOPE: unknown series at FRED (HTTP 404); check the id at "
        "https://fred.stlouisfed.org/series/NOPE"]
    mixed = cli(cache_dir, "data", "fetch", "yahoo:QQQ", "fred:NOPE", "yahoo:TLT")
    assert mixed.exit_code == 1
    lines = mixed.output.strip().splitlines()
    assert lines[-1] == (
        "Error: 1 of 3 series failed: fred:NOPE; their cached copies, if any, are unchanged")
    assert sum("fred:NOPE: unknown series" in line for line in lines) == 1
    assert [str(m.request) for m in Cache(cache_dir).entries()] == ["yahoo:QQQ", "yahoo:TLT"]


def test_mirror_fetch_copies_into_the_cache(remote, cache_dir, shared_data) -> None:
    copied = cli(cache_dir, "--mirror", str(shared_data), "data", "fetch", "fred:WALCL", "yahoo:^GSPC")
    assert copied.exit_code == 0, copied.output
    assert remote["fred"].calls == [] and remote["yahoo"].calls == []  # no "network"
    meta = json.loads(next(cache_dir.rglob("WALCL.meta.json")).read_text())
    assert meta["notes"].startswith(f"mirror: {shared_data / 'macro' / 'WALCL.csv'}")
    assert meta["units"] == "millions of USD" and meta["frequency"] == "W"
    assert str(Cache(cache_dir).entries()[1].request) == "yahoo:^GSPC"
    offline = cli(cache_dir, "--offline", "--mirror", str(shared_data), "data", "fetch", "fred:BAA")
    assert offline.exit_code == 0, offline.output  # a mirror needs no network


def test_run_with_mirror(remote, cache_dir, shared_data, tmp_path) -> None:
    out = tmp_path / "reports"
    result = cli(cache_dir, "--mirror", str(shared_data), "run",
                 str(REPO / "strategies" / "etf_rotation.toml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    for text in ("2016-12-22 .. 2026-07-31", "periods_per_year=252", "ETF duration", "spy",
                 "sixty_forty", "2022 inflation shock"):
        assert text in result.output
    payload = json.loads((out / "etf_rotation.json").read_text())
    ids = {s["id"] for s in payload["data"]["sources"]}
    assert {"yahoo:QQQ", "fred:DGS10", "fred:BAMLH0A0HYM2"} <= ids
    assert all(s["notes"].startswith("mirror: ") for s in payload["data"]["sources"])
    assert not cache_dir.exists()  # a mirror run reads no cache and writes none
    assert all(not fake.calls for fake in remote.values())


def test_mirror_option_is_documented() -> None:
    from backtest.cli import app

    result = runner.invoke(app, ["--help"], env=WIDE)
    assert "--mirror" in result.output and "../shared/data" in result.output
