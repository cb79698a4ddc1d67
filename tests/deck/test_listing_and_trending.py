"""The day's listing as arXiv shows it (New, Cross-list, Replaced), the deck's choice of kinds, and
trending, which counts keeps and never says who kept."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from deck import services as deck_services
from deck.models import DeckSettings, Swipe
from deck.selectors import candidates
from papers.models import Category

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(cs_cy):
    lg = Category.objects.get(code="cs.LG")
    today = timezone.now().date()
    papers = {
        "new": PaperFactory(primary_category=cs_cy, announce_type="new", announced_on=today, version=1),
        "cross": PaperFactory(primary_category=lg, announce_type="cross", announced_on=today, version=1),
        "replace": PaperFactory(primary_category=cs_cy, announce_type="replace", announced_on=today, version=3),
        "api-v2": PaperFactory(primary_category=cs_cy, announce_type="", version=2),
    }
    for paper in papers.values():
        paper.categories.add(cs_cy)
    return papers


def test_cards_and_rows_say_how_the_paper_reached_the_listing(client, user, listing):
    client.force_login(user)
    html = client.get("/").content.decode()
    assert '<span class="announced">New</span>' in html
    assert '<span class="announced">Cross-list from cs.LG</span>' in html
    assert '<span class="announced">Replaced (v3)</span>' in html
    rows = client.get("/papers/?category=cs.CY").content.decode()
    assert "Cross-list from cs.LG" in rows


def test_the_deck_can_leave_out_cross_lists_and_replacements(client, user, listing):
    assert set(candidates(user=user)) == set(listing.values())
    client.force_login(user)
    client.post("/settings/deck/", {"include_replacements": "on"})  # the cross-lists box left unticked
    user = type(user).objects.get(pk=user.pk)
    assert set(candidates(user=user)) == {listing["new"], listing["replace"], listing["api-v2"]}
    client.post("/settings/deck/", {"include_cross_lists": "on"})
    user = type(user).objects.get(pk=user.pk)
    assert set(candidates(user=user)) == {listing["new"], listing["cross"]}
    assert DeckSettings.objects.get(user=user).include_replacements is False
    html = client.get("/settings/interests/").content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="(\w+)"[^>]*?( checked)?>', html))
    assert boxes == {"include_cross_lists": " checked", "include_replacements": ""}


def keep(paper, readers) -> None:
    for reader in readers:
        deck_services.decide(user=reader, paper=paper, decision="keep")


def test_trending_counts_keeps_of_the_week_and_never_who(client, cs_cy):
    hot, warm, old, skipped = (PaperFactory(primary_category=cs_cy) for _ in range(4))
    for paper in (hot, warm, old, skipped):
        paper.categories.add(cs_cy)
    readers = [UserFactory(email=f"reader{i}@example.org") for i in range(5)]
    keep(hot, readers[:4])
    keep(warm, readers[:3])
    keep(old, readers[:3])
    for reader in readers:
        deck_services.decide(user=reader, paper=skipped, decision="skip")
    Swipe.objects.filter(paper=old).update(created_at=timezone.now() - timedelta(days=8))
    response = client.get("/papers/trending/")
    assert response.status_code == 200
    assert [p.pk for p in response.context["papers"]] == [hot.pk, warm.pk]
    html = response.content.decode()
    assert "Kept by 4 readers this week" in html
    assert "Kept by 3 readers this week" in html
    assert "at least 3 readers" in html
    assert "reader0@example.org" not in html
    assert 'name="decision"' not in html  # anonymous visitors get no Keep / Skip
    assert [p.pk for p in client.get("/papers/trending/?category=cs.LG").context["papers"]] == []
    assert client.get("/papers/trending/?category=%00").status_code == 400
    client.force_login(readers[3])
    html = client.get("/papers/trending/?category=cs.CY").content.decode()
    assert "Kept" in html  # their own decision on the hot paper
    assert 'name="decision" value="keep"' in html  # Keep / Skip on the warm one


def test_trending_shows_a_paper_only_once_three_readers_kept_it(client, cs_cy):
    """A count of one or two readers points at them: "kept by 1 reader" is that reader's reading."""
    lg = Category.objects.get(code="cs.LG")
    paper = PaperFactory(primary_category=cs_cy)
    paper.categories.add(cs_cy, lg)  # cross-listed: it trends in both categories
    readers = [UserFactory() for _ in range(3)]
    keep(paper, readers[:2])
    for url in ("/papers/trending/", "/papers/trending/?category=cs.CY", "/papers/trending/?category=cs.LG"):
        response = client.get(url)
        assert response.context["papers"] == [], url
        html = response.content.decode()
        assert "Kept by" not in html, url
        assert "was kept by 3 or more readers this week yet" in html, url
    keep(paper, readers[2:])
    for url in ("/papers/trending/", "/papers/trending/?category=cs.CY", "/papers/trending/?category=cs.LG"):
        assert [p.pk for p in client.get(url).context["papers"]] == [paper.pk], url
        assert "Kept by 3 readers this week" in client.get(url).content.decode(), url


def test_the_private_feed_follows_the_deck_and_a_reset_retires_the_old_address(client, user, listing):
    from django.test import Client

    from deck.models import DeckCard

    client.force_login(user)
    assert "Get a feed address" in client.get("/settings/interests/").content.decode()
    client.post("/settings/deck/feed/")
    first = DeckSettings.objects.get(user=user).feed_token
    assert first
    assert f"/feed/{first}/" in client.get("/settings/interests/").content.decode()
    DeckCard.objects.create(user=user, paper=listing["replace"], rank=0, score=0.9)
    DeckCard.objects.create(user=user, paper=listing["new"], rank=1, score=0.8)
    feed = Client().get(f"/feed/{first}/")  # a feed reader has no session
    assert feed.status_code == 200
    xml = feed.content.decode()
    assert xml.index(listing["replace"].title) < xml.index(listing["new"].title)  # deck order
    deck_services.decide(user=user, paper=listing["replace"], decision="skip")
    assert listing["replace"].title not in Client().get(f"/feed/{first}/").content.decode()
    client.post("/settings/deck/feed/")
    second = DeckSettings.objects.get(user=user).feed_token
    assert second != first
    assert Client().get(f"/feed/{first}/").status_code == 404
    assert Client().get(f"/feed/{second}/").status_code == 200


def test_the_days_count_leaves_out_what_the_deck_will_never_show(user, listing):
    from deck.selectors import progress

    listing["api-v2"].listed_at = timezone.now() - timedelta(days=30)  # older than the day's listing
    listing["api-v2"].save()
    assert progress(user=user).text == "3 of 3 new papers left today"  # new, cross and replace were announced
    DeckSettings.objects.create(user=user, include_cross_lists=False)
    user = type(user).objects.get(pk=user.pk)
    assert progress(user=user).text == "2 of 2 new papers left today"
    deck_services.set_interest(user=user, kind="keyword", value=listing["replace"].title, stance="mute")
    user = type(user).objects.get(pk=user.pk)
    assert progress(user=user).text == "1 of 1 new paper left today"
