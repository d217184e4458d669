# The README's commands. Each target sets up what it needs (a .venv here).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test browser test-unit test-integration lint format typecheck schemas bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## run: the whole embedded stack with simulated traffic (Ctrl-C stops it)
run: $(STAMP)
	$(BIN)/drtroy-metrics up --simulate

## browser: Debian's Chromium for the browser tests (needs root for apt-get)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "the browser tests need Chromium: sudo apt-get install -y chromium"; exit 1; fi; }

## test: every test (unit, integration against real Tansu + chDB, browser)
test: $(STAMP) browser
	$(BIN)/python -m pytest -ra

test-unit: $(STAMP)
	$(BIN)/python -m pytest -ra tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -ra -m integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

## schemas: regenerate the JSON Schema files from the pydantic models
schemas: $(STAMP)
	$(BIN)/python -m drtroy_schemas.generate

## bench: pipeline throughput beside bare aiokafka / clickhouse-connect loops
bench: $(STAMP)
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
