"""The ``synthetic`` provider: series of the seeded market in :mod:`backtest.synthetic`.

Series names are ``<params>/<what>``, where ``<params>`` is ``seed=N`` optionally
followed by ``,periods=N``, ``,ppy=12|252`` and ``,link=X`` (other parameters
keep the :class:`~backtest.synthetic.SyntheticSpec` defaults) and ``<what>`` is
``yield``, ``spread`` or ``asset/<NAME>``. Examples: ``synthetic:seed=7/yield``,
``synthetic:seed=7,periods=2520,ppy=252/asset/LONG1``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar, Final

from backtest.data.base import FetchedSeries, Kind, SeriesRequest, validate_series
from backtest.errors import ConfigError, DataError
from backtest.synthetic import SyntheticMarket, SyntheticSpec, generate_market

__all__ = ["SyntheticProvider", "parse_synthetic_name"]

_NAME: Final = re.compile(r"^(?P<params>[^/]+)/(?P<what>yield|spread|asset/(?P<asset>[^/]+))$")
_KEYS: Final = ("seed", "periods", "ppy", "link")
_FORMS: Final = (
    "valid forms: seed=N/yield, seed=N/spread, seed=N/asset/NAME, with optional "
    ",periods=N ,ppy=12|252 ,link=X after seed=N (e.g. seed=7,periods=2520,ppy=252/yield)"
)


def parse_synthetic_name(name: str) -> tuple[SyntheticSpec, str]:
    """Split a synthetic series name into its market spec and the series wanted.

    Parameters
    ----------
    name : str
        For example ``seed=7/asset/LONG1`` or ``seed=7,ppy=252/yield``.

    Returns
    -------
    spec : SyntheticSpec
        Default spec with the named parameters replaced.
    what : str
        ``"yield"``, ``"spread"`` or ``"asset/<NAME>"``.

    Raises
    ------
    DataError
        The name does not match a valid form, or its parameters are invalid.
    """
    match = _NAME.match(name)
    if match is None:
        raise DataError(f"synthetic:{name} is not a synthetic series; {_FORMS}")
    texts: dict[str, str] = {}
    for item in match["params"].split(","):
        key, _, text = item.strip().partition("=")
        if key not in _KEYS or key in texts or not text:
            raise DataError(f"synthetic:{name}: bad parameter {item!r}; {_FORMS}")
        texts[key] = text
    if "seed" not in texts:
        raise DataError(f"synthetic:{name}: seed=N is required; {_FORMS}")
    default = SyntheticSpec()
    try:
        spec = SyntheticSpec(
            seed=int(texts["seed"]),
            n_periods=int(texts.get("periods", default.n_periods)),
            periods_per_year=int(texts.get("ppy", default.periods_per_year)),
            link=float(texts.get("link", default.link)),
        )
    except ValueError:
        raise DataError(f"synthetic:{name}: parameters must be numbers; {_FORMS}") from None
    except ConfigError as exc:
        raise DataError(f"synthetic:{name}: {exc}") from None
    if match["asset"] is not None and match["asset"] not in spec.assets:
        raise DataError(
            f"synthetic:{name}: unknown asset {match['asset']!r}; assets: {', '.join(spec.assets)}"
        )
    return spec, match["what"]


@lru_cache(maxsize=8)
def _market(spec: SyntheticSpec) -> SyntheticMarket:
    """Generate once per spec in this process (the market is a pure function of it)."""
    return generate_market(spec)


class SyntheticProvider:
    """Serve the yield, spread and asset prices of a seeded synthetic market.

    No network and no files: every series is regenerated from its name and
    memoised per spec in-process.
    """

    source: ClassVar[str] = "synthetic"

    def fetch(self, request: SeriesRequest) -> FetchedSeries:
        """Return one series of the synthetic market named by ``request``.

        Raises
        ------
        DataError
            The request is not for this source or its name is not a valid form.
        """
        if request.source != self.source:
            raise DataError(f"{request} is not a synthetic series; {_FORMS}")
        spec, what = parse_synthetic_name(request.name)
        market = _market(spec)
        label = str(request)
        frequency = "M" if spec.periods_per_year == 12 else "D"
        notes = (
            f"synthetic regime-switching market (seed={spec.seed}, n_periods={spec.n_periods}, "
            f"periods_per_year={spec.periods_per_year}, link={spec.link}); "
            f"{'month-end' if frequency == 'M' else 'business-day'} dates; not real data"
        )
        if what == "yield":
            values, kind, units = market.yields, Kind.LEVEL, "percent"
        elif what == "spread":
            values, kind, units = market.spread, Kind.LEVEL, "percentage points"
        else:
            asset = what.removeprefix("asset/")
            values, kind, units = market.prices[asset], Kind.PRICE, "total-return index"
        return FetchedSeries(
            request=request,
            values=validate_series(values.copy(), label),
            kind=kind,
            units=units,
            frequency=frequency,
            notes=notes,
        )
