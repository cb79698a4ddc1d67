"""Hostile input, Unicode edge cases (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape

from deck.models import Interest, SeedPaper, Swipe
from library.models import ReadingListEntry

from .helpers import (
    assert_inert,
    page,
    said,
    upload,
)

pytestmark = pytest.mark.django_db


UNICODE_NOTES = {
    "note-rtl-override": "read \u202egnp.exe\u202c later",
    "note-zero-width": "zero\u200bwidth\u200d\ufeff joiners",
    "note-combining-marks": "Z\u0336\u0321a\u0337" + "\u0301" * 300 + "lgo",
}


@pytest.mark.parametrize("note", list(UNICODE_NOTES.values()), ids=list(UNICODE_NOTES))
def test_invisible_characters_in_a_note_are_kept_and_shown_inside_its_textarea(as_alice, alice, kept, note):
    """A note is the user's own text: it is stored as typed and shown only to them, escaped, inside its
    textarea, where a direction override cannot reach the rest of the page."""
    entry = ReadingListEntry.objects.get(reading_list__user=alice)
    assert as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": note}).status_code == 302
    entry.refresh_from_db()
    assert entry.note == note
    html = page(as_alice, "/lists/reading-list/")
    assert re.search(r"<textarea[^>]*>" + re.escape(escape(note)) + "</textarea>", html)
    assert note in as_alice.get("/lists/reading-list/export/csl-json/").json()[0]["note"]


def test_a_list_name_of_zalgo_text_over_100_characters_is_refused(as_alice, alice):
    response = as_alice.post("/lists/new/", {"name": "Z" + "\u0336" * 150})
    assert response.status_code == 400
    assert "Ensure this value has at most 100 characters (it has 151)." in response.content.decode()
    assert alice.reading_lists.count() == 1


def test_a_list_name_of_combining_marks_only_is_kept_escaped_with_a_plain_slug(as_alice, alice):
    """Combining marks are visible characters (Unicode category M): the name is kept, the slug falls back."""
    response = as_alice.post("/lists/new/", {"name": "\u0301\u0302\u0303"}, follow=True)
    created = alice.reading_lists.get(is_default=False)
    assert (created.name, created.slug) == ("\u0301\u0302\u0303", "list")
    assert response.redirect_chain[-1][0] == "/lists/list/"
    assert_inert(response.content.decode(), "list page")


def test_an_interest_loses_its_direction_override_and_zero_width_space(as_alice, alice):
    as_alice.post("/settings/interests/set/", {"kind": "author", "value": "\u202eAda\u200b Lovelace", "stance": "mute"})
    assert Interest.objects.get(user=alice).value == "Ada Lovelace"


NUL = {
    "nul-in-a-query-key": lambda c: c.get("/search/", {"q\x00": "x"}),
    "nul-in-a-page-number": lambda c: c.get("/history/", {"page": "1\x00"}),
    "nul-in-pasted-ids": lambda c: c.post("/settings/interests/seeds/", {"ids": "2401.01234\x00"}),
    "nul-in-an-interest": lambda c: c.post(
        "/settings/interests/set/", {"kind": "author", "value": "A\x00", "stance": "mute"}
    ),
    "nul-in-a-redirect-target": lambda c: c.post("/deck/decide/", {"paper": 1, "decision": "keep", "next": "/\x00"}),
}


@pytest.mark.parametrize("send", list(NUL.values()), ids=list(NUL))
def test_a_nul_byte_in_a_parameter_is_a_400(as_alice, alice, send):
    response = send(as_alice)
    assert response.status_code == 400
    assert response.content == b"Requests may not contain NUL characters."
    assert not Interest.objects.exists()
    assert not SeedPaper.objects.exists()
    assert not Swipe.objects.exists()


@pytest.mark.parametrize("path", ["/shared/%00/", "/papers/2401.01234%00/", "/lists/a%00b/"])
def test_a_nul_byte_in_any_address_is_refused_before_any_view(client, path):
    """NUL used to reach PostgreSQL, which refuses it in text: a 500. RejectNulMiddleware now answers."""
    response = client.get(path)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.parametrize("path", ["/shared/%00/feed/", "/feed/%00/"], ids=["shared-feed", "private-feed"])
def test_a_nul_byte_in_a_feed_address_is_a_4xx(path):
    response = Client(raise_request_exception=False).get(path)
    assert 400 <= response.status_code < 500, response.status_code


def test_a_nul_byte_inside_an_uploaded_file_refuses_the_file(as_alice):
    response = as_alice.post("/settings/interests/seeds/", upload("a.bib", b"@misc{a,\x00 title={x}}"), follow=True)
    assert response.redirect_chain == [("/settings/interests/", 302)]
    assert said(response, "Nothing was added: This file is not BibTeX, RIS or CSL-JSON.")


def test_invalid_utf_8_in_a_query_is_replaced_not_an_error(as_alice):
    response = as_alice.get("/search/?q=%ED%A0%80%FF%FEzebra")
    assert response.status_code == 200
    assert "\ufffd" in response.context["q"]


def test_half_a_surrogate_pair_in_a_json_title_is_reported_not_a_500(as_alice):
    """json.loads makes "\\ud800" a lone surrogate, which no page can encode: it was a 500 (fixed in
    papers/references/parse.py)."""
    response = as_alice.post("/settings/interests/seeds/", upload("a.json", b'[{"title": "half \\ud800 pair"}]'))
    assert response.status_code == 200
    assert "half \ufffd pair" in response.content.decode()
