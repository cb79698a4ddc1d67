"""Reads of the deck: its candidates in order, the next cards, the progress line, the history."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone

from accounts.models import User
from papers.models import Category, Paper
from papers.names import fold_text, has_name, name_pattern
from papers.search import CONFIG
from paperswipe.cache import forget

from .compiled_sql import CompiledQueries, fetch_one
from .models import (
    DeckCard,
    DeckSettings,
    DigestSent,
    DigestSubscription,
    ForgottenFeature,
    Interest,
    Postponed,
    QueueStamp,
    ReaderModel,
    SeedPaper,
    Swipe,
)

CARDS_PER_BATCH = 5
COUNT_CAP = 1000


def followed_ids(*, user: User) -> list[int]:
    return list(user.followed_categories.values_list("pk", flat=True))


@dataclass(frozen=True)
class DeckScope:
    """What a reader's deck may show (followed categories, mutes, deck settings): every deck request needs
    it, so it is read from the cache. Not the reader's model, which is ranker.TasteModel."""

    followed: list[int]
    mutes: list[Interest]
    settings: DeckSettings | None


SCOPE_TTL = 120  # a change clears it at once (forget_scope); the expiry bounds a race with a slow read


def _scope_key(user_id: int) -> str:
    return f"deck:scope:{user_id}"


def scope_of(*, user: User) -> DeckScope:
    """Followed categories, mutes and deck settings: three queries on a miss, none on a hit."""
    reader = cache.get(_scope_key(user.pk))
    if reader is None:
        settings = DeckSettings.objects.filter(user=user).first()
        reader = DeckScope(followed=followed_ids(user=user), mutes=mutes_of(user=user), settings=settings)
        cache.set(_scope_key(user.pk), reader, SCOPE_TTL)
    user._deck_settings_read = reader.settings  # type: ignore[attr-defined]
    return reader


def scopes_of(*, users: list[User]) -> dict[int, DeckScope]:
    """`scope_of` for a batch of users (a merge task's followers): one cache round trip, and on misses three
    queries for all of them."""
    found = cache.get_many([_scope_key(user.pk) for user in users])
    readers = {user.pk: found[_scope_key(user.pk)] for user in users if _scope_key(user.pk) in found}
    if missing := [user.pk for user in users if user.pk not in readers]:
        followed: dict[int, list[int]] = {pk: [] for pk in missing}
        for user_id, category_id in User.followed_categories.through.objects.filter(user_id__in=missing).values_list(
            "user_id", "category_id"
        ):
            followed[user_id].append(category_id)
        mutes: dict[int, list[Interest]] = {pk: [] for pk in missing}
        for interest in Interest.objects.filter(user_id__in=missing, stance=Interest.Stance.MUTE):
            mutes[interest.user_id].append(interest)
        settings = {s.user_id: s for s in DeckSettings.objects.filter(user_id__in=missing)}
        made = {pk: DeckScope(followed=followed[pk], mutes=mutes[pk], settings=settings.get(pk)) for pk in missing}
        cache.set_many({_scope_key(pk): reader for pk, reader in made.items()}, SCOPE_TTL)
        readers |= made
    return readers


def forget_scope(user_id: int) -> None:
    """Called by every write that changes a DeckScope."""
    forget(_scope_key(user_id))


