from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from library.selectors import lists_of

register = template.Library()


@register.inclusion_tag("library/_save_to.html", takes_context=True)
def save_to(context: dict[str, Any], paper: object) -> dict[str, Any]:
    """A "Save to…" form for any paper; the user's lists are read once per request."""
    request = context["request"]
    if not request.user.is_authenticated:
        return {"lists": None}
    if not hasattr(request, "_reading_lists"):
        request._reading_lists = list(lists_of(user=request.user))
    return {
        "lists": request._reading_lists,
        "paper": paper,
        # Cards fetched by the deck's background requests return to the deck, not to that JSON address.
        "next": reverse("deck:deck")
        if "application/json" in request.headers.get("Accept", "")
        else request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
