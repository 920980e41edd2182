"""Type aliases shared across the package (one place, as in arch's ``_typing``)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import pandas as pd

#: DataFrame of shape (n_dates, n_assets): total-return price levels, DatetimeIndex ``date``.
Prices: TypeAlias = pd.DataFrame
#: DataFrame of shape (n_dates, n_assets): simple periodic returns (decimals).
Returns: TypeAlias = pd.DataFrame
#: DataFrame of shape (n_dates, n_assets): portfolio weights (decimals, rows sum <= 1).
Weights: TypeAlias = pd.DataFrame
#: Anything pandas turns into a Timestamp.
DateLike: TypeAlias = str | pd.Timestamp
#: Bar frequency of a panel: daily business days, daily calendar days (crypto), weekly, monthly.
Freq: TypeAlias = Literal["B", "D", "W", "M"]

#: periods_per_year for each frequency. Always passed explicitly to metrics; never inferred.
PERIODS_PER_YEAR: dict[str, int] = {"B": 252, "D": 365, "W": 52, "M": 12}
