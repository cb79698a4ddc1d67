"""New papers into their followers' queues after a harvest, a batch of followers at once.

Each follower's stored model (`ReaderModel`) scores the papers they may see; only those that beat the weakest
ranked card of their queue go in, with their reason, at ranks between the queued cards' (`RANK_STEP`), so that
only the new rows and the ones pushed past the end are written. No refit and no
rescore of the rest: the reader's next rerank does that. A batch is read in a handful of queries whatever its
size, and written in one short transaction that holds its followers' accounts (a decision of one of them
waits for it, tens of milliseconds).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from django.db.models import BooleanField, ExpressionWrapper, Q
from scipy import sparse

from accounts.models import User
from accounts.services import lock_accounts
from papers.features import hashing
from papers.features.store import Key, keys_of, vectors
from papers.models import Paper

from .. import reasons, selectors
from ..models import DeckCard, ReaderModel, Swipe
from . import candidate_pool, ranker, reader_model
from .queues import (
    NEWEST_BONUS,
    QUEUE_LENGTH,
    RANK_STEP,
    TEACHING,
    Ranking,
    derived_write,
    explain,
    interleave,
    refresh_queue,
    words_of_papers,
    write_ranks,
)


@dataclass
class _Arrivals:
    """The papers of an announcement as a merge needs them, read once for a batch of followers."""

    ids: list[int]  # with a vector; those still without one come in at the next full rescore
    matrix: sparse.csr_matrix
    categories: list[frozenset[int]]
    kinds: np.ndarray  # candidate_pool.CROSS_LIST | REPLACEMENT

    @classmethod
    def read(cls, paper_ids: list[int]) -> _Arrivals:
        """Every merge task of an announcement names the same papers: a worker reads them once. A paper's
        vector is computed again when it changes (a new version), so the vectors' times name what was read."""
        keys = tuple(keys_of(paper_ids))
        with _recent_lock:
            if (arrivals := _recent.get(keys)) is not None:
                return arrivals
        arrivals = cls._read(keys)
        with _recent_lock:
            _recent.clear()
            _recent[keys] = arrivals
        return arrivals

    @classmethod
    def _read(cls, keys: tuple[Key, ...]) -> _Arrivals:
        ids, matrix = [pk for pk, _ in keys], vectors.matrix(keys)
        filed: dict[int, set[int]] = {pk: set() for pk in ids}
        for pk, category in Paper.categories.through.objects.filter(paper_id__in=ids).values_list(
            "paper_id", "category_id"
        ):
            filed[pk].add(category)
        kinds = {
            pk: candidate_pool.kind_of(announce_type, version)
            for pk, announce_type, version in Paper.objects.filter(pk__in=ids).values_list(
                "pk", "announce_type", "version"
            )
        }
        return cls(
            ids=ids,
            matrix=matrix,
            categories=[frozenset(filed[pk]) for pk in ids],
            kinds=np.array([kinds.get(pk, 0) for pk in ids], dtype=np.int8),
        )

    def eligible(self, reader: selectors.DeckScope) -> np.ndarray:
        """Which of the papers the reader's deck may show: of their categories, of the kinds they want."""
        followed = set(reader.followed)
        eligible = np.array([bool(categories & followed) for categories in self.categories], dtype=bool)
        wanted = reader.settings
        if wanted and not wanted.include_cross_lists:
            eligible &= (self.kinds & candidate_pool.CROSS_LIST) == 0
        if wanted and not wanted.include_replacements:
            eligible &= (self.kinds & candidate_pool.REPLACEMENT) == 0
        return eligible


_recent: dict[tuple[Key, ...], _Arrivals] = {}  # the latest announcement this worker merged
_recent_lock = threading.Lock()


@dataclass(slots=True)
class _Queued:
    """A queued card as a merge needs it: a tuple's cost, not a model instance's (300 of them per reader)."""

    pk: int | None  # None: a paper going in
    paper_id: int
    rank: int
    score: float
    exploring: bool = False
    from_follow: bool = False
    teaching: bool = False  # one of the first deck's picks, which new papers queue behind

    @property
    def held(self) -> bool:
        """Placed for a reason other than its score: a new paper never goes before it on its score."""
        return self.exploring or self.from_follow or self.teaching


