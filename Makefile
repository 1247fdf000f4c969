PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint fmt clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: install
	$(BIN)/socle up

test: install
	$(BIN)/ruff check services conformance tests bench
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check services conformance tests bench
	$(BIN)/ruff format --check services conformance tests bench

fmt: install
	$(BIN)/ruff check --fix services conformance tests bench
	$(BIN)/ruff format services conformance tests bench

clean:
	rm -rf $(VENV) .socle .pytest_cache
