"""``[data]``: the assets and macro series of a run, by alias."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from backtest.data._table import CsvFormat, DateFormat
from backtest.data.align import PublicationLag
from backtest.data.base import SeriesRequest
from backtest.data.csv import CsvName
from backtest.data.expr import LinearExpr, parse_expr
from backtest.errors import ConfigError, DataWarning

__all__ = ["AssetSpec", "DataConfig", "MacroSpec"]


#: Series quoted on a bank-discount basis / as bond-equivalent yields (checked for bill_yield).
_DISCOUNT_BILLS = frozenset({"TB3MS", "TB6MS", "TB4WK", "DTB3", "DTB6", "DTB4WK", "DTB1YR"})
_BOND_EQUIVALENT = frozenset({"DGS1MO", "DGS3MO", "DGS6MO", "DGS1"})
_BILL_ONLY = ("basis", "before", "before_basis", "lag", "before_lag")


def _read_as(
    where: str,
    text: str,
    column: str | None,
    date_column: str | None,
    date_format: DateFormat | None,
    skip_rows: tuple[str, ...],
) -> LinearExpr:
    """The parsed id; with CSV layout keys, one ``csv:`` series whose name carries them."""
    expr = parse_expr(text)
    if column is None and date_column is None and date_format is None and not skip_rows:
        return expr
    keys = "column, date_column, date_format and skip_rows"
    if len(expr.terms) != 1 or expr.terms[0][1] != 1.0:
        raise ConfigError(f"{where}: {keys} apply to one csv: series, not to an expression")
    request = SeriesRequest.parse(expr.names[0])
    if request.source != "csv":
        raise ConfigError(f"{where}: {keys} apply only to csv: series (files of yours); "
                          f"{request} is laid out by its provider")
    name = CsvName.parse(request.name, str(request))
    if column is not None and name.column is not None:
        raise ConfigError(f"{where}: the column is given twice (#{name.column} in the id and "
                          f"column = {column!r}); keep one")
    if column is not None and not column.strip():
        raise ConfigError(f"{where}: column is empty")
    fmt = CsvFormat(date_column=date_column, date_format=date_format or "YYYY-MM-DD",
                    skip_rows=skip_rows)
    full = CsvName(name.path, column if column is not None else name.column, fmt)
    return LinearExpr(text.strip(), ((f"csv:{full.to_name()}", 1.0),))


@dataclass(frozen=True, kw_only=True)
class AssetSpec:
    """One tradable asset: ``alias = "source:name"`` or a table with ``id`` and ``kind``.

    ``kind`` overrides what the provider says the numbers are:

    * ``price`` — a total-return level;
    * ``return`` — decimal periodic returns; ``return_pct`` — returns in percent (as in
      the tidy Ken French CSV files). For return series, ``id`` may be a linear
      expression whose terms are combined bar by bar, e.g. the market
      ``"french:F-F_Research_Data_Factors/Mkt-RF + french:F-F_Research_Data_Factors/RF"``;
    * ``bill_yield`` — a cash asset built from a Treasury bill yield in percent
      (:mod:`backtest.data.bills`): ``basis`` says how ``id`` is quoted
      (``discount``: TB3MS, DTB3; ``bond_equivalent``: DGS3MO); ``before`` is an
      optional older series (with its ``before_basis``) used until ``id`` is first
      known; ``lag``/``before_lag`` override the publication lags.

    A ``csv:`` file of one's own may state its layout: ``column`` (any header, e.g.
    ``"S&P 500"``), ``date_column``, ``date_format`` and ``skip_rows``
    (:class:`~backtest.data._table.CsvFormat`).
    """

    id: str
    kind: Literal["price", "return", "return_pct", "bill_yield"] | None = None
    basis: Literal["discount", "bond_equivalent"] | None = None
    before: str | None = None
    before_basis: Literal["discount", "bond_equivalent"] | None = None
    lag: str | None = None
    before_lag: str | None = None
    column: str | None = None
    date_column: str | None = None
    date_format: DateFormat | None = None
    skip_rows: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        expr = self.expr
        for name in expr.names:
            SeriesRequest.parse(name)
        if self.kind != "bill_yield":
            extra = [k for k in _BILL_ONLY if getattr(self, k) is not None]
            if extra:
                raise ConfigError(
                    f"asset {self.id!r}: {', '.join(extra)}: only for kind = 'bill_yield'"
                )
            if len(expr.terms) > 1 and self.kind == "price":
                raise ConfigError(
                    f"asset {self.id!r}: price levels cannot be added; an expression asset "
                    "needs kind = 'return' or 'return_pct' (or a provider of returns)"
                )
            return
        self._check_bill()

    def _check_bill(self) -> None:
        where = f"bill_yield asset {self.id!r}"
        if self.before is not None:
            SeriesRequest.parse(self.before)
        for series, basis, lag, key in (
            (self.id, self.basis, self.lag, "basis"),
            (self.before, self.before_basis, self.before_lag, "before_basis"),
        ):
            if series is None:
                if basis is not None or lag is not None:
                    raise ConfigError(f"{where}: before_basis/before_lag need before")
                continue
            if len(parse_expr(series).terms) != 1:
                raise ConfigError(f"{where}: {series!r} must be a single series")
            if basis is None:
                raise ConfigError(
                    f"{where}: set {key} = 'discount' (TB3MS, DTB3) or 'bond_equivalent' "
                    f"(DGS3MO) for {series}"
                )
            name = series.rpartition("/")[2].rpartition(":")[2]
            name = name.partition("#")[0].partition("?")[0].strip().upper()
            if name not in _DISCOUNT_BILLS | _BOND_EQUIVALENT:
                warnings.warn(
                    f"{where}: {series} is not a bill series this program knows (TB3MS, DTB3, "
                    f"DGS3MO, ...), so its {key} = {basis!r} cannot be checked; make sure it "
                    "is right (at a 5% yield the two bases differ by about 0.17 percentage "
                    "points a year)",
                    DataWarning,
                    stacklevel=2,
                )
            expected = ("discount" if name in _DISCOUNT_BILLS
                        else "bond_equivalent" if name in _BOND_EQUIVALENT else basis)
            if basis != expected:
                raise ConfigError(
                    f"{where}: {series} is quoted on a {expected} basis, not {basis}; "
                    f"set {key} = {expected!r}"
                )
            if lag is not None:
                PublicationLag(lag)

    @property
    def expr(self) -> LinearExpr:
        """The parsed id (one term for a plain series; CSV layout keys folded in)."""
        return _read_as(f"asset {self.id!r}", self.id, self.column, self.date_column,
                        self.date_format, self.skip_rows)

    @property
    def series_ids(self) -> tuple[str, ...]:
        """Every series id this asset reads (expression terms, then ``before``)."""
        ids = self.expr.names
        return (*ids, self.before) if self.before is not None else ids

    @property
    def request(self) -> SeriesRequest:
        """The provider request of a single-series asset."""
        if len(self.expr.terms) != 1:
            raise ConfigError(f"asset {self.id!r} is an expression of several series")
        return SeriesRequest.parse(self.expr.names[0])


@dataclass(frozen=True, kw_only=True)
class MacroSpec:
    """One macro series: an id or linear expression of ids, and an optional lag override.

    A ``csv:`` file of one's own may state its layout, as an asset's can (``column``,
    ``date_column``, ``date_format``, ``skip_rows``).
    """

    id: str
    lag: str | None = None
    column: str | None = None
    date_column: str | None = None
    date_format: DateFormat | None = None
    skip_rows: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in self.expr.names:
            SeriesRequest.parse(name)
        if self.lag is not None:
            PublicationLag(self.lag)

    @property
    def expr(self) -> LinearExpr:
        """The parsed expression (CSV layout keys folded into a single csv: series)."""
        return _read_as(f"macro series {self.id!r}", self.id, self.column, self.date_column,
                        self.date_format, self.skip_rows)


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """``[data]``: assets and macro series by alias, and which asset is cash."""

    assets: Mapping[str, AssetSpec]
    macro: Mapping[str, MacroSpec]
    cash: str

    def __post_init__(self) -> None:
        if self.cash not in self.assets:
            raise ConfigError(
                f"data.cash: {self.cash!r} is not an asset; assets: {', '.join(self.assets)}"
            )
        clash = set(self.assets) & set(self.macro)
        if clash:
            raise ConfigError(f"data: aliases used for both an asset and a macro series: {clash}")

    @property
    def series_ids(self) -> tuple[str, ...]:
        """Every series id the config reads (assets, then macro series), each once."""
        ids = [sid for spec in self.assets.values() for sid in spec.series_ids]
        ids += [sid for spec in self.macro.values() for sid in spec.expr.names]
        return tuple(dict.fromkeys(ids))
