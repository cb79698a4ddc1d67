"""Writes on a user's data: decisions, undo, followed categories, the default reading list."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from papers.models import Category, Paper

from .models import ReadingList, ReadingListEntry, Swipe, User


def default_list(user: User) -> ReadingList:
    reading_list, _ = ReadingList.objects.get_or_create(
        user=user, is_default=True, defaults={"name": ReadingList.DEFAULT_NAME, "slug": "reading-list"}
    )
    return reading_list


def create_default_list(sender: type, instance: User, created: bool, raw: bool = False, **kwargs: object) -> None:
    """Every new user starts with "Reading list", so that "Save to…" always has a place to save."""
    if created and not raw:
        default_list(instance)


@transaction.atomic
def decide(*, user: User, paper: Paper, decision: str, source: str = Swipe.Source.BUTTON) -> tuple[Swipe, bool]:
    """Record a keep or a skip once. A repeat (double click, replayed request, second tab) changes nothing.

    Returns (swipe, created). Keep also puts the paper in the user's default reading list.
    """
    try:
        with transaction.atomic():
            swipe = Swipe.objects.create(user=user, paper=paper, decision=decision, source=source)
    except IntegrityError:
        # The unique (user, paper) constraint caught a concurrent or repeated decision.
        return Swipe.objects.get(user=user, paper=paper), False
    if decision == Swipe.Decision.KEEP:
        _, swipe.filled_list = add_to_list(reading_list=default_list(user), paper=paper)
        if swipe.filled_list:
            swipe.save(update_fields=["filled_list"])
    return swipe, True


@transaction.atomic
def undo_last(*, user: User) -> Paper | None:
    """Take back the latest decision and its side effects; returns the paper, to show it again."""
    swipe = Swipe.objects.select_for_update().filter(user=user).order_by("-created_at", "-id").first()
    if swipe is None:
        return None
    if swipe.decision == Swipe.Decision.KEEP and swipe.filled_list:
        _remove_from_default_list(user, swipe.paper)
    swipe.delete()
    return swipe.paper


@transaction.atomic
def change_decision(*, user: User, swipe_id: int, decision: str) -> Swipe:
    """Turn a past keep into a skip or back, from the history page. Another user's swipe is not found."""
    swipe = Swipe.objects.select_for_update().select_related("paper").get(pk=swipe_id, user=user)
    if swipe.decision == decision:
        return swipe
    swipe.decision = decision
    if decision == Swipe.Decision.KEEP:
        _, swipe.filled_list = add_to_list(reading_list=default_list(user), paper=swipe.paper)
    elif swipe.filled_list:
        _remove_from_default_list(user, swipe.paper)
        swipe.filled_list = False
    swipe.save(update_fields=["decision", "filled_list"])
    return swipe


def follow_categories(*, user: User, category_ids: Iterable[int]) -> list[Category]:
    """Replace what the user follows with these offered categories; anything not offered is ignored."""
    categories = list(Category.objects.offered().filter(pk__in=list(category_ids)))
    user.followed_categories.set(categories)
    return categories


def _remove_from_default_list(user: User, paper: Paper) -> None:
    """Take out what a keep put in, unless the user has since worked on the entry."""
    ReadingListEntry.objects.filter(
        reading_list__user=user,
        reading_list__is_default=True,
        paper=paper,
        note="",
        state=ReadingListEntry.State.UNREAD,
    ).delete()


def add_to_list(*, reading_list: ReadingList, paper: Paper) -> tuple[ReadingListEntry, bool]:
    """Put a paper in a list once; the version it has now is the one the user has seen."""
    return ReadingListEntry.objects.get_or_create(
        reading_list=reading_list, paper=paper, defaults={"seen_version": paper.version or 0}
    )


class ListError(ValueError):
    """A list operation the user asked for that cannot be done, with a message to show."""


