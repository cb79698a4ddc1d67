"""When the next harvest is due, read from the beat schedules admins edit."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

NEXT_HARVEST_TTL = 60  # the "all caught up" page shows it; a minute late is fine, a query per visit is not


def next_harvest_at(now: datetime | None = None) -> datetime | None:
    if now is not None:
        return _next_harvest_at(now)
    cached = cache.get("papers:next-harvest")
    if cached is None:
        cached = (_next_harvest_at(timezone.now()),)  # a tuple: "no harvest scheduled" is cached too
        cache.set("papers:next-harvest", cached, NEXT_HARVEST_TTL)
    return cached[0]


def _next_harvest_at(now: datetime) -> datetime | None:
    due = []
    for task in PeriodicTask.objects.filter(enabled=True, task="papers.tasks.harvest_all").select_related(
        "crontab", "interval"
    ):
        schedule = task.schedule  # a celery crontab or interval schedule, timezone-aware
        remaining = schedule.remaining_estimate(task.last_run_at or now)
        due.append(max(now, (task.last_run_at or now) + remaining))
    return min(due) if due else None
