"""Duration sleeves from hand-made durations, including ties and missing estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backtest.duration import SleeveMembership, explicit_sleeves, rank_sleeves
from backtest.errors import ConfigError

DATES = pd.date_range("2020-01-31", periods=3, freq="ME", name="date")


def _frame(rows: list[list[float]], columns: str = "ABCDEF") -> pd.DataFrame:
    return pd.DataFrame(rows, index=DATES[: len(rows)], columns=list(columns[: len(rows[0])]))


def test_top_k_by_hand() -> None:
    durations = _frame([[25.0, 3.0, 18.0, 1.0, 8.0, 0.5]])
    sleeves = rank_sleeves(durations, method="top_k", k=2)
    # Longest two: A (25), C (18); shortest two: F (0.5), D (1).
    assert sleeves.long.iloc[0].to_dict() == {"A": 0.5, "B": 0, "C": 0.5, "D": 0, "E": 0, "F": 0}
    assert sleeves.short.iloc[0].to_dict() == {"A": 0, "B": 0, "C": 0, "D": 0.5, "E": 0, "F": 0.5}


def test_terciles_by_hand_and_rows_are_independent() -> None:
    durations = _frame(
        [
            [25.0, 3.0, 18.0, 1.0, 8.0, 0.5],  # 6 estimates → 2 per sleeve
            [1.0, 2.0, 3.0, 4.0, np.nan, np.nan],  # 4 estimates → 1 per sleeve (4 // 3)
            [1.0, np.nan, 2.0, np.nan, np.nan, np.nan],  # 2 estimates < 3 → all NaN
        ]
    )
    sleeves = rank_sleeves(durations, method="terciles")
    np.testing.assert_array_equal(sleeves.long.iloc[0], [0.5, 0, 0.5, 0, 0, 0])
    np.testing.assert_array_equal(sleeves.short.iloc[0], [0, 0, 0, 0.5, 0, 0.5])
    np.testing.assert_array_equal(sleeves.long.iloc[1], [0, 0, 0, 1.0, 0, 0])
    np.testing.assert_array_equal(sleeves.short.iloc[1], [1.0, 0, 0, 0, 0, 0])
    assert sleeves.long.iloc[2].isna().all()
    assert sleeves.short.iloc[2].isna().all()


def test_too_few_estimates_for_top_k_give_nan_rows() -> None:
    durations = _frame([[5.0, 4.0, 3.0, np.nan], [5.0, 4.0, 3.0, 2.0]])
    sleeves = rank_sleeves(durations, method="top_k", k=2)
    assert sleeves.long.iloc[0].isna().all()  # 3 estimates < 2k = 4
    np.testing.assert_array_equal(sleeves.long.iloc[1], [0.5, 0.5, 0, 0])
    np.testing.assert_array_equal(sleeves.short.iloc[1], [0, 0, 0.5, 0.5])


def test_ties_break_by_asset_name_whatever_the_column_order() -> None:
    # All equal: names sorting later count as longer → long = C, D; short = A, B.
    durations = pd.DataFrame([[7.0, 7.0, 7.0, 7.0]], index=DATES[:1], columns=["C", "A", "D", "B"])
    sleeves = rank_sleeves(durations, method="top_k", k=2)
    assert sleeves.long.iloc[0].to_dict() == {"C": 0.5, "A": 0, "D": 0.5, "B": 0}
    assert sleeves.short.iloc[0].to_dict() == {"C": 0, "A": 0.5, "D": 0, "B": 0.5}


def test_tie_at_the_boundary_only() -> None:
    # A = 9 takes one long slot; B = C = 5 tie for the other and the tie is broken by
    # name, so C counts as longer. Shortest two: D (1), then B.
    durations = _frame([[9.0, 5.0, 5.0, 1.0]])
    sleeves = rank_sleeves(durations, method="top_k", k=2)
    np.testing.assert_array_equal(sleeves.long.iloc[0], [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(sleeves.short.iloc[0], [0, 0.5, 0, 0.5])


@settings(deadline=None)  # pandas-heavy; timing varies on CI
@given(
    values=arrays(np.float64, (5, 7), elements=st.one_of(st.floats(-5, 60), st.just(np.nan))),
    method=st.sampled_from(["top_k", "terciles"]),
    perm_seed=st.integers(0, 1000),
)
def test_sleeve_invariants(values: np.ndarray, method: str, perm_seed: int) -> None:
    durations = pd.DataFrame(
        values, index=pd.date_range("2020-01-31", periods=5, freq="ME"), columns=list("ABCDEFG")
    )
    k = 2 if method == "top_k" else 3  # k must stay at its default for terciles
    sleeves = rank_sleeves(durations, method=method, k=k)  # type: ignore[arg-type]
    for sleeve in (sleeves.long, sleeves.short):
        valid = sleeve.notna().all(axis=1)
        assert (sleeve.isna().all(axis=1) | valid).all()  # rows are all-NaN or complete
        np.testing.assert_allclose(sleeve[valid].sum(axis=1), 1.0)
        assert not (sleeve[valid].gt(0) & durations[valid].isna()).any().any()
    both = sleeves.long.gt(0) & sleeves.short.gt(0)
    assert not both.any().any()  # disjoint
    # Every long member is at least as long as every short member on its date.
    long_min = durations.where(sleeves.long.gt(0)).min(axis=1)
    short_max = durations.where(sleeves.short.gt(0)).max(axis=1)
    assert (long_min.dropna() >= short_max.dropna()).all()
    # Row-wise: a row's sleeves depend on that row only (no look-ahead across dates).
    one_row = rank_sleeves(durations.iloc[[2]], method=method, k=k)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(one_row.long, sleeves.long.iloc[[2]])
    # Column order does not matter.
    order = list(np.random.default_rng(perm_seed).permutation(durations.columns))
    shuffled = rank_sleeves(durations[order], method=method, k=k)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(shuffled.long[durations.columns], sleeves.long)


def test_membership_is_frozen() -> None:
    sleeves = rank_sleeves(_frame([[1.0, 2.0, 3.0]]), method="terciles")
    assert isinstance(sleeves, SleeveMembership)
    with pytest.raises(AttributeError):
        sleeves.long = sleeves.short  # type: ignore[misc]


@pytest.mark.parametrize(("method", "k"), [("top_k", 0), ("quintiles", 3), ("terciles", 2)])
def test_bad_options_raise(method: str, k: int) -> None:
    with pytest.raises(ConfigError):
        rank_sleeves(_frame([[1.0, 2.0, 3.0]]), method=method, k=k)  # type: ignore[arg-type]


def test_explicit_sleeves() -> None:
    got = explicit_sleeves(["QQQ", "TLT"], DATES, ["SPY", "QQQ", "TLT", "BIL"])
    assert list(got.columns) == ["SPY", "QQQ", "TLT", "BIL"]
    assert got.index.equals(DATES)
    np.testing.assert_array_equal(got.to_numpy(), np.tile([0, 0.5, 0.5, 0], (3, 1)))


@pytest.mark.parametrize("assets", [[], ["QQQ", "QQQ"], ["XYZ"]])
def test_explicit_sleeves_reject_bad_assets(assets: list[str]) -> None:
    with pytest.raises(ConfigError):
        explicit_sleeves(assets, DATES, ["SPY", "QQQ"])
