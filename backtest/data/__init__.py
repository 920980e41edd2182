"""Data: providers (the only network code), the cache, alignment and the Dataset."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backtest.data.base import FetchedSeries, Kind, Provider, SeriesRequest
from backtest.data.dataset import Dataset, Loader, build_dataset

__all__ = [
    "Dataset",
    "FetchedSeries",
    "Kind",
    "Loader",
    "Provider",
    "SeriesRequest",
    "build_dataset",
    "default_providers",
    "make_loader",
]


def default_providers(
    *, csv_root: Path | None = None, fred_api_key: str | None = None
) -> dict[str, Provider]:
    """One provider per source; remote ones import their client libraries lazily."""
    from backtest.data.csv import CsvProvider
    from backtest.data.embedded import EmbeddedProvider
    from backtest.data.fred import FredProvider
    from backtest.data.french import FrenchProvider
    from backtest.data.synthetic import SyntheticProvider
    from backtest.data.yahoo import YahooProvider

    return {
        "embedded": EmbeddedProvider(),
        "synthetic": SyntheticProvider(),
        "csv": CsvProvider(csv_root or Path.cwd()),
        "fred": FredProvider(api_key=fred_api_key),
        "yahoo": YahooProvider(),
        "french": FrenchProvider(),
    }


def make_loader(
    *,
    offline: bool = False,
    data_dir: str | None = None,
    env_data_dir: str | None = None,
    csv_root: Path | None = None,
    fred_api_key: str | None = None,
    now: datetime | None = None,
) -> Loader:
    """A loader that reads local sources directly and remote ones through the cache.

    ``data_dir`` (``--data-dir``) beats ``env_data_dir`` (``$BACKTEST_DATA``, read by
    the caller at the edge) beats ``./data/cache``. ``offline`` never touches the
    network and names the ``backtest data fetch`` to run for a missing series.
    """
    from backtest.data.cache import Cache, load_series, resolve_data_root

    providers = default_providers(csv_root=csv_root, fred_api_key=fred_api_key)
    cache = Cache(resolve_data_root(data_dir, env_data_dir))
    when = now or datetime.now(UTC)

    def load(request: SeriesRequest) -> FetchedSeries:
        return load_series(
            request, providers=providers, cache=cache, offline=offline, max_age=None, now=when
        )

    return load
