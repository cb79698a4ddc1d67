"""`make up` end to end: gunicorn, a Celery worker and beat under honcho, against PostgreSQL and Redis.

It runs in a database and a Redis database of its own, harvests from the arXiv stand-in through the
broker, and stops on Ctrl-C (SIGINT to make's process group): every process exits, none is left behind.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings

from paperswipe.forms import parse_count

from .arxiv_standin import make_entries
from .conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HARVESTED = 30
# What a developer's shell (or `make test`, or pytest-django) may carry and must not reach `make up`.
DROPPED_PREFIXES = ("DJANGO_", "ARXIV_", "GUNICORN_", "WEB_", "WORKER_", "CELERY", "MAKE", "MFLAGS")
DROPPED = {"DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL"}
DROPPED |= {"BIND", "PORT", "CONN_MAX_AGE", "LOG_LEVEL", "FORWARDED_ALLOW_IPS"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database():
    """A PostgreSQL database of its own next to the suite's, dropped first and after."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("make up needs PostgreSQL: set DATABASE_URL (make test does)")
    name = f"{db['NAME']}_make_up"
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db["PASSWORD"]:
        server["password"] = db["PASSWORD"]

    def recreate(create: bool) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                admin.execute(f'CREATE DATABASE "{name}"')

    recreate(create=True)
    auth = f"{server['user']}:{db['PASSWORD']}" if db["PASSWORD"] else server["user"]
    yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}", lambda: psycopg.connect(dbname=name, **server)
    recreate(create=False)


@pytest.fixture
def redis_db():
    """A Redis database of its own on the suite's server: 15, or 14 when the suite uses 15; emptied first and after."""
    assert settings.REDIS_URL, "make up needs Redis: set REDIS_URL (make test does)"
    suite = urlsplit(settings.REDIS_URL)
    number = 14 if suite.path.strip("/") == "15" else 15
    url = urlunsplit(suite._replace(path=f"/{number}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def processes_marked(marker: str) -> dict[int, str]:
    """The processes (pid: command line) started with this marker in their environment."""
    found = {}
    for proc in Path("/proc").iterdir():
        pid = parse_count(proc.name)
        if pid is None:
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found[pid] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return {pid: cmd for pid, cmd in found.items() if cmd}  # a zombie has no command line


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def wait_for(condition, timeout: float, what: str, log: Path, process: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := condition():
                return result
        except OSError:  # the server is not listening yet
            pass
        if process.poll() is not None:
            pytest.fail(f"make up exited ({process.returncode}) before {what}:\n{log.read_text()[-5000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{log.read_text()[-5000:]}")
        time.sleep(0.2)


def test_make_up_serves_harvests_through_the_broker_and_stops_cleanly(standin, database, redis_db, tmp_path):
    database_url, connect = database
    standin.entries = make_entries(
        HARVESTED,
        category="cs.LG",
        newest=datetime.now(UTC) - timedelta(hours=1),
        spacing=timedelta(hours=1),
        first_number=90001,  # clear of the bundled sample's ids
    )
    port, marker = free_port(), f"PAPERSWIPE_MAKE_UP_TEST={uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith(DROPPED_PREFIXES)}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_db,
        REDIS_CACHE_URL=redis_db,
        PORT=str(port),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ARXIV_API_URL=f"{standin.base_url}/api/query",
        ARXIV_RSS_URL=f"{standin.base_url}/rss/",
        ARXIV_REQUEST_INTERVAL="0.02",
        ARXIV_PAGE_SIZE="50",
        ARXIV_MAX_ATTEMPTS="3",
        ARXIV_BACKOFF_BASE="0.01",
        ARXIV_READ_TIMEOUT="5",
        ARXIV_HARVEST_OVERLAP_HOURS="96",
        ARXIV_BACKFILL_DAYS="7",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        WORKER_CONCURRENCY="1",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    key, value = marker.split("=")
    env[key] = value
    log = tmp_path / "make_up.log"
    started = time.monotonic()
    with log.open("wb") as out:
        # A session of its own: the signal below reaches make and honcho, as Ctrl-C reaches a terminal's.
        make = subprocess.Popen(
            ["make", "up"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Migrating a new database and loading the sample come first.
        status, _ = wait_for(lambda: get(f"http://127.0.0.1:{port}/papers/"), 50, "the site answered", log, make)
        assert status == 200
        assert get(f"http://127.0.0.1:{port}/static/js/deck.js")[0] == 200  # WhiteNoise with DEBUG off

        # Queued through the broker, as beat or the admin's "Harvest now" queue it.
        queued = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from papers.models import Category; from papers.tasks import harvest_category; "
                "harvest_category.delay(Category.objects.get(code='cs.LG').pk)",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "paperswipe.settings.local", "DEBUG": "false"},
            capture_output=True,
            text=True,
        )
        assert queued.returncode == 0, queued.stdout + queued.stderr

        def harvest_finished():
            with connect() as db:
                return db.execute(
                    "SELECT run.status, run.created FROM papers_harvestrun run JOIN papers_category c"
                    " ON c.id = run.category_id WHERE c.code = 'cs.LG' AND run.finished_at IS NOT NULL"
                ).fetchone()

        assert wait_for(harvest_finished, 30, "the harvest finished", log, make) == ("ok", HARVESTED)
        assert standin.api_requests, "the worker never asked the stand-in"
        first = standin.entries[0].arxiv_id
        status, page = get(f"http://127.0.0.1:{port}/papers/{first}/")
        assert status == 200
        assert first in page

        def features_computed():  # the `rank` queue's part: vectors of the new papers
            with connect() as db:
                return (
                    db.execute(
                        "SELECT count(*) FROM papers_paperfeatures f JOIN papers_paper p ON p.id = f.paper_id"
                        " WHERE p.arxiv_id LIKE '2611.9%'"
                    ).fetchone()[0]
                    == HARVESTED
                )

        wait_for(features_computed, 20, "the harvested papers' features were computed", log, make)

        output = log.read_text()
        for queue in ("harvest", "rank", "default"):
            assert f".> {queue} " in output, f"the worker does not consume {queue}"
        assert "beat: Starting..." in output

        # Ctrl-C: the terminal signals its foreground process group, make and honcho; honcho sends SIGTERM
        # to each process's own group and waits for them.
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=30)
        output = log.read_text()
        assert "SIGINT received" in output
        for name in ("web", "worker", "beat"):
            assert f"{name}.1 stopped (rc=0)" in output, output[-5000:]
        # make waits for honcho, then leaves by the same signal (after "Error 130", honcho's 128 + SIGINT).
        assert make.returncode == -signal.SIGINT, (make.returncode, output[-3000:])
        assert processes_marked(marker) == {}
        assert time.monotonic() - started < 60
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        for pid in processes_marked(marker):
            os.kill(pid, signal.SIGKILL)
