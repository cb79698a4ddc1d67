"""Readers written in bulk (COPY), for the benches that need thousands: bench_digests.py, bench_announcement.py.

Each reader follows two to five of the busiest seeded categories; one in twenty is heavy (five categories,
HEAVY decisions on the newest papers of them: the deck must look past all of them), the others decided up to
300 papers at random, except the new ones (every `new_every`-th), who decided nothing and have no queue.
Every reader has a default reading list (a keep goes there); one in ten mutes a keyword, one in twenty an
author, one in ten leaves replacements out of the deck. A ranked queue of 300 cards (scored by rank alone) is
written when asked for; a bench that scores queues by a model writes its own with `bulk_copy`.

Django must be set up before this module is imported: it reads the models at import.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from accounts.models import User
from deck import selectors
from deck.management.commands.seed_bench import MIX, in_parallel, secondary_indexes
from deck.models import DeckCard, DeckSettings, Interest
from deck.ranking.queues import RANK_STEP
from library.models import ReadingList
from papers.models import Category, Paper

BUSY = 12  # the readers' categories: the busiest of seed_bench's mix
HEAVY_EVERY = 20
HEAVY_DECISIONS = 3_000
QUEUE = 300
# The tables rows are copied into: their secondary indexes are dropped for the load and built after, at once.
BULK_TABLES = ["accounts_swipe", "deck_deckcard"]

Copy = tuple[str, str, list[tuple[Any, ...]]]  # table, its columns, the rows


@dataclass
class Reader:
    """What was written for one reader, for the bench that adds its own rows per reader."""

    index: int
    user_id: int
    followed: tuple[int, ...]
    decided: list[int]
    new: bool  # no decision, no queue
    heavy: bool
    unseen: list[int] = field(default_factory=list)  # the newest unseen papers of their categories (4,000 at most)


def busy_categories() -> list[int]:
    return list(Category.objects.filter(code__in=list(MIX)[:BUSY]).values_list("pk", flat=True))


def copy(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY without the foreign key checks: millions of rows made consistent here would otherwise be checked
    one by one at commit (the role needs a superuser, as the bench's PostgreSQL has)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)


def bulk_copy(copies: list[Copy]) -> None:
    """As seed_bench loads the catalog: the indexes no constraint owns are built after the rows, at once."""
    indexes = secondary_indexes(sorted({table for table, _, _ in copies}))
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    for table, columns, rows in copies:
        copy(table, columns, rows)
    if indexes:
        in_parallel([definition for _, definition in indexes])


def category_pools() -> dict[int, list[int]]:
    """Each seeded category's papers, newest first."""
    pools: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pc.category_id, p.id FROM papers_paper p JOIN papers_paper_categories pc ON pc.paper_id = p.id "
            "ORDER BY p.listed_at DESC, p.id DESC"
        )
        for category_id, paper_id in cursor.fetchall():
            pools.setdefault(category_id, []).append(paper_id)
    return pools


def create_users(emails: list[str], *, password: str, time_zones: list[str] | None = None) -> list[User]:
    users = User.objects.bulk_create(
        [
            User(email=address, password=password, **({"time_zone": time_zones[i]} if time_zones else {}))
            for i, address in enumerate(emails)
        ],
        batch_size=2000,
    )
    ReadingList.objects.bulk_create(
        [ReadingList(user=u, name="Reading list", slug="reading-list", is_default=True) for u in users],
        batch_size=2000,
    )
    return users


