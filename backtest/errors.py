"""Error and warning classes.

Every :class:`BacktestError` is shown to users as one line without a traceback
(``--debug`` shows it). Anything else escaping the library is a bug.
"""

from __future__ import annotations

__all__ = [
    "BacktestError",
    "BacktestWarning",
    "CacheMissError",
    "ConfigError",
    "DataError",
    "DataWarning",
    "ProviderError",
    "ResultFileError",
    "StaleDataWarning",
    "StrategyError",
    "UnknownKeyError",
]


class BacktestError(Exception):
    """Shown to users as one line, without a traceback."""


class ConfigError(BacktestError):
    """A run configuration is missing, malformed or names something unknown."""


class UnknownKeyError(ConfigError):
    """A table has a key its dataclass does not define (the message lists the valid ones)."""


class DataError(BacktestError):
    """A series is missing, malformed or cannot be aligned."""


class ProviderError(DataError):
    """A provider failed to fetch a series; the message names source and series."""


class CacheMissError(DataError):
    """Offline and the cache lacks a series; the message says which fetch to run."""


class StrategyError(BacktestError):
    """A strategy produced invalid weights; names the strategy and the first bad date."""


class ResultFileError(BacktestError):
    """A saved JSON result cannot be read or is not a dcf-regime result."""


class BacktestWarning(UserWarning):
    """Base of the project's own warnings; the CLI shows each as one line."""


class StaleDataWarning(BacktestWarning):
    """A cached series is older than its refresh policy allows."""


class DataWarning(BacktestWarning):
    """Data that is used, but something about it could not be checked or was set aside."""
