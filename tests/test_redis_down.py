"""Redis down: the site still serves decks, records decisions and signs users in; the cache misses
instead of failing; the reranks that could not be queued run once Redis is back (rerank_stale).

The test starts a Redis server of its own, stops it, and starts it again, leaving the suite's Redis alone.
"""

import socket
import subprocess
from datetime import timedelta

import pytest
import redis
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from deck.models import DeckCard, QueueStamp, Swipe
from deck.ranking.queues import stale_readers
from deck.tasks import rerank_stale
from papers.features.store import compute_features
from papers.models import Category
from paperswipe.celery import app

from .conftest import wait_for
from .factories import PaperFactory

PASSWORD = "a long passphrase for redis"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self, directory) -> None:
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10)

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        assert self.process
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "paperswipe.cache.ForgivingRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "broker_connection_timeout")}
    saved_pool, saved_producers = app._pool, app.amqp._producer_pool
    # Publish through connections to this Redis, not ones pooled by an earlier test.
    app._pool = app.amqp._producer_pool = None
    app.conf.update(broker_url=server.url, task_always_eager=False, broker_connection_timeout=1)
    yield server
    if server.process and server.process.poll() is None:
        server.stop()
    app._pool, app.amqp._producer_pool = saved_pool, saved_producers
    app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_with_redis_down_the_deck_serves_decides_and_signs_in_then_catches_up(own_redis, django_user_model):
    category = Category.objects.get(code="cs.LG")
    user = django_user_model.objects.create_user(email="redis.down@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.followed_categories.add(category)
    papers = []
    for i in range(6):
        paper = PaperFactory(primary_category=category, listed_at=timezone.now() - timedelta(minutes=i))
        paper.categories.add(category)
        papers.append(paper)
    compute_features(paper_ids=[p.pk for p in papers])
    reader = Client()
    assert reader.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    assert reader.get("/").status_code == 200

    own_redis.stop()

    deck = reader.get("/")  # the session comes from the database, the cache misses
    assert deck.status_code == 200
    assert papers[0].title in deck.content.decode()
    decided = reader.post("/deck/decide/", {"paper": papers[0].pk, "decision": "keep"}, HTTP_ACCEPT="application/json")
    assert decided.status_code == 200  # the rerank could not be queued; the decision stands
    assert decided.json()["decided"] == {"created": True, "decision": "keep"}
    assert Swipe.objects.filter(user=user, paper=papers[0]).exists()
    newcomer = Client()
    signed_in = newcomer.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert newcomer.get("/").status_code == 200
    assert user.pk in stale_readers()  # the decision is newer than the queue

    own_redis.start()

    app.conf.task_always_eager = True  # the worker that picks up the sweep's reranks, in process
    assert rerank_stale() >= 1
    stamp = QueueStamp.objects.get(user=user)
    assert stamp.built_from >= Swipe.objects.get(user=user, paper=papers[0]).created_at
    assert DeckCard.objects.filter(user=user).exists()
    assert not DeckCard.objects.filter(user=user, paper=papers[0]).exists()
    assert user.pk not in stale_readers()


def test_the_forgiving_cache_misses_and_drops_writes_while_redis_is_away(tmp_path, settings):
    from django.core.cache import cache

    server = OwnRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {"BACKEND": "paperswipe.cache.ForgivingRedisCache", "LOCATION": server.url, "KEY_PREFIX": "t"}
    }
    cache.set("k", "v")
    assert cache.get("k") == "v"
    server.stop()
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["k"]) == {}
    cache.set("k", "w")  # dropped, no error
    assert cache.add("k2", 1) is True  # as if stored: locks made with add() open rather than shut
    cache.delete("k")
    with pytest.raises(ValueError, match="not found"):
        cache.incr("k")


@pytest.mark.django_db
def test_beat_sweeps_for_lost_reranks_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="deck.tasks.rerank_stale")
    assert (task.interval.every, task.interval.period, task.enabled) == (5, "minutes", True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_harvest_fails_cleanly_while_redis_is_down_and_the_next_one_completes(own_redis, standin, settings):
    """The arXiv lock lives in Redis: without it no request goes out (politeness first); the run is
    recorded as failed, the category is not blocked, and the next run, with Redis back, takes it all."""
    from datetime import UTC, datetime

    from papers import harvest
    from papers.models import HarvestRun, Paper

    from .arxiv_standin import make_entries

    settings.REDIS_URL = own_redis.url  # the throttle's Redis
    now = datetime.now(UTC)
    standin.entries = make_entries(30, category="cs.LG", newest=now - timedelta(hours=1), spacing=timedelta(hours=1))
    category = Category.objects.get(code="cs.LG")
    own_redis.stop()
    with pytest.raises(redis.ConnectionError):
        harvest.harvest_category(category_id=category.pk)
    failed = HarvestRun.objects.get(category=category)
    assert failed.status == "failed"
    assert standin.api_requests == []  # nothing was asked of arXiv without the lock

    own_redis.start()
    run = harvest.harvest_category(category_id=category.pk)
    assert run.status == "ok"
    assert Paper.objects.filter(categories=category).count() == 30
