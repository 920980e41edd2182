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
    *,
    csv_root: Path | None = None,
    fred_api_key: str | None = None,
    mirror: Path | None = None,
) -> dict[str, Provider]:
    """One provider per source; remote ones import their client libraries lazily.

    With ``mirror`` (``--mirror DIR``), ``fred``, ``yahoo`` and ``french`` ids are
    served from that local directory instead of the network
    (:mod:`backtest.data.mirror`).
    """
    from backtest.data.csv import CsvProvider
    from backtest.data.embedded import EmbeddedProvider
    from backtest.data.fred import FredProvider
    from backtest.data.french import FrenchProvider
    from backtest.data.mirror import MIRRORED_SOURCES, MirrorProvider
    from backtest.data.synthetic import SyntheticProvider
    from backtest.data.yahoo import YahooProvider

    providers: dict[str, Provider] = {
        "embedded": EmbeddedProvider(),
        "synthetic": SyntheticProvider(),
        "csv": CsvProvider(csv_root or Path.cwd()),
        "fred": FredProvider(api_key=fred_api_key),
        "yahoo": YahooProvider(),
        "french": FrenchProvider(),
    }
    if mirror is not None:
        served = MirrorProvider(mirror)
        providers.update(dict.fromkeys(MIRRORED_SOURCES, served))
    return providers


def make_loader(
    *,
    offline: bool = False,
    data_dir: str | None = None,
    env_data_dir: str | None = None,
    csv_root: Path | None = None,
    fred_api_key: str | None = None,
    now: datetime | None = None,
    mirror: Path | None = None,
) -> Loader:
    """A loader that reads local sources directly and remote ones through the cache.

    ``data_dir`` (``--data-dir``) beats ``env_data_dir`` (``$BACKTEST_DATA``, read by
    the caller at the edge) beats ``./data/cache``. ``offline`` never touches the
    network and names the ``backtest data fetch`` to run for a missing series.

    ``mirror`` (``--mirror DIR``) serves ``fred:``, ``yahoo:`` and ``french:`` ids from
    a local directory laid out like ``../shared/data`` (:mod:`backtest.data.mirror`):
    read like local files (never cached, no network, ``offline`` is moot), labelled
    with their live ids so lags and result structure match a live run.
    """
    from backtest.data.cache import Cache, load_series, resolve_data_root
    from backtest.data.mirror import MIRRORED_SOURCES

    providers = default_providers(csv_root=csv_root, fred_api_key=fred_api_key, mirror=mirror)
    cache = Cache(resolve_data_root(data_dir, env_data_dir))
    when = now or datetime.now(UTC)

    def load(request: SeriesRequest) -> FetchedSeries:
        if mirror is not None and request.source in MIRRORED_SOURCES:
            return load_series(
                request, providers=providers, cache=None, offline=False, max_age=None, now=when
            )
        return load_series(
            request, providers=providers, cache=cache, offline=offline, max_age=None, now=when
        )

    return load
