from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse

from deck.selectors import decisions_on
from papers.features import hashing
from paperswipe.negotiation import wants_json

register = template.Library()


def back_to(request: Any) -> str:
    """Where a card's forms return: the page, or the deck for cards fetched by its background requests."""
    if wants_json(request):
        return reverse("deck:deck")
    return request.get_full_path()


@register.inclusion_tag("deck/_paper_actions.html", takes_context=True)
def paper_actions(context: dict[str, Any], paper: Any, among: Iterable[Any] | None = None) -> dict[str, Any]:
    """Keep / Skip / Save for a paper wherever it appears; a decided paper shows its decision instead.

    `among` is every paper of the page: their decisions are read in one query, on the first call.
    """
    request = context["request"]
    if not request.user.is_authenticated:
        return {"paper": None}
    decided: dict[int, str] = getattr(request, "_decisions", {})
    if paper.pk not in decided:
        ids = {p.pk for p in among} if among is not None else set()
        decided.update(dict.fromkeys(ids | {paper.pk}, ""))
        decided.update(decisions_on(user=request.user, paper_ids=ids | {paper.pk}))
        request._decisions = decided
    return {
        "paper": paper,
        "decision": decided[paper.pk],
        "next": request.get_full_path(),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("deck/_tune.html", takes_context=True)
def tune_deck(context: dict[str, Any], paper: Any, next: str | None = None) -> dict[str, Any]:
    """ "Fewer like this" and "Follow" on a card: its first authors, title words and cross-list categories.

    `next`, where the forms return, when the caller knows it: the deck's card stencil, which has no request,
    gives its hole (deck/templatetags/deck_cards.py)."""
    primary = paper.primary_category.code if paper.primary_category else ""
    return {
        "paper": paper,
        "authors": paper.author_names[:3],
        # The title's own words, accents kept, so that a mute matches the text as it is stored.
        "keywords": list(
            dict.fromkeys(w for w in re.findall(r"[^\W\d_][\w-]+", paper.title.lower()) if hashing.words(w))
        )[:4],
        "categories": [c.code for c in paper.categories.all() if c.code != primary],
        "next": back_to(context["request"]) if next is None else next,
        "csrf_token": context.get("csrf_token"),
    }
