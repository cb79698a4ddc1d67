"""Thin Celery tasks of the deck: they take ids and call the ranker."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from accounts.models import User

# How long a queued rerank holds its place. A task that never ran (its worker died before taking it) stops
# holding it then, and `rerank_stale` finds the reader meanwhile.
PENDING_SECONDS = 600


def _pending_key(user_id: int) -> str:
    return f"deck:rerank-pending:{user_id}"


def rerank_on_commit(user_id: int) -> None:
    """The one way to ask for a rerank after a write: once its transaction commits, so that the worker reads
    what was written (at once outside a transaction). Robust: a broker that fails is logged, and rerank_stale
    finds the reader later; the decision or change that asked stands."""
    transaction.on_commit(lambda: queue_rerank(user_id), robust=True)  # a lambda: robust logs its __qualname__


def queue_rerank(user_id: int) -> None:
    """Ask for a rerank of this reader, unless one is queued and not started: that one will read every
    decision made before it starts. So the rank queue holds at most one task per reader, at any load."""
    if not cache.add(_pending_key(user_id), 1, PENDING_SECONDS):
        return
    try:
        rerank.delay(user_id)
    except Exception:
        cache.delete(_pending_key(user_id))  # nothing is queued: the next decision must be able to ask
        raise


@shared_task(acks_late=True)
def rerank(user_id: int) -> int:
    """Bring one reader's model and queue up to date; queued on commit after decisions, undo and changes."""
    from .ranking.queues import update_queue

    # Before reading anything: a decision from now on queues the next rerank instead of joining this one.
    cache.delete(_pending_key(user_id))
    user = User.objects.filter(pk=user_id).first()
    return update_queue(user=user) if user else 0


@shared_task(acks_late=True)
def merge_new_papers(user_ids: list[int], paper_ids: list[int]) -> int:
    """After a harvest: a batch of followers get the new papers scored into their queues by their
    stored models, without a rerank of everything. Returns how many cards went in."""
    from .ranking.arrivals import merge_papers

    return merge_papers(user_ids=user_ids, paper_ids=paper_ids)


@shared_task
def send_digests(frequency: str = "") -> int:
    """Hourly from beat: finds whose digest is due, a page at a time, and queues a `send_digest_batch` per
    BATCH_SIZE readers, so that every worker process sends. Runs twice safely: a reader queued twice gets
    one digest (deck/digest/sending.py). Returns how many batches were queued."""
    from django.utils import timezone

    from .digest.sending import due_batches

    now = timezone.now()
    queued = 0
    for user_ids in due_batches(now=now, frequency=frequency):
        # Plain delay, not on commit: nothing was written, and eagerly (`make run`) each batch sends at once.
        send_digest_batch.delay(user_ids, now.isoformat(), frequency)
        queued += 1
    return queued


# Late acks: a batch whose worker died is delivered again, and sends only what was not claimed yet.
@shared_task(acks_late=True)
def send_digest_batch(user_ids: list[int], now: str, frequency: str = "") -> int:
    """The digests of a batch of readers, due at `now` (the tick that found them, ISO 8601), so that a batch
    run late still sends the period it was queued for. Returns how many went out."""
    from datetime import datetime

    from .digest.sending import send_batch

    return send_batch(user_ids=user_ids, now=datetime.fromisoformat(now), frequency=frequency)


@shared_task
def rerank_stale() -> int:
    """Every few minutes from beat: queue the reranks that were lost (the broker was down when a decision
    asked for one). Returns how many were queued."""
    from .ranking.queues import stale_readers

    readers = stale_readers()
    for user_id in readers:
        cache.delete(_pending_key(user_id))  # a lost rerank's place is not held any longer
        queue_rerank(user_id)
    return len(readers)
