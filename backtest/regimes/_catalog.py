"""The regime catalog: dated episodes parsed from TOML into frozen records."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from backtest._typing import DateLike
from backtest.errors import ConfigError

__all__ = [
    "Regime",
    "RegimeKind",
    "load_catalog",
    "parse_catalog",
    "regimes_within",
]

_KEYS: tuple[str, ...] = ("name", "start", "end", "kind", "description", "reference")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RegimeKind(StrEnum):
    """What kind of episode a regime is.

    Members are strings, so ``RegimeKind.RATE_SHOCK == "rate_shock"``.
    """

    #: Policy rates and/or Treasury yields rising fast.
    RATE_SHOCK = "rate_shock"
    #: Credit spreads widening: defaults, bank runs, funding stress.
    CREDIT_STRESS = "credit_stress"
    #: Reserves, dealer balance sheets or leverage draining.
    LIQUIDITY_DRAIN = "liquidity_drain"
    #: Relief: the cost of capital falling.
    EASING = "easing"


_KINDS: tuple[str, ...] = tuple(kind.value for kind in RegimeKind)


@dataclass(frozen=True)
class Regime:
    """One dated episode of the catalog.

    Parameters
    ----------
    name : str
        Short unique label, e.g. ``"1994 bond rout"``.
    start, end : pd.Timestamp
        First and last calendar day of the episode, both inclusive; tz-naive
        midnight timestamps with ``start <= end``.
    kind : RegimeKind
        Rate shock, credit stress, liquidity drain or easing.
    description : str
        One line: what happened, with the numbers that matter.
    reference : str
        A citable source.

    Raises
    ------
    ConfigError
        Empty name, a timestamp that is tz-aware or not at midnight,
        ``start > end``, or ``kind`` not a :class:`RegimeKind`.
    """

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    kind: RegimeKind
    description: str
    reference: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("regime name must be a non-empty string")
        for label in ("start", "end"):
            value = getattr(self, label)
            if not isinstance(value, pd.Timestamp) or value.tz is not None:
                raise ConfigError(f"regime {self.name!r}: {label} must be a tz-naive Timestamp")
            if value != value.normalize():
                raise ConfigError(f"regime {self.name!r}: {label} must be a date (midnight)")
        if self.start > self.end:
            raise ConfigError(
                f"regime {self.name!r}: start {self.start.date()} is after end {self.end.date()}"
            )
        if not isinstance(self.kind, RegimeKind):
            raise ConfigError(f"regime {self.name!r}: kind must be a RegimeKind, got {self.kind!r}")

    def overlaps(self, start: DateLike, end: DateLike) -> bool:
        """Say whether the episode shares at least one day with ``[start, end]``.

        Parameters
        ----------
        start, end : str or pd.Timestamp
            Inclusive bounds of the other interval.

        Returns
        -------
        bool
            ``self.start <= end and self.end >= start``.
        """
        return bool(self.start <= pd.Timestamp(end) and self.end >= pd.Timestamp(start))


def parse_catalog(text: str, origin: str = "<string>") -> tuple[Regime, ...]:
    """Parse a regime catalog from TOML text.

    Parameters
    ----------
    text : str
        TOML with one ``[[regime]]`` table per episode and no other top-level
        key. Each table has exactly the keys ``name``, ``start``, ``end``,
        ``kind``, ``description`` and ``reference``; dates are ISO strings
        ``"YYYY-MM-DD"`` (TOML date literals are accepted too).
    origin : str, default "<string>"
        Where the text came from (a file path); every error message starts
        with it.

    Returns
    -------
    tuple of Regime
        In file order.

    Raises
    ------
    ConfigError
        Malformed TOML, no ``[[regime]]`` tables, an unknown or missing key, a
        value of the wrong type, a bad date, ``start > end``, an unknown kind
        or a duplicate name. The one-line message names ``origin``, the
        regime (position, and name when known) and the problem.

    Examples
    --------
    >>> text = '''
    ... [[regime]]
    ... name = "1994 bond rout"
    ... start = "1994-02-04"
    ... end = "1994-11-07"
    ... kind = "rate_shock"
    ... description = "10y Treasury yield rose from 5.9% to 8.0%"
    ... reference = "Borio & McCauley (1996), BIS Economic Papers No. 45"
    ... '''
    >>> (regime,) = parse_catalog(text)
    >>> regime.kind, regime.end.date()
    (<RegimeKind.RATE_SHOCK: 'rate_shock'>, datetime.date(1994, 11, 7))
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: malformed TOML: {exc}") from exc
    extra = sorted(set(document) - {"regime"})
    if extra:
        raise ConfigError(
            f"{origin}: unknown top-level key(s) {', '.join(map(repr, extra))}; "
            "the catalog holds only [[regime]] tables"
        )
    tables = document.get("regime")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{origin}: no [[regime]] tables found")
    regimes: list[Regime] = []
    seen: dict[str, int] = {}
    for position, table in enumerate(tables, start=1):
        regime = _parse_table(table, origin, position)
        key = regime.name.strip().casefold()
        if key in seen:
            raise ConfigError(
                f"{origin}: regime #{position} ({regime.name!r}): duplicate name, "
                f"already used by regime #{seen[key]}"
            )
        seen[key] = position
        regimes.append(regime)
    return tuple(regimes)


