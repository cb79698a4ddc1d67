"""The email digest: whose digest is due, what goes in it, and sending each one exactly once.

A digest's period ("daily 2026-11-29", "weekly 2026-W48") is read in the reader's own time zone.
A digest is due once the reader's chosen hour has come in the current period and nothing was sent
for that period yet. The hourly beat tick that comes first after the hour sends it; a tick missed
during downtime is made up by the next one, and on a day that skips the hour (DST) the next hour
sends it. A DigestSent row is claimed before the email leaves; its unique (user, period) stops a
second tick or worker.

The tick only finds who is due, a page of subscriptions at a time, and queues a task per BATCH_SIZE
readers (deck/tasks.py). A batch reads its readers' decks together (their queues in one query, each
paper once) and sends on one connection. A batch delivered twice, or a reader queued by two ticks,
still gets one digest: the batch skips a period already claimed, and the claim settles a race.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from papers.models import Paper

from .. import selectors, signals
from ..models import DigestSent, DigestSubscription, Interest
from . import links

logger = logging.getLogger(__name__)

Frequency = DigestSubscription.Frequency

# Subscriptions the tick reads per query: its memory stays the same whatever the number of readers.
PAGE_SIZE = 1000
# Readers per queued task: a couple of seconds of a worker's time, so that every worker process shares a
# busy hour and a task lost with its worker costs little; 100,000 readers are 1,000 small messages.
BATCH_SIZE = 100
# Queue rows read past the size of a reader with mutes: a card muted since the queue was written is
# dropped in hand.
SPARE = 10


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


def _subscribed(frequency: str = "") -> QuerySet[DigestSubscription]:
    """Subscriptions that can get a digest: not off, an active reader, the account's address verified."""
    verified = EmailAddress.objects.filter(user=OuterRef("user"), email=OuterRef("user__email"), verified=True)
    subscriptions = (
        DigestSubscription.objects.exclude(frequency=Frequency.OFF)
        .filter(user__is_active=True)
        .filter(Exists(verified))
        .select_related("user")
    )
    return subscriptions.filter(frequency=frequency) if frequency else subscriptions


def _unclaimed(
    subscriptions: Iterable[DigestSubscription], *, now: datetime, frequency: str
) -> list[tuple[DigestSubscription, str]]:
    """Those with a digest to send now and its period, less the periods already claimed: one query."""
    pending = [(s, period_of(s, now=now)[0]) for s in subscriptions if frequency or is_due(s, now=now)]
    if not pending:
        return []
    claims = DigestSent.objects.filter(
        user_id__in=[s.user_id for s, _ in pending], period__in={period for _, period in pending}
    )
    claimed = set(claims.values_list("user_id", "period"))
    return [(s, period) for s, period in pending if (s.user_id, period) not in claimed]


def due(*, now: datetime, frequency: str = "") -> Iterator[tuple[DigestSubscription, str]]:
    """Subscriptions with a digest to send now, and its period. With `frequency`, all of that frequency
    whose current period has none yet, whatever the hour (`send_digests --frequency`).

    Read a page at a time by primary key, each page with the claims of its own readers: no query holds
    every subscriber or every recent digest, and none stays open while the caller works.
    """
    after = 0
    while True:
        page = list(_subscribed(frequency).filter(pk__gt=after).order_by("pk")[:PAGE_SIZE])
        if not page:
            return
        after = page[-1].pk
        yield from _unclaimed(page, now=now, frequency=frequency)


def due_batches(*, now: datetime, frequency: str = "") -> Iterator[list[int]]:
    """The user ids of `due`, BATCH_SIZE at a time: what the tick queues, one task each."""
    batch: list[int] = []
    for subscription, _ in due(now=now, frequency=frequency):
        batch.append(subscription.user_id)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _mailed(user: User) -> QuerySet[Any]:
    """The papers earlier digests sent this reader: PostgreSQL hashes them once per query."""
    return DigestSent.papers.through.objects.filter(digestsent__user=user).values("paper_id")


def _queue_head(*, user: User, rows: int) -> list[int]:
    """The first `rows` paper ids of the reader's ranked queue, less what was decided since it was built
    and what an earlier digest sent. One narrow query on the (user, rank) index: the papers are read
    once for the whole batch."""
    queue = selectors.unseen_queue(user=user).exclude(paper__in=_mailed(user))
    return list(queue.values_list("paper_id", flat=True)[:rows])


def _newest_unseen(*, user: User, mutes: list[Interest], size: int) -> list[int]:
    """A reader without a ranked queue yet: the deck newest first (muted papers left out in SQL), less
    what an earlier digest sent."""
    deck = selectors.candidates(user=user, mutes=mutes).exclude(pk__in=_mailed(user))
    return list(deck.values_list("pk", flat=True)[:size])


