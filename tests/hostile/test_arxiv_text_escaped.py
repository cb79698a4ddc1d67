"""Hostile input, XSS in arXiv text (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils.html import escape

from deck import services as deck_services
from library import services
from library.selectors import default_list
from papers.models import Paper

from ..factories import PaperFactory
from .helpers import (
    ATOM,
    assert_escaped,
    assert_inert,
    page,
)

pytestmark = pytest.mark.django_db


# {f} names the field, so that each page is checked for the very fields it shows.
ARXIV_XSS = {
    "script-tag": "<script>alert('{f}')</script>",
    "img-onerror": "<img src=x onerror=alert('{f}')>",
    "svg-onload": "<svg/onload=alert('{f}')>",
    "svg-script": "<svg><script>alert('{f}')</script></svg>",
    "attribute-breakout": "\" autofocus onfocus=\"alert('{f}')",
    "javascript-url": "javascript:alert('{f}')",
    "entity-smuggling": "&lt;script&gt;alert('{f}')&lt;/script&gt;",
}
FIELDS = ("title", "abstract", "author", "affiliation", "comment")


@dataclass
class HostileCatalog:
    """Two papers whose every text field carries the payload: one unseen (deck, private feed), one kept
    (history, reading list, which is shared, its feed and exports)."""

    text: Callable[[str], str]
    unseen: Paper
    kept: Paper
    share_token: str
    feed_token: str


@pytest.fixture
def hostile_catalog(request, alice, lg):
    template = ARXIV_XSS[request.param]

    def text(field: str) -> str:
        return template.format(f=field)

    def paper(which: str) -> Paper:
        return PaperFactory(
            primary_category=lg,
            title=f"Zebrafish {which} {text('title')}",
            abstract=text("abstract"),
            comment=text("comment"),
            authors=[{"name": text("author"), "affiliations": [text("affiliation")]}],
        )

    unseen, kept = paper("unseen"), paper("kept")
    deck_services.decide(user=alice, paper=kept, decision="keep")
    shared = services.share_list(reading_list=default_list(user=alice))
    feed = deck_services.reset_feed_token(user=alice)
    return HostileCatalog(text, unseen, kept, shared.share_token, feed.feed_token)


def check_atom(body: bytes, expected: list[tuple[str, str, str]], where: str) -> None:
    """Atom: titles and names are text elements; the summary is typed html, so its text must be the
    escaped abstract. A payload that became XML markup would show up as child elements."""
    for markup in (b"<script", b"<img", b"<svg"):
        assert markup not in body, where
    entries = {e.findtext(f"{ATOM}title"): e for e in ET.fromstring(body).iter(f"{ATOM}entry")}
    for title, abstract, author in expected:
        entry = entries[title]
        title_element = entry.find(f"{ATOM}title")
        assert title_element is not None, where
        assert len(title_element) == 0, where
        assert title_element.get("type", "text") == "text", where
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None, where
        assert (summary.get("type"), summary.text) == ("html", escape(abstract)), where
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == author, where
        for link in entry.iter(f"{ATOM}link"):
            assert link.get("href", "").startswith("http"), where


@pytest.mark.parametrize("hostile_catalog", list(ARXIV_XSS), indirect=True)
def test_arxiv_text_is_shown_escaped_on_every_page(hostile_catalog, as_alice, alice):
    c = hostile_catalog
    title = c.text("title")
    shown = {
        "deck card": ("/", {}, ["title", "abstract", "author"]),
        "paper page": (c.unseen.get_absolute_url(), {}, list(FIELDS)),
        "search results": ("/search/", {"q": "zebrafish"}, ["title", "author"]),
        "history": ("/history/", {}, ["title"]),
        "list page": ("/lists/reading-list/", {}, ["title", "author"]),
    }
    for where, (path, params, fields) in shown.items():
        html = page(as_alice, path, **params)
        assert_inert(html, where)
        for field in fields:
            assert_escaped(html, c.text(field), f"{where}, {field}")
    assert escape(f"Zebrafish unseen {title}") in page(as_alice, "/")  # the deck shows the unseen one

    cards = as_alice.get("/deck/cards/").json()["cards"]
    assert len(cards) == 1
    assert_inert(cards[0], "deck card fetched by the deck's script")
    assert_escaped(cards[0], title, "deck card fetched by the deck's script")

    anonymous = Client()
    shared = page(anonymous, f"/shared/{c.share_token}/")
    assert_inert(shared, "shared list page")
    for field in ("title", "author"):
        assert_escaped(shared, c.text(field), f"shared list page, {field}")

    kept, unseen = (f"Zebrafish {which} {title}" for which in ("kept", "unseen"))
    expected = [(kept, c.text("abstract"), c.text("author"))]
    check_atom(anonymous.get(f"/shared/{c.share_token}/feed/").content, expected, "shared list feed")
    expected = [(unseen, c.text("abstract"), c.text("author"))]
    check_atom(anonymous.get(f"/feed/{c.feed_token}/").content, expected, "private deck feed")

    # Exports are files for reference managers: the text stays as it is, and no browser renders them.
    for fmt in ("bibtex", "ris", "csl-json", "csv"):
        response = as_alice.get(f"/lists/reading-list/export/{fmt}/")
        assert response.status_code == 200
        assert "html" not in response["Content-Type"], fmt
        assert response["Content-Disposition"].startswith("attachment;"), fmt
        assert response["X-Content-Type-Options"] == "nosniff", fmt
