# The two commands of the README: `make demo` (the main job) and `make test`.
# Each does its own set-up, idempotently: venv, dependencies, Neo4j.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kgrag-installed
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export LITELLM_LOCAL_MODEL_COST_MAP ?= True

.PHONY: setup demo test lint neo4j-start neo4j-stop bench evaluation clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/python scripts/neo4j-local start
	$(BIN)/kgrag demo

test: setup
	scripts/install-browser-deps
	VENV=$(VENV) scripts/install-local-llm
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check service graph ontology tests bench
	$(BIN)/mypy

neo4j-start: setup
	$(BIN)/python scripts/neo4j-local start

neo4j-stop:
	$(PYTHON) scripts/neo4j-local stop
	$(PYTHON) scripts/neo4j-local stop --instance test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

evaluation: setup
	$(BIN)/python -m bench.evaluate

bench: setup
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.retrieve
