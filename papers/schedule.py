"""When the next harvest is due, read from the beat schedules admins edit."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_celery_beat.models import PeriodicTask


def next_harvest_at(now: datetime | None = None) -> datetime | None:
    now = now or timezone.now()
    due = []
    for task in PeriodicTask.objects.filter(enabled=True, task="papers.tasks.harvest_all").select_related(
        "crontab", "interval"
    ):
        schedule = task.schedule  # a celery crontab or interval schedule, timezone-aware
        remaining = schedule.remaining_estimate(task.last_run_at or now)
        due.append(max(now, (task.last_run_at or now) + remaining))
    return min(due) if due else None
