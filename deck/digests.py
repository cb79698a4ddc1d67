"""The email digest: whose digest is due, what goes in it, and sending each one exactly once.

A digest's period ("daily 2026-11-29", "weekly 2026-W48") is read in the reader's own time zone.
A digest is due once the reader's chosen hour has come in the current period and nothing was sent
for that period yet. The hourly beat tick that comes first after the hour sends it; a tick missed
during downtime is made up by the next one, and on a day that skips the hour (DST) the next hour
sends it. A DigestSent row is claimed before the email leaves; its unique (user, period) stops a
second tick or worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from papers.models import Paper

from . import digest_links, selectors
from .models import DigestSent, DigestSubscription

logger = logging.getLogger(__name__)

Frequency = DigestSubscription.Frequency


def period_of(subscription: DigestSubscription, *, now: datetime) -> tuple[str, datetime]:
    """The current period's key and the local wall-clock moment its digest is due."""
    local = now.astimezone(subscription.user.zone)
    day = local.date()
    if subscription.frequency == Frequency.WEEKLY:
        year, week, _ = day.isocalendar()
        monday = day - timedelta(days=day.weekday())
        return f"weekly {year}-W{week:02d}", datetime.combine(monday + timedelta(days=subscription.weekday), time())
    return f"daily {day.isoformat()}", datetime.combine(day, time())


def is_due(subscription: DigestSubscription, *, now: datetime) -> bool:
    """Wall-clock times compare naively: 02:00 on a day that jumps from 01:59 to 03:00 is due at 03:00.

    A reader who turns the digest on after today's hour gets the first one in the next period, not at
    the next tick.
    """
    _, day_start = period_of(subscription, now=now)
    moment = day_start + timedelta(hours=subscription.hour)
    zone = subscription.user.zone
    if now.astimezone(zone).replace(tzinfo=None) < moment:
        return False
    return subscription.changed_at is None or subscription.changed_at <= moment.replace(tzinfo=zone)


def next_send(subscription: DigestSubscription, *, now: datetime) -> datetime | None:
    """When the next digest goes out, in the reader's time zone, for the settings page; None when off."""
    if subscription.frequency == Frequency.OFF:
        return None
    zone = subscription.user.zone
    key, day_start = period_of(subscription, now=now)
    moment = (day_start + timedelta(hours=subscription.hour)).replace(tzinfo=zone)
    sent = subscription.pk and DigestSent.objects.filter(user_id=subscription.user_id, period=key).exists()
    if sent or (moment <= now and not is_due(subscription, now=now)):
        step = timedelta(days=7 if subscription.frequency == Frequency.WEEKLY else 1)
        moment = (day_start + step + timedelta(hours=subscription.hour)).replace(tzinfo=zone)
    elif moment <= now:
        moment = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)  # the next beat tick
    return moment.astimezone(zone)


def due(*, now: datetime, frequency: str = "") -> Iterator[tuple[DigestSubscription, str]]:
    """Subscriptions with a digest to send now, and its period. With `frequency`, all of that frequency
    whose current period has none yet, whatever the hour (`send_digests --frequency`)."""
    verified = EmailAddress.objects.filter(user=OuterRef("user"), email=OuterRef("user__email"), verified=True)
    subscriptions = (
        DigestSubscription.objects.exclude(frequency=Frequency.OFF)
        .filter(user__is_active=True)
        .filter(Exists(verified))
        .select_related("user")
        .order_by("pk")
    )
    if frequency:
        subscriptions = subscriptions.filter(frequency=frequency)
    # A week and a day back covers every current period in any time zone.
    recent = DigestSent.objects.filter(sent_at__gte=now - timedelta(days=8))
    claimed = set(recent.values_list("user_id", "period"))
    for subscription in subscriptions.iterator(chunk_size=2000):
        key, _ = period_of(subscription, now=now)
        if (subscription.user_id, key) in claimed:
            continue
        if frequency or is_due(subscription, now=now):
            yield subscription, key


def papers_for(*, user: User, size: int) -> list[Paper]:
    """The top unseen papers of the deck, in deck order, less those an earlier digest already sent."""
    mailed = DigestSent.papers.through.objects.filter(digestsent__user=user).values("paper_id")
    return selectors.top_unseen(user=user, limit=size, exclude=mailed)


def compose(*, user: User, papers: list[Paper], frequency: str) -> EmailMultiAlternatives:
    unsubscribe = digest_links.unsubscribe_url(user=user)
    context = {
        "user": user,
        "frequency": frequency,
        "items": [{"paper": paper, "keep_url": digest_links.keep_url(user=user, paper=paper)} for paper in papers],
        "site_url": digest_links.absolute(""),
        "deck_url": digest_links.absolute(reverse("deck:deck")),
        "settings_url": digest_links.absolute(reverse("deck:digest_settings")),
        "unsubscribe_url": unsubscribe,
    }
    subject = render_to_string("deck/email/digest_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("deck/email/digest.txt", context),
        to=[user.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe that POSTs to the link.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("deck/email/digest.html", context), "text/html")
    return message


def send_one(subscription: DigestSubscription, *, period: str, connection: BaseEmailBackend | None = None) -> bool:
    """Claim the period, then send. False when there is nothing new to send or another run claimed it."""
    user = subscription.user
    papers = papers_for(user=user, size=subscription.size)
    if not papers:
        return False  # an empty digest is noise; the period stays open for papers that arrive later
    try:
        with transaction.atomic():
            claim = DigestSent.objects.create(user=user, period=period)
            claim.papers.set(papers)
    except IntegrityError:
        return False
    try:
        message = compose(user=user, papers=papers, frequency=subscription.frequency)
        if connection is not None:
            connection.open()  # once per run: no-op while it is open; inside the try, as it may fail
            message.connection = connection
        message.send(fail_silently=False)
    except Exception:
        # Not sent: give the period back so that the next tick tries again.
        DigestSent.objects.filter(pk=claim.pk).delete()
        logger.exception("The %s digest of user %s was not sent", period, user.pk)
        return False
    return True


def send_due(*, now: datetime, frequency: str = "") -> int:
    """Send every digest due now (or every one of `frequency`); returns how many went out."""
    sent = 0
    connection = get_connection()
    try:
        for subscription, period in due(now=now, frequency=frequency):
            sent += send_one(subscription, period=period, connection=connection)
    finally:
        connection.close()
    return sent
