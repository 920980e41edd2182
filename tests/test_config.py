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
        (lambda r: r["costs"].update(fee_bps=3), "costs: unknown key fee_bps; valid keys: fees_bps, slippage_bps"),
        (lambda r: r["run"].update(execution_lag=-1), "execution_lag must be >= 0"),
        (lambda r: r["run"].update(start="not a date"), "run.start"),
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
