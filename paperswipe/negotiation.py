"""Which answer a request asks for: the deck's and the lists' background requests ask for JSON."""

from __future__ import annotations

from django.http import HttpRequest


def wants_json(request: HttpRequest) -> bool:
    """A background request of our own scripts (they send Accept: application/json), not a page."""
    return "application/json" in request.headers.get("Accept", "")
