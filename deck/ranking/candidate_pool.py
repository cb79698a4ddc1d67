"""The newest papers of each category, read once per worker process and shared by every reader who follows it.

A full rescore ranks a reader's newest CANDIDATE_LIMIT unseen papers. Asking the database for them reader
by reader walks 20,000 papers and their decisions, and parses 20,000 timestamps, for every reader; yet
every follower of cs.LG ranks the same cs.LG papers. A worker process keeps each category's newest
POOL_DEPTH papers as packed arrays, catches up with what was listed since, and takes out each reader's own
decisions (kept too, and caught up) and the kinds of paper they left out. Mutes match on words and
authors, which the arrays do not hold: a reader with mutes is read from the database (deck/ranking/queues.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from papers.models import Paper

from ..models import Swipe

POOL_DEPTH = 30_000  # a category's newest papers kept; a reader who decided most of them is read from the database
FRESH = timedelta(hours=6)  # a pool, or a reader's decisions, read afresh after this long; caught up in between
# A catch-up reads again the papers listed this long before the last one: their vectors are computed
# minutes after a harvest lists them, and a catch-up in between saw them without one.
LISTING_SLACK = timedelta(hours=1)
CLOCK_SLACK = timedelta(minutes=5)  # web servers' clocks may disagree a little
CATEGORIES_KEPT = 64  # ~1 MB each
READERS_KEPT = 200

CROSS_LIST, REPLACEMENT = 1, 2  # bits of a paper's kind


@dataclass
class Candidates:
    """A reader's candidates, newest first: those with a vector as (paper, vector stamp), and those without."""

    keys: list[tuple[int, float]]
    without: list[int]


@dataclass
class _Pool:
    ids: np.ndarray  # int64, newest first (listed_at, then id, descending)
    listed: np.ndarray  # float64, seconds since the epoch
    stamps: np.ndarray  # float64: when the vector was computed; NaN without one
    kinds: np.ndarray  # int8: CROSS_LIST | REPLACEMENT
    complete: bool  # the category has no papers older than these
    read_at: datetime
    caught_up_at: datetime


@dataclass
class _Decided:
    ids: np.ndarray  # int64, sorted
    read_at: datetime
    caught_up_at: datetime


_pools: OrderedDict[int, _Pool] = OrderedDict()
_decided: OrderedDict[int, _Decided] = OrderedDict()
_lock = threading.Lock()


def candidates(
    *, user: User, followed: list[int], cross_lists: bool, replacements: bool, limit: int, fresh: bool = False
) -> Candidates | None:
    """The newest `limit` papers of the followed categories that the reader has not decided, of the kinds
    they want, in the order of `selectors.candidates`; None when the pools cannot tell (the reader decided
    so many of a category's newest papers that older ones, not kept here, would be among them).

    `fresh`: the reader's decisions are read afresh (after an undo, a change of categories or settings)."""
    now = timezone.now()
    pools = [_pool(category, now) for category in sorted(set(followed))]
    if not pools:
        return Candidates(keys=[], without=[])
    ids = np.concatenate([p.ids for p in pools])
    ids, first = np.unique(ids, return_index=True)  # a paper filed in two followed categories, once
    listed = np.concatenate([p.listed for p in pools])[first]
    stamps = np.concatenate([p.stamps for p in pools])[first]
    kinds = np.concatenate([p.kinds for p in pools])[first]
    wanted = ~np.isin(ids, _decisions(user, now, fresh=fresh), assume_unique=True)
    if not cross_lists:
        wanted &= (kinds & CROSS_LIST) == 0
    if not replacements:
        wanted &= (kinds & REPLACEMENT) == 0
    # Below the oldest paper a cut-off pool holds, that category's papers are not all here.
    for pool in pools:
        if not pool.complete and len(pool.ids):
            floor_listed, floor_id = pool.listed[-1], pool.ids[-1]
            wanted &= (listed > floor_listed) | ((listed == floor_listed) & (ids >= floor_id))
    order = np.lexsort((-ids, -listed))
    order = order[wanted[order]]
    if len(order) < limit and not all(pool.complete for pool in pools):
        return None
    order = order[:limit]
    has_vector = ~np.isnan(stamps[order])
    keys = list(zip(ids[order][has_vector].tolist(), stamps[order][has_vector].tolist(), strict=True))
    return Candidates(keys=keys, without=ids[order][~has_vector].tolist())


