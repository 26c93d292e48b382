# Everything runs from the project's venv; `make setup` builds it (idempotent, offline after the first run).
PYTHON ?= $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export U2NET_HOME := $(CURDIR)/models
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: api-shapes samples setup unzip npm-client bubblewrap image-check dockerfile test lint unit integration e2e bench demo mcp-demo serve token apikey invoke clean swagger-check web web-dev web-deploy chromium

setup: $(STAMP) models/u2netp.onnx unzip npm-client web

# Info-ZIP unzip: the tests check every batch ZIP with `unzip -t` as well as Python's zipfile.
unzip:
	@command -v unzip >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q unzip; }

# The published npm remove.bg client the e2e tests drive (tests/e2e/removebg_npm, pinned by its lock).
NPM_CLIENT := tests/e2e/removebg_npm
npm-client: $(NPM_CLIENT)/node_modules/.package-lock.json

$(NPM_CLIENT)/node_modules/.package-lock.json: $(NPM_CLIENT)/package-lock.json
	@command -v npm >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q nodejs npm; }
	npm ci --prefix $(NPM_CLIENT) --no-audit --no-fund

# Debian's bubblewrap and strace: `make image-check` runs the inference image's file tree read-only
# under bwrap and traces every write.
bubblewrap:
	@command -v bwrap >/dev/null && command -v strace >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q bubblewrap strace; }

$(STAMP): requirements-dev.txt layers/core/requirements.txt functions/inference/requirements.txt functions/mcp/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	touch $@

models/u2netp.onnx:
	PIP=$(BIN)/pip scripts/fetch_u2netp.sh models

# checkov in a venv of its own: its pins (boto3 among them) conflict with the project's.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

# checkov: every check passes or is skipped in its resource's Metadata, with the reason.
lint: setup $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint --include-checks I3011 -- template.yaml  # I3011: stateful resources say if they outlive the stack
	$(BIN)/hadolint --failure-threshold warning functions/inference/Dockerfile
	$(CHECKOV) -f template.yaml --quiet --compact --skip-download
	$(BIN)/bandit -ll -q -r . -x ./$(VENV),./$(CHECKOV_VENV),./web/node_modules,./tests/e2e/removebg_npm/node_modules

# The browser tests (tests/e2e/test_webapp.py) fail rather than skip here when chromium is missing.
test: lint chromium image-check
	BGR_REQUIRE_BROWSER=1 $(BIN)/pytest -q

# The inference image (functions/inference/image.toml): its Dockerfile rendered from the
# description, and its file tree run read-only under bubblewrap (docs/inference.md).
dockerfile: setup
	$(BIN)/python scripts/inference_image.py dockerfile

image-check: setup bubblewrap
	$(BIN)/python scripts/inference_image.py dockerfile --check
	$(BIN)/python scripts/image_check.py

# The pure, fast tier: no AWS, no model; the tests marked slow (real inference, matting, the 4 GiB
# ZIP) run in `make test`. The pytest plugins of the e2e tools are not needed here (~5 s to load).
unit: setup
	$(BIN)/pytest -q -m "not slow" -p no:schemathesis -p no:hypothesispytest -p no:anyio tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

e2e: setup
	$(BIN)/pytest -q tests/e2e

# BATCH_N: photos in the batch benchmark (bench/batch.py), 100 by default.
BATCH_N ?= 100
bench: setup
	BENCH_BATCH_N=$(BATCH_N) $(BIN)/python -m bench

# The local runtime (docs/local-runtime.md): moto built from template.yaml, the real handlers.
API_PORT ?= 3000
S3_PORT ?= 5000

demo: setup
	$(BIN)/python -m bgr_local demo

# An agent's MCP session (the SDK's client against a local runtime), printed as a transcript.
mcp-demo: setup
	$(BIN)/python -m bgr_local mcp-demo

# The tour's sample photos (astronaut.jpg, chelsea.jpg, coffee.jpg from scikit-image) in out/photos.
samples: setup
	$(BIN)/python -m bgr_local samples --out out/photos

# STATE_DIR=.local/state: balances, jobs, batches and images survive a restart of serve.
serve: setup
	$(BIN)/python -m bgr_local serve --api-port $(API_PORT) --s3-port $(S3_PORT) $(if $(STATE_DIR),--state-dir $(STATE_DIR))

token: setup
	@$(BIN)/python -m bgr_local token $(USER) $(if $(ADMIN),--admin)

# An X-Api-Key for USER, created in the running `make serve` (same S3_PORT).
apikey: setup
	@$(BIN)/python -m bgr_local apikey $(USER) --endpoint-url http://127.0.0.1:$(S3_PORT)

# Docker-free `sam local invoke`: FN=<logical id> EVENT=<file> [ENDPOINT=<a running serve's S3 URL>]
invoke: setup
	$(BIN)/python -m bgr_local invoke $(FN) $(EVENT) $(if $(ENDPOINT),--endpoint-url $(ENDPOINT))

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) out .pytest_cache .ruff_cache .numba_cache web/node_modules web/dist

# The web app's types and the web app's and CLI's status sets, generated from the API's own
# OpenAPI document (written to docs/openapi.json); a test fails when they drift from it.
api-shapes: setup
	$(BIN)/python scripts/api_shapes.py

# Swagger UI in a real headless browser (Debian's chromium): every template route must show.
swagger-check: setup chromium
	$(BIN)/python scripts/check_swagger.py

# Debian's chromium: what swagger-check and the web app's browser tests drive (Playwright's own
# browser downloads are not used).
chromium:
	@command -v chromium >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q chromium; }

# The web app (web/, docs/web-app.md): `npm ci` from the lockfile, then the production build
# into web/dist, which `make serve` serves at its API's origin.
WEB_DEPS := web/node_modules/.package-lock.json
WEB_SOURCES := web/index.html web/vite.config.ts web/tsconfig.json $(shell find web/src web/public -type f 2>/dev/null)

web: web/dist/index.html

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build

# The app to a deployed stack (after `sam deploy`): web/dist and its config.json into WebBucket.
STACK ?= background-remover-pro
REGION ?= ap-southeast-3
web-deploy: setup
	$(BIN)/python scripts/deploy_web.py --stack $(STACK) --region $(REGION)

# Live reload while working on the app: http://127.0.0.1:5173 (WEB_PORT), with /api and the
# local sign-in proxied to a `make serve` running on API_PORT.
WEB_PORT ?= 5173
web-dev: $(WEB_DEPS)
	cd web && BGR_API=http://127.0.0.1:$(API_PORT) WEB_PORT=$(WEB_PORT) npx vite
