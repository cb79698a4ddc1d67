"""Helpers shared by the lab group tests: a group with members, a list, papers saved to it."""

from __future__ import annotations

from django.utils.text import slugify

from library.models import Group, Membership, ReadingList

from ..factories import UserFactory


def group_with(*members, name="Lab", owner=None):
    """A group owned by `owner` (a new user by default) with `members` in it."""
    group = Group.objects.create(name=name, slug=slugify(name))
    Membership.objects.create(group=group, user=owner or UserFactory(), role=Membership.Role.OWNER)
    for member in members:
        Membership.objects.create(group=group, user=member, role=Membership.Role.MEMBER)
    return group


def group_list(group, name="To discuss"):
    return ReadingList.objects.create(group=group, name=name, slug=slugify(name))