@dataclass
class _Offer:
    """The papers that may go into one follower's queue, with their scores and reasons."""

    user: User
    cards: dict[int, DeckCard]  # by paper, unsaved, reason written


def merge_papers(*, user_ids: list[int], paper_ids: list[int]) -> int:
    """New papers (a harvest) into these readers' queues. Returns how many cards went in, in all.

    A reader without a model yet (no decision) has a queue newest first, popular ones pulled up: the new papers
    go in at its head. One without a queue either is shown the newest papers until their first decision, and
    these lead: nothing to do. A model without a queue (emptied meanwhile) is ranked whole again."""
    arrivals = _Arrivals.read(paper_ids)
    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    readers = selectors.scopes_of(users=users)
    eligible = {user.pk: arrivals.eligible(readers[user.pk]) for user in users}
    users = [user for user in users if eligible[user.pk].any()]
    checkpoints = {c.user_id: c for c in ReaderModel.objects.filter(user__in=users).defer("features")}
    queues = _queues([user.pk for user in users])
    merged = 0
    for user in users:
        if user.pk not in queues and user.pk in checkpoints:
            refresh_queue(user=user)
            merged += DeckCard.objects.filter(user=user, paper_id__in=arrivals.ids).count()
    users = [user for user in users if user.pk in queues]
    offers = _offers(users, arrivals, readers, eligible, queues, checkpoints)
    return merged + _take(offers)


def _queues(user_ids: list[int]) -> dict[int, list[_Queued]]:
    """The queues of these readers in rank order, in one query; a reader without cards is left out."""
    fields = ("user_id", "pk", "paper_id", "rank", "score", "exploring", "from_follow", "teaching")
    queues: dict[int, list[_Queued]] = {}
    cards = DeckCard.objects.filter(user_id__in=user_ids).annotate(
        teaching=ExpressionWrapper(Q(reason=TEACHING), output_field=BooleanField())
    )
    for user_id, *row in cards.order_by("user_id", "rank").values_list(*fields):
        queues.setdefault(user_id, []).append(_Queued(*row))
    return queues


def _offers(
    users: list[User],
    arrivals: _Arrivals,
    readers: dict[int, selectors.DeckScope],
    eligible: dict[int, np.ndarray],
    queues: dict[int, list[_Queued]],
    checkpoints: dict[int, ReaderModel],
) -> list[_Offer]:
    """Each follower's papers that beat the weakest ranked card of their queue as it was read, scored by
    their model, muted and decided ones left out, each with its reason."""
    absorbing = _decided_since(checkpoints)  # the stored model lacks their latest decisions: brought up to date
    weights = reader_model.weights_of(
        [checkpoints[u.pk] for u in users if u.pk in checkpoints and u.pk not in absorbing]
    )
    updated = {user.pk: reader_model.learned(user=user, refit=False).reader for user in users if user.pk in absorbing}

    def model_of(user: User) -> AbstractContextManager[ranker.TasteModel]:
        if user.pk in updated:
            return nullcontext(updated[user.pk])
        if user.pk not in checkpoints:
            return nullcontext(ranker.TasteModel(kept=_NO_ROWS, skipped=_NO_ROWS, weights=None))
        return _stored_model(checkpoints[user.pk], weights[user.pk])

    best: dict[int, dict[int, float]] = {}
    for user in users:
        position = np.flatnonzero(eligible[user.pk])
        with model_of(user) as model:
            scores = ranker.predict(model, arrivals.matrix[position])
            if not model.knows_anything:  # newest first, as ranking._scores orders such a queue: ahead of it
                scores = scores + NEWEST_BONUS + np.linspace(NEWEST_BONUS / 10, 0, len(scores))
        rows = queues[user.pk]
        ranked = [row.score for row in rows if not row.held]
        floor = min(ranked) if len(rows) >= QUEUE_LENGTH and ranked else -np.inf
        top = [i for i in np.argsort(-scores, kind="stable")[:QUEUE_LENGTH] if scores[i] > floor]
        queued = {row.paper_id for row in rows}
        offered = {arrivals.ids[position[i]]: float(scores[i]) for i in top}
        if offered := {pk: score for pk, score in offered.items() if pk not in queued}:
            best[user.pk] = offered
    left_out = _decided(best)
    for user_id, muted in _muted(best, readers).items():
        left_out.setdefault(user_id, set()).update(muted)
    users = [user for user in users if best.get(user.pk, {}).keys() - left_out.get(user.pk, set())]
    kept = reader_model.kept_for_reasons_of(user_ids=[user.pk for user in users])
    tastes = reasons.cached_tastes(user_ids=[user.pk for user in users])
    papers = words_of_papers(list({pk for user in users for pk in best[user.pk]}))
    index = {pk: i for i, pk in enumerate(arrivals.ids)}
    offers = []
    for user in users:
        ids = [pk for pk in best[user.pk] if pk not in left_out.get(user.pk, set())]
        cards = [DeckCard(user=user, paper_id=pk, rank=0, score=best[user.pk][pk]) for pk in ids]
        with model_of(user) as model:
            checkpoint = checkpoints.get(user.pk)
            learned = reader_model.Learned(reader=model, checkpoint=checkpoint, refitted=False, absorbed=0)
            ranking = Ranking(ids=ids, matrix=arrivals.matrix[[index[pk] for pk in ids]], learned=learned)
            explain(user, cards, ranking, kept=kept[user.pk], papers=papers, tastes=tastes[user.pk])
        offers.append(_Offer(user=user, cards={card.paper_id: card for card in cards}))
    return offers