def load_catalog(path: Path) -> tuple[Regime, ...]:
    """Read and parse a regime catalog file.

    Parameters
    ----------
    path : Path
        A TOML file in the format of :func:`parse_catalog`, e.g. the
        repository's ``data/regimes.toml``.

    Returns
    -------
    tuple of Regime
        In file order.

    Raises
    ------
    ConfigError
        The file is missing or unreadable, or does not parse (see
        :func:`parse_catalog`).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"regime catalog not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read regime catalog {path}: {exc}") from exc
    return parse_catalog(text, origin=str(path))


def regimes_within(catalog: Sequence[Regime], start: DateLike, end: DateLike) -> tuple[Regime, ...]:
    """Select the regimes that overlap ``[start, end]``.

    Parameters
    ----------
    catalog : sequence of Regime
        E.g. the output of :func:`load_catalog`.
    start, end : str or pd.Timestamp
        Inclusive bounds, e.g. the first and last date of a backtest.

    Returns
    -------
    tuple of Regime
        Regimes sharing at least one day with ``[start, end]``, in catalog
        order. A regime only partly inside the interval is included.

    Raises
    ------
    ConfigError
        ``start`` is after ``end``.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if lo > hi:
        raise ConfigError(f"regimes_within: start {lo} is after end {hi}")
    return tuple(regime for regime in catalog if regime.overlaps(lo, hi))


def _parse_table(table: object, origin: str, position: int) -> Regime:
    """Turn one ``[[regime]]`` table into a :class:`Regime`, or raise."""
    where = f"{origin}: regime #{position}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table, got {type(table).__name__}")
    name = table.get("name")
    if isinstance(name, str) and name.strip():
        where = f"{where} ({name!r})"
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys are: {', '.join(_KEYS)}"
        )
    missing = [key for key in _KEYS if key not in table]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(map(repr, missing))}")
    texts = {key: _text(table[key], key, where) for key in _KEYS if key not in ("start", "end")}
    if texts["kind"] not in _KINDS:
        raise ConfigError(
            f"{where}: unknown kind {texts['kind']!r}; valid kinds are: {', '.join(_KINDS)}"
        )
    start = _date(table["start"], "start", where)
    end = _date(table["end"], "end", where)
    if start > end:
        raise ConfigError(f"{where}: start {start.date()} is after end {end.date()}")
    return Regime(
        name=texts["name"].strip(),
        start=start,
        end=end,
        kind=RegimeKind(texts["kind"]),
        description=texts["description"].strip(),
        reference=texts["reference"].strip(),
    )


def _text(value: object, key: str, where: str) -> str:
    """Check that ``value`` is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _date(value: object, key: str, where: str) -> pd.Timestamp:
    """Parse an ISO ``YYYY-MM-DD`` string (or a TOML date) into a Timestamp."""
    if isinstance(value, dt.datetime) or not isinstance(value, str | dt.date):
        raise ConfigError(f'{where}: {key} must be a date "YYYY-MM-DD", got {value!r}')
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ConfigError(f'{where}: bad {key} date {value!r}; expected "YYYY-MM-DD"')
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: bad {key} date {value!r}: {exc}") from exc
    if not dt.date(1678, 1, 1) <= value <= dt.date(2261, 12, 31):  # pandas' nanosecond range
        raise ConfigError(f"{where}: {key} {value.isoformat()} is outside the supported range "
                          "of dates (1678 to 2261)")
    return pd.Timestamp(value).as_unit("ns")
