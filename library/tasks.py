"""Thin Celery tasks of the library: they take ids and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_to_zotero(send_id: int) -> int:
    """Carry out one "Send to Zotero" (library/zotero/sync.py); returns how many papers are there."""
    from .zotero.sync import run_send

    send = run_send(send_id=send_id)
    return send.sent if send else 0
