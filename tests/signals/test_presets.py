"""Signal presets: TOML form, months → bars, alias checks, and no look-ahead for each preset."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.config import load_config, parse_config
from backtest.data.expr import parse_expr
from backtest.errors import ConfigError
from backtest.signals import (
    PRESETS,
    ComponentSpec,
    SignalSpec,
    component_from_table,
    compute_signal,
    months_to_bars,
    suggested_id,
)

RAW = load_config().raw


def _raw_with(components: list[dict[str, object]], macro: dict[str, str] | None = None,
              ppy: int | None = None) -> dict[str, object]:
    raw = copy.deepcopy(dict(RAW))
    raw["signal"] = {"components": components}
    if macro:
        raw["data"]["macro"].update(macro)
    if ppy:
        raw["run"]["periods_per_year"] = ppy
    return raw


# --- the table: every preset documented and servable --------------------------------------


def test_every_preset_reads_aliases_that_have_a_suggested_id() -> None:
    for preset in PRESETS.values():
        assert preset.description
        for alias in parse_expr(preset.series).names:
            assert suggested_id(alias), (preset.name, alias)
        assert (preset.transform == "level") == (preset.horizon_months is None)


def test_signs_and_series_of_the_issue() -> None:
    # Liquidity components are sign -1: draining liquidity = rising cost of capital.
    assert PRESETS["liquidity"].series == "WALCL - WTREGEN - RRPONTSYD*1000"
    assert PRESETS["liquidity"].sign == -1
    assert PRESETS["rrp_dry_powder"].series == "RRPONTSYD"
    assert PRESETS["rrp_dry_powder"].sign == -1
    assert PRESETS["rrp_dry_powder"].transform == "level"
    assert PRESETS["real_yield_momentum"].series == "DFII10"
    assert PRESETS["curve"].series == "T10Y2Y"
    assert PRESETS["curve_dgs"].series == "DGS10 - DGS2"
    assert PRESETS["curve"].sign == 1  # steepening = risk-off (see docs/config.md)
    for name in ("nominal_yield_momentum", "nominal_yield_momentum_gs10",
                 "nominal_yield_momentum_aaa", "credit_level", "credit_momentum",
                 "baa10y_level", "hy_oas_level", "ebp_level", "financial_conditions"):
        assert PRESETS[name].sign == 1


@pytest.mark.parametrize(
    ("months", "ppy", "bars"),
    [(12, 12, 12), (12, 52, 52), (12, 252, 252), (12, 365, 365), (60, 252, 1260),
     (3, 52, 13), (10, 252, 210), (1, 12, 1), (0.1, 12, 1)],
)
def test_months_to_bars(months: float, ppy: int, bars: int) -> None:
    assert months_to_bars(months, ppy) == bars


# --- component_from_table -------------------------------------------------------------------


def test_preset_defaults_scale_with_the_calendar() -> None:
    monthly = component_from_table({"preset": "real_yield_momentum"}, periods_per_year=12,
                                   where="c")
    daily = component_from_table({"preset": "real_yield_momentum"}, periods_per_year=252,
                                 where="c")
    assert monthly == ComponentSpec(name="real_yield_momentum", series="DFII10",
                                    transform="change", periods=12, min_periods=60,
                                    winsorize=3.0, sign=1)
    assert (daily.periods, daily.min_periods) == (252, 1260)


def test_overrides_in_bars_months_and_any_field() -> None:
    c = component_from_table(
        {"preset": "credit_momentum", "name": "spread", "series": "SPREAD",
         "horizon_months": 3, "min_history_months": 36, "weight": 0.5, "sign": -1},
        periods_per_year=52, where="c",
    )
    assert (c.name, c.series, c.periods, c.min_periods, c.weight, c.sign) == (
        "spread", "SPREAD", 13, 156, 0.5, -1)
    bars = component_from_table({"preset": "credit_momentum", "periods": 5},
                                periods_per_year=12, where="c")
    assert bars.periods == 5
    rolling = component_from_table(
        {"preset": "hy_oas_level", "standardize": "rolling", "window_months": 24},
        periods_per_year=252, where="c")
    assert (rolling.standardize, rolling.window) == ("rolling", 504)
    # months keys work without a preset too
    plain = component_from_table({"name": "x", "series": "AAA", "horizon_months": 6},
                                 periods_per_year=252, where="c")
    assert plain.periods == 126


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"preset": "nope"}, r"unknown preset 'nope'; valid presets: nominal_yield_momentum, "),
        ({"preset": "curve", "periods": 3, "horizon_months": 3}, "not both"),
        ({"preset": "curve", "horizon_months": -1}, "a number of months above 0"),
        ({"preset": "curve", "horizon": 3}, r"unknown key horizon; valid keys: .*horizon_months"),
        ({"preset": "curve", "standardize": "rolling"}, "needs window"),
    ],
)
def test_bad_tables_are_rejected_with_what_is_valid(table: dict[str, object],
                                                     message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        component_from_table(table, periods_per_year=12, where="signal.components[0]")


# --- in a config ----------------------------------------------------------------------------


def test_config_with_presets_parses_and_converts_with_the_run_calendar() -> None:
    raw = _raw_with([{"preset": "nominal_yield_momentum_aaa"}, {"preset": "credit_level"},
                     {"preset": "credit_momentum", "horizon_months": 6}], ppy=None)
    cfg = parse_config(raw)
    names = [c.name for c in cfg.signal.components]
    assert names == ["nominal_yield_momentum_aaa", "credit_level", "credit_momentum"]
    assert cfg.signal.components[2].periods == 6  # monthly run


def test_missing_macro_alias_names_the_id_to_add() -> None:
    raw = _raw_with([{"preset": "real_yield_momentum"}])
    with pytest.raises(ConfigError, match=r"'real_yield_momentum' reads macro alias 'DFII10'.*"
                       r'add DFII10 = "fred:DFII10" under \[data.macro\]'):
        parse_config(raw)
    raw = _raw_with([{"preset": "liquidity"}], macro={"WALCL": "fred:WALCL"})
    with pytest.raises(ConfigError, match='add WTREGEN = "fred:WTREGEN"'):
        parse_config(raw)
    raw = _raw_with([{"name": "x", "series": "FOO - AAA"}])
    with pytest.raises(ConfigError, match="'FOO'.*define FOO under"):
        parse_config(raw)
    ok = _raw_with([{"preset": "real_yield_momentum"}], macro={"DFII10": "fred:DFII10"})
    assert parse_config(ok).signal.series_names == ("DFII10",)


# --- no look-ahead, for every preset --------------------------------------------------------

N = 240


def _macro(seed: int) -> pd.DataFrame:
    """Random monthly levels for every alias a preset reads (positive where a ratio is taken)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("1990-01-31", periods=N, freq="ME", name="date")
    walk = lambda level, step: level + np.cumsum(rng.normal(0, step, N))  # noqa: E731
    cols = {alias: walk(3.0, 0.2) for alias in
            ("DGS10", "GS10", "AAA", "BAA", "DFII10", "T10Y2Y", "DGS2", "BAA10Y",
             "BAMLH0A0HYM2", "EBP", "NFCI")}
    cols["WALCL"] = 4e6 * np.exp(np.cumsum(rng.normal(0.005, 0.02, N)))
    cols["WTREGEN"] = 4e5 * np.exp(np.cumsum(rng.normal(0, 0.05, N)))
    cols["RRPONTSYD"] = 500 * np.exp(np.cumsum(rng.normal(0, 0.1, N)))
    return pd.DataFrame(cols, index=idx)


