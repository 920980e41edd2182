"""``[tune]``: the search space and protocol a config keeps beside its strategy.

The section is read by ``backtest tune`` only; ``backtest run`` checks it and
ignores it. Command-line options win over it (``--param`` replaces a parameter
of the same path, ``--gate`` replaces the list of gates). See the documentation,
docs/tune.md ("Tune and its statistics").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from backtest.errors import ConfigError

__all__ = ["Objective", "SearchKind", "TuneSection", "WalkForwardSpec"]

#: What a fold's selection maximizes on its train window.
Objective = Literal["sharpe", "sortino", "calmar", "cagr", "excess"]
#: How the space is searched.
SearchKind = Literal["grid", "random"]


@dataclass(frozen=True, kw_only=True)
class WalkForwardSpec:
    """``[tune.walk_forward]``: rolling (or anchored) train/test windows.

    Lengths are bars (``36``) or months (``"36m"``, turned into bars with the
    run's ``periods_per_year``, like the signal horizons).

    Parameters
    ----------
    train, test : int or str
        Train and test window lengths.
    step : int, str or None
        How far the windows move between folds; ``None`` = ``test`` (test windows
        tile the data). It must be >= ``test``: overlapping test windows would
        count bars twice in the out-of-sample series. The last test window may be
        shorter: it reaches the end of the data.
    anchored : bool
        Train windows all start at the first bar (expanding) instead of rolling.
    """

    train: int | str
    test: int | str
    step: int | str | None = None
    anchored: bool = False


@dataclass(frozen=True, kw_only=True)
class TuneSection:
    """``[tune]``: parameters to sweep, how to search, and how to judge.

    Parameters
    ----------
    params : mapping of str to spec
        Dotted config path (as in ``--set``) → values: ``"start:stop:step"``
        (inclusive), ``"a,b,c"``, a TOML array, or one value.
    search : {"grid", "random"}
        Every combination, or ``trials`` combinations drawn without replacement
        (seeded).
    trials : int or None
        Random search only: how many combinations.
    seed : int
        Seed of the random search and of every bootstrap.
    objective : {"sharpe", "sortino", "calmar", "cagr", "excess"}
        What each fold maximizes on its train window (``excess``: annualized mean
        return over the benchmark).
    benchmark : str or None
        Label of the benchmark the verdict, ``excess`` and SPA compare against
        (default: the config's first benchmark).
    holdout : float
        Without walk-forward: the share of bars at the end kept out of sample.
    purge : int
        Bars left out between each train window and its test window (both
        protocols), so that nothing straddling the boundary leaks into the test.
    walk_forward : WalkForwardSpec or None
        Walk-forward protocol; ``backtest tune --walk-forward`` turns it on.
    gates : tuple of str
        Gate expressions (``"oos.sharpe >= 0.3"``).
    heatmap : tuple of str
        The two parameters of the report's heatmap (default: the first two).
    placebo : int
        Placebo searches to run beside the real one (``--placebo``; 0 = none): the whole
        search re-run on circular shifts of the signal, so gates can read ``placebo.p``.
    """

    params: Mapping[str, Any] = field(default_factory=dict)
    search: SearchKind = "grid"
    trials: int | None = None
    seed: int = 0
    objective: Objective = "sharpe"
    benchmark: str | None = None
    holdout: float = 0.3
    purge: int = 0
    walk_forward: WalkForwardSpec | None = None
    gates: tuple[str, ...] = ()
    heatmap: tuple[str, ...] = ()
    placebo: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout < 1.0:
            raise ConfigError(f"tune.holdout must be between 0 and 1, got {self.holdout}")
        if self.purge < 0:
            raise ConfigError(f"tune.purge must be >= 0, got {self.purge}")
        if self.trials is not None and self.trials < 1:
            raise ConfigError(f"tune.trials must be >= 1, got {self.trials}")
        if self.search == "grid" and self.trials is not None:
            raise ConfigError("tune.trials applies only to search = 'random'")
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"tune.seed must be an integer from 0 to 2**63 - 1, got {self.seed}")
        if not 0 <= self.placebo <= 1000:
            raise ConfigError(f"tune.placebo must be between 0 and 1000, got {self.placebo}")
        if len(self.heatmap) not in (0, 2):
            raise ConfigError("tune.heatmap names two parameters, e.g. "
                              '["strategy.enter", "strategy.exit"]')
