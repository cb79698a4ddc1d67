"""The Atom feed of a shared list."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from .models import ReadingList, ReadingListEntry


class SharedListFeed(Feed):
    """An Atom feed of a published list, newest additions first. Notes stay private."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, token: str) -> ReadingList:
        return get_object_or_404(ReadingList, share_token=token)

    def title(self, obj: ReadingList) -> str:
        return f"{obj.name} · PaperSwipe"

    def link(self, obj: ReadingList) -> str:
        return reverse("library:shared", args=[obj.share_token])

    def subtitle(self, obj: ReadingList) -> str:
        return f"Papers in the reading list “{obj.name}”."

    def items(self, obj: ReadingList) -> QuerySet[ReadingListEntry]:
        return obj.entries.select_related("paper").order_by("-added_at", "-id")[:100]

    def item_title(self, item: ReadingListEntry) -> str:
        return item.paper.title

    def item_description(self, item: ReadingListEntry) -> str:
        return escape(item.paper.abstract)  # the feed's summary is typed html; arXiv text is not

    def item_link(self, item: ReadingListEntry) -> str:
        return item.paper.abs_url

    def item_pubdate(self, item: ReadingListEntry) -> datetime:
        return item.added_at

    def item_author_name(self, item: ReadingListEntry) -> str:
        return ", ".join(item.paper.author_names)
