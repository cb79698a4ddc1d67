"""Template helpers for showing arXiv papers. Everything here escapes its input."""

from __future__ import annotations

from datetime import UTC, datetime

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
