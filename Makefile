# Arsenal: `make run` sets up and runs the main job; `make test` runs ruff and the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
DB ?= arsenal.duckdb
DATA ?= data/sample
OUT ?= out/reports
# the PDF needs Chromium; without it the nightly report is HTML only
NO_PDF := $(if $(shell command -v chromium),,--no-pdf)
USERS ?= arsenal-users.toml
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run nightly serve users test lint format clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --extra dev --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced  ## create .venv with the project and its dependencies

run: setup  ## load the sample data, forecast, plan, project, write the report, serve the dashboard
	$(BIN)/arsenal load $(DATA) --db $(DB)
	$(BIN)/arsenal status --db $(DB)
	$(BIN)/arsenal run --db $(DB)
	$(BIN)/arsenal nightly --db $(DB) --out $(OUT) --scenarios scenarios $(NO_PDF)
	@$(MAKE) --no-print-directory serve

nightly: setup  ## baseline and every scenario; report in $(OUT)/YYYY-MM-DD
	$(BIN)/arsenal nightly --db $(DB) --out $(OUT) --scenarios scenarios $(NO_PDF)

serve: setup $(USERS)  ## serve the dashboard on 127.0.0.1:8050
	$(BIN)/arsenal serve --db $(DB) --users $(USERS)

users: $(USERS)  ## create the users file with a 'planner' login if there is none

# A first login for a new installation: a random password, shown once, stored hashed.
$(USERS): | setup
	@pw=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	echo "$$pw" | $(BIN)/arsenal users add planner --role planner --users $(USERS) --password-stdin && \
	echo "Dashboard login: user 'planner', password '$$pw' (stored hashed in $(USERS);" \
	     "add more with: $(BIN)/arsenal users add NAME --role viewer|planner|liaison)"

lint: setup  ## ruff check, format check, and the layers contract (imports only downward)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint  ## ruff, then the whole test suite (one worker per core, each test file on one worker)
	$(BIN)/pytest -n auto --dist loadfile

clean:  ## remove the environments and the database
	rm -rf $(VENV) $(TOOLS) $(DB) $(DB).wal $(DB).state.sqlite* out $(USERS)
