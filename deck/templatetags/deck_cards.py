"""The deck's cards, each rendered once per paper and version and reused by every reader.

templates/deck/_card.html is rendered as a stencil: the same for every reader, with a hole (an HTML
comment, `<!--live:name-->`) wherever a request puts its own part: the published date ("2 hours ago"
moves on), the "why" line (the reader's queue row), the Save-to menu (the reader's lists), the
address the card's forms return to and the CSRF token. The stencils of a page's cards come from the
cache in one round trip; each request fills the holes with one pass over the text.

A hole can only come from the stencil itself: autoescaping turns every "<" of arXiv text into "&lt;",
so no title or abstract can contain one. The parts filled in are escaped here (format_html, escape).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from django import template
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from library.templatetags.library_tags import save_to
from papers.models import Paper
from papers.templatetags.paper_tags import relative_date

from .deck_tags import back_to

register = template.Library()

STENCIL_TTL = 3600  # what can change at one version (dates, listing, categories) is part of the key
HOLE = re.compile(r"<!--live:(\w+)-->")


def _hole(name: str) -> SafeString:
    return mark_safe(f"<!--live:{name}-->")  # noqa: S308 (a constant of ours, no outside text)


class _Holes:
    """The stencil's `live`: each attribute is the hole of that name."""

    def __getattr__(self, name: str) -> SafeString:
        if name.startswith("_"):
            raise AttributeError(name)
        return _hole(name)


class _PaperHole:
    """The paper of the Save-to form rendered once a page: its id is a hole each card fills."""

    pk = _hole("pk")


def stencil_key(paper: Paper) -> str:
    """The paper's id and version, and what a listing or a newer source may change at the same version.

    A cross-list's category merged at the same version shows within STENCIL_TTL, as the card's cached
    fragment always did: the key reads only the paper's row, no other table."""
    parts = (paper.version, paper.published, paper.announced_on, paper.announce_type, paper.primary_category_id)
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
    return f"deck:card:{paper.pk}:{digest}"


def render_stencil(paper: Paper) -> str:
    return get_template("deck/_card.html").render({"paper": paper, "live": _Holes(), "csrf_token": _hole("csrf")})


def stencils(papers: list[Paper]) -> dict[int, str]:
    """Each paper's stencil: from the cache in one round trip, the missing ones rendered and stored."""
    keys = {paper.pk: stencil_key(paper) for paper in papers}
    found = cache.get_many(list(keys.values()))
    out: dict[int, str] = {}
    missing: dict[str, str] = {}
    unrendered = [paper for paper in papers if keys[paper.pk] not in found]
    prefetch_related_objects(unrendered, "primary_category", "categories")  # for the cards rendered now only
    for paper in papers:
        key = keys[paper.pk]
        out[paper.pk] = found[key] if key in found else missing.setdefault(key, render_stencil(paper))
    if missing:
        cache.set_many(missing, STENCIL_TTL)
    return out


def why_line(paper: Paper) -> SafeString | str:
    """Why the ranker put the card here: the reader's own queue row, so never part of the stencil."""
    why = getattr(paper, "deck_card", None)
    if why is None:
        return ""
    css = "why exploring" if why.exploring else "why"
    if why.reason_paper is not None:
        liked = why.reason_paper
        return format_html(
            '<p class="{}">Like <a href="{}">{}</a>, which you kept</p>', css, liked.get_absolute_url(), liked.title
        )
    return format_html('<p class="{}">{}</p>', css, why.reason)


def fill(stencil: str, parts: Mapping[str, str]) -> SafeString:
    """The stencil with each hole replaced by its part; a hole without one is a KeyError, never left in."""
    return mark_safe(HOLE.sub(lambda hole: parts[hole[1]], stencil))  # noqa: S308 (the parts are escaped)


def render_cards(papers: list[Paper], request: HttpRequest) -> list[SafeString]:
    """The cards' HTML for this request: the stencils with their holes filled."""
    if not papers:
        return []
    csrf = escape(get_token(request))
    # The Save-to form is the same on every card but for the paper's id: rendered once for the page.
    # On a card the list also takes a keep: "Keep and save to <list>" is one decision (deck:decide).
    lists_form = render_to_string(
        "library/_save_to.html", save_to({"request": request, "csrf_token": csrf}, _PaperHole()) | {"with_keep": True}
    )
    shared = {"next": escape(back_to(request)), "csrf": csrf}
    found = stencils(papers)
    return [
        fill(
            found[paper.pk],
            {
                **shared,
                "published": relative_date(paper.published) if paper.published else "",
                "why": why_line(paper),
                "save_to": lists_form.replace(_hole("pk"), str(paper.pk)),
            },
        )
        for paper in papers
    ]


@register.simple_tag(takes_context=True)
def deck_cards(context: Mapping[str, Any], papers: list[Paper]) -> SafeString:
    return mark_safe("".join(render_cards(papers, context["request"])))  # noqa: S308 (each card escaped)
