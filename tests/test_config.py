from __future__ import annotations

from pathlib import Path

import pytest

from backtest.config import apply_overrides, load_config, parse_config
from backtest.errors import ConfigError

DEFAULT = load_config()


def _raw() -> dict:
    import tomllib

    from backtest.config import default_config_path

    return tomllib.loads(default_config_path().read_text())


def test_default_config_parses() -> None:
    assert DEFAULT.run.name == "duration_rotation"
    assert DEFAULT.run.ppy == 12 and DEFAULT.run.execution_lag == 1
    assert [s.label for s in DEFAULT.strategies] == [
        "Duration rotation", "market", "long_duration", "short_duration", "sixty_forty"]
    assert DEFAULT.regimes_catalog.exists()
    assert len(DEFAULT.config_hash) == 64


def test_overrides_take_precedence_and_change_the_hash() -> None:
    cfg = load_config(overrides=["costs.fees_bps=25", "strategy.risk_off_sleeve=cash"])
    assert cfg.costs.fees_bps == 25.0
    assert cfg.strategy.params["risk_off_sleeve"] == "cash"
    assert cfg.config_hash != DEFAULT.config_hash
    with pytest.raises(ConfigError, match="section.key=value"):
        apply_overrides({}, ["fees_bps=3"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(colour={}), "unknown section colour; valid sections: run, costs"),
        (lambda r: r["costs"].update(fee_bps=3), r"costs: unknown key fee_bps \(did you mean fees_bps\?\); valid keys: fees_bps, slippage_bps"),
        (lambda r: r["run"].update(execution_lag=-1), "execution_lag must be >= 0"),
        (lambda r: r["run"].update(start="not a date"), "run.start"),
        (lambda r: r["run"].update(idea_date="2026-13-01"), "run.idea_date: '2026-13-01' is not a date"),
        (lambda r: r["run"].update(idea_date="2026-02-01T00:00+01:00"), "run.idea_date: .* no time zone"),
        (lambda r: r["run"].update(idea_date=20260201), "run.idea_date: expected a string"),
        (lambda r: r["costs"].update(fees_bps="ten"), "costs.fees_bps: expected a number"),
        (lambda r: r["data"].update(cash="T-BILL"), "data.cash: 'T-BILL' is not an asset"),
        (lambda r: r["data"]["assets"].update(X="nope"), "not of the form source:name"),
        (lambda r: r["data"]["assets"].update(X="ftp:X"), "unknown data source 'ftp'"),
        (lambda r: r["data"]["macro"].update(X={"id": "fred:X", "lag": "soon"}), "bad publication lag"),
        (lambda r: r["signal"]["components"][0].update(transform="log"), "is not one of 'level'"),
        (lambda r: r.pop("sleeves"), r"missing section \[sleeves\]"),
        (lambda r: r["strategy"].pop("kind"), "missing kind"),
    ],
)
def test_bad_configs_fail_with_one_clear_line(mutate, message: str) -> None:
    raw = _raw()
    mutate(raw)
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(raw)
    assert "\n" not in str(info.value)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nname = 1")
    with pytest.raises(ConfigError, match="malformed TOML"):
        load_config(bad)


def test_unknown_strategy_kind_and_parameter() -> None:
    import backtest

    with pytest.raises(ConfigError, match="unknown kind 'magic'; valid kinds: binary_rotation"):
        backtest.run(overrides=["strategy.kind=magic"])
    with pytest.raises(ConfigError, match="unknown key treshold; valid keys: enter, exit"):
        backtest.run(overrides=["strategy.treshold=1"])


def test_set_addresses_list_elements_by_index_and_by_name() -> None:
    by_index = load_config(overrides=["signal.components.0.periods=6"])
    by_name = load_config(overrides=["signal.components.aaa_12m_change.periods=6"])
    assert by_index.signal.components[0].periods == 6 == by_name.signal.components[0].periods
    assert by_index.signal.components[1].periods == DEFAULT.signal.components[1].periods
    assert by_index.config_hash == by_name.config_hash
    with pytest.raises(ConfigError, match="no element 'nope'; address one by index or name: "
                       "0, 1, aaa_12m_change, credit_spread_12m_change"):
        load_config(overrides=["signal.components.nope.periods=6"])
    with pytest.raises(ConfigError, match="index 2 is out of range"):
        load_config(overrides=["signal.components.2.periods=6"])
    with pytest.raises(ConfigError, match="costs.fees_bps is a number"):
        load_config(overrides=["costs.fees_bps.x=1"])


