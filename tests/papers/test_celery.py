"""Celery through the real Redis broker, and the Redis lock that keeps all workers polite."""

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection

from papers.arxiv import RedisThrottle
from papers.models import Category, HarvestRun, Paper
from papers.tasks import harvest_all, harvest_category
from paperswipe.celery import app

from ..arxiv_standin import make_entries
from ..conftest import wait_for


@pytest.fixture
def redis_url():
    assert django_settings.REDIS_URL, "these tests need the real Redis: set REDIS_URL (make test does)"
    return django_settings.REDIS_URL


@pytest.fixture
def broker(redis_url):
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    app.control.purge()  # nothing left over from an earlier run may reach this worker
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app
    app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_worker_harvests_through_redis(standin, broker):
    now = datetime.now(UTC)
    standin.entries = make_entries(40, category="cs.LG", newest=now - timedelta(hours=1), spacing=timedelta(hours=1))
    category = Category.objects.get(code="cs.LG")
    harvest_category.delay(category.pk)
    run = wait_for(lambda: HarvestRun.objects.filter(category=category, finished_at__isnull=False).first(), 60)
    assert (run.status, run.created) == ("ok", 40)
    assert Paper.objects.filter(categories=category).count() == 40


@pytest.mark.django_db
def test_harvest_all_queues_one_task_per_offered_category_and_the_listing(standin, monkeypatch):
    queued = []
    monkeypatch.setattr(harvest_category, "delay_on_commit", lambda *args: queued.append(("category", *args)))
    monkeypatch.setattr("papers.tasks.harvest_listing.delay_on_commit", lambda: queued.append(("listing",)))
    assert harvest_all() == Category.objects.offered().count()
    offered = set(Category.objects.offered().values_list("pk", flat=True))
    assert {q[1] for q in queued if q[0] == "category"} == offered
    assert ("listing",) in queued


def test_the_redis_throttle_spaces_requests_across_processes(redis_url):
    interval, spans = 0.15, []
    # Each thread has its own client and connection, as separate worker processes would.
    throttles = [RedisThrottle(redis_url, interval, hold_timeout=5) for _ in range(3)]

    def work(throttle: RedisThrottle) -> None:
        for _ in range(3):
            with throttle.slot():
                start = time.monotonic()
                time.sleep(0.01)  # the request itself
                spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=work, args=(t,)) for t in throttles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans.sort()
    assert len(spans) == 9
    # One connection at a time, and each request starts `interval` after the previous one ended.
    assert all(b_start - a_end >= interval * 0.99 for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_beat_schedules_exist_and_are_editable(db):
    from django_celery_beat.models import PeriodicTask

    daily = PeriodicTask.objects.get(name="arXiv harvest after the announcement")
    assert daily.task == "papers.tasks.harvest_all"
    assert (daily.crontab.hour, daily.crontab.minute, daily.crontab.day_of_week) == ("20", "30", "0-4")
    assert str(daily.crontab.timezone) == "America/New_York"
    catch_up = PeriodicTask.objects.get(name="arXiv catch-up harvest")
    assert (catch_up.interval.every, catch_up.interval.period) == (6, "hours")


@pytest.mark.django_db
def test_two_beats_queue_each_tick_once(standin, monkeypatch):
    """A second beat process started by mistake fires the same schedule: the tick is queued once."""
    queued = []
    monkeypatch.setattr(harvest_category, "delay_on_commit", lambda *args: queued.append(args))
    monkeypatch.setattr("papers.tasks.harvest_listing.delay_on_commit", lambda: None)
    first, second = harvest_all(), harvest_all()
    assert first == Category.objects.offered().count() > 0
    assert second == 0
    assert len(queued) == first  # one harvest per category


backends: list[int] = []


@app.task(name="tests.backend_pid")
def backend_pid() -> None:
    """The PostgreSQL backend this task's connection talks to."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backends.append(cursor.fetchone()[0])


def run_backend_pid() -> int:
    before = len(backends)
    backend_pid.delay()
    wait_for(lambda: len(backends) > before, 30)
    return backends[-1]


@pytest.fixture
def kept_backends():
    """A connection a worker keeps outlives the test: ended here, or the test database could not be dropped."""
    yield
    with psycopg.connect(**psycopg_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [backends])


@pytest.mark.django_db(transaction=True)
def test_tasks_keep_their_database_connection_as_requests_do_and_reconnect_after_a_restart(
    broker, kept_backends, monkeypatch
):
    """Celery's own fixup would open a new PostgreSQL backend for every task (a rerank after every decision);
    tasks keep theirs for CONN_MAX_AGE, and one the server dropped is replaced before the next task."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)  # Django's default: one per request
    assert run_backend_pid() != run_backend_pid()

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)  # production's; every thread reads it
    first = run_backend_pid()
    assert run_backend_pid() == first
    assert run_backend_pid() == first
    with psycopg.connect(**psycopg_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    wait_for(lambda: not is_alive(first), 10)
    # The task that meets the dead connection fails, as a request would; the next one reconnects.
    for _ in range(3):
        backend_pid.delay()
    replaced = wait_for(lambda: backends[-1] != first and backends[-1], 30)
    assert run_backend_pid() == replaced


def psycopg_params() -> dict[str, object]:
    db = connection.settings_dict
    return {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": "postgres"}


def is_alive(pid: int) -> bool:
    with psycopg.connect(**psycopg_params(), autocommit=True) as admin:
        return bool(admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone())
