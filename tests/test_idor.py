"""Another user's object is 404, on every view that takes an object's id or slug. The inventory test
fails when a new such view appears without a line here."""

import re

import pytest
from django.urls import get_resolver

from deck import services as deck_services
from deck.models import ForgottenFeature, Interest, Swipe
from library import services as library_services
from library.groups import invitations
from library.groups import lists as group_lists
from library.groups import services as group_services
from library.models import Comment, Invitation, Membership, ReadingList, ReadingListEntry, Vote, ZoteroSend

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
    "groups/<slug:slug>/preferences/": ("post", "/groups/secret-lab/preferences/", {"shares_keeps": "on"}),
    "groups/<slug:slug>/invite/": ("post", "/groups/secret-lab/invite/", {"max_uses": "5"}),
    "groups/<slug:slug>/invite/email/": ("post", "/groups/secret-lab/invite/email/", {"email": "bob@example.org"}),
    "groups/<slug:slug>/invite/withdraw/": ("post", "/groups/secret-lab/invite/withdraw/", {"invitation": "{invite}"}),
    "groups/<slug:slug>/lists/": ("post", "/groups/secret-lab/lists/", {"name": "Mine"}),
    **{
        f"groups/<slug:slug>/lists/<slug:list_slug>/{route}": ("post" if data else "get", path, data or {})
        for route, path, data in [
            ("", "/groups/secret-lab/lists/plans/", None),
            ("rename/", "/groups/secret-lab/lists/plans/rename/", {"name": "Mine"}),
            ("delete/", "/groups/secret-lab/lists/plans/delete/", {"x": "1"}),
            ("export/<str:fmt>/", "/groups/secret-lab/lists/plans/export/csv/", None),
            ("zotero/", "/groups/secret-lab/lists/plans/zotero/", {"notes": "1"}),
            ("<int:entry_id>/", "/groups/secret-lab/lists/plans/{gentry}/", None),
            ("<int:entry_id>/state/", "/groups/secret-lab/lists/plans/{gentry}/state/", {"state": "read"}),
            ("<int:entry_id>/note/", "/groups/secret-lab/lists/plans/{gentry}/note/", {"note": "mine"}),
            ("<int:entry_id>/vote/", "/groups/secret-lab/lists/plans/{gentry}/vote/", {"vote": "1"}),
            ("<int:entry_id>/remove/", "/groups/secret-lab/lists/plans/{gentry}/remove/", {"x": "1"}),
            ("<int:entry_id>/comments/", "/groups/secret-lab/lists/plans/{gentry}/comments/", {"text": "hi"}),
            (
                "<int:entry_id>/comments/<int:comment_id>/<str:action>/",
                "/groups/secret-lab/lists/plans/{gentry}/comments/{comment}/delete/",
                {"x": "1"},
            ),
        ]
    },
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
    plans = group_lists.create_group_list(by=lab.memberships.get(), name="Plans")
    gentry, _ = library_services.add_to_list(reading_list=plans, paper=paper, by=alice)
    comment = group_lists.add_comment(user=alice, entry=gentry, text="Alice's comment")
    invite = invitations.make_link(by=lab.memberships.get(), max_uses=3)
    ids = {"swipe": swipe.pk, "interest": interest.pk, "entry": entry.pk, "list": bobs_list.pk, "send": send.pk}
    ids["forgotten"] = forgotten.pk
    ids["member"] = lab.memberships.get().pk
    ids |= {"gentry": gentry.pk, "comment": comment.pk, "invite": invite.pk}
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
        list(Membership.objects.values_list("group__name", "group__slug", "user", "role", "shares_keeps")),
        list(ReadingList.objects.filter(group__isnull=False).values_list("name", "slug")),
        list(ReadingListEntry.objects.filter(reading_list__group__isnull=False).values_list("pk", "note")),
        list(Comment.objects.values_list("pk", "text")),
        list(Vote.objects.values_list("pk", flat=True)),
        list(Invitation.objects.values_list("pk", "revoked_at", "uses")),
        list(ZoteroSend.objects.values_list("pk", flat=True)),
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
