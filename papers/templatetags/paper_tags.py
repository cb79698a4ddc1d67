"""Template helpers for showing arXiv papers. Everything here escapes its input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

register = template.Library()

AUTHORS_SHOWN = 3


@register.simple_tag
def relative_date(value: datetime | None) -> SafeString | str:
    """'2 weeks ago', with the exact UTC date on hover and in the markup."""
    if value is None:
        return "date unknown"
    now = timezone.now()
    if abs((now - value).total_seconds()) < 60:
        text = "just now"
    elif value < now:
        text = f"{timesince(value, now, depth=1)} ago"
    else:
        text = f"in {timeuntil(value, now, depth=1)}"
    text = text.replace("\xa0", " ")  # timesince's no-break spaces make copied text and tests awkward
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', utc.isoformat(), utc.strftime("%b %-d, %Y, %H:%M UTC"), text
    )


@register.filter
def authors_summary(names: list[str]) -> str:
    """'A, B, C et al. (+66 more)' for long author lists; the full list otherwise."""
    if len(names) <= AUTHORS_SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:AUTHORS_SHOWN])} et al. (+{len(names) - AUTHORS_SHOWN} more)"


@register.simple_tag
def highwire_date(value: datetime | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


@register.filter
def announcement(paper: Any) -> str:
    """How the paper reached the day's listing, as arXiv's listing says it: New, Cross-list from cs.LG,
    Replaced (v3). Empty for papers that no listing has announced."""
    kind = paper.announce_type
    primary = paper.primary_category.code if paper.primary_category_id and paper.primary_category else ""
    version = f" (v{paper.version})" if paper.version else ""
    if kind == "new":
        return "New"
    if kind == "cross":
        return f"Cross-list from {primary}" if primary else "Cross-list"
    if kind == "replace":
        return f"Replaced{version}"
    if kind == "replace-cross":
        return f"Replaced cross-list{version}"
    return ""


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@register.filter
def one_line(text: str) -> str:
    """Whitespace and line breaks collapsed: a title inside a line of a plain-text email."""
    return " ".join(text.split())


@register.filter
def abstract_line(abstract: str, limit: int = 200) -> str:
    """The abstract's first sentence, cut to about `limit` characters: one line in an email."""
    first = _SENTENCE_END.split(one_line(abstract), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"
