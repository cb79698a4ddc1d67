from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from deck.selectors import decisions_on

register = template.Library()


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
