"""Reasons in words a person understands (issue 23 §4): a kept paper, an author kept more than once, a category
kept much more than the others, or a distinctive phrase; never one of the catalog's most frequent words."""

import itertools
import re
from collections import Counter

import pytest

from deck import reasons
from deck import services as deck_services
from deck.models import DeckCard
from deck.ranking import queues
from papers import common_words
from papers.features.hashing import words
from papers.features.store import compute_features
from papers.models import Paper

from ..factories import PaperFactory
from .conftest import physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "common_words_afresh")]


def reader_who(keeps, decisions: int = 150):
    """A reader who decided the newest `decisions` papers, keeping what `keeps` says, then had a full rescore."""
    user = physics_reader()
    for paper in Paper.objects.order_by("-listed_at", "-id")[:decisions]:
        deck_services.decide(user=user, paper=paper, decision="keep" if keeps(paper) else "skip")
    queues.refresh_queue(user=user)
    return user


def catalog_top(n: int) -> set[str]:
    """The catalog's n most frequent words by document frequency, counted here over every paper, and the words
    as frequent as the n-th (which of a tie is "in the top n" is not for the test to decide)."""
    documents = Counter()
    for title, abstract in Paper.objects.values_list("title", "abstract"):
        documents.update(set(words(f"{title} {abstract}")))
    least = sorted(documents.values(), reverse=True)[n - 1]
    return {word for word, count in documents.items() if count >= least}


def test_no_reason_names_one_of_the_catalogs_5000_most_frequent_words():
    quantum = reader_who(lambda p: "quantum" in words(f"{p.title} {p.abstract}"))
    strings = reader_who(lambda p: {"string", "brane", "branes"} & set(words(f"{p.title} {p.abstract}")))
    cards = [
        card
        for user in (quantum, strings)
        for card in DeckCard.objects.filter(user=user, exploring=False).order_by("rank")[:50]
    ]
    assert len(cards) == 100
    top, very_top = catalog_top(5000), catalog_top(500)
    terms = [term for card in cards for term in re.findall(r"“([^”]+)”", card.reason)]
    assert len(terms) >= 10, [card.reason for card in cards]  # the phrases are there to be judged
    for term in terms:
        parts = term.split()
        assert len(parts) in (1, 2)
        assert term not in top
        assert not set(parts) <= very_top, term  # "recent results" says nothing either
    kinds = Counter(
        "like" if card.reason_paper_id else card.reason.split(" ", 1)[0] for card in cards
    )  # like, Because, In, By, Ranked
    assert kinds["like"]
    assert kinds["Because"]
    assert all(card.reason or card.reason_paper_id for card in cards)


def test_an_author_kept_more_than_once_is_named():
    donors = list(Paper.objects.filter(primary_category__code="hep-ph").order_by("pk")[:3])
    ada = [{"name": "Ada Quell", "affiliations": []}]
    kept = [
        PaperFactory(title=d.title, abstract=d.abstract, authors=ada, primary_category=d.primary_category)
        for d in donors[:2]
    ]
    unseen = PaperFactory(
        title=donors[2].title, abstract=donors[2].abstract, authors=ada, primary_category=donors[2].primary_category
    )
    unseen.categories.add(donors[2].primary_category)
    compute_features(paper_ids=[p.pk for p in [*kept, unseen]])
    for paper in Paper.objects.filter(pk__in=[d.pk for d in donors]):
        paper.delete()  # only Ada's copies remain, so the new one is like no kept paper but by a kept author
    user = reader_who(lambda p: p.pk in {k.pk for k in kept}, decisions=0)
    for paper in [*kept, *Paper.objects.exclude(pk__in=[unseen.pk, *[k.pk for k in kept]]).order_by("pk")[:20]]:
        deck_services.decide(user=user, paper=paper, decision="keep" if paper in kept else "skip")
    queues.refresh_queue(user=user)
    card = DeckCard.objects.get(user=user, paper=unseen)
    if card.exploring:  # drawn to explore this time: ask again for its ranked reason
        card.exploring = False
        queues.explain(user, [card], queues._rank(user))
    assert card.reason_paper_id is None
    assert card.reason == "By Ada Quell, 2 of whose papers you kept"


def test_a_category_kept_much_more_than_the_others_is_named():
    user = reader_who(lambda p: p.primary_category.code == "astro-ph")
    astro = DeckCard.objects.filter(
        user=user, exploring=False, reason_paper__isnull=True, paper__primary_category__code="astro-ph"
    )
    assert astro.exists()
    kept, decided = reasons.tastes_of(user=user, kept_ids=[]).categories["astro-ph"]
    assert {card.reason for card in astro} == {f"In astro-ph, where you kept {kept} of your last {decided}"}
    assert kept == decided  # every astro-ph paper was kept; no other category is keen
    assert list(reasons.tastes_of(user=user, kept_ids=[]).categories) == ["astro-ph"]


def test_distinctive_phrases_leave_out_common_words_and_weigh_toward_a_keep():
    user = reader_who(lambda p: "quantum" in words(f"{p.title} {p.abstract}"))
    learned = queues._rank(user).reader
    common = common_words.common()
    for paper in Paper.objects.filter(abstract__icontains="quantum").order_by("pk")[:30]:
        phrases = reasons.distinctive_phrases(paper=paper, reader=learned)
        assert len(phrases) <= reasons.PHRASES
        text = words(paper.title) + words(paper.abstract)
        pairs = {f"{a} {b}" for a, b in itertools.pairwise(words(paper.title))}
        pairs |= {f"{a} {b}" for a, b in itertools.pairwise(words(paper.abstract))}
        for phrase in phrases:
            assert phrase in text or phrase in pairs
            assert phrase not in common
        if len(phrases) == 2:
            assert not set(phrases[0].split()) & set(phrases[1].split())
