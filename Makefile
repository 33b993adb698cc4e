# Arsenal: `make run` sets up and runs the main job; `make test` runs ruff and the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
DB ?= arsenal.duckdb
DATA ?= data/sample
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run test lint format clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced  ## create .venv with the project and its dependencies

run: setup  ## load the sample data and show the status
	$(BIN)/arsenal load $(DATA) --db $(DB)
	$(BIN)/arsenal status --db $(DB)

lint: setup  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint  ## ruff, then the whole test suite
	$(BIN)/pytest

clean:  ## remove the environments and the database
	rm -rf $(VENV) $(TOOLS) $(DB) $(DB).wal
