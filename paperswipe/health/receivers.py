"""Receivers that record what the Health page reads and nothing else keeps."""

from __future__ import annotations

import time
import traceback

from accounts.models import User
from deck.models import QueueStamp

from .models import DigestFailure, QueueRebuild

# A header of each task message: when it was queued (Unix time). Celery's own headers have no time.
PUBLISHED_AT = "paperswipe_published_at"


def stamp_publish_time(headers: dict[str, object] | None = None, **kwargs: object) -> None:
    """Celery's `before_task_publish`: the message carries the time it was queued, so that the age of the oldest
    waiting task can be read from the broker."""
    if headers is not None:
        headers.setdefault(PUBLISHED_AT, time.time())


def queue_rebuilt(
    sender: type[QueueStamp],
    instance: QueueStamp,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: object,
) -> None:
    """A reader's queue was rebuilt (`deck.ranking.queues._stamp`): its history, for the learning lag. One
    insert, in the rerank's own transaction."""
    if raw or (update_fields is not None and "built_from" not in update_fields):
        return
    QueueRebuild.objects.create(user_id=instance.user_id, built_from=instance.built_from)


def digest_failed(sender: object, user: User, period: str, **kwargs: object) -> None:
    """Sent from inside the `except` that caught the error, so the traceback is the current exception's."""
    DigestFailure.objects.create(user=user, period=period, error=traceback.format_exc())
