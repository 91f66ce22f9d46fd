# KreditaX: the commands a person uses. `make help` lists them.
SHELL := /bin/bash
# The first Python 3.12+ that runs: python3.13, python3.12, python3, then an installed pyenv
# version (pyenv's shims exist for versions that are installed but not selected).
PYTHON_BOOT ?= $(shell for p in python3.13 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12)) or print(sys.executable)' 2>/dev/null \
	&& exit 0; done; \
	for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]' | sort -rV); do \
	echo "$$(pyenv root)/versions/$$v/bin/python3"; exit 0; done; echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
MANAGE := $(PY) manage.py
VAR := var
DEMO_ROWS ?= 30000
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs on the embedded defaults: SQLite, Celery eager, no external services.
DEMO_ENV := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND \
	DJANGO_SETTINGS_MODULE=kreditax.settings.base KREDITAX_VAR_DIR=$(CURDIR)/$(VAR)

.PHONY: help install install-dev demo run worker beat test lint format bench bench-services clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON_BOOT) -c 'import sys; sys.exit(sys.version_info < (3, 12) and f"KreditaX needs Python 3.12 or newer; $(PYTHON_BOOT) is {sys.version.split()[0]}. See README.md (The two commands)." or 0)'
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed ## Create .venv and install the runtime requirements

install-dev: $(VENV)/.installed-dev ## Install runtime and development requirements

demo: install ## Install, migrate, generate data, train a champion, create demo users and a key, serve
	@mkdir -p $(VAR)
	$(DEMO_ENV) bash scripts/demo.sh $(DEMO_ROWS) $(HOST) $(PORT)

run: install ## Serve on the current configuration with gunicorn (behind nginx: deploy/nginx/kreditax.conf)
	$(PY) -m gunicorn kreditax.wsgi:application --config kreditax/gunicorn.conf.py

worker: install ## Run a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A kreditax worker --loglevel=INFO --concurrency=1

beat: install ## Run Celery beat (needs REDIS_URL)
	$(VENV)/bin/celery -A kreditax beat --loglevel=INFO

test: install-dev ## Install what the tests need and run the whole suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev ## ruff, ruff format --check, mypy --strict, the import contracts (layers), makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy credit_ml kreditax registry audit scoring training review monitoring policy portfolio tests
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=kreditax.settings.test $(MANAGE) makemigrations --check --dry-run

format: install-dev ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install-dev ## Run the benchmarks that need no services (see benchmarks/README.md)
	$(PY) benchmarks/bench_generate.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_treeshap.py --rows 10000 --repeats 5

bench-services: install-dev ## Scoring (PostgreSQL + wrk), admin and monitoring (PostgreSQL), reliability (its own PostgreSQL)
	$(PY) benchmarks/bench_scoring.py
	$(PY) benchmarks/bench_admin.py
	$(PY) benchmarks/bench_reliability.py --phases load,pg-outage,kill-worker
	$(PY) benchmarks/bench_monitoring.py

clean: ## Remove the demo's database, data and models (keeps .venv)
	rm -rf $(VAR) staticfiles
