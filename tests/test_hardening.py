"""Regression tests for hostile and careless input: two-factor on every way in, notes never lost,
deletion under concurrent writes, races and inputs that used to answer 500, headers and names."""

import threading
from unittest import mock

import bibtexparser
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client

from accounts import services as account_services
from accounts.models import User
from deck import services as deck_services
from deck.models import Swipe
from library import services
from library.exports import Item, to_bibtex
from library.models import ReadingList, ReadingListEntry
from library.selectors import default_list

from .factories import PaperFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.org")


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def in_thread(work):
    """A thread, as another request would run, that closes its own database connection."""

    def run():
        try:
            work()
        finally:
            connection.close()

    return threading.Thread(target=run)


def entry_of(paper, slug="reading-list"):
    return ReadingListEntry.objects.filter(reading_list__slug=slug, paper=paper).first()


# ---------------------------------------------------------------- 1. the admin login


@pytest.fixture
def staff_with_totp(db):
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    staff.emailaddress_set.create(email=staff.email, verified=True, primary=True)
    TOTP.activate(staff, generate_totp_secret())
    return staff


def test_the_admin_login_does_not_skip_two_factor(client, staff_with_totp):
    response = client.post("/admin/login/?next=/admin/", {"username": staff_with_totp.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    # The password alone, through allauth's login, stops at the second factor.
    stage = client.post("/accounts/login/", {"login": staff_with_totp.email, "password": PASSWORD})
    assert stage["Location"] == "/accounts/2fa/authenticate/"
    for private in ("/admin/", "/admin/papers/category/", "/lists/", "/history/"):
        assert client.get(private)["Location"].split("?")[0] in ("/admin/login/", "/accounts/login/"), private


def test_the_admin_login_is_rate_limited(client, staff_with_totp):
    for _ in range(15):
        response = client.post("/admin/login/", {"username": staff_with_totp.email, "password": "wrong guess"})
        assert response.status_code == 302  # never the admin's own form, which has no limit
    for _ in range(5):
        client.post("/accounts/login/", {"login": staff_with_totp.email, "password": "wrong guess"})
    locked = client.post("/accounts/login/", {"login": staff_with_totp.email, "password": PASSWORD})
    assert locked.status_code in (200, 429)
    assert "Too many failed login attempts" in locked.content.decode()


# ---------------------------------------------------------------- 2. notes are never lost


def one_paper_in_two_lists(user, *, source_note: str, target_note: str):
    """The same paper with a note in the default list (source) and in "Thesis" (target)."""
    thesis = services.create_list(user=user, name="Thesis")
    paper = PaperFactory()
    source, _ = services.add_to_list(reading_list=default_list(user=user), paper=paper)
    target, _ = services.add_to_list(reading_list=thesis, paper=paper)
    services.update_entry(entry=source, note=source_note)
    services.update_entry(entry=target, note=target_note)
    return thesis, source, target


def test_a_move_that_would_overflow_the_note_is_refused_and_keeps_both(as_alice, alice):
    thesis, source, target = one_paper_in_two_lists(alice, source_note="s" * 6000, target_note="t" * 6000)
    response = as_alice.post(
        "/lists/reading-list/entries/move/", {"entries": [source.pk], "target": thesis.pk}, follow=True
    )
    assert "the two notes together would pass 10,000 characters" in response.content.decode()
    assert ReadingListEntry.objects.get(pk=source.pk).note == "s" * 6000
    assert ReadingListEntry.objects.get(pk=target.pk).note == "t" * 6000


def test_a_move_whose_notes_fit_joins_them(as_alice, alice):
    thesis, source, target = one_paper_in_two_lists(alice, source_note="s" * 4999, target_note="t" * 4999)
    as_alice.post("/lists/reading-list/entries/move/", {"entries": [source.pk], "target": thesis.pk})
    assert not ReadingListEntry.objects.filter(pk=source.pk).exists()
    assert ReadingListEntry.objects.get(pk=target.pk).note == "t" * 4999 + "\n\n" + "s" * 4999


def test_a_note_with_crlf_line_breaks_counts_as_the_browser_counts(as_alice, alice):
    entry, _ = services.add_to_list(reading_list=default_list(user=alice), paper=PaperFactory())
    typed = ("x" * 9 + "\n") * 1000  # 10,000 characters in the textarea
    posted = typed.replace("\n", "\r\n")  # 11,000 on the wire
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": posted, "state": "unread"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == typed.strip()


def test_a_refused_note_is_shown_again_with_what_was_typed(as_alice, alice):
    entry, _ = services.add_to_list(reading_list=default_list(user=alice), paper=PaperFactory())
    services.update_entry(entry=entry, note="the old note")
    typed = "my new thoughts " + "y" * 10_000
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": typed, "state": "read"})
    assert response.status_code == 400
    html = response.content.decode()
    assert typed in html
    assert "Notes are at most 10,000 characters" in html
    entry.refresh_from_db()
    assert (entry.note, entry.state) == ("the old note", "unread")


@pytest.mark.parametrize("later", ["undo", "skip"])
def test_undo_never_removes_a_paper_saved_again_by_hand(as_alice, alice, later):
    paper = PaperFactory()
    swipe, _ = deck_services.decide(user=alice, paper=paper, decision="keep")
    entry = entry_of(paper)
    as_alice.post("/lists/reading-list/entries/remove/", {"entries": [entry.pk]})
    assert entry_of(paper) is None
    default = default_list(user=alice)
    as_alice.post("/save/", {"list": default.pk, "paper": paper.pk})
    assert entry_of(paper) is not None
    if later == "undo":
        as_alice.post("/deck/undo/")
        assert not Swipe.objects.filter(pk=swipe.pk).exists()
    else:
        as_alice.post(f"/history/{swipe.pk}/", {"decision": "skip"})
        assert Swipe.objects.get(pk=swipe.pk).decision == "skip"
    assert entry_of(paper) is not None


def test_undo_still_takes_out_the_entry_the_keep_created(as_alice, alice):
    paper = PaperFactory()
    deck_services.decide(user=alice, paper=paper, decision="keep")
    assert entry_of(paper) is not None
    as_alice.post("/deck/undo/")
    assert entry_of(paper) is None


# ---------------------------------------------------------------- 3. deletion under concurrent writes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", ["decide", "create_list"])
def test_a_deletion_waits_for_a_write_in_flight_and_takes_it_along(write):
    user = UserFactory(email="leaving@example.org")
    paper = PaperFactory()
    deleting, writing = Client(), Client()
    deleting.force_login(user)
    writing.force_login(user)
    answers, threads = [], []

    def delete_meanwhile(sender, instance, created, **kwargs):
        if created and not threads:
            post = lambda: answers.append(deleting.post("/settings/delete/", {"confirm_email": user.email}))  # noqa: E731
            threads.append(in_thread(post))
            threads[0].start()

    model = Swipe if write == "decide" else ReadingList
    post_save.connect(delete_meanwhile, sender=model, weak=False)
    try:
        if write == "decide":
            response = writing.post("/deck/decide/", {"paper": paper.pk, "decision": "keep"})
        else:
            response = writing.post("/lists/new/", {"name": "Thesis"})
    finally:
        post_save.disconnect(delete_meanwhile, sender=model)
    threads[0].join(timeout=30)
    assert response.status_code == 302
    assert [a.status_code for a in answers] == [302]
    assert not User.objects.filter(email="leaving@example.org").exists()
    assert not Swipe.objects.exists()
    assert not ReadingList.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_write_after_the_account_went_gets_a_clean_answer(client, accept):
    """The request loaded its user, then another session deleted the account before the write."""
    alice = UserFactory(email="alice@example.org")
    as_alice = client
    as_alice.force_login(alice)
    paper = PaperFactory()
    real_lock = account_services.lock_account

    def deleted_first(user):
        other_session = in_thread(lambda: account_services.delete_account(user=User.objects.get(pk=user.pk)))
        other_session.start()
        other_session.join(timeout=30)
        real_lock(user)

    with mock.patch.object(deck_services, "lock_account", deleted_first):
        response = as_alice.post("/deck/decide/", {"paper": paper.pk, "decision": "keep"}, HTTP_ACCEPT=accept)
    if accept == "application/json":
        assert (response.status_code, response.json()) == (410, {"error": "This account has been deleted."})
    else:
        assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Swipe.objects.exists()
    assert "_auth_user_id" not in as_alice.session


@pytest.mark.django_db(transaction=True)
def test_deleting_the_account_deletes_first_then_logs_out():
    user = UserFactory(email="leaving@example.org")
    client = Client()
    client.force_login(user)
    response = client.post("/settings/delete/", {"confirm_email": user.email})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert client.get("/lists/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_parallel_decisions_and_deletion_never_answer_500():
    for attempt in range(6):
        user = UserFactory(email=f"racer{attempt}@example.org")
        papers = [PaperFactory() for _ in range(8)]
        errors, barrier = [], threading.Barrier(2)

        def swipe_all(user=user, papers=papers, errors=errors, barrier=barrier):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            barrier.wait()
            for paper in papers:
                status = client.post("/deck/decide/", {"paper": paper.pk, "decision": "keep"}).status_code
                if status >= 500:
                    errors.append(status)

        def delete(user=user, errors=errors, barrier=barrier):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            barrier.wait()
            status = client.post("/settings/delete/", {"confirm_email": user.email}).status_code
            if status >= 500:
                errors.append(status)

        threads = [in_thread(swipe_all), in_thread(delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [], attempt
        assert not User.objects.filter(pk=user.pk).exists()
        assert not Swipe.objects.filter(user_id=user.pk).exists()
        assert not ReadingList.objects.filter(user_id=user.pk).exists()


# ---------------------------------------------------------------- 4. races


def test_changing_a_decision_undone_a_moment_ago_is_404(as_alice, alice):
    swipe, _ = deck_services.decide(user=alice, paper=PaperFactory(), decision="keep")
    deck_services.undo_last(user=alice)
    assert as_alice.post(f"/history/{swipe.pk}/", {"decision": "skip"}).status_code == 404


def test_an_entry_removed_in_another_tab_is_404_on_save(as_alice, alice):
    entry, _ = services.add_to_list(reading_list=default_list(user=alice), paper=PaperFactory())
    ReadingListEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ReadingListEntry.DoesNotExist):
        services.update_entry(entry=entry, note="late")
    assert not ReadingListEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("action", ["rename", "share", "unshare", "up", "down"])
def test_managing_a_list_deleted_in_another_tab_is_404(as_alice, alice, action):
    thesis = services.create_list(user=alice, name="Thesis")
    stale = ReadingList.objects.get(pk=thesis.pk)
    ReadingList.objects.filter(pk=thesis.pk).delete()
    for change in (services.share_list, services.unshare_list):
        with pytest.raises(ReadingList.DoesNotExist):
            change(reading_list=stale)
    with pytest.raises(ReadingList.DoesNotExist):
        services.rename_list(reading_list=stale, name="Renamed")
    assert as_alice.post(f"/lists/thesis/{action}/", {"name": "Renamed"}).status_code == 404


# ---------------------------------------------------------------- 5. inputs that answered 500

BAD_IDS = ["²", "١٢", "9" * 25, "-1", "0", "1e3", "0x10", "1.0"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_get_400_never_500(as_alice, alice, bad):
    paper = PaperFactory()
    alice.followed_categories.add(paper.primary_category)
    deck_services.decide(user=alice, paper=PaperFactory(), decision="keep")
    entry = ReadingListEntry.objects.get(reading_list__user=alice)
    default = default_list(user=alice)
    assert as_alice.post("/deck/decide/", {"paper": bad, "decision": "keep"}).status_code == 400
    assert as_alice.post("/save/", {"list": bad, "paper": paper.pk}).status_code == 400
    assert as_alice.post("/save/", {"list": default.pk, "paper": bad}).status_code == 400
    assert as_alice.post("/settings/categories/", {"categories": [bad]}).status_code == 400
    assert as_alice.get("/deck/cards/", {"exclude": f"{paper.pk},{bad}"}).status_code == 400
    response = as_alice.post("/lists/reading-list/entries/remove/", {"entries": [bad]}, follow=True)
    assert response.status_code == 200
    assert "Not a list of valid ids" in response.content.decode()
    assert ReadingListEntry.objects.filter(pk=entry.pk).exists()
    assert Swipe.objects.filter(user=alice).count() == 1


def test_the_deck_still_takes_its_own_exclude_lists(as_alice, alice):
    papers = [PaperFactory() for _ in range(3)]
    alice.followed_categories.add(*[p.primary_category for p in papers])
    response = as_alice.get("/deck/cards/", {"exclude": f"{papers[0].pk},{papers[1].pk}"})
    assert response.status_code == 200
    assert [f'data-paper="{papers[2].pk}"' in card for card in response.json()["cards"]] == [True]


def test_a_search_of_999_words_or_one_huge_word_is_cut_with_a_message(client, as_alice, alice):
    PaperFactory(title="Entanglement entropy of everything")
    for query in (" ".join(["e"] * 999), "entanglement " + "w" * 60_000):
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        assert "Searched the first 32 words" in response.content.decode()
        assert len(response.context["q"]) <= 300
    services.add_to_list(reading_list=default_list(user=alice), paper=PaperFactory())
    assert as_alice.get("/lists/reading-list/", {"q": " ".join(["e"] * 999)}).status_code == 200
    assert as_alice.get("/lists/reading-list/", {"q": "x" * 60_000}).status_code == 200


# ---------------------------------------------------------------- 6. headers and names


def test_pages_with_own_data_are_never_cached(as_alice, alice):
    deck_services.decide(user=alice, paper=PaperFactory(), decision="keep")
    for url in (
        "/",
        "/lists/",
        "/lists/reading-list/",
        "/history/",
        "/search/?q=paper&in=lists",
        "/settings/data/download/",
        "/lists/reading-list/export/bibtex/",
        "/library/export/csv/",
    ):
        response = as_alice.get(url, follow=True)
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control, url
        assert "private" in cache_control, url


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("\u202efdp.exe", "fdp.exe"), ("Thesis\u200b notes", "Thesis notes"), ("  Two   spaces\t", "Two spaces")],
)
def test_list_names_keep_only_visible_characters(as_alice, alice, typed, stored):
    as_alice.post("/lists/new/", {"name": typed})
    assert alice.reading_lists.filter(is_default=False).get().name == stored


@pytest.mark.parametrize("invisible", ["\u200b", "\u202e\u200d", "\ufeff \u2066"])
def test_list_names_of_invisible_characters_are_refused(as_alice, alice, invisible):
    response = as_alice.post("/lists/new/", {"name": invisible}, follow=True)
    assert "A list needs a name of visible characters" in response.content.decode()
    assert alice.reading_lists.count() == 1
    thesis = services.create_list(user=alice, name="Thesis")
    as_alice.post(f"/lists/{thesis.slug}/rename/", {"name": invisible})
    thesis.refresh_from_db()
    assert thesis.name == "Thesis"


def test_nul_bytes_are_refused_everywhere(as_alice, alice):
    entry, _ = services.add_to_list(reading_list=default_list(user=alice), paper=PaperFactory())
    assert as_alice.post("/lists/new/", {"name": "Bad\x00name"}).status_code == 400
    assert as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": "a\x00b"}).status_code == 400
    assert as_alice.get("/search/", {"q": "quantum\x00"}).status_code == 400
    assert alice.reading_lists.count() == 1
    entry.refresh_from_db()
    assert entry.note == ""


@pytest.mark.parametrize("note", ["see eq. 3 \\", "\\\\}{\\{}}\\", "}{", "\\", "50% & #1 $x_1$ ok_"])
def test_notes_with_backslashes_and_braces_export_to_valid_bibtex(alice, note):
    paper = PaperFactory(title="A title with $\\omega$ and more", abstract="An abstract ending in a backslash \\")
    entry, _ = services.add_to_list(reading_list=default_list(user=alice), paper=paper)
    services.update_entry(entry=entry, note=note)
    entry.refresh_from_db()
    library = bibtexparser.parse_string(
        to_bibtex([Item(paper, entry, "Reading list")]),
        append_middleware=[bibtexparser.middlewares.LatexDecodingMiddleware()],
    )
    assert not library.failed_blocks
    (parsed,) = library.entries
    assert parsed.fields_dict["note"].value == note
    assert parsed.fields_dict["url"].value == paper.abs_url  # the note swallowed no field after it
