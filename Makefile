# Two commands for a new user: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PORT   ?= 8000

CLOCKS ?= 2032-02-29T10:00:00+00:00 2030-12-31T16:00:05+00:00

.PHONY: run test test-clock install migrate demo lint bench clean translations schemathesis

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile -d translations 2>&1 | grep -v "^compiling" || true

migrate: install translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty --origin http://127.0.0.1:$(PORT)

run: demo
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

# The whole suite on SQLite; then, when TEST_DATABASE_URL is set (CI), again on PostgreSQL
# (browser tests run once, on SQLite).
test: install translations
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS); \
	fi

# The in-process suite (SQLite, no browser) with the clock moved (tests/conftest.py, TEST_CLOCK): years ahead
# onto a leap day, and to the local midnight that starts a year while UTC is still in the old one.
test-clock: install translations
	@for instant in $(CLOCKS); do \
	  echo "== clock moved to $$instant"; \
	  env -u TEST_DATABASE_URL TEST_CLOCK=$$instant $(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS) || exit 1; \
	done

# The full property-based run of the API against its OpenAPI document (schemathesis, every check, 100 examples
# per operation) as a coordinator, an owner and a cashier, each against its own server and demo database
# (scripts/schemathesis_run.py; EXAMPLES=500 for more). `make test` runs a bounded one.
EXAMPLES ?= 100
schemathesis: install translations
	$(BIN)/python scripts/schemathesis_run.py --examples $(EXAMPLES)

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
