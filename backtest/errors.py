"""Error and warning classes.

Every :class:`BacktestError` is shown to users as one line without a traceback
(``--debug`` shows it). Anything else escaping the library is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BacktestError",
    "BacktestWarning",
    "CacheMissError",
    "ConfigError",
    "ConfigErrors",
    "DataError",
    "DataWarning",
    "ProviderError",
    "ResultFileError",
    "StaleDataWarning",
    "StrategyError",
    "UnknownKeyError",
    "UnknownKeyErrors",
    "raise_all",
]


class BacktestError(Exception):
    """Shown to users as one line, without a traceback."""


class ConfigError(BacktestError):
    """A run configuration is missing, malformed or names something unknown."""


class UnknownKeyError(ConfigError):
    """A table has a key its dataclass does not define (the message lists the valid ones)."""


class ConfigErrors(ConfigError):
    """Several problems of one config, reported at once, still as one line.

    Attributes
    ----------
    errors : tuple of ConfigError
        Each problem, in the order of the file.
    """

    def __init__(self, errors: Sequence[ConfigError], where: str = "") -> None:
        self.errors = tuple(errors)
        items = "; ".join(f"({i}) {' '.join(str(e).split())}" for i, e in
                          enumerate(self.errors, 1))
        head = f"{where}: " if where else ""
        super().__init__(f"{head}{len(self.errors)} problems: {items}")


class UnknownKeyErrors(ConfigErrors, UnknownKeyError):
    """Several problems, one of them at least an unknown key."""


def raise_all(errors: Sequence[ConfigError], where: str = "") -> None:
    """Raise nothing, the one error, or every error at once (:class:`ConfigErrors`)."""
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    flat = [e for error in errors
            for e in (error.errors if isinstance(error, ConfigErrors) else (error,))]
    if any(isinstance(e, UnknownKeyError) for e in flat):
        raise UnknownKeyErrors(flat, where)
    raise ConfigErrors(flat, where)


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
