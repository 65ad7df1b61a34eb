# AWS SAM targets, included by the root Makefile (which defines PYTHON, VENV, BIN, STAMP).
#   make build [ENV=prod]    sam build, no Docker; prints the layer's size
#   make validate            sam validate --lint (cfn-lint)
#   make deploy [ENV=prod]   build, then sam deploy with samconfig.toml's [ENV] settings
#   make invoke              sam local invoke IngestFunction against moto (needs Docker)
#   make invoke FUNCTION=WorkerFunction   the queue worker, with events/sqs-feeds.json
#   make invoke-local        sam build for this machine, then run the built IngestFunction (layer
#                            and function first on sys.path, then the SDK) in a clean interpreter
#                            against moto, no Docker (FUNCTION=WorkerFunction or SiteFunction,
#                            MOTO_ENDPOINT=...)
#   make invoke-local-check  the same on an x86_64 build, end to end on loopback feeds (CI)
#   make moto-server         moto on 127.0.0.1:5000 with env.json's bucket, table and queues
#                            (the bench's server: no leak per transaction, memory capped)

SAM_VENV ?= .venv-sam
SAM_BIN := $(SAM_VENV)/bin
SAM := $(SAM_BIN)/sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
# Telemetry off; the SAM venv first on PATH, so the layer Makefile's `python3 -m pip` has pip.
SAM_RUN := SAM_CLI_TELEMETRY=0 PATH="$(abspath $(SAM_BIN)):$$PATH" $(SAM)

ENV ?= default
# The layer's wheels must match the Runtime and Architecture the stack deploys with, and SAM
# does not tell a makefile build either: read them from samconfig.toml's [ENV] (else the
# template's defaults). `make build ARCH=x86_64` builds another one for a try (sam local invoke
# on an x86 machine); `make deploy` refuses a layer that does not match samconfig.toml.
SAMCONFIG_PARAM = PYTHONPATH=. $(SAM_BIN)/python mk/samconfig_param.py $(ENV)
# Only a command-line value overrides them (an ARCH in the environment, e.g. amd64, does not).
ifneq ($(origin RUNTIME),command line)
RUNTIME = $(shell $(SAMCONFIG_PARAM) Runtime)
endif
ifneq ($(origin ARCH),command line)
ARCH = $(shell $(SAMCONFIG_PARAM) Architecture)
endif
DEPLOY_TARGET = $(shell $(SAMCONFIG_PARAM) Runtime) $(shell $(SAMCONFIG_PARAM) Architecture)
LAYER_BUILD_DIR := .aws-sam/build/NewswireLayer
LAYER_TARGET := .aws-sam/layer-target

# `make invoke` runs one function with its sample event.
FUNCTION ?= IngestFunction
EVENT_IngestFunction := events/scheduled.json
EVENT_WorkerFunction := events/sqs-feeds.json
EVENT_SiteFunction := events/sqs-site.json

MOTO_HOST ?= 127.0.0.1
MOTO_PORT ?= 5000
# The server's address space: a runaway request fails instead of swapping the machine.
MOTO_MAX_MB ?= 4096

# invoke-local runs the build in this machine's Python: the layer's compiled wheels must be for
# it, whatever samconfig.toml deploys.
LOCAL_RUNTIME = python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
LOCAL_ARCH = $(patsubst aarch64,arm64,$(shell uname -m))
MOTO_ENDPOINT ?=

.PHONY: build validate deploy invoke invoke-local invoke-local-check moto-server

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_BIN)/python -m pip install --quiet --upgrade pip
	$(SAM_BIN)/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	@touch $@

build: $(SAM_STAMP)
	@runtime="$(RUNTIME)"; arch="$(ARCH)"; test -n "$$runtime" && test -n "$$arch" || exit 1; \
	echo "sam build: $$runtime $$arch (samconfig.toml [$(ENV)])"; \
	LAYER_RUNTIME=$$runtime LAYER_ARCH=$$arch $(SAM_RUN) build --config-env $(ENV) \
		--parameter-overrides Runtime=$$runtime Architecture=$$arch
	@echo "$(RUNTIME) $(ARCH)" > $(LAYER_TARGET)
	@$(SAM_BIN)/python -c 'import os, sys; \
	d = sys.argv[1]; \
	n = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs); \
	print(f"NewswireLayer: {n / 1e6:.1f} MB unzipped (Lambda limit: 250 MB for function + layers)")' \
		$(LAYER_BUILD_DIR)

validate: $(SAM_STAMP)
	$(SAM_RUN) validate --lint --config-env $(ENV)

deploy: build
	@test "$$(cat $(LAYER_TARGET))" = "$(DEPLOY_TARGET)" || { echo "the layer is built for" \
		"$$(cat $(LAYER_TARGET)) but samconfig.toml [$(ENV)] deploys $(DEPLOY_TARGET):" \
		"change parameter_overrides there, not RUNTIME/ARCH" >&2; exit 1; }
	$(SAM_RUN) deploy --config-env $(ENV)

# sam local invoke runs the function in a Lambda container image: Docker is required, plus QEMU
# (binfmt) to run arm64 on an x86 machine, or build for the host instead: make invoke ARCH=x86_64.
# The container reaches moto on the host through host.docker.internal (mapped to the Docker
# host gateway on Linux; built into Docker Desktop).
invoke: build
	@command -v docker >/dev/null 2>&1 || { echo "sam local invoke needs Docker (docs/deploy.md: Trying the Lambda locally)" >&2; exit 1; }
	@test -n "$(EVENT_$(FUNCTION))" || { echo "FUNCTION must be IngestFunction, WorkerFunction or SiteFunction" >&2; exit 1; }
	$(SAM_RUN) local invoke $(FUNCTION) --config-env $(ENV) -e $(EVENT_$(FUNCTION)) --env-vars env.json \
		--parameter-overrides Runtime=$(RUNTIME) Architecture=$(ARCH) \
		--add-host host.docker.internal:host-gateway

# Docker-free: the built function and layer in a clean interpreter (mk/invoke_local.py), against
# MOTO_ENDPOINT (e.g. a `make moto-server`) or a moto server started for the run.
invoke-local: $(STAMP)
	$(MAKE) build ARCH=$(LOCAL_ARCH) RUNTIME=$(LOCAL_RUNTIME)
	PYTHONPATH=. $(BIN)/python mk/invoke_local.py --function $(FUNCTION) \
		$(if $(MOTO_ENDPOINT),--endpoint $(MOTO_ENDPOINT))

# The built artifacts' test (.ci/run): an x86_64 layer for this Python, run end to end on
# loopback, so a missing or wrong-platform wheel fails here and not on the first deploy.
invoke-local-check: $(STAMP)
	$(MAKE) build ARCH=x86_64 RUNTIME=$(LOCAL_RUNTIME)
	PYTHONPATH=. $(BIN)/python mk/invoke_local.py --check

# moto in the foreground (Ctrl-C stops it); a helper creates env.json's bucket, table (from
# template.yaml) and feed queue with its dead-letter queue as soon as it answers. Docker containers on Linux cannot reach the
# host's 127.0.0.1: for `make invoke` there, listen on the Docker bridge instead, e.g.
# make moto-server MOTO_HOST=172.17.0.1
moto-server: $(STAMP)
	@PYTHONPATH=. $(BIN)/python mk/moto_seed.py http://$(MOTO_HOST):$(MOTO_PORT) &
	$(BIN)/python -m bench.motoserver --host $(MOTO_HOST) --port $(MOTO_PORT) \
		--max-memory-mb $(MOTO_MAX_MB) --until-interrupted
