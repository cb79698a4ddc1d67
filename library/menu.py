"""The lists of the "Save to…" menu, which most pages show: cached per user, since lists change rarely.

Every write that adds, renames, reorders or deletes a list forgets the user's menu (library/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q

from accounts.models import User
from paperswipe.cache import forget

from .models import ReadingList

MENU_TTL = 3600  # a write clears it at once; the expiry bounds a race with a slow read


@dataclass(frozen=True)
class MenuList:
    pk: int
    name: str
    group: str = ""  # the group's name, for a group's list
    group_id: int | None = None  # what the menu groups by: two groups may share a name


def _key(user_id: int) -> str:
    return f"library:menu:2:{user_id}"  # 2: with groups; a menu cached before them is not read


def menu_lists(*, user: User) -> list[MenuList]:
    """The user's own lists in their order (the default list first), then their groups' lists by group."""
    menu = cache.get(_key(user.pk))
    if menu is None:
        rows = (
            ReadingList.objects.filter(Q(user=user) | Q(group__memberships__user=user))
            .order_by("group__name", "group_id", "-is_default", "position", "name")
            .values_list("pk", "name", "group__name", "group_id")
        )
        menu = [MenuList(pk, name, group or "", group_id) for pk, name, group, group_id in rows]
        menu.sort(key=lambda item: item.group != "")  # stable: own lists first, in their order
        cache.set(_key(user.pk), menu, MENU_TTL)
    return menu


def forget_menu(user_id: int) -> None:
    """Called by every write that changes the user's lists, or which groups' lists they may save to."""
    forget(_key(user_id))


def forget_menus(user_ids: list[int]) -> None:
    for user_id in user_ids:
        forget_menu(user_id)
