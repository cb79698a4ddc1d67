"""The admin's Health page (issue 21 §5): task queues read from the real Redis broker, the learning lag from
real reranks, stale decks, harvests, digests and failures, for staff only, in a bounded number of queries."""

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from deck.digest import sending as deck_digests
from deck.models import DigestSent, DigestSubscription, QueueStamp, Swipe
from deck.tasks import rerank
from papers.models import Category, HarvestRun
from papers.tasks import harvest_category
from paperswipe.celery import app
from paperswipe.health import selectors
from paperswipe.health.models import DigestFailure, QueueRebuild
from paperswipe.health.receivers import PUBLISHED_AT
from paperswipe.health.tasks import prune
from paperswipe.health.templatetags.health import duration

from .conftest import wait_for
from .factories import CategoryFactory, PaperFactory, UserFactory

URL = "/admin/health/"


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def queues():
    """The real broker with no worker: what is queued stays in Redis to be counted."""
    assert django_settings.REDIS_URL, "these tests need the real Redis: set REDIS_URL"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=django_settings.REDIS_URL, task_always_eager=False)
    app.control.purge()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    yield client
    app.control.purge()
    client.close()
    app.conf.update(saved)


def decide(user, paper, *, at: datetime) -> Swipe:
    swipe = Swipe.objects.create(user=user, paper=paper, decision=Swipe.Decision.KEEP)
    Swipe.objects.filter(pk=swipe.pk).update(created_at=at)
    swipe.created_at = at
    return swipe


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- who may see it


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/health/")


@pytest.mark.django_db
def test_a_signed_in_reader_who_is_not_staff_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_staff_see_every_section_and_the_admin_index_links_to_it(staff):
    response = staff.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for heading in (
        "Task queues",
        "Learning lag",
        "Stale decks",
        "Harvests",
        "Email digests",
        "Failures of the last day",
    ):
        assert f">{heading}</h2>" in page
    assert '<meta http-equiv="refresh"' in page
    assert "<script>" not in page  # the CSP allows no inline script
    assert 'href="/admin/health/"' in staff.get("/admin/").content.decode()


# ---------------------------------------------------------------- the task queues


@pytest.mark.django_db
def test_without_a_broker_the_page_says_tasks_run_in_process(staff):
    assert app.conf.task_always_eager  # the test settings, as `make run` without REDIS_URL
    assert "every task runs in process" in staff.get(URL).content.decode()


@pytest.mark.django_db
def test_each_queue_shows_its_length_and_the_age_of_its_oldest_task(queues, staff):
    first_before = time.time()
    rerank.delay(1)
    first_after = time.time()
    wait_for(lambda: time.time() > first_after + 0.3)  # the later tasks are published 0.3 s after the first
    rerank.delay(2)
    harvest_category.delay(3)

    # The time travels in the message's headers, as kombu stored it; the oldest task is the list's last element.
    oldest = json.loads(queues.lindex("rank", -1))
    assert first_before <= oldest["headers"][PUBLISHED_AT] <= first_after
    newest = json.loads(queues.lindex("rank", 0))
    assert newest["headers"][PUBLISHED_AT] > first_after

    now = datetime.fromtimestamp(first_after + 60, UTC)
    depth = {queue.name: queue for queue in selectors.broker(now=now).queues}
    assert set(depth) == {"harvest", "rank", "default"}
    assert (depth["rank"].waiting, depth["harvest"].waiting, depth["default"].waiting) == (2, 1, 0)
    assert 60 <= depth["rank"].oldest.total_seconds() <= 60 + (first_after - first_before) + 0.001
    assert depth["harvest"].oldest.total_seconds() < 60 - 0.3
    assert depth["default"].oldest is None

    page = staff.get(URL).content.decode()
    assert '<th scope="row">rank</th><td>2</td>' in page


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported_and_the_page_still_answers(staff):
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{closed_port()}/0", task_always_eager=False)
    try:
        response = staff.get(URL)
    finally:
        app.conf.update(saved)
    assert response.status_code == 200
    assert "The broker could not be read: ConnectionError" in response.content.decode()


# ---------------------------------------------------------------- the learning lag


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.85, "850 ms"), (4.24, "4.2 s"), (42, "42 s"), (185, "3 min 5 s"), (7800, "2 h 10 min"), (273600, "3 d 4 h")],
)
def test_lags_and_ages_read_as_people_say_them(seconds, shown):
    assert duration(timedelta(seconds=seconds)) == shown
    assert duration(None) == "—"