_NO_ROWS = sparse.csr_matrix((0, hashing.N_FEATURES), dtype=np.float32)  # a scoring model's kept and skipped
_dense = threading.local()  # a worker thread's one dense weight vector, filled for a reader and cleared after


@contextmanager
def _stored_model(checkpoint: ReaderModel, weights: tuple[np.ndarray, np.ndarray]) -> Iterator[ranker.TasteModel]:
    """The stored model, enough of it to score and explain with: its weights, in a dense vector of 2²⁰ that
    each reader borrows (allocating 4 MB per reader was a tenth of a merge's time)."""
    cols, values = weights
    if (dense := getattr(_dense, "weights", None)) is None:
        dense = _dense.weights = np.zeros(hashing.N_FEATURES, dtype=np.float32)
    dense[cols] = values
    try:
        yield ranker.TasteModel(kept=_NO_ROWS, skipped=_NO_ROWS, weights=dense, intercept=checkpoint.intercept)
    finally:
        dense[cols] = 0.0


def _decided_since(checkpoints: dict[int, ReaderModel]) -> set[int]:
    """The readers with a decision newer than their stored model, in one query."""
    if not checkpoints:
        return set()
    newer = Q()
    for checkpoint in checkpoints.values():
        since = checkpoint.refit_at - reader_model.CLOCK_SLACK if checkpoint.refit_at else None
        newer |= Q(user_id=checkpoint.user_id, pk__gt=checkpoint.learned_through) & (
            Q(created_at__gte=since) if since else Q()
        )
    return set(Swipe.objects.filter(newer).values_list("user_id", flat=True).distinct())


def _muted(offered: dict[int, dict[int, float]], readers: dict[int, selectors.DeckScope]) -> dict[int, set[int]]:
    """Which of the offered papers each reader muted, by the SQL of the mute (`selectors.matching`: stemmed
    words on PostgreSQL, as the deck's candidates are filtered), in one query for the batch: a column per
    distinct mute, over the few papers that could go in."""
    mutes = {mute.pk: mute for user_id in offered for mute in readers[user_id].mutes}
    if not mutes:
        return {}
    papers = {pk for user_id in offered if readers[user_id].mutes for pk in offered[user_id]}
    columns = {
        f"mute_{pk}": ExpressionWrapper(selectors.matching(m), output_field=BooleanField()) for pk, m in mutes.items()
    }
    matched: dict[int, set[int]] = {pk: set() for pk in mutes}
    for paper_id, *hits in Paper.objects.filter(pk__in=papers).annotate(**columns).values_list("pk", *columns):
        for mute_id, hit in zip(mutes, hits, strict=True):
            if hit:
                matched[mute_id].add(paper_id)
    return {
        user_id: set().union(*(matched[mute.pk] for mute in readers[user_id].mutes))
        for user_id in offered
        if readers[user_id].mutes
    }


