"""The learning deck on 1,000 real arXiv papers: skips sink a topic, undo restores it, exploration,
mutes, follows, "why this card", and the ranker running after each decision."""

import itertools
import random
import re

import numpy as np
import pytest
from django.core.management import call_command
from django.utils.html import escape

from deck import services as deck_services
from deck.models import DeckCard, Interest, Swipe
from deck.ranking import evaluation, queues, ranker
from deck.seeds import add_seed_papers
from deck.selectors import next_cards
from papers.features.hashing import words
from papers.features.store import compute_features
from papers.models import Category, Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import ARXIV_RAW_PAGE
from ..factories import PaperFactory, UserFactory
from .conftest import physics_reader

pytestmark = pytest.mark.django_db


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


def test_features_are_computed_for_papers_entering_the_catalog(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    assert Paper.objects.filter(features__isnull=True).count() == 0


@pytest.mark.parametrize("semantic", [False, True])
def test_evaluate_ranking_runs_on_a_small_setting(capsys, semantic):
    call_command("evaluate_ranking", readers_per_kind=1, runs=1, quick=True, semantic=semantic)
    out = capsys.readouterr().out
    for name in ("chronological", "positives-only TF-IDF + LinearSVC", "PaperSwipe ranker"):
        assert f"| {name} |" in out
    assert ("semantic: near" in out) is semantic
    rates = [
        float(cell)
        for line in out.splitlines()
        if line.startswith("| ") and "after" not in line
        for cell in line.strip("| ").split(" | ")[1:]
    ]
    assert len(rates) == 3 * 4  # three orders; after 5, 10 and 20 decisions, and from 3 seed papers
    assert all(0 <= r <= 1 for r in rates)


def test_semantic_readers_like_papers_near_their_exemplars_not_a_word_list():
    corpus = evaluation.load_corpus()
    minilm = evaluation.embeddings(corpus, "minilm")
    assert minilm.shape == (len(corpus.records), 384)
    assert np.allclose(np.linalg.norm(minilm, axis=1), 1, atol=1e-3)
    taste = evaluation.semantic_tastes(corpus, random.Random(1), 1)[0]
    liked = np.flatnonzero([taste.likes(r) for r in corpus.records])
    exemplars = taste.label.removeprefix("near ").split(", ")
    assert len(liked) == 50
    assert len(exemplars) == 3
    assert {corpus.records[i].arxiv_id for i in liked} >= set(exemplars)  # each is nearest to itself
    within = (minilm[liked] @ minilm[liked].T).mean()
    overall = (minilm @ minilm.T).mean()
    assert within > overall + 0.1  # the liked papers are close in meaning
    wordllama = evaluation.embeddings(corpus, "wordllama")
    assert wordllama.shape == (len(corpus.records), 256)


def test_before_any_decision_the_deck_is_newest_first_with_what_peers_keep_pulled_up(cs_cy):
    newest_first = [
        PaperFactory(primary_category=cs_cy, listed_at=f"2026-01-{day:02d}T00:00Z") for day in range(9, 0, -1)
    ]
    for paper in newest_first:
        paper.categories.add(cs_cy)
    reader, stranger = UserFactory(), UserFactory()
    peers = [UserFactory() for _ in range(3)]
    reader.followed_categories.add(cs_cy)
    for peer in peers:
        peer.followed_categories.add(cs_cy)
        deck_services.decide(user=peer, paper=newest_first[5], decision="keep")
    for peer in peers[:2]:  # two peers are two people, not a crowd: no "popular" that points at them
        deck_services.decide(user=peer, paper=newest_first[3], decision="keep")
    deck_services.decide(user=stranger, paper=newest_first[7], decision="keep")  # follows nothing of ours
    queues.refresh_queue(user=reader)
    cards = list(DeckCard.objects.filter(user=reader).order_by("rank"))
    assert [c.paper_id for c in cards] == [newest_first[5].pk] + [p.pk for p in newest_first if p != newest_first[5]]
    assert cards[0].reason == "Popular with readers of cs.CY"
    assert {c.reason for c in cards[1:]} == {"Newest in your categories"}
    assert not any(c.exploring for c in cards)


@pytest.mark.django_db(transaction=True)
def test_two_reranks_of_one_reader_at_once_take_turns(taxonomy):
    import threading

    from django.db import connection

    category = Category.objects.get(code="cs.CY")
    user = UserFactory()
    user.followed_categories.add(category)
    for _ in range(30):
        PaperFactory(primary_category=category).categories.add(category)
    errors, barrier = [], threading.Barrier(2)

    def rerank():
        try:
            barrier.wait()
            for _ in range(5):
                queues.refresh_queue(user=user)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rerank) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert DeckCard.objects.filter(user=user).count() == 30


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
