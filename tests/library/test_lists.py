"""Reading lists: many lists, states, notes, bulk actions, sharing, resurfacing, own data, isolation."""

import json

import pytest
from django.test import Client

from accounts.models import User
from deck import services as deck_services
from deck.models import Swipe
from library import services
from library.models import ReadingList, ReadingListEntry
from library.selectors import default_list
from papers.models import Category, Paper
from papers.parsers import parse_document
from papers.services import import_page, upsert_records

from ..conftest import ARXIV_RAW_PAGE
from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return UserFactory(email="alice@example.org")


@pytest.fixture
def bob():
    return UserFactory(email="bob@example.org")


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def kept(alice):
    papers = [PaperFactory(title=f"Kept paper {i}") for i in range(3)]
    for paper in papers:
        deck_services.decide(user=alice, paper=paper, decision="keep")
    return papers


def entry_of(paper, slug="reading-list"):
    return ReadingListEntry.objects.get(paper=paper, reading_list__slug=slug)


def test_overview_shows_the_default_list_and_creates_named_lists(as_alice, alice, kept):
    response = as_alice.get("/lists/")
    assert [(rl.name, rl.n) for rl in response.context["lists"]] == [("Reading list", 3)]
    response = as_alice.post("/lists/new/", {"name": "Thesis"})
    assert response["Location"] == "/lists/thesis/"
    as_alice.post("/lists/new/", {"name": "Thesis"})
    assert list(alice.reading_lists.values_list("slug", flat=True)) == ["reading-list", "thesis", "thesis-2"]
    blank = as_alice.post("/lists/new/", {"name": "  "})
    assert blank.status_code == 400  # the lists page again, the error under the name it belongs to
    html = blank.content.decode()
    assert '<p class="field-error" id="new-list-name-error">A list needs a name of visible characters.</p>' in html
    assert 'aria-invalid="true" aria-describedby="new-list-name-error"' in html


def test_rename_reorder_and_delete(as_alice, alice):
    default_list(user=alice)
    for name in ("A", "B", "C"):
        services.create_list(user=alice, name=name)
    as_alice.post("/lists/c/up/")
    assert [rl.name for rl in alice.reading_lists.all()] == ["Reading list", "A", "C", "B"]
    as_alice.post("/lists/a/down/")
    assert [rl.name for rl in alice.reading_lists.all()] == ["Reading list", "C", "A", "B"]
    as_alice.post("/lists/b/rename/", {"name": "Bibliography"})
    assert alice.reading_lists.filter(name="Bibliography", slug="bibliography").exists()
    as_alice.post("/lists/a/delete/")
    assert not alice.reading_lists.filter(name="A").exists()


def test_the_default_list_cannot_be_deleted(as_alice, alice, kept):
    response = as_alice.post("/lists/reading-list/delete/", follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert alice.reading_lists.filter(is_default=True).get().entries.count() == 3


def test_list_page_sorts_filters_and_shows_export_links(as_alice, alice, kept):
    for paper, title in zip(kept, ["Zeta", "Alpha", "Mu"], strict=True):
        Paper.objects.filter(pk=paper.pk).update(title=title)
    entry_of(kept[0]).__class__.objects.filter(paper=kept[1]).update(state="read")
    html = as_alice.get("/lists/reading-list/").content.decode()
    for label in ("BibTeX", "RIS", "CSL-JSON", "CSV"):
        assert f">{label}</a>" in html
    by_title = as_alice.get("/lists/reading-list/?sort=title").context["page"].object_list
    assert [e.paper.title for e in by_title] == ["Alpha", "Mu", "Zeta"]
    read = as_alice.get("/lists/reading-list/?state=read").context["page"].object_list
    assert [e.paper.title for e in read] == ["Alpha"]
    code = kept[0].primary_category.code
    in_category = as_alice.get(f"/lists/reading-list/?category={code}").context["page"].object_list
    assert [e.paper for e in in_category] == [kept[0]]


def test_search_within_a_list(as_alice, alice):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    deck_services.decide(user=alice, paper=Paper.objects.get(arxiv_id="0811.3648"), decision="keep")
    deck_services.decide(user=alice, paper=Paper.objects.get(arxiv_id="0811.3649"), decision="keep")
    found = as_alice.get("/lists/reading-list/?q=norm estimation streams").context["page"].object_list
    assert [e.paper.arxiv_id for e in found] == ["0811.3648"]


def test_list_page_query_count_does_not_grow_with_the_list(as_alice, alice, django_assert_max_num_queries):
    the_list = default_list(user=alice)
    for _ in range(60):
        services.add_to_list(reading_list=the_list, paper=PaperFactory())
    with django_assert_max_num_queries(12) as small:
        as_alice.get("/lists/reading-list/")
    for _ in range(60):
        services.add_to_list(reading_list=the_list, paper=PaperFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        as_alice.get("/lists/reading-list/?page=2")


def test_state_and_note(as_alice, kept):
    entry = entry_of(kept[0])
    as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"state": "reading", "note": "Check eq. (3) <b>"})
    entry.refresh_from_db()
    assert (entry.state, entry.note) == ("reading", "Check eq. (3) <b>")
    assert "Check eq. (3) &lt;b&gt;" in as_alice.get("/lists/reading-list/").content.decode()
    too_long = as_alice.post(
        f"/lists/reading-list/entries/{entry.pk}/", {"note": "x" * 10_001}, HTTP_ACCEPT="application/json"
    )
    assert too_long.status_code == 400
    assert "at most 10,000 characters" in too_long.json()["error"]
    entry.refresh_from_db()
    assert entry.note == "Check eq. (3) <b>"


