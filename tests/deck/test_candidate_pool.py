"""The rank worker's shared category pools give each reader exactly the candidates the database would."""

import datetime as dt

import pytest
from django.utils import timezone

from deck import selectors
from deck import services as deck_services
from deck.models import DeckCard, DeckSettings, Swipe
from deck.ranking import candidate_pool, queues
from papers.features.store import compute_features
from papers.models import Category, Paper

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves():
    """Two categories with new submissions, cross-lists, replacements and papers in both, at known times."""
    astro, hep = Category.objects.get(code="astro-ph.CO"), Category.objects.get(code="hep-th")
    start = timezone.now() - dt.timedelta(days=3)
    kinds = [("new", 1), ("cross", 1), ("replace", 2), ("", 3), ("replace-cross", 2), ("", 1)]
    for i in range(60):
        announce_type, version = kinds[i % len(kinds)]
        paper = PaperFactory(
            primary_category=astro if i % 2 else hep,
            announce_type=announce_type,
            version=version,
            listed_at=start + dt.timedelta(minutes=i // 3),  # three at a time: ties broken by id
        )
        if i % 5 == 0:
            paper.categories.add(hep, astro)
    compute_features(paper_ids=list(Paper.objects.order_by("pk").values_list("pk", flat=True))[:-7])
    return astro, hep


def pooled(user, followed, *, cross_lists=True, replacements=True, limit=1000):
    found = candidate_pool.candidates(
        user=user, followed=followed, cross_lists=cross_lists, replacements=replacements, limit=limit
    )
    return None if found is None else ([pk for pk, _ in found.keys], found.without)


def from_database(user, limit=1000):
    """The same candidates as selectors.candidates orders them, split as the pool splits them."""
    ids = list(selectors.candidates(user=user).values_list("pk", flat=True)[:limit])
    with_vector = set(Paper.objects.filter(pk__in=ids, features__isnull=False).values_list("pk", flat=True))
    return [pk for pk in ids if pk in with_vector], [pk for pk in ids if pk not in with_vector]


@pytest.mark.parametrize(("cross_lists", "replacements"), [(True, True), (False, True), (True, False), (False, False)])
def test_the_pool_gives_what_the_database_gives(shelves, cross_lists, replacements):
    user = UserFactory()
    user.followed_categories.set(shelves)
    DeckSettings.objects.create(user=user, include_cross_lists=cross_lists, include_replacements=replacements)
    for paper in Paper.objects.order_by("-listed_at", "-id")[:9:2]:
        deck_services.decide(user=user, paper=paper, decision="skip")

    expected = from_database(user)

    assert pooled(user, [c.pk for c in shelves], cross_lists=cross_lists, replacements=replacements) == expected
    assert 10 < len(expected[0]) < 60  # kinds left out or not
    assert expected[1]  # and papers without a vector yet


def test_a_limit_takes_the_newest(shelves):
    user = UserFactory()
    user.followed_categories.set(shelves)

    assert pooled(user, [c.pk for c in shelves], limit=10) == from_database(user, limit=10)


def test_decisions_and_undo_are_caught_up(shelves):
    user = UserFactory()
    user.followed_categories.set(shelves)
    followed = [c.pk for c in shelves]
    newest = Paper.objects.order_by("-listed_at", "-id").first()
    before = pooled(user, followed)
    assert newest.pk in before[0] + before[1]

    deck_services.decide(user=user, paper=newest, decision="keep")
    after = pooled(user, followed)
    assert newest.pk not in after[0] + after[1]

    deck_services.undo_last(user=user)
    assert pooled(user, followed) == before


def test_papers_listed_after_the_pool_was_read_join_it(shelves):
    user = UserFactory()
    user.followed_categories.set(shelves)
    pooled(user, [c.pk for c in shelves])
    late = PaperFactory(primary_category=shelves[0], listed_at=timezone.now())
    backfilled = PaperFactory(primary_category=shelves[1], listed_at=timezone.now() - dt.timedelta(days=30))

    ids = pooled(user, [c.pk for c in shelves])

    assert ids == from_database(user)
    assert late.pk == ids[1][0]
    assert backfilled.pk == ids[1][-1]


def test_a_reader_past_the_pool_is_read_from_the_database(shelves, monkeypatch):
    monkeypatch.setattr(candidate_pool, "POOL_DEPTH", 20)
    user = UserFactory()
    user.followed_categories.set([shelves[1]])
    newest = list(Paper.objects.in_categories([shelves[1].pk]).order_by("-listed_at", "-id")[:15])
    Swipe.objects.bulk_create([Swipe(user=user, paper=p, decision="skip") for p in newest])

    assert pooled(user, [shelves[1].pk], limit=10) is None  # only 5 undecided among the 20 the pool holds
    assert pooled(user, [shelves[1].pk], limit=5) == from_database(user, limit=5)

    queues.refresh_queue(user=user)
    queued = set(DeckCard.objects.filter(user=user).values_list("paper_id", flat=True))
    assert queued == set(selectors.candidates(user=user).values_list("pk", flat=True))
    assert len(queued) > 20 - 15
