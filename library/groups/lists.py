"""Writes on a group's lists: the lists, their entries, each member's read state, comments and votes.

Any member adds papers, makes and renames lists, comments and votes; an entry is taken out by whoever added
it or an owner, a comment edited by its author and deleted by its author or an owner, a list deleted by an
owner. A rule refused raises GroupError with the words for the page.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User

from ..menu import forget_menus
from ..models import Comment, Group, MemberReadState, Membership, ReadingList, ReadingListEntry, Vote
from ..services import free_list_slug
from .club import Week
from .services import GroupError, member_ids


@transaction.atomic
def create_group_list(*, by: Membership, name: str) -> ReadingList:
    group = by.group
    Group.objects.select_for_update().filter(pk=group.pk).first()  # two lists made at once get two slugs
    position = (ReadingList.objects.filter(group=group).aggregate(m=Max("position"))["m"] or 0) + 1
    made = ReadingList.objects.create(
        group=group, name=name, slug=free_list_slug(group.lists.all(), name), position=position
    )
    forget_menus(member_ids(group))
    return made


@transaction.atomic
def rename_group_list(*, reading_list: ReadingList, name: str) -> ReadingList:
    # The group's row first, as create_group_list takes it: two slug writers of one group wait in turn.
    group = Group.objects.select_for_update().get(lists=reading_list)
    locked = ReadingList.objects.select_for_update().get(pk=reading_list.pk)
    locked.name, locked.slug = name, free_list_slug(group.lists.all(), name, exclude=locked.pk)
    locked.save(update_fields=["name", "slug"])
    forget_menus(member_ids(group))
    return locked


@transaction.atomic
def delete_group_list(*, by: Membership, reading_list: ReadingList) -> None:
    if not by.is_owner:
        raise GroupError("Only an owner can delete a group's list.")
    reading_list.delete()
    forget_menus(member_ids(by.group))


def remove_entry(*, by: Membership, entry: ReadingListEntry) -> None:
    if entry.added_by_id != by.user_id and not by.is_owner:
        raise GroupError("Only whoever added a paper, or an owner, can take it out.")
    entry.delete()


def set_read_state(*, user: User, entry: ReadingListEntry, state: str) -> None:
    """The member's own state: the others' stay as they are."""
    MemberReadState.objects.update_or_create(entry=entry, user=user, defaults={"state": state})


def mark_opened(*, user: User, entry: ReadingListEntry) -> None:
    """The member opened the entry: its paper's version now is the one they have seen (no more "updated")."""
    version = entry.paper.version or 0
    if version > 1:  # a version-1 paper carries no mark, and its page writes nothing
        MemberReadState.objects.update_or_create(entry=entry, user=user, defaults={"seen_version": version})


def set_note(*, entry: ReadingListEntry, note: str) -> None:
    """The entry's shared note, which every member reads and edits."""
    if not ReadingListEntry.objects.filter(pk=entry.pk).update(note=note):
        raise ReadingListEntry.DoesNotExist


def add_comment(*, user: User, entry: ReadingListEntry, text: str) -> Comment:
    return Comment.objects.create(entry=entry, author=user, text=text)


def edit_comment(*, user: User, comment: Comment, text: str) -> Comment:
    if comment.author_id != user.pk:
        raise GroupError("You can edit only your own comments.")
    comment.text, comment.edited_at = text, timezone.now()
    comment.save(update_fields=["text", "edited_at"])
    return comment


def delete_comment(*, by: Membership, comment: Comment) -> None:
    if comment.author_id != by.user_id and not by.is_owner:
        raise GroupError("Only its author, or an owner, can delete a comment.")
    comment.delete()


def toggle_vote(*, user: User, entry: ReadingListEntry, vote: bool) -> bool:
    """Set or take back the member's "+1 for journal club" of this week; a second click of the same kind
    changes nothing, and a vote of a week that is over stays as it was."""
    week = Week.of(timezone.now()).day
    if not vote:
        Vote.objects.filter(entry=entry, user=user, week=week).delete()
        return False
    try:
        with transaction.atomic():
            Vote.objects.get_or_create(entry=entry, user=user, week=week)
    except IntegrityError:
        pass  # a double click's twin stored it a moment ago
    return True