def _placed(rows: list[_Queued], fresh: list[_Queued]) -> list[tuple[_Queued, int]] | None:
    """The queue with the fresh cards in it, as (card, rank), QUEUE_LENGTH at most: each fresh card just
    before the first ranked card it outscores, at a rank between its neighbours', so that no queued card
    moves; the exploring cards keep their places (a few slots later, until the next full rescore). None when
    two neighbours leave no rank between them."""
    slots: dict[int, list[_Queued]] = {}  # index of the queued card it goes before -> fresh cards, best first
    for card in sorted(fresh, key=lambda c: -c.score):
        before = next(
            (i for i, row in enumerate(rows) if not row.held and row.score < card.score),
            len(rows),
        )
        slots.setdefault(before, []).append(card)
    placed: list[tuple[_Queued, int]] = []
    for i in range(len(rows) + 1):
        if cards := slots.get(i):
            low = rows[i - 1].rank if i else -1
            high = rows[i].rank if i < len(rows) else low + RANK_STEP * (len(cards) + 1)
            if high - low <= len(cards):
                return None
            placed += [(card, low + (high - low) * (n + 1) // (len(cards) + 1)) for n, card in enumerate(cards)]
        if i < len(rows):
            placed.append((rows[i], rows[i].rank))
    return placed[:QUEUE_LENGTH]


def _decided(offered: dict[int, dict[int, float]]) -> dict[int, set[int]]:
    """Which of the offered papers each reader has decided already, in one query."""
    if not offered:
        return {}
    papers = {pk for offer in offered.values() for pk in offer}
    decided: dict[int, set[int]] = {}
    for user_id, paper_id in Swipe.objects.filter(user_id__in=list(offered), paper_id__in=papers).values_list(
        "user_id", "paper_id"
    ):
        decided.setdefault(user_id, set()).add(paper_id)
    return decided


def _take(offers: list[_Offer]) -> int:
    """The offered cards into the queues as they are now, in one transaction for the batch: the queues read
    again under the followers' locks, so that a decision or a rerank meanwhile is not undone."""
    if not offers:
        return 0
    with derived_write():
        locked = lock_accounts([offer.user.pk for offer in offers])
        queues = _queues(sorted(locked))
        decided = _decided({o.user.pk: dict.fromkeys(o.cards, 0.0) for o in offers if o.user.pk in locked})
        moved: list[tuple[int, int, float]] = []
        taken: list[DeckCard] = []
        dropped: list[int] = []
        for offer in offers:
            rows = queues.get(offer.user.pk)
            if not rows:  # deleted, or emptied by a rebuild in progress, which will rank these papers itself
                continue
            queued = {row.paper_id for row in rows} | decided.get(offer.user.pk, set())
            fresh = [_Queued(None, pk, 0, card.score) for pk, card in offer.cards.items() if pk not in queued]
            placed = _placed(rows, fresh)
            if placed is None:  # no room between two neighbours: the whole queue renumbered, in RANK_STEPs
                placed = [(card, (rank + 1) * RANK_STEP) for rank, card in enumerate(interleave(rows, fresh))]
                moved += [(card.pk, rank, card.score) for card, rank in placed if card.pk and card.rank != rank]
            for card, rank in placed:
                if card.pk is None:
                    new = offer.cards[card.paper_id]
                    new.rank = rank
                    taken.append(new)
            kept = {card.pk for card, _ in placed}
            dropped += [row.pk for row in rows if row.pk not in kept and row.pk is not None]
        DeckCard.objects.filter(pk__in=dropped).delete()
        write_ranks(moved)
        DeckCard.objects.bulk_create(taken)
    return len(taken)
