# newswire: every target creates what it needs; nothing is installed by hand.
#   make run                 ingest feeds.yaml into ./site (embedded backend: directory + SQLite)
#   make run FEEDS="a b"     ingest other feeds (URLs or local files) instead
#   make list                the latest articles in the local index
#   make test                lint, type-check and run every test
#   make bench               the benchmark; figures go to bench/README.md
#   make bench-fanout        issue 5's fan-out load test; figures go to bench/fanout.md
#   make build / deploy / invoke   SAM (see mk/sam.mk)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SITE_DIR ?= site
FEEDS ?=

.PHONY: help run list test lint typecheck unit bench bench-fanout clean
.DEFAULT_GOAL := help

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/newswire run --site-dir $(SITE_DIR) $(FEEDS)

list: $(STAMP)
	$(BIN)/newswire list --site-dir $(SITE_DIR)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

bench-fanout: $(STAMP)
	$(BIN)/python -m bench.fanout_report

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .aws-sam build

-include mk/*.mk
