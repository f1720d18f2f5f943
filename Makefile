# Two commands for a newcomer: `make run` (portal with demo data) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
PORT ?= 8000
# Links in e-mails point at the server `make run` starts (override with PORTAL_BASE_URL=...).
PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
DEV_ENV = DJANGO_DEBUG=True PORTAL_BASE_URL=$(PORTAL_BASE_URL)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal

.PHONY: run test install lint format messages bench clean

$(VENV)/.installed: pyproject.toml
	@python_bin=$$(.ci/find-python) || exit 1; \
	  echo "Using $$python_bin ($$($$python_bin --version))"; \
	  test -x $(PY) || $$python_bin -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
	@mkdir -p var
	@DJANGO_DEBUG=True $(PY) manage.py compile_translations

run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Portal: http://127.0.0.1:$(PORT)/  (Passwort der Demo-Anmeldungen: Demo-Portal-2026)"
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# SQLite always; PostgreSQL too when CI=true or when it answers on 127.0.0.1:5432. The slow
# suites (browser, real Redis and worker, real Kamailio, API fuzzing) run once, on PostgreSQL,
# when it is there.
SLOW := browser or redis or kamailio or fuzz

test: install
	$(VENV)/bin/lint-imports --no-cache
	@if [ "$$CI" = "true" ] || $(PY) .ci/pg-ready "$(TEST_DATABASE_URL)"; then \
	  $(PYTEST) -q -m "not ($(SLOW))" && \
	  echo "== again on PostgreSQL, with the browser, Redis and Kamailio tests ==" && \
	  DATABASE_URL="$(TEST_DATABASE_URL)" $(PYTEST) -q; \
	else $(PYTEST) -q && echo "PostgreSQL not reachable: ran on SQLite only (CI runs both)."; fi

lint: install
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Needs gettext's xgettext (Debian package gettext); only for changing translations.
messages: install
	DJANGO_DEBUG=True $(PY) manage.py makemessages --locale en --no-obsolete --no-location --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*'
	DJANGO_DEBUG=True $(PY) manage.py compile_translations

bench: install
	$(PY) bench/wizard.py --topology production

clean:
	rm -rf $(VENV) var