def test_bulk_state_move_copy_and_remove(as_alice, alice, kept):
    thesis = services.create_list(user=alice, name="Thesis")
    ids = [entry_of(p).pk for p in kept]
    as_alice.post("/lists/reading-list/entries/state/", {"state": "read", "entries": ids[:2]})
    assert sorted(ReadingListEntry.objects.filter(state="read").values_list("pk", flat=True)) == sorted(ids[:2])
    entry_of(kept[0]).__class__.objects.filter(pk=ids[0]).update(note="keep me")
    as_alice.post("/lists/reading-list/entries/move/", {"entries": [ids[0]], "target": thesis.pk})
    moved = entry_of(kept[0], "thesis")
    assert (moved.state, moved.note) == ("read", "keep me")
    assert not ReadingListEntry.objects.filter(pk=ids[0]).exists()
    as_alice.post("/lists/reading-list/entries/copy/", {"entries": [ids[1]], "target": thesis.pk})
    assert ReadingListEntry.objects.filter(paper=kept[1]).count() == 2
    as_alice.post("/lists/reading-list/entries/remove/", {"entries": [ids[2]]})
    assert not ReadingListEntry.objects.filter(paper=kept[2]).exists()


def test_a_paper_can_be_in_several_lists_and_saved_from_anywhere(as_alice, alice, kept):
    thesis = services.create_list(user=alice, name="Thesis")
    response = as_alice.post("/save/", {"list": thesis.pk, "paper": kept[0].pk, "next": "/search/?q=x"})
    assert response["Location"] == "/search/?q=x"
    assert set(ReadingListEntry.objects.filter(paper=kept[0]).values_list("reading_list__slug", flat=True)) == {
        "reading-list",
        "thesis",
    }
    assert (
        as_alice.post("/save/", {"list": thesis.pk, "paper": kept[0].pk, "next": "https://evil.example/"})["Location"]
        == "/lists/thesis/"
    )
    unseen = PaperFactory(primary_category=kept[1].primary_category)
    alice.followed_categories.add(unseen.primary_category)
    for path in ("/", f"/papers/{kept[1].arxiv_id}/", "/history/", "/search/?q=Kept"):
        assert 'action="/save/"' in as_alice.get(path, follow=True).content.decode(), path


def test_version_resurfacing(as_alice, alice, kept):
    paper = kept[0]
    from papers.records import AuthorRecord, PaperRecord

    newer = PaperRecord(
        arxiv_id=paper.arxiv_id,
        version=2,
        title="Revised title",
        abstract="New",
        authors=[AuthorRecord("Ada Lovelace")],
        categories=[paper.primary_category.code],
        published=paper.published,
        updated=paper.published.replace(year=2026, month=1, day=5),
    )
    upsert_records(records=[newer])
    html = as_alice.get("/lists/reading-list/").content.decode()
    assert "updated to v2 (Jan 5, 2026)" in html
    entry = entry_of(paper)
    assert as_alice.get(f"/lists/reading-list/entries/{entry.pk}/open/")["Location"] == f"/papers/{paper.arxiv_id}/"
    assert "updated to v2" not in as_alice.get("/lists/reading-list/").content.decode()


