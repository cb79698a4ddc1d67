"""Hostile input, XSS in what users type (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils.html import escape

from deck.models import Interest
from library import services
from library.models import ReadingListEntry
from library.selectors import default_list
from papers.references import parse as references

from ..factories import PaperFactory
from .helpers import (
    ATOM,
    assert_escaped,
    assert_inert,
    messages_of,
    page,
    upload,
)

pytestmark = pytest.mark.django_db


LIST_NAMES = {
    "list-name-script": "<script>alert('list')</script>",
    "list-name-img-onerror": '"><img src=x onerror=alert(1)>',
}


@pytest.mark.parametrize("name", list(LIST_NAMES.values()), ids=list(LIST_NAMES))
def test_a_hostile_list_name_is_shown_escaped_everywhere(as_alice, alice, lg, kept, name):
    response = as_alice.post("/lists/new/", {"name": name}, follow=True)
    assert response.status_code == 200
    assert f"Created the list “{name}”." in messages_of(response)
    hostile = alice.reading_lists.get(is_default=False)
    assert hostile.name == name
    PaperFactory(primary_category=lg, title="Zebrafish unseen")  # a deck card, with its Save to… menu
    shared = services.share_list(reading_list=hostile)
    services.add_to_list(reading_list=hostile, paper=kept)
    pages = {
        "message and list page": response.content.decode(),
        "lists overview": page(as_alice, "/lists/"),
        "move/copy target on another list": page(as_alice, "/lists/reading-list/"),
        "Save to… on a deck card": page(as_alice, "/"),
        "Save to… in search results": page(as_alice, "/search/", q="zebrafish"),
        "Save to… in history": page(as_alice, "/history/"),
        "shared list page": page(Client(), f"/shared/{shared.share_token}/"),
    }
    for where, html in pages.items():
        assert_inert(html, where)
        assert_escaped(html, name, where)
    feed = Client().get(f"/shared/{shared.share_token}/feed/").content
    assert b"<script" not in feed
    assert b"<img" not in feed
    assert ET.fromstring(feed).findtext(f"{ATOM}title") == f"{name} · PaperSwipe"


NOTES = {  # "Kumquat" marks the note: it must never reach the shared page or feed
    "note-textarea-breakout": "</textarea><script>alert('Kumquat')</script>",
    "note-csv-formula": '=HYPERLINK("https://evil.example","Kumquat")',
}


@pytest.mark.parametrize("note", list(NOTES.values()), ids=list(NOTES))
def test_a_hostile_note_is_escaped_on_its_page_and_never_shared(as_alice, alice, kept, note):
    entry = ReadingListEntry.objects.get(reading_list__user=alice, paper=kept)
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": note, "state": "reading"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == note
    html = page(as_alice, "/lists/reading-list/")
    assert_inert(html, "list page")
    assert f"{escape(note)}</textarea>" in html
    assert html.count("</textarea>") == html.count("<textarea")  # the note closed no textarea
    shared = services.share_list(reading_list=default_list(user=alice))
    assert "Kumquat" not in page(Client(), f"/shared/{shared.share_token}/")
    assert b"Kumquat" not in Client().get(f"/shared/{shared.share_token}/feed/").content
    csv_text = as_alice.get("/lists/reading-list/export/csv/").content.decode()
    assert re.search(r"(^|,)\"?=", csv_text, re.M) is None  # no cell starts a formula
    if note.startswith("="):
        assert "'=HYPERLINK" in csv_text
    reply = as_alice.post(
        f"/lists/reading-list/entries/{entry.pk}/", {"note": note, "state": "read"}, HTTP_ACCEPT="application/json"
    )
    assert reply["Content-Type"] == "application/json"
    assert reply.json()["note"] == note


REFLECTED = "\"'><svg onload=alert(1)>"  # 24 characters: within the 32 of a category filter
SEARCH_PAGES = {  # path, query, whether the page shows the term again
    "search-query": ("/search/", {"q": REFLECTED}, True),
    "search-query-in-my-lists": ("/search/", {"q": REFLECTED, "in": "lists"}, True),
    "list-filter-words": ("/lists/reading-list/", {"q": REFLECTED}, True),
    "papers-category-filter": ("/papers/", {"category": REFLECTED}, True),
    "trending-category-filter": ("/papers/trending/", {"category": REFLECTED}, False),
    "login-next-field": ("/accounts/login/", {"next": REFLECTED}, True),
}


@pytest.mark.parametrize(("path", "query", "echoed"), list(SEARCH_PAGES.values()), ids=list(SEARCH_PAGES))
def test_a_hostile_search_term_is_echoed_escaped(client, alice, kept, path, query, echoed):
    if not path.startswith("/accounts/"):
        client.force_login(alice)
    html = page(client, path, **query)
    assert_inert(html, path)
    assert REFLECTED not in html
    if echoed:
        assert_escaped(html, REFLECTED, path)


def test_a_hostile_interest_is_shown_escaped(as_alice, alice):
    value = "<script>alert('author')</script>"
    response = as_alice.post(
        "/settings/interests/set/", {"kind": "author", "value": value, "stance": "follow"}, follow=True
    )
    assert response.status_code == 200
    assert Interest.objects.get(user=alice).value == value
    html = response.content.decode()
    assert_inert(html, "interests page")
    assert_escaped(html, value, "interests page")
    assert f"Following author “{value}”." in messages_of(response)


SEED_FILES = {
    "bibtex-title-script": ("hostile.bib", b"@misc{a, title = {<script>alert('bib')</script>}}\n"),
    "ris-title-img-onerror": ("hostile.ris", b"TY  - JOUR\nTI  - <img src=x onerror=alert('ris')>\nER  - \n"),
    "csl-json-title-svg": ("hostile.json", json.dumps([{"title": "<svg onload=alert('json')>"}]).encode()),
}


@pytest.mark.parametrize(("name", "data"), list(SEED_FILES.values()), ids=list(SEED_FILES))
def test_a_hostile_title_in_an_uploaded_file_is_reported_escaped(as_alice, alice, name, data):
    title = references.parse_references(data, name)[0].title
    response = as_alice.post("/settings/interests/seeds/", upload(name, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skipped: no arXiv id in the entry" in html
    assert_inert(html, "seed report")
    assert_escaped(html, title, "seed report")
