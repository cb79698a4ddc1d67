"""Thin Celery tasks of the deck: they take ids and call the ranker."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User


@shared_task(acks_late=True)
def rerank(user_id: int) -> int:
    """Rebuild one user's ranked deck; queued on commit after each decision, undo and change."""
    from .ranking import refresh_queue

    user = User.objects.filter(pk=user_id).first()
    return refresh_queue(user=user) if user else 0


@shared_task
def send_digests(frequency: str = "") -> int:
    """Hourly from beat: every email digest that is due. Runs twice safely (deck/digests.py)."""
    from django.utils import timezone

    from .digests import send_due

    return send_due(now=timezone.now(), frequency=frequency)


@shared_task
def rerank_stale() -> int:
    """Every few minutes from beat: queue the reranks that were lost (the broker was down when a decision
    asked for one). Returns how many were queued."""
    from .ranking import stale_readers

    readers = stale_readers()
    for user_id in readers:
        rerank.delay(user_id)
    return len(readers)
