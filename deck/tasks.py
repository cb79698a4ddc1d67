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
