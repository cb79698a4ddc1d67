# PaperSwipe. `make run` serves the site on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run up test test-fast browser lint format migrations-check bench backup restore screenshots install install-dev clean

$(VENV)/.run-deps: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("PaperSwipe needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.run-deps
install-dev: $(VENV)/.dev-deps

run: $(VENV)/.run-deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_samples
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# `make up`: the Procfile's processes (gunicorn, a Celery worker, beat) under honcho, against PostgreSQL
# and Redis: DATABASE_URL and REDIS_URL from the environment, else these local servers. Local settings with
# DEBUG off and production's kept connections: plain HTTP, emails on the console, static files by WhiteNoise
# from their sources. Honcho gets /dev/null for its env file, because it would let .env override the
# environment; Django reads .env itself. Ctrl-C or SIGTERM: honcho stops every process and waits for them.
UP_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/paperswipe
UP_REDIS_URL ?= redis://127.0.0.1:6379/0

up: $(VENV)/.run-deps
	export DATABASE_URL="$${DATABASE_URL:-$(UP_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(UP_REDIS_URL)}" \
		DJANGO_SETTINGS_MODULE=paperswipe.settings.local DEBUG=false SITE_URL="$${SITE_URL:-http://localhost:$(PORT)}" \
		CONN_MAX_AGE="$${CONN_MAX_AGE:-60}" \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" && \
	$(PY) scripts/create_database.py && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py load_samples && \
	exec $(VENV)/bin/honcho --env /dev/null start --port $(PORT)

# Backups of the PostgreSQL database DATABASE_URL names (default: make up's), in pg_dump's custom format.
# `make restore FILE=…` puts one back into that database, creating it if needed, in one transaction.
BACKUP_DIR ?= backups

backup: $(VENV)/.run-deps
	@mkdir -p "$(BACKUP_DIR)"
	@file="$(BACKUP_DIR)/paperswipe-$$(date -u +%Y%m%dT%H%M%SZ).dump"; \
		pg_dump --format=custom --no-owner --no-privileges --dbname="$${DATABASE_URL:-$(UP_DATABASE_URL)}" --file="$$file" \
		&& echo "backed up to $$file"

restore: $(VENV)/.run-deps
	@test -n "$(FILE)" || { echo "usage: make restore FILE=$(BACKUP_DIR)/paperswipe-YYYYMMDDTHHMMSSZ.dump"; exit 2; }
	@test -f "$(FILE)" || { echo "$(FILE): no such backup"; exit 2; }
	DATABASE_URL="$${DATABASE_URL:-$(UP_DATABASE_URL)}" $(PY) scripts/create_database.py
	pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
		--dbname="$${DATABASE_URL:-$(UP_DATABASE_URL)}" "$(FILE)"
	@echo "restored $(FILE)"

# The suite runs against real PostgreSQL and Redis; these defaults are the local servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/paperswipe
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

# The browser tests launch Debian's Chromium at this path through Playwright, which never downloads a
# browser of its own. When it is missing, `make test` installs it with apt-get (as root on Debian).
CHROMIUM := /usr/bin/chromium

browser: $(CHROMIUM)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "The browser tests need Chromium: installing Debian's chromium package (apt-get install chromium)."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "The browser tests need Chromium at $(CHROMIUM), and make can install it only as root on Debian."; \
		echo "Install it, then run make test again:  sudo apt-get install chromium"; \
		echo "(elsewhere: your system's Chromium package, with its binary at $(CHROMIUM))"; \
		exit 1; \
	fi
	@test -x $(CHROMIUM) || { echo "apt-get did not install $(CHROMIUM)"; exit 1; }

# Two pytest-xdist processes, one per core: each has a test database (_gw0, _gw1) and a Redis database
# (REDIS_URL's number plus its own) of its own; tests are handed out one by one, so each process keeps
# pytest-django's order (a test that empties the tables comes after those that rely on migrated data).
TEST_PROCESSES ?= 2

test: $(VENV)/.dev-deps $(CHROMIUM)
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadgroup

# The tests that need no database, broker, server or browser, and none that runs against the wall clock.
test-fast: $(VENV)/.dev-deps
	$(PY) -m pytest -m "not integration and not browser and not slow" -q

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: $(VENV)/.dev-deps
	DJANGO_SETTINGS_MODULE=paperswipe.settings.test $(PY) manage.py makemigrations --check --dry-run

# The throughput figure drives gunicorn with wrk (Debian's package), installed like Chromium.
WRK := /usr/bin/wrk

# `make bench` at the default scale; BENCH_PAPERS=1000000 BENCH_DECISIONS=100000 make bench at all of
# arXiv (the seeded database is kept for the next run at that scale). Results: docs/benchmarks.md.
# Lighthouse (npm, pinned by bench/lighthouse/package-lock.json) runs on Debian's Chromium; Node from Debian.
LIGHTHOUSE := bench/lighthouse/node_modules/.bin/lighthouse

bench: $(VENV)/.dev-deps $(WRK) $(CHROMIUM) $(LIGHTHOUSE)
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		DJANGO_SETTINGS_MODULE=paperswipe.settings.test sh -c '$(PY) bench/bench_import.py && $(PY) bench/bench_uploads.py && $(PY) bench/bench_harvest.py && $(PY) bench/bench_ranking.py && $(PY) bench/bench_learning.py && $(PY) bench/bench_scale.py && $(PY) bench/bench_load.py && $(PY) bench/bench_announcement.py && $(PY) bench/bench_digests.py && $(PY) bench/bench_lighthouse.py'

$(WRK):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "The benchmark needs wrk: installing Debian's wrk package."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else \
		echo "The benchmark needs wrk at $(WRK): sudo apt-get install wrk"; exit 1; \
	fi

$(LIGHTHOUSE): bench/lighthouse/package.json bench/lighthouse/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Lighthouse needs Node and npm: installing Debian's nodejs and npm packages."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
		else \
			echo "Lighthouse needs npm: sudo apt-get install nodejs npm"; exit 1; \
		fi; \
	fi
	npm ci --prefix bench/lighthouse --no-audit --no-fund --loglevel=error
	touch $@

screenshots: $(VENV)/.dev-deps $(CHROMIUM)
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
