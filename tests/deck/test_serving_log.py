"""Every decision records how its card was served (issue 23 §1): its place in the queue, the predicted keep,
exploring or not, the reason shown and the model version; decisions made elsewhere say where."""

import pytest

from deck.digest.links import keep_url
from deck.models import DeckCard, ReaderModel, Swipe
from deck.ranking import queues
from papers.models import Paper

from .conftest import FOLLOWED, physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture
def reader(client, catalog):
    user = physics_reader()
    client.force_login(user)
    return user


def queue(user) -> list[DeckCard]:
    return list(DeckCard.objects.filter(user=user).order_by("rank"))


def in_deck(client, paper_id: int, decision: str, **extra):
    data = {"paper": paper_id, "decision": decision, "source": "key", "origin": "deck", **extra}
    return client.post("/deck/decide/", data, HTTP_ACCEPT="application/json")


def learned_queue(client, reader) -> list[DeckCard]:
    """A queue built by a model: eight decisions through the deck, each followed by its rerank."""
    queues.refresh_queue(user=reader)
    for i in range(8):
        card = queue(reader)[0]
        assert in_deck(client, card.paper_id, "keep" if i % 2 else "skip").status_code == 200
        queues.update_queue(user=reader)
    queues.refresh_queue(user=reader)
    return queue(reader)


def test_a_deck_decision_records_the_card_as_the_queue_served_it(client, reader):
    cards = learned_queue(client, reader)
    model = ReaderModel.objects.get(user=reader)
    exploring = next(card for card in cards if card.exploring)
    ranked = cards[0]
    assert not ranked.exploring
    for served, decision in ((ranked, "keep"), (exploring, "skip")):
        card = DeckCard.objects.get(pk=served.pk)  # as it is now: the keep before nudged the queue
        assert in_deck(client, card.paper_id, decision).status_code == 200
        swipe = Swipe.objects.get(user=reader, paper_id=card.paper_id)
        assert swipe.origin == Swipe.Origin.DECK
        assert swipe.served_rank == card.rank // queues.RANK_STEP
        assert swipe.served_score == pytest.approx(card.score)
        assert swipe.served_exploring is card.exploring
        assert (swipe.served_reason, swipe.served_reason_paper_id) == (card.reason, card.reason_paper_id)
        assert swipe.served_reason or swipe.served_reason_paper_id
        assert swipe.model_version == model.version
        assert not DeckCard.objects.filter(user=reader, paper_id=card.paper_id).exists()
    assert exploring.reason.startswith("Exploring")


def test_decisions_outside_the_deck_say_where_they_were_made(client, reader):
    queues.refresh_queue(user=reader)
    card = queue(reader)[0]
    # The same queued paper decided from its page: the page is not the deck, nothing of the queue is logged.
    client.post("/deck/decide/", {"paper": card.paper_id, "decision": "keep"})
    swipe = Swipe.objects.get(user=reader, paper_id=card.paper_id)
    assert (swipe.origin, swipe.served_exploring, swipe.served_score, swipe.model_version) == ("page", None, None, None)
    emailed = queue(reader)[0]
    client.logout()
    client.post(keep_url(user=reader, paper=emailed.paper).split("testserver", 1)[-1])
    swipe = Swipe.objects.get(user=reader, paper_id=emailed.paper_id)
    assert (swipe.origin, swipe.source, swipe.served_exploring) == ("email", "email", None)


def test_before_the_queue_exists_a_deck_decision_is_unranked_and_a_repeat_keeps_the_first_log(client, reader):
    paper = Paper.objects.filter(primary_category__code__in=FOLLOWED).first()
    assert in_deck(client, paper.pk, "skip").status_code == 200
    swipe = Swipe.objects.get(user=reader)
    assert (swipe.origin, swipe.served_exploring, swipe.served_rank) == ("deck", None, None)
    queues.refresh_queue(user=reader)
    card = queue(reader)[0]
    in_deck(client, card.paper_id, "keep")
    in_deck(client, card.paper_id, "skip")
    swipe = Swipe.objects.get(user=reader, paper_id=card.paper_id)
    assert (swipe.decision, swipe.served_score) == ("keep", pytest.approx(card.score))


def test_undo_brings_the_card_back_with_its_reason_and_a_history_change_keeps_how_it_was_served(client, reader):
    cards = learned_queue(client, reader)
    card = cards[0]
    in_deck(client, card.paper_id, "keep")
    reply = client.post("/deck/undo/", HTTP_ACCEPT="application/json").json()
    back = queue(reader)[0]
    assert (back.paper_id, back.score, back.exploring) == (card.paper_id, pytest.approx(card.score), card.exploring)
    assert (back.reason, back.reason_paper_id) == (card.reason, card.reason_paper_id)
    liked = Paper.objects.get(pk=card.reason_paper_id).title if card.reason_paper_id else card.reason
    assert liked
    assert liked in reply["cards"][0].replace("&#x27;", "'")
    # Decided again: logged as served the first time.
    in_deck(client, card.paper_id, "skip")
    assert Swipe.objects.get(user=reader, paper_id=card.paper_id).served_exploring is card.exploring
    # A change on the history page keeps how the card was served.
    cards = queue(reader)  # the learned queue, less the card decided above
    in_deck(client, cards[0].paper_id, "skip")
    swipe = Swipe.objects.get(user=reader, paper_id=cards[0].paper_id)
    client.post(f"/history/{swipe.pk}/", {"decision": "keep"})
    swipe.refresh_from_db()
    assert (swipe.decision, swipe.source, swipe.origin) == ("keep", "history", "deck")
    assert swipe.served_score == pytest.approx(cards[0].score)
