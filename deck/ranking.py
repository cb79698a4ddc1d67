"""Turns one user's decisions into the order of their deck: learn, score the candidates, store the queue.

Runs in a Celery task after every decision, undo or change of mind (deck/tasks.py), never in a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from scipy import sparse

from accounts.models import User
from accounts.services import lock_account
from papers import features
from papers.feature_store import matrix_for, matrix_of
from papers.models import Paper

from . import ranker, selectors
from .models import DeckCard, Interest, QueueStamp, SeedPaper, Swipe

QUEUE_LENGTH = 300  # cards kept ready; the next decision rebuilds the queue anyway
CANDIDATE_LIMIT = 20_000  # the newest unseen papers are ranked; older ones wait behind them
FOLLOW_WINDOW = timedelta(days=60)  # how far back papers by followed authors and keywords are looked for
POPULAR_WINDOW = timedelta(days=30)
LIKE_THRESHOLD = 0.15  # cosine above which "Like <a kept paper>" is fair: the median nearest neighbour is 0.15


@dataclass
class _Ranking:
    ids: list[int]  # candidates, newest first; the first matrix.shape[0] have vectors
    matrix: sparse.csr_matrix
    reader: ranker.Reader
    kept_ids: list[int]  # the rows of reader.kept
    followed: dict[int, Interest] = field(default_factory=dict)  # papers that a follow brought in
    popular: dict[int, int] = field(default_factory=dict)  # keeps by peers, before the model knows anything


def refresh_queue(*, user: User) -> int:
    """Rebuild the user's ranked queue; returns its length."""
    began = timezone.now()
    ranking = _rank(user)
    if ranking is None:
        DeckCard.objects.filter(user=user).delete()
        QueueStamp.objects.update_or_create(user=user, defaults={"built_from": began})
        return 0
    scores = _scores(ranking)
    explore = ranking.reader.knows_anything
    placed = ranker.order(scores, rng=np.random.default_rng(), explore=explore, limit=QUEUE_LENGTH)
    cards = [
        DeckCard(user=user, paper_id=ranking.ids[i], rank=rank, score=float(min(scores[i], 1.0)), exploring=exploring)
        for rank, (i, exploring) in enumerate(placed)
    ]
    _explain(cards, ranking)
    with transaction.atomic():
        lock_account(user)  # two reranks of one reader (two tabs, two workers) take turns here
        DeckCard.objects.filter(user=user).delete()
        DeckCard.objects.bulk_create(cards)
        QueueStamp.objects.update_or_create(user=user, defaults={"built_from": began})
    return len(cards)


STALE_WINDOW = timedelta(days=2)
STALE_BATCH = 1000


