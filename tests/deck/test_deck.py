"""The swipe deck: onboarding, decisions stored once, undo, history, the reading list, isolation."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from deck import services as deck_services
from deck.models import Swipe
from library.models import ReadingListEntry
from papers.models import Category, Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import ARXIV_RAW_PAGE, RSS_QUANT_PH
from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(cs_cy):
    """Ten cs.CY papers, newest first: 2511.10009 ... 2511.10000."""
    now = timezone.now()
    return [
        PaperFactory(
            arxiv_id=f"2511.{10000 + i}",
            primary_category=cs_cy,
            published=now - dt.timedelta(hours=10 - i),
            listed_at=now - dt.timedelta(hours=10 - i),
        )
        for i in range(10)
    ][::-1]


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def decide(client, paper, decision="keep", **extra):
    return client.post("/deck/decide/", {"paper": paper.pk, "decision": decision, "source": "button"}, **extra)


def top_card(client):
    return client.get("/").context["cards"][0]


PRIVATE_GET = ["/deck/cards/", "/history/", "/lists/", "/settings/categories/"]  # / is the front door: test_landing
PRIVATE_POST = ["/deck/decide/", "/deck/undo/", "/history/1/", "/settings/categories/"]


@pytest.mark.parametrize("path", PRIVATE_GET)
def test_private_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", PRIVATE_POST)
def test_private_writes_require_login(client, path):
    response = client.post(path, {"decision": "keep", "paper": 1})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Swipe.objects.count() == 0


def test_writes_are_checked_against_csrf(user, papers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert decide(client, papers[0]).status_code == 403
    assert client.post("/deck/undo/").status_code == 403
    assert client.post("/settings/categories/", {"categories": [1]}).status_code == 403
    assert Swipe.objects.count() == 0


def test_a_user_who_follows_nothing_is_sent_to_pick_categories(client):
    client.force_login(UserFactory())
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/settings/categories/"
    assert "Pick the arXiv categories you want to follow" in response.content.decode()


def test_category_settings_group_offered_categories_and_save(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get("/settings/categories/").content.decode()
    assert "cs.CY · Computers and Society" in html
    assert "<legend>Computer Science</legend>" in html
    assert "math.CO" not in html  # not offered
    lg, cy = Category.objects.get(code="cs.LG"), Category.objects.get(code="cs.CY")
    hidden = Category.objects.get(code="math.CO")
    response = client.post("/settings/categories/", {"categories": [lg.pk, cy.pk, hidden.pk]})
    assert response["Location"] == "/"
    assert set(user.followed_categories.all()) == {lg, cy}
    html = client.get("/settings/categories/").content.decode()
    assert f'value="{lg.pk}" checked' in html


def test_deck_shows_the_newest_unseen_card(logged_in, papers):
    response = logged_in.get("/")
    html = response.content.decode()
    assert response.context["cards"][0] == papers[0]
    assert f'data-arxiv-id="{papers[0].arxiv_id}"' in html
    assert ">Keep</button>" in html
    assert ">Skip</button>" in html
    assert ">Undo</button>" in html
    assert "Version 1" in html
    assert "Published <time" in html
    assert "vendor/katex/katex.min.js" in html


def test_deck_leaves_out_other_categories(logged_in, papers):
    other = PaperFactory(primary_category=Category.objects.get(code="hep-th"), listed_at=timezone.now())
    assert other not in logged_in.get("/").context["cards"]


def test_keep_stores_one_swipe_and_fills_the_reading_list(logged_in, user, papers):
    response = decide(logged_in, papers[0])
    assert response["Location"] == "/"
    swipe = Swipe.objects.get()
    assert (swipe.user, swipe.paper, swipe.decision, swipe.source) == (user, papers[0], "keep", "button")
    assert list(ReadingListEntry.objects.values_list("paper", flat=True)) == [papers[0].pk]
    assert top_card(logged_in) == papers[1]


def test_skip_only_records_the_decision(logged_in, papers):
    decide(logged_in, papers[0], "skip")
    assert Swipe.objects.get().decision == "skip"
    assert ReadingListEntry.objects.count() == 0


def test_a_double_click_is_stored_once(logged_in, papers):
    first = decide(logged_in, papers[0], HTTP_ACCEPT="application/json").json()
    second = decide(logged_in, papers[0], HTTP_ACCEPT="application/json").json()
    again_as_skip = decide(logged_in, papers[0], "skip", HTTP_ACCEPT="application/json").json()
    created = [reply["decided"]["created"] for reply in (first, second, again_as_skip)]
    assert created == [True, False, False]
    assert again_as_skip["decided"]["decision"] == "keep"
    assert Swipe.objects.count() == 1
    assert ReadingListEntry.objects.count() == 1


def test_bad_decisions_are_rejected(logged_in, papers):
    assert logged_in.post("/deck/decide/", {"paper": papers[0].pk, "decision": "maybe"}).status_code == 400
    assert logged_in.post("/deck/decide/", {"paper": 999999, "decision": "keep"}).status_code == 404
    assert Swipe.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_two_simultaneous_decisions_on_one_paper_store_one_swipe():
    user = UserFactory()
    paper = PaperFactory()
    barrier, results = threading.Barrier(4), []

    def go(decision: str) -> None:
        barrier.wait()
        try:
            results.append(deck_services.decide(user=user, paper=paper, decision=decision)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(d,)) for d in ("keep", "skip", "keep", "skip")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert Swipe.objects.filter(user=user, paper=paper).count() == 1
    kept = Swipe.objects.get().decision == "keep"
    assert ReadingListEntry.objects.count() == (1 if kept else 0)


def test_undo_restores_the_last_decision_and_its_side_effects(logged_in, papers):
    decide(logged_in, papers[0], "skip")
    decide(logged_in, papers[1], "keep")
    response = logged_in.post("/deck/undo/")
    assert response["Location"] == f"/?show={papers[1].arxiv_id}"
    assert logged_in.get(response["Location"]).context["cards"][0] == papers[1]
    assert list(Swipe.objects.values_list("paper", flat=True)) == [papers[0].pk]
    assert ReadingListEntry.objects.count() == 0


def test_undo_can_be_repeated_for_twenty_decisions(client, cs_cy):
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    client.force_login(user)
    many = [PaperFactory(primary_category=cs_cy) for _ in range(25)]
    for i, paper in enumerate(many):
        deck_services.decide(user=user, paper=paper, decision="keep" if i % 2 else "skip")
    for i, expected in reversed(list(enumerate(many))[5:]):
        data = client.post("/deck/undo/", HTTP_ACCEPT="application/json").json()
        assert data["undone"] == expected.arxiv_id
        assert f'data-arxiv-id="{expected.arxiv_id}"' in data["cards"][0]
        assert data["undid"] == f"Undid: {'Keep' if i % 2 else 'Skip'} · {expected.title}"  # what it took back
    assert Swipe.objects.count() == 5
    assert ReadingListEntry.objects.count() == 2


def test_undo_without_javascript_says_what_it_took_back(client, cs_cy):
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    client.force_login(user)
    paper = PaperFactory(primary_category=cs_cy, title="On <b>bold</b> claims")
    deck_services.decide(user=user, paper=paper, decision="keep")
    page = client.post("/deck/undo/", follow=True).content.decode()
    assert "Undid: Keep · On &lt;b&gt;bold&lt;/b&gt; claims" in page


def test_undo_with_nothing_to_undo(logged_in, papers):
    assert logged_in.post("/deck/undo/", follow=True).status_code == 200
    assert logged_in.post("/deck/undo/", HTTP_ACCEPT="application/json").json()["cards"] == []


def test_more_cards_leave_out_those_the_page_holds(logged_in, papers):
    exclude = ",".join(str(p.pk) for p in papers[:5])
    response = logged_in.get(f"/deck/cards/?exclude={exclude}")
    ids = set(re.findall(r'data-arxiv-id="([^"]+)"', "".join(response.json()["cards"])))
    assert ids == {p.arxiv_id for p in papers[5:]}


def test_all_caught_up(logged_in, user, papers):
    for paper in papers:
        deck_services.decide(user=user, paper=paper, decision="skip")
    html = logged_in.get("/").content.decode()
    assert "All caught up" in html
    assert "The next harvest is due" in html
    assert 'href="/lists/"' in html


def test_progress_counts_todays_announcement(client, cs_cy):
    import_page(page=parse_document(RSS_QUANT_PH.read_bytes()))
    from papers.harvest import mark_announced

    page = parse_document(RSS_QUANT_PH.read_bytes())
    mark_announced(records=page.records, day=page.announced_on)
    user = UserFactory()
    user.followed_categories.add(Category.objects.get(code="quant-ph"))
    client.force_login(user)
    total = sum("quant-ph" in r.categories for r in page.records)  # from the listing itself
    assert f"{total} of {total} new papers left today" in client.get("/").content.decode()
    first = client.get("/").context["cards"][0]
    data = decide(client, first, HTTP_ACCEPT="application/json").json()
    assert data["progress"] == f"{total - 1} of {total} new papers left today"


def test_history_lists_newest_first_filters_and_changes(logged_in, user, papers):
    for paper, decision in zip(papers[:3], ["keep", "skip", "keep"], strict=True):
        deck_services.decide(user=user, paper=paper, decision=decision)
    history = logged_in.get("/history/").context["page"].object_list
    assert [s.paper for s in history] == [papers[2], papers[1], papers[0]]
    kept = logged_in.get("/history/?decision=keep").context["page"].object_list
    assert [s.paper for s in kept] == [papers[2], papers[0]]
    skipped = Swipe.objects.get(paper=papers[1])
    logged_in.post(f"/history/{skipped.pk}/", {"decision": "keep"})
    assert Swipe.objects.get(paper=papers[1]).decision == "keep"
    assert ReadingListEntry.objects.filter(paper=papers[1]).exists()
    logged_in.post(f"/history/{skipped.pk}/", {"decision": "skip"})
    assert not ReadingListEntry.objects.filter(paper=papers[1]).exists()


def test_reading_list_shows_exactly_the_kept_papers(logged_in, user, papers):
    deck_services.decide(user=user, paper=papers[0], decision="keep")
    deck_services.decide(user=user, paper=papers[1], decision="skip")
    deck_services.decide(user=user, paper=papers[2], decision="keep")
    response = logged_in.get("/lists/reading-list/")
    assert {e.paper for e in response.context["page"].object_list} == {papers[0], papers[2]}
    assert "Reading list" in response.content.decode()


def test_another_users_data_never_shows(client, user, papers):
    deck_services.decide(user=user, paper=papers[0], decision="keep")
    theirs = Swipe.objects.get()
    intruder = UserFactory()
    intruder.followed_categories.add(Category.objects.get(code="cs.CY"))
    client.force_login(intruder)
    assert client.post(f"/history/{theirs.pk}/", {"decision": "skip"}).status_code == 404
    assert Swipe.objects.get().decision == "keep"
    assert not client.get("/history/").context["page"].object_list
    assert not client.get("/lists/reading-list/").context["page"].object_list
    assert client.post("/deck/undo/", HTTP_ACCEPT="application/json").json()["cards"] == []
    assert Swipe.objects.count() == 1
    # Their decisions do not hide papers from my deck.
    assert client.get("/").context["cards"][0] == papers[0]


def test_card_escapes_arxiv_text(logged_in, cs_cy):
    PaperFactory(title="<script>alert(1)</script> $a<b$", primary_category=cs_cy, listed_at=timezone.now())
    html = logged_in.get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $a&lt;b$" in html


def test_deck_query_count_stays_flat_with_many_decisions(logged_in, user, cs_cy, django_assert_max_num_queries):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    user.followed_categories.set(Category.objects.filter(code__in=["math.AP", "cs.CY", "quant-ph"]))
    for paper in Paper.objects.all()[:300]:
        deck_services.decide(user=user, paper=paper, decision="skip")
    logged_in.get("/")  # the reader's settings and the lists menu are cached from here on
    with django_assert_max_num_queries(7):  # tests/test_query_budget.py's 6, and the session row
        logged_in.get("/")


def test_keep_and_save_to_a_list_is_one_decision_and_its_undo_takes_the_entry_back(logged_in, user, papers):
    from library import services as library_services
    from library.selectors import default_list

    thesis = library_services.create_list(user=user, name="Thesis")
    reply = logged_in.post(
        "/deck/decide/",
        {"paper": papers[0].pk, "decision": "keep", "list": thesis.pk},
        HTTP_ACCEPT="application/json",
    ).json()
    assert reply["decided"] == {"created": True, "decision": "keep", "saved_to": "Thesis"}
    swipe = Swipe.objects.get(user=user, paper=papers[0])
    assert swipe.list_entry.reading_list == thesis  # in the chosen list, not the default one
    assert not default_list(user=user).entries.filter(paper=papers[0]).exists()
    logged_in.post("/deck/undo/", HTTP_ACCEPT="application/json")
    assert not thesis.entries.exists()
    # Without JavaScript the same form says it on the next page.
    page = logged_in.post("/deck/decide/", {"paper": papers[1].pk, "decision": "keep", "list": thesis.pk}, follow=True)
    assert f"Kept and saved in “Thesis”: {papers[1].title}" in page.content.decode()


def test_keep_and_save_to_another_readers_list_is_refused(logged_in, papers):
    from library import services as library_services

    someone_else = library_services.create_list(user=UserFactory(), name="Theirs")
    response = logged_in.post("/deck/decide/", {"paper": papers[0].pk, "decision": "keep", "list": someone_else.pk})
    assert response.status_code == 404
    assert not Swipe.objects.exists()
    assert not someone_else.entries.exists()
