# Gongyi — two commands: `make run` (set up and serve) and `make test` (set up and test).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi.py

.PHONY: run test setup setup-dev db translations test-sqlite test-postgres browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed translations

setup-dev: $(VENV)/.dev-installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations -f

db: setup
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load-if-empty

run: db
	@echo "Gongyi is serving at http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium, fonts-noto-cjk and poppler-utils"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	  else \
	    echo "chromium is required for the browser journeys but missing, and apt is unavailable" >&2; exit 1; \
	  fi; \
	fi

test: setup-dev browser-deps
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== pytest on SQLite =="
	env -u TEST_DATABASE_URL $(BIN)/pytest

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== pytest on PostgreSQL ($(TEST_DATABASE_URL)) =="; \
	  TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI: PostgreSQL at $(TEST_DATABASE_URL) is required but unreachable" >&2; exit 1; \
	else \
	  echo "PostgreSQL not reachable at $(TEST_DATABASE_URL): skipped the PostgreSQL run"; \
	fi

clean:
	rm -rf $(VENV) instance/gongyi.sqlite
