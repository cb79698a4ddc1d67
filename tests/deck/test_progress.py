"""The progress line above the deck counts what the deck will show, and never says 0 above a card."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deck import services as deck_services
from deck.selectors import progress
from papers.models import Paper

from ..factories import PaperFactory

pytestmark = pytest.mark.django_db


def old_papers(category, count, *, weeks=3):
    """Papers listed weeks ago, as a fresh `make run`, a back-filled category or a slow week leaves them."""
    start = timezone.now() - dt.timedelta(weeks=weeks)
    return [PaperFactory(primary_category=category, listed_at=start - dt.timedelta(hours=i)) for i in range(count)]


def many_old_papers(category, count):
    start = timezone.now() - dt.timedelta(weeks=3)
    Paper.objects.bulk_create(
        Paper(
            arxiv_id=f"1901.{i:05d}",
            version=1,
            title=f"Old paper {i}",
            primary_category=category,
            listed_at=start - dt.timedelta(minutes=i),
        )
        for i in range(count)
    )
    through = Paper.categories.through
    through.objects.bulk_create(
        through(paper_id=pk, category_id=category.pk)
        for pk in Paper.objects.filter(arxiv_id__startswith="1901.").values_list("pk", flat=True)
    )


def test_papers_older_than_a_week_are_counted_and_the_count_follows_decisions(client, user, cs_cy):
    papers = old_papers(cs_cy, 3)
    client.force_login(user)
    page = client.get("/")
    assert page.context["cards"]
    assert page.context["progress"].text == "3 unseen papers left"
    assert "3 unseen papers left" in page.content.decode()
    data = client.post(
        "/deck/decide/", {"paper": papers[0].pk, "decision": "skip", "source": "key"}, HTTP_ACCEPT="application/json"
    ).json()
    assert data["progress"] == "2 unseen papers left"


def test_more_than_a_thousand_unseen_is_capped(client, user, cs_cy):
    many_old_papers(cs_cy, 1001)
    client.force_login(user)
    assert client.get("/").context["progress"].text == "1,000+ unseen papers left"
    deck_services.decide(user=user, paper=Paper.objects.get(arxiv_id="1901.00000"), decision="skip")
    assert progress(user=user).text == "1,000 unseen papers left"


def test_once_the_days_announcement_is_done_the_older_cards_are_counted(client, user, cs_cy):
    today = timezone.now().date()
    announced = [
        PaperFactory(primary_category=cs_cy, announced_on=today, listed_at=timezone.now() - dt.timedelta(minutes=i))
        for i in range(2)
    ]
    old_papers(cs_cy, 4)
    client.force_login(user)
    assert client.get("/").context["progress"].text == "2 of 2 new papers left today"
    deck_services.decide(user=user, paper=announced[0], decision="keep")
    assert client.get("/").context["progress"].text == "1 of 2 new papers left today"
    deck_services.decide(user=user, paper=announced[1], decision="skip")
    page = client.get("/")
    assert page.context["cards"]
    assert page.context["progress"].text == "4 unseen papers left"


def test_the_announcement_form_only_when_the_deck_shows_that_announcement(client, user, cs_cy):
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    PaperFactory(primary_category=cs_cy, announced_on=yesterday, listed_at=timezone.now() - dt.timedelta(days=1))
    # Harvested since, not announced yet: the deck shows it first, so the line counts cards instead.
    PaperFactory(primary_category=cs_cy, listed_at=timezone.now())
    client.force_login(user)
    assert client.get("/").context["progress"].text == "2 unseen papers left"


def test_never_zero_above_a_card(client, user, cs_cy):
    client.force_login(user)
    assert client.get("/").context["progress"].text == "0 unseen papers left"  # caught up: no card
    for weeks in (0, 2, 52):
        old_papers(cs_cy, 1, weeks=weeks)
        page = client.get("/")
        assert page.context["cards"]
        assert not page.context["progress"].text.startswith("0 ")
        for paper in page.context["cards"]:
            deck_services.decide(user=user, paper=paper, decision="skip")


def test_the_count_stays_cheap(user, cs_cy):
    many_old_papers(cs_cy, 1500)
    today = timezone.now().date()
    PaperFactory(primary_category=cs_cy, announced_on=today, listed_at=timezone.now())
    for paper in Paper.objects.order_by("-listed_at")[:50]:
        deck_services.decide(user=user, paper=paper, decision="skip")
    with CaptureQueriesContext(connection) as queries:
        assert progress(user=user).text == "1,000+ unseen papers left"
    # The followed categories, the mutes, the deck settings, the latest announcement, the next card, the count.
    assert len(queries) <= 6
    if connection.vendor == "postgresql":
        # Bounded: the count reads at most the cap and one more, never the whole catalog.
        assert any("LIMIT 1001" in q["sql"] for q in queries.captured_queries)


def test_a_refill_sends_cards_only_and_a_decision_sends_the_new_state(client, user, cs_cy):
    papers = old_papers(cs_cy, 4)
    client.force_login(user)
    refill = client.get(f"/deck/cards/?exclude={papers[0].pk}&count=2", HTTP_ACCEPT="application/json").json()
    assert len(refill["cards"]) == 2
    assert "progress" not in refill  # a refill changes neither the line nor Undo
    assert "can_undo" not in refill
    decided = client.post(
        "/deck/decide/", {"paper": papers[0].pk, "decision": "skip"}, HTTP_ACCEPT="application/json"
    ).json()
    assert decided["progress"] == "3 unseen papers left"
    assert decided["can_undo"] is True
