from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

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