def stale_readers(*, now: datetime | None = None) -> list[int]:
    """Readers with a decision or an interest newer than their queue: a rerank they asked for was lost
    (queued while the broker was down, or its worker died). Recent activity only, a bounded batch."""
    since = (now or timezone.now()) - STALE_WINDOW
    last_swipe = Swipe.objects.filter(user=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    last_interest = Interest.objects.filter(user=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    active = User.objects.filter(Q(swipes__created_at__gte=since) | Q(interests__created_at__gte=since)).distinct()
    stamps = QueueStamp.objects.filter(user=OuterRef("pk")).values("built_from")[:1]
    stale = (
        active.annotate(stamp=Subquery(stamps), swiped=Subquery(last_swipe), tuned=Subquery(last_interest))
        .filter(Q(stamp__isnull=True) | Q(swiped__gt=F("stamp")) | Q(tuned__gt=F("stamp")))
        .order_by("pk")
    )
    return list(stale.values_list("pk", flat=True)[:STALE_BATCH])


def _rank(user: User) -> _Ranking | None:
    ids, without, matrix = matrix_of(selectors.candidates(user=user), limit=CANDIDATE_LIMIT)
    followed = _followed_papers(user)
    known = set(ids) | set(without)
    extra = [pk for pk in followed if pk not in known]
    if extra:
        extra_ids, extra_matrix = matrix_for(extra)
        ids, matrix = ids + extra_ids, sparse.vstack([matrix, extra_matrix]).tocsr()
        without += [pk for pk in extra if pk not in set(extra_ids)]
    if not ids and not without:
        return None
    ids += without  # no vector yet: ranked on recency alone, after the others
    keeps = Swipe.objects.filter(user=user, decision=Swipe.Decision.KEEP).values("paper")
    skips = Swipe.objects.filter(user=user, decision=Swipe.Decision.SKIP).values("paper")
    seeds = SeedPaper.objects.filter(user=user).values("paper")  # keeps, unless skipped since
    kept_ids, _, kept = matrix_of(Paper.objects.filter(Q(pk__in=keeps) | Q(pk__in=seeds) & ~Q(pk__in=skips)))
    _, _, skipped = matrix_of(Paper.objects.filter(pk__in=skips))
    reader = ranker.learn(kept, skipped, matrix)
    popular = {} if reader.knows_anything else _popular_among_peers(user, ids)
    return _Ranking(ids=ids, matrix=matrix, reader=reader, kept_ids=kept_ids, followed=followed, popular=popular)


def _scores(ranking: _Ranking) -> np.ndarray:
    scores = np.full(len(ranking.ids), 0.5)
    if ranking.reader.knows_anything and ranking.matrix.shape[0]:
        scores[: ranking.matrix.shape[0]] = ranker.predict(ranking.reader, ranking.matrix)
    scores += np.linspace(1e-3, 0, len(ranking.ids))  # ties go to the newer paper
    scores += np.array([min(ranking.popular.get(pk, 0), 10) / 100 for pk in ranking.ids])
    scores += np.array([1.0 if pk in ranking.followed else 0.0 for pk in ranking.ids])  # follows go first
    return scores


def _explain(cards: list[DeckCard], ranking: _Ranking) -> None:
    """Each card's one line of "why", from the ranker's real reasons."""
    position = {pk: i for i, pk in enumerate(ranking.ids)}
    with_vector = [c for c in cards if position[c.paper_id] < ranking.matrix.shape[0]]
    rows = ranking.matrix[[position[c.paper_id] for c in with_vector]]
    best, similarity = ranker.nearest_kept(ranking.reader, rows)
    nearest = {c.paper_id: (int(b), float(s)) for c, b, s in zip(with_vector, best, similarity, strict=True)}
    words_of = (
        Paper.objects.only("pk", "title", "abstract", "primary_category__code")
        .select_related("primary_category")
        .in_bulk([c.paper_id for c in cards])
    )
    for card in cards:
        if follow := ranking.followed.get(card.paper_id):
            card.reason = (
                f"By an author you follow: {follow.value}"
                if follow.kind == Interest.Kind.AUTHOR
                else f"Mentions “{follow.value}”, which you follow"
            )
        elif card.exploring:
            card.reason = "Exploring"
        elif not ranking.reader.knows_anything:
            category = words_of[card.paper_id].primary_category
            if ranking.popular.get(card.paper_id) and category:
                card.reason = f"Popular with readers of {category.code}"
            else:
                card.reason = "Newest in your categories"
        elif card.paper_id not in nearest:
            card.reason = "New in your categories"
        elif nearest[card.paper_id][1] >= LIKE_THRESHOLD:
            card.reason_paper_id = ranking.kept_ids[nearest[card.paper_id][0]]
        else:
            paper = words_of[card.paper_id]
            terms = ranker.top_terms(ranking.reader, features.words(f"{paper.title} {paper.abstract}"))
            card.reason = f"Because you kept papers on {' and '.join(terms)}" if terms else "Ranked by what you keep"


def _followed_papers(user: User) -> dict[int, Interest]:
    """Recent unseen papers by followed authors or on followed keywords, from any category."""
    found: dict[int, Interest] = {}
    recent = Paper.objects.filter(listed_at__gte=timezone.now() - FOLLOW_WINDOW)
    unseen = selectors.without_muted(selectors.unseen(recent, user=user), mutes=selectors.mutes_of(user=user))
    for follow in selectors.follows_of(user=user):
        for pk in unseen.filter(selectors.matching(follow)).values_list("pk", flat=True)[:CANDIDATE_LIMIT]:
            found.setdefault(pk, follow)
    return found


def _popular_among_peers(user: User, paper_ids: list[int]) -> dict[int, int]:
    """Keeps in the last month by other readers who follow any of the same categories."""
    keeps = (
        Swipe.objects.filter(
            paper_id__in=paper_ids,
            decision=Swipe.Decision.KEEP,
            created_at__gte=timezone.now() - POPULAR_WINDOW,
            user__followed_categories__in=selectors.followed_ids(user=user),
        )
        .exclude(user=user)
        .values("paper_id")
        .annotate(n=Count("user", distinct=True))
    )
    return {row["paper_id"]: row["n"] for row in keeps}
