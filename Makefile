# outcome-mastery: `make demo` and `make test` are the two commands a new user types.
# Each creates .venv in the project root when missing, with the project installed in it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint bench venv dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -e '.[dev]'
	touch $@

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/mastery demo --store demo/mastery.db

# The browser test drives Debian's chromium (Playwright's own browser builds cannot be fetched here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Two workers (pytest-xdist) use both cores; a module's tests stay on one worker (its module fixtures run once).
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev $(CHROMIUM)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Lint: ruff (rules and format), the import-linter layer contracts, mypy on every package.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Both streams (default, wide) at 100k and the default one at 1M, then the targets table (long: ~30 min).
# A fast look: make bench BENCH_ARGS=--quick (30k, both streams).
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py $(or $(BENCH_ARGS),--also 1000000 --postgres)

clean:
	rm -rf $(VENV) demo build *.egg-info .pytest_cache
