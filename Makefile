# Thin wrappers: the logic lives in scripts/bootstrap.sh and `importctl stack`.

ICP_STACK_STATE_DIR ?= .stack
RUN := uv run --frozen

.PHONY: bootstrap up down status test demo bench lint clean

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

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

clean: down
	rm -rf "$(ICP_STACK_STATE_DIR)"
