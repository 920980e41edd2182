"""The regime catalog: the repository's data/regimes.toml, and every parse error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from backtest.errors import ConfigError
from backtest.regimes import (
    Regime,
    RegimeKind,
    load_catalog,
    parse_catalog,
    regimes_within,
)

CATALOG = Path(__file__).resolve().parents[2] / "data" / "regimes.toml"

GOOD = """
[[regime]]
name = "a"
start = "1994-02-04"
end = "1994-11-07"
kind = "rate_shock"
description = "10y rose from 5.9% to 8.0%"
reference = "Borio & McCauley (1996)"

[[regime]]
name = "b"
start = "1998-07-20"
end = "1998-10-15"
kind = "credit_stress"
description = "LTCM"
reference = "PWG (1999)"
"""


def one(**overrides: str) -> str:
    """A one-regime catalog; override a value, or drop a key by passing ''."""
    fields = {
        "name": '"x"',
        "start": '"2000-01-01"',
        "end": '"2000-12-31"',
        "kind": '"easing"',
        "description": '"d"',
        "reference": '"r"',
    }
    fields.update(overrides)
    body = "\n".join(f"{key} = {value}" for key, value in fields.items() if value)
    return f"[[regime]]\n{body}\n"


def regime(name: str, start: str, end: str) -> Regime:
    return Regime(name, pd.Timestamp(start), pd.Timestamp(end), RegimeKind.RATE_SHOCK, "d", "r")


# --- the repository's catalog -------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> tuple[Regime, ...]:
    return load_catalog(CATALOG)


def test_repo_catalog_is_large_and_spans_1919_to_2026(catalog: tuple[Regime, ...]) -> None:
    assert len(catalog) >= 22
    assert min(r.start for r in catalog).year == 1919
    assert max(r.end for r in catalog).year == 2026


def test_repo_catalog_entries_are_complete(catalog: tuple[Regime, ...]) -> None:
    names = [r.name for r in catalog]
    assert len(set(names)) == len(names)
    for r in catalog:
        assert isinstance(r.kind, RegimeKind)
        assert r.start <= r.end, r.name
        assert r.description.strip() and r.reference.strip(), r.name
        assert "\n" not in r.description, r.name


def test_repo_catalog_is_sorted_by_start(catalog: tuple[Regime, ...]) -> None:
    starts = [r.start for r in catalog]
    assert starts == sorted(starts)


def test_repo_catalog_uses_every_kind(catalog: tuple[Regime, ...]) -> None:
    assert {r.kind for r in catalog} == set(RegimeKind)
    assert sum(r.kind is RegimeKind.EASING for r in catalog) >= 4


# One date inside each episode the design asks for, and the kinds it may have.
STRESS = (RegimeKind.RATE_SHOCK, RegimeKind.CREDIT_STRESS, RegimeKind.LIQUIDITY_DRAIN)
REQUIRED = [
    ("1920-06-01", STRESS),  # post-war tightening
    ("1931-10-16", STRESS),  # New York Fed's second hike after sterling left gold
    ("1937-06-01", STRESS),  # reserve requirements doubled
    ("1966-08-29", STRESS),  # credit crunch
    ("1970-06-22", STRESS),  # Penn Central
    ("1974-07-01", STRESS),
    ("1980-03-01", STRESS),  # Volcker
    ("1984-05-30", STRESS),
    ("1987-10-19", STRESS),
    ("1994-06-01", STRESS),
    ("1998-09-23", STRESS),  # LTCM recapitalised
    ("2000-03-10", STRESS),  # Nasdaq peak inside the tightening
    ("2005-06-01", STRESS),  # 2004-06 hikes
    ("2008-09-15", STRESS),  # Lehman
    ("2013-06-24", STRESS),  # taper tantrum
    ("2017-06-01", STRESS),  # 2015-18 hikes and runoff
    ("2018-12-24", STRESS),
    ("2020-03-16", STRESS),  # dash for cash
    ("2022-06-16", STRESS),
    ("2023-10-19", STRESS),  # term-premium spike
    ("2026-02-01", STRESS),  # AI-capex liquidity drain
    ("1982-10-01", (RegimeKind.EASING,)),
    ("1995-06-01", (RegimeKind.EASING,)),
    ("2009-06-01", (RegimeKind.EASING,)),
    ("2020-06-01", (RegimeKind.EASING,)),
]


@pytest.mark.parametrize(("day", "kinds"), REQUIRED)
def test_repo_catalog_covers_required_episode(
    catalog: tuple[Regime, ...], day: str, kinds: tuple[RegimeKind, ...]
) -> None:
    hits = [r for r in regimes_within(catalog, day, day) if r.kind in kinds]
    assert hits, f"no {', '.join(kinds)} regime covers {day}"


def test_repo_catalog_has_the_2025_26_episode(catalog: tuple[Regime, ...]) -> None:
    (episode,) = [r for r in catalog if r.start == pd.Timestamp("2025-10-06")]
    assert episode.end == pd.Timestamp("2026-06-30")
    assert episode.kind is RegimeKind.LIQUIDITY_DRAIN
    assert "Bitcoin" in episode.description


# --- parsing ---------------------------------------------------------------------------


def test_parse_good_catalog() -> None:
    a, b = parse_catalog(GOOD)
    assert a == Regime(
        name="a",
        start=pd.Timestamp("1994-02-04"),
        end=pd.Timestamp("1994-11-07"),
        kind=RegimeKind.RATE_SHOCK,
        description="10y rose from 5.9% to 8.0%",
        reference="Borio & McCauley (1996)",
    )
    assert b.kind is RegimeKind.CREDIT_STRESS
    assert RegimeKind("credit_stress") is b.kind


def test_toml_date_literals_are_accepted() -> None:
    (r,) = parse_catalog(one(start="2000-01-01", end="2000-01-01"))
    assert r.start == r.end == pd.Timestamp(dt.date(2000, 1, 1))


def test_load_catalog_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert [r.name for r in load_catalog(path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[[regime]\nname = 'x'", ["cat.toml: malformed TOML"]),
        ("", ["cat.toml: no [[regime]] tables"]),
        ("title = 'x'\n" + one(), ["cat.toml: unknown top-level key(s) 'title'"]),
        (
            one(colour='"red"'),
            [
                "cat.toml: regime #1 ('x'): unknown key(s) 'colour'",
                "valid keys are: name, start, end, kind, description, reference",
            ],
        ),
        (one(reference=""), ["cat.toml: regime #1 ('x'): missing key(s) 'reference'"]),
        (one(name=""), ["cat.toml: regime #1: missing key(s) 'name'"]),
        (one(name="3"), ["regime #1: name must be a non-empty string, got 3"]),
        (one(description='"  "'), ["regime #1 ('x'): description must be a non-empty string"]),
        (one(start='"2000/01/01"'), ["regime #1 ('x'): bad start date '2000/01/01'", "YYYY-MM-DD"]),
        (one(end='"2023-02-30"'), ["regime #1 ('x'): bad end date '2023-02-30'"]),
        (one(start="2000-01-01T00:00:00"), ["regime #1 ('x'): start must be a date"]),
        (
            one(start='"2001-01-01"'),
            ["regime #1 ('x'): start 2001-01-01 is after end 2000-12-31"],
        ),
        (
            one(kind='"panic"'),
            [
                "regime #1 ('x'): unknown kind 'panic'",
                "valid kinds are: rate_shock, credit_stress, liquidity_drain, easing",
            ],
        ),
        (GOOD + one(name='"A"'), ["regime #3 ('A'): duplicate name, already used by regime #1"]),
        ("regime = 3", ["cat.toml: no [[regime]] tables"]),
        ("regime = [1]", ["cat.toml: regime #1: expected a table, got int"]),
    ],
)
def test_parse_errors_name_file_regime_and_problem(text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_catalog(text, origin="cat.toml")
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"regime catalog not found: .*nope\.toml"):
        load_catalog(path)


def test_file_errors_name_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(one(kind='"panic"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: regime #1 \('x'\): unknown kind"):
        load_catalog(path)


# --- Regime and regimes_within ----------------------------------------------------------


def test_regime_rejects_bad_values() -> None:
    with pytest.raises(ConfigError, match="start 2001-01-01 is after end 2000-01-01"):
        regime("x", "2001-01-01", "2000-01-01")
    with pytest.raises(ConfigError, match="must be a date"):
        regime("x", "2000-01-01 12:00", "2000-01-02")
    with pytest.raises(ConfigError, match="tz-naive"):
        Regime(
            "x",
            pd.Timestamp("2000-01-01", tz="UTC"),
            pd.Timestamp("2000-01-02", tz="UTC"),
            RegimeKind.EASING,
            "d",
            "r",
        )
    with pytest.raises(ConfigError, match="kind must be a RegimeKind"):
        Regime("x", pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02"), "easing", "d", "r")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="name must be a non-empty string"):
        regime(" ", "2000-01-01", "2000-01-02")


def test_regime_is_frozen() -> None:
    r = regime("x", "2000-01-01", "2000-01-02")
    with pytest.raises(AttributeError):
        r.name = "y"  # type: ignore[misc]


def test_regimes_within_keeps_overlaps_in_order() -> None:
    cat = (
        regime("before", "1990-01-01", "1990-12-31"),
        regime("straddles start", "1999-06-01", "2000-01-01"),  # touches the first day only
        regime("inside", "2000-03-01", "2000-04-01"),
        regime("straddles end", "2000-12-31", "2001-06-30"),
        regime("after", "2001-01-01", "2001-02-01"),
    )
    got = regimes_within(cat, "2000-01-01", pd.Timestamp("2000-12-31"))
    assert [r.name for r in got] == ["straddles start", "inside", "straddles end"]
    assert regimes_within(cat, "1980-01-01", "1980-12-31") == ()


def test_regimes_within_rejects_reversed_bounds() -> None:
    with pytest.raises(ConfigError, match="is after end"):
        regimes_within((), "2001-01-01", "2000-01-01")
