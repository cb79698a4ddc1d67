"""Turns one user's decisions into the order of their deck: learn, score the candidates, store the queue.

Runs in a Celery task after every decision, undo or change of mind (deck/tasks.py), never in a request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from scipy import sparse

from accounts.models import User
from accounts.services import lock_account
from papers.features.store import Key, matrix_for, stamped, vectors
from papers.models import Paper, PaperFeatures

from .. import reasons, selectors
from ..models import DeckCard, Interest, QueueStamp, Swipe
from . import candidate_pool, ranker, reader_model

QUEUE_LENGTH = 300  # cards kept ready; a decision reorders them, a full rescore refills them
# A written queue's ranks are its positions (from 1) times this: a merge puts a new card between two queued
# ones, or before the first, without renumbering the 300 (which rewrote every row of every follower's queue
# after an announcement).
RANK_STEP = 1024
CANDIDATE_LIMIT = 20_000  # the newest unseen papers are ranked; older ones wait behind them
FOLLOW_WINDOW = timedelta(days=60)  # how far back papers by followed authors and keywords are looked for
POPULAR_WINDOW = timedelta(days=30)
LIKE_THRESHOLD = 0.15  # cosine above which "Like <a kept paper>" is fair: the median nearest neighbour is 0.15
# Between full rescores a decision reorders the queue's own cards: a paper outside the queue that a
# decision would lift in waits for the next full rescore, at most this many decisions away.
FULL_RESCORE_EVERY = 20
FOLLOW_BONUS = 1.0  # papers a follow brought in go before every other
NEWEST_BONUS = 1e-3  # the newest candidate's, down to 0 for the oldest


@dataclass
class Ranking:
    ids: list[int]  # candidates, newest first; the first matrix.shape[0] have vectors
    matrix: sparse.csr_matrix
    learned: reader_model.Learned
    followed: dict[int, Interest] = field(default_factory=dict)  # papers that a follow brought in
    popular: dict[int, int] = field(default_factory=dict)  # keeps by peers, before the model knows anything
    teaching: set[int] = field(default_factory=set)  # the first deck's picks (ranker.teaching_picks)

    @property
    def reader(self) -> ranker.TasteModel:
        return self.learned.reader


def update_queue(*, user: User) -> int:
    """What a rerank does after a decision: the model brought up to date (refitted when due), then every
    candidate scored again when that is due (a change of categories, mutes or settings, a short queue, or
    enough decisions since the last time), else only the head of the queue. Returns the queue's length."""
    began = timezone.now()
    state = _queue_state(user)
    settings = selectors.scope_of(user=user).settings
    if settings is not None and settings.learning_paused and not (state.fresh or state.queued < QUEUE_LENGTH // 2):
        # Paused: nothing new is learned, and the order stays as the reader saw it (no reorder, no redraw of
        # the exploring cards). A change of categories or mutes, or a queue running short, still rebuilds it.
        with derived_write():
            _stamp(user, built_from=began, rescored=False)
        return state.queued
    if state.full_rescore_due:
        # What the deck may show is read afresh only when it changed; otherwise the last read, updated.
        return _refresh(user, began, fresh=state.fresh)
    # The head with its vectors' times in one query: the vectors themselves are mostly in this worker's cache.
    # A subquery, not a join: the index on (user, rank) hands over the head alone, in order.
    stamp = PaperFeatures.objects.filter(paper_id=OuterRef("paper_id")).values("computed_at")[:1]
    cards = DeckCard.objects.filter(user=user).annotate(computed_at=Subquery(stamp))
    head: list[DeckCard] = list(cards.order_by("rank")[:RESCORE_HEAD])
    stamps = [(card.paper_id, card.computed_at) for card in head]  # type: ignore[attr-defined]
    keys = [(pk, stamp.timestamp()) for pk, stamp in stamps if stamp is not None]
    ids, matrix = [pk for pk, _ in keys], vectors.matrix(keys)
    sample = _unseen_sample(user)
    learned = reader_model.learned(user=user, unseen=matrix if sample is None else sample)
    if _teaching(learned) or _taught(user, learned):
        # The first deck's picks come from every candidate, not the head's; once it ends, what is left of them
        # is ranked and explained by the model like every other card.
        return _refresh(user, began, fresh=state.fresh)
    _reorder(user, head, ids, matrix, learned.reader, built_from=began)
    return state.queued


# Between full rescores a decision reorders the cards the reader meets next: their scores change with the
# model, and the deeper ones are scored again at the next full rescore, FULL_RESCORE_EVERY decisions away.
RESCORE_HEAD = 60


def _reorder(
    user: User,
    head: list[DeckCard],
    ids: list[int],
    matrix: sparse.csr_matrix,
    reader: ranker.TasteModel,
    *,
    built_from: datetime,
) -> None:
    """The head of the queue in the model's order now, writing only the cards that moved."""
    ranks = sorted(card.rank for card in head)
    _rescore(head, ids, matrix, reader)
    moved = []
    for card, rank in zip(head, ranks, strict=True):
        if card.rank != rank:
            card.rank = rank
            moved.append(card)
    with derived_write():
        lock_account(user)  # a full rebuild running meanwhile replaces these rows: then this changes nothing
        write_ranks([(card.pk, card.rank, card.score) for card in moved])
        _stamp(user, built_from=built_from, rescored=False)


@contextmanager
def derived_write() -> Iterator[None]:
    """A transaction that writes only what a rerank rebuilds (queue rows, stamps), committed without waiting
    for the WAL to reach the disk: a reader's decisions wait on fewer flushes. A crash loses at most the last
    moments of these, and `rerank_stale` reranks every reader whose queue is then older than their last
    decision. A decision's own transaction never takes this."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def write_ranks(moves: list[tuple[int, int, float]]) -> None:
    """New ranks and scores, as (card id, rank, score). On PostgreSQL one UPDATE from arrays: Django's
    bulk_update builds a CASE per row and spent more time in Python than the rest of a reorder."""
    if not moves:
        return
    if connection.vendor != "postgresql":
        cards = [DeckCard(pk=pk, rank=rank, score=score) for pk, rank, score in moves]
        DeckCard.objects.bulk_update(cards, ["rank", "score"])
        return
    table = DeckCard._meta.db_table
    ids, ranks, scores = (list(column) for column in zip(*moves, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS card SET "rank" = new.rank, "score" = new.score '  # noqa: S608 -- our own table name
            "FROM unnest(%s::bigint[], %s::integer[], %s::float8[]) AS new(id, rank, score) WHERE card.id = new.id",
            [ids, ranks, scores],
        )


@dataclass(frozen=True)
class _QueueState:
    fresh: bool  # what the deck may show must be read afresh: no queue yet, or categories, mutes… changed
    full_rescore_due: bool
    queued: int


def _queue_state(user: User) -> _QueueState:
    """Whether every candidate is scored again now: on a change of what the deck may show, a short queue,
    and every FULL_RESCORE_EVERY decisions; a new reader's first ones sooner (after 2, 4, 6, 8, 10, 15…),
    when each decision still changes the model most. One round trip: a rerank runs after every decision."""
    quote = connection.ops.quote_name
    swipes, cards, stamps = (quote(m._meta.db_table) for m in (Swipe, DeckCard, QueueStamp))
    with connection.cursor() as cursor:
        cursor.execute(
            # Our own tables' names; the values go as parameters. Each count stops where the answer is known.
            f"SELECT stamp.rescore_due, stamp.rescored_from IS NULL,"  # noqa: S608
            f" (SELECT COUNT(*) FROM {cards} WHERE user_id = %s),"
            f" (SELECT COUNT(*) FROM (SELECT 1 FROM {swipes} WHERE user_id = %s LIMIT %s) AS history),"
            f" (SELECT COUNT(*) FROM (SELECT 1 FROM {swipes} WHERE user_id = %s"
            f"   AND created_at >= stamp.rescored_from LIMIT %s) AS since)"
            f" FROM {stamps} AS stamp WHERE stamp.user_id = %s",
            [user.pk, user.pk, FULL_RESCORE_EVERY * 5, user.pk, FULL_RESCORE_EVERY, user.pk],
        )
        row = cursor.fetchone()
    if row is None:  # never ranked
        return _QueueState(fresh=True, full_rescore_due=True, queued=0)
    rescore_due, never_rescored, queued, history, since = row
    every = min(FULL_RESCORE_EVERY, max(2, history // 5))
    due = bool(rescore_due) or bool(never_rescored) or queued < QUEUE_LENGTH // 2 or since >= every
    return _QueueState(fresh=bool(rescore_due), full_rescore_due=due, queued=queued)


def _unseen_sample(user: User) -> sparse.csr_matrix | None:
    """Vectors of UNSEEN_SAMPLE random candidates from the worker's last read of them, for a refit's soft
    term; None when this worker has not read them (the queue's head serves then)."""
    with _scans_lock:
        scan = _scans.get(user.pk)
    if scan is None or not scan.keys:
        return None
    picked = np.random.default_rng().choice(len(scan.keys), min(ranker.UNSEEN_SAMPLE, len(scan.keys)), replace=False)
    return vectors.matrix([scan.keys[i] for i in sorted(picked)])


def refresh_queue(*, user: User) -> int:
    """Rebuild the user's ranked queue from every candidate; returns its length."""
    return _refresh(user, timezone.now())


def _refresh(user: User, began: datetime, *, fresh: bool = True) -> int:
    ranking = _rank(user, fresh=fresh)
    if ranking is None:
        with derived_write():
            lock_account(user)
            DeckCard.objects.filter(user=user).delete()
            _stamp(user, built_from=began, rescored=True)
        return 0
    scores = _scores(ranking)
    explore = ranking.reader.knows_anything
    placed = ranker.order(
        scores, rng=np.random.default_rng(), explore=explore, limit=QUEUE_LENGTH, phase=ranking.learned.decisions
    )
    if _teaching(ranking.learned):
        placed = _lead_with_teaching(user, ranking, placed)
    cards = [
        DeckCard(
            user=user,
            paper_id=ranking.ids[i],
            rank=rank,
            score=float(min(scores[i], 1.0)),
            exploring=exploring,
            from_follow=ranking.ids[i] in ranking.followed,
        )
        for rank, (i, exploring) in enumerate(placed)
    ]
    explain(user, cards, ranking)
    _write_queue(user, cards, built_from=began, rescored=True)
    return len(cards)


def _teaching(learned: reader_model.Learned) -> bool:
    keeps = learned.checkpoint.keeps if learned.checkpoint is not None else 0
    return ranker.teaching(keeps=keeps, decisions=learned.decisions)


def _taught(user: User, learned: reader_model.Learned) -> bool:
    """The first deck just ended: its picks are still queued with its reason."""
    if learned.decisions > ranker.FIRST_CARDS + FULL_RESCORE_EVERY:  # a full rescore has replaced them since
        return False
    return DeckCard.objects.filter(user=user, reason=TEACHING).exists()


def _lead_with_teaching(user: User, ranking: Ranking, placed: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
    """The first deck: papers a follow brought in, then one paper per topic of the newest candidates, then
    the rest as ranked (ranker.FIRST_CARDS). The picks are drawn once and kept until the first keep: drawn
    again after each skip, the clusters shifted and the reader met ten other papers than the ones queued."""
    with_vector = min(ranker.TEACHING_POOL, ranking.matrix.shape[0])
    index = {pk: i for i, pk in enumerate(ranking.ids[:with_vector])}
    queued = DeckCard.objects.filter(user=user, reason=TEACHING).order_by("rank").values_list("paper_id", flat=True)
    picks = [index[pk] for pk in queued if pk in index] or ranker.teaching_picks(ranking.matrix[:with_vector])
    picks = [i for i in picks if ranking.ids[i] not in ranking.followed]
    ranking.teaching = {ranking.ids[i] for i in picks}
    followed = [(i, False) for i, _ in placed if ranking.ids[i] in ranking.followed]
    ahead = set(ranking.followed) | ranking.teaching
    rest = [(i, exploring) for i, exploring in placed if ranking.ids[i] not in ahead]
    return (followed + [(i, False) for i in picks] + rest)[: len(placed)]


class _Card(Protocol):
    score: float
    exploring: bool
    from_follow: bool


CardT = TypeVar("CardT", bound=_Card)


def interleave(rows: list[CardT], new_rows: list[CardT]) -> list[CardT]:
    """Ranked cards best first with the exploring ones in every EXPLORE_EVERY-th slot, as `ranker.order`
    places them, QUEUE_LENGTH at most; when either kind runs out, the other fills the rest."""
    ranked = sorted([r for r in rows if not r.exploring] + new_rows, key=lambda r: (-r.from_follow, -r.score))
    exploring = [r for r in rows if r.exploring]
    merged: list[CardT] = []
    while len(merged) < QUEUE_LENGTH and (ranked or exploring):
        slot = len(merged) % ranker.EXPLORE_EVERY == ranker.EXPLORE_EVERY - 1
        merged.append((exploring if (slot and exploring) or not ranked else ranked).pop(0))
    return merged


def _rescore(rows: list[DeckCard], ids: list[int], matrix: sparse.csr_matrix, reader: ranker.TasteModel) -> None:
    """The head's cards scored by the model now and the ranked ones put in order again. An exploring card
    keeps its place, so that it comes up as the reader decides the cards before it: placed again in the
    head's fifth slot after every decision, it was never shown (found by the serving log, issue 23)."""
    if not reader.knows_anything or not ids:
        return
    scores = dict(zip(ids, ranker.predict(reader, matrix).tolist(), strict=True))
    for row in rows:
        row.score = scores.get(row.paper_id, row.score)
    slots = [i for i, row in enumerate(rows) if not row.exploring]
    ranked = sorted((rows[i] for i in slots), key=lambda row: (-row.from_follow, -row.score))
    for i, row in zip(slots, ranked, strict=True):
        rows[i] = row


def _write_queue(user: User, cards: list[DeckCard], *, built_from: datetime | None, rescored: bool) -> None:
    with derived_write():
        lock_account(user)  # two reranks of one reader (two tabs, two workers) take turns here
        # A decision made while the queue was being built took its card out of the old queue only.
        decided = set(
            Swipe.objects.filter(user=user, paper_id__in=[c.paper_id for c in cards]).values_list("paper_id", flat=True)
        )
        cards = [card for card in cards if card.paper_id not in decided]
        for rank, card in enumerate(cards):
            card.pk, card.rank, card.user = None, (rank + 1) * RANK_STEP, user
        DeckCard.objects.filter(user=user).delete()
        DeckCard.objects.bulk_create(cards)
        if built_from is not None:
            _stamp(user, built_from=built_from, rescored=rescored)


def _stamp(user: User, *, built_from: datetime, rescored: bool) -> None:
    """The queue now reflects every decision made before `built_from`; a full rescore also restarts the
    count towards the next one."""
    defaults: dict[str, object] = {"built_from": built_from}
    if rescored:
        defaults |= {"rescored_from": built_from, "rescore_due": False}
    if not QueueStamp.objects.filter(user=user).update(**defaults):
        QueueStamp.objects.create(user=user, **defaults)


# The in-request nudge: the next cards most like the one just decided move, before any worker has run.
NUDGE_WINDOW = 30  # the cards the reader meets next
# Cosine of two vectors. On real arXiv papers (the sample data) two of one topic have a median of 0.047,
# unrelated ones 0.008 (90th percentile 0.034): above this, a card is on the decided paper's topic.
NUDGE_SIMILARITY = 0.03


def nudge_queue(*, user: User, paper_id: int, kept: bool) -> list[int]:
    """After a keep, the next cards most like the paper come forward; after a skip, they go back behind the
    others of the window. A cheap similarity on stored vectors, not learning: the rerank that follows
    orders the queue by the updated model. Returns the papers moved back, which a page showing them drops."""
    # The window with its vectors' times and the decided paper's, in one query: a decision's round trips add
    # up when PostgreSQL is busy.
    decided_at = PaperFeatures.objects.filter(paper_id=paper_id).values("computed_at")[:1]
    read = selectors.unseen_queue(user=user).annotate(decided_at=Subquery(decided_at))
    fields = ("pk", "paper_id", "rank", "score", "paper__features__computed_at", "decided_at")
    window = list(read.values_list(*fields)[:NUDGE_WINDOW])
    if not window or window[0][5] is None:  # nothing queued, or the decided paper has no vector yet
        return []
    keys = [(paper_id, window[0][5].timestamp())]
    keys += [(card[1], card[4].timestamp()) for card in window if card[4] is not None]
    ids, rows = [pk for pk, _ in keys], vectors.matrix(keys)
    if len(ids) < 2:
        return []
    similarity = dict(zip(ids[1:], _similarities_to_first(rows).tolist(), strict=True))
    alike = {pk for pk, s in similarity.items() if s >= NUDGE_SIMILARITY}
    if not alike:
        return []
    # Stable: within each group the ranker's order stays.
    moved = sorted(window, key=lambda card: (card[1] in alike) != kept)
    ranks = sorted(card[2] for card in window)
    write_ranks([(card[0], rank, card[3]) for card, rank in zip(moved, ranks, strict=True) if card[2] != rank])
    return [] if kept else sorted(alike)


def _similarities_to_first(rows: sparse.csr_matrix) -> np.ndarray:
    """Each row's dot product with the first: the window's 30 rows against one, in one pass over their
    entries. scipy's `rows @ first.T` converts the transposed row to CSC first, most of the nudge's CPU."""
    first, others = rows.indptr[1], rows.shape[0] - 1
    if first == 0:
        return np.zeros(others)
    order = np.argsort(rows.indices[:first])
    first_cols, first_values = rows.indices[:first][order], rows.data[:first][order]
    cols, values = rows.indices[first:], rows.data[first:]
    at = np.minimum(np.searchsorted(first_cols, cols), first - 1)
    products = np.where(first_cols[at] == cols, values * first_values[at], 0.0)
    row_of = np.repeat(np.arange(others), np.diff(rows.indptr[1:]))
    return np.bincount(row_of, weights=products, minlength=others)


def rescore_due(*, user: User) -> None:
    """Categories, mutes, follows or deck settings changed: the next rerank scores every candidate again."""
    QueueStamp.objects.filter(user=user).update(rescore_due=True)


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


def _rank(user: User, *, fresh: bool = True) -> Ranking | None:
    keys, without = _candidates(user, fresh=fresh)
    ids, matrix = [pk for pk, _ in keys], vectors.matrix(keys)
    followed = _followed_papers(user)
    known = set(ids) | set(without)
    extra = [pk for pk in followed if pk not in known]
    if extra:
        extra_ids, extra_matrix = matrix_for(extra)
        ids, matrix = ids + extra_ids, sparse.vstack([matrix, extra_matrix]).tocsr()
        without += [pk for pk in extra if pk not in set(extra_ids)]
    learned = reader_model.learned(user=user, unseen=matrix)
    if not ids and not without:
        return None
    ids += without  # no vector yet: ranked on recency alone, after the others
    popular = {} if learned.reader.knows_anything else _popular_among_peers(user, ids)
    return Ranking(ids=ids, matrix=matrix, learned=learned, followed=followed, popular=popular)


@dataclass
class _Scan:
    """A reader's candidates as last read: the newest unseen papers of their categories, not muted."""

    at: datetime  # when the read began
    keys: list[Key]  # (paper, vector stamp), newest first
    without: list[int]  # papers with no vector yet


# Reading a reader's candidates means walking past every paper they decided: 6 s for one who decided the
# newest 100,000. A worker keeps each reader's last read and brings it up to date instead: less what they
# decided since, plus what was listed since. A change of categories, mutes or settings reads afresh, and so
# does a read older than SCAN_FRESH (a few hours: a reader's session; what drifts meanwhile is minor, such as
# a paper whose vector arrived late still ranked by recency).
SCAN_FRESH = timedelta(hours=6)
SCANS_KEPT = 200  # readers per worker process; about 0.5 MB each
_scans: OrderedDict[int, _Scan] = OrderedDict()
_scans_lock = threading.Lock()


def _candidates(user: User, *, fresh: bool) -> tuple[list[Key], list[int]]:
    began = timezone.now()
    with _scans_lock:
        scan = _scans.pop(user.pk, None)
    pooled = _pooled(user, fresh=fresh)
    if pooled is not None:
        keys, without = pooled.keys, pooled.without
    elif fresh or scan is None or began - scan.at > SCAN_FRESH:
        keys, without = stamped(selectors.candidates(user=user), limit=CANDIDATE_LIMIT)
    else:
        since = scan.at - reader_model.CLOCK_SLACK
        decided = set(Swipe.objects.filter(user=user, created_at__gte=since).values_list("paper_id", flat=True))
        new_keys, new_without = stamped(selectors.candidates(user=user).filter(listed_at__gte=since))
        new = {pk for pk, _ in new_keys} | set(new_without)
        keys = new_keys + [key for key in scan.keys if key[0] not in decided and key[0] not in new]
        without = new_without + [pk for pk in scan.without if pk not in decided and pk not in new]
        keys = keys[:CANDIDATE_LIMIT]
    with _scans_lock:
        _scans[user.pk] = _Scan(at=began, keys=keys, without=without)
        while len(_scans) > SCANS_KEPT:
            _scans.popitem(last=False)
    return keys, without


def _pooled(user: User, *, fresh: bool) -> candidate_pool.Candidates | None:
    """The reader's candidates from the worker's shared category pools, when they can tell them."""
    reader = selectors.scope_of(user=user)
    if reader.mutes:
        return None
    wanted = reader.settings
    return candidate_pool.candidates(
        user=user,
        followed=reader.followed,
        cross_lists=wanted.include_cross_lists if wanted else True,
        replacements=wanted.include_replacements if wanted else True,
        limit=CANDIDATE_LIMIT,
        fresh=fresh,
    )


def _scores(ranking: Ranking) -> np.ndarray:
    scores = np.full(len(ranking.ids), 0.5)
    if ranking.reader.knows_anything and ranking.matrix.shape[0]:
        scores[: ranking.matrix.shape[0]] = ranker.predict(ranking.reader, ranking.matrix)
    scores += np.linspace(NEWEST_BONUS, 0, len(ranking.ids))  # ties go to the newer paper
    scores += np.array([min(ranking.popular.get(pk, 0), 10) / 100 for pk in ranking.ids])
    scores += np.array([FOLLOW_BONUS if pk in ranking.followed else 0.0 for pk in ranking.ids])
    return scores


def explain(
    user: User,
    cards: list[DeckCard],
    ranking: Ranking,
    *,
    kept: tuple[list[int], sparse.csr_matrix] | None = None,
    papers: dict[int, Paper] | None = None,
    tastes: reasons.Tastes | None = None,
) -> None:
    """Each card's one line of "why", from the ranker's real reasons. `kept` (`reader_model.kept_for_reasons`),
    `papers` (`words_of`) and `tastes` (`reasons.cached_tastes`) when a batch read them already."""
    kept_ids, ranking.reader.kept = kept or reader_model.kept_for_reasons(user=user)
    if tastes is None:
        tastes = reasons.tastes_of(user=user, kept_ids=kept_ids) if ranking.reader.knows_anything else reasons.Tastes()
    position = {pk: i for i, pk in enumerate(ranking.ids)}
    with_vector = [c for c in cards if position[c.paper_id] < ranking.matrix.shape[0]]
    rows = ranking.matrix[[position[c.paper_id] for c in with_vector]]
    best, similarity = ranker.nearest_kept(ranking.reader, rows)
    nearest = {c.paper_id: (int(b), float(s)) for c, b, s in zip(with_vector, best, similarity, strict=True)}
    words_of = papers if papers is not None else words_of_papers([c.paper_id for c in cards])
    for card in cards:
        if follow := ranking.followed.get(card.paper_id):
            card.reason = (
                f"By an author you follow: {follow.value}"
                if follow.kind == Interest.Kind.AUTHOR
                else f"Mentions “{follow.value}”, which you follow"
            )
        elif card.exploring:
            card.reason = EXPLORING
        elif card.paper_id in ranking.teaching:
            card.reason = TEACHING
        elif not ranking.reader.knows_anything:
            category = words_of[card.paper_id].primary_category
            if ranking.popular.get(card.paper_id) and category:
                card.reason = f"Popular with readers of {category.code}"
            else:
                card.reason = "Newest in your categories"
        elif card.paper_id not in nearest:
            card.reason = "New in your categories"
        elif nearest[card.paper_id][1] >= LIKE_THRESHOLD:
            card.reason_paper_id = kept_ids[nearest[card.paper_id][0]]
        else:
            card.reason = reasons.in_words(paper=words_of[card.paper_id], reader=ranking.reader, tastes=tastes)


EXPLORING = "Exploring: outside what you usually keep"
TEACHING = "Getting to know you: one paper from each main topic in your categories"


def words_of_papers(paper_ids: list[int]) -> dict[int, Paper]:
    """What a card's reason is written from: its words and primary category."""
    fields = ("pk", "title", "abstract", "authors", "primary_category__code")
    papers = Paper.objects.only(*fields).select_related("primary_category")
    return papers.in_bulk(paper_ids)


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
    """Keeps in the last month by the readers of one of the reader's categories, the most of any of them,
    counted only from MIN_READERS up: the card says "Popular with readers of ...", and one peer is a person."""
    popular: dict[int, int] = {}
    for counts in popular_in_categories(selectors.followed_ids(user=user)).values():
        for pk, keepers in counts.items():
            popular[pk] = max(popular.get(pk, 0), keepers)
    return {pk: popular[pk] for pk in paper_ids if pk in popular}


POPULAR_TTL = 600  # a new reader's first deck counts peers' keeps as of a few minutes ago


def popular_in_categories(category_ids: list[int]) -> dict[int, dict[int, int]]:
    """For each category: the papers kept in the last month by at least MIN_READERS of its readers, and by
    how many. Read for every missing category in one scan of the month's keeps, and cached: 200 new readers
    after an announcement read it once, not 0.3 s each."""
    keys = {category: f"deck:popular:{category}" for category in category_ids}
    cached = cache.get_many(list(keys.values()))
    found = {category: cached[key] for category, key in keys.items() if key in cached}
    if missing := [category for category in category_ids if category not in found]:
        keepers = (
            Swipe.objects.filter(
                decision=Swipe.Decision.KEEP,
                created_at__gte=timezone.now() - POPULAR_WINDOW,
                user__followed_categories__in=missing,
            )
            .values("user__followed_categories", "paper_id")
            .annotate(n=Count("user", distinct=True))
            .filter(n__gte=selectors.MIN_READERS)
        )
        read: dict[int, dict[int, int]] = {category: {} for category in missing}
        for row in keepers:
            read[row["user__followed_categories"]][row["paper_id"]] = row["n"]
        cache.set_many({keys[category]: counts for category, counts in read.items()}, POPULAR_TTL)
        found |= read
    return found
