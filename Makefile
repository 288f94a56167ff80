# Two commands for a new user: `make run` and `make test`.
# Python 3.11 or later: the newest python3.X (X >= 11) on PATH that runs (a pyenv shim of a version not
# selected does not), else `python3` when it is new enough. `make PYTHON=/path/to/python3.12 run` chooses one.
ifndef PYTHON
PYTHON := $(shell for py in $$(seq -f 'python3.%g' 30 -1 11) python3; do \
            $$py -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && command -v $$py && exit 0; \
          done)
endif
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PORT   ?= 8000

CLOCKS ?= 2032-02-29T10:00:00+00:00 2030-12-31T16:00:05+00:00

.PHONY: run test test-clock install migrate demo lint bench clean translations schemathesis

$(BIN)/activate:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "make: this project needs Python 3.11 or later, and found none on PATH (python3.11, python3.12, ...;" \
	       "python3 is $$(command -v python3 >/dev/null && python3 --version 2>&1 || echo missing))." >&2; \
	  echo "  Install one (Debian/Ubuntu: apt-get install python3.11 python3.11-venv), or name it:" \
	       "make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; \
	  exit 1; \
	fi
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
# onto a leap day, and to the local midnight that starts a year while UTC is still in the old one. The runs share
# nothing (each test its own database, no server), so they run side by side, one a core; each one's output is
# printed when all are done (in full for a run that failed, else its last line).
test-clock: install translations
	@logs=$$(mktemp -d); n=0; for instant in $(CLOCKS); do \
	  n=$$((n + 1)); \
	  ( env -u TEST_DATABASE_URL TEST_CLOCK=$$instant $(BIN)/python -m pytest -q -p no:cacheprovider \
	      -m "not browser" $(PYTEST_ARGS) > $$logs/$$n.log 2>&1; echo $$? > $$logs/$$n.rc ) & \
	done; wait; \
	failed=0; n=0; for instant in $(CLOCKS); do \
	  n=$$((n + 1)); echo "== clock moved to $$instant"; \
	  if [ "$$(cat $$logs/$$n.rc)" = 0 ]; then tail -n 1 $$logs/$$n.log; else cat $$logs/$$n.log; failed=1; fi; \
	done; rm -rf $$logs; exit $$failed

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