def unseen(papers: QuerySet[Paper], *, user: User) -> QuerySet[Paper]:
    """Papers the user has not decided on: NOT EXISTS on the (paper, user) index."""
    return papers.filter(~Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk"))))


def candidates(
    *, user: User, followed: list[int] | None = None, mutes: list[Interest] | None = None
) -> QuerySet[Paper]:
    """The deck before ranking: unseen papers of the followed categories, never a muted one, newest first.

    `followed` saves a query when the caller has the ids. The ranker (deck/ranking/queues.py) orders these,
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
    """The papers an interest is about: an author by name (papers/names.py), a keyword as words of the
    title or abstract, a category."""
    if interest.kind == Interest.Kind.AUTHOR:
        return Q(author_keys__regex=name_pattern(interest.value))
    if interest.kind == Interest.Kind.KEYWORD:
        return _keyword_in_title_or_abstract(interest.value)
    return Q(Exists(Paper.categories.through.objects.filter(paper=OuterRef("pk"), category__code=interest.value)))


VECTOR = SearchVectorField()
# What the text search parser drops from a keyword: "c++" is the word "c" to it, "[x]" the word "x".
SYMBOLS = re.compile(r"[^\w\s'-]")


def _keyword_in_title_or_abstract(keyword: str) -> Q:
    """Whole words, several of them as a phrase: "ion" never matches "fusion".

    PostgreSQL asks the stored search vector, so the GIN index answers, and it matches English word forms
    (stemming: "ion" also finds "ions"). A keyword of stop words only ("about") has no lexemes to look
    up: a word-boundary expression reads the text instead. SQLite (the embedded default) has no search
    vector: the expression there, exact words, any case.
    """
    if connection.vendor != "postgresql":
        return _keyword_in_text(keyword)
    return _keyword_in_vector(keyword) | _keyword_in_text(keyword, only_stop_words=True)


def _keyword_in_vector(keyword: str) -> Q:
    """The phrase in the search vector, rechecked on the title (A) and abstract (C) weights only, not the
    authors (B). Empty for a keyword of stop words only: the keyword is a constant, so PostgreSQL drops
    this branch or the other (`_keyword_in_text`) while planning, and it costs nothing."""
    query = _phrase(keyword)
    title_and_abstract = Func(F("search_vector"), template="ts_filter(%(expressions)s, '{a,c}')", output_field=VECTOR)
    in_vector = Q(search_vector=query) & Q(SearchVectorExact(title_and_abstract, query))
    if SYMBOLS.search(keyword):
        in_vector &= _keyword_in_text(keyword)  # the index finds "c", the text says whether it was "c++"
    return Q(GreaterThan(_lexemes(query), 0)) & in_vector


def _keyword_in_text(keyword: str, *, only_stop_words: bool = False) -> Q:
    words = keyword_regex(keyword)
    in_text = Q(title__iregex=words) | Q(abstract__iregex=words)
    return Q(Exact(_lexemes(_phrase(keyword)), 0)) & in_text if only_stop_words else in_text


def _phrase(keyword: str) -> SearchQuery:
    return SearchQuery(keyword, search_type="phrase", config=CONFIG)


def _lexemes(query: SearchQuery) -> Func:
    return Func(query, function="numnode", output_field=IntegerField())


def keyword_regex(keyword: str) -> str:
    """The keyword's words, in order, each whole: one expression for Python's `re` (SQLite's REGEXP) and
    PostgreSQL alike, so no `\\b` (a backspace in PostgreSQL) but `\\W` and the anchors."""
    words = r"\W+".join(re.escape(word) for word in keyword.split())
    return rf"(?:^|\W){words}(?:\W|$)"


def without_muted(papers: QuerySet[Paper], *, mutes: list[Interest]) -> QuerySet[Paper]:
    for mute in mutes:
        if mute.kind == Interest.Kind.KEYWORD and connection.vendor == "postgresql":
            # An anti-join, so that the planner may have the index list the papers with the words rather
            # than read each candidate's search vector. The text branch stays a plain NOT: as an anti-join
            # the planner would run the expression over the whole catalog (it cannot estimate its cost).
            in_vector = Paper.objects.filter(_keyword_in_vector(mute.value), pk=OuterRef("pk"))
            papers = papers.exclude(Exists(in_vector)).exclude(_keyword_in_text(mute.value, only_stop_words=True))
        else:
            papers = papers.exclude(matching(mute))
    return papers


@dataclass(frozen=True)
class MuteEffect:
    """What one mute keeps out of the reader's deck now."""

    interest: Interest
    hidden: int
    # The count covers only the newest this many unseen papers (the reader has more), or all when None.
    of_newest: int | None

    @property
    def text(self) -> str:
        if self.of_newest is not None:
            return f"hides {self.hidden:,} of your newest {self.of_newest:,} unseen papers"
        if self.hidden == 0:
            return "hides no unseen papers"
        return f"hides {self.hidden:,} unseen paper{'' if self.hidden == 1 else 's'}"


def hidden_by_mutes(*, user: User, followed: list[int], mutes: list[Interest]) -> list[MuteEffect]:
    """How many unseen papers each mute keeps out of the deck, all in one query.

    Unseen as in `candidates`: the followed categories, no decision, the wanted kinds. Each mute counts on
    its own (a paper two mutes cover counts for both), over the newest COUNT_CAP of them, so that the
    settings page reads a bounded number of rows however long the reader's backlog.
    """
    if not mutes or not followed:
        return [MuteEffect(interest=mute, hidden=0, of_newest=None) for mute in mutes]
    unseen_papers = only_wanted_kinds(unseen(Paper.objects.in_categories(followed), user=user), user=user)
    newest = unseen_papers.order_by("-listed_at", "-id").values("pk")[:COUNT_CAP]
    counts = Paper.objects.filter(pk__in=newest).aggregate(
        counted=Count("pk"), **{f"mute_{mute.pk}": Count("pk", filter=matching(mute)) for mute in mutes}
    )
    of_newest = COUNT_CAP if counts["counted"] >= COUNT_CAP else None
    return [MuteEffect(interest=m, hidden=counts[f"mute_{m.pk}"], of_newest=of_newest) for m in mutes]


# Columns a card never shows: left unread, the search vector above all (the widest of the row). The paper
# a "why" line names shows only its title and address.
UNSHOWN = ("search_vector", "authors_text", "comment", "journal_ref", "license", "created_at", "modified_at")
REASON_UNSHOWN = (*UNSHOWN, "abstract", "authors", "author_keys", "doi", "announced_on", "listed_at", "updated")


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
    the queue row with "why this card", or None. Their categories are not read: a card's stencil shows them
    (deck/templatetags/deck_cards.py), and reads them only when it is rendered.
    """
    exclude = list(exclude)
    mutes = mutes_of(user=user) if mutes is None else mutes
    queue = unseen_queue(user=user).exclude(paper__in=exclude)
    # With mutes, a few spare rows: a card muted since the queue was written is dropped below. The queue
    # rows are picked narrow, in a subquery (the planner would otherwise join every queued paper's wide
    # row and sort them all); the papers of the picked rows come in the same query.
    picked = Subquery(queue.values("pk")[: count * 3 if mutes else count])
    ranked = list(
        DeckCard.objects.filter(pk__in=picked)
        .order_by("rank")
        .select_related("paper", "reason_paper")
        .defer(*(f"paper__{name}" for name in UNSHOWN), *(f"reason_paper__{name}" for name in REASON_UNSHOWN))
    )
    if ranked:
        if any(mute.kind == Interest.Kind.CATEGORY for mute in mutes):
            prefetch_related_objects([row.paper for row in ranked], "categories")
        cards = [row.paper for row in ranked if not is_muted(row.paper, mutes)][:count]
        why = {row.paper_id: row for row in ranked}
    else:
        deck = candidates(user=user, followed=followed, mutes=mutes).exclude(pk__in=exclude)
        deck = deck.filter(~Exists(_put_off(user, "pk")))
        # The walk past decided papers reads only indexes (the ids, in a subquery); then the few rows.
        top = deck.values("pk")[:count]
        cards = list(Paper.objects.filter(pk__in=top).defer(*UNSHOWN).order_by("-listed_at", "-id"))
        why = {}
    if first and (undone := candidates(user=user, followed=followed, mutes=mutes).filter(arxiv_id=first).first()):
        cards = [undone, *[c for c in cards if c.pk != undone.pk]][:count]
    for card in cards:
        card.deck_card = why.get(card.pk)  # type: ignore[attr-defined]
    return cards


def unseen_queue(*, user: User) -> QuerySet[DeckCard]:
    """The ranked queue, less what was decided since it was built (a decision also deletes its row) and what
    the reader put off until later ("Not now": its row stays, and shows again when the time comes)."""
    decided = Swipe.objects.filter(user=user, paper=OuterRef("paper"))
    return (
        DeckCard.objects.filter(user=user).filter(~Exists(decided), ~Exists(_put_off(user, "paper"))).order_by("rank")
    )


def _put_off(user: User, paper: str) -> QuerySet[Postponed]:
    return Postponed.objects.filter(user=user, paper=OuterRef(paper), until__gt=timezone.now())


def is_muted(paper: Paper, mutes: list[Interest]) -> bool:
    """The rules of `matching`, on a paper in hand: for the few cards read from the queue, which a rerank
    that started before a mute may have written. Authors match exactly as in SQL (the same pattern on the
    same keys); keywords as whole words with case and accents folded, without PostgreSQL's stemming (the
    mute itself already took the queue rows its SQL matches out)."""
    return any(_matches_in_hand(paper, mute) for mute in mutes)


def _matches_in_hand(paper: Paper, interest: Interest) -> bool:
    if interest.kind == Interest.Kind.AUTHOR:
        return has_name(paper.author_keys, interest.value)
    if interest.kind == Interest.Kind.KEYWORD:
        return _mentions(paper, interest.value)
    return any(c.code.lower() == interest.value.lower() for c in paper.categories.all())


def _mentions(paper: Paper, keyword: str) -> bool:
    words = _folded_keyword_regex(keyword)
    return any(words.search(fold_text(text)) for text in (paper.title, paper.abstract))


@functools.lru_cache(maxsize=1024)  # the same few mutes are checked on every deck request
def _folded_keyword_regex(keyword: str) -> re.Pattern[str]:
    return re.compile(keyword_regex(fold_text(keyword)))


def has_decisions(*, user: User) -> bool:
    return Swipe.objects.filter(user=user).exists()


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    today: bool  # counting through the latest announcement rather than everything unseen

    @property
    def text(self) -> str:
        """Always what is left to read, so the unit stays when the day's announcement runs out."""
        papers = "paper" if self.total == 1 else "papers"
        if self.today:
            return f"{max(self.total - self.done, 0):,} of {self.total:,} new {papers} left today"
        if self.total > COUNT_CAP:
            return f"{COUNT_CAP:,}+ unseen papers left"
        return f"{self.total:,} unseen {papers} left"


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


# Per reader and scope; the figure it holds is in deck/compiled_sql.py.
_PROGRESS = CompiledQueries(size=4096)


@dataclass(frozen=True)
class DeckState:
    """What the deck's toolbar shows: the progress line, and whether Undo has anything to take back."""

    progress: Progress
    can_undo: bool


def progress(*, user: User, followed: list[int] | None = None, mutes: list[Interest] | None = None) -> Progress:
    return deck_state(user=user, followed=followed, mutes=mutes).progress


def deck_state(*, user: User, followed: list[int] | None = None, mutes: list[Interest] | None = None) -> DeckState:
    """The progress line and Undo's state in one query (every deck page and every decision asks for both):
    bounded counts of the latest announcement while it has unseen papers, else of everything unseen."""
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
    # Everything else the deck will show, of any date, counted up to one past the cap so that the count
    # never walks a big catalog.
    left_sql, left_params = _PROGRESS.sql(("left", *scope), lambda: deck().order_by().values("pk")[: COUNT_CAP + 1])
    swiped = lambda: Swipe.objects.filter(user=user).values("pk")[:1]  # noqa: E731
    swiped_sql, swiped_params = _PROGRESS.sql(("undo", user.pk), swiped)
    # A "Not now" still in force can be undone too; CURRENT_TIMESTAMP in the SQL keeps the compiled query good.
    put_off_sql, put_off_params = _PROGRESS.sql(
        ("put-off", user.pk), lambda: Postponed.objects.filter(user=user, until__gt=Now()).values("pk")[:1]
    )
    undo_sql = f"EXISTS ({swiped_sql}) OR EXISTS ({put_off_sql})"
    undo_params = (*swiped_params, *put_off_params)
    left = f"(SELECT COUNT(*) FROM ({left_sql}) AS deck)"  # noqa: S608 (our own SQL, as each below)
    if not day:
        row = fetch_one(f"SELECT 0, 0, 1 = 0, {left}, {undo_sql}", (*left_params, *undo_params))
    else:
        decided = Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk")))
        day_sql, day_params = _PROGRESS.sql(
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
        # The line counts through the day while the deck shows it: the day has cards left, and no unseen
        # paper harvested since (not announced yet) comes first. That walk covers only papers newer than
        # the announcement, never the reader's whole history.
        newer_sql, newer_params = _PROGRESS.sql(
            ("newer", day, *scope),
            lambda: deck().filter(listed_at__gt=RawSQL("day.newest", ())).exclude(announced_on=day).values("pk")[:1],
        )
        # A subquery of a CASE runs only when its branch is taken: the count of everything unseen only when
        # the day's line does not apply, the walk past the day only when the day has cards left. Plain SQL
        # that SQLite (the embedded default) runs too.
        # The walk is a scalar subquery, not an EXISTS: PostgreSQL drops an EXISTS's ORDER BY and LIMIT, and
        # would then read the whole catalog for it rather than the newest papers down the deck's index.
        today_sql = f"CASE WHEN day.done < day.total THEN ({newer_sql}) IS NULL ELSE 1 = 0 END"
        row = fetch_one(
            f"SELECT total, done, today, CASE WHEN today THEN 0 ELSE {left} END, {undo_sql}"  # noqa: S608
            f" FROM (SELECT COALESCE(day.total, 0) AS total, COALESCE(day.done, 0) AS done, {today_sql} AS today"
            f" FROM (SELECT 1) AS one LEFT JOIN ({day_sql}) AS day ON 1 = 1) AS state",
            (*left_params, *undo_params, *newer_params, *day_params),
        )
    total, done, today, unseen_left, can_undo = row or (0, 0, False, 0, False)
    state = Progress(done=done, total=total, today=True) if today else Progress(done=0, total=unseen_left, today=False)
    return DeckState(progress=state, can_undo=bool(can_undo))


def history(*, user: User, decision: str = "") -> QuerySet[Swipe]:
    swipes = Swipe.objects.filter(user=user).select_related("paper__primary_category").order_by("-created_at", "-id")
    return swipes.filter(decision=decision) if decision else swipes


def decisions_on(*, user: User, paper_ids: Iterable[int]) -> dict[int, str]:
    return dict(Swipe.objects.filter(user=user, paper_id__in=list(paper_ids)).values_list("paper_id", "decision"))


def decisions_for_export(user: User) -> list[dict[str, Any]]:
    """The deck's part of "Download my data": each decision with how its card was served, when the deck did."""
    fields = ["paper__arxiv_id", "decision", "source", "created_at", "origin", "served_rank", "served_score"]
    fields += ["served_exploring", "served_reason", "served_reason_paper__arxiv_id", "model_version"]
    rows = Swipe.objects.filter(user=user).order_by("created_at").values_list(*fields)
    return [
        {"arxiv_id": arxiv_id, "decision": decision, "source": source, "at": at.isoformat(), "shown_in": origin}
        | (
            {
                "served": {
                    "rank": rank,
                    "predicted_keep": score,
                    "exploring": exploring,
                    "reason": reason,
                    "like_kept_paper": like,
                    "model_version": version,
                }
            }
            if exploring is not None
            else {}
        )
        for arxiv_id, decision, source, at, origin, rank, score, exploring, reason, like, version in rows
    ]


def interests_for_export(user: User) -> list[dict[str, Any]]:
    """Follows and mutes, in "Download my data"."""
    return [
        {"kind": kind, "value": value, "stance": stance, "created_at": at.isoformat()}
        for kind, value, stance, at in Interest.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list("kind", "value", "stance", "created_at")
    ]


def seeds_for_export(user: User) -> list[dict[str, Any]]:
    """The papers the reader wrote or liked, in "Download my data"."""
    return [
        {"arxiv_id": arxiv_id, "added_at": at.isoformat()}
        for arxiv_id, at in SeedPaper.objects.filter(user=user)
        .order_by("added_at", "pk")
        .values_list("paper__arxiv_id", "added_at")
    ]


def deck_settings_for_export(user: User) -> dict[str, Any] | None:
    """The kinds the deck shows, and whether a private feed address exists: never the address itself,
    which reads the deck without a sign-in (a downloaded file is not where such a key should travel)."""
    row = DeckSettings.objects.filter(user=user).first()
    if row is None:
        return None
    return {
        "include_cross_lists": row.include_cross_lists,
        "include_replacements": row.include_replacements,
        "private_feed": bool(row.feed_token),
        "learning_paused": row.learning_paused,
        "learning_since": row.learning_since.isoformat() if row.learning_since else None,
        "forgotten": [
            {"kind": kind, "value": value, "since": at.isoformat()}
            for kind, value, at in ForgottenFeature.objects.filter(user=user).values_list("kind", "value", "created_at")
        ],
    }


def queue_for_export(user: User) -> dict[str, Any]:
    """The ranked deck the ranker built from the reader's decisions, with its reasons, in "Download my data"."""
    built = QueueStamp.objects.filter(user=user).values_list("built_from", flat=True).first()
    cards = DeckCard.objects.filter(user=user).order_by("rank")
    return {
        "built_from": built.isoformat() if built else None,
        "cards": [
            {
                "rank": rank,
                "arxiv_id": arxiv_id,
                "score": score,
                "exploring": exploring,
                "reason": reason,
                "like_kept_paper": like,
            }
            for rank, (arxiv_id, score, exploring, reason, like) in enumerate(
                cards.values_list("paper__arxiv_id", "score", "exploring", "reason", "reason_paper__arxiv_id")
            )
        ],
    }


def digests_sent_for_export(user: User) -> list[dict[str, Any]]:
    """Each digest the reader was sent, with its papers, in "Download my data"."""
    sent = DigestSent.objects.filter(user=user).order_by("sent_at", "pk").prefetch_related("papers")
    return [
        {
            "period": digest.period,
            "sent_at": digest.sent_at.isoformat(),
            "papers": sorted(paper.arxiv_id for paper in digest.papers.all()),
        }
        for digest in sent
    ]


def reader_model_for_export(user: User) -> dict[str, Any] | None:
    """What the deck learned of the reader, in "Download my data": its size and when, not the weights (a
    million numbers that mean nothing outside the ranker)."""
    model = ReaderModel.objects.filter(user=user).first()
    if model is None:
        return None
    return {
        "version": model.version,
        "keeps_learned": model.keeps,
        "skips_learned": model.skips,
        "refitted_at": model.refit_at.isoformat() if model.refit_at else None,
        "features_weighted": len(model.features) // 12,
    }


def digest_for_export(user: User) -> dict[str, Any] | None:
    """The digest settings, in "Download my data"."""
    row = DigestSubscription.objects.filter(user=user).values("frequency", "size", "hour", "weekday").first()
    return dict(row) if row else None


def seeds_of(*, user: User) -> QuerySet[SeedPaper]:
    return SeedPaper.objects.filter(user=user).select_related("paper").order_by("-added_at")


TRENDING_WINDOW = timedelta(days=7)
# A public count of readers never goes below this: "kept by 1 reader" is that reader, to anyone who
# knows what they read; three is a crowd.
MIN_READERS = 3


def trending(*, category: Category | None = None, limit: int = 25) -> list[Paper]:
    """The papers most kept in the last week, each with `keeps`: counts only, never who kept them, and
    only papers at least MIN_READERS distinct readers kept."""
    keeps = Swipe.objects.filter(decision=Swipe.Decision.KEEP, created_at__gte=timezone.now() - TRENDING_WINDOW)
    if category is not None:
        keeps = keeps.filter(paper__categories=category)
    readers = keeps.values("paper").annotate(n=Count("user", distinct=True)).filter(n__gte=MIN_READERS)
    top = list(readers.order_by("-n", "-paper")[:limit])
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


TRIAL_CARDS = 8


def trial_papers(*, count: int = TRIAL_CARDS) -> list[Paper]:
    """The newest papers of the offered categories, as the public trial deck and the front door show them:
    the same for every visitor, so the pages can be cached."""
    offered = Category.objects.offered()
    newest = Paper.objects.filter(primary_category__in=offered).exclude(announce_type__startswith="replace")
    newest = newest.select_related("primary_category").prefetch_related("categories")
    return list(newest.order_by("-listed_at", "-pk")[:count])
