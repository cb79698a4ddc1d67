from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.contrib.messages.storage.base import Message
from django.urls import reverse

from accounts.models import User
from library.menu import menu_lists
from paperswipe.negotiation import wants_json

register = template.Library()


@register.inclusion_tag("library/_save_to.html", takes_context=True)
def save_to(context: dict[str, Any], paper: object) -> dict[str, Any]:
    """A "Save to…" form for any paper; the user's lists come from the cache (library/menu.py)."""
    request = context["request"]
    if not request.user.is_authenticated:
        return {"lists": None}
    return {
        "lists": menu_lists(user=request.user),
        "paper": paper,
        # Cards fetched by the deck's background requests return to the deck, not to that JSON address.
        "next": reverse("deck:deck") if wants_json(request) else request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def tagged(messages: Iterable[Message], tag: str) -> list[Message]:
    """The messages carrying `tag` (shown next to the form they belong to), e.g. the bulk-action bar's."""
    return [message for message in messages if tag in message.extra_tags.split()]


@register.filter
def untagged(messages: Iterable[Message], tag: str) -> list[Message]:
    """The messages for the top of the page: all but those shown by their form."""
    return [message for message in messages if tag not in message.extra_tags.split()]


@register.filter
def member_name(user: User | None) -> str:
    """How a group names one of its members: their name, else their email; "a former member" once gone."""
    if user is None:
        return "a former member"
    return user.name or user.email
