"""Writes on the swipe history: a decision, its undo, and a change of mind from the history page."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from accounts.models import User
from accounts.services import lock_account
from library import selectors as library_selectors
from library import services as library_services
from library.models import ReadingList, ReadingListEntry
from papers.models import Category, Paper

from . import selectors, serving_log
from .models import (
    DeckCard,
    DeckSettings,
    DigestSubscription,
    ForgottenFeature,
    Interest,
    Postponed,
    ReaderModel,
    Swipe,
)
from .ranking import queues, reader_model
from .tasks import rerank_on_commit


def _learn_after_commit(user: User) -> None:
    """The ranker learns from every decision within seconds, in a task, never in the request."""
    rerank_on_commit(user.pk)


def _rescore_after_commit(user: User) -> None:
    """What the deck may show changed (mutes, follows, settings): every candidate is scored again."""
    queues.rescore_due(user=user)
    _learn_after_commit(user)


@transaction.atomic
def decide(
    *, user: User, paper: Paper, decision: str, source: str = Swipe.Source.BUTTON, origin: str = Swipe.Origin.PAGE
) -> tuple[Swipe, bool]:
    """Record a keep or a skip once. A repeat (double click, replayed request, second tab) changes nothing.

    Returns (swipe, created). Keep also puts the paper in the user's default reading list. `origin`: where the
    paper was shown (deck/serving_log.py).
    """
    return _record(user, paper, decision, source, origin)


class DecidedElsewhere(Exception):
    """A queued decision on a paper the reader had decided otherwise meanwhile (another device, another tab):
    the first decision stands."""

    def __init__(self, first: Swipe) -> None:
        super().__init__(f"{first.paper_id} was decided already")
        self.first = first


@dataclass(frozen=True)
class Decided:
    swipe: Swipe
    created: bool
    withdrawn: list[int]  # papers the decision moved back (queues.nudge_queue), which a page drops


@transaction.atomic
def decide_in_deck(
    *,
    user: User,
    paper: Paper,
    decision: str,
    source: str = Swipe.Source.BUTTON,
    origin: str = Swipe.Origin.DECK,
    reading_list: ReadingList | None = None,
    device_id: UUID | None = None,
) -> Decided:
    """A decision from the deck: recorded as `decide` does, and the next cards react at once, before the
    rerank (queues.nudge_queue), in the same transaction and under the same lock. A keep with
    `reading_list` ("Keep and save to <list>") goes to that list instead of the default one.

    `device_id`, the page's id of the decision, makes a resend (a queue sent again after a lost answer) the
    same decision; a different decision on the paper stored first raises DecidedElsewhere."""
    swipe, created = _record(user, paper, decision, source, origin, reading_list, device_id)
    if not created or not swipe.teaches:  # paused: the order stays as it is
        return Decided(swipe=swipe, created=created, withdrawn=[])
    withdrawn = queues.nudge_queue(user=user, paper_id=paper.pk, kept=swipe.decision == Swipe.Decision.KEEP)
    return Decided(swipe=swipe, created=True, withdrawn=withdrawn)


def _record(
    user: User,
    paper: Paper,
    decision: str,
    source: str,
    origin: str,
    reading_list: ReadingList | None = None,
    device_id: UUID | None = None,
) -> tuple[Swipe, bool]:
    lock_account(user)
    swipe = Swipe(
        user=user,
        paper=paper,
        decision=decision,
        source=source,
        origin=origin,
        created_at=timezone.now(),
        device_id=device_id,
    )
    swipe.teaches = not learning_paused(user=user)
    serving_log.note_served(swipe=swipe)
    if not _insert_once(swipe):
        # A unique constraint caught a repeat: (user, paper), a double click, where the first one stands; or
        # (user, device_id), the same decision sent again. Any other failure (the account deleted meanwhile)
        # raised in the INSERT and goes up.
        first = Swipe.objects.filter(user=user, paper=paper).first()
        if device_id is None and first is not None:
            return first, False
        if first is not None and first.device_id == device_id:
            return first, False
        raise DecidedElsewhere(first or Swipe.objects.get(user=user, device_id=device_id))
    DeckCard.objects.filter(user=user, paper=paper).delete()
    if swipe.teaches:
        _learn_after_commit(user)
    if decision == Swipe.Decision.KEEP:
        swipe.list_entry = _fill_list(user, paper, reading_list)
        if swipe.list_entry:
            swipe.save(update_fields=["list_entry"])
    return swipe, True


def _insert_once(swipe: Swipe) -> bool:
    """INSERT … ON CONFLICT DO NOTHING, on (user, paper) or (user, device_id): a repeat inserts nothing and
    raises nothing, so the decision's transaction needs no savepoint (two round trips of every decision).
    Sets the id and sends post_save as `create` would; False when a constraint caught a repeat."""
    fields = (
        "user_id",
        "paper_id",
        "decision",
        "source",
        "created_at",
        "teaches",
        "device_id",
        *serving_log.SERVED_FIELDS,
    )
    table, quote = Swipe._meta.db_table, connection.ops.quote_name
    columns = ", ".join(quote(field) for field in fields)
    sql = (
        f"INSERT INTO {quote(table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608 -- our own table
        f"ON CONFLICT DO NOTHING RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        columns_of = {field.attname: field for field in Swipe._meta.concrete_fields}
        cursor.execute(sql, [columns_of[f].get_db_prep_save(getattr(swipe, f), connection) for f in fields])
        row = cursor.fetchone()
    if row is None:
        return False
    swipe.pk = row[0]
    swipe._state.adding, swipe._state.db = False, connection.alias
    post_save.send(sender=Swipe, instance=swipe, created=True, update_fields=None, raw=False, using=connection.alias)
    return True


@transaction.atomic
def postpone(*, user: User, paper: Paper) -> Postponed:
    """ "Not now": the paper leaves the deck until the start of the reader's next day, then comes back in its
    place. Nothing is learned from it."""
    lock_account(user)
    now = timezone.now()
    tomorrow = now.astimezone(user.zone).date() + timedelta(days=1)
    until = datetime.combine(tomorrow, time.min, tzinfo=user.zone)
    postponed, _ = Postponed.objects.update_or_create(
        user=user, paper=paper, defaults={"until": until, "created_at": now}
    )
    return postponed


@transaction.atomic
def undo_last(*, user: User) -> Swipe | Postponed | None:
    """Take back the latest decision (a "Not now" too) and its side effects; returns it (deleted, its paper
    read), to say what was undone and show the paper again."""
    lock_account(user)
    swipe = Swipe.objects.select_for_update().filter(user=user).select_related("paper").order_by("-created_at", "-id")
    last = swipe.first()
    put_off = Postponed.objects.filter(user=user, until__gt=timezone.now()).select_related("paper")
    latest_put_off = put_off.order_by("-created_at").first()
    if latest_put_off is not None and (last is None or latest_put_off.created_at > last.created_at):
        return _bring_back(user, latest_put_off)
    if last is None:
        return None
    return _take_back(user, last)


@transaction.atomic
def undo_decision(*, user: User, device_id: UUID) -> Swipe | None:
    """Take back the decision the page made with this id, latest or not: an undo queued offline behind it.
    Sent twice, the second finds nothing."""
    lock_account(user)
    swipe = Swipe.objects.select_for_update().filter(user=user, device_id=device_id).select_related("paper").first()
    return None if swipe is None else _take_back(user, swipe)


@transaction.atomic
def undo_postponed(*, user: User, paper_id: int) -> Postponed | None:
    """Take back the "Not now" on this paper, latest or not: an undo queued offline. Sent twice, the second
    finds nothing."""
    lock_account(user)
    put_off = Postponed.objects.filter(user=user, paper_id=paper_id).select_related("paper").first()
    return None if put_off is None else _bring_back(user, put_off)


def _bring_back(user: User, put_off: Postponed) -> Postponed:
    put_off.delete()  # its queue row never left: the card is back in its place
    card = DeckCard.objects.filter(user=user, paper=put_off.paper).select_related("reason_paper").first()
    put_off.paper.deck_card = card  # type: ignore[attr-defined]
    return put_off


def _take_back(user: User, swipe: Swipe) -> Swipe:
    swipe.delete()
    reader_model.history_changed(user=user)  # a model cannot unlearn one decision: it is fitted again
    _learn_after_commit(user)
    if swipe.list_entry_id:
        library_services.take_out_untouched(entry_id=swipe.list_entry_id, user=user)
    # Back on top of the queue as it was served, reason and all; the page shows it with that reason.
    swipe.paper.deck_card = serving_log.restore_card(user=user, swipe=swipe)  # type: ignore[attr-defined]
    return swipe


@transaction.atomic
def change_decision(*, user: User, swipe_id: int, decision: str) -> Swipe:
    """Turn a past keep into a skip or back, from the history page.

    Raises Swipe.DoesNotExist for another user's swipe and for one undone a moment ago.
    """
    lock_account(user)
    swipe = Swipe.objects.select_for_update().select_related("paper").get(pk=swipe_id, user=user)
    if swipe.decision == decision:
        return swipe
    swipe.decision = decision
    swipe.source = Swipe.Source.HISTORY  # how the standing decision was given; how it was served stays
    reader_model.history_changed(user=user)
    _learn_after_commit(user)
    if decision == Swipe.Decision.KEEP:
        swipe.list_entry = _fill_list(user, swipe.paper)
    else:
        if swipe.list_entry_id:
            library_services.take_out_untouched(entry_id=swipe.list_entry_id, user=user)
        swipe.list_entry = None
    swipe.save(update_fields=["decision", "source", "list_entry"])
    return swipe


def _fill_list(user: User, paper: Paper, reading_list: ReadingList | None = None) -> ReadingListEntry | None:
    """The entry a keep creates in its list (the default one unless the reader chose), or None when the paper
    was there already."""
    the_list = reading_list or library_selectors.default_list(user=user)
    entry, created = library_services.add_to_list(reading_list=the_list, paper=paper, by=user)
    return entry if created else None


@transaction.atomic
def set_interest(*, user: User, kind: str, value: str, stance: str) -> None:
    """Follow or mute an author, a keyword or a category; a mute takes its papers out of the deck now.
    Following a category adds it to the followed categories, the one way a category is followed (the form
    checks that it is offered), and lifts a mute of it."""
    lock_account(user)
    if kind == Interest.Kind.CATEGORY and stance == Interest.Stance.FOLLOW:
        Interest.objects.filter(user=user, kind=kind, value=value).delete()
        user.followed_categories.add(Category.objects.get(code=value))  # its m2m signal reranks the deck
        selectors.forget_scope(user.pk)
        return
    interest, _ = Interest.objects.update_or_create(user=user, kind=kind, value=value, defaults={"stance": stance})
    selectors.forget_scope(user.pk)
    if stance == Interest.Stance.MUTE:
        muted = Paper.objects.filter(selectors.matching(interest)).values("pk")
        DeckCard.objects.filter(user=user, paper__in=muted).delete()
    _rescore_after_commit(user)


@transaction.atomic
def drop_interest(*, user: User, interest_id: int) -> None:
    """Raises Interest.DoesNotExist for another user's interest."""
    Interest.objects.get(pk=interest_id, user=user).delete()
    selectors.forget_scope(user.pk)
    _rescore_after_commit(user)