def make_readers(
    rng: random.Random,
    user_ids: list[int],
    *,
    new_every: int = 10,
    queues: bool = True,
    each: Callable[[Reader], None] | None = None,
    also: Callable[[], list[Copy]] | None = None,
) -> list[Reader]:
    """Follows, decisions, mutes, deck settings and (when `queues`) the ranked queues of these users.

    `each` is called with every reader once their rows are made (its `unseen` filled); `also` returns more
    rows to copy with the rest (rows `each` made), while the indexes are down."""
    categories = busy_categories()
    by_category = category_pools()
    pools: dict[tuple[int, ...], list[int]] = {}
    titles = list(Paper.objects.order_by("?").values_list("title", "authors_text")[:500])
    follows, swipes, cards, mutes, deck_settings, readers = [], [], [], [], [], []
    now = datetime.now(UTC)
    for index, user_id in enumerate(user_ids):
        heavy, new = index % HEAVY_EVERY == 0, index % new_every == 1
        followed = tuple(sorted(rng.sample(categories[:6] if heavy else categories, 5 if heavy else rng.randint(2, 5))))
        follows += [(user_id, c) for c in followed]
        if followed not in pools:
            pools[followed] = sorted({p for c in followed for p in by_category.get(c, [])}, reverse=True)
        pool = pools[followed]
        # The heaviest readers decided on the newest papers of their categories: the deck looks past all of them.
        if heavy:
            decided = pool[: min(HEAVY_DECISIONS, len(pool) - 500)]
        else:
            decided = [] if new else rng.sample(pool, rng.randint(0, min(300, len(pool) // 2)))
        for paper_id in decided:
            decision = "keep" if rng.random() < 0.15 else "skip"
            swipes.append((user_id, paper_id, decision, "button", now - timedelta(minutes=rng.randint(1, 500_000))))
        seen = set(decided)
        reader = Reader(index, user_id, followed, decided, new, heavy, [p for p in pool[:4000] if p not in seen])
        if queues and not new:
            queue = rng.sample(reader.unseen[:3000], min(QUEUE, len(reader.unseen[:3000])))
            cards += [
                (user_id, p, (rank + 1) * RANK_STEP, 1.0 - rank / QUEUE, False, False, "")
                for rank, p in enumerate(queue)
            ]
        if index % 10 == 3:
            word = rng.choice(rng.choice(titles)[0].split())
            mutes.append(Interest(user_id=user_id, kind=Interest.Kind.KEYWORD, value=word, stance="mute"))
        if index % 20 == 7:
            author = rng.choice(rng.choice(titles)[1].split(", "))
            mutes.append(Interest(user_id=user_id, kind=Interest.Kind.AUTHOR, value=author, stance="mute"))
        if index % 10 == 5:
            deck_settings.append(DeckSettings(user_id=user_id, include_replacements=False))
        if each is not None:
            each(reader)
        reader.unseen = []  # what `each` needed; thousands of readers' lists would be kept for nothing
        readers.append(reader)
    User.followed_categories.through.objects.bulk_create(
        [User.followed_categories.through(user_id=u, category_id=c) for u, c in follows], batch_size=5000
    )
    Interest.objects.bulk_create(mutes, ignore_conflicts=True)
    DeckSettings.objects.bulk_create(deck_settings)
    copies: list[Copy] = [("accounts_swipe", "user_id, paper_id, decision, source, created_at", swipes)]
    if queues:
        copies.append(("deck_deckcard", "user_id, paper_id, rank, score, exploring, from_follow, reason", cards))
    bulk_copy(copies + (also() if also else []))
    if queues:
        drop_muted_cards(user_ids)
    return readers


def muted_papers(user_ids: list[int]) -> dict[int, set[int]]:
    """The papers each reader's mutes take out of their deck, by the same SQL as the deck's."""
    muted: dict[int, set[int]] = {}
    for mute in Interest.objects.filter(user_id__in=user_ids, stance=Interest.Stance.MUTE):
        found = Paper.objects.filter(selectors.matching(mute)).values_list("pk", flat=True)
        muted.setdefault(mute.user_id, set()).update(found)
    return muted


def drop_muted_cards(user_ids: list[int]) -> None:
    """A mute takes its papers out of the reader's queue when it is set (deck.services.set_interest)."""
    for mute in Interest.objects.filter(user_id__in=user_ids, stance=Interest.Stance.MUTE):
        muted = Paper.objects.filter(selectors.matching(mute)).values("pk")
        DeckCard.objects.filter(user_id=mute.user_id, paper__in=muted).delete()
