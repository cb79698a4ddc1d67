"""What the admin's Health page reads. A fixed number of queries whatever the size of the data, each on an index:
the big tables are read only over a recent window, found through their primary key (`_last_pk_before`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import redis
from celery import states
from django.db.models import Model, OuterRef, Subquery
from django.db.models.functions import Mod
from django.utils import timezone
from django_celery_results.models import TaskResult
from kombu.transport.redis import PRIORITY_STEPS, Channel

from accounts.models import User
from deck.models import DigestSent, QueueStamp, Swipe
from deck.ranking.queues import STALE_BATCH, stale_readers
from papers.models import Category, HarvestRun
from paperswipe.celery import app

from .models import DigestFailure, QueueRebuild
from .receivers import PUBLISHED_AT

LAG_WINDOW = timedelta(hours=1)
LAG_SAMPLE = 10_000  # decisions read for the percentiles; a busier hour is read every n-th decision
FAILURE_WINDOW = timedelta(days=1)
SHOWN = 10  # rows of each list on the page


# ---------------------------------------------------------------- the task queues


@dataclass(frozen=True)
class QueueDepth:
    name: str
    waiting: int
    oldest: timedelta | None  # None: empty, or its oldest task was queued without a time (before this page)


@dataclass(frozen=True)
class Broker:
    in_process: bool = False  # no broker (no REDIS_URL): every task runs in the process that queues it
    error: str = ""
    queues: list[QueueDepth] = field(default_factory=list)


def broker(*, now: datetime) -> Broker:
    """How many tasks wait in each queue, and for how long the oldest has waited.

    kombu's Redis transport keeps a queue as one Redis list per priority step (`rank`, then `rank\\x06\\x163`, ...),
    pushes on the left (LPUSH) and takes from the right (BRPOP): the oldest message of a list is its last element.
    A message is the JSON kombu writes, with Celery's headers, where `receivers.stamp_publish_time` put the time.
    """
    if app.conf.task_always_eager:
        return Broker(in_process=True)
    options = app.conf.broker_transport_options or {}
    steps = options.get("priority_steps", PRIORITY_STEPS)
    prefix = options.get("global_keyprefix", "")
    names = [queue.name for queue in app.conf.task_queues]
    keys = {name: [prefix + (f"{name}{Channel.sep}{step}" if step else name) for step in steps] for name in names}
    # The page must answer when Redis does not: short timeouts, and the error shown instead of the figures.
    client = redis.Redis.from_url(app.conf.broker_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for key in keys[name]:
                    pipe.llen(key)
                    pipe.lindex(key, -1)
            replies = iter(pipe.execute())
    except redis.RedisError as error:
        return Broker(error=f"{type(error).__name__}: {error}")
    finally:
        client.close()
    queues = []
    for name in names:
        waiting, published = 0, []
        for _ in keys[name]:
            length, oldest = next(replies), next(replies)
            waiting += length
            if oldest is not None and (at := _published_at(oldest)) is not None:
                published.append(at)
        age = timedelta(seconds=max(0.0, now.timestamp() - min(published))) if published else None
        queues.append(QueueDepth(name=name, waiting=waiting, oldest=age))
    return Broker(queues=queues)


def _published_at(message: bytes) -> float | None:
    try:
        value = json.loads(message)["headers"][PUBLISHED_AT]
    except (ValueError, TypeError, KeyError):
        return None
    return float(value) if isinstance(value, int | float) else None


# ---------------------------------------------------------------- the learning lag


@dataclass(frozen=True)
class LearningLag:
    decisions: int  # made in the window
    step: int  # every step-th of them was read
    learned: list[timedelta]  # decision → the first rebuild of the reader's queue built from a time after it
    learned_unrecorded: int  # in the queue, but rebuilt before the history of rebuilds began (or was pruned)
    waiting: list[timedelta]  # not in the queue yet: how long each has waited so far
    p50: timedelta | None = None
    p90: timedelta | None = None
    waiting_p50: timedelta | None = None
    waiting_p90: timedelta | None = None

    @property
    def oldest_waiting(self) -> timedelta | None:
        return max(self.waiting, default=None)


def learning_lag(*, now: datetime) -> LearningLag:
    """How long the decisions of the last hour took to reach the order of the deck.

    `QueueStamp.built_from` is the time up to which a reader's decisions are in the model that ordered their
    queue: a decision before it has been learned, one after it waits. The stamp holds the latest rebuild only;
    when a decision was first learned comes from the history of rebuilds (`QueueRebuild`).
    """
    since = now - LAG_WINDOW
    decisions = Swipe.objects.filter(pk__gt=_last_pk_before(Swipe, "created_at", since), created_at__gte=since)
    total = decisions.count()
    step = max(1, math.ceil(total / LAG_SAMPLE))
    stamp = QueueStamp.objects.filter(user=OuterRef("user")).values("built_from")
    reached = (
        QueueRebuild.objects.filter(user=OuterRef("user"), built_from__gt=OuterRef("created_at"))
        .order_by("written_at")
        .values("written_at")[:1]
    )
    sample = decisions.annotate(stamp=Subquery(stamp), reached=Subquery(reached))
    if step > 1:  # every step-th by id, spread over the whole hour
        sample = sample.annotate(nth=Mod("pk", step)).filter(nth=0)
    learned: list[timedelta] = []
    waiting: list[timedelta] = []
    unrecorded = 0
    for created_at, stamped, reached_at in sample.values_list("created_at", "stamp", "reached"):
        if reached_at is not None:
            learned.append(reached_at - created_at)
        elif stamped is not None and stamped > created_at:
            unrecorded += 1
        else:
            waiting.append(now - created_at)
    p50, p90 = _percentiles(learned)
    waiting_p50, waiting_p90 = _percentiles(waiting)
    return LearningLag(
        decisions=total,
        step=step,
        learned=learned,
        learned_unrecorded=unrecorded,
        waiting=waiting,
        p50=p50,
        p90=p90,
        waiting_p50=waiting_p50,
        waiting_p90=waiting_p90,
    )


def _percentiles(values: list[timedelta]) -> tuple[timedelta | None, timedelta | None]:
    if not values:
        return None, None
    p50, p90 = np.percentile([v.total_seconds() for v in values], [50, 90])
    return timedelta(seconds=float(p50)), timedelta(seconds=float(p90))


# ---------------------------------------------------------------- stale decks


@dataclass(frozen=True)
class StaleDecks:
    count: int
    capped: bool  # `stale_readers` stops at STALE_BATCH
    first: list[User]


def stale_decks(*, now: datetime) -> StaleDecks:
    """Readers with a decision or an interest newer than their queue (`deck.ranking.queues.stale_readers`): mostly a
    rerank that has not run yet; one that stays here lost its rerank, which `rerank_stale` queues again."""
    ids = stale_readers(now=now)
    first = list(User.objects.filter(pk__in=ids[:SHOWN]).order_by("pk").only("pk", "email"))
    return StaleDecks(count=len(ids), capped=len(ids) >= STALE_BATCH, first=first)


# ---------------------------------------------------------------- harvests


def harvests() -> list[Category]:
    """Each offered category with its harvest state (complete through `harvested_through`, but for the gap
    (`gap_from`, `gap_until`] a failed run left) and `last_ok`: when its last successful run finished."""
    # By started_at, which no index orders: the plan reads the category's own runs (its foreign key's index)
    # rather than the whole table backwards by id, looking for a category that never succeeded.
    last_ok = (
        HarvestRun.objects.filter(category=OuterRef("pk"), status=HarvestRun.Status.OK)
        .order_by("-started_at")
        .values("finished_at")[:1]
    )
    return list(Category.objects.offered().annotate(last_ok=Subquery(last_ok)).order_by("code"))


# ---------------------------------------------------------------- digests


@dataclass(frozen=True)
class Digests:
    since: datetime
    sent: int
    failed: int
    latest_failures: list[DigestFailure]


def digests(*, now: datetime) -> Digests:
    """Digests sent and failed since midnight (the server's time zone). A failed one is tried again by the
    next tick, so one reader's digest can fail more than once."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = DigestSent.objects.filter(pk__gt=_last_pk_before(DigestSent, "sent_at", today), sent_at__gte=today)
    failures = DigestFailure.objects.filter(failed_at__gte=today)
    return Digests(
        since=today,
        sent=sent.count(),
        failed=failures.count(),
        latest_failures=list(failures.select_related("user").order_by("-failed_at")[:SHOWN]),
    )


# ---------------------------------------------------------------- failures


@dataclass(frozen=True)
class TaskFailure:
    task: str
    arguments: str
    at: datetime
    error: str
    traceback: str


@dataclass(frozen=True)
class Failures:
    tasks: int
    latest_tasks: list[TaskFailure]
    harvests: int
    latest_harvests: list[HarvestRun]


def failures(*, now: datetime) -> Failures:
    """Tasks that failed in the last day (reranks, harvests and the rest: django-celery-results keeps only the
    failures), and harvest runs that failed or stopped part-way, which record their error and end their task
    normally."""
    since = now - FAILURE_WINDOW
    tasks = TaskResult.objects.filter(status=states.FAILURE, date_done__gte=since)
    runs = HarvestRun.objects.filter(
        pk__gt=_last_pk_before(HarvestRun, "started_at", since),
        started_at__gte=since,
        status__in=[HarvestRun.Status.FAILED, HarvestRun.Status.PARTIAL],
    )
    latest_tasks = tasks.order_by("-date_done").only(
        "task_name", "task_args", "task_kwargs", "date_done", "result", "traceback"
    )[:SHOWN]
    return Failures(
        tasks=tasks.count(),
        latest_tasks=[_task_failure(result) for result in latest_tasks],
        harvests=runs.count(),
        latest_harvests=list(runs.select_related("category").order_by("-pk")[:SHOWN]),
    )


def _task_failure(result: TaskResult) -> TaskFailure:
    # The backend stores the exception as Celery's JSON: {"exc_type": ..., "exc_message": [...], ...}.
    try:
        exception = json.loads(result.result or "")
        error = f"{exception['exc_type']}: {' '.join(str(part) for part in exception['exc_message'])}"
    except (ValueError, TypeError, KeyError):
        error = result.result or ""
    arguments = ", ".join(part for part in (result.task_args, result.task_kwargs) if part and part not in ("()", "{}"))
    return TaskFailure(
        task=result.task_name or "?",
        arguments=arguments,
        at=result.date_done,
        error=error,
        traceback=result.traceback or "",
    )


# ---------------------------------------------------------------- the page


@dataclass(frozen=True)
class Report:
    now: datetime
    broker: Broker
    lag: LearningLag
    stale: StaleDecks
    harvests: list[Category]
    digests: Digests
    failures: Failures


def report(*, now: datetime) -> Report:
    return Report(
        now=now,
        broker=broker(now=now),
        lag=learning_lag(now=now),
        stale=stale_decks(now=now),
        harvests=harvests(),
        digests=digests(now=now),
        failures=failures(now=now),
    )


def _last_pk_before(model: type[Model], field_name: str, moment: datetime) -> int:
    """The id of the newest row older than `moment`, in a table whose rows are stamped when they are inserted
    (swipes, harvest runs, digests sent): ids grow with that time, so the rows from `moment` on are the ids
    after this one, a range of the primary key. This query reads the primary key from its end until it meets
    an older row: only the window's rows, whatever the table's size, and no index on the time is needed.
    (Two inserts racing across `moment` may swap by milliseconds; the window's filter on the time stays.)"""
    older = model._default_manager.filter(**{f"{field_name}__lt": moment}).order_by("-pk")
    return older.values_list("pk", flat=True).first() or 0
