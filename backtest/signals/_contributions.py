r"""Signed contributions of each component to the composite (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.errors import DataError
from backtest.signals._composite import SignalSpec

__all__ = ["component_contributions"]


def component_contributions(
    spec: SignalSpec, signal: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""What each component added to the composite, and whether it was present.

    Parameters
    ----------
    spec : SignalSpec
        The composite's definition.
    signal : pd.DataFrame
        :func:`~backtest.signals.compute_signal`'s output: one z-score column per
        component and ``composite``.

    Returns
    -------
    contributions : pd.DataFrame
        Shape (n_dates, n_components): :math:`w_k\,\sigma_k\,z_{k,t}\,\lambda_t` where
        the composite is defined (NaN elsewhere, and for an absent component), with
        the rescaling :math:`\lambda_t = \sum_k |w_k| / \sum_{k\ present} |w_k|` of
        ``min_components`` (1 when every component is needed). Rows add up to the
        composite.
    present : pd.DataFrame
        Same shape, boolean: the component's z-score was defined at that date.

    Notes
    -----
    ``sign`` is +1 when a higher value means a higher cost of capital, so a
    positive contribution always pushes toward risk-off, whatever the component.
    """
    names = [c.name for c in spec.components]
    missing = [n for n in [*names, "composite"] if n not in signal.columns]
    if missing:
        raise DataError(f"signal frame lacks columns {missing}")
    z = signal[names].to_numpy(dtype=np.float64)
    weights = np.array([c.weight * c.sign for c in spec.components], dtype=np.float64)
    present = ~np.isnan(z)
    scale = np.ones(len(z))
    if spec.min_components is not None:
        held = present @ np.abs(weights)
        scale = np.abs(weights).sum() / np.where(held > 0, held, 1.0)
    defined = signal["composite"].notna().to_numpy()
    contrib = np.where(present & defined[:, None], z * weights * scale[:, None], np.nan)
    frame = pd.DataFrame(contrib, index=signal.index, columns=names)
    return frame, pd.DataFrame(present, index=signal.index, columns=names)
