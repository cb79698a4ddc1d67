"""Ranking on papers a test makes itself, without the 1,000 of `catalog`: features computed on arrival,
the offline evaluation, the deck before any decision, and two reranks of one reader at once."""

import random

import numpy as np
import pytest
from django.core.management import call_command

from deck import services as deck_services
from deck.models import DeckCard
from deck.ranking import evaluation, queues
from papers.models import Category, Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import ARXIV_RAW_PAGE
from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


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