@transaction.atomic
def save_deck_settings(*, settings: DeckSettings) -> DeckSettings:
    lock_account(settings.user)
    settings.save()
    selectors.forget_scope(settings.user_id)
    _rescore_after_commit(settings.user)  # the queue follows the new choice
    return settings


@transaction.atomic
def reset_feed_token(*, user: User) -> DeckSettings:
    """A new private feed address; the old one answers 404 from now on."""
    deck_settings, _ = DeckSettings.objects.get_or_create(user=user)
    deck_settings.feed_token = secrets.token_urlsafe(32)
    deck_settings.save(update_fields=["feed_token"])
    selectors.forget_scope(user.pk)
    return deck_settings


@transaction.atomic
def save_digest(*, subscription: DigestSubscription, time_zone: str) -> DigestSubscription:
    """The digest's frequency, size and hour, and the reader's time zone that the hour is in."""
    user = subscription.user
    lock_account(user)
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
    subscription.save()
    return subscription


@transaction.atomic
def unsubscribe_digest(*, user: User) -> None:
    lock_account(user)
    DigestSubscription.objects.filter(user=user).update(frequency=DigestSubscription.Frequency.OFF)


def learning_paused(*, user: User) -> bool:
    deck_settings = selectors.scope_of(user=user).settings
    return bool(deck_settings and deck_settings.learning_paused)


