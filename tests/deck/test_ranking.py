"""The learning deck on 1,000 real arXiv papers: skips sink a topic, undo restores it, exploration,
mutes, follows, "why this card", and the ranker running after each decision."""

import itertools
import re

import pytest
from django.utils.html import escape

from deck import services as deck_services
from deck.models import DeckCard, Interest, Swipe
from deck.ranking import queues, ranker
from deck.seeds import add_seed_papers
from deck.selectors import next_cards
from papers.features.hashing import words
from papers.features.store import compute_features
from papers.models import Category, Paper

from ..factories import PaperFactory
from .conftest import physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture
def reader(catalog):
    return physics_reader()


def queue(user) -> list[int]:
    return list(DeckCard.objects.filter(user=user).order_by("rank").values_list("paper_id", flat=True))


def about_quantum(paper_id: int) -> bool:
    return "quantum" in words(Paper.objects.get(pk=paper_id).title)


def share(ids, predicate) -> float:
    return sum(predicate(pk) for pk in ids) / len(ids)


def test_skipping_a_topic_sinks_it_and_undo_brings_it_back(reader):
    queues.refresh_queue(user=reader)
    before = queue(reader)
    base_rate = share(before[:60], about_quantum)
    assert base_rate > 0.05
    quantum = [pk for pk in before if about_quantum(pk)][:12]
    others = [pk for pk in before if not about_quantum(pk)][:3]
    for pk in quantum:
        deck_services.decide(user=reader, paper=Paper.objects.get(pk=pk), decision="skip")
    for pk in others:
        deck_services.decide(user=reader, paper=Paper.objects.get(pk=pk), decision="keep")
    queues.refresh_queue(user=reader)
    after = [pk for pk in queue(reader) if not DeckCard.objects.get(user=reader, paper_id=pk).exploring]
    assert share(after[:60], about_quantum) < base_rate / 2
    for _ in range(len(quantum) + len(others)):
        deck_services.undo_last(user=reader)
    assert not Swipe.objects.filter(user=reader).exists()
    queues.refresh_queue(user=reader)
    assert queue(reader) == before  # nothing learned is left: the cold order again


def test_exploration_is_one_card_in_five_and_labelled(reader):
    papers = list(Paper.objects.order_by("-listed_at")[:6])
    for paper, decision in zip(papers, ["keep", "skip", "skip", "keep", "skip", "skip"], strict=True):
        deck_services.decide(user=reader, paper=paper, decision=decision)
    queues.refresh_queue(user=reader)
    cards = list(DeckCard.objects.filter(user=reader).order_by("rank")[:100])
    exploring = [c for c in cards if c.exploring]
    assert len(exploring) == 20
    # Six decisions made, so the 10th, 15th, 20th... meet the exploring cards: positions 3, 8, 13...
    assert {position % 5 for position, c in enumerate(cards) if c.exploring} == {3}
    assert {c.reason for c in exploring} == {"Exploring: outside what you usually keep"}
    # Explored cards come from outside the predicted top: they score below the cards around them.
    exploit = [c.score for c in cards if not c.exploring]
    assert sum(c.score for c in exploring) / 20 < sum(exploit) / len(exploit)


def test_mutes_are_absolute(reader, client):
    author = "Hai-Liang Li"
    by_author = set(Paper.objects.filter(authors_text__icontains=author).values_list("pk", flat=True))
    assert by_author
    deck_services.set_interest(user=reader, kind="author", value=author, stance="mute")
    deck_services.set_interest(user=reader, kind="category", value="math-ph", stance="mute")
    in_math_ph = set(Paper.objects.filter(categories__code="math-ph").values_list("pk", flat=True))
    queues.refresh_queue(user=reader)
    assert not set(queue(reader)) & (by_author | in_math_ph)
    DeckCard.objects.filter(user=reader).delete()  # the newest-first deck before the ranker has run
    shown = {p.pk for p in next_cards(user=reader, exclude=[])}
    assert shown
    assert not shown & (by_author | in_math_ph)


def test_a_followed_author_brings_papers_from_outside_the_followed_categories(reader):
    outside = PaperFactory(
        title="Moduli of curves", authors=[{"name": "Ada Outsider", "affiliations": []}], primary_category=None
    )
    outside.categories.add(Category.objects.get(code="math.AG"))
    compute_features(paper_ids=[outside.pk])
    queues.refresh_queue(user=reader)
    assert outside.pk not in queue(reader)
    deck_services.set_interest(user=reader, kind="author", value="Ada Outsider", stance="follow")
    queues.refresh_queue(user=reader)
    assert queue(reader)[0] == outside.pk
    card = DeckCard.objects.get(user=reader, paper=outside)
    assert card.reason == "By an author you follow: Ada Outsider"
    assert Interest.objects.filter(user=reader, stance="follow").count() == 1


