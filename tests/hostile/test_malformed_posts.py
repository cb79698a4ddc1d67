"""Hostile input, malformed POSTs (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import pytest

from deck.models import Swipe

pytestmark = pytest.mark.django_db


MALFORMED = {
    "multipart-cut-short": (
        b'--x\r\nContent-Disposition: form-data; name="paper"\r\n\r\n1',
        "multipart/form-data; boundary=x",
        400,
    ),
    "multipart-without-boundary": (b"--x\r\nbroken", "multipart/form-data", 400),
    "invalid-utf-8-form": (b"paper=%FF%FE&decision=keep", "application/x-www-form-urlencoded", 400),
    "binary-garbage-form": (b"\xff\xfe\x00\x01garbage", "application/x-www-form-urlencoded", 400),
    "json-instead-of-a-form": (b'{"paper": 1, "decision": "keep"}', "application/json", 400),
}


@pytest.mark.parametrize(("body", "content_type", "status"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_post_is_a_400(as_alice, alice, body, content_type, status):
    response = as_alice.post("/deck/decide/", body, content_type=content_type)
    assert response.status_code == status
    assert not Swipe.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_on_a_post_only_view_are_a_405(as_alice, alice, method):
    assert getattr(as_alice, method)("/lists/new/").status_code == 405
    assert alice.reading_lists.count() == 1
