"""Hostile input, invalid and tricky arXiv ids (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from deck.models import SeedPaper

from ..factories import PaperFactory
from .helpers import (
    assert_inert,
)

pytestmark = pytest.mark.django_db


# 2401.01234 in fullwidth digits (U+FF10…) and in Arabic-Indic ones (U+0660…): Unicode digits, not ASCII.
FULLWIDTH_ID = "2401.01234".translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
ARABIC_INDIC_ID = "2401.01234".translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
PAPER_PATHS = {
    "version-zero": ("/papers/2401.01234v0/", 404),
    "six-digit-number": ("/papers/2401.123456/", 404),
    "path-traversal": ("/papers/..%2F..%2Fetc%2Fpasswd/", 404),
    "fullwidth-digits": (f"/papers/{FULLWIDTH_ID}/", 404),
    "javascript-url": ("/papers/javascript:alert(1)/", 404),
    "foreign-host-prefix": ("/papers/https://evil.example/abs/2401.01234/", 404),
    "5000-digits": ("/papers/" + "9" * 5000 + "/", 404),
    "script-in-path": ("/papers/%3Cscript%3Ealert(1)%3C%2Fscript%3E/", 404),
    "arxiv-url-prefix": ("/papers/https://arxiv.org/abs/2401.01234v2/", 301),
}


@pytest.mark.parametrize(("path", "status"), list(PAPER_PATHS.values()), ids=list(PAPER_PATHS))
def test_a_tricky_paper_address_is_a_404_or_the_one_paper_url(client, lg, path, status):
    PaperFactory(arxiv_id="2401.01234", primary_category=lg)
    response = client.get(path)
    assert response.status_code == status
    if status == 301:
        assert response["Location"] == "/papers/2401.01234/"
    else:
        html = response.content.decode()
        assert "We don't have that paper" in html
        assert_inert(html, path)
        assert re.findall(r'href="(https://arxiv\.org/abs/[^"]*)"', html), "the arXiv link is https"


def test_implausible_pasted_ids_are_listed_and_never_sent_to_arxiv(as_alice, alice, arxiv):
    pasted = "\n".join(
        [
            "2401.01234v0",  # versions start at 1
            "0000.00000",  # month 00
            "0013.12345",  # month 13
            "0612.12345",  # new-style numbering began in 0704
            "1501.1234",  # five digits from 1501
            "astro-ph/9107001",  # arXiv began in 9108
            "hep-th/99013",  # old-style numbers have seven digits
            "2401.01234\u200b",  # a zero-width space glued on
        ]
    )
    response = as_alice.post("/settings/interests/seeds/", {"ids": pasted})
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 papers added" in html
    for piece in pasted.splitlines():
        assert escape(piece) in html, piece
    assert arxiv.asked == []
    assert not SeedPaper.objects.exists()


@pytest.mark.parametrize("digits", [FULLWIDTH_ID, ARABIC_INDIC_ID], ids=["fullwidth", "arabic-indic"])
def test_ids_in_non_ascii_digits_are_not_sent_to_arxiv(as_alice, alice, arxiv, digits):
    response = as_alice.post("/settings/interests/seeds/", {"ids": f"{digits}\n2401.05678"})
    assert response.status_code == 200
    assert arxiv.asked == ["2401.05678"]
