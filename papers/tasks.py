"""Thin Celery tasks: they take ids, call the harvesting service, and return the HarvestRun id. Services
import this module at the top; the tasks import services in their bodies, so no import runs in a circle."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Category

logger = logging.getLogger(__name__)

# Late acks and reject-on-worker-lost re-deliver a task whose worker died; the harvest is idempotent,
# and the time limits keep a stuck request from holding a category forever.
HARVEST_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.HARVEST_TIME_LIMIT - 60,
    "time_limit": settings.HARVEST_TIME_LIMIT,
}


@shared_task(**HARVEST_TASK)
def harvest_category(category_id: int, since: str | None = None) -> int | None:
    from . import harvest

    try:
        run = harvest.harvest_category(category_id=category_id, since=datetime.fromisoformat(since) if since else None)
    except harvest.HarvestAlreadyRunning as error:
        logger.info("skipped: %s", error)
        return None
    return run.pk


@shared_task(**HARVEST_TASK)
def harvest_listing() -> int | None:
    from . import harvest

    try:
        return harvest.harvest_listing().pk
    except harvest.HarvestAlreadyRunning as error:
        logger.info("skipped: %s", error)
        return None


TICK_MINUTES = 5


@shared_task(acks_late=True)
def harvest_all() -> int:
    """What beat schedules: one task per offered category, plus the day's listing.

    Once per tick: a second beat started by mistake (or two schedules due together) finds the tick
    claimed in the cache and queues nothing, so each category is harvested once per interval.
    """
    now = timezone.now()
    tick = now.replace(minute=now.minute - now.minute % TICK_MINUTES, second=0, microsecond=0)
    if not cache.add(f"papers:harvest-all:{tick:%Y%m%d%H%M}", True, timeout=TICK_MINUTES * 120):
        logger.info("skipped: this tick's harvest was queued already")
        return 0
    ids = list(Category.objects.offered().values_list("id", flat=True))
    for category_id in ids:
        harvest_category.delay_on_commit(category_id)
    harvest_listing.delay_on_commit()
    return len(ids)


@shared_task(acks_late=True)
def compute_features(paper_ids: list[int]) -> int:
    """Vectors of papers that just entered the catalog or changed; queued on commit by the upsert."""
    from .features.store import compute_features as compute

    return compute(paper_ids=paper_ids)
