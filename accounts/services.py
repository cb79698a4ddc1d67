"""Writes on a user's data: decisions, undo, followed categories, the default reading list."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from papers.models import Category, Paper

from .models import ReadingList, ReadingListEntry, Swipe, User


class AccountDeleted(Exception):
    """The account was deleted (in another session) while this request was writing to it."""


def lock_account(user: User) -> None:
    """Start a write on the user's data: it waits for an account deletion in progress, then fails cleanly.

    Every write takes this shared lock on the user's row first and the deletion takes it exclusively
    first, so the two never wait on each other's rows in opposite orders (a deadlock).
    """
    if not User.objects.select_for_update(no_key=True).filter(pk=user.pk).exists():
        raise AccountDeleted


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
    lock_account(user)
    try:
        with transaction.atomic():
            swipe = Swipe.objects.create(user=user, paper=paper, decision=decision, source=source)
    except IntegrityError:
        # The unique (user, paper) constraint caught a concurrent or repeated decision; anything else
        # (the account deleted meanwhile) is not a repeat and goes up.
        existing = Swipe.objects.filter(user=user, paper=paper).first()
        if existing is None:
            raise
        return existing, False
    if decision == Swipe.Decision.KEEP:
        swipe.list_entry = _fill_default_list(user, paper)
        if swipe.list_entry:
            swipe.save(update_fields=["list_entry"])
    return swipe, True


@transaction.atomic
def undo_last(*, user: User) -> Paper | None:
    """Take back the latest decision and its side effects; returns the paper, to show it again."""
    swipe = Swipe.objects.select_for_update().filter(user=user).select_related("paper").order_by("-created_at", "-id")
    swipe = swipe.first()
    if swipe is None:
        return None
    swipe.delete()
    _take_out(swipe.list_entry_id)
    return swipe.paper


@transaction.atomic
def change_decision(*, user: User, swipe_id: int, decision: str) -> Swipe:
    """Turn a past keep into a skip or back, from the history page.

    Raises Swipe.DoesNotExist for another user's swipe and for one undone a moment ago.
    """
    swipe = Swipe.objects.select_for_update().select_related("paper").get(pk=swipe_id, user=user)
    if swipe.decision == decision:
        return swipe
    swipe.decision = decision
    if decision == Swipe.Decision.KEEP:
        swipe.list_entry = _fill_default_list(user, swipe.paper)
    else:
        _take_out(swipe.list_entry_id)
        swipe.list_entry = None
    swipe.save(update_fields=["decision", "list_entry"])
    return swipe


def _fill_default_list(user: User, paper: Paper) -> ReadingListEntry | None:
    """The entry a keep creates in the default list, or None when the paper was there already."""
    entry, created = add_to_list(reading_list=default_list(user), paper=paper)
    return entry if created else None


def _take_out(entry_id: int | None) -> None:
    """Remove the entry a keep put in, unless the user has since worked on it (a note, a reading state)."""
    if entry_id:
        ReadingListEntry.objects.filter(pk=entry_id, note="", state=ReadingListEntry.State.UNREAD).delete()


def follow_categories(*, user: User, category_ids: Iterable[int]) -> list[Category]:
    """Replace what the user follows with these offered categories; anything not offered is ignored."""
    categories = list(Category.objects.offered().filter(pk__in=list(category_ids)))
    user.followed_categories.set(categories)
    return categories


def add_to_list(*, reading_list: ReadingList, paper: Paper) -> tuple[ReadingListEntry, bool]:
    """Put a paper in a list once; the version it has now is the one the user has seen."""
    return ReadingListEntry.objects.get_or_create(
        reading_list=reading_list, paper=paper, defaults={"seen_version": paper.version or 0}
    )


class ListError(ValueError):
    """A list operation the user asked for that cannot be done, with a message to show."""


@transaction.atomic
def create_list(*, user: User, name: str) -> ReadingList:
    """`name` comes cleaned by ListNameForm: visible characters only, within the field's length."""
    lock_account(user)
    position = (ReadingList.objects.filter(user=user).aggregate(m=Max("position"))["m"] or 0) + 1
    return ReadingList.objects.create(user=user, name=name, slug=_unique_slug(user, name), position=position)


