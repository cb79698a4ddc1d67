from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from library.zotero.items import coins_title

register = template.Library()


@register.simple_tag
def coins(paper: object) -> SafeString:
    """A COinS span for the Zotero Connector: the URL-encoded ContextObject, attribute-escaped."""
    return format_html('<span class="Z3988" title="{}"></span>', coins_title(paper))  # type: ignore[arg-type]