def create_list(*, user: User, name: str) -> ReadingList:
    name = name.strip()
    if not name:
        raise ListError("A list needs a name.")
    if len(name) > 100:
        raise ListError("List names are at most 100 characters.")
    position = (ReadingList.objects.filter(user=user).aggregate(m=Max("position"))["m"] or 0) + 1
    return ReadingList.objects.create(user=user, name=name, slug=_unique_slug(user, name), position=position)


def rename_list(*, reading_list: ReadingList, name: str) -> ReadingList:
    if reading_list.is_default:
        raise ListError("The default reading list keeps its name.")
    name = name.strip()
    if not name or len(name) > 100:
        raise ListError("List names are 1 to 100 characters.")
    reading_list.name = name
    reading_list.slug = _unique_slug(reading_list.user, name, exclude=reading_list.pk)
    reading_list.save(update_fields=["name", "slug"])
    return reading_list


def delete_list(*, reading_list: ReadingList) -> None:
    if reading_list.is_default:
        raise ListError("The default reading list cannot be deleted.")
    reading_list.delete()


@transaction.atomic
def move_list(*, reading_list: ReadingList, offset: int) -> None:
    """Move a named list up (-1) or down (+1) among the user's lists; the default list stays first."""
    if reading_list.is_default:
        raise ListError("The default reading list always comes first.")
    lists = list(ReadingList.objects.select_for_update().filter(user=reading_list.user, is_default=False))
    index = next(i for i, rl in enumerate(lists) if rl.pk == reading_list.pk)
    target = min(max(index + offset, 0), len(lists) - 1)
    lists.insert(target, lists.pop(index))
    for position, rl in enumerate(lists, start=1):
        rl.position = position
    ReadingList.objects.bulk_update(lists, ["position"])


@transaction.atomic
def copy_entries(*, entries: Iterable[ReadingListEntry], target: ReadingList, move: bool) -> int:
    """Copy (or move) entries into another list of the same user, keeping state and note."""
    count = 0
    for entry in entries:
        if entry.reading_list.user_id != target.user_id:
            raise ListError("That list is not yours.")
        if entry.reading_list_id == target.pk:
            continue
        copy, created = add_to_list(reading_list=target, paper=entry.paper)
        if created:
            copy.state, copy.note, copy.seen_version = entry.state, entry.note, entry.seen_version
        else:  # already there: keep both notes and the further reading state
            copy.note = "\n\n".join(n for n in (copy.note, entry.note) if n)[: ReadingListEntry.NOTE_MAX]
            states = list(ReadingListEntry.State.values)
            copy.state = max(copy.state, entry.state, key=states.index)
        copy.save(update_fields=["state", "note", "seen_version"])
        if move:
            entry.delete()
        count += 1
    return count


def update_entry(*, entry: ReadingListEntry, state: str | None = None, note: str | None = None) -> ReadingListEntry:
    if state is not None:
        if state not in ReadingListEntry.State.values:
            raise ListError("The reading state is unread, reading or read.")
        entry.state = state
    if note is not None:
        if len(note) > ReadingListEntry.NOTE_MAX:
            raise ListError(f"Notes are at most {ReadingListEntry.NOTE_MAX:,} characters.")
        entry.note = note
    entry.save(update_fields=["state", "note"])
    return entry


def share_list(*, reading_list: ReadingList) -> ReadingList:
    if not reading_list.share_token:
        reading_list.share_token = secrets.token_urlsafe(32)
        reading_list.save(update_fields=["share_token"])
    return reading_list


def unshare_list(*, reading_list: ReadingList) -> None:
    reading_list.share_token = None
    reading_list.save(update_fields=["share_token"])


def mark_seen(*, user: User, paper: Paper) -> None:
    """Opening a paper clears its "updated to vN" mark in every list of the user."""
    if paper.version:
        ReadingListEntry.objects.filter(reading_list__user=user, paper=paper, seen_version__lt=paper.version).update(
            seen_version=paper.version
        )


def delete_account(*, user: User) -> None:
    """Everything of the user goes with the account: decisions, lists, entries, notes, emails."""
    user.delete()


def _unique_slug(user: User, name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:100] or "list"
    taken = set(ReadingList.objects.filter(user=user).exclude(pk=exclude).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
