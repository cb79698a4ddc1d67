"""Send to Zotero, end to end against the Zotero stand-in on 127.0.0.1: connecting a key at
/settings/zotero/, sending a list, an entry and a paper, no duplicates on a second send, updates on a new
arXiv version, 429 and 503 on the way, a refused object, 120 papers in three batches, and notes."""

import pytest
import requests
from django.db import connection

from library import services
from library.models import ZoteroAccount, ZoteroItem, ZoteroSend
from library.selectors import default_list
from library.zotero.client import client_from_settings
from library.zotero.items import zotero_item
from library.zotero.sync import run_send, start_send

from ..conftest import Sleeps
from ..factories import PaperFactory, UserFactory
from ..zotero_standin import KEY, OTHER_USERS_KEY, READ_ONLY_KEY, USER

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def connected(reader, zotero):
    account = ZoteroAccount(user=reader, zotero_user_id=USER, zotero_username="reader")
    account.set_api_key(KEY)
    account.save()
    return reader


@pytest.fixture
def thesis(connected):
    the_list = services.create_list(user=connected, name="Thesis")
    for paper in PaperFactory.create_batch(3):
        services.add_to_list(reading_list=the_list, paper=paper)
    return the_list


def send_now(*, user, sleeps=None, **what) -> ZoteroSend:
    """Start a send and run it here, as the worker would; `sleeps` records the waits instead of waiting."""
    send, started = start_send(user=user, **what)
    assert started
    return run_send(send_id=send.pk, client=client_from_settings(sleep=sleeps if sleeps is not None else Sleeps()))


def items(zotero):
    return {item["archiveID"]: item for item in zotero.items_of(USER)}


def collection_named(zotero, name):
    keys = [k for k, c in zotero.library(USER).collections.items() if c["data"]["name"] == name]
    assert len(keys) == 1, keys
    return keys[0]


# ---------------------------------------------------------------- connecting