@pytest.mark.django_db
def test_the_learning_lag_runs_from_a_decision_to_the_first_rerank_after_it(staff):
    reader, other = UserFactory(), UserFactory()
    papers = PaperFactory.create_batch(5)
    start = timezone.now()
    # In the order they were made: the window is found through the ids, which grow with the time of insert.
    decide(reader, papers[2], at=start - timedelta(hours=2))  # before the window
    decide(reader, papers[0], at=start - timedelta(minutes=10))
    decide(reader, papers[1], at=start - timedelta(minutes=2))
    rerank.delay(reader.pk)  # the worker's rerank (in process here): it stamps the queue
    assert QueueRebuild.objects.filter(user=reader).count() == 1
    waiting = decide(reader, papers[3], at=timezone.now() + timedelta(seconds=1))  # after the rerank began

    # Learned by a rebuild from before the history of rebuilds: counted, but without a time.
    decide(other, papers[4], at=start - timedelta(minutes=5))
    QueueStamp.objects.create(user=other, built_from=start)
    QueueRebuild.objects.filter(user=other).delete()

    now = timezone.now() + timedelta(minutes=3)
    lag = selectors.learning_lag(now=now)
    assert lag.decisions == 4
    assert lag.learned_unrecorded == 1
    learned = sorted(round(d.total_seconds()) for d in lag.learned)
    took = (timezone.now() - start).total_seconds()
    assert 120 <= learned[0] <= 120 + took + 1
    assert 600 <= learned[1] <= 600 + took + 1
    assert abs(lag.p50 - (lag.learned[0] + lag.learned[1]) / 2) < timedelta(milliseconds=1)
    assert lag.waiting == [now - waiting.created_at]
    assert lag.oldest_waiting == now - waiting.created_at

    page = staff.get(URL).content.decode()
    assert "4 decisions in the last 60\n  minutes." in page


@pytest.mark.django_db
def test_a_busy_hour_is_read_every_nth_decision_across_the_whole_hour(monkeypatch):
    reader = UserFactory()
    now = timezone.now()
    papers = PaperFactory.create_batch(7)
    swipes = [decide(reader, paper, at=now - timedelta(minutes=50 - 5 * i)) for i, paper in enumerate(papers)]
    monkeypatch.setattr(selectors, "LAG_SAMPLE", 3)
    lag = selectors.learning_lag(now=now)
    assert (lag.decisions, lag.step) == (7, 3)
    # Every third by id: spread from the oldest decision of the hour to the newest, not the newest three.
    assert sorted(lag.waiting) == sorted(now - s.created_at for s in swipes if s.pk % 3 == 0)


@pytest.mark.django_db
def test_only_a_rebuild_records_history():
    reader = UserFactory()
    stamp = QueueStamp.objects.create(user=reader, built_from=timezone.now())
    QueueStamp.objects.filter(pk=stamp.pk).update(rescore_due=True)  # what deck.ranking.queues.rescore_due does
    stamp.rescore_due = False
    stamp.save(update_fields=["rescore_due"])
    assert QueueRebuild.objects.filter(user=reader).count() == 1


# ---------------------------------------------------------------- stale decks, harvests, digests


@pytest.mark.django_db
def test_a_reader_with_a_decision_newer_than_their_queue_is_stale(staff):
    fresh, stale = UserFactory(), UserFactory()
    paper = PaperFactory()
    decide(fresh, paper, at=timezone.now() - timedelta(minutes=5))
    rerank.delay(fresh.pk)
    decide(stale, paper, at=timezone.now() - timedelta(minutes=5))
    report = selectors.stale_decks(now=timezone.now())
    assert (report.count, [u.pk for u in report.first]) == (1, [stale.pk])
    assert stale.email in staff.get(URL).content.decode()


@pytest.mark.django_db
def test_each_offered_category_shows_its_last_successful_run_and_its_gap():
    now = timezone.now()
    category = CategoryFactory(
        harvested_through=now - timedelta(hours=1),
        gap_from=now - timedelta(days=2),
        gap_until=now - timedelta(days=1),
    )
    CategoryFactory(is_active=False)  # not offered
    HarvestRun.objects.create(category=category, status=HarvestRun.Status.OK, finished_at=now - timedelta(hours=5))
    HarvestRun.objects.create(category=category, status=HarvestRun.Status.OK, finished_at=now - timedelta(hours=1))
    HarvestRun.objects.create(category=category, status=HarvestRun.Status.FAILED, finished_at=now)
    shown = {c.code: c for c in selectors.harvests()}
    assert set(shown) == set(Category.objects.offered().values_list("code", flat=True))
    assert shown[category.code].last_ok == now - timedelta(hours=1)
    assert shown[category.code].gap_from == now - timedelta(days=2)


@pytest.mark.django_db
def test_failed_and_partial_harvest_runs_of_the_last_day_show_their_error(staff):
    category = CategoryFactory()
    now = timezone.now()
    old = HarvestRun.objects.create(category=category, status=HarvestRun.Status.FAILED, error="old trouble")
    HarvestRun.objects.filter(pk=old.pk).update(started_at=now - timedelta(days=2))
    HarvestRun.objects.create(category=category, status=HarvestRun.Status.OK)
    HarvestRun.objects.create(category=category, status=HarvestRun.Status.PARTIAL, error="arXiv answered 503")
    HarvestRun.objects.create(status=HarvestRun.Status.FAILED, source=HarvestRun.Source.RSS, error="listing gone")
    report = selectors.failures(now=now + timedelta(seconds=1))
    assert report.harvests == 2
    assert [run.error for run in report.latest_harvests] == ["listing gone", "arXiv answered 503"]
    page = staff.get(URL).content.decode()
    assert "arXiv answered 503" in page
    assert "old trouble" not in page


