"""Reads of the deck: its candidates in order, the next cards, the progress line, the history."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from accounts.models import User
from papers.models import Category, Paper

from .models import DeckCard, DeckSettings, DigestSubscription, Interest, SeedPaper, Swipe

CARDS_PER_BATCH = 5
COUNT_CAP = 1000


def followed_ids(*, user: User) -> list[int]:
    return list(user.followed_categories.values_list("pk", flat=True))


@dataclass(frozen=True)
class Reader:
    """What every deck request needs to know of its reader, read from the cache."""

    followed: list[int]
    mutes: list[Interest]
    settings: DeckSettings | None


READER_TTL = 120  # a change clears it at once (forget_reader); the expiry bounds a race with a slow read


def _reader_key(user_id: int) -> str:
    return f"deck:reader:{user_id}"


def reader_of(*, user: User) -> Reader:
    """Followed categories, mutes and deck settings: three queries on a miss, none on a hit."""
    reader = cache.get(_reader_key(user.pk))
    if reader is None:
        settings = DeckSettings.objects.filter(user=user).first()
        reader = Reader(followed=followed_ids(user=user), mutes=mutes_of(user=user), settings=settings)
        cache.set(_reader_key(user.pk), reader, READER_TTL)
    user._deck_settings_read = reader.settings  # type: ignore[attr-defined]
    return reader


def forget_reader(user_id: int) -> None:
    """Called by every write that changes a Reader: now, and again once the write commits, so that a
    request reading the old rows meanwhile cannot leave them in the cache."""
    cache.delete(_reader_key(user_id))
    transaction.on_commit(lambda: cache.delete(_reader_key(user_id)))


def unseen(papers: QuerySet[Paper], *, user: User) -> QuerySet[Paper]:
    """Papers the user has not decided on: NOT EXISTS on the (paper, user) index."""
    return papers.filter(~Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk"))))


def candidates(
    *, user: User, followed: list[int] | None = None, mutes: list[Interest] | None = None
) -> QuerySet[Paper]:
    """The deck before ranking: unseen papers of the followed categories, never a muted one, newest first.

    `followed` saves a query when the caller has the ids. The ranker (deck/ranking.py) orders these,
    with papers by followed authors and on followed keywords added.
    """
    if followed is None:
        followed = followed_ids(user=user)
    papers = only_wanted_kinds(unseen(Paper.objects.in_categories(followed), user=user), user=user)
    mutes = mutes_of(user=user) if mutes is None else mutes
    return without_muted(papers, mutes=mutes).order_by("-listed_at", "-id")


# How a paper reached the listing. Papers no listing announced (harvested from the API) count by version.
CROSS_LISTS = Q(announce_type="cross")
REPLACEMENTS = Q(announce_type__in=["replace", "replace-cross"]) | Q(announce_type="", version__gt=1)


def settings_of(*, user: User) -> DeckSettings | None:
    """Read once per request: the deck page asks for it twice (the cards and the progress line)."""
    if not hasattr(user, "_deck_settings_read"):
        user._deck_settings_read = DeckSettings.objects.filter(user=user).first()  # type: ignore[attr-defined]
    return user._deck_settings_read  # type: ignore[attr-defined]


def only_wanted_kinds(papers: QuerySet[Paper], *, user: User) -> QuerySet[Paper]:
    """New submissions always; cross-lists and replacements unless the reader left them out."""
    wanted = settings_of(user=user)
    if wanted and not wanted.include_cross_lists:
        papers = papers.exclude(CROSS_LISTS)
    if wanted and not wanted.include_replacements:
        papers = papers.exclude(REPLACEMENTS)
    return papers


def mutes_of(*, user: User) -> list[Interest]:
    return list(Interest.objects.filter(user=user, stance=Interest.Stance.MUTE))


def follows_of(*, user: User) -> list[Interest]:
    return list(Interest.objects.filter(user=user, stance=Interest.Stance.FOLLOW))


def matching(interest: Interest) -> Q:
    """The papers an interest is about: an author's name, a keyword in the title or abstract, a category."""
    if interest.kind == Interest.Kind.AUTHOR:
        return Q(authors_text__icontains=interest.value)
    if interest.kind == Interest.Kind.KEYWORD:
        return Q(title__icontains=interest.value) | Q(abstract__icontains=interest.value)
    return Q(categories__code=interest.value)


def without_muted(papers: QuerySet[Paper], *, mutes: list[Interest]) -> QuerySet[Paper]:
    for mute in mutes:
        if mute.kind == Interest.Kind.CATEGORY:
            papers = papers.exclude(
                Exists(Paper.categories.through.objects.filter(paper=OuterRef("pk"), category__code=mute.value))
            )
        else:
            papers = papers.exclude(matching(mute))
    return papers


