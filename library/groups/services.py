"""Writes of groups: made, renamed, deleted; members leave, are removed or made owners.

Every change of who may do what runs under a lock on the group's row, so that two owners acting at once
can never leave a group without an owner.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from accounts.models import User

from ..menu import forget_menus
from ..models import Group, Membership


class GroupError(Exception):
    """A change the group's rules refuse, said in words for the page."""


def _unique_slug(name: str, *, exclude: int | None = None) -> str:
    base = slugify(name)[:100] or "group"
    others = Group.objects.filter(slug__startswith=base)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = set(others.values_list("slug", flat=True)) | {"join"}  # /groups/join/<token>/
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_group(*, user: User, name: str) -> Group:
    group = Group.objects.create(name=name, slug=_unique_slug(name))
    Membership.objects.create(group=group, user=user, role=Membership.Role.OWNER)
    return group


def member_ids(group: Group) -> list[int]:
    return list(group.memberships.values_list("user_id", flat=True))


def _locked(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _owners(group: Group) -> int:
    return group.memberships.filter(role=Membership.Role.OWNER).count()


@transaction.atomic
def rename_group(*, group: Group, name: str) -> Group:
    group = _locked(group)
    group.name, group.slug = name, _unique_slug(name, exclude=group.pk)
    group.save(update_fields=["name", "slug"])
    forget_menus(member_ids(group))  # the menu names each list's group
    return group


@transaction.atomic
def leave_group(*, membership: Membership) -> None:
    """The last owner hands over first; the last member's leaving deletes the group with its lists."""
    group = _locked(membership.group)
    others = group.memberships.exclude(pk=membership.pk)
    forget_menus([membership.user_id])
    if not others.exists():
        group.delete()
        return
    if membership.role == Membership.Role.OWNER and _owners(group) == 1:
        raise GroupError("You are the group's only owner: make another member owner first.")
    membership.delete()


@transaction.atomic
def remove_member(*, by: Membership, member_id: int) -> Membership:
    if by.role != Membership.Role.OWNER:
        raise GroupError("Only an owner can remove members.")
    group = _locked(by.group)
    member = group.memberships.select_related("user").get(pk=member_id)
    if member.pk == by.pk:
        raise GroupError("To leave the group, use Leave.")
    member.delete()
    forget_menus([member.user_id])
    return member


@transaction.atomic
def make_owner(*, by: Membership, member_id: int) -> Membership:
    if by.role != Membership.Role.OWNER:
        raise GroupError("Only an owner can make another member owner.")
    _locked(by.group)
    member = by.group.memberships.select_related("user").get(pk=member_id)
    member.role = Membership.Role.OWNER
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def delete_group(*, by: Membership) -> None:
    if by.role != Membership.Role.OWNER:
        raise GroupError("Only an owner can delete the group.")
    group = _locked(by.group)
    forget_menus(member_ids(group))
    group.delete()


@transaction.atomic
def set_preferences(*, membership: Membership, shares_keeps: bool, club_email: bool) -> None:
    Membership.objects.filter(pk=membership.pk).update(shares_keeps=shares_keeps, club_email=club_email)


def before_account_deleted(sender: type, instance: User, **kwargs: object) -> None:
    """An account about to go: its comments keep their place in each thread with their text removed (shown
    as "a former member"); a group it alone owned gets the longest-standing member as owner, and a group it
    was the last member of goes with its lists. Runs inside delete_account's transaction."""
    from ..models import Comment

    Comment.objects.filter(author=instance).update(text="", author=None)
    for membership in Membership.objects.filter(user=instance).select_related("group"):
        group = _locked(membership.group)
        others = group.memberships.exclude(pk=membership.pk).order_by("joined_at", "pk")
        if not others.exists():
            group.delete()
        elif membership.role == Membership.Role.OWNER and _owners(group) == 1:
            others.filter(pk=others[0].pk).update(role=Membership.Role.OWNER)
