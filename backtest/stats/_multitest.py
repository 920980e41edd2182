"""Holm and Benjamini–Hochberg adjusted p-values (statsmodels' ``multipletests``, in numpy).

``statsmodels.stats.multitest.multipletests`` is the reference (tests/stats/
test_multitest.py checks equality on random, tied and edge-case p-values); these
two adjustments are a sort and a running extremum, and importing statsmodels for
them cost a thesis ~0.8 s where nothing else loads scipy, plus a ``gc.collect()``
that ``multipletests`` runs on every Holm call (~0.2 s in a thesis).
"""

from __future__ import annotations

import numpy as np

from backtest.stats._arrays import FloatArray

__all__ = ["bh_adjusted", "holm_adjusted"]


def _unsort(sorted_values: FloatArray, order: np.ndarray) -> FloatArray:
    sorted_values[sorted_values > 1] = 1
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


def holm_adjusted(p_values: FloatArray) -> FloatArray:
    r"""Holm's (1979) step-down adjusted p-values.

    :math:`\tilde p_{(k)} = \min\big(1, \max_{j \le k} (m - j + 1)\, p_{(j)}\big)` over the
    ``m`` p-values sorted ascending (``multipletests(p, method="holm")[1]``).
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p)
    ranked = np.take(p, order)
    return _unsort(np.maximum.accumulate(ranked * np.arange(len(p), 0, -1)), order)


def bh_adjusted(p_values: FloatArray) -> FloatArray:
    r"""Benjamini & Hochberg's (1995) step-up adjusted p-values (false discovery rate).

    :math:`\tilde p_{(k)} = \min\big(1, \min_{j \ge k} p_{(j)}\, m / j\big)` over the ``m``
    p-values sorted ascending (``multipletests(p, method="fdr_bh")[1]``).
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p)
    ranked = np.take(p, order)
    ecdf = np.arange(1, len(p) + 1) / float(len(p))
    return _unsort(np.minimum.accumulate((ranked / ecdf)[::-1])[::-1], order)
