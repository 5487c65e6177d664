# Thin wrappers: the logic lives in scripts/bootstrap.sh and `importctl stack`.

ICP_STACK_STATE_DIR ?= .stack
RUN := uv run --frozen

.PHONY: bootstrap up down status test demo bench load chaos chaos-ci gameday lint audit tf-check image clean

bootstrap:
	bash scripts/bootstrap.sh

up: bootstrap
	$(RUN) importctl stack up

# Works without a virtualenv too, so `make clean` never gets stuck.
down:
	@if [ -x .venv/bin/python ]; then $(RUN) importctl stack down; \
	else echo "No .venv: nothing to stop with importctl (run make bootstrap first)."; fi

status:
	$(RUN) importctl stack status

test: bootstrap
	$(RUN) importctl stack up --infra-only
	$(RUN) pytest

demo: bootstrap
	$(RUN) importctl stack up
	$(RUN) importctl demo

bench: bootstrap
	$(RUN) importctl stack up --infra-only
	$(RUN) python -m loadtests.bench

# Full run: ICP_LOAD_* settings or JOBS=... (see docs/load-harness.md); exits 1 when the verdict is fail.
# CHAOS=default (or a plan file) injects faults during the run (docs/load-harness.md#chaos-under-load);
# AUTOSCALE=1 starts local workers as the autoscaler asks, so the run measures the autoscaling response.
# Job starts default to 1,000/min for the run (REQ-QUEUE-4's 100/min cannot start a 1,000-job burst within REQ-SLO-1's 5 minutes).
load: bootstrap
	ICP_RATELIMIT_JOB_STARTS_PER_MINUTE=$${ICP_RATELIMIT_JOB_STARTS_PER_MINUTE:-1000} \
	$(RUN) importctl load run $(if $(JOBS),--jobs $(JOBS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(CHAOS),--chaos $(CHAOS)) $(if $(AUTOSCALE),--autoscale)

# Chaos drills break the running stack on purpose: `make chaos DRILL=redis-outage` (several: DRILL="a b").
DRILL ?= worker-sigkill
chaos: up
	$(RUN) importctl chaos run $(DRILL)

# The fast subset CI runs (short faults, small workload); fails on any broken invariant.
chaos-ci: up
	$(RUN) importctl chaos gameday --ci

# Every drill in sequence, plus a combined report of MTTR against the recovery targets (REQ-MTTR-1..7).
gameday: up
	$(RUN) importctl chaos gameday

# The OCI image (Containerfile) built with podman on a Debian base made here by
# mmdebstrap (cached), then smoke-tested against the local stack: the image's
# API and a worker complete one import (docs/packaging.md).
IMAGE ?= localhost/import-control-plane:dev
IMAGE_SUITE ?= bookworm
image: bootstrap
	bash scripts/image.sh $(IMAGE) $(IMAGE_SUITE)
	$(RUN) importctl stack up --infra-only
	$(RUN) python -m harness.image_smoke --image $(IMAGE)

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports
	$(MAKE) tf-check

# Dependency audit (scripts/audit.sh): a pinned pip-audit over the locked
# dependencies. Not part of `lint`: it needs pypi.org's advisory service. Exit
# 0 clean, 1 vulnerable or a package unaudited, 2 could not run, 3 service
# unreachable (nothing audited; said loudly, never reported as clean).
audit:
	bash scripts/audit.sh

# Terraform: formatting (terraform fmt, v1.5.7, the last MPL release, built with
# `go install`) and checkov (pinned, run by `uv tool run`). Both install once into
# git-ignored or cached places and are reused afterwards.
TF_VERSION := 1.5.7
CHECKOV_VERSION := 3.3.30
TF_BIN := $(abspath $(ICP_STACK_STATE_DIR))/tools/terraform-$(TF_VERSION)/terraform

$(TF_BIN):
	GOBIN=$(dir $(TF_BIN)) go install github.com/hashicorp/terraform@v$(TF_VERSION)

tf-check: $(TF_BIN)
	TF_CLI_CONFIG_FILE= $(TF_BIN) fmt -check -recursive -diff terraform
	uv tool run --from checkov==$(CHECKOV_VERSION) checkov -d terraform --framework terraform \
		--quiet --compact --skip-download

clean: down
	rm -rf "$(ICP_STACK_STATE_DIR)"
