# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, load demo data into an empty store, serve on http://127.0.0.1:8000 (SQLite)
run: $(STAMP)
	JOINTINSPECT_ENV=$${JOINTINSPECT_ENV:-demo} $(BIN)/jointinspect demo
	JOINTINSPECT_ENV=$${JOINTINSPECT_ENV:-demo} $(BIN)/jointinspect serve

## make test: install, run the whole suite on SQLite and PostgreSQL
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/commands.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
