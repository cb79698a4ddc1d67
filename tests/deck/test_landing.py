"""The front door: a visitor learns what PaperSwipe is from a sentence and a real card, and can try the deck
without an account; both pages are the same for everyone, so a shared cache may keep them."""

import pytest
from django.utils import timezone

from papers.models import Category

from ..factories import PaperFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("taxonomy")]


@pytest.fixture
def newest():
    Category.objects.filter(code__in=["cs.LG", "hep-th"]).update(is_active=True)
    now = timezone.now()
    for i in range(10):
        PaperFactory(
            title=f"Older paper {i}",
            primary_category=Category.objects.get(code="cs.LG"),
            listed_at=now - timezone.timedelta(hours=i + 1),
        )
    return PaperFactory(
        title="Bounds on <b>x</b> & $\\alpha$-divergences",
        primary_category=Category.objects.get(code="hep-th"),
        listed_at=now,
    )


def test_a_visitor_meets_what_paperswipe_is_with_a_real_card_and_the_ways_in(client, newest):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html
    assert "Keep up with arXiv, one card at a time" in html
    assert "new papers in the arXiv categories you follow" in html
    assert "Bounds on &lt;b&gt;x&lt;/b&gt; &amp; $\\alpha$-divergences" in html  # the newest, escaped
    assert "<b>x</b>" not in html
    for link in ('href="/accounts/signup/"', 'href="/accounts/login/"', 'href="/try/"'):
        assert link in html
    assert "csrfmiddlewaretoken" not in html  # nothing to post: the page is the same for everyone
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]  # a reader gets their deck at the same address
    assert not response.cookies


def test_a_reader_at_the_same_address_gets_their_deck_never_cached(client, newest):
    user = UserFactory()
    user.followed_categories.set(Category.objects.filter(code="hep-th"))
    client.force_login(user)
    response = client.get("/")
    assert 'id="deck"' in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_the_trial_deck_shows_the_newest_cards_and_says_decisions_stay_in_the_browser(client, newest):
    response = client.get("/try/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="card paper deck-card trial-card"') == 8
    assert html.index("Bounds on &lt;b&gt;x&lt;/b&gt;") < html.index("Older paper 0")  # newest first
    assert "Older paper 9" not in html
    assert "cannot be stored" in html
    assert "stay in this browser until you" in html
    assert 'action="/deck/decide/"' not in html  # nothing is posted without an account
    assert "public" in response["Cache-Control"]
    assert not response.cookies


def test_replacements_and_unoffered_categories_stay_out_of_the_trial(client, newest):
    PaperFactory(title="A replaced paper", primary_category=newest.primary_category, announce_type="replace")
    Category.objects.filter(code="cs.CY").update(is_active=False)
    PaperFactory(title="An unoffered paper", primary_category=Category.objects.get(code="cs.CY"))
    html = client.get("/try/").content.decode()
    assert "A replaced paper" not in html
    assert "An unoffered paper" not in html
