"""Writes on a user's data: decisions, undo, followed categories, the default reading list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from papers.models import Category, Paper

from .models import ReadingList, ReadingListEntry, Swipe, User


def default_list(user: User) -> ReadingList:
    reading_list, _ = ReadingList.objects.get_or_create(
        user=user, is_default=True, defaults={"name": ReadingList.DEFAULT_NAME, "slug": "reading-list"}
    )
    return reading_list


@transaction.atomic
def decide(*, user: User, paper: Paper, decision: str, source: str = Swipe.Source.BUTTON) -> tuple[Swipe, bool]:
    """Record a keep or a skip once. A repeat (double click, replayed request, second tab) changes nothing.

    Returns (swipe, created). Keep also puts the paper in the user's default reading list.
    """
    try:
        with transaction.atomic():
            swipe = Swipe.objects.create(user=user, paper=paper, decision=decision, source=source)
    except IntegrityError:
        # The unique (user, paper) constraint caught a concurrent or repeated decision.
        return Swipe.objects.get(user=user, paper=paper), False
    if decision == Swipe.Decision.KEEP:
        ReadingListEntry.objects.get_or_create(reading_list=default_list(user), paper=paper)
    return swipe, True


@transaction.atomic
def undo_last(*, user: User) -> Paper | None:
    """Take back the latest decision and its side effects; returns the paper, to show it again."""
    swipe = Swipe.objects.select_for_update().filter(user=user).order_by("-created_at", "-id").first()
    if swipe is None:
        return None
    if swipe.decision == Swipe.Decision.KEEP:
        ReadingListEntry.objects.filter(
            reading_list__user=user, reading_list__is_default=True, paper=swipe.paper
        ).delete()
    swipe.delete()
    return swipe.paper


@transaction.atomic
def change_decision(*, user: User, swipe_id: int, decision: str) -> Swipe:
    """Turn a past keep into a skip or back, from the history page. Another user's swipe is not found."""
    swipe = Swipe.objects.select_for_update().select_related("paper").get(pk=swipe_id, user=user)
    if swipe.decision == decision:
        return swipe
    swipe.decision = decision
    swipe.save(update_fields=["decision"])
    if decision == Swipe.Decision.KEEP:
        ReadingListEntry.objects.get_or_create(reading_list=default_list(user), paper=swipe.paper)
    else:
        ReadingListEntry.objects.filter(
            reading_list__user=user, reading_list__is_default=True, paper=swipe.paper
        ).delete()
    return swipe


def follow_categories(*, user: User, category_ids: Iterable[int]) -> list[Category]:
    """Replace what the user follows with these offered categories; anything not offered is ignored."""
    categories = list(Category.objects.offered().filter(pk__in=list(category_ids)))
    user.followed_categories.set(categories)
    return categories


def _remove_from_default_list(user: User, paper: Paper) -> None:
    ReadingListEntry.objects.filter(reading_list__user=user, reading_list__is_default=True, paper=paper).delete()
