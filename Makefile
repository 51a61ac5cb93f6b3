# QuickCare front door. `make run` serves the API; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/quickcare_ci

# The first Python >= 3.12 on this machine (Django 6 needs it): python3.13, python3.12, python3, then pyenv's.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v "$$c"; break; fi; done)

.PHONY: help run worker serve serve-proxy test test-pg test-notifications lint check format seed fuzz venv
help:
	@echo "make run      serve the API on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set)"
	@echo "make worker   the background worker of TASKS_BACKEND and the notification sweep"
	@echo "make serve    production: gunicorn (gunicorn.conf.py), DEBUG off, static files by WhiteNoise"
	@echo "make serve-proxy  nginx (deploy/nginx.conf) on PORT in front of gunicorn on UPSTREAM_PORT"
	@echo "make test     run the whole test suite"
	@echo "make test-pg  run the suite on PostgreSQL ($(PG_TEST_URL))"
	@echo "make fuzz     schemathesis against a live server, as patient, doctor and owner"
	@echo "make lint     ruff (lint and format check) and makemigrations --check"
	@echo "make check    lint, then the whole test suite"
	@echo "make format   ruff format and the safe ruff fixes"
	@echo "make seed     migrate and load the demo data (seed_demo)"

$(VENV)/.created:
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "QuickCare needs Python >= 3.12 (Django 6); install python3.13 or set PYTHON=/path/to/python3.13" >&2; \
		exit 1; fi
	"$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.created
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

.env:
	cp .env.example .env

# The dev server and the background worker (TASKS_BACKEND, the database queue by default) run together and stop
# together.
run: $(VENV)/.runtime .env
	$(PY) manage.py migrate --noinput
	trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py run_worker & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT) & \
	wait -n

# A worker alone (production, or scaled out with TASKS_BACKEND=rq): start as many as needed beside the servers.
worker: $(VENV)/.runtime .env
	$(PY) manage.py run_worker

# Tests need no .env: a throwaway signing key is supplied when none is set.
TEST_ENV := SECRET_KEY="$${SECRET_KEY:-test-only-insecure-secret-key-0123456789abcdefghij}"

# DEBUG is off for every step, so the system checks (a public SECRET_KEY, MASTER_OTP) stop it before it serves.
serve: export DEBUG = False
serve: $(VENV)/.runtime .env
	$(PY) manage.py check --deploy --fail-level ERROR
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(VENV)/bin/gunicorn QuickCare.wsgi:application -c gunicorn.conf.py

# nginx in front of gunicorn, as in production (deploy/nginx.conf): both run in the foreground and stop together.
UPSTREAM_PORT ?= 8001
RUN_DIR := $(CURDIR)/.run/nginx
serve-proxy: export DEBUG = False
serve-proxy: export DOCUMENTS_ACCEL_REDIRECT_PREFIX ?= /_protected_documents/
serve-proxy: export TRUSTED_PROXY_COUNT ?= 1
serve-proxy: $(VENV)/.runtime .env
	@command -v nginx >/dev/null || { echo "make serve-proxy needs nginx (apt-get install nginx-light)" >&2; exit 1; }
	$(PY) manage.py check --deploy --fail-level ERROR
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	mkdir -p $(RUN_DIR)
	LISTEN=127.0.0.1:$(PORT) UPSTREAM=127.0.0.1:$(UPSTREAM_PORT) RUN_DIR=$(RUN_DIR) $(PY) deploy/render_nginx.py > $(RUN_DIR)/nginx.conf
	trap 'kill 0' EXIT INT TERM; \
	PORT=$(UPSTREAM_PORT) $(VENV)/bin/gunicorn QuickCare.wsgi:application -c gunicorn.conf.py & \
	nginx -c $(RUN_DIR)/nginx.conf -p $(RUN_DIR) -g 'daemon off;' & \
	wait

test: $(VENV)/.dev
	$(TEST_ENV) $(PY) -m pytest -q

test-pg: $(VENV)/.dev
	$(TEST_ENV) DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q

# The tests of everything that sends (the pipeline, and the services that trigger it): CI runs them once more with
# TASKS_BACKEND=rq.
test-notifications: $(VENV)/.dev
	$(TEST_ENV) $(PY) -m pytest -q notifications tests/test_opd_day.py tests/test_staff_onboarding.py

fuzz: $(VENV)/.dev
	$(TEST_ENV) $(PY) -m pytest -q -m fuzz

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

check: lint test

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

seed: $(VENV)/.runtime .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
