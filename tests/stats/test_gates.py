"""Gate parser: grammar, evaluation, NaN, unknown names; hypothesis round trips and garbage."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import ConfigError
from backtest.stats import baseline_check, parse_gate
from backtest.stats._gates import Binary, Gate, Name, Negate, Number

VALUES = {"oos.sharpe": 0.42, "benchmark.oos.sharpe": 0.30, "dsr": 0.93, "pbo": 0.62,
          "spa.consistent": 0.04, "folds.0.sharpe": 1.5}


@pytest.mark.parametrize(("text", "passed", "lhs", "rhs"), [
    ("oos.sharpe >= 0.3", True, 0.42, 0.3),
    ("dsr >= 0.9", True, 0.93, 0.9),
    ("pbo <= 0.5", False, 0.62, 0.5),
    ("spa.consistent <= 0.1", True, 0.04, 0.1),
    ("oos.sharpe - benchmark.oos.sharpe >= 0", True, 0.42 - 0.30, 0.0),
    ("-(oos.sharpe - 1) * 2 > 1 + 0.1", True, 1.16, 1.1),
    ("2 * 3 + 4 == 10", True, 10.0, 10.0),
    ("2 * (3 + 4) != 14", False, 14.0, 14.0),
    ("8 / 4 / 2 == 1", True, 1.0, 1.0),  # left-associative
    ("1 - 2 - 3 < -3.5", True, -4.0, -3.5),  # (1 - 2) - 3, not 1 - (2 - 3) = 2
    (".5e1 > folds.0.sharpe", True, 5.0, 1.5),
    ("--dsr>=0.93", True, 0.93, 0.93),
])
def test_evaluation(text, passed, lhs, rhs) -> None:
    outcome = parse_gate(text).evaluate(VALUES)
    assert outcome.passed is passed and outcome.text == text
    assert outcome.lhs == pytest.approx(lhs, rel=1e-12) and outcome.rhs == pytest.approx(rhs)
    assert ("passed" if passed else "failed") in outcome.message and "\n" not in outcome.message


def test_nan_fails_and_says_which_value_is_undefined() -> None:
    values = {**VALUES, "dsr": math.nan}
    outcome = parse_gate("dsr >= 0.9").evaluate(values)
    assert not outcome.passed and "dsr is undefined (NaN)" in outcome.message
    # != with NaN would be "true" in IEEE: still a failure, undefined is never a pass
    assert not parse_gate("dsr != 0.5").evaluate(values).passed
    outcome = parse_gate("oos.sharpe / 0 >= 1").evaluate(VALUES)  # division by zero
    assert not outcome.passed and "left side is undefined" in outcome.message
    assert not parse_gate("pbo <= 1").evaluate({"pbo": None}).passed  # type: ignore[dict-item]


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_gate("oos.sharp >= 0.3").evaluate(VALUES)
    message = str(info.value)
    assert "unknown name 'oos.sharp'" in message and "did you mean 'oos.sharpe'" in message
    assert "valid names: benchmark.oos.sharpe, dsr, folds.0.sharpe" in message
    gate = parse_gate("pbo <= 0.5 * dsr")
    assert gate.names == {"pbo", "dsr"}
    gate.validate(VALUES)  # known: no error
    with pytest.raises(ConfigError, match="unknown name 'dsr'"):
        gate.validate(["pbo"])


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty gate"),
    ("   ", "empty gate"),
    ("oos.sharpe", "expected a comparison"),
    ("oos.sharpe >=", "expected a number, a name or '\\(' at column 14"),
    ("a >= b >= c", "only one comparison is allowed, found '>=' at column 8"),
    ("a = 1", "unexpected '=' at column 3"),
    ("a ** 2 >= 1", "found '\\*' at column 4"),
    ("(a >= 1", "expected '\\)'"),
    ("a >= 1)", "unexpected '\\)' at column 7"),
    ("__import__('os') >= 1", "unexpected \"'\""),
    ("a.b. >= 1", "unexpected '.' at column 4"),
    ("a >= 1 and b >= 2", "unexpected 'and'"),
    ("a\n>= 1", "one line"),
    ("(" * 70 + "a" + ")" * 70 + " >= 1", "nested deeper than 64"),
    ("-" * 70 + "a >= 1", "nested deeper than 64"),
    ("a" * 1001 + " > 1", "longer than 1000"),
])
def test_garbage_is_a_one_line_config_error(text, message) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_gate(text)
    assert "\n" not in str(info.value)


# ---- hypothesis: round trips over random trees, and garbage never escapes -------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,5}(\.[a-z0-9_]{1,4}){0,2}", fullmatch=True)
_numbers = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
_leaves = st.one_of(_numbers.map(Number), _names.map(Name))
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        inner.map(Negate),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), inner, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(left=_trees, right=_trees, op=st.sampled_from([">=", "<=", ">", "<", "==", "!="]))
def test_render_parse_round_trip(left, right, op) -> None:
    gate = Gate("", left, op, right)
    text = gate.render()
    parsed = parse_gate(text)
    assert (parsed.left, parsed.op, parsed.right) == (left, op, right)
    assert parse_gate(parsed.render()).render() == text
    values = {name: 1.25 for name in parsed.names}
    outcome = parsed.evaluate(values)
    a, b = left.evaluate(values), right.evaluate(values)
    assert outcome.lhs == a or (math.isnan(a) and math.isnan(outcome.lhs))
    assert outcome.rhs == b or (math.isnan(b) and math.isnan(outcome.rhs))


_ALPHABET = "ab.01 9e+-*/()<>=!_\tx$'"


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet=_ALPHABET, max_size=40)))
def test_any_text_parses_or_raises_a_one_line_config_error(text) -> None:
    try:
        gate = parse_gate(text)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    outcome = gate.evaluate(dict.fromkeys(gate.names, 1.0))
    assert isinstance(outcome.passed, bool)


# ---- baseline ------------------------------------------------------------------------

def test_baseline_check_directions_and_tolerance() -> None:
    directions = {"oos.sharpe": True, "pbo": False, "dsr": True}
    current = {"oos.sharpe": 0.36, "pbo": 0.54, "dsr": 0.80}
    baseline = {"oos.sharpe": 0.40, "pbo": 0.50, "dsr": 0.90}
    outcomes = baseline_check(current, baseline, ["oos.sharpe", "pbo", "dsr"], 0.05, directions)
    # Sharpe fell 0.04 <= 0.05: pass; PBO rose 0.04 <= 0.05: pass; DSR fell 0.10: fail
    assert [o.passed for o in outcomes] == [True, True, False]
    assert outcomes[2].lhs == 0.80 and outcomes[2].rhs == pytest.approx(0.85)
    assert "worse than the baseline" in outcomes[2].message
    per_name = baseline_check(current, baseline, ["oos.sharpe", "pbo"],
                              {"oos.sharpe": 0.01, "pbo": 0.01}, directions)
    assert [o.passed for o in per_name] == [False, False]


def test_baseline_check_missing_and_undefined_values() -> None:
    directions = {"a": True, "b": True}
    # a baseline that cannot vouch for a number never passes it (it failed open: issue 18)
    (absent,) = baseline_check({"a": 1.0}, {}, ["a"], 0.0, directions)
    assert not absent.passed and "absent in the baseline" in absent.message
    (was_nan,) = baseline_check({"a": 1.0}, {"a": math.nan}, ["a"], 0.0, directions)
    assert not was_nan.passed and "undefined (NaN or not a number) in the baseline" in was_nan.message
    (now_nan,) = baseline_check({"a": math.nan}, {"a": 1.0}, ["a"], 0.0, directions)
    assert not now_nan.passed and "undefined" in now_nan.message
    with pytest.raises(ConfigError, match="'b' is not in the current results"):
        baseline_check({"a": 1.0}, {"a": 1.0}, ["b"], 0.0, directions)
    with pytest.raises(ConfigError, match="'a' is not in the directions"):
        baseline_check({"a": 1.0}, {"a": 1.0}, ["a"], 0.0, {})
    with pytest.raises(ConfigError, match="tolerance must be >= 0"):
        baseline_check({"a": 1.0}, {"a": 1.0}, ["a"], -0.1, directions)


@pytest.mark.parametrize(("texts", "default", "per"), [
    ([], "0.05", {}),
    (["0.1"], "0.1", {}),
    (["10%"], "10%", {}),
    (["oos.sharpe=0.02", "pbo=25%"], "0.05", {"oos.sharpe": "0.02", "pbo": "25%"}),
    (["5%", "oos.sharpe - (benchmark.oos.sharpe)=0.1"], "5%",
     {"oos.sharpe - (benchmark.oos.sharpe)": "0.1"}),
])
def test_tolerances_parse(texts, default, per) -> None:
    from backtest.stats import parse_tolerances

    parsed = parse_tolerances(texts)
    assert parsed.to_json() == {"default": default, **per}


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "x", "10%%", "oos.sharpe=", ""])
def test_bad_tolerances_are_one_line(text) -> None:
    from backtest.stats import parse_tolerances

    with pytest.raises(ConfigError, match="--tolerance"):
        parse_tolerances([text])


def test_a_relative_tolerance_scales_with_the_baseline() -> None:
    from backtest.stats import Tolerance

    assert Tolerance(0.1, relative=True).allowed(-0.8) == pytest.approx(0.08)
    assert Tolerance(0.1).allowed(-0.8) == 0.1
    with pytest.raises(ConfigError, match="given twice"):
        from backtest.stats import parse_tolerances

        parse_tolerances(["0.1", "0.2"])
