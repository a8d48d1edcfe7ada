# Canvass developer commands. `make run` and `make test` work on a fresh machine with
# Python 3.11+ and make: they create .venv and install the pinned requirements themselves.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test stack reset bench format screenshots clean

# The marker is written last, so an interrupted set-up starts again from a clean venv.
$(VENV)/.created:
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.requirements: requirements.txt | $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.requirements

run: $(VENV)/.requirements
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo_data
	@echo "Canvass is running at http://127.0.0.1:$(PORT)/ (Ctrl+C stops it)"
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Node tools the tests run (the HTTP Observatory scanner). Install scripts stay off: they
# would download data this project neither needs nor can reach.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "npm not found: the tests that need Node tools will skip (fail under CI=true)"; fi

test: $(VENV)/.requirements-dev node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest
	@echo "--- the whole suite again on PostgreSQL (a throwaway cluster) ---"
	$(PY) -m scripts.stack postgres -- $(VENV)/bin/pytest -p no:cacheprovider \
		--ignore=tests/stack --ignore=tests/tools

# Performance benchmark on the production-like stack (about five minutes; needs wrk).
# `make bench WRITE=1` records the table in docs/benchmarks.md.
bench: $(VENV)/.requirements-dev
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) -m loadtest.bench $(if $(WRITE),--write)

# Local database from nothing: migrate, 'admin'/'admin', generated test data.
reset: $(VENV)/.requirements-dev
	DEBUG=$${DEBUG:-true} $(PY) manage.py reset_db --seed

# The production-like stack on loopback: PostgreSQL, Gunicorn, NGINX with TLS. Ctrl+C stops it.
stack: $(VENV)/.requirements-dev
	$(PY) -m scripts.stack

format: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

screenshots: $(VENV)/.requirements-dev
	$(PY) -m scripts.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
