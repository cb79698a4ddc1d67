"""The reader's deck as a private Atom feed, for feed readers: the top unseen papers, in deck order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from papers.models import Paper

from . import selectors
from .models import DeckSettings

FEED_LENGTH = 50


class DeckFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The token stands for a sign-in: the reader's deck is kept by no shared cache, as their pages aren't.
        response = super().__call__(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    def get_object(self, request: HttpRequest, token: str) -> DeckSettings:
        return get_object_or_404(DeckSettings.objects.select_related("user"), feed_token=token)

    def title(self, obj: DeckSettings) -> str:
        return "Your PaperSwipe deck"

    def link(self, obj: DeckSettings) -> str:
        return reverse("deck:deck")

    def subtitle(self, obj: DeckSettings) -> str:
        return "The papers at the top of your deck, in the order the deck shows them."

    def items(self, obj: DeckSettings) -> list[Paper]:
        return selectors.top_unseen(user=obj.user, limit=FEED_LENGTH)

    def item_title(self, item: Paper) -> str:
        return item.title

    def item_description(self, item: Paper) -> str:
        return escape(item.abstract)  # the feed's summary is typed html; arXiv text is not

    def item_link(self, item: Paper) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Paper) -> datetime | None:
        return item.listed_at

    def item_author_name(self, item: Paper) -> str:
        return ", ".join(item.author_names)
