"""Reads of groups: a reader sees only the groups they belong to; any other is a 404, never a 403."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User

from ..models import Group, Membership


def groups_of(*, user: User) -> QuerySet[Group]:
    return Group.objects.filter(memberships__user=user).annotate(member_count=Count("memberships", distinct=True))


def membership_in(*, user: User, slug: str) -> Membership:
    """The reader's membership of the group, with the group; 404 for a group they are not in."""
    return get_object_or_404(Membership.objects.select_related("group"), user=user, group__slug=slug)


def members_of(*, group: Group) -> QuerySet[Membership]:
    return group.memberships.select_related("user").order_by("-role", "joined_at", "id")
