"""``read_signal`` on small constructed macro data: known, unknown and latest states.

Three daily series on a business-day calendar, each published one business day
after its observation and carried at most 10 days (``_MAX_AGE_DAYS["D"]``):

* ``fred:DGS10`` (component ``x``) runs 2020-01-01 .. 2020-06-30;
* ``fred:BAA10Y`` (``y``) ends Friday 2020-05-29: known Monday 06-01, carried to Thursday
  06-11 (10 days), absent from Friday 06-12;
* ``fred:DFII10`` (``z``) ends Tuesday 2020-03-31: known 04-01, carried to Friday 04-10
  (9 days; the weekend brings it to 11), absent from Monday 04-13.

With ``min_components = 2`` the composite is defined while two of the three are present,
so the state is known up to 2020-06-11 and unknown from 2020-06-12. The dates in the
assertions are computed by hand from these rules, not by the code under test.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from backtest.cli.signal import reading_json, reading_report
from backtest.config import parse_config
from backtest.data.base import FetchedSeries, Kind, SeriesRequest
from backtest.errors import DataError
from backtest.reading import SignalReading, read_signal

T = pd.Timestamp
ENDS = {"DGS10": "2020-06-30", "BAA10Y": "2020-05-29", "DFII10": "2020-03-31"}


def _series(name: str, seed: int) -> pd.Series:
    index = pd.bdate_range("2020-01-01", ENDS[name], name="date")
    steps = np.random.default_rng(seed).normal(0.0, 0.05, len(index))
    return pd.Series(2.0 + steps.cumsum(), index=index)


SERIES = {name: _series(name, seed) for seed, name in enumerate(ENDS)}


def load(request: SeriesRequest) -> FetchedSeries:
    return FetchedSeries(request, SERIES[request.name], Kind.LEVEL, "percent", "D", "test")


def config(min_components: int | None = 2, min_periods: int = 5) -> Any:
    components = [{"name": n, "series": a, "transform": "level", "standardize": "expanding",
                   "min_periods": min_periods} for n, a in (("x", "X"), ("y", "Y"), ("z", "Z"))]
    signal: dict[str, Any] = {"components": components}
    if min_components is not None:
        signal["min_components"] = min_components
    return parse_config({
        "run": {"name": "t", "frequency": "B"},
        "data": {"cash": "C", "assets": {"A": "embedded:french/S5V1",
                                         "B": "embedded:french/S5V5", "C": "embedded:french/RF"},
                 "macro": {"X": "fred:DGS10", "Y": "fred:BAA10Y", "Z": "fred:DFII10"}},
        "signal": signal,
        "sleeves": {"long": ["A"], "short": ["B"]},
        "strategy": {"kind": "binary_rotation", "enter": 0.3, "exit": -0.3,
                     "min_hold_periods": 3},
    })


def read(asof: str, **kw: Any) -> SignalReading:
    latest = kw.pop("latest", False)
    return read_signal(config(**kw), load=load, asof=T(asof), latest=latest)


def component(r: SignalReading, name: str) -> Any:
    return next(c for c in r.components if c.name == name)


def text(r: SignalReading) -> str:
    console = Console(file=io.StringIO(), width=250, markup=False, emoji=False)
    console.print(reading_report(r))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_carry_limit_ends_a_component_on_the_bar_the_rules_say() -> None:
    last = read("2020-04-10")  # z: known 04-01, 9 days old
    assert component(last, "z").present and component(last, "z").absent_since is None
    first = read("2020-04-13")  # 12 days old: beyond the 10-day limit
    z = component(first, "z")
    assert not z.present
    assert z.last_present == T("2020-04-10") and z.absent_since == T("2020-04-13")
    assert z.inputs[0].stale and z.inputs[0].age_days == 12


def test_enough_components_keep_the_state_known() -> None:
    r = read("2020-04-30")
    assert r.status == "known" and r.unknown_reason is None and r.last_known is None
    assert (r.present, r.needed) == (2, 2)
    assert r.composite is not None and r.state is not None and r.since is not None
    assert r.distance is not None and r.hold_bars_left is not None
    assert component(r, "z").absent_since == T("2020-04-13")
    out = text(r)
    assert "Absent (the composite is rescaled over the others): z since 2020-04-13" in out
    assert "UNKNOWN" not in out


def test_too_few_components_make_the_state_unknown() -> None:
    r = read("2020-06-30")
    assert r.status == "unknown" and r.composite is None
    assert (r.present, r.needed) == (1, 2)
    # nothing about the present is claimed
    assert r.state is None and r.since is None and r.distance is None
    assert r.hold_bars_left is None
    assert r.unknown_reason == "1 of 3 components known on 2020-06-30; the composite needs 2"
    assert component(r, "y").absent_since == T("2020-06-12")
    assert component(r, "z").absent_since == T("2020-04-13")
    # the past: the last bar with a composite, and the state there, as read on that bar
    assert r.last_composite == T("2020-06-11")
    then = read("2020-06-11")
    assert then.status == "known" and r.last_known is not None
    assert r.last_known.bar == T("2020-06-11")
    assert r.last_known.composite == then.composite
    assert r.last_known.state == then.state and r.last_known.since == then.since
    assert read("2020-06-12").status == "unknown"  # the first bar without y


def test_the_unknown_state_is_printed_as_past() -> None:
    r = read("2020-06-30")
    assert r.last_known is not None and r.last_known.state is not None
    word = "RISK-OFF" if r.last_known.state else "risk-on"
    out = text(r)
    assert "t (binary_rotation): state UNKNOWN on 2020-06-30: 1 of 3 components known, " \
        "the composite needs 2 (exit code 4)." in out
    assert "Stale or missing: y since 2020-06-12, z since 2020-04-13" in out
    assert (f"Last known (past, not current): {word} on 2020-06-11, composite "
            f"{r.last_known.composite:+.2f}") in out
    assert "Next switch" not in out and f"{word} since" not in out
    assert "last defined on 2020-06-11" in out


def test_every_component_needed_by_default() -> None:
    r = read("2020-04-30", min_components=None)
    assert r.status == "unknown" and (r.present, r.needed) == (2, 3)
    assert r.last_known is not None and r.last_known.bar == T("2020-04-10")


def test_before_any_composite_the_state_was_never_known() -> None:
    r = read("2020-01-06")  # three released values: the z-score needs five
    assert r.status == "unknown" and r.last_known is None and r.last_composite is None
    assert component(r, "x").reason == "the z-score needs 5 bars of level history, has 3"
    assert component(r, "x").last_present is None and component(r, "x").absent_since is None
    assert "Never known up to 2020-01-06" in text(r)
    assert "x (never yet)" in text(r)


def test_latest_is_the_last_bar_with_every_component_known() -> None:
    r = read("2020-06-30", latest=True)
    assert r.bar == T("2020-04-10") and r.asof == T("2020-06-30") and r.latest
    assert r.status == "known" and r.present == 3
    # the same reading as asking for that date
    assert dataclasses.replace(r, asof=T("2020-04-10"), latest=False) == read("2020-04-10")
    assert text(r).startswith("Signal on 2020-04-10 (asked for latest: the last bar up to "
                              "2020-06-30 at which all 3 components are known)")
    # a date before z ends reads itself
    assert read("2020-03-20", latest=True).bar == T("2020-03-20")


def test_latest_without_such_a_bar_is_an_error() -> None:
    with pytest.raises(DataError, match=r"no bar up to 2020-06-30 has all 3 components known "
                                        r"at once \(each one's last known bar: x never, y never, "
                                        r"z never\)"):
        read("2020-06-30", latest=True, min_periods=500)


def test_the_json_says_unknown_and_keeps_the_past_apart() -> None:
    r = read("2020-06-30")
    payload = json.loads(json.dumps(reading_json(r), allow_nan=False))
    assert payload["schema"] == "signal-reading 1.1"
    assert payload["status"] == "unknown" and payload["state"] is None
    assert payload["since"] is None and payload["distance"] is None
    assert payload["unknown_reason"].startswith("1 of 3 components known")
    assert payload["last_known"]["bar"] == "2020-06-11"
    assert payload["last_known"]["state"] == r.last_known.state  # type: ignore[union-attr]
    assert [c["absent_since"] for c in payload["components"]] == [None, "2020-06-12",
                                                                  "2020-04-13"]
    assert payload["components"][0]["inputs"][0]["units"] == "percent"
    known = json.loads(json.dumps(reading_json(read("2020-04-30")), allow_nan=False))
    assert known["status"] == "known" and known["last_known"] is None
    assert isinstance(known["state"], bool)


@pytest.mark.parametrize("bad", [pd.NaT, pd.Timestamp("2020-01-01T00:00+05:00")])
def test_the_library_rejects_what_is_not_a_naive_date(bad: Any) -> None:
    with pytest.raises(DataError, match="asof must be a tz-naive date"):
        read_signal(config(), load=load, asof=bad)
