"""Counter-evidence to the thesis, chosen per asset class from the assets a run holds.

Every verdict ends with the published evidence against its idea for the kinds of
assets it trades. Each entry is a real, peer-reviewed article; a DOI is given only
where it was checked against the publisher's record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["COUNTER_EVIDENCE", "AssetClass", "Reference", "asset_class", "classify_assets",
           "counter_evidence"]

#: Asset classes the counter-evidence is chosen by; ``other`` covers the rest
#: (gold, the synthetic market, a user's file that names no known kind of asset).
AssetClass = Literal["equities", "bonds", "crypto", "other"]
_ORDER: tuple[AssetClass, ...] = ("equities", "bonds", "crypto", "other")


@dataclass(frozen=True)
class Reference:
    """A published article and what it finds against the thesis.

    Attributes
    ----------
    authors : str
        ``"Maloney & Moskowitz"``.
    year : int
    title, journal : str
    doi : str or None
        Only when checked against the publisher's record.
    finding : str
        What the article finds, as a clause after "find(s)".
    """

    authors: str
    year: int
    title: str
    journal: str
    doi: str | None
    finding: str

    def citation(self) -> str:
        """``Authors (year, "Title", Journal, doi:...)``."""
        doi = f", doi:{self.doi}" if self.doi else ""
        return f'{self.authors} ({self.year}, "{self.title}", {self.journal}{doi})'


#: The counter-evidence of each asset class.
COUNTER_EVIDENCE: Mapping[AssetClass, Reference] = {
    "equities": Reference(
        "Maloney & Moskowitz", 2021,
        "Value and Interest Rates: Are Rates to Blame for Value's Torments?",
        "Journal of Portfolio Management", "10.3905/jpm.2021.1.236",
        "only modest links between value-minus-growth returns and interest rates that change "
        "with the specification and are not robust across samples, and conclude that timing "
        "with rate signals is likely to perform poorly",
    ),
    "bonds": Reference(
        "Thornton & Valente", 2012,
        "Out-of-Sample Predictions of Bond Excess Returns and Forward Rates: An Asset "
        "Allocation Perspective", "Review of Financial Studies", "10.1093/rfs/hhs069",
        "that forecasts of bond excess returns from forward rates did not beat the "
        "no-predictability benchmark out of sample, gave investors no systematic economic "
        "value, and did worse over time",
    ),
    "crypto": Reference(
        "Liu & Tsyvinski", 2021, "Risks and Returns of Cryptocurrency",
        "Review of Financial Studies", "10.1093/rfs/hhaa113",
        "cryptocurrency returns driven and predicted by factors specific to crypto markets "
        "(network adoption, momentum, investor attention) rather than by the stock-market "
        "and macroeconomic factors that price other assets",
    ),
    "other": Reference(
        "Goyal & Welch", 2008,
        "A Comprehensive Look at the Empirical Performance of Equity Premium Prediction",
        "Review of Financial Studies", "10.1093/rfs/hhm014",
        "that the variables proposed to predict returns, interest rates among them, "
        "predicted poorly in and out of sample and would not have helped an investor time "
        "the market",
    ),
}

# Yahoo tickers of bond and bill funds (Treasury, aggregate, corporate, TIPS).
_BOND_TICKERS = frozenset({
    "TLT", "TLH", "IEF", "IEI", "SHY", "SHV", "BIL", "SGOV", "EDV", "ZROZ", "GOVT", "VGLT",
    "VGIT", "VGSH", "SPTL", "SPTI", "SPTS", "BND", "AGG", "BNDX", "LQD", "VCIT", "VCLT",
    "HYG", "JNK", "TIP", "SCHP", "STIP", "MBB", "EMB", "TMF",
})
_GOLD_TICKERS = frozenset({"GLD", "IAU", "GLDM", "SGOL", "GC=F"})
_CRYPTO_NAMES = re.compile(r"(^|[^A-Z])(BTC|ETH|XBT|SOL|XRP|DOGE|LTC|ADA)([^A-Z]|$)")
_TERM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(\S+)")


def asset_class(series_id: str) -> AssetClass:
    """The asset class of a series id (``yahoo:BTC-USD`` → crypto, ``french:...`` → equities).

    Rules, in order: Yahoo pairs quoted in dollars (``XXX-USD``) and names of the
    large coins are crypto; Treasury, aggregate and corporate bond funds are bonds;
    gold is other; Ken French portfolios (``french:``, ``embedded:french/``, or a CSV
    file of his) and every other Yahoo ticker are equities; the rest (synthetic
    series, a user's CSV file) is other. An expression id is classed by its first term.
    """
    match = _TERM.search(series_id)
    if match is None:
        return "other"
    source, name = match.group(1).lower(), match.group(2)
    ticker = name.split("/")[-1].split("#")[0].upper()
    if ticker.endswith("-USD") or _CRYPTO_NAMES.search(ticker):
        return "crypto"
    if ticker in _BOND_TICKERS:
        return "bonds"
    if ticker in _GOLD_TICKERS:
        return "other"
    if source == "french" or name.startswith("french/"):
        return "equities"
    if source == "csv" and re.search(r"Portfolios|F-F_|Industry", name):
        return "equities"
    if source == "yahoo":
        return "equities"
    return "other"


def classify_assets(ids: Mapping[str, str]) -> dict[AssetClass, tuple[str, ...]]:
    """Assets by class (alias → series id in; class → aliases out, classes in a fixed order)."""
    by: dict[AssetClass, list[str]] = {}
    for alias, series_id in ids.items():
        by.setdefault(asset_class(series_id), []).append(alias)
    return {c: tuple(by[c]) for c in _ORDER if c in by}


def counter_evidence(classes: Mapping[AssetClass, tuple[str, ...]]) -> list[
        tuple[AssetClass, tuple[str, ...], Reference]]:
    """The reference for each class present (``other`` when none is given)."""
    if not classes:
        return [("other", (), COUNTER_EVIDENCE["other"])]
    return [(c, assets, COUNTER_EVIDENCE[c]) for c, assets in classes.items()]
