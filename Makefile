# Every step of the course has a name here. The two that README.md promises:
#   make course   set up everything, release every module and build the public book
#   make test     set up everything and run all tests
# Set-up is part of both: a fresh machine needs only Python 3.11, Node 20 and apt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: course test deps chromium grading-tools grade release book instructor-book dashboards hub learn bench lint lock datasets clean

course: deps
	$(BIN)/servicecourse build

test: deps chromium grading-tools
	$(BIN)/python -m pytest

deps: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium; playwright never downloads a browser here.
chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Grading runs learners' code in bubblewrap; the tests also start a Debian PostgreSQL server,
# and run the Kubernetes image's start script with nss_wrapper (libnss-wrapper).
grading-tools:
	@{ command -v bwrap >/dev/null && test -x /usr/lib/postgresql/*/bin/initdb && \
		ls /usr/lib/*/libnss_wrapper.so >/dev/null 2>&1; } || { \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install \
		-y -qq --no-install-recommends bubblewrap postgresql libnss-wrapper >/dev/null; }

# Grade a class: make grade MODULE=03_basics [ARGS="--moodle-zip submissions.zip"]
grade: deps grading-tools
	$(BIN)/servicecourse autograde $(MODULE) $(ARGS)

release: deps
	$(BIN)/servicecourse release --all

book: deps
	$(BIN)/servicecourse book

# Solutions included: for teachers only, never published (built into _build/instructor/).
instructor-book: deps
	$(BIN)/servicecourse book --instructor

dashboards: deps
	$(BIN)/servicecourse dashboards

# The course hub on this server, as root until SIGTERM: make hub [ARGS="--port 8000 ..."]
# (`servicecourse hub --help`; hub/systemd/ has the units for a service manager).
hub: deps
	$(BIN)/servicecourse hub $(ARGS)

learn: deps
	$(BIN)/servicecourse release --all
	$(BIN)/servicecourse learn

datasets: deps
	$(BIN)/servicecourse datasets --write

bench: deps
	$(BIN)/python benchmarks/bench_book.py

lint: deps
	$(BIN)/ruff check servicecourse tests benchmarks autograde hub

# Re-resolve the full pinned set from requirements.in (needs the venv's uv).
lock:
	$(BIN)/uv pip compile --python $(BIN)/python requirements.in -o requirements.lock

clean:
	rm -rf _build _pages .cache book/_vendor autograde/release autograde/autograded \
		autograde/feedback autograde/submitted autograde/exchange autograde/gradebook.db
