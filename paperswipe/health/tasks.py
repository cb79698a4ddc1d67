"""The Health page's own upkeep."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import DigestFailure, QueueRebuild

REBUILDS_KEPT = timedelta(days=1)  # the lag needs the last hour's; a day leaves room for a look back
DIGEST_FAILURES_KEPT = timedelta(days=7)


@shared_task
def prune() -> int:
    """Hourly from beat: the history the page reads, kept bounded. Returns how many rows went."""
    now = timezone.now()
    rebuilds, _ = QueueRebuild.objects.filter(written_at__lt=now - REBUILDS_KEPT).delete()
    digests, _ = DigestFailure.objects.filter(failed_at__lt=now - DIGEST_FAILURES_KEPT).delete()
    return rebuilds + digests