def test_sharing_publishes_a_read_only_page_and_feed_and_can_be_revoked(as_alice, alice, kept):
    entry_of(kept[0]).__class__.objects.filter(paper=kept[0]).update(note="private thought")
    as_alice.post("/lists/reading-list/share/")
    token = alice.reading_lists.get(is_default=True).share_token
    assert token
    assert len(token) >= 40
    anonymous = Client()
    page = anonymous.get(f"/shared/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert all(p.title in html for p in kept)
    assert "private thought" not in html
    assert 'name="entries"' not in html  # read-only
    feed = anonymous.get(f"/shared/{token}/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert all(p.title.encode() in feed.content for p in kept)
    as_alice.post("/lists/reading-list/unshare/")
    assert anonymous.get(f"/shared/{token}/").status_code == 404
    assert anonymous.get(f"/shared/{token}/feed/").status_code == 404


def test_download_my_data(as_alice, alice, kept):
    deck_services.decide(user=alice, paper=PaperFactory(), decision="skip")
    alice.followed_categories.add(Category.objects.get(code="cs.LG"))
    entry_of(kept[0]).__class__.objects.filter(paper=kept[0]).update(note="a note", state="read")
    response = as_alice.get("/settings/data/download/")
    assert response["Content-Disposition"] == 'attachment; filename="paperswipe-my-data.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "alice@example.org"
    assert data["followed_categories"] == ["cs.LG"]
    assert sorted(d["decision"] for d in data["decisions"]) == ["keep", "keep", "keep", "skip"]
    entries = data["lists"][0]["entries"]
    assert {(e["arxiv_id"], e["state"], e["note"]) for e in entries} >= {(kept[0].arxiv_id, "read", "a note")}


def test_delete_my_account_asks_for_confirmation_then_removes_everything(as_alice, alice, kept):
    wrong = as_alice.post("/settings/delete/", {"confirm_email": "wrong@example.org"})
    assert wrong.status_code == 400  # said under the field, with what was typed
    html = wrong.content.decode()
    assert '<p class="field-error" id="confirm-email-error">Type your email address to confirm' in html
    assert 'value="wrong@example.org" aria-invalid="true" aria-describedby="confirm-email-error"' in html
    assert User.objects.filter(pk=alice.pk).exists()
    response = as_alice.post("/settings/delete/", {"confirm_email": "Alice@Example.org"}, follow=True)
    assert "all its data are deleted" in response.content.decode()
    assert not User.objects.filter(pk=alice.pk).exists()
    assert (Swipe.objects.count(), ReadingList.objects.count(), ReadingListEntry.objects.count()) == (0, 0, 0)
    assert Paper.objects.count() == 3  # the catalog stays


def test_another_users_lists_and_entries_are_404(client, alice, bob, kept):
    thesis = services.create_list(user=alice, name="Thesis")
    entry = entry_of(kept[0])
    client.force_login(bob)
    for path in ("/lists/thesis/", "/lists/thesis/export/bibtex/", f"/lists/thesis/entries/{entry.pk}/open/"):
        assert client.get(path).status_code == 404, path
    for path in ("/lists/thesis/rename/", "/lists/thesis/delete/", "/lists/thesis/share/", "/lists/thesis/up/"):
        assert client.post(path, {"name": "Mine now"}).status_code == 404, path
    # Bob's own default list has the same slug; Alice's entries are not reachable through it.
    assert client.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": "hacked"}).status_code == 404
    assert client.get(f"/lists/reading-list/entries/{entry.pk}/open/").status_code == 404
    client.post("/lists/reading-list/entries/remove/", {"entries": [entry.pk]})
    client.post("/save/", {"list": thesis.pk, "paper": kept[1].pk})
    assert client.post("/save/", {"list": thesis.pk, "paper": kept[1].pk}).status_code == 404
    mine = services.create_list(user=bob, name="Bob's")
    client.post("/lists/reading-list/entries/move/", {"entries": [entry.pk], "target": mine.pk})
    entry.refresh_from_db()
    assert (entry.note, entry.reading_list.user) == ("", alice)
    assert thesis.entries.count() == 0
    assert not client.get("/lists/reading-list/").context["page"].object_list
    assert b"Kept paper" not in client.get("/library/export/bibtex/").content


@pytest.mark.parametrize(
    "path",
    [
        "/lists/",
        "/lists/reading-list/",
        "/lists/reading-list/export/csv/",
        "/library/export/ris/",
        "/settings/data/",
        "/settings/data/download/",
    ],
)
def test_list_pages_require_login(client, path):
    assert client.get(path)["Location"].startswith("/accounts/login/")


def test_undo_keeps_an_entry_the_user_has_worked_on(as_alice, alice, kept):
    entry = entry_of(kept[2])
    services.update_entry(entry=entry, note="important")
    as_alice.post("/deck/undo/")
    assert not Swipe.objects.filter(paper=kept[2]).exists()
    assert ReadingListEntry.objects.filter(pk=entry.pk, note="important").exists()


def test_moving_onto_an_existing_entry_merges_notes_and_state(as_alice, alice, kept):
    thesis = services.create_list(user=alice, name="Thesis")
    services.add_to_list(reading_list=thesis, paper=kept[0])
    services.update_entry(entry=entry_of(kept[0], "thesis"), note="from thesis")
    services.update_entry(entry=entry_of(kept[0]), note="from reading list", state="read")
    as_alice.post("/lists/reading-list/entries/move/", {"entries": [entry_of(kept[0]).pk], "target": thesis.pk})
    merged = entry_of(kept[0], "thesis")
    assert (merged.note, merged.state) == ("from thesis\n\nfrom reading list", "read")


def test_crafted_posts_get_clear_answers_not_errors(as_alice, alice, kept):
    assert as_alice.post("/save/", {"list": "x", "paper": "y"}).status_code == 400
    assert as_alice.post("/deck/decide/", {"paper": "1 OR 1=1", "decision": "keep"}).status_code == 400
    response = as_alice.post("/lists/reading-list/entries/move/", {"entries": ["a"], "target": "b"}, follow=True)
    assert "Not a list of valid ids" in response.content.decode()
    for action in ("up", "down", "rename"):
        response = as_alice.post(f"/lists/reading-list/{action}/", {"name": "Renamed"}, follow=True)
        assert response.status_code == 200
    assert alice.reading_lists.get(is_default=True).slug == "reading-list"


def test_the_shared_feed_escapes_abstracts(as_alice, alice, kept):
    Paper.objects.filter(pk=kept[0].pk).update(abstract="We show a<b & <script>x</script>")
    as_alice.post("/lists/reading-list/share/")
    token = alice.reading_lists.get(is_default=True).share_token
    feed = Client().get(f"/shared/{token}/feed/").content.decode()
    assert "<script>" not in feed
    assert "&amp;lt;script&amp;gt;" in feed


def test_a_new_user_can_save_to_the_reading_list_from_the_first_card(client):
    user = User.objects.create_user(email="fresh@example.org", password="a long passphrase")
    assert list(user.reading_lists.values_list("name", "is_default")) == [("Reading list", True)]
    paper = PaperFactory()
    user.followed_categories.add(paper.primary_category)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert f'<option value="{user.reading_lists.get().pk}">Reading list</option>' in html


def test_undo_or_skip_never_removes_a_paper_the_user_had_saved_before_keeping(as_alice, alice):
    for later in ("undo", "skip"):
        paper = PaperFactory()
        services.add_to_list(reading_list=default_list(user=alice), paper=paper)
        swipe, _ = deck_services.decide(user=alice, paper=paper, decision="keep")
        assert swipe.list_entry is None
        if later == "undo":
            as_alice.post("/deck/undo/")
        else:
            as_alice.post(f"/history/{swipe.pk}/", {"decision": "skip"})
        assert entry_of(paper), later


def test_undo_keeps_an_entry_whose_state_changed(as_alice, alice, kept):
    services.update_entry(entry=entry_of(kept[2]), state="reading")
    as_alice.post("/deck/undo/")
    assert entry_of(kept[2]).state == "reading"


def test_bulk_actions_refuse_unknown_actions_and_foreign_targets(as_alice, alice, bob, kept):
    ids = [entry_of(p).pk for p in kept]
    for action in ("read", "explode"):  # one URL per operation: anything else is not found
        assert as_alice.post(f"/lists/reading-list/entries/{action}/", {"entries": ids}).status_code == 404
    response = as_alice.post("/lists/reading-list/entries/state/", {"state": "done", "entries": ids}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    assert set(ReadingListEntry.objects.values_list("state", flat=True)) == {"unread"}
    theirs = services.create_list(user=bob, name="Bob's")
    assert as_alice.post("/lists/reading-list/entries/move/", {"entries": ids, "target": theirs.pk}).status_code == 404
    assert theirs.entries.count() == 0
    assert ReadingListEntry.objects.filter(pk__in=ids).count() == 3
    default = default_list(user=alice)
    as_alice.post("/lists/reading-list/entries/copy/", {"entries": ids, "target": default.pk})
    assert default.entries.count() == 3  # copying onto the same list changes nothing


def test_saving_from_a_card_in_the_background_answers_json_with_where_it_went(as_alice, alice, kept):
    from library import services as library_services

    thesis = library_services.create_list(user=alice, name="Thesis")
    paper = kept[0]
    reply = as_alice.post("/save/", {"list": thesis.pk, "paper": paper.pk}, HTTP_ACCEPT="application/json")
    assert reply.status_code == 200
    assert reply.json() == {"saved": True, "message": f"Saved in “Thesis”: {paper.title}"}
    again = as_alice.post("/save/", {"list": thesis.pk, "paper": paper.pk}, HTTP_ACCEPT="application/json").json()
    assert again == {"saved": False, "message": f"Already in “Thesis”: {paper.title}"}
    assert thesis.entries.filter(paper=paper).count() == 1


def test_an_empty_list_offers_what_fills_it_not_exports_filters_or_bulk_actions(as_alice, alice, kept):
    from library import services as library_services

    library_services.create_list(user=alice, name="Empty")
    empty = as_alice.get("/lists/empty/").content.decode()
    for absent in ("Export:", 'id="bulk-form"', "Send to Zotero", 'class="filter list-filter"'):
        assert absent not in empty, absent
    assert "Import…" in empty
    assert "No papers here yet" in empty
    full = as_alice.get("/lists/reading-list/").content.decode()
    for present in ("Export:", 'id="bulk-form"', "Send to Zotero", 'class="filter list-filter"'):
        assert present in full, present


def test_a_refused_rename_is_said_under_the_name_field_with_what_was_typed(as_alice, alice):
    from library import services as library_services

    library_services.create_list(user=alice, name="Thesis")
    response = as_alice.post("/lists/thesis/rename/", {"name": "x" * 101})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<p class="field-error" id="rename-error">Ensure this value has at most 100 characters' in html
    assert f'value="{"x" * 101}"' in html
    assert 'aria-invalid="true" aria-describedby="rename-error"' in html
    assert alice.reading_lists.get(slug="thesis").name == "Thesis"


def test_a_bulk_action_with_nothing_ticked_is_said_in_the_bar_not_atop_the_page(as_alice, alice, kept):
    response = as_alice.post(
        "/lists/reading-list/entries/remove/", {"next": "/lists/reading-list/?sort=title"}, follow=True
    )
    assert response.redirect_chain == [("/lists/reading-list/?sort=title", 302)]
    html = response.content.decode()
    bar = html[html.index('id="bulk-form"') : html.index("</form>", html.index('id="bulk-form"'))]
    assert '<p class="field-error bulk-error" id="bulk-error" role="alert">Select at least one paper first.</p>' in bar
    assert 'class="messages"' not in html  # said once, where the reader clicked
    assert ReadingListEntry.objects.filter(reading_list__user=alice).count() == 3


def test_other_messages_still_show_atop_a_list_page(as_alice, alice, kept):
    ids = [entry_of(p).pk for p in kept]
    response = as_alice.post("/lists/reading-list/entries/state/", {"state": "read", "entries": ids}, follow=True)
    html = response.content.decode()
    assert '<li class="message success">Marked 3 papers read.</li>' in html
    assert '<p class="field-error bulk-error" id="bulk-error" role="alert" hidden></p>' in html