def next_cards(
    *,
    user: User,
    exclude: Iterable[int] = (),
    first: str = "",
    followed: list[int] | None = None,
    mutes: list[Interest] | None = None,
    count: int = CARDS_PER_BATCH,
) -> list[Paper]:
    """The next `count` cards in the ranker's order, leaving out those the page holds.

    The ranked queue is read in rank order (one index range scan); before the ranker has built it,
    the deck is newest first. After an undo, `first` comes back on top. Each card carries `deck_card`,
    the queue row with "why this card", or None.
    """
    exclude = list(exclude)
    mutes = mutes_of(user=user) if mutes is None else mutes
    queue = unseen_queue(user=user).exclude(paper__in=exclude)
    # A few spare rows: a card muted since the queue was written is dropped below. The queue rows are
    # picked narrow, in a subquery (the planner would otherwise join every queued paper's wide row and
    # sort them all); the papers of the picked rows come in the same query, their categories in one more.
    picked = Subquery(queue.values("pk")[: count * 3])
    ranked = list(
        DeckCard.objects.filter(pk__in=picked)
        .order_by("rank")
        .select_related("paper__primary_category", "reason_paper")
        .prefetch_related("paper__categories")
    )
    if ranked:
        cards = [row.paper for row in ranked if not is_muted(row.paper, mutes)][:count]
        why = {row.paper_id: row for row in ranked}
    else:
        deck = candidates(user=user, followed=followed, mutes=mutes).exclude(pk__in=exclude)
        # The walk past decided papers reads only indexes (the ids, in a subquery); then the few rows.
        top = deck.values("pk")[:count]
        cards = list(
            Paper.objects.filter(pk__in=top)
            .select_related("primary_category")
            .prefetch_related("categories")
            .order_by("-listed_at", "-id")
        )
        why = {}
    if first and (undone := candidates(user=user, followed=followed, mutes=mutes).filter(arxiv_id=first).first()):
        cards = [undone, *[c for c in cards if c.pk != undone.pk]][:count]
    for card in cards:
        card.deck_card = why.get(card.pk)  # type: ignore[attr-defined]
    return cards


def unseen_queue(*, user: User) -> QuerySet[DeckCard]:
    """The ranked queue, less what was decided since it was built (a decision also deletes its row)."""
    decided = Swipe.objects.filter(user=user, paper=OuterRef("paper"))
    return DeckCard.objects.filter(user=user).filter(~Exists(decided)).order_by("rank")


def is_muted(paper: Paper, mutes: list[Interest]) -> bool:
    """The same rules as `matching`, on a paper in hand: for the few cards read from the queue, which a
    rerank that started before a mute may have written."""
    for mute in mutes:
        value = mute.value.lower()
        if mute.kind == Interest.Kind.AUTHOR and value in paper.authors_text.lower():
            return True
        if mute.kind == Interest.Kind.KEYWORD and (value in paper.title.lower() or value in paper.abstract.lower()):
            return True
        if mute.kind == Interest.Kind.CATEGORY and any(c.code.lower() == value for c in paper.categories.all()):
            return True
    return False


def has_decisions(*, user: User) -> bool:
    return Swipe.objects.filter(user=user).exists()


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    today: bool  # counting through the latest announcement rather than everything unseen

    @property
    def text(self) -> str:
        if self.today:
            return f"{min(self.done + 1, self.total):,} of {self.total:,} new in your categories"
        if self.total > COUNT_CAP:
            return f"{COUNT_CAP:,}+ unseen in your categories"
        return f"{self.total:,} unseen in your categories"


LATEST_DAY_TTL = 300  # a new announcement shows in the progress line within five minutes


def _latest_day(papers: Callable[[], QuerySet[Paper]], key: str) -> date | None:
    """The latest announcement among the deck's papers: the same for every request until the next
    harvest, so it is kept in the cache for a few minutes."""
    cached = cache.get(key)
    if cached is None:
        days = papers().filter(announced_on__isnull=False).order_by("-announced_on")
        cached = (days.values_list("announced_on", flat=True).first(),)
        cache.set(key, cached, LATEST_DAY_TTL)
    return cached[0]


# Compiled SQL of the progress line, per reader and scope: building these querysets costs several times
# what PostgreSQL spends running them, on every decision. Bounded; each process keeps its own.
_COMPILED: OrderedDict[tuple[object, ...], tuple[str, tuple[Any, ...]]] = OrderedDict()
_COMPILED_SIZE = 4096


def _compiled(key: tuple[object, ...], build: Callable[[], QuerySet[Any]]) -> tuple[str, tuple[Any, ...]]:
    found = _COMPILED.get(key)
    if found is None:
        sql, params = build().query.sql_with_params()
        found = _COMPILED[key] = (sql, tuple(params))
        if len(_COMPILED) > _COMPILED_SIZE:
            _COMPILED.popitem(last=False)
    return found


