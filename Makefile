# doha: two commands do all set-up on a fresh machine.
#   make run   virtualenv, pinned packages, SQLite database, demo province, web app on :8000
#   make test  lint, unit and integration tests, then browser tests (when chromium is present)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := doha.settings
export PYTHONPATH := src

.PHONY: install run demo test lint format unit e2e messages lock clean

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py certificate_key >/dev/null  # signs training certificates (var/, kept)

run: demo
	@echo ""
	@echo "doha: http://$(HOST):$(PORT)/  (đăng nhập / sign in: admin / doha@2026; other demo accounts above)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

lint: install
	$(BIN)/ruff check src tests e2e bench
	$(BIN)/ruff format --check src tests e2e bench

format: install
	$(BIN)/ruff check --fix src tests e2e bench
	$(BIN)/ruff format src tests e2e bench

unit: install
	$(BIN)/pytest tests

e2e: install
	@if [ -x /usr/bin/chromium ]; then $(BIN)/pytest e2e -p no:cacheprovider; \
	elif [ -n "$$CI" ]; then echo "e2e: /usr/bin/chromium is missing (apt-get install chromium)"; exit 1; \
	else echo "e2e: /usr/bin/chromium is missing (apt-get install chromium); browser tests not run"; fi

test: lint unit e2e

messages: install
	$(BIN)/python manage.py makemessages -l vi -l en --no-obsolete --ignore=.venv --ignore=tests --ignore=e2e
	$(BIN)/python scripts/compile_messages.py

lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^doha' > requirements.lock.new
	{ echo "# Exact versions of every package doha installs (runtime and development)."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; cat requirements.lock.new; } > requirements.lock
	rm requirements.lock.new

clean:
	rm -rf $(VENV) var .pytest_cache
