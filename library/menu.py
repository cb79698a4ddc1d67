"""The lists of the "Save to…" menu, which most pages show: cached per user, since lists change rarely.

Every write that adds, renames, reorders or deletes a list forgets the user's menu (library/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from accounts.models import User
from paperswipe.cache import forget

from .models import ReadingList

MENU_TTL = 3600  # a write clears it at once; the expiry bounds a race with a slow read


@dataclass(frozen=True)
class MenuList:
    pk: int
    name: str


def _key(user_id: int) -> str:
    return f"library:menu:{user_id}"


def menu_lists(*, user: User) -> list[MenuList]:
    """The user's lists in their order: the default list first."""
    menu = cache.get(_key(user.pk))
    if menu is None:
        menu = [MenuList(pk, name) for pk, name in ReadingList.objects.filter(user=user).values_list("pk", "name")]
        cache.set(_key(user.pk), menu, MENU_TTL)
    return menu


def forget_menu(user_id: int) -> None:
    """Called by every write that changes the user's lists."""
    forget(_key(user_id))