def rename_list(*, reading_list: ReadingList, name: str) -> ReadingList:
    if reading_list.is_default:
        raise ListError("The default reading list keeps its name.")
    reading_list.name = name
    reading_list.slug = _unique_slug(reading_list.user, name, exclude=reading_list.pk)
    _save_fields(reading_list, "name", "slug")
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
    index = next((i for i, rl in enumerate(lists) if rl.pk == reading_list.pk), None)
    if index is None:
        raise ReadingList.DoesNotExist  # deleted in another tab a moment ago
    target = min(max(index + offset, 0), len(lists) - 1)
    lists.insert(target, lists.pop(index))
    for position, rl in enumerate(lists, start=1):
        rl.position = position
    ReadingList.objects.bulk_update(lists, ["position"])


@dataclass(frozen=True)
class CopyResult:
    copied: int
    refused: list[ReadingListEntry]  # left where they were: their notes together would be too long


@transaction.atomic
def copy_entries(*, entries: Iterable[ReadingListEntry], target: ReadingList, move: bool) -> CopyResult:
    """Copy (or move) entries into another list of the same user, keeping state and note.

    A paper already in the target keeps both notes, joined; when together they would pass the
    note limit, that entry is refused and both stay as they are: no text is ever cut.
    """
    copied, refused = 0, []
    states = list(ReadingListEntry.State.values)
    for entry in entries:
        if entry.reading_list.user_id != target.user_id:
            raise ListError("That list is not yours.")
        if entry.reading_list_id == target.pk:
            continue
        copy, created = add_to_list(reading_list=target, paper=entry.paper)
        if created:
            copy.state, copy.note, copy.seen_version = entry.state, entry.note, entry.seen_version
        else:
            note = "\n\n".join(n for n in (copy.note, entry.note) if n)
            if len(note) > ReadingListEntry.NOTE_MAX:
                refused.append(entry)
                continue
            copy.note = note
            copy.state = max(copy.state, entry.state, key=states.index)
        copy.save(update_fields=["state", "note", "seen_version"])
        if move:
            entry.delete()
        copied += 1
    return CopyResult(copied=copied, refused=refused)


def update_entry(*, entry: ReadingListEntry, state: str = "", note: str | None = None) -> ReadingListEntry:
    """`state` and `note` come cleaned by EntryForm; an empty state leaves it as it is.

    Raises ReadingListEntry.DoesNotExist when the entry was removed in another tab meanwhile.
    """
    if state:
        entry.state = state
    if note is not None:
        entry.note = note
    if not ReadingListEntry.objects.filter(pk=entry.pk).update(state=entry.state, note=entry.note):
        raise ReadingListEntry.DoesNotExist
    return entry


def share_list(*, reading_list: ReadingList) -> ReadingList:
    if not reading_list.share_token:
        reading_list.share_token = secrets.token_urlsafe(32)
        _save_fields(reading_list, "share_token")
    return reading_list


def unshare_list(*, reading_list: ReadingList) -> None:
    reading_list.share_token = None
    _save_fields(reading_list, "share_token")


def mark_seen(*, user: User, paper: Paper) -> None:
    """Opening a paper clears its "updated to vN" mark in every list of the user."""
    if paper.version:
        ReadingListEntry.objects.filter(reading_list__user=user, paper=paper, seen_version__lt=paper.version).update(
            seen_version=paper.version
        )


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Everything of the user goes with the account: decisions, lists, entries, notes, emails.

    The user's row is locked first: a decision or a list that another session writes meanwhile
    waits for its foreign-key check and then fails cleanly, instead of being left behind or
    breaking the delete.
    """
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    user.delete()


def _save_fields(reading_list: ReadingList, *fields: str) -> None:
    """Save these fields; a list deleted in another tab meanwhile is not found (rather than a 500)."""
    if not ReadingList.objects.filter(pk=reading_list.pk).update(**{f: getattr(reading_list, f) for f in fields}):
        raise ReadingList.DoesNotExist


def _unique_slug(user: User, name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:100] or "list"
    taken = set(ReadingList.objects.filter(user=user).exclude(pk=exclude).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
