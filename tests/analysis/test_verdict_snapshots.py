"""Every branch of the verdict, on hand-built statistics, against stored text.

Each case changes one set of numbers of a base :class:`Thesis` and the verdict that
write_verdict makes from it is compared, line for line, with
``snapshots/verdicts.txt``. A wording change is deliberate: run
``pytest tests/analysis/test_verdict_snapshots.py --update-snapshots`` and review the
diff of the snapshot file. Besides the snapshot, each case asserts the words its
numbers must (and must not) produce, so a snapshot updated by mistake still fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from backtest.analysis import (
    BootstrapSettings,
    Concentration,
    IdeaSplit,
    Interval,
    Mechanism,
    PeriodSpread,
    Predictive,
    RankAgreement,
    SharpeComparison,
    SplitPart,
    StateSpread,
    Thesis,
    write_verdict,
)

SNAPSHOTS = Path(__file__).parent / "snapshots" / "verdicts.txt"
BOOT = "stationary bootstrap (percentile)"
NW = "Newey-West (normal)"


def iv(estimate: float, low: float, high: float, method: str = BOOT) -> Interval:
    return Interval(estimate, low, high, 0.95, method, 1000 if method == BOOT else 0, 4.0)


def state(diff: Interval) -> StateSpread:
    return StateSpread(bars_off=200, bars_on=300, mean_off=-0.031, mean_on=0.019,
                       difference=diff, nw_t=diff.estimate / 0.021, nw_lags=5,
                       hit_rate=0.55, hit_rate_off=0.56, hit_rate_on=0.54)


def regime(label: str, verdict: str, spread: Interval | None, p: float, holm: float,
           bars: int = 24, sign: int = -1) -> PeriodSpread:
    return PeriodSpread(label, "rate_shock" if sign < 0 else "easing", pd.Timestamp("1994-01-01"),
                        pd.Timestamp("1995-12-31"), bars, spread, sign, verdict,  # type: ignore[arg-type]
                        p_value=p, p_holm=holm, p_bh=min(1.0, holm * 0.7))


def sharpe(diff: Interval, mine: float = 0.61, other: float = 0.48,
           alternative: str = "always short") -> SharpeComparison:
    return SharpeComparison("rotation", alternative, mine, other, diff)


def base() -> Thesis:
    """Evidence everywhere: the sleeves differ, the state and the prediction work."""
    return Thesis(
        strategy="rotation",
        settings=BootstrapSettings(reps=1000, seed=0),
        periods_per_year=12,
        start=pd.Timestamp("1980-02-29"),
        end=pd.Timestamp("2021-12-31"),
        state=state(iv(-0.052, -0.091, -0.013)),
        predictive=Predictive(slope=-0.0021, slope_t=-2.61, nw_lags=5, nobs=502, r2=0.012,
                              oos_r2=0.0123, oos_r2_restricted=0.0131, cw_t=2.2, cw_p=0.014,
                              oos_start=pd.Timestamp("1985-02-28"), oos_bars=442, min_train=60),
        mechanism=Mechanism(yield_beta=iv(-0.047, -0.065, -0.029, NW),
                            credit_beta=iv(-0.021, -0.038, -0.004, NW), yield_t=-5.12,
                            credit_t=-2.44, duration_gap=iv(4.7, 2.9, 6.5, NW), nobs=502,
                            nw_lags=5, r2=0.08),
        decades=[],
        regimes=[
            regime("1994 bond rout", "counts", iv(-0.21, -0.35, -0.08), 0.002, 0.008),
            regime("2004-06 hikes", "counts", iv(-0.12, -0.22, -0.02), 0.03, 0.09),
            regime("2009 QE1", "inconclusive", iv(0.05, -0.10, 0.20), 0.52, 1.0, sign=1),
            regime("2013 taper tantrum", "inconclusive", iv(-0.04, -0.15, 0.06), 0.41, 1.0),
            regime("1998 LTCM", "too short", iv(-0.06, math.nan, math.nan), math.nan,
                   math.nan, bars=3),
        ],
        sharpe=[sharpe(iv(0.13, 0.02, 0.25)),
                sharpe(iv(-0.05, -0.20, 0.08), 0.61, 0.66, "market (MKT)")],
        durations=None,
    )


def _rho(mean: float, n: int = 120) -> RankAgreement:
    dates = pd.date_range("2000-01-31", periods=n, freq="ME")
    return RankAgreement("DCF", "empirical", pd.Series(mean, index=dates), mean, mean,
                         0.47 if mean < 0.1 else 0.9, 0.9, 12)


def _part(label: str, bars: int, diff: Interval | None, missing: str | None = None,
          sharpe_diff: Interval | None = None) -> SplitPart:
    first = pd.Timestamp("1980-02-29")
    dates = pd.date_range(first, periods=502, freq="ME")
    span = dates[:bars] if label == "before" else dates[-bars:]
    comparisons = ([] if sharpe_diff is None
                   else [sharpe(sharpe_diff, 0.48 + sharpe_diff.estimate, 0.48)])
    return SplitPart(label, bars, span[0], span[-1], None if diff is None else state(diff),
                     comparisons, missing)


def _concentration(total: float, contribution: float) -> Concentration:
    loss = total <= 0
    return Concentration(strategy="rotation", asset="MU", contribution=contribution,
                         total=total, share=math.nan if loss else contribution / total,
                         cagr=-0.011 if loss else 0.411, sharpe=-0.08 if loss else 1.17,
                         cagr_without=0.012 if loss else 0.292,
                         sharpe_without=0.11 if loss else 0.98)


def _with_idea(thesis: Thesis, split: IdeaSplit) -> Thesis:
    return replace(thesis, idea=split)


CASES: dict[str, Callable[[], Thesis]] = {
    "evidence": base,
    "no_evidence_higher": lambda: replace(base(), state=state(iv(0.012, -0.057, 0.081))),
    "evidence_against": lambda: replace(base(), state=state(iv(0.061, 0.021, 0.103))),
    "state_too_noisy": lambda: replace(base(), state=state(iv(-0.31, -0.92, 0.30))),
    "gap_covers_zero": lambda: replace(base(), mechanism=replace(
        base().mechanism, yield_beta=iv(0.002, -0.013, 0.018, NW), yield_t=0.31,
        duration_gap=iv(-0.2, -1.8, 1.3, NW))),  # type: ignore[arg-type]
    "gap_wrong_way_round": lambda: replace(base(), mechanism=replace(
        base().mechanism, yield_beta=iv(0.031, 0.012, 0.050, NW), yield_t=3.2,
        duration_gap=iv(-3.1, -5.0, -1.2, NW))),  # type: ignore[arg-type]
    "no_mechanism": lambda: replace(base(), mechanism=None, notes=(
        "Mechanism left out: set [thesis] yield_series and credit_series.",)),
    "r2_not_significant": lambda: replace(base(), predictive=replace(
        base().predictive, slope_t=-1.92, oos_r2=0.0013, oos_r2_restricted=0.0013, cw_t=1.29,
        cw_p=0.10)),
    "r2_negative": lambda: replace(base(), predictive=replace(
        base().predictive, slope=0.0005, slope_t=0.63, oos_r2=-0.0049,
        oos_r2_restricted=-0.0039, cw_t=-1.9, cw_p=0.97)),
    "r2_too_few_bars": lambda: replace(base(), predictive=replace(
        base().predictive, oos_r2=math.nan, oos_r2_restricted=math.nan, cw_t=math.nan,
        cw_p=math.nan, oos_start=None, oos_bars=0)),
    "sharpe_equal": lambda: replace(base(), sharpe=[
        sharpe(iv(-8e-5, -1.2e-4, -4e-5), 0.65, 0.65)]),
    "regimes_holm_fails_and_noisy": lambda: replace(base(), regimes=[
        *base().regimes,
        regime("2015-18 hikes", "fails", iv(0.45, 0.05, 0.90), 0.02, 0.08),
        regime("1999-2000 dot-com", "too noisy", iv(0.03, -0.91, 1.99), 0.61, 1.0),
    ]),
    "regimes_few_resamples": lambda: replace(base(), settings=BootstrapSettings(reps=100),
                                             regimes=[replace(r, p_value=max(r.p_value, 0.0198))
                                                      for r in base().regimes]),
    "idea_hindsight": lambda: _with_idea(base(), IdeaSplit(
        pd.Timestamp("2019-12-31"),
        _part("before", 479, iv(-0.061, -0.10, -0.02), sharpe_diff=iv(0.15, 0.03, 0.27)),
        _part("after", 23, iv(0.02, -0.40, 0.44), sharpe_diff=iv(-0.30, -1.5, 0.9)),
        479 / 502)),
    "idea_mostly_after": lambda: _with_idea(base(), IdeaSplit(
        pd.Timestamp("1980-08-31"),
        _part("before", 7, None, "7 bars, fewer than 12"),
        _part("after", 495, iv(-0.05, -0.09, -0.01), sharpe_diff=iv(0.13, 0.02, 0.25)),
        7 / 502)),
    "idea_after_the_window": lambda: _with_idea(base(), IdeaSplit(
        pd.Timestamp("2022-06-30"),
        _part("before", 502, iv(-0.052, -0.091, -0.013), sharpe_diff=iv(0.13, 0.02, 0.25)),
        SplitPart("after", 0, None, None, None, [], "no bars"), 1.0)),
    "concentrated": lambda: replace(base(), concentration=_concentration(29.70, 17.75)),
    "concentration_of_a_loss": lambda: replace(base(), concentration=_concentration(-0.12, -0.30)),
    "durations_unrelated": lambda: replace(base(), durations=_rho(-0.07),
                                           durations_mean=iv(-0.07, -0.25, 0.11)),
    "durations_agree": lambda: replace(base(), durations=_rho(0.71),
                                       durations_mean=iv(0.71, 0.60, 0.80)),
    "durations_opposite": lambda: replace(base(), durations=_rho(-0.40),
                                          durations_mean=iv(-0.40, -0.55, -0.22)),
    "counter_evidence_by_class": lambda: replace(base(), asset_classes={
        "equities": ("ARKK", "IGV", "MU", "COWZ", "SCHD", "SPY"), "bonds": ("TLT",),
        "crypto": ("BTC",)}),
}

#: Words each case's numbers must produce (and words they must never produce).
MUST: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "evidence": (("Signal state — evidence at 5%", "long sleeve is measurably longer",
                  "its forecasts beat the historical mean", "2 of 4 with at least 12 bars",
                  "1 by Holm's method"), ("predicts lower",)),
    "no_evidence_higher": (("no evidence at 5%", "1.2%/yr higher (the thesis predicts lower)"),
                           ()),
    "evidence_against": (("evidence AGAINST the thesis at 5%", "(the thesis predicts lower)"),
                         ()),
    "state_too_noisy": (("Signal state — too noisy to judge", "wider than ±50 pp/yr"), ()),
    "gap_covers_zero": (("the sleeves do not measurably differ in duration",
                         "this test cannot answer"), ("measurably longer",)),
    "gap_wrong_way_round": (("measurably SHORTER", "wrong way round"), ()),
    "no_mechanism": (("Mechanism: not tested",), ()),
    "r2_not_significant": (("not distinguishable from the historical mean", "p = 0.10"),
                           ("beat the historical mean:",)),
    "r2_negative": (("did not beat the historical mean", "higher (the thesis predicts lower"),
                    ()),
    "r2_too_few_bars": (("too few bars for an out-of-sample test",), ()),
    "sharpe_equal": (("equal (difference -8e-05)",), ("0.00", "worse")),
    "regimes_holm_fails_and_noisy": (("FAILED in 2015-18 hikes", "0 after Holm",
                                      "1 too noisy to judge", "adjusting for 6 tests"), ()),
    "regimes_few_resamples": (("raise [thesis] bootstrap_reps",), ()),
    "idea_hindsight": (("Hindsight: 479 of 502 bars (95%)", "only the 23 bars after it"), ()),
    "idea_mostly_after": (("not measured: 7 bars, fewer than 12",), ("Hindsight",)),
    "idea_after_the_window": (("no bar after it is out of sample", "after it, no bars"),
                              ("0 bars",)),
    "concentrated": (("MU made +1,775% of the strategy's +2,970% compounded return (60%",
                      "the result rests on one asset", "+29.2%/yr instead of +41.1%/yr"), ()),
    "concentration_of_a_loss": (("compounded return was -12.0%; its largest single "
                                 "contributor, MU, made -30.0%",), ("rests on one asset",)),
    "durations_unrelated": (("mean Spearman correlation of -0.07", "rankings are unrelated"),
                            ()),
    "durations_agree": (("they agree",), ("unrelated",)),
    "durations_opposite": (("opposite order",), ()),
    "counter_evidence_by_class": (("Counter-evidence, equities (ARKK, IGV, MU, COWZ and 2 more)",
                                   "Counter-evidence, bonds (TLT): Thornton & Valente (2012",
                                   "Counter-evidence, crypto (BTC): Liu & Tsyvinski (2021"),
                                  ("Goyal",)),
}


def _read() -> dict[str, list[str]]:
    if not SNAPSHOTS.exists():
        return {}
    out: dict[str, list[str]] = {}
    name = None
    for line in SNAPSHOTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== ") and line.endswith(" ==="):
            name = line[4:-4]
            out[name] = []
        elif name is not None and line:
            out[name].append(line)
    return out


def _write(verdicts: dict[str, list[str]]) -> None:
    SNAPSHOTS.parent.mkdir(parents=True, exist_ok=True)
    blocks = [f"=== {name} ===\n" + "\n".join(lines) + "\n"
              for name, lines in sorted(verdicts.items())]
    SNAPSHOTS.write_text("\n".join(blocks), encoding="utf-8")


@pytest.fixture(scope="module")
def stored(request: pytest.FixtureRequest) -> dict[str, list[str]]:
    if request.config.getoption("--update-snapshots"):
        _write({name: list(write_verdict(build())) for name, build in CASES.items()})
    return _read()


@pytest.mark.parametrize("case", sorted(CASES))
def test_verdict_matches_its_snapshot(case: str, stored: dict[str, list[str]]) -> None:
    got = list(write_verdict(CASES[case]()))
    assert case in stored, f"no snapshot for {case}: run pytest --update-snapshots"
    assert got == stored[case]


@pytest.mark.parametrize("case", sorted(CASES))
def test_verdict_words_follow_the_numbers(case: str) -> None:
    text = " ".join(write_verdict(CASES[case]()))
    must, never = MUST[case]
    for words in must:
        assert words in text, words
    for words in never:
        assert words not in text, words


def test_every_case_has_a_snapshot_and_words(stored: dict[str, list[str]]) -> None:
    assert set(stored) == set(CASES) == set(MUST)


def test_the_order_answers_the_question_first() -> None:
    lines = write_verdict(replace(CASES["idea_hindsight"](), concentration=_concentration(
        29.70, 17.75), durations=_rho(-0.07), durations_mean=iv(-0.07, -0.25, 0.11),
        notes=("Market comparison left out: set [thesis] market = ASSET.",),
        asset_classes={"equities": ("A",)}))
    heads = [line.split(" ")[0].rstrip(":") for line in lines]
    assert heads == ["Mechanism", "Duration", "Signal", "Prediction", "Regimes",
                     "Alternatives", "Hindsight", "Idea", "Concentration", "Market",
                     "Counter-evidence,"]