def test_settings_connects_a_key_that_zotero_accepts_and_stores_it_encrypted(client, reader, zotero):
    page = client.get("/settings/zotero/").content.decode()
    for label in ("Zotero user ID", "Zotero API key", ">Save<"):
        assert label in page

    response = client.post("/settings/zotero/", {"zotero_user_id": USER, "api_key": KEY}, follow=True)

    assert "Connected to the Zotero library of reader" in response.content.decode()
    account = ZoteroAccount.objects.get(user=reader)
    assert (account.zotero_user_id, account.key_last_four, account.api_key) == (USER, KEY[-4:], KEY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_api_key FROM library_zoteroaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert KEY not in stored
    page = client.get("/settings/zotero/").content.decode()
    assert KEY not in page
    assert f">{KEY[-4:]}</code>" in page
    assert zotero.requests[-1].path == "/keys/current"


@pytest.mark.parametrize(
    ("user_id", "api_key", "message"),
    [
        (USER, "WrongKeyWrongKeyWrongKey", "does not accept this API key"),
        (USER, READ_ONLY_KEY, "cannot write to your Zotero library"),
        (USER, OTHER_USERS_KEY, f"not a key of Zotero user {USER}"),
        ("12a", KEY, "The Zotero user ID is a number"),
        (USER, "key with spaces", "letters and digits"),
    ],
)
def test_a_key_zotero_refuses_is_not_saved_and_says_why(client, reader, zotero, user_id, api_key, message):
    response = client.post("/settings/zotero/", {"zotero_user_id": user_id, "api_key": api_key})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ZoteroAccount.objects.filter(user=reader).exists()


def test_zotero_unreachable_saves_nothing(client, reader, zotero):
    zotero.fail("status", times=2, code=503)  # the page tries twice: a reader is waiting
    response = client.post("/settings/zotero/", {"zotero_user_id": USER, "api_key": KEY})
    assert "Zotero could not be reached" in response.content.decode()
    assert not ZoteroAccount.objects.exists()


def test_the_key_can_be_removed(client, connected):
    response = client.post("/settings/zotero/remove/", follow=True)
    assert "The Zotero API key was removed" in response.content.decode()
    assert not ZoteroAccount.objects.filter(user=connected).exists()


def test_a_stored_key_survives_a_secret_key_rotation_with_the_old_key_as_fallback(settings, connected):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    assert ZoteroAccount.objects.get(user=connected).api_key == KEY


def test_a_key_that_cannot_be_decrypted_fails_the_send_in_words(settings, thesis, zotero):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "another-secret-key-" + "y" * 40, []
    send = send_now(user=thesis.user, reading_list=thesis)
    assert send.state == ZoteroSend.State.FAILED
    assert "can no longer be read" in send.summary
    assert zotero.requests == []


# ---------------------------------------------------------------- sending a list


def test_a_list_goes_into_a_collection_named_after_it(thesis, zotero):
    send = send_now(user=thesis.user, reading_list=thesis)

    assert (send.state, send.sent, send.total) == (ZoteroSend.State.DONE, 3, 3)
    assert send.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    collection = collection_named(zotero, "Thesis")
    sent = items(zotero)
    entries = thesis.entries.select_related("paper")
    assert set(sent) == {f"arXiv:{e.paper.arxiv_id}" for e in entries}
    for entry in entries:
        item = sent[f"arXiv:{entry.paper.arxiv_id}"]
        assert item["collections"] == [collection]
        assert {k: v for k, v in item.items() if k not in ("key", "version", "collections")} == zotero_item(entry.paper)
    assert ZoteroItem.objects.filter(user=thesis.user, zotero_user_id=USER).count() == 3
    assert all(r.write_token and r.api_version == "3" for r in zotero.writes())
    links = {link["parentItem"]: link for link in zotero.items_of(USER, "attachment")}
    for entry in entries:
        link = links[ZoteroItem.objects.get(paper=entry.paper).item_key]
        assert (link["linkMode"], link["title"]) == ("linked_url", "arXiv Fulltext PDF")
        assert link["url"] == f"https://arxiv.org/pdf/{entry.paper.arxiv_id}"  # always the latest version
        assert "collections" not in link


def test_a_pdf_link_the_reader_deleted_stays_deleted(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    first_link = zotero.items_of(USER, "attachment")[0]
    del zotero.library(USER).items[first_link["key"]]

    send_now(user=thesis.user, reading_list=thesis)

    assert len(zotero.items_of(USER, "attachment")) == 2


def test_the_default_list_goes_into_reading_list(connected, zotero):
    services.add_to_list(reading_list=default_list(user=connected), paper=PaperFactory())
    send_now(user=connected, reading_list=default_list(user=connected))
    collection = collection_named(zotero, "Reading list")
    assert [item["collections"] for item in items(zotero).values()] == [[collection]]


def test_sending_again_creates_nothing_new(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    before = {key: obj["version"] for key, obj in zotero.library(USER).items.items()}
    writes = len(zotero.writes())

    again = send_now(user=thesis.user, reading_list=thesis)

    assert again.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert {key: obj["version"] for key, obj in zotero.library(USER).items.items()} == before
    assert len(zotero.writes()) == writes  # nothing needed writing
    assert len(zotero.library(USER).collections) == 1


def test_a_newer_version_updates_the_item_and_keeps_the_readers_tags_and_edits(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    paper = thesis.entries.first().paper
    key = ZoteroItem.objects.get(paper=paper).item_key
    in_zotero = zotero.library(USER).items[key]["data"]
    in_zotero["tags"].append({"tag": "to cite"})  # the reader's own tag, added in Zotero
    in_zotero["extra"] += "\nCitation Key: lovelace2025"  # and Better BibTeX's pinned key
    paper.version, paper.title, paper.abstract = 2, "A better title for v2", "A new abstract."
    paper.comment = "v2 adds proofs"
    paper.save()

    send_now(user=thesis.user, reading_list=thesis)

    item = zotero.library(USER).items[key]["data"]
    assert (item["title"], item["abstractNote"]) == ("A better title for v2", "A new abstract.")
    assert {"tag": "to cite"} in item["tags"]
    assert item["extra"].endswith("Citation Key: lovelace2025")  # the reader's edit stands
    assert len(items(zotero)) == 3
    assert ZoteroItem.objects.get(paper=paper).paper_version == 2


def test_an_item_the_reader_retyped_keeps_its_fields_on_a_new_version(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    paper = thesis.entries.first().paper
    key = ZoteroItem.objects.get(paper=paper).item_key
    in_zotero = zotero.library(USER).items[key]["data"]
    for name in ("repository", "archiveID"):
        del in_zotero[name]
    in_zotero.update(itemType="journalArticle", title="As published")
    paper.version, paper.title = 2, "A better title for v2"
    paper.save()

    send = send_now(user=thesis.user, reading_list=thesis)

    assert send.sent == 3
    assert zotero.library(USER).items[key]["data"]["title"] == "As published"
    assert ZoteroItem.objects.get(paper=paper).paper_version == 2


def test_an_item_in_zotero_s_trash_is_restored_and_one_deleted_for_good_is_sent_again(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    trashed, purged = [entry.paper for entry in thesis.entries.all()[:2]]
    trashed_key = ZoteroItem.objects.get(paper=trashed).item_key
    purged_key = ZoteroItem.objects.get(paper=purged).item_key
    zotero.library(USER).items[trashed_key]["data"]["deleted"] = 1  # moved to Zotero's trash
    del zotero.library(USER).items[purged_key]  # and the trash emptied

    send_now(user=thesis.user, reading_list=thesis)

    assert ZoteroItem.objects.get(paper=trashed).item_key == trashed_key
    assert not zotero.library(USER).items[trashed_key]["data"]["deleted"]
    new_key = ZoteroItem.objects.get(paper=purged).item_key
    assert new_key != purged_key
    assert len(items(zotero)) == 3


def test_a_paper_in_two_lists_is_one_item_in_two_collections(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    paper = thesis.entries.first().paper
    reading = default_list(user=thesis.user)
    services.add_to_list(reading_list=reading, paper=paper)

    send_now(user=thesis.user, reading_list=reading)

    assert len(items(zotero)) == 3
    item = items(zotero)[f"arXiv:{paper.arxiv_id}"]
    assert set(item["collections"]) == {collection_named(zotero, "Thesis"), collection_named(zotero, "Reading list")}


def test_120_papers_go_in_three_batches_of_at_most_50(connected, zotero):
    big = services.create_list(user=connected, name="Everything")
    for paper in PaperFactory.create_batch(120):
        services.add_to_list(reading_list=big, paper=paper)

    send = send_now(user=connected, reading_list=big)

    assert (send.sent, send.total) == (120, 120)
    item_writes = [r for r in zotero.writes("/items") if r.body[0]["itemType"] == "preprint"]
    assert [len(r.body) for r in item_writes] == [50, 50, 20]
    assert len({r.write_token for r in item_writes}) == 3
    assert len(zotero.items_of(USER, "attachment")) == 120  # the PDF links, in batches of their own
    assert len(items(zotero)) == 120


def test_429_with_retry_after_and_503_with_backoff_are_waited_out(thesis, zotero):
    sleeps = Sleeps()
    zotero.fail("status", code=429, retry_after=7)  # the collection list
    zotero.fail("status", code=503, backoff=11)  # the collection's creation

    send = send_now(user=thesis.user, reading_list=thesis, sleeps=sleeps)

    assert send.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert sleeps == [7.0, 11.0]
    assert len(items(zotero)) == 3
    assert len(zotero.library(USER).collections) == 1


@pytest.mark.parametrize("cut", ["/collections", "/items"], ids=["collection creation", "item write"])
def test_an_answer_lost_on_the_way_back_creates_no_duplicates(thesis, zotero, cut):
    # Zotero does the write, but its answer never arrives; the retry's write token is refused as used.
    zotero.fail("lost", on=("POST", cut))
    send = send_now(user=thesis.user, reading_list=thesis)
    assert send.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert [r.status for r in zotero.requests if r.method == "POST"].count(412) == 1
    assert len(zotero.library(USER).collections) == 1
    assert len(items(zotero)) == 3
    assert ZoteroItem.objects.filter(user=thesis.user).count() == 3

    send_now(user=thesis.user, reading_list=thesis)
    assert len(items(zotero)) == 3


def test_an_answer_lost_and_then_zotero_away_is_found_by_the_next_send(thesis, zotero):
    # The items are written, the answer is cut, and every retry meets a 503: the send fails not knowing.
    zotero.fail("lost", on=("POST", "/items"))
    zotero.fail("status", times=4, code=503, on=("POST", "/items"))
    failed = send_now(user=thesis.user, reading_list=thesis)
    assert failed.state == ZoteroSend.State.FAILED
    assert len(items(zotero)) == 3  # Zotero has them; we have no record of their keys

    again = send_now(user=thesis.user, reading_list=thesis)

    assert again.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert len(items(zotero)) == 3
    assert {r.item_key for r in ZoteroItem.objects.all()} == {item["key"] for item in zotero.items_of(USER)}
    assert len(zotero.items_of(USER, "attachment")) == 3
    assert ZoteroAccount.objects.get().unconfirmed_since is None


def test_a_paper_already_in_the_library_is_adopted_not_copied(thesis, zotero):
    paper = thesis.entries.select_related("paper").first().paper
    saved_by_connector = {**zotero_item(paper), "title": "Saved earlier with the Zotero Connector"}
    del saved_by_connector["DOI"]  # found by its archive ID alone
    requests.post(
        f"{zotero.base_url}/users/{USER}/items",
        json=[saved_by_connector, {**zotero_item(PaperFactory()), "extra": f"Cites arXiv:{paper.arxiv_id}"}],
        headers={"Zotero-API-Key": KEY},
        timeout=5,
    )

    send = send_now(user=thesis.user, reading_list=thesis)

    assert send.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert len(items(zotero)) == 4  # the reader's two and our two new ones: no second copy of theirs
    theirs = items(zotero)[f"arXiv:{paper.arxiv_id}"]
    assert theirs["title"] == "Saved earlier with the Zotero Connector"
    assert theirs["collections"] == [collection_named(zotero, "Thesis")]
    assert ZoteroItem.objects.get(paper=paper).item_key == theirs["key"]
    assert theirs["key"] not in {link["parentItem"] for link in zotero.items_of(USER, "attachment")}

    paper.version, paper.title = 2, "The title of v2"
    paper.save()
    send_now(user=thesis.user, reading_list=thesis)
    assert items(zotero)[f"arXiv:{paper.arxiv_id}"]["title"] == "Saved earlier with the Zotero Connector"
    assert len(items(zotero)) == 4


def test_an_update_whose_answer_was_lost_counts_as_sent(thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    for entry in thesis.entries.select_related("paper"):
        entry.paper.version = 2
        entry.paper.save()
    zotero.fail("lost", on=("POST", "/items"))  # the update

    send = send_now(user=thesis.user, reading_list=thesis)

    assert send.summary == "Sent 3 of 3 to Zotero in the collection “Thesis”."
    assert set(ZoteroItem.objects.values_list("paper_version", flat=True)) == {2}


def test_a_refused_object_is_reported_by_title_and_the_rest_is_sent(client, thesis, zotero):
    refused = thesis.entries.first().paper
    zotero.refuse(f"arXiv:{refused.arxiv_id}", code=413, message="Item too large")

    send = send_now(user=thesis.user, reading_list=thesis)

    assert send.state == ZoteroSend.State.DONE
    assert send.summary == "Sent 2 of 3 to Zotero in the collection “Thesis”. 1 could not be sent."
    assert send.failures == [{"arxiv_id": refused.arxiv_id, "title": refused.title, "message": "413: Item too large"}]
    page = client.get("/lists/thesis/").content.decode()
    assert "Sent 2 of 3 to Zotero" in page
    assert f"{refused.title} (arXiv:{refused.arxiv_id}): 413: Item too large" in page
    assert not ZoteroItem.objects.filter(paper=refused).exists()

    zotero.refusals.clear()
    assert send_now(user=thesis.user, reading_list=thesis).sent == 3
    assert len(items(zotero)) == 3


def test_zotero_unavailable_fails_in_words_and_keeps_what_was_sent(thesis, zotero):
    zotero.fail("status", times=5, code=503)
    send = send_now(user=thesis.user, reading_list=thesis)
    assert send.state == ZoteroSend.State.FAILED
    assert send.summary == (
        "Not sent to Zotero: Zotero unavailable after 5 attempts: HTTP 503. "
        "What was sent is kept; send again later to finish."
    )
    assert send_now(user=thesis.user, reading_list=thesis).sent == 3


def test_a_revoked_key_fails_the_send_with_a_way_out(thesis, zotero):
    del zotero.keys[KEY]
    send = send_now(user=thesis.user, reading_list=thesis)
    assert send.state == ZoteroSend.State.FAILED
    assert "Reconnect Zotero in Settings → Zotero" in send.summary


# ---------------------------------------------------------------- notes


def test_notes_go_as_child_notes_only_when_asked_and_once(thesis, zotero):
    entry = thesis.entries.select_related("paper").first()
    entry.note = "Check <b>eq. 3</b> & the bound\n\nSecond thought"
    entry.save()

    send_now(user=thesis.user, reading_list=thesis)
    assert zotero.items_of(USER, "note") == []

    send_now(user=thesis.user, reading_list=thesis, with_notes=True)
    [note] = zotero.items_of(USER, "note")
    assert note["parentItem"] == ZoteroItem.objects.get(paper=entry.paper).item_key
    assert "Check &lt;b&gt;eq. 3&lt;/b&gt; &amp; the bound" in note["note"]
    assert "<p>Second thought</p>" in note["note"]

    send_now(user=thesis.user, reading_list=thesis, with_notes=True)
    assert len(zotero.items_of(USER, "note")) == 1

    entry.note = "Changed my mind"
    entry.save()
    send_now(user=thesis.user, reading_list=thesis, with_notes=True)
    [note] = zotero.items_of(USER, "note")
    assert "Changed my mind" in note["note"]


def test_each_lists_note_is_a_note_of_its_own_and_a_note_edited_in_zotero_is_left_alone(thesis, zotero):
    entry = thesis.entries.select_related("paper").first()
    entry.note = "For the thesis"
    entry.save()
    reading = default_list(user=thesis.user)
    other, _ = services.add_to_list(reading_list=reading, paper=entry.paper)
    other.note = "For the reading group"
    other.save()

    send_now(user=thesis.user, reading_list=thesis, with_notes=True)
    send_now(user=thesis.user, reading_list=reading, with_notes=True)

    notes = zotero.items_of(USER, "note")
    assert sorted("thesis" in n["note"] for n in notes) == [False, True]
    assert all(n["parentItem"] == ZoteroItem.objects.get(paper=entry.paper).item_key for n in notes)
    [thesis_note] = [n for n in notes if "thesis" in n["note"]]
    thesis_note["note"] += "<p>Added in Zotero</p>"

    send_now(user=thesis.user, reading_list=thesis, with_notes=True)
    assert thesis_note["note"].endswith("<p>Added in Zotero</p>")
    assert len(zotero.items_of(USER, "note")) == 2


def test_a_note_zotero_refuses_keeps_the_count_of_the_items_sent(thesis, zotero):
    entry = thesis.entries.first()
    entry.note = "A note"
    entry.save()
    zotero.fail("none", on=("POST", "/items"))  # the items
    zotero.fail("none", on=("POST", "/items"))  # their PDF links
    zotero.fail("status", code=403, on=("POST", "/items"))  # the notes: the key lost its write access

    send = send_now(user=thesis.user, reading_list=thesis, with_notes=True)

    assert send.state == ZoteroSend.State.FAILED
    assert send.summary.endswith("(3 of 3 were sent before it stopped.)")
    assert ZoteroSend.objects.get(pk=send.pk).sent == 3


# ---------------------------------------------------------------- the buttons


def test_the_list_button_sends_and_the_page_shows_the_state(client, thesis, zotero, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/lists/thesis/zotero/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Sent 3 of 3 to Zotero in the collection “Thesis”." in page
    assert "Send to Zotero" in page
    assert len(items(zotero)) == 3


def test_an_entry_button_sends_that_paper_into_the_lists_collection(
    client, thesis, zotero, django_capture_on_commit_callbacks
):
    entry = thesis.entries.select_related("paper").last()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/lists/thesis/zotero/", {"entry": entry.pk, "next": "/lists/thesis/"})
    assert list(items(zotero)) == [f"arXiv:{entry.paper.arxiv_id}"]
    assert items(zotero)[f"arXiv:{entry.paper.arxiv_id}"]["collections"] == [collection_named(zotero, "Thesis")]


def test_a_paper_page_button_sends_to_the_library_root(client, connected, zotero, django_capture_on_commit_callbacks):
    paper = PaperFactory()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Send to Zotero" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/zotero/send/", {"paper": paper.pk, "next": paper.get_absolute_url()})
    assert "Sent 1 of 1 to Zotero." in client.get("/settings/zotero/").content.decode()
    assert items(zotero)[f"arXiv:{paper.arxiv_id}"]["collections"] == []
    assert zotero.library(USER).collections == {}


def test_without_a_connection_the_button_leads_to_the_settings(client, reader):
    services.create_list(user=reader, name="Thesis")
    response = client.post("/lists/thesis/zotero/", follow=True)
    assert response.redirect_chain[-1][0] == "/settings/zotero/"
    assert "Connect your Zotero library first" in response.content.decode()
    assert not ZoteroSend.objects.exists()


def test_a_double_click_sends_once(thesis):
    first, started = start_send(user=thesis.user, reading_list=thesis)
    again, started_again = start_send(user=thesis.user, reading_list=thesis)
    assert (started, started_again) == (True, False)
    assert again.pk == first.pk
    assert ZoteroSend.objects.count() == 1
    assert run_send(send_id=first.pk, client=client_from_settings(sleep=Sleeps())).sent == 3
    assert run_send(send_id=first.pk) is None  # a redelivered task does nothing


def test_a_queued_send_shows_queued_and_polls(client, thesis):
    send, _ = start_send(user=thesis.user, reading_list=thesis)
    page = client.get("/lists/thesis/").content.decode()
    assert "Queued: on its way to Zotero." in page
    assert f'data-poll="/zotero/sends/{send.pk}/"' in page
    status = client.get(f"/zotero/sends/{send.pk}/").json()
    assert (status["state"], status["summary"]) == ("queued", "Queued: on its way to Zotero.")


def test_another_readers_send_and_entries_are_404(client, thesis):
    send, _ = start_send(user=thesis.user, reading_list=thesis)
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(f"/zotero/sends/{send.pk}/").status_code == 404
    assert client.post("/lists/thesis/zotero/").status_code == 404  # their list: the slug is not the stranger's
    services.create_list(user=stranger, name="Thesis")
    assert client.post("/lists/thesis/zotero/", {"entry": thesis.entries.first().pk}).status_code == 404


def test_a_stuck_send_gives_way_and_old_sends_are_forgotten(thesis):
    from datetime import timedelta

    from django.utils import timezone

    from library.zotero.sync import KEEP_SENDS, STUCK_AFTER

    for _ in range(KEEP_SENDS + 5):
        ZoteroSend.objects.create(user=thesis.user, reading_list=thesis, state=ZoteroSend.State.DONE)
    stuck = ZoteroSend.objects.create(user=thesis.user, reading_list=thesis, state=ZoteroSend.State.SENDING)
    ZoteroSend.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - STUCK_AFTER - timedelta(seconds=1))

    send, started = start_send(user=thesis.user, reading_list=thesis)

    assert started
    stuck.refresh_from_db()
    assert stuck.state == ZoteroSend.State.FAILED
    assert "interrupted" in stuck.summary
    assert ZoteroSend.objects.filter(user=thesis.user).count() == KEEP_SENDS
    assert ZoteroSend.objects.filter(user=thesis.user).first() == send


def test_with_the_broker_down_the_send_fails_in_words_instead_of_staying_queued(
    client, thesis, django_capture_on_commit_callbacks
):
    import socket

    from paperswipe.celery import app

    with socket.socket() as sock:  # a port where no broker listens
        sock.bind(("127.0.0.1", 0))
        nowhere = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "broker_connection_timeout")}
    saved_pool, saved_producers = app._pool, app.amqp._producer_pool
    app._pool = app.amqp._producer_pool = None
    app.conf.update(broker_url=nowhere, task_always_eager=False, broker_connection_timeout=1)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/lists/thesis/zotero/")
    finally:
        app._pool, app.amqp._producer_pool = saved_pool, saved_producers
        app.conf.update(saved)

    assert response.status_code == 302
    send = ZoteroSend.objects.get()
    assert send.state == ZoteroSend.State.FAILED
    assert "could not be started" in send.summary
    assert start_send(user=thesis.user, reading_list=thesis)[1]  # the next click starts a new send


def test_a_send_replaced_as_stuck_stops_writing(thesis, zotero):
    from datetime import timedelta

    from django.utils import timezone

    from library.zotero.sync import STUCK_AFTER

    first, _ = start_send(user=thesis.user, reading_list=thesis)
    replacements = []

    def meanwhile(seconds: float) -> None:  # while the first send waits out a 429, it is declared stuck
        ZoteroSend.objects.filter(pk=first.pk).update(updated_at=timezone.now() - STUCK_AFTER - timedelta(seconds=1))
        replacements.append(start_send(user=thesis.user, reading_list=thesis))

    zotero.fail("status", code=429, retry_after=1)
    run_send(send_id=first.pk, client=client_from_settings(sleep=meanwhile))

    [(second, started)] = replacements
    assert started
    assert zotero.writes("/items") == []
    assert zotero.writes("/collections") == []
    first.refresh_from_db()
    assert first.state == ZoteroSend.State.FAILED
    assert run_send(send_id=second.pk, client=client_from_settings(sleep=Sleeps())).sent == 3
    assert len(items(zotero)) == 3


def test_download_my_data_names_the_zotero_connection_and_items_but_never_the_key(client, thesis, zotero):
    send_now(user=thesis.user, reading_list=thesis)
    response = client.get("/settings/data/download/")
    assert KEY not in response.content.decode()
    data = response.json()["zotero"]
    assert (data["zotero_user_id"], data["api_key"]) == (USER, f"…{KEY[-4:]}")
    assert {i["arxiv_id"] for i in data["items"]} == {e.paper.arxiv_id for e in thesis.entries.select_related("paper")}
    assert {i["item_key"] for i in data["items"]} == {item["key"] for item in zotero.items_of(USER)}


def test_a_groups_list_goes_into_the_members_own_zotero_named_after_the_group_and_list(client, connected, zotero):
    from library.groups import lists as group_lists
    from library.groups import services as group_services

    lab = group_services.create_group(user=connected, name="Theory lab")
    shared = group_lists.create_group_list(by=lab.memberships.get(), name="To discuss")
    colleague = UserFactory()
    for paper in PaperFactory.create_batch(2):
        services.add_to_list(reading_list=shared, paper=paper, by=colleague)
    response = client.post("/groups/theory-lab/lists/to-discuss/zotero/")
    assert response["Location"] == "/groups/theory-lab/lists/to-discuss/"
    send = ZoteroSend.objects.get(user=connected)
    assert (send.reading_list, send.collection_name) == (shared, "Theory lab · To discuss")
    send = run_send(send_id=send.pk, client=client_from_settings(sleep=Sleeps()))
    assert (send.state, send.sent) == (ZoteroSend.State.DONE, 2)
    collection = collection_named(zotero, "Theory lab · To discuss")
    assert [item["collections"] for item in items(zotero).values()] == [[collection], [collection]]
    page = client.get("/groups/theory-lab/lists/to-discuss/").content.decode()
    assert "Sent 2 of 2 to Zotero in the collection “Theory lab · To discuss”." in page
