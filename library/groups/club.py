"""The week's journal club: each group's pick, and the email that tells its members.

A week is an ISO week in UTC, Monday to Monday. A vote counts in the week it was cast (a member may give an
entry a vote again in a later week, and cannot take back one of a week that is over); the week's pick is the
entry of the group's lists with the most votes of that week by its members, ties to the one added first. The group
page shows this week's pick so far and last week's. Once a week has ended, the hourly beat tick emails
its pick to every member who has not turned the email off: a ClubEmailSent row is claimed before each
email leaves, so a second tick or worker sends nothing twice, and a tick missed during downtime is made
up by the next one (any tick of the following week).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse

from ..models import ClubEmailSent, Group, Membership, ReadingListEntry

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "library.groups.club.unsubscribe"


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday 00:00 UTC

    @classmethod
    def of(cls, moment: datetime) -> Week:
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(day - timedelta(days=day.weekday()))

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    @property
    def day(self) -> date:
        """Its Monday, as a vote stores its week."""
        return self.start.date()

    @property
    def before(self) -> Week:
        return Week(self.start - timedelta(days=7))

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


def pick_of(group: Group, week: Week, *, entry_id: int | None = None) -> ReadingListEntry | None:
    """The entry with the most votes of the week (`votes_that_week`) by the group's members, ties to the
    earliest added; `entry_id`: that entry's tally (the pick a first email of the week named)."""
    entries = ReadingListEntry.objects.filter(pk=entry_id) if entry_id else ReadingListEntry.objects.all()
    return (
        entries.filter(reading_list__group=group, votes__week=week.day, votes__user__memberships__group=group)
        .annotate(votes_that_week=Count("votes"))
        .select_related("paper", "reading_list", "added_by")
        .order_by("-votes_that_week", "added_at", "id")
        .first()
    )


def unsubscribe_url(membership: Membership) -> str:
    token = signing.dumps(membership.pk, salt=UNSUBSCRIBE_SALT)
    return f"{settings.SITE_URL}{reverse('library:club_unsubscribe', args=[token])}"


def membership_from_unsubscribe_token(token: str) -> int:
    """The membership id a one-click unsubscribe names; raises signing.BadSignature for anything forged."""
    membership_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(membership_id, int):
        raise signing.BadSignature("not a membership id")
    return membership_id


def compose(*, membership: Membership, pick: ReadingListEntry, week: Week) -> EmailMultiAlternatives:
    group = membership.group
    assert pick.reading_list.slug
    unsubscribe = unsubscribe_url(membership)
    context = {
        "group": group,
        "pick": pick,
        "paper": pick.paper,
        "week": week,
        "votes": pick.votes_that_week,  # type: ignore[attr-defined]
        "entry_url": settings.SITE_URL
        + reverse("library:group_entry", args=[group.slug, pick.reading_list.slug, pick.pk]),
        "group_url": settings.SITE_URL + reverse("library:group", args=[group.slug]),
        "unsubscribe_url": unsubscribe,
    }
    subject = " ".join(render_to_string("library/email/club_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("library/email/club.txt", context),
        to=[membership.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("library/email/club.html", context), "text/html")
    return message


def send_week(*, week: Week) -> int:
    """Email each group's pick of `week` to its members who want it and have not had it; returns how many."""
    sent = 0
    connection = get_connection()
    try:
        for group in Group.objects.filter(lists__entries__votes__week=week.day).distinct().iterator():
            # Every member gets the same pick: the one the week's first email named, while it is still there.
            named = ClubEmailSent.objects.filter(group=group, week=week.label).exclude(entry=None).first()
            pick = (named and pick_of(group, week, entry_id=named.entry_id)) or pick_of(group, week)
            if pick is None:
                continue
            waiting = (
                Membership.objects.filter(group=group, club_email=True)
                .exclude(user__in=ClubEmailSent.objects.filter(group=group, week=week.label).values("user"))
                .select_related("user", "group")
            )
            for membership in waiting:
                sent += _claim_and_send(membership, pick=pick, week=week, connection=connection)
    finally:
        connection.close()
    return sent


def _claim_and_send(
    membership: Membership, *, pick: ReadingListEntry, week: Week, connection: BaseEmailBackend
) -> bool:
    try:
        with transaction.atomic():
            claim = ClubEmailSent.objects.create(
                group=membership.group, user=membership.user, week=week.label, entry=pick
            )
    except IntegrityError:
        return False  # another tick or worker has it
    try:
        message = compose(membership=membership, pick=pick, week=week)
        message.connection = connection
        message.send(fail_silently=False)
    except Exception:
        ClubEmailSent.objects.filter(pk=claim.pk).delete()  # the next tick tries again
        logger.exception("The %s journal club email of membership %s was not sent", week.label, membership.pk)
        return False
    return True
