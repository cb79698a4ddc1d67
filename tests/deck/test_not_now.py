""" "Not now" (issue 23 §5): a third answer that hides the paper until the reader's next day and brings it
back in its place, teaching the model nothing; Undo takes it back like a decision."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from deck.models import DeckCard, Postponed, ReaderModel, Swipe
from deck.ranking import queues
from deck.selectors import next_cards

from .conftest import physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture
def reader(client):
    user = physics_reader()
    user.time_zone = "America/New_York"
    user.save(update_fields=["time_zone"])
    queues.refresh_queue(user=user)
    client.force_login(user)
    return user


def top(user) -> int:
    return next_cards(user=user, count=1)[0].pk


def later(client, paper_id: int, **extra):
    return client.post("/deck/later/", {"paper": paper_id}, HTTP_ACCEPT="application/json", **extra)


def test_not_now_hides_the_card_until_the_readers_next_day_and_teaches_nothing(client, reader):
    first = top(reader)
    reply = later(client, first)
    assert reply.status_code == 200
    assert reply.json()["decided"] == {"created": True, "decision": "later"}
    put_off = Postponed.objects.get(user=reader)
    local = put_off.until.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() == timezone.now().astimezone(ZoneInfo("America/New_York")).date() + dt.timedelta(days=1)
    assert top(reader) != first
    assert first not in [card.pk for card in next_cards(user=reader, count=5)]
    assert not Swipe.objects.filter(user=reader).exists()
    assert not ReaderModel.objects.filter(user=reader).exists()  # nothing learned
    assert DeckCard.objects.filter(user=reader, paper_id=first).exists()  # its place is kept
    # The next day it is back, in its place.
    Postponed.objects.filter(pk=put_off.pk).update(until=timezone.now() - dt.timedelta(seconds=1))
    assert top(reader) == first


def test_undo_takes_back_the_latest_answer_not_now_included(client, reader):
    kept = top(reader)
    client.post("/deck/decide/", {"paper": kept, "decision": "keep", "origin": "deck"})
    put_off = top(reader)
    later(client, put_off)
    reply = client.post("/deck/undo/", HTTP_ACCEPT="application/json").json()
    assert reply["undone"] == DeckCard.objects.get(user=reader, paper_id=put_off).paper.arxiv_id
    assert reply["undid"].startswith("Undid: Not now · ")
    assert not Postponed.objects.exists()
    assert top(reader) == put_off
    assert Swipe.objects.filter(user=reader, paper_id=kept).exists()
    reply = client.post("/deck/undo/", HTTP_ACCEPT="application/json").json()
    assert reply["undid"].startswith("Undid: Keep · ")


def test_without_javascript_and_against_crafted_posts(client, reader):
    first = top(reader)
    assert Client().post("/deck/later/", {"paper": first})["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post("/deck/later/", {"paper": first}).status_code == 403
    assert client.post("/deck/later/", {"paper": "1 OR 1=1"}).status_code == 400
    assert client.post("/deck/later/", {"paper": 10**12}).status_code == 404
    assert not Postponed.objects.exists()
    # Without JavaScript: said on the deck it returns to.
    response = client.post("/deck/later/", {"paper": first}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "It comes back tomorrow." in response.content.decode()
    assert first not in [card.pk for card in response.context["cards"]]
