"""``backtest data fetch|list|show|clear``: the cache from the command line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backtest.cli._console import CliConsole

if TYPE_CHECKING:
    from backtest.data import Provider, SeriesRequest
    from backtest.data.cache import Cache

__all__ = ["register"]

data_app = typer.Typer(
    help=(
        "Fetch, list, show and clear cached series.\n\n"
        "Example:\n\n    backtest data fetch fred:DGS10 yahoo:QQQ && backtest data list"
    ),
    no_args_is_help=True,
)


def _cache(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from backtest.cli import state
    from backtest.data.cache import Cache, resolve_data_root

    s = state(ctx)
    return Cache(resolve_data_root(s.data_dir, s.env_data_dir))


def _config_ids(configs: list[Path]) -> list[str]:
    """The series ids of run configs that live outside this machine (not embedded/csv/synthetic)."""
    from backtest.config import load_config
    from backtest.data import SeriesRequest
    from backtest.data.cache import LOCAL_SOURCES

    ids = [sid for path in configs for sid in load_config(path).data.series_ids]
    return [sid for sid in dict.fromkeys(ids)
            if SeriesRequest.parse(sid).source not in LOCAL_SOURCES]


@data_app.command("fetch")
def fetch(
    ctx: typer.Context,
    series: Annotated[list[str] | None, typer.Argument(
        help="Series ids, e.g. fred:DGS10 yahoo:QQQ.")] = None,
    configs: Annotated[list[Path] | None, typer.Option(
        "--config", help="Also every series a run config reads from the network "
                         "(repeatable); embedded, csv and synthetic series need no fetch.")
    ] = None,
    list_only: Annotated[bool, typer.Option(
        "--list", help="Print the ids that would be fetched, one per line, and fetch none.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-fetch even if fresh.")] = False,
) -> None:
    """Fetch series into the cache (with a progress bar for several).

    A series that fails is reported on one line and the others are still fetched;
    a failed fetch never replaces the cached copy. With --mirror DIR the series are
    copied from that directory instead of the network.

    Example:

        backtest data fetch fred:DGS10 fred:BAA10Y yahoo:QQQ french:Portfolios_Formed_on_BE-ME/Hi10

        backtest data fetch --config strategies/etf_rotation.toml
    """
    from backtest.cli import state
    from backtest.data import SeriesRequest, default_providers
    from backtest.errors import CacheMissError, ConfigError, DataError

    s = state(ctx)
    ids = [*(series or []), *_config_ids(configs or [])]
    if list_only:
        for sid in dict.fromkeys(ids):
            typer.echo(sid)
        return
    if not ids:
        if configs:
            typer.echo(f"nothing to fetch: every series of {', '.join(map(str, configs))} is "
                       "local (embedded, csv or synthetic)")
            return
        raise ConfigError("data fetch: name series ids or --config FILE")
    requests = list(dict.fromkeys(SeriesRequest.parse(x) for x in ids))
    if s.offline and s.mirror is None:
        raise CacheMissError(
            "backtest data fetch needs the network; drop --offline (or copy from a local "
            "mirror with --mirror DIR)"
        )
    providers = default_providers(
        csv_root=s.csv_root, fred_api_key=s.fred_api_key, mirror=s.mirror
    )
    cache = _cache(ctx)
    console = CliConsole(stderr=True)
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    failed: list[str] = []
    with Progress(*columns, console=console, disable=len(requests) < 2) as progress:
        task = progress.add_task("fetching", total=len(requests))
        for request in requests:
            progress.update(task, description=str(request))
            line, ok = _fetch_one(request, providers, cache, force=force)
            progress.advance(task)
            if ok or len(requests) > 1:  # a lone failure is the error line itself
                console.print(line, markup=False, highlight=False, soft_wrap=True)
            if not ok:
                failed.append(str(request))
    if len(failed) == 1 and len(requests) == 1:
        raise DataError(line)
    if failed:
        raise DataError(
            f"{len(failed)} of {len(requests)} series failed: {', '.join(failed)}; "
            "their cached copies, if any, are unchanged"
        )


def _fetch_one(
    request: SeriesRequest, providers: Mapping[str, Provider], cache: Cache, *, force: bool
) -> tuple[str, bool]:
    """Fetch one series through the cache; return the line to print and success."""
    import warnings
    from datetime import timedelta

    from backtest.data.cache import LOCAL_SOURCES, load_series
    from backtest.errors import DataError, StaleDataWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleDataWarning)
            got = load_series(request, providers=providers, cache=cache, offline=False,
                              max_age=timedelta(0) if force else None, now=datetime.now(UTC))
    except DataError as exc:
        return str(exc), False
    finally:  # hand every other warning on to the CLI boundary (after recording ended)
        for w in caught:
            if not issubclass(w.category, StaleDataWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    stale = [w for w in caught if issubclass(w.category, StaleDataWarning)]
    if stale:  # the fetch failed; load_series kept the cached copy
        return f"{stale[0].message} (kept)", False
    where = " (local source, not cached)" if request.source in LOCAL_SOURCES else ""
    values = got.values
    return (f"{request}: {len(values)} rows, {values.index[0]:%Y-%m-%d} .. "
            f"{values.index[-1]:%Y-%m-%d}{where}"), True


@data_app.command("list")
def list_(ctx: typer.Context) -> None:
    """List cached series: source, first/last date, rows, age.

    Example:

        backtest data list
    """
    cache = _cache(ctx)
    now = datetime.now(UTC)
    table = Table(title=f"Cache at {cache.root}", title_justify="left")
    for col in ("Series", "Source", "Frequency", "First", "Last", "Rows", "Age"):
        table.add_column(col, justify="right" if col in ("Rows", "Age") else "left")
    entries = cache.entries()
    if not entries:
        CliConsole().print(f"the cache at {cache.root} is empty; fill it: backtest data fetch ...")
        return
    for m in entries:
        age = now - m.fetched_at
        table.add_row(str(m.request), m.source, m.frequency, str(m.first_date), str(m.last_date),
                      str(m.rows), f"{age.days}d {age.seconds // 3600}h")
    CliConsole().print(table)


@data_app.command("show")
def show(
    ctx: typer.Context,
    series: Annotated[str, typer.Argument(help="A series id, e.g. fred:DGS10.")],
    rows: Annotated[int, typer.Option("--rows", help="Rows of the head and tail to print.")] = 5,
) -> None:
    """Show a cached series' metadata and its first and last rows.

    Example:

        backtest data show fred:DGS10 --rows 10
    """
    from backtest.data import SeriesRequest
    from backtest.errors import CacheMissError

    request = SeriesRequest.parse(series)
    cache = _cache(ctx)
    got = cache.read(request)
    meta = cache.meta(request)
    if got is None or meta is None:
        raise CacheMissError(
            f"{request} is not in the cache at {cache.root}; run: backtest data fetch {request}"
        )
    console = CliConsole()
    for key, value in meta.to_dict().items():
        console.print(f"{key:>11}: {value}")
    values = got.values
    console.print(values.head(rows).to_string())
    if len(values) > 2 * rows:
        console.print("...")
    console.print(values.tail(rows).to_string())


@data_app.command("clear")
def clear(
    ctx: typer.Context,
    series: Annotated[
        list[str] | None, typer.Argument(help="Series ids; none = everything.")
    ] = None,
) -> None:
    """Remove series (or the whole cache) from disk.

    Example:

        backtest data clear fred:DGS10
    """
    from backtest.data import SeriesRequest

    cache = _cache(ctx)
    if series:
        removed = sum(cache.clear(SeriesRequest.parse(s)) for s in series)
    else:
        removed = cache.clear(None)
    CliConsole().print(f"removed {removed} cached series from {cache.root}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` group to the main app."""
    app.add_typer(data_app, name="data")