@transaction.atomic
def pause_learning(*, user: User, paused: bool) -> None:
    """While paused, decisions are stored and shown in the history but teach the model nothing, and the deck's
    order stays as it is; resuming learns from the decisions made after."""
    lock_account(user)
    DeckSettings.objects.update_or_create(user=user, defaults={"learning_paused": paused})
    selectors.forget_scope(user.pk)


@transaction.atomic
def start_over(*, user: User) -> None:
    """A new model from now on: every decision and seed paper stays in the history, none teaches it any more."""
    lock_account(user)
    DeckSettings.objects.update_or_create(user=user, defaults={"learning_since": timezone.now()})
    selectors.forget_scope(user.pk)
    ReaderModel.objects.filter(user=user).delete()
    _rescore_after_commit(user)


@transaction.atomic
def forget_feature(*, user: User, kind: str, value: str, token: str) -> ForgottenFeature:
    """Take a term, an author or a category out of the reader's model until they keep a paper with it again."""
    lock_account(user)
    forgotten, _ = ForgottenFeature.objects.update_or_create(
        user=user, token=token, defaults={"kind": kind, "value": value}
    )
    reader_model.history_changed(user=user)  # the stored model is fitted again without it
    _rescore_after_commit(user)
    return forgotten


@transaction.atomic
def learn_again(*, user: User, forgotten_id: int) -> None:
    """Raises ForgottenFeature.DoesNotExist for another user's."""
    lock_account(user)
    ForgottenFeature.objects.get(pk=forgotten_id, user=user).delete()
    reader_model.history_changed(user=user)
    _rescore_after_commit(user)
