# Gerbang: `make run` starts the whole local stack, `make test` runs the suite.
# Everything downloaded or generated lives in .cache/ (git-ignored).

PYTHON ?= python3
CACHE := .cache
VENV := $(CACHE)/venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WIDGETS := extension-service/widgets
WIDGETS_STAMP := $(WIDGETS)/node_modules/.installed

.PHONY: run test test-unit test-rest test-cluster lint fuzz bench bench-scale screenshots venv system-deps clean

# PROFILE=production runs Keycloak as production does: built once for PostgreSQL, started with
# `start --optimized` on a PostgreSQL kept in .cache/run-production/ (the sidecar on it too);
# KEYCLOAK_NODES=2 makes that a two-node cluster. The default is dev mode on embedded H2.
PROFILE ?= dev
KEYCLOAK_NODES ?= 1

run: $(STAMP)
	$(PY) -m gerbang_ops.stack --profile $(PROFILE) --keycloak-nodes $(KEYCLOAK_NODES)

test: lint test-unit test-rest test-cluster

# Unit tests are independent of each other: one worker per CPU.
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -n auto $(PYTEST_ARGS)

# Integration and browser tests share one Keycloak, mail sink and sidecar per session.
test-rest: $(STAMP)
	$(PY) -m pytest tests/integration tests/e2e $(PYTEST_ARGS)

# Keycloak in production mode as a two-node cluster on PostgreSQL (issue 11), apart from the
# dev-mode servers above: its own pytest run, so their processes are gone when it starts.
test-cluster: $(STAMP)
	$(PY) -m pytest tests/cluster $(PYTEST_ARGS)

# ruff, and the import contracts of pyproject.toml (imports run one way, docs/architecture.md).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

# The unit tests with twenty times the property examples `make test` draws (not part of it).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/unit -n auto $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

# The sidecar's lookups with 10,000 and then 100,000 users in a realm (issue 11), on Keycloak in
# production mode on PostgreSQL: about 18 minutes, most of it the searches at 100,000.
# BENCH_SCALE_ARGS="--users 10000" stops after the first size.
bench-scale: $(STAMP)
	$(PY) -m bench.scale $(BENCH_SCALE_ARGS)

# Refresh the committed screenshots of the happy paths (docs/screenshots/).
screenshots: $(STAMP)
	SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest tests/e2e -q

venv: $(STAMP)

# system-deps is order-only: it runs first every time, without forcing a reinstall.
$(STAMP): pyproject.toml extension-service/pyproject.toml scripts/pyproject.toml constraints.txt $(WIDGETS_STAMP) | system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ./extension-service -e ./scripts -e .
	touch $@

# The browser widgets the sidecar serves (the captcha), exactly as package-lock.json pins them.
$(WIDGETS_STAMP): $(WIDGETS)/package.json $(WIDGETS)/package-lock.json
	npm ci --prefix $(WIDGETS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the suite and the local stack use: Chromium for browser tests,
# PostgreSQL for the storage tests on a second database, Maven and a JDK for Keycloak.
# Runs with the system's Python (standard library only): it comes before the virtualenv.
system-deps:
	@$(PYTHON) scripts/gerbang_ops/system_deps.py

clean:
	rm -rf $(CACHE) $(WIDGETS)/node_modules