def _preset_spec(name: str) -> SignalSpec:
    c = component_from_table({"preset": name, "min_history_months": 36}, periods_per_year=12,
                             where=name)
    return SignalSpec(components=(c,))


@pytest.mark.parametrize("name", list(PRESETS))
@settings(max_examples=10, deadline=None)
@given(cut=st.integers(60, N - 2), seed=st.integers(0, 10_000),
       mode=st.sampled_from(["truncate", "rewrite"]))
def test_preset_has_no_lookahead(name: str, cut: int, seed: int, mode: str) -> None:
    spec = _preset_spec(name)
    macro = _macro(seed)
    a = compute_signal(spec, macro, 12)
    assert a["composite"].iloc[48:].notna().all()  # the comparison covers defined values
    if mode == "truncate":
        b = compute_signal(spec, macro.iloc[: cut + 1], 12)
        pd.testing.assert_frame_equal(a.iloc[: cut + 1], b)
        return
    # rewrite the future down and up: z-scores are clipped at +-3, so a future already
    # at the clip on one side moves only when pushed to the other (seed 1, cut 233)
    rng = np.random.default_rng(seed + 1)
    noise = rng.uniform(0.5, 2.0, macro.iloc[cut + 1 :].shape)
    seen = []
    for scale in (0.01, 100.0):
        other = macro.copy()
        other.iloc[cut + 1 :] = other.iloc[cut + 1 :] * noise * scale
        b = compute_signal(spec, other, 12)
        pd.testing.assert_frame_equal(a.iloc[: cut + 1], b.iloc[: cut + 1])
        seen.append(not a.iloc[cut + 1 :].equals(b.iloc[cut + 1 :]))
    assert any(seen)  # the test can see a change
