"""Writes on reading lists: lists, entries, notes, states, sharing.

A service that writes several rows runs in one transaction under the user's lock. One that is a single
UPDATE or DELETE statement (a state, a note, removing entries) is atomic by itself and opens none."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.text import slugify

from accounts.models import User
from accounts.services import lock_account
from papers.models import Paper
from papers.references.resolve import Resolution, resolve

from .menu import forget_menu
from .models import ReadingList, ReadingListEntry


class ListError(ValueError):
    """A list operation the user asked for that cannot be done, with a message to show."""


def create_default_list(sender: type, instance: User, created: bool, raw: bool = False, **kwargs: object) -> None:
    """Every new user starts with "Reading list", so that "Save to…" always has a place to save. A post_save
    receiver, not a service call: users are created by allauth's sign-up, `createsuperuser` and the admin,
    none of which calls a service of ours."""
    if created and not raw:
        ReadingList.objects.create(
            user=instance, is_default=True, name=ReadingList.DEFAULT_NAME, slug=ReadingList.DEFAULT_SLUG
        )


def add_to_list(*, reading_list: ReadingList, paper: Paper, by: User | None = None) -> tuple[ReadingListEntry, bool]:
    """Put a paper in a list once; the version it has now is the one the user has seen. A group's list
    remembers who added it (`by`)."""
    added_by = by if reading_list.group_id else None
    return ReadingListEntry.objects.get_or_create(
        reading_list=reading_list, paper=paper, defaults={"seen_version": paper.version or 0, "added_by": added_by}
    )


def take_out_untouched(*, entry_id: int, user: User) -> None:
    """Remove the entry a keep of `user` made, unless someone has worked on it since (a note, a reading
    state; in a group's list also a member's comment, vote or read state). A group's entry goes only while
    the reader is still in the group: a member removed since changes nothing of it."""
    worked_on = Q(comments__isnull=False) | Q(votes__isnull=False) | Q(read_states__isnull=False)
    still_theirs = Q(reading_list__user=user) | Q(reading_list__group__memberships__user=user, added_by=user)
    untouched = ReadingListEntry.objects.filter(still_theirs, pk=entry_id, note="", state=ReadingListEntry.State.UNREAD)
    ReadingListEntry.objects.filter(pk__in=untouched.exclude(worked_on).values("pk")).delete()


@transaction.atomic
def create_list(*, user: User, name: str) -> ReadingList:
    """`name` comes cleaned by ListNameForm: visible characters only, within the field's length."""
    lock_account(user)
    position = (ReadingList.objects.filter(user=user).aggregate(m=Max("position"))["m"] or 0) + 1
    forget_menu(user.pk)
    return ReadingList.objects.create(user=user, name=name, slug=_unique_slug(user, name), position=position)


@transaction.atomic
def rename_list(*, reading_list: ReadingList, name: str) -> ReadingList:
    """Name and slug together; under the user's lock, so that two renames cannot pick the same slug."""
    if reading_list.is_default:
        raise ListError("The default reading list keeps its name.")
    lock_account(_owner(reading_list))
    reading_list.name = name
    reading_list.slug = _unique_slug(_owner(reading_list), name, exclude=reading_list.pk)
    _save_fields(reading_list, "name", "slug")
    forget_menu(_owner(reading_list).pk)
    return reading_list


@transaction.atomic
def delete_list(*, reading_list: ReadingList) -> None:
    """The list and its entries (and their Zotero records) together."""
    if reading_list.is_default:
        raise ListError("The default reading list cannot be deleted.")
    lock_account(_owner(reading_list))
    reading_list.delete()
    forget_menu(_owner(reading_list).pk)


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
    forget_menu(_owner(reading_list).pk)


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


def set_state(*, entries: Iterable[ReadingListEntry], state: str) -> int:
    return ReadingListEntry.objects.filter(pk__in=[e.pk for e in entries]).update(state=state)


def remove_entries(*, entries: Iterable[ReadingListEntry]) -> int:
    deleted, _ = ReadingListEntry.objects.filter(pk__in=[e.pk for e in entries]).delete()
    return deleted


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
    """Opening a paper clears its "updated to vN" mark in every list of the user.

    A version-1 paper cannot carry the mark (ReadingListEntry.has_update), so its page skips the write.
    """
    if paper.version and paper.version > 1:
        ReadingListEntry.objects.filter(reading_list__user=user, paper=paper, seen_version__lt=paper.version).update(
            seen_version=paper.version
        )


def mark_seen_on_view(sender: type, *, user: User, paper: Paper, **kwargs: object) -> None:
    """The catalog's paper page was opened (papers.signals.paper_viewed)."""
    mark_seen(user=user, paper=paper)


def _owner(reading_list: ReadingList) -> User:
    """The reader whose own list this is; a group's list is written by library/groups/lists.py instead."""
    if reading_list.user is None:
        raise ListError("That list belongs to a group.")
    return reading_list.user


def _save_fields(reading_list: ReadingList, *fields: str) -> None:
    """Save these fields; a list deleted in another tab meanwhile is not found (rather than a 500)."""
    if not ReadingList.objects.filter(pk=reading_list.pk).update(**{f: getattr(reading_list, f) for f in fields}):
        raise ReadingList.DoesNotExist


def _unique_slug(user: User, name: str, exclude: int | None = None) -> str:
    return free_list_slug(ReadingList.objects.filter(user=user), name, exclude=exclude)


def free_list_slug(lists: QuerySet[ReadingList], name: str, *, exclude: int | None = None) -> str:
    """A slug for `name` that none of `lists` (one owner's: a reader's or a group's) has but `exclude`."""
    others = lists.exclude(pk=exclude) if exclude else lists
    return free_slug(name, taken=set(others.values_list("slug", flat=True)), fallback="list", reserved={"new"})


def free_slug(name: str, *, taken: set[str], fallback: str, reserved: set[str]) -> str:
    """`name` slugified, numbered past the taken ones; `reserved`: words the addresses use (/lists/new/)."""
    base = slugify(name)[:100] or fallback
    taken = taken | reserved
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def import_into_list(*, reading_list: ReadingList, data: bytes, filename: str) -> Resolution:
    """A reference file (a Zotero export) into a list: every entry with an arXiv id, matched in the catalog
    or fetched from arXiv; the others reported with their titles. A broken file raises ReferenceFileError
    before anything is written."""
    report = resolve(data=data, filename=filename)  # may ask arXiv: outside the transaction, holding no lock
    with transaction.atomic():
        lock_account(_owner(reading_list))
        ReadingListEntry.objects.bulk_create(
            [
                ReadingListEntry(reading_list=reading_list, paper=p, seen_version=p.version or 0)
                for p in report.papers()
            ],
            ignore_conflicts=True,  # already in the list: left as it is, note and state kept
        )
    return report