def _pool(category: int, now: datetime) -> _Pool:
    with _lock:
        pool = _pools.get(category)
    if pool is None or now - pool.read_at > FRESH:
        pool = _read(category, now=now)
    elif now - pool.caught_up_at >= timedelta(seconds=settings.DECK_POOL_CATCH_UP_SECONDS):
        recent = _read(category, since=pool.caught_up_at - LISTING_SLACK, after=pool.ids.max(initial=0), now=now)
        pool = _caught_up(pool, recent, now)
    with _lock:
        _pools[category] = pool
        _pools.move_to_end(category)
        while len(_pools) > CATEGORIES_KEPT:
            _pools.popitem(last=False)
    return pool


def _read(category: int, *, now: datetime, since: datetime | None = None, after: int = 0) -> _Pool:
    """The category's newest papers; or, catching up, those listed `since` or added after paper `after`
    (ids grow: a paper added with an older listing time, as a backfill may, is caught up too)."""
    through = Paper.categories.through.objects.filter(paper=OuterRef("pk"), category_id=category)
    papers = Paper.objects.filter(Exists(through)).order_by("-listed_at", "-id")
    if since is not None:
        papers = papers.filter(Q(listed_at__gte=since) | Q(pk__gt=after))
    rows = list(papers.values_list("pk", "listed_at", "features__computed_at", "announce_type", "version")[:POOL_DEPTH])
    return _Pool(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        listed=np.array([row[1].timestamp() for row in rows], dtype=np.float64),
        stamps=np.array([row[2].timestamp() if row[2] else np.nan for row in rows], dtype=np.float64),
        kinds=np.array([kind_of(row[3], row[4]) for row in rows], dtype=np.int8),
        complete=len(rows) < POOL_DEPTH,
        read_at=now,
        caught_up_at=now,
    )


def kind_of(announce_type: str, version: int | None) -> int:
    """As selectors.CROSS_LISTS and selectors.REPLACEMENTS tell them apart."""
    kind = CROSS_LIST if announce_type == "cross" else 0
    if announce_type in ("replace", "replace-cross") or (announce_type == "" and (version or 0) > 1):
        kind |= REPLACEMENT
    return kind


def _caught_up(pool: _Pool, recent: _Pool, now: datetime) -> _Pool:
    """The pool with the papers listed lately in front of it: a paper read again replaces its old row."""
    older = ~np.isin(pool.ids, recent.ids)
    ids = np.concatenate([recent.ids, pool.ids[older]])
    listed = np.concatenate([recent.listed, pool.listed[older]])
    order = np.lexsort((-ids, -listed))[:POOL_DEPTH]
    return _Pool(
        ids=ids[order],
        listed=listed[order],
        stamps=np.concatenate([recent.stamps, pool.stamps[older]])[order],
        kinds=np.concatenate([recent.kinds, pool.kinds[older]])[order],
        complete=pool.complete and len(ids) <= POOL_DEPTH,
        read_at=pool.read_at,
        caught_up_at=now,
    )


def _decisions(user: User, now: datetime, *, fresh: bool) -> np.ndarray:
    """The papers the reader decided, sorted: read once, then only the decisions made since. An undo takes a
    decision away, which a catch-up cannot see: the count tells, and then they are read afresh."""
    with _lock:
        known = _decided.pop(user.pk, None)
    swipes = Swipe.objects.filter(user=user)
    if not fresh and known is not None and now - known.read_at <= FRESH:
        since = swipes.filter(created_at__gte=known.caught_up_at - CLOCK_SLACK).values_list("paper_id", flat=True)
        ids = np.union1d(known.ids, np.array(list(since), dtype=np.int64))
        known = _Decided(ids=ids, read_at=known.read_at, caught_up_at=now) if len(ids) == swipes.count() else None
    if fresh or known is None or now - known.read_at > FRESH:
        ids = np.unique(np.array(list(swipes.values_list("paper_id", flat=True)), dtype=np.int64))
        known = _Decided(ids=ids, read_at=now, caught_up_at=now)
    with _lock:
        _decided[user.pk] = known
        while len(_decided) > READERS_KEPT:
            _decided.popitem(last=False)
    return known.ids


def clear() -> None:
    """Forget every pool and every reader's decisions (tests; a worker never needs to)."""
    with _lock:
        _pools.clear()
        _decided.clear()
