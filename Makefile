# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-pg check lint types bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest

# The same tests, the PostgreSQL ones included, against a throw-away server as CI starts it
# (scripts/pg-cluster.sh; it installs PostgreSQL first when it is missing, which needs root).
# Arguments for pytest: make test-pg PYTEST_ARGS="tests/test_store.py -x"
WITH_PG = scripts/pg-cluster.sh ensure && eval "$$(scripts/pg-cluster.sh start)" && \
	trap 'scripts/pg-cluster.sh stop "$$REVIEWFLOW_PG_CLUSTER"' EXIT &&
test-pg: $(STAMP)
	@$(WITH_PG) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy cannot follow the editable install's import hook, so it reads the tree through a link that
# carries the installed name: .venv/typecheck/reviewflow -> this checkout.
types: $(STAMP)
	mkdir -p $(VENV)/typecheck && ln -sfn $(CURDIR) $(VENV)/typecheck/reviewflow
	MYPYPATH=$(VENV)/typecheck $(BIN)/mypy -p reviewflow.engine -p reviewflow.commands -m reviewflow.cli -m reviewflow.launch

check: lint types test

# Every benchmark prints each measure beside its baseline taken in the same run, the goal and the verdict.
# bench/scale.py builds 1k, 10k and 100k-case stores (the last takes a few minutes).
bench: $(STAMP)
	$(BIN)/python bench/workdays.py
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/runtime.py
	$(BIN)/python bench/scale.py
	@if scripts/pg-cluster.sh ensure; then $(WITH_PG) $(BIN)/python bench/store.py; \
	else echo "bench: PostgreSQL cannot be installed here: the store benchmark measures SQLite only"; \
	$(BIN)/python bench/store.py; fi
	$(BIN)/python bench/scenarios.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