def papers_for(subscriptions: Sequence[DigestSubscription]) -> dict[int, list[Paper]]:
    """Each reader's digest, by user id: the top unseen papers in deck order (the ranked queue, else
    newest first), never a muted one, less those an earlier digest sent; `selectors.top_unseen`'s rules.

    For a batch at once: a reader costs one narrow query of their own (the head of the queue, or the deck
    when there is no queue yet); their mutes are one query, and every paper is read once, however many of
    the batch's digests carry it.
    """
    if not subscriptions:
        return {}
    sizes = {s.user_id: s.size for s in subscriptions}
    mutes: dict[int, list[Interest]] = defaultdict(list)
    for mute in Interest.objects.filter(user_id__in=sizes, stance=Interest.Stance.MUTE):
        mutes[mute.user_id].append(mute)
    picked: dict[int, list[int]] = {}
    ranked: set[int] = set()
    for s in subscriptions:
        # Spare rows only for a reader with mutes: nothing else drops a card in hand.
        head = _queue_head(user=s.user, rows=s.size + (SPARE if mutes[s.user_id] else 0))
        if head:
            picked[s.user_id] = head
            ranked.add(s.user_id)
        else:
            picked[s.user_id] = _newest_unseen(user=s.user, mutes=mutes[s.user_id], size=s.size)
    wanted = {pk for ids in picked.values() for pk in ids}
    # Not the search vector: half of a paper's row, and no digest reads it.
    by_id = Paper.objects.select_related("primary_category").defer("search_vector").in_bulk(wanted)
    # A category mute is checked on a paper's categories: read for the papers it is checked on, not all.
    by_category = [uid for uid in ranked if any(m.kind == Interest.Kind.CATEGORY for m in mutes[uid])]
    prefetch_related_objects([by_id[pk] for uid in by_category for pk in picked[uid] if pk in by_id], "categories")
    digests: dict[int, list[Paper]] = {}
    for user_id, ids in picked.items():
        # Only queue rows are checked in hand: a rerank that started before a mute may have written them.
        in_hand = user_id in ranked
        chosen = [
            by_id[pk] for pk in ids if pk in by_id and not (in_hand and selectors.is_muted(by_id[pk], mutes[user_id]))
        ]
        digests[user_id] = chosen[: sizes[user_id]]
    return digests


def compose(*, user: User, papers: list[Paper], frequency: str) -> EmailMultiAlternatives:
    unsubscribe = links.unsubscribe_url(user=user)
    context = {
        "user": user,
        "frequency": frequency,
        "items": [{"paper": paper, "keep_url": links.keep_url(user=user, paper=paper)} for paper in papers],
        "site_url": links.absolute(""),
        "deck_url": links.absolute(reverse("deck:deck")),
        "settings_url": links.absolute(reverse("deck:digest_settings")),
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


def _claim_and_send(
    subscription: DigestSubscription, *, period: str, papers: list[Paper], connection: BaseEmailBackend | None
) -> bool:
    """Claim the period, then send. False when there is nothing new to send or another run claimed it."""
    user = subscription.user
    if not papers:
        return False  # an empty digest is noise; the period stays open for papers that arrive later
    try:
        with transaction.atomic():
            claim = DigestSent.objects.create(user=user, period=period)
            through = DigestSent.papers.through
            through.objects.bulk_create([through(digestsent_id=claim.pk, paper_id=paper.pk) for paper in papers])
    except IntegrityError:
        return False
    try:
        message = compose(user=user, papers=papers, frequency=subscription.frequency)
        if connection is not None:
            connection.open()  # once per batch: no-op while it is open; inside the try, as it may fail
            message.connection = connection
        message.send(fail_silently=False)
    except Exception:
        # Not sent: give the period back so that the next tick tries again.
        DigestSent.objects.filter(pk=claim.pk).delete()
        logger.exception("The %s digest of user %s was not sent", period, user.pk)
        # Robust: a receiver that fails (the Health page's record) must not stop the rest of the batch.
        signals.digest_failed.send_robust(sender=DigestSent, user=user, period=period)
        return False
    return True


def send_one(subscription: DigestSubscription, *, period: str, connection: BaseEmailBackend | None = None) -> bool:
    """One reader's digest for `period`, whether due or not: claim it, then send. False when there is
    nothing new to send or another run claimed it."""
    papers = papers_for([subscription])[subscription.user_id]
    return _claim_and_send(subscription, period=period, papers=papers, connection=connection)


def send_batch(
    *, user_ids: Sequence[int], now: datetime, frequency: str = "", connection: BaseEmailBackend | None = None
) -> int:
    """Send the digests of these readers that are due at `now`, the tick that found them; returns how many
    went out. Read again here: a reader who unsubscribed, or whose digest went out since (a batch
    delivered twice, a second tick), is skipped; two copies of a batch at once send each digest once."""
    subscriptions = _subscribed(frequency).filter(user_id__in=list(user_ids)).order_by("pk")
    pending = _unclaimed(subscriptions, now=now, frequency=frequency)
    papers = papers_for([subscription for subscription, _ in pending])
    shared = connection or get_connection()
    try:
        return sum(
            _claim_and_send(s, period=period, papers=papers[s.user_id], connection=shared) for s, period in pending
        )
    finally:
        if connection is None:
            shared.close()


def send_due(*, now: datetime, frequency: str = "") -> int:
    """Send every digest due now (or every one of `frequency`) in this process, a batch after another, on
    one connection; returns how many went out. The hourly tick queues the batches to workers instead."""
    connection = get_connection()
    try:
        return sum(
            send_batch(user_ids=user_ids, now=now, frequency=frequency, connection=connection)
            for user_ids in due_batches(now=now, frequency=frequency)
        )
    finally:
        connection.close()
