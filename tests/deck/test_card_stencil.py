"""A deck card is rendered once per paper and version (deck/templatetags/deck_cards.py) and each request
fills in its own parts: the date, the "why" line, the Save-to menu, the forms' return address and CSRF."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from deck import selectors
from deck import services as deck_services
from deck.models import DeckCard, Swipe
from library.services import create_list
from papers.models import Category

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(cs_cy):
    now = timezone.now()
    return PaperFactory(primary_category=cs_cy, published=now - dt.timedelta(hours=3), listed_at=now)


def reader(cs_cy, **lists: str) -> Client:
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    for name in lists.values():
        create_list(user=user, name=name)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def card_templates(response) -> list[str]:
    return [t.name for t in response.templates if t.name == "deck/_card.html"]


def test_the_card_is_rendered_once_and_each_reader_gets_their_own_parts(cs_cy, paper):
    first, second = reader(cs_cy, extra="Alice's <b>list</b>"), reader(cs_cy, extra="Bob's list")
    page = first.get("/")
    assert card_templates(page) == ["deck/_card.html"]
    again = second.get("/")
    assert card_templates(again) == []  # the stencil came from the cache
    html = again.content.decode()
    assert "Bob&#x27;s list" in html
    assert "Alice" not in html
    assert "&lt;b&gt;list&lt;/b&gt;" in first.get("/").content.decode()  # a list's name stays escaped
    assert "<!--live:" not in html
    assert f'id="save-{paper.pk}"' in html
    assert 'value="/"' in html  # the forms come back to this page
    assert "Published <time" in html
    assert "3 hours ago" in html


def test_the_card_forms_carry_this_requests_csrf_token(cs_cy, paper):
    client = reader(cs_cy)
    client.get("/")  # the stencil is cached, without any token in it
    html = client.get("/").content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) >= 1
    token = tokens.pop()
    response = client.post(
        "/deck/decide/", {"paper": paper.pk, "decision": "keep", "source": "button", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Swipe.objects.get(paper=paper).decision == "keep"


def test_text_that_looks_like_a_hole_stays_text(cs_cy):
    PaperFactory(
        title="<!--live:csrf--> and <!--live:next-->",
        abstract="<!--live:why--> <script>alert(1)</script>",
        primary_category=cs_cy,
        listed_at=timezone.now(),
    )
    client = reader(cs_cy)
    for _ in range(2):  # rendered now, then from the cache
        html = client.get("/").content.decode()
        assert "&lt;!--live:csrf--&gt; and &lt;!--live:next--&gt;" in html
        assert "&lt;!--live:why--&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html


def test_the_why_line_is_the_readers_own(cs_cy, paper):
    kept = PaperFactory(title="Kept <em>paper</em>", primary_category=cs_cy)
    liking, plain = reader(cs_cy), reader(cs_cy)
    user = liking.get("/").wsgi_request.user
    DeckCard.objects.create(user=user, paper=paper, rank=0, score=0.9, exploring=True, reason="", reason_paper=kept)
    html = liking.get("/").content.decode()
    link = f'<a href="/papers/{kept.arxiv_id}/">Kept &lt;em&gt;paper&lt;/em&gt;</a>'
    assert f'<p class="why exploring">Like {link}, which you kept</p>' in html
    assert 'class="why' not in plain.get("/").content.decode()


def test_cards_fetched_in_the_background_return_to_the_deck(cs_cy, paper):
    client = reader(cs_cy)
    client.get("/?show=")  # the stencil is cached with the page
    [card] = client.get("/deck/cards/", HTTP_ACCEPT="application/json").json()["cards"]
    assert 'name="next" value="/"' in card
    assert 'name="next" value="/?show="' not in card
    assert "<!--live:" not in card


def test_a_new_version_or_listing_shows_at_once(cs_cy, paper):
    client = reader(cs_cy)
    assert "Version 1" in client.get("/").content.decode()
    paper.version, paper.title, paper.announce_type = 2, "A better title", "replace"
    paper.save()
    html = client.get("/").content.decode()
    assert "A better title" in html
    assert "Replaced (v2)" in html


def test_a_category_mute_still_hides_queued_cards(cs_cy, paper):
    client = reader(cs_cy)
    user = client.get("/").wsgi_request.user
    crossed = PaperFactory(primary_category=cs_cy, listed_at=timezone.now())
    crossed.categories.add(Category.objects.get(code="cs.LG"))
    DeckCard.objects.create(user=user, paper=crossed, rank=0, score=0.9)
    DeckCard.objects.create(user=user, paper=paper, rank=1, score=0.8)
    deck_services.set_interest(user=user, kind="category", value="cs.LG", stance="mute")
    DeckCard.objects.create(user=user, paper=crossed, rank=0, score=0.9)  # as a rerank begun before the mute
    assert selectors.next_cards(user=user, count=1) == [paper]


def test_deck_state_says_whether_undo_has_anything(cs_cy, paper):
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    assert selectors.deck_state(user=user) == selectors.DeckState(
        progress=selectors.Progress(done=0, total=1, today=False), can_undo=False
    )
    deck_services.decide(user=user, paper=paper, decision="skip")
    state = selectors.deck_state(user=user)
    assert state.can_undo is True
    assert state.progress.text == "0 unseen papers left"
