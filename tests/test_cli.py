"""The command line through Typer's CliRunner: every command, every error path."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backtest.cli import app
from backtest.errors import ConfigError

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("reports")
    return runner.invoke(app, ["run", "--out", str(out)], env={"COLUMNS": "250"}), out


def test_version_and_help() -> None:
    assert invoke("--version").output.startswith("dcf-regime ")
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "compare", "report", "regimes", "data"):
        assert command in result.output


@pytest.mark.parametrize("command", ["run", "compare", "report", "regimes", "data", "data fetch",
                                     "data list", "data show", "data clear"])
def test_every_command_has_help_and_an_example(command: str) -> None:
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output, f"{command} --help has no example"


def test_run_prints_tables_and_writes_html_and_json(ran) -> None:
    result, out = ran
    assert result.exit_code == 0, result.output
    for text in ("Duration rotation", "sixty_forty", "periods_per_year=12", "execution lag",
                 "Sharpe", "1994"):
        assert text in result.output
    html = (out / "duration_rotation.html").read_text()
    payload = json.loads((out / "duration_rotation.json").read_text())
    assert payload["schema_version"] and payload["generated_at"]
    assert set(payload["strategies"]) == {"Duration rotation", "market", "long_duration",
                                          "short_duration", "sixty_forty"}
    for name in payload["strategies"]:
        assert name in html


class _Balance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_report_is_valid_html_with_escaped_names(tmp_path: Path) -> None:
    evil = '<script>alert(1)</script> & "q"'
    result = invoke("run", "--out", str(tmp_path), "--set", f"strategy.label='{evil}'")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "duration_rotation.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    parser = _Balance()
    parser.feed(html)
    assert not parser.errors and not parser.stack, (parser.errors[:3], parser.stack)
    assert html.lstrip().lower().startswith("<!doctype html>")


def test_json_option_and_set_override(tmp_path: Path) -> None:
    target = tmp_path / "x" / "result.json"
    result = invoke("run", "--out", str(tmp_path), "--json", str(target),
                    "--set", "costs.fees_bps=0", "--set", "costs.slippage_bps=0")
    assert result.exit_code == 0, result.output
    payload = json.loads(target.read_text())
    assert payload["conventions"]["fees_bps"] == 0


def test_compare_two_configs(tmp_path: Path) -> None:
    from backtest.config import default_config_path

    other = tmp_path / "cash_rotation.toml"
    text = default_config_path().read_text().replace('name = "duration_rotation"',
                                                     'name = "cash_rotation"')
    other.write_text(text.replace('risk_off_sleeve = "short"', 'risk_off_sleeve = "cash"'))
    report = tmp_path / "compare.html"
    result = invoke("compare", str(default_config_path()), str(other), "--report", str(report))
    assert result.exit_code == 0, result.output
    html = report.read_text()
    assert "duration_rotation" in html and "cash_rotation" in html


def test_regimes_lists_the_catalog() -> None:
    result = invoke("regimes")
    assert result.exit_code == 0
    assert "Volcker" in result.output and "2025" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.toml"], "config file not found: missing.toml"),
        (["run", "--set", "costs.fee_bps=1"], "unknown key fee_bps (did you mean fees_bps?); valid keys: fees_bps"),
        (["run", "--set", "data.assets.X='embedded:french/NOPE'"], "unknown column 'NOPE'"),
        (["run", "--set", "run.start='2030-01-01'"],
         "run.start (2030-01-01) is after the last bar with every input (2017-03-31; "
         "available 1948-12-31 .. 2017-03-31)"),
        (["run", "--set", "run.start=2010-01-01", "--set", "run.end=2000-01-01"],
         "run.start (2010-01-01) is after run.end (2000-01-01); swap them"),
        (["run", "--set", "run.end=1900-01-01"], "run.end (1900-01-01) is before the first bar"),
        (["run", "--set", "strategy.kind='magic'"], "unknown kind 'magic'"),
        (["data", "show", "fred:NOT_CACHED"], "backtest data fetch fred:NOT_CACHED"),
    ],
)
def test_user_errors_are_one_line_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path), *args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_malformed_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nname = ")
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 1 and "malformed TOML" in result.output


def test_debug_shows_the_traceback() -> None:
    with pytest.raises(ConfigError):
        runner.invoke(app, ["--debug", "run", "missing.toml"], catch_exceptions=False)


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["run", "--no-such-flag"]).exit_code == 2


def test_stale_data_warning_is_one_line(monkeypatch, tmp_path: Path) -> None:
    import warnings

    import backtest
    from backtest.errors import StaleDataWarning

    real = backtest.run

    def noisy(*args, **kwargs):
        warnings.warn("fred:DGS10: fetch failed; using the cached copy from 2026-01-01",
                      StaleDataWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(backtest, "run", noisy)
    result = runner.invoke(app, ["run", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "Warning: fred:DGS10: fetch failed; using the cached copy" in result.output
    assert "warnings.warn" not in result.output


def _variant(tmp_path: Path, name: str, replace: tuple[str, str] | None = None) -> Path:
    from backtest.config import default_config_path

    text = default_config_path().read_text().replace('name = "duration_rotation"',
                                                     f'name = "{name}"')
    if replace is not None:
        text = text.replace(*replace)
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_run_no_html_writes_only_the_json(tmp_path: Path) -> None:
    result = invoke("run", "--out", str(tmp_path), "--no-html")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duration_rotation.json"]


def test_report_from_saved_json_equals_the_report_written_by_run(ran, tmp_path: Path) -> None:
    _, out = ran
    target = tmp_path / "again.html"
    result = invoke("report", str(out / "duration_rotation.json"), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text() == (out / "duration_rotation.html").read_text()
    assert f"wrote {target}" in result.output


def test_compare_json_dedup_warnings_and_report_round_trip(tmp_path: Path) -> None:
    a = _variant(tmp_path, "short_variant_with_a_rather_long_name")
    b = _variant(tmp_path, "cash_variant_with_a_rather_long_name",
                 ('risk_off_sleeve = "short"', 'risk_off_sleeve = "cash"'))
    html, doc = tmp_path / "c.html", tmp_path / "c.json"
    result = runner.invoke(app, ["compare", str(a), str(b), "--report", str(html), "--json",
                                 str(doc)], env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    payload = json.loads(doc.read_text())
    assert payload["schema_version"] == "1.6" and len(payload["runs"]) == 2
    page = html.read_text()
    # the four benchmarks are the same series in both runs: shown once
    from backtest.report import compare_runs, read_results

    labels = [e.label for e in compare_runs(read_results([doc])).entries]
    assert labels == [f"short_variant_with_a_rather_long_name / {x}" for x in (
        "Duration rotation", "market", "long_duration", "short_duration", "sixty_forty")] + [
        "cash_variant_with_a_rather_long_name / Duration rotation"]
    assert "cash_variant_with_a_rather_long_name / market" not in page
    assert "strategy.risk_off_sleeve" in page  # what differs
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 100  # not a terminal, no COLUMNS: 100 columns
    assert "…" not in result.output  # no strategy label is cut
    assert "[1] = short_variant_with_a_rather_long_name" in result.output
    again = tmp_path / "again.html"
    assert invoke("report", str(doc), "-o", str(again)).exit_code == 0
    assert again.read_text() == page


def test_compare_warns_on_one_config_and_on_duplicates(tmp_path: Path) -> None:
    a = _variant(tmp_path, "a")
    one = runner.invoke(app, ["compare", str(a), "--no-html"])
    assert one.exit_code == 0
    assert "Warning: compare: compare got one config: nothing to compare it with" in one.output
    twice = runner.invoke(app, ["compare", str(a), str(a), "--no-html"])
    assert twice.exit_code == 0
    warnings = [line for line in twice.output.splitlines() if line.startswith("Warning")]
    assert warnings == ["Warning: compare: runs a and a (2) have the same effective config and "
                        "data: their results are identical"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"),
    ("{not json", "not JSON"),
    ('{"schema_version": "1.0"}', "schema 1.0 cannot be reported"),
    ('{"schema_version": "1.1", "run": {}}', "missing keys"),
    ("[1, 2]", "not a dcf-regime result"),
])
def test_report_bad_files_are_one_line_errors(tmp_path: Path, content: str | None,
                                              message: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["report", str(path), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_terminal_tables_use_the_width_and_keep_one_regime_per_line() -> None:
    wide = runner.invoke(app, ["run", "--no-html", "--out", "/tmp"], env={"COLUMNS": "160"})
    narrow = runner.invoke(app, ["run", "--no-html", "--out", "/tmp"], env={"COLUMNS": "100"})
    assert max(map(len, wide.output.splitlines())) > 100
    assert max(map(len, narrow.output.splitlines())) <= 100
    for output in (wide.output, narrow.output):
        assert "Duration rotation" in output and "Duration rota…" not in output
        rows = [line for line in output.splitlines() if "1951-03..1953-06" in line]
        # the whole regime on one line; timing: risk-off since 1950-08-31, 186 days before
        assert len(rows) == 1 and "-186d 100%" in rows[0]


def test_a_foreign_warning_is_shown_once_and_the_command_ends() -> None:
    # regression: the boundary used to re-show foreign warnings with warnings.showwarning
    # inside catch_warnings(record=True), appending to the list it iterated: a hang
    import warnings

    import typer

    from backtest.cli import _ErrorBoundary

    demo = typer.Typer(cls=_ErrorBoundary)

    @demo.command()
    def warn() -> None:
        warnings.warn("a numpy-style warning", RuntimeWarning, stacklevel=1)

    @demo.command()
    def other() -> None:  # two commands make a group, as in the real app
        pass

    result = CliRunner().invoke(demo, ["warn"])
    assert result.exit_code == 0
    assert result.output.count("a numpy-style warning") == 1
    assert "RuntimeWarning" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--set", "strategy.enter", "0.5"],
         "Error: --set 'strategy.enter' has no value; did you mean --set strategy.enter=0.5?"),
        (["compare", "strategies/duration_rotation.toml", "--set", "strategy.enter", "0.5"],
         "Error: --set 'strategy.enter' has no value; did you mean --set strategy.enter=0.5?"),
        (["run", "strategies/duration_rotation.toml", "--set", "strategy.enter"],
         "Error: --set 'strategy.enter' has no value; write it as --set section.key=value"),
    ],
)
def test_a_set_without_equals_says_what_was_meant(monkeypatch, args, message) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # the repository: strategies/*.toml
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.strip() == message


def test_run_without_a_config_prefers_the_working_directory_copy(monkeypatch, tmp_path) -> None:
    from backtest.config import default_config_path

    monkeypatch.chdir(tmp_path)
    packaged = runner.invoke(app, ["run", "--out", "r1"], env={"COLUMNS": "250"})
    assert packaged.exit_code == 0, packaged.output
    assert f"config: {default_config_path()} (the packaged default;" in packaged.output
    assert "fees 10bp + slippage" in " ".join(packaged.output.split())
    (tmp_path / "strategies").mkdir()
    edited = default_config_path().read_text().replace("fees_bps = 10.0", "fees_bps = 99.0")
    (tmp_path / "strategies" / "duration_rotation.toml").write_text(edited)
    local = runner.invoke(app, ["run", "--out", "r2"], env={"COLUMNS": "250"})
    assert local.exit_code == 0, local.output
    assert "config: ./strategies/duration_rotation.toml (found in the working directory)" in (
        local.output)
    assert "fees 99bp + slippage" in " ".join(local.output.split())  # the user's edited copy is used, not ignored
    broken = runner.invoke(app, ["run", "--set", "costs.fee_bps=1"])
    assert broken.exit_code == 1
    assert broken.output.strip() == (
        "Error: costs: unknown key fee_bps (did you mean fees_bps?); valid keys: fees_bps, slippage_bps (config: "
        "./strategies/duration_rotation.toml (found in the working directory))")