def test_set_accepts_unquoted_dates_and_quoted_segments() -> None:
    cfg = load_config(overrides=["run.end=1990-06-30"])
    assert cfg.run.end == "1990-06-30"
    raw = apply_overrides({"data": {"assets": {}}}, ['data.assets."BRK.B"=yahoo:BRK-B'])
    assert raw["data"]["assets"] == {"BRK.B": "yahoo:BRK-B"}


def test_presets_are_addressed_by_their_preset_name() -> None:
    raw = {"signal": {"components": [{"preset": "credit_momentum"}, {"name": "x", "series": "A"}]}}
    out = apply_overrides(raw, ["signal.components.credit_momentum.weight=0.5",
                                "signal.components.x.periods=3"])
    assert out["signal"]["components"][0]["weight"] == 0.5
    assert out["signal"]["components"][1]["periods"] == 3
    assert raw["signal"]["components"][0] == {"preset": "credit_momentum"}  # not mutated


@pytest.mark.parametrize(("path", "message"), [
    ("a..b", "empty segment"), ("a.", "empty segment"), ('a."b', "unterminated quote"),
    ('a."b"c', "expected '.' after a quoted segment"),
])
def test_malformed_paths_are_one_line_errors(path: str, message: str) -> None:
    from backtest.config import split_path

    with pytest.raises(ConfigError, match=message):
        split_path(path)


def test_get_path_reads_what_set_path_writes() -> None:
    from backtest.config import get_path, set_path

    raw = {"signal": {"components": [{"name": "a", "periods": 12}]}}
    set_path(raw, "signal.components.a.periods", 3)
    assert get_path(raw, "signal.components.0.periods") == 3
    with pytest.raises(ConfigError, match="the config has no key 'strategy'"):
        get_path(raw, "strategy.enter")


