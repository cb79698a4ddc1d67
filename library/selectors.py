"""Reads of a user's lists, for the library's pages, exports, search scope and data export."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db import connections
from django.db.models import Count, F, Func, JSONField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404

from accounts.models import User
from papers.models import Category, Paper
from papers.search import search

from .exports import EntryData, Item, PaperData
from .models import ReadingList, ReadingListEntry, ZoteroAccount, ZoteroItem, ZoteroSend

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


# Only what the exports write: the paper's search vector and its copy of the names stay in the database.
_EXPORT_COLUMNS = (
    "paper_id",
    "paper__arxiv_id",
    "paper__version",
    "paper__title",
    "paper__abstract",
    "paper__primary_category__code",
    "paper__doi",
    "paper__journal_ref",
    "note",
    "added_at",
    "reading_list__name",
)


def export_items(entries: QuerySet[ReadingListEntry], *, state: str = "state") -> list[Item]:
    """The entries with their papers, in the queryset's order: two queries whatever their number. `state`:
    the column of the read state (a group's list annotates the member's own).

    Rows of values rather than model instances hold the exports' target (2,000 papers in 200 ms, p50):
    instances with their categories prefetched took 400 to 490 ms, rows 86 to 141 (bench_scale, 2026-12-04)."""
    on_postgresql = connections[entries.db].vendor == "postgresql"
    if on_postgresql:
        # Only the names leave the database: decoding every author's object (affiliations and all) made
        # most of an export's garbage, and so most of the collector's passes during it.
        authors: Combinable = Func(
            F("paper__authors"), Value("$[*].name"), function="jsonb_path_query_array", output_field=JSONField()
        )
    else:
        authors = F("paper__authors")
    # The date alone, as the files write it: psycopg parses a date in C, a timestamp Django's way in Python.
    published = TruncDate("paper__published", tzinfo=UTC)
    rows = entries.annotate(export_authors=authors, export_published=published).values_list(
        "export_authors", "export_published", *_EXPORT_COLUMNS, state, named=True
    )

    codes: dict[int, list[str]] = {}
    through = Paper.categories.through.objects.filter(paper_id__in=entries.values("paper_id"))
    for paper_id, code in through.order_by("category__display_order", "category__code").values_list(
        "paper_id", "category__code"
    ):
        codes.setdefault(paper_id, []).append(code)

    items = []
    for row in rows:
        paper = PaperData(
            arxiv_id=row.paper__arxiv_id,
            version=row.paper__version,
            title=row.paper__title,
            abstract=row.paper__abstract,
            author_names=row.export_authors if on_postgresql else [a["name"] for a in row.export_authors],
            published=row.export_published,
            primary_category=row.paper__primary_category__code or "",
            categories=tuple(codes.get(row.paper_id, ())),
            doi=row.paper__doi,
            journal_ref=row.paper__journal_ref,
        )
        entry = EntryData(note=row.note, state=getattr(row, state), added_at=row.added_at)
        items.append(Item(paper, entry, row.reading_list__name))
    return items


def library_items(*, user: User) -> list[Item]:
    """Every paper in the user's lists once, as its first entry."""
    entries = ReadingListEntry.objects.filter(reading_list__user=user).order_by("paper_id", "added_at")
    seen: set[str] = set()
    items = []
    for item in export_items(entries):
        if item.paper.arxiv_id not in seen:  # unique, as the paper's pk is
            seen.add(item.paper.arxiv_id)
            items.append(item)
    return items


def savable_list(*, user: User, pk: int) -> ReadingList:
    """A list "Save to…" may add to: the reader's own, or one of a group they are in; any other is a 404."""
    lists = ReadingList.objects.filter(Q(user=user) | Q(group__memberships__user=user)).select_related("group")
    return get_object_or_404(lists, pk=pk)


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


_SEND_COLUMNS = ("pk", "state", "sent", "total", "failures", "error", "collection_name")


def list_with_latest_send(*, user: User, slug: str) -> tuple[ReadingList, ZoteroSend | None]:
    """The user's list and its latest "Send to Zotero" (its state for the page), read in one query."""
    latest = ZoteroSend.objects.filter(reading_list=OuterRef("pk"), user=user).order_by("-created_at", "-id")
    annotations = {f"send_{name}": Subquery(latest.values(name)[:1]) for name in _SEND_COLUMNS}
    the_list = get_object_or_404(ReadingList.objects.annotate(**annotations), user=user, slug=slug)
    values = {name: getattr(the_list, f"send_{name}") for name in _SEND_COLUMNS}
    if values["pk"] is None:
        return the_list, None
    return the_list, ZoteroSend(user=user, reading_list=the_list, **values)


def zotero_for_export(user: User) -> dict[str, Any] | None:
    """Zotero's part of "Download my data": the connection (never the key) and what went there."""
    account = ZoteroAccount.objects.filter(user=user).first()
    items = ZoteroItem.objects.filter(user=user).select_related("paper").order_by("sent_at")
    if account is None and not items:
        return None
    return {
        "zotero_user_id": account.zotero_user_id if account else None,
        "api_key": f"…{account.key_last_four}" if account else None,
        "items": [
            {"arxiv_id": i.paper.arxiv_id, "zotero_user_id": i.zotero_user_id, "item_key": i.item_key} for i in items
        ],
    }
