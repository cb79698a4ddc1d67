"""Another user's object is 404, on every view that takes an object's id or slug. The inventory test
fails when a new such view appears without a line here."""

import re

import pytest
from django.urls import get_resolver

from deck import services as deck_services
from deck.models import ForgottenFeature, Interest, Swipe
from library import services as library_services
from library.groups import services as group_services
from library.models import Membership, ReadingList, ReadingListEntry, ZoteroSend

from . import test_url_sweep as url_sweep
from .factories import PaperFactory, UserFactory
from .test_url_sweep import routes

pytestmark = pytest.mark.django_db

# Routes with an object in the address, and how Bob (signed in) tries Alice's object on each.
# (method, address, data); {swipe} {interest} {entry} {send} {forgotten} are Alice's, {list} is Bob's.
ENTRY, MOVE = {"entries": "{entry}"}, {"entries": "{entry}", "target": "{list}"}
ATTEMPTS = {
    "history/<int:swipe_id>/": ("post", "/history/{swipe}/", {"decision": "skip"}),
    "settings/interests/<int:interest_id>/remove/": ("post", "/settings/interests/{interest}/remove/", {}),
    "settings/learned/<int:forgotten_id>/again/": ("post", "/settings/learned/{forgotten}/again/", {}),
    "lists/<slug:slug>/": ("get", "/lists/secret/", {}),
    "lists/<slug:slug>/rename/": ("post", "/lists/secret/rename/", {"name": "Mine"}),
    "lists/<slug:slug>/delete/": ("post", "/lists/secret/delete/", {}),
    "lists/<slug:slug>/up/": ("post", "/lists/secret/up/", {}),
    "lists/<slug:slug>/down/": ("post", "/lists/secret/down/", {}),
    "lists/<slug:slug>/share/": ("post", "/lists/secret/share/", {}),
    "lists/<slug:slug>/unshare/": ("post", "/lists/secret/unshare/", {}),
    "lists/<slug:slug>/export/<str:fmt>/": ("get", "/lists/secret/export/bibtex/", {}),
    "lists/<slug:slug>/more-like-this/": ("get", "/lists/secret/more-like-this/", {}),
    "lists/<slug:slug>/import/": ("post", "/lists/secret/import/", {}),
    "lists/<slug:slug>/entries/state/": ("post", "/lists/secret/entries/state/", {**ENTRY, "state": "read"}),
    "lists/<slug:slug>/entries/move/": ("post", "/lists/secret/entries/move/", MOVE),
    "lists/<slug:slug>/entries/copy/": ("post", "/lists/secret/entries/copy/", MOVE),
    "lists/<slug:slug>/entries/remove/": ("post", "/lists/secret/entries/remove/", ENTRY),
    "lists/<slug:slug>/entries/<int:entry_id>/": ("post", "/lists/reading-list/entries/{entry}/", {"note": "x"}),
    "lists/<slug:slug>/entries/<int:entry_id>/open/": ("get", "/lists/reading-list/entries/{entry}/open/", {}),
    "lists/<slug:slug>/zotero/": ("post", "/lists/secret/zotero/", {"notes": "1"}),
    "zotero/sends/<int:send_id>/": ("get", "/zotero/sends/{send}/", {}),
    "groups/<slug:slug>/": ("get", "/groups/secret-lab/", {}),
    "groups/<slug:slug>/rename/": ("post", "/groups/secret-lab/rename/", {"name": "Mine"}),
    "groups/<slug:slug>/leave/": ("post", "/groups/secret-lab/leave/", {}),
    "groups/<slug:slug>/delete/": ("post", "/groups/secret-lab/delete/", {}),
    "groups/<slug:slug>/members/<str:action>/": ("post", "/groups/secret-lab/members/remove/", {"member": "{member}"}),
}
# Routes whose object is found by a secret token, not by an id (tested in their own modules), the public
# catalog, and the signed-in user's own library in any format.
BY_TOKEN = {r for r in url_sweep.BY_TOKEN if not r.startswith("accounts/")} | {
    "papers/<path:arxiv_id>/",
    "library/export/<str:fmt>/",
}


def test_every_route_with_an_object_in_its_address_is_tried_here():
    with_object = {
        r for r in routes(get_resolver().url_patterns) if re.search(r"<(int|slug|str|path):", r) and "/" in r
    }
    with_object = {r for r in with_object if not r.startswith(("admin/", "accounts/"))}
    assert with_object == set(ATTEMPTS) | BY_TOKEN


@pytest.fixture
def alices_things():
    alice, bob = UserFactory(email="alice@example.org"), UserFactory(email="bob@example.org")
    paper = PaperFactory(title="Alice's paper")
    swipe, _ = deck_services.decide(user=alice, paper=paper, decision="keep")
    deck_services.set_interest(user=alice, kind="author", value="Ada Lovelace", stance="mute")
    interest = Interest.objects.get(user=alice, value="Ada Lovelace")
    secret = library_services.create_list(user=alice, name="Secret")
    library_services.create_list(user=alice, name="Other")
    entry, _ = library_services.add_to_list(reading_list=secret, paper=paper)
    bobs_list = library_services.create_list(user=bob, name="Bob's")
    send = ZoteroSend.objects.create(user=alice, reading_list=secret, collection_name="Secret")
    forgotten = deck_services.forget_feature(user=alice, kind="term", value="qubits", token="qubits")
    lab = group_services.create_group(user=alice, name="Secret lab")
    ids = {"swipe": swipe.pk, "interest": interest.pk, "entry": entry.pk, "list": bobs_list.pk, "send": send.pk}
    ids["forgotten"] = forgotten.pk
    ids["member"] = lab.memberships.get().pk
    return alice, bob, ids


def snapshot(alice):
    lists = list(ReadingList.objects.filter(user=alice).values_list("name", "slug", "position", "share_token"))
    entries = ReadingListEntry.objects.filter(reading_list__user=alice)
    entries = list(entries.values_list("state", "note", "reading_list"))
    return (
        lists,
        entries,
        list(Swipe.objects.filter(user=alice).values_list("decision", flat=True)),
        list(Interest.objects.filter(user=alice).values_list("value", flat=True)),
        list(ZoteroSend.objects.values_list("user", "state", "with_notes")),
        list(ForgottenFeature.objects.filter(user=alice).values_list("token", flat=True)),
        list(Membership.objects.values_list("group__name", "group__slug", "user", "role")),
    )


@pytest.mark.parametrize("route", sorted(ATTEMPTS))
def test_bob_gets_404_for_alices_object_and_changes_nothing(client, alices_things, route):
    alice, bob, ids = alices_things
    method, address, data = ATTEMPTS[route]
    before = snapshot(alice)
    client.force_login(bob)
    data = {key: value.format(**ids) for key, value in data.items()}
    response = getattr(client, method)(address.format(**ids), data)
    assert response.status_code == 404, (route, response.status_code)
    assert snapshot(alice) == before
