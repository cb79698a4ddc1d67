"""Reads of a user's lists, for the library's pages, exports, search scope and data export."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from accounts.models import User
from papers.models import Category, Paper
from papers.search import search

from .exports import Item
from .models import ReadingList, ReadingListEntry

SORTS = {"added": ("-added_at", "-id"), "published": ("-paper__published", "-id"), "title": ("paper__title", "id")}


def default_list(*, user: User) -> ReadingList:
    """Every user has one: created at sign-up (and for older accounts by migration library 0002)."""
    return ReadingList.objects.get(user=user, is_default=True)


def lists_of(*, user: User) -> QuerySet[ReadingList]:
    return ReadingList.objects.filter(user=user)


def lists_with_counts(*, user: User) -> QuerySet[ReadingList]:
    return lists_of(user=user).annotate(n=Count("entries"))


def filtered_entries(
    *, reading_list: ReadingList, state: str = "", category: str = "", words: str = "", sort: str = "added"
) -> QuerySet[ReadingListEntry]:
    entries = reading_list.entries.select_related("paper__primary_category")
    if state:
        entries = entries.filter(state=state)
    if category:
        entries = entries.filter(paper__categories__code=category)
    if words:
        entries = entries.filter(paper__in=search(Paper.objects.all(), words).values("pk"))
    return entries.order_by(*SORTS.get(sort, SORTS["added"]))


def categories_in(*, reading_list: ReadingList) -> QuerySet[Category]:
    return Category.objects.filter(papers__list_entries__reading_list=reading_list).distinct().order_by("code")


def export_items(entries: QuerySet[ReadingListEntry]) -> list[Item]:
    entries = entries.select_related("paper__primary_category", "reading_list").prefetch_related("paper__categories")
    return [Item(e.paper, e, e.reading_list.name) for e in entries]


def library_items(*, user: User) -> list[Item]:
    """Every paper in the user's lists once, as its first entry."""
    entries = ReadingListEntry.objects.filter(reading_list__user=user).order_by("paper_id", "added_at")
    seen: set[int] = set()
    items = []
    for item in export_items(entries):
        if item.paper.pk not in seen:
            seen.add(item.paper.pk)
            items.append(item)
    return items


def papers_in_lists_of(papers: QuerySet[Paper], user: User) -> QuerySet[Paper]:
    """The search's "only my lists" scope."""
    return papers.filter(list_entries__reading_list__user=user).distinct()


def shared_entries(*, reading_list: ReadingList) -> QuerySet[ReadingListEntry]:
    return reading_list.entries.select_related("paper__primary_category").order_by("-added_at", "-id")


def lists_for_export(user: User) -> list[dict[str, Any]]:
    """The library's part of "Download my data"."""
    return [
        {
            "name": rl.name,
            "is_default": rl.is_default,
            "shared": bool(rl.share_token),
            "entries": [
                {
                    "arxiv_id": e.paper.arxiv_id,
                    "title": e.paper.title,
                    "state": e.state,
                    "note": e.note,
                    "added": e.added_at.isoformat(),
                }
                for e in rl.entries.select_related("paper").order_by("added_at")
            ],
        }
        for rl in ReadingList.objects.filter(user=user)
    ]
