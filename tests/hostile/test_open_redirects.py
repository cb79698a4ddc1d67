"""Hostile input, open redirects (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from library import services
from library.models import ReadingList, ReadingListEntry
from papers.models import Paper

from .helpers import (
    PASSWORD,
)

pytestmark = pytest.mark.django_db


FOREIGN_TARGETS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "\t//evil.example",
    "https://testserver@evil.example",
]
LOCAL_TARGET = "/history/?decision=keep"


@dataclass
class Redirects:
    alice: Any
    paper: Paper
    entry: ReadingListEntry
    thesis: ReadingList


@pytest.fixture
def redirects(alice, kept):
    return Redirects(
        alice, kept, ReadingListEntry.objects.get(paper=kept), services.create_list(user=alice, name="Thesis")
    )


def _signed_in(r: Redirects) -> Client:
    client = Client()
    client.force_login(r.alice)
    return client


def _log_in(r: Redirects, target: str):
    return Client().post("/accounts/login/", {"login": r.alice.email, "password": PASSWORD, "next": target})


def _log_out(r: Redirects, target: str):
    return _signed_in(r).post("/accounts/logout/", {"next": target})


def _post(path: Callable[[Redirects], str], data: Callable[[Redirects], dict]) -> Callable[[Redirects, str], Any]:
    return lambda r, target: _signed_in(r).post(path(r), {**data(r), "next": target})


# view: (send a `next`, where a refused one lands)
NEXT_TAKERS: dict[str, tuple[Callable[[Redirects, str], Any], str]] = {
    "deck-decide": (_post(lambda r: "/deck/decide/", lambda r: {"paper": r.paper.pk, "decision": "skip"}), "/"),
    "follow-or-mute": (
        _post(
            lambda r: "/settings/interests/set/", lambda r: {"kind": "keyword", "value": "graphene", "stance": "follow"}
        ),
        "/settings/interests/",
    ),
    "entries-state": (
        _post(lambda r: "/lists/reading-list/entries/state/", lambda r: {"entries": r.entry.pk, "state": "read"}),
        "/lists/reading-list/",
    ),
    "entries-copy": (
        _post(lambda r: "/lists/reading-list/entries/copy/", lambda r: {"entries": r.entry.pk, "target": r.thesis.pk}),
        "/lists/reading-list/",
    ),
    "entries-move": (
        _post(lambda r: "/lists/reading-list/entries/move/", lambda r: {"entries": r.entry.pk, "target": r.thesis.pk}),
        "/lists/reading-list/",
    ),
    "entries-remove": (
        _post(lambda r: "/lists/reading-list/entries/remove/", lambda r: {"entries": r.entry.pk}),
        "/lists/reading-list/",
    ),
    "entry-note": (
        _post(lambda r: f"/lists/reading-list/entries/{r.entry.pk}/", lambda r: {"note": "n", "state": "read"}),
        "/lists/reading-list/",
    ),
    "save-to-list": (_post(lambda r: "/save/", lambda r: {"list": r.thesis.pk, "paper": r.paper.pk}), "/lists/thesis/"),
    "login": (_log_in, "/"),
    "logout": (_log_out, "/papers/"),
}


@pytest.mark.parametrize(("send", "fallback"), list(NEXT_TAKERS.values()), ids=list(NEXT_TAKERS))
def test_every_next_refuses_other_sites_and_keeps_local_pages(redirects, send, fallback):
    for target in FOREIGN_TARGETS:
        response = send(redirects, target)
        assert (response.status_code, response["Location"]) == (302, fallback), target
    response = send(redirects, LOCAL_TARGET)
    assert (response.status_code, response["Location"]) == (302, LOCAL_TARGET)


def test_the_admin_login_hands_next_to_the_checked_login(client):
    response = client.get("/admin/login/", {"next": "https://evil.example"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
