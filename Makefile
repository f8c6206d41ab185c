PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export MACHTIGEN_DATABASE_URL ?= sqlite:///./var/machtigen.db

.PHONY: install run test lint format check-migrations clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## run: venv, install, migrate, demo data, serve on http://127.0.0.1:8000 with the development broker
run: export MACHTIGEN_DEV_BROKER ?= true
run: export MACHTIGEN_COOKIE_SECURE ?= false
run: install
	$(BIN)/machtigen migrate
	$(BIN)/machtigen demo-data
	$(BIN)/machtigen serve --host 127.0.0.1 --port 8000

## test: the whole suite (MACHTIGEN_TEST_DATABASE_URL picks PostgreSQL; default SQLite)
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check machtigen api tests migrations
	$(BIN)/ruff format --check machtigen api tests migrations
	$(BIN)/mypy machtigen api

format: install
	$(BIN)/ruff check --fix machtigen api tests migrations
	$(BIN)/ruff format machtigen api tests migrations

## check-migrations: the models and the migrations describe the same schema
check-migrations: install
	$(BIN)/machtigen migrate
	$(BIN)/alembic check

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