def _fetchone(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def progress(*, user: User, followed: list[int] | None = None, mutes: list[Interest] | None = None) -> Progress:
    """Two bounded queries while the latest announcement has unseen papers, else one bounded count more."""
    if followed is None:
        followed = followed_ids(user=user)
    mutes = mutes_of(user=user) if mutes is None else mutes

    def in_followed() -> QuerySet[Paper]:
        # The day's papers the deck would show: muted papers and left-out kinds never count toward "M".
        return without_muted(only_wanted_kinds(Paper.objects.in_categories(followed), user=user), mutes=mutes)

    def deck() -> QuerySet[Paper]:
        return candidates(user=user, followed=followed, mutes=mutes)

    wanted = settings_of(user=user)
    kinds = (wanted.include_cross_lists, wanted.include_replacements) if wanted else (True, True)
    scope = (user.pk, tuple(sorted(followed)), kinds, tuple(sorted((m.pk, m.kind, m.value) for m in mutes)))
    key = f"deck:latest-day:{hashlib.sha256(repr(scope[1:]).encode()).hexdigest()[:32]}"
    day = _latest_day(in_followed, key)
    if day:
        decided = Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk")))
        counts = _fetchone(
            *_compiled(
                ("day", day, *scope),
                lambda: (
                    in_followed()
                    .filter(announced_on=day)
                    .order_by()
                    .annotate(group=Value(1))
                    .values("group")
                    .annotate(total=Count("pk"), done=Count("pk", filter=decided), newest=Max("listed_at"))
                    .values_list("total", "done", "newest")
                ),
            )
        )
        total, done, newest = counts or (0, 0, None)
        # The line counts through the day while the deck shows it: the day has cards left, and no unseen
        # paper harvested since (not announced yet) comes first. That walk covers only papers newer than
        # the announcement, never the reader's whole history.
        if done < total:
            newer = _compiled(
                ("newer", day, newest, *scope),
                lambda: deck().filter(listed_at__gt=newest).exclude(announced_on=day).values("pk")[:1],
            )
            if _fetchone(*newer) is None:
                return Progress(done=done, total=total, today=True)
    # Everything else the deck will show, of any date, counted up to one past the cap so that the count
    # never walks a big catalog.
    sql, params = _compiled(("left", *scope), lambda: deck().order_by().values("pk")[: COUNT_CAP + 1])
    (left,) = _fetchone(f"SELECT COUNT(*) FROM ({sql}) AS deck", params) or (0,)  # noqa: S608 (our own SQL)
    return Progress(done=0, total=left, today=False)


def history(*, user: User, decision: str = "") -> QuerySet[Swipe]:
    swipes = Swipe.objects.filter(user=user).select_related("paper__primary_category").order_by("-created_at", "-id")
    return swipes.filter(decision=decision) if decision else swipes


def decisions_on(*, user: User, paper_ids: Iterable[int]) -> dict[int, str]:
    return dict(Swipe.objects.filter(user=user, paper_id__in=list(paper_ids)).values_list("paper_id", "decision"))


def decisions_for_export(user: User) -> list[dict[str, Any]]:
    """The deck's part of "Download my data"."""
    return [
        {"arxiv_id": arxiv_id, "decision": decision, "source": source, "at": at.isoformat()}
        for arxiv_id, decision, source, at in Swipe.objects.filter(user=user)
        .order_by("created_at")
        .values_list("paper__arxiv_id", "decision", "source", "created_at")
    ]


def digest_for_export(user: User) -> dict[str, Any] | None:
    """The digest settings, in "Download my data"."""
    row = DigestSubscription.objects.filter(user=user).values("frequency", "size", "hour", "weekday").first()
    return dict(row) if row else None


def seeds_of(*, user: User) -> QuerySet[SeedPaper]:
    return SeedPaper.objects.filter(user=user).select_related("paper").order_by("-added_at")


TRENDING_WINDOW = timedelta(days=7)


def trending(*, category: Category | None = None, limit: int = 25) -> list[Paper]:
    """The papers most kept in the last week, each with `keeps`: counts only, never who kept them."""
    keeps = Swipe.objects.filter(decision=Swipe.Decision.KEEP, created_at__gte=timezone.now() - TRENDING_WINDOW)
    if category is not None:
        keeps = keeps.filter(paper__categories=category)
    top = list(keeps.values("paper").annotate(n=Count("user", distinct=True)).order_by("-n", "-paper")[:limit])
    papers = Paper.objects.select_related("primary_category").in_bulk([row["paper"] for row in top])
    ranked = []
    for row in top:
        paper = papers[row["paper"]]
        paper.keeps = row["n"]  # type: ignore[attr-defined]
        ranked.append(paper)
    return ranked


def top_unseen(*, user: User, limit: int, exclude: QuerySet[Any] | None = None) -> list[Paper]:
    """The first `limit` unseen papers in deck order (the ranked queue, else newest first), never a
    muted one. `exclude` is a query of paper ids to leave out (what earlier digests sent)."""
    mutes = mutes_of(user=user)
    queue = unseen_queue(user=user)
    deck = candidates(user=user, mutes=mutes)
    if exclude is not None:
        queue, deck = queue.exclude(paper__in=exclude), deck.exclude(pk__in=exclude)
    # A few spare rows: a card muted since the queue was written is dropped below.
    ranked = list(queue.values_list("paper_id", flat=True)[: limit + 10])
    ids = ranked or list(deck.values_list("pk", flat=True)[:limit])
    papers = Paper.objects.select_related("primary_category").prefetch_related("categories").in_bulk(ids)
    return [papers[pk] for pk in ids if pk in papers and not (ranked and is_muted(papers[pk], mutes))][:limit]