def test_run_benchmark_defaults_to_the_first_buy_and_hold_of_an_asset() -> None:
    from backtest.config import load_config

    cfg = load_config(None)
    assert cfg.benchmark == ("market", "default: the first buy_and_hold benchmark of one asset")
    assert load_config(None, ["run.benchmark=sixty_forty"]).benchmark == (
        "sixty_forty", "run.benchmark")
    assert load_config(None, ["run.benchmark=none"]).benchmark[0] is None
    with pytest.raises(ConfigError, match=r"run.benchmark: 'nope' is not a benchmark; "
                                          r"benchmarks: market, long_duration"):
        load_config(None, ["run.benchmark=nope"])
    # the strategy under test is not a benchmark
    with pytest.raises(ConfigError, match="is not a benchmark"):
        load_config(None, ["run.benchmark='Duration rotation'"])
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # the red team's signatures (issue 11, item 9): each names the key's path
        (["data.assets.NEW=0"], "data.assets.NEW: expected a series id (a string) or a table "
                                "with id = ..., got a number (0)"),
        (["data.assets=5"], "[assets] must be a table, got a number (5)"),
        (["sleeves.long=3"], "sleeves.long: expected a list, got a number (3)"),
        (["sleeves.short=true"], "sleeves.short: expected a list, got a boolean (true)"),
        (["costs.fees_bps=nan"], "costs.fees_bps: expected a finite number, got nan"),
        (["costs.slippage_bps=inf"], "costs.slippage_bps: expected a finite number, got inf"),
        (["costs.fees_bps=-inf"], "costs.fees_bps: expected a finite number, got -inf"),
        (["costs.fees_bps=20000"], "costs.fees_bps must be >= 0 and below 10000"),
        (["run.initial_capital=true"], "run.initial_capital: expected a number, got a boolean"),
        (["run.initial_capital=1e-300"], "run.initial_capital must be between 1e-6 and 1e15"),
        (["signal.components.0.weight=0", "signal.components.1.weight=0"],
         "signal: every component has weight 0"),
        (["data.cash=['RF', 'MKT']"], "data.cash: expected a string, got a list (2 items)"),
        (["thesis.bootstrap_reps=1000000000"], "thesis.bootstrap_reps must be between 50"),
        (["run.execution_lag=1.5"], "run.execution_lag: expected an integer, got a number (1.5)"),
        (["run.periods_per_year=nan"], "run.periods_per_year: expected an integer, got a number"),
        (["signal.components.0.periods=99999999999"],
         "signal.components[0].periods: 99999999999 is out of range"),
        (["strategy.label=[1]"], "strategy.label: expected a non-empty string, got a list"),
        (["strategy.kind=3"], "strategy.kind: expected a strategy type (a string"),
        (["regimes.catalog=7"], "regimes.catalog: expected a file path (a string), got a number"),
        (["run.end=1990-06-30T12:00:00Z"], "run.end: '1990-06-30 12:00:00+00:00' is not a plain "
                                          "date"),
    ],
)
def test_every_key_is_checked_for_type_and_domain(overrides, message) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(overrides=overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("strategy.min_hold_periods=nan", "min_hold_periods: expected an integer, got a number"),
        ("strategy.min_hold_periods=0", "min_hold_periods must be >= 1"),
        ("strategy.enter=inf", "enter: expected a finite number, got inf"),
        ("benchmarks.sixty_forty.weights=0.5", "weights: expected a table, got a number (0.5)"),
        ("benchmarks.sixty_forty.weights=[1, 2]", "weights: expected a table, got a list"),
        ("benchmarks.sixty_forty.weights.MKT=true",
         "benchmarks.sixty_forty.weights.MKT: expected a number, got a boolean (true)"),
        ("benchmarks.sixty_forty.weights.MKT=nan", "expected a finite number, got nan"),
    ],
)
def test_strategy_parameters_are_checked_before_any_data_is_read(override, message) -> None:
    """The runner builds every strategy first (the config layer never imports them)."""
    import backtest

    def no_data(request):
        raise AssertionError(f"{request} was loaded before the parameters were checked")

    with pytest.raises(ConfigError) as info:
        backtest.run(overrides=[override], load=no_data)
    assert message in str(info.value)


def test_replace_strategy_equals_a_full_parse() -> None:
    from pathlib import Path

    from backtest.config import replace_strategy

    base = load_config()
    raw = apply_overrides(base.raw, ["strategy.enter=0.7", "strategy.exit=-0.2",
                                     "strategy.label=other"])
    fast = replace_strategy(base, raw)
    full = parse_config(raw, source=base.source, base=Path(base.source).parent)
    assert fast == full and fast.config_hash == full.config_hash
    assert fast.strategy.params["enter"] == 0.7 and fast.strategy.label == "other"


def test_idea_date_is_optional_and_may_be_unquoted_in_an_override() -> None:
    assert DEFAULT.run.idea_date is None
    cfg = load_config(overrides=["run.idea_date=2010-06-30"])
    assert cfg.run.idea_date == "2010-06-30"


def test_every_problem_of_a_config_is_reported_at_once() -> None:
    from backtest.errors import ConfigErrors

    raw = _raw()
    raw["run"]["frequncy"] = "M"
    raw["costs"]["slipage_bps"] = 2.0
    raw["data"]["cash"] = "T-BILL"
    raw["tunee"] = {}
    raw["strategy"]["entr"] = 1.0  # a strategy's own keys are checked when it is built
    with pytest.raises(ConfigErrors) as info:
        parse_config(raw, source="c.toml")
    text = str(info.value)
    assert "\n" not in text and text.startswith("c.toml: 4 problems: (1) ")
    for part in ("unknown section tunee (did you mean tune?)",
                 "run: unknown key frequncy (did you mean frequency?)",
                 "costs: unknown key slipage_bps (did you mean slippage_bps?)",
                 "data.cash: 'T-BILL' is not an asset"):
        assert part in text, part
    assert len(info.value.errors) == 4


def test_one_problem_is_reported_as_itself() -> None:
    from backtest.errors import ConfigErrors

    raw = _raw()
    raw["costs"]["fees_bps"] = -1.0
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert not isinstance(info.value, ConfigErrors)
    assert "costs.fees_bps must be >= 0" in str(info.value)
