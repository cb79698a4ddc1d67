"""Thin Celery tasks of the library: they take ids and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_to_zotero(send_id: int) -> int:
    """Carry out one "Send to Zotero" (library/zotero/sync.py); returns how many papers are there."""
    from .zotero.sync import run_send

    send = run_send(send_id=send_id)
    return send.sent if send else 0


@shared_task
def send_group_invitation(invitation_id: int) -> bool:
    """The email of an invitation by email (library/groups/invitations.py)."""
    from .groups.invitations import send_invitation_email

    return send_invitation_email(invitation_id=invitation_id)


@shared_task
def send_club_emails() -> int:
    """Hourly: last week's journal club pick to each group's members who want it and have not had it."""
    from django.utils import timezone

    from .groups.club import Week, send_week

    return send_week(week=Week.of(timezone.now()).before)
