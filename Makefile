PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export MACHTIGEN_DATABASE_URL ?= sqlite:///./var/machtigen.db

.PHONY: install chromium run test test-browser lint format check-migrations messages wheel clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## node_modules: NL Design System CSS and tokens for the portal, axe-core for the browser tests
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

## chromium: Debian's browser for the Playwright tests, installed when missing (needs root)
chromium:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

## run: venv, install, migrate, demo data, serve on http://127.0.0.1:8000 with the development broker
run: export MACHTIGEN_DEV_BROKER ?= true
run: export MACHTIGEN_COOKIE_SECURE ?= false
run: export MACHTIGEN_ENVIRONMENT ?= development
run: install
	$(BIN)/machtigen migrate
	$(BIN)/machtigen demo-data
	@echo
	@echo "  Open http://127.0.0.1:8000/ in your browser (the demo people log in there; Ctrl+C stops)."
	@echo
	$(BIN)/machtigen serve --host 127.0.0.1 --port 8000

## test: the whole suite, browser tests included (MACHTIGEN_TEST_DATABASE_URL picks PostgreSQL; default SQLite)
test: install chromium
	$(BIN)/pytest

## test-browser: only the Playwright tests (Debian's /usr/bin/chromium); screenshots in var/screenshots
test-browser: install chromium
	$(BIN)/pytest tests/browser

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

## messages: extract the msgids used in the code and templates (babel.cfg) and update both catalogs
## (machtigen/locale/{nl,en}/LC_MESSAGES/messages.po); new ids arrive untranslated, for a translator
messages: install
	mkdir -p var
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-default-keywords --keywords _ \
		--keywords gettext:2 --keywords ngettext:2,3 --keywords lookup:2 \
		--sort-output --width 100 --output-file var/messages.pot .
	$(BIN)/python -m machtigen.i18n_messages var/messages.pot

## wheel: one wheel in dist/ carrying the portal's CSS, fonts, templates, policies, migrations
wheel: install
	$(BIN)/python -m build --wheel --outdir dist .
	rm -rf build

clean:
	rm -rf $(VENV) node_modules var dist build .pytest_cache .mypy_cache .ruff_cache