def test_why_this_card_names_a_paper_the_user_really_kept(reader, client):
    newest = list(Paper.objects.order_by("-listed_at")[:150])
    for paper in newest:
        about = "quantum" in words(f"{paper.title} {paper.abstract}")
        deck_services.decide(user=reader, paper=paper, decision="keep" if about else "skip")
    kept = set(Swipe.objects.filter(user=reader, decision="keep").values_list("paper_id", flat=True))
    assert kept
    queues.refresh_queue(user=reader)
    named = DeckCard.objects.filter(user=reader, reason_paper__isnull=False)
    assert named.exists()
    assert set(named.values_list("reason_paper_id", flat=True)) <= kept
    worded = DeckCard.objects.filter(user=reader, reason__startswith="Because you kept papers on")
    for card in worded:
        text = words(card.paper.title) + words(card.paper.abstract)
        phrases = {f"{a} {b}" for a, b in itertools.pairwise(words(card.paper.title))}
        phrases |= {f"{a} {b}" for a, b in itertools.pairwise(words(card.paper.abstract))}
        assert all(term in text or term in phrases for term in re.findall(r"“([^”]+)”", card.reason))
    client.force_login(reader)
    top = DeckCard.objects.filter(user=reader).order_by("rank").first()
    html = client.get("/").content.decode()
    if top.reason_paper:
        assert f"{escape(top.reason_paper.title)}</a>, which you kept" in html
    else:
        assert escape(top.reason) in html


def test_a_decision_reranks_the_deck_after_it_commits(reader, client, django_capture_on_commit_callbacks):
    client.force_login(reader)
    first = client.get("/").context["cards"][0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/deck/decide/", {"paper": first.pk, "decision": "keep"})
    assert DeckCard.objects.filter(user=reader).count() == queues.QUEUE_LENGTH
    assert not DeckCard.objects.filter(user=reader, paper=first).exists()
    cards = client.get("/").context["cards"]
    assert first not in cards
    assert all(card.deck_card is not None for card in cards)


def test_a_new_reader_first_meets_one_paper_per_topic_until_the_first_keep(reader):
    queues.refresh_queue(user=reader)
    newest_first = list(
        Paper.objects.filter(pk__in=queue(reader)).order_by("-listed_at", "-pk").values_list("pk", flat=True)
    )
    cards = list(DeckCard.objects.filter(user=reader).order_by("rank"))
    first = [card.paper_id for card in cards[: ranker.FIRST_CARDS]]
    assert [card.reason for card in cards[: ranker.FIRST_CARDS + 1]] == [queues.TEACHING] * ranker.FIRST_CARDS + [
        "Newest in your categories"
    ]
    assert len(set(first) & set(newest_first[: ranker.FIRST_CARDS])) <= 2  # not the newest ten
    primary = Paper.objects.filter(pk__in=first).values_list("primary_category__code", flat=True)
    newest_primary = Paper.objects.filter(pk__in=newest_first[:10]).values_list("primary_category__code", flat=True)
    assert len(set(primary)) >= 4
    assert len(set(primary)) >= len(set(newest_primary))

    # A skip: the first deck goes on without the skipped paper.
    deck_services.decide(user=reader, paper=Paper.objects.get(pk=first[0]), decision="skip")
    queues.update_queue(user=reader)
    head = list(DeckCard.objects.filter(user=reader).order_by("rank")[: ranker.FIRST_CARDS])
    assert [card.paper_id for card in head[:-1]] == first[1:]  # the same picks, not drawn again
    assert [card.reason == queues.TEACHING for card in head] == [True] * (ranker.FIRST_CARDS - 1) + [False]

    # The first keep ends it: from there on the model orders the deck.
    deck_services.decide(user=reader, paper=Paper.objects.get(pk=head[0].paper_id), decision="keep")
    queues.update_queue(user=reader)
    assert not DeckCard.objects.filter(user=reader, reason=queues.TEACHING).exists()

    # Seed papers count as keeps: a reader who gave some starts from the model, not the picks.
    seeded = physics_reader()
    add_seed_papers(user=seeded, pasted=Paper.objects.get(pk=first[1]).arxiv_id)
    queues.refresh_queue(user=seeded)
    assert not DeckCard.objects.filter(user=seeded, reason=queues.TEACHING).exists()
