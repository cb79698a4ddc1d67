"""Hostile input, page numbers, sorts and filters (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import pytest

from deck.models import Swipe
from library import services
from library.selectors import default_list

pytestmark = pytest.mark.django_db


PAGE_NUMBERS = {
    "page-negative": "-1",
    "page-zero": "0",
    "page-huge": "99999999999999999999999",
    "page-5000-digits": "9" * 5000,
    "page-not-a-number": "abc",
    "page-float": "1.5",
    "page-exponent": "1e3",
}


@pytest.mark.parametrize("number", list(PAGE_NUMBERS.values()), ids=list(PAGE_NUMBERS))
def test_a_bad_page_number_shows_a_real_page(as_alice, alice, kept, number):
    """Paginator.get_page: not a number is the first page, out of range the last; never an error."""
    shared = services.share_list(reading_list=default_list(user=alice))
    for path, params in (
        ("/papers/", {}),
        ("/search/", {"q": "zebrafish"}),
        ("/history/", {}),
        ("/lists/reading-list/", {}),
        (f"/shared/{shared.share_token}/", {}),
    ):
        response = as_alice.get(path, {**params, "page": number})
        assert response.status_code == 200, path
        assert response.context["page"].number == 1, path
        assert "Zebrafish regeneration" in response.content.decode(), path


UNKNOWN_VALUES = {
    "list-sort-unknown": ("/lists/reading-list/", {"sort": "DROP TABLE"}, 200),
    "list-state-unknown": ("/lists/reading-list/", {"state": "burnt"}, 200),
    "history-decision-unknown": ("/history/", {"decision": "maybe"}, 200),
    "search-date-invalid": ("/search/", {"q": "zebrafish", "from": "2024-13-45"}, 200),
    "search-scope-unknown": ("/search/", {"q": "zebrafish", "in": "everyone"}, 200),
    "papers-category-unknown": ("/papers/", {"category": "no.SUCH"}, 200),
    "export-format-unknown": ("/lists/reading-list/export/docx/", {}, 404),
    "deck-refill-count-too-big": ("/deck/cards/", {"count": "999"}, 400),
    "deck-refill-count-not-a-number": ("/deck/cards/", {"count": "five"}, 400),
}


@pytest.mark.parametrize(("path", "params", "status"), list(UNKNOWN_VALUES.values()), ids=list(UNKNOWN_VALUES))
def test_an_unknown_sort_or_filter_value_is_ignored_or_refused(as_alice, kept, path, params, status):
    response = as_alice.get(path, params)
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        if path == "/papers/":
            assert "no.SUCH" in html  # "no category no.SUCH": said, and every paper listed
        if "from" in params:
            assert "Enter a valid date." in html
        assert "Zebrafish regeneration" in html  # the bad value is dropped, the rest still shows


def test_changing_a_decision_with_an_unknown_filter_is_a_400(as_alice, alice, kept):
    swipe = Swipe.objects.get(user=alice)
    assert as_alice.post(f"/history/{swipe.pk}/", {"decision": "skip", "filter": "//evil.example"}).status_code == 400
    assert Swipe.objects.get(pk=swipe.pk).decision == "keep"