@pytest.mark.django_db
def test_digests_sent_and_failed_today(staff, settings):
    reader = UserFactory()
    category = CategoryFactory()
    reader.followed_categories.add(category)
    for i in range(3):
        PaperFactory(primary_category=category, listed_at=timezone.now() - timedelta(hours=i))
    yesterday = DigestSent.objects.create(user=reader, period="daily 2000-01-01")
    DigestSent.objects.filter(pk=yesterday.pk).update(sent_at=timezone.now() - timedelta(days=1, hours=1))
    subscription = DigestSubscription.objects.create(user=reader, frequency=DigestSubscription.Frequency.DAILY)

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    assert deck_digests.send_one(subscription, period="daily 2099-01-01") is False  # nothing listens: it fails
    failure = DigestFailure.objects.get()
    assert (failure.user, failure.period) == (reader, "daily 2099-01-01")
    assert "ConnectionRefusedError" in failure.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deck_digests.send_one(subscription, period="daily 2099-01-01") is True
    report = selectors.digests(now=timezone.now())
    assert (report.sent, report.failed) == (1, 1)
    page = staff.get(URL).content.decode()
    assert "ConnectionRefusedError" in page


# ---------------------------------------------------------------- task failures, through a real worker


@pytest.fixture
def worker():
    assert django_settings.REDIS_URL, "these tests need the real Redis: set REDIS_URL"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=django_settings.REDIS_URL, task_always_eager=False)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app
    app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_in_the_worker_is_shown_with_its_error_and_a_success_stores_nothing(worker, client):
    rerank.delay(987654)  # no such reader: a rerank that succeeds with nothing to do
    rerank.delay("not-a-reader")  # what a bug upstream could queue: the rerank fails in the worker
    # One queue is taken in order: once the failure is stored, the rerank before it has run.
    failed = wait_for(lambda: TaskResult.objects.filter(status="FAILURE").first(), 60)
    assert failed.task_name == "deck.tasks.rerank"
    assert TaskResult.objects.count() == 1  # successes write nothing: only failures are kept

    report = selectors.failures(now=timezone.now())
    assert report.tasks == 1
    (shown,) = report.latest_tasks
    assert shown.task == "deck.tasks.rerank"
    assert shown.error.startswith("ValueError: Field 'id' expected a number but got 'not-a-reader'")
    assert "not-a-reader" in shown.arguments
    assert "Traceback" in shown.traceback

    client.force_login(UserFactory(is_staff=True))
    app.conf.task_always_eager = True  # the page's queue section is not what this test reads
    try:
        page = client.get(URL).content.decode()
    finally:
        app.conf.task_always_eager = False
    assert "expected a number but got &#x27;not-a-reader&#x27;" in page


# ---------------------------------------------------------------- bounded reads, bounded history


def grow(n: int) -> None:
    """n more of everything the page reads."""
    now = timezone.now()
    category = CategoryFactory()
    for _ in range(n):
        reader = UserFactory()
        papers = PaperFactory.create_batch(2, primary_category=category)
        decide(reader, papers[0], at=now - timedelta(minutes=20))
        QueueStamp.objects.create(user=reader, built_from=now - timedelta(minutes=10))
        decide(reader, papers[1], at=now - timedelta(minutes=5))
        HarvestRun.objects.create(category=category, status=HarvestRun.Status.FAILED, error="503")
        HarvestRun.objects.create(category=category, status=HarvestRun.Status.OK, finished_at=now)
        DigestSent.objects.create(user=reader, period="daily 2099-01-01")
        DigestFailure.objects.create(user=reader, period="daily 2099-01-02", error="refused")
        TaskResult.objects.create(
            task_id=f"t-{reader.pk}", task_name="deck.tasks.rerank", status="FAILURE", date_done=now, result="{}"
        )


@pytest.mark.django_db
def test_the_page_reads_a_fixed_number_of_queries_whatever_the_data(staff):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(URL).status_code == 200
        return len(captured)

    grow(2)
    small = queries()
    grow(12)
    assert queries() == small
    assert small <= 24  # the admin's own (user, permissions) and the page's, about 18


@pytest.mark.django_db
def test_the_history_is_pruned_hourly():
    reader = UserFactory()
    now = timezone.now()
    kept = QueueRebuild.objects.create(user=reader, built_from=now, written_at=now - timedelta(hours=23))
    QueueRebuild.objects.create(user=reader, built_from=now, written_at=now - timedelta(hours=25))
    DigestFailure.objects.create(user=reader, period="daily", failed_at=now - timedelta(days=8))
    recent = DigestFailure.objects.create(user=reader, period="daily", failed_at=now - timedelta(days=6))
    assert prune() == 2
    assert list(QueueRebuild.objects.all()) == [kept]
    assert list(DigestFailure.objects.all()) == [recent]
    schedule = PeriodicTask.objects.get(name="Health page history")
    assert (schedule.task, schedule.interval.every, schedule.interval.period) == (
        "paperswipe.health.tasks.prune",
        1,
        "hours",
    )
