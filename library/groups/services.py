"""Writes of groups: made, renamed, deleted; members leave, are removed or made owners.

Every change of who may do what runs under a lock on the group's row and reads the acting membership
again under it, so that two owners acting at once can never leave a group without an owner. A group or
member gone meanwhile (a double click, another tab) raises Group.DoesNotExist or Membership.DoesNotExist,
which the views answer with 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User

from ..menu import forget_menus
from ..models import Group, Membership
from ..services import free_slug


class GroupError(Exception):
    """A change the group's rules refuse, said in words for the page."""


def _unique_slug(name: str, *, exclude: int | None = None) -> str:
    others = Group.objects.filter(slug__startswith=slugify(name)[:100] or "group")
    taken = set((others.exclude(pk=exclude) if exclude else others).values_list("slug", flat=True))
    return free_slug(name, taken=taken, fallback="group", reserved={"join"})  # /groups/join/<token>/


def _with_unique_slug(save: Callable[[str], Group], name: str, *, exclude: int | None = None) -> Group:
    """Save under a free slug; two requests that picked the same one at once: the second picks again."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return save(_unique_slug(name, exclude=exclude))
        except IntegrityError:
            continue
    raise GroupError("Another group took that name a moment ago: try again.")


@transaction.atomic
def create_group(*, user: User, name: str) -> Group:
    group = _with_unique_slug(lambda slug: Group.objects.create(name=name, slug=slug), name)
    Membership.objects.create(group=group, user=user, role=Membership.Role.OWNER)
    return group


def member_ids(group: Group) -> list[int]:
    return list(group.memberships.values_list("user_id", flat=True))


def _locked(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _owner_now(by: Membership, group: Group, refusal: str) -> Membership:
    """The acting owner's membership as it is under the group's lock: removed or demoted meanwhile, refused."""
    now = group.memberships.filter(pk=by.pk).first()
    if now is None:
        raise Membership.DoesNotExist
    if not now.is_owner:
        raise GroupError(refusal)
    return now


def _owners(group: Group) -> int:
    return group.memberships.filter(role=Membership.Role.OWNER).count()


@transaction.atomic
def rename_group(*, group: Group, name: str) -> Group:
    group = _locked(group)

    def save(slug: str) -> Group:
        group.name, group.slug = name, slug
        group.save(update_fields=["name", "slug"])
        return group

    _with_unique_slug(save, name, exclude=group.pk)
    forget_menus(member_ids(group))  # the menu names each list's group
    return group


@transaction.atomic
def leave_group(*, membership: Membership) -> None:
    """The last owner hands over first; the last member's leaving deletes the group with its lists."""
    group = _locked(membership.group)
    membership = group.memberships.get(pk=membership.pk)  # as it is under the lock
    others = group.memberships.exclude(pk=membership.pk)
    forget_menus([membership.user_id])
    if not others.exists():
        group.delete()
        return
    if membership.is_owner and _owners(group) == 1:
        raise GroupError("You are the group's only owner: make another member owner first.")
    membership.delete()


@transaction.atomic
def remove_member(*, by: Membership, member_id: int) -> Membership:
    """The member goes, and with them every way back in they may hold: the group's open links are withdrawn
    (the owners make a new one for anyone else) and any invitation sent to their address."""
    group = _locked(by.group)
    by = _owner_now(by, group, "Only an owner can remove members.")
    member = group.memberships.select_related("user").get(pk=member_id)
    if member.pk == by.pk:
        raise GroupError("To leave the group, use Leave.")
    member.delete()
    open_links = Q(email="") | Q(email__iexact=member.user.email)
    group.invitations.filter(open_links, revoked_at=None).update(revoked_at=timezone.now())
    forget_menus([member.user_id])
    return member


@transaction.atomic
def make_owner(*, by: Membership, member_id: int) -> Membership:
    group = _locked(by.group)
    _owner_now(by, group, "Only an owner can make another member owner.")
    member = group.memberships.select_related("user").get(pk=member_id)
    member.role = Membership.Role.OWNER
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def delete_group(*, by: Membership) -> None:
    group = _locked(by.group)
    _owner_now(by, group, "Only an owner can delete the group.")
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
        elif membership.is_owner and _owners(group) == 1:
            others.filter(pk=others[0].pk).update(role=Membership.Role.OWNER)
