"""Hostile input, oversized fields and bodies (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import pytest

from deck.models import SeedPaper
from library.models import ReadingListEntry

from .helpers import (
    said,
    upload,
)

pytestmark = pytest.mark.django_db


def test_a_list_name_over_100_characters_is_refused(as_alice, alice):
    response = as_alice.post("/lists/new/", {"name": "x" * 101})
    assert response.status_code == 400  # the lists page, the error under the name
    assert "Ensure this value has at most 100 characters (it has 101)." in response.content.decode()
    assert alice.reading_lists.count() == 1


def test_a_note_of_a_million_characters_is_refused_and_shown_again(as_alice, alice, kept):
    entry = ReadingListEntry.objects.get(reading_list__user=alice)
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": "n" * 1_000_000})
    assert response.status_code == 400
    assert "Notes are at most 10,000 characters (this one has 1000000)." in response.content.decode()
    entry.refresh_from_db()
    assert entry.note == ""


BODY_LIMITS = {
    # Django refuses these before any view: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) and _NUMBER_FIELDS (1,000).
    "form-body-3-mb": ("/lists/new/", {"name": "x" * 3_000_000}),
    "pasted-ids-10-mb": ("/settings/interests/seeds/", {"ids": "2401.01234\n" * 1_000_000}),
    "1100-form-fields": ("/lists/reading-list/entries/remove/", {f"field{i}": "1" for i in range(1100)}),
}


@pytest.mark.parametrize(("path", "data"), list(BODY_LIMITS.values()), ids=list(BODY_LIMITS))
def test_an_oversized_body_is_a_400(as_alice, alice, path, data):
    assert as_alice.post(path, data).status_code == 400
    assert alice.reading_lists.count() == 1
    assert not SeedPaper.objects.exists()


def test_a_10_mb_seed_upload_is_refused_with_a_message(as_alice, alice):
    data = b"@misc{k, title = {A title}, eprint = {2401.01234}}\n" * 210_000  # 10.5 MB
    assert len(data) > 10_000_000
    response = as_alice.post("/settings/interests/seeds/", upload("library.bib", data))
    assert response.status_code == 400  # the interests page, the message under the file field
    assert "Files are at most 5 MB." in response.content.decode()
    assert not SeedPaper.objects.exists()


def test_a_bulk_action_on_600_entries_is_refused_with_a_message(as_alice, alice, kept):
    ids = [str(ReadingListEntry.objects.get().pk)] + [str(n) for n in range(10**6, 10**6 + 599)]
    response = as_alice.post("/lists/reading-list/entries/remove/", {"entries": ids}, follow=True)
    assert response.redirect_chain == [("/lists/reading-list/", 302)]
    assert said(response, "At most 500 ids at once.")
    assert ReadingListEntry.objects.count() == 1


def test_a_deck_refill_excluding_101_cards_is_a_400(as_alice):
    response = as_alice.get("/deck/cards/", {"exclude": ",".join(str(n) for n in range(1, 102))})
    assert response.status_code == 400


def test_20001_characters_of_pasted_ids_are_refused_with_a_message(as_alice):
    response = as_alice.post("/settings/interests/seeds/", {"ids": "x" * 20_001})
    assert response.status_code == 400
    html = response.content.decode()
    message = "Ensure this value has at most 20000 characters (it has 20001)."
    assert f'<p class="field-error" id="seed-ids-error">{message}</p>' in html  # one error, the one that is true
    assert not SeedPaper.objects.exists()
