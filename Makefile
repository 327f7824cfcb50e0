# Two commands: `make run` (terminal chat with demo data) and `make test` (lint, types, tests).
# `make bench` runs the benchmarks (a few minutes; see BENCHMARKS.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest postgresql browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/posukk chat

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs twice, on SQLite and on a throwaway PostgreSQL server the run starts itself
# (tests/postgres.py), side by side: one core each. Each run's output is kept and shown.
pytest: $(STAMP) postgresql browser
	@mkdir -p .pytest-logs
	@($(BIN)/pytest > .pytest-logs/sqlite.log 2>&1; echo $$? > .pytest-logs/sqlite.rc) & \
	(POSUKK_TEST_DATABASE=postgresql $(BIN)/pytest -p no:cacheprovider \
	  > .pytest-logs/postgresql.log 2>&1; echo $$? > .pytest-logs/postgresql.rc); wait
	@for db in sqlite postgresql; do echo "== pytest on $$db"; tail -n 40 .pytest-logs/$$db.log; done
	@test "$$(cat .pytest-logs/sqlite.rc)" = 0 && test "$$(cat .pytest-logs/postgresql.rc)" = 0

# Debian's PostgreSQL server, for the tests, unless it is there already.
postgresql:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
	{ SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

# The dashboard's browser tests need Debian's chromium and chromium-driver: installed when
# missing, or the run stops here saying why.
browser:
	.ci/chromium

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .pytest-logs test-artifacts
