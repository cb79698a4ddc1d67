"""Writes on the account itself: followed categories, deletion, and the lock every write of a user takes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from papers.models import Category

from .models import User


class AccountDeleted(Exception):
    """The account was deleted (in another session) while this request was writing to it."""


def lock_account(user: User) -> None:
    """Start a write on the user's data: it waits for an account deletion in progress, then fails cleanly.

    Every write takes this shared lock on the user's row first and the deletion takes it exclusively
    first, so the two never wait on each other's rows in opposite orders (a deadlock).
    """
    if not User.objects.select_for_update(no_key=True).filter(pk=user.pk).exists():
        raise AccountDeleted


def lock_accounts(user_ids: Iterable[int]) -> set[int]:
    """`lock_account` for a batch of users, taken in id order (two batches never wait on each other in a
    cycle); returns the ids of the accounts that still exist."""
    locked = User.objects.select_for_update(no_key=True).filter(pk__in=list(user_ids)).order_by("pk")
    return set(locked.values_list("pk", flat=True))


@transaction.atomic
def follow_categories(*, user: User, category_ids: Iterable[int]) -> list[Category]:
    """Replace what the user follows with these offered categories; anything not offered is ignored. The
    removals and additions (and the deck's rescore their signal asks for) commit together."""
    lock_account(user)
    categories = list(Category.objects.offered().filter(pk__in=list(category_ids)))
    user.followed_categories.set(categories)
    return categories


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Everything of the user goes with the account: decisions, lists, entries, notes, emails.

    The user's row is locked first: a decision or a list that another session writes meanwhile
    waits and then fails cleanly, instead of being left behind or breaking the delete.
    """
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    user.delete()
