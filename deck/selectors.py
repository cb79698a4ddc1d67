"""Reads of the deck: its candidates in order, the next cards, the progress line, the history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery

from accounts.models import User
from papers.models import Paper

from .models import Swipe

CARDS_PER_BATCH = 5
COUNT_CAP = 1000


def followed_ids(*, user: User) -> list[int]:
    return list(user.followed_categories.values_list("pk", flat=True))


def unseen(papers: QuerySet[Paper], *, user: User) -> QuerySet[Paper]:
    """Papers the user has not decided on: NOT EXISTS on the (paper, user) index."""
    return papers.filter(~Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk"))))


def candidates(*, user: User, followed: list[int] | None = None) -> QuerySet[Paper]:
    """The deck: unseen papers of the followed categories, latest announcement first.

    The one place the deck's order is decided. `followed` saves a query when the caller has the ids.
    """
    if followed is None:
        followed = followed_ids(user=user)
    return unseen(Paper.objects.in_categories(followed), user=user).order_by("-listed_at", "-id")


def next_cards(
    *, user: User, exclude: Iterable[int] = (), first: str = "", followed: list[int] | None = None
) -> list[Paper]:
    """The next few cards, leaving out those the page holds; after an undo, `first` comes back on top."""
    deck = candidates(user=user, followed=followed).exclude(pk__in=list(exclude))
    # Ids first: the walk past decided papers then reads only indexes, never the wide paper rows.
    ids = list(deck.values_list("pk", flat=True)[:CARDS_PER_BATCH])
    by_id = Paper.objects.select_related("primary_category").prefetch_related("categories").in_bulk(ids)
    cards = [by_id[pk] for pk in ids]
    if first and (undone := deck.filter(arxiv_id=first).first()):
        cards = [undone, *[c for c in cards if c.pk != undone.pk]][:CARDS_PER_BATCH]
    return cards


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


def progress(*, user: User, followed: list[int] | None = None) -> Progress:
    """At most three bounded queries: the latest announcement, the next card, then one count."""
    if followed is None:
        followed = followed_ids(user=user)
    deck = candidates(user=user, followed=followed)
    in_followed = Paper.objects.in_categories(followed)
    day = (
        in_followed.filter(announced_on__isnull=False)
        .order_by("-announced_on")
        .values_list("announced_on", flat=True)
        .first()
    )
    if day:
        # Is the next card from that announcement? Its id walks the deck's index only, as the deck does.
        top = Paper.objects.filter(pk=Subquery(deck.values("pk")[:1])).values_list("announced_on", flat=True).first()
        if top == day:
            decided = Exists(Swipe.objects.filter(user=user, paper=OuterRef("pk")))
            counts = in_followed.filter(announced_on=day).aggregate(total=Count("pk"), done=Count("pk", filter=decided))
            return Progress(done=counts["done"], total=counts["total"], today=True)
    # Everything else the deck will show, of any date, counted up to one past the cap so that the count
    # never walks a big catalog.
    left = deck.order_by().values("pk")[: COUNT_CAP + 1].count()
    return Progress(done=0, total=left, today=False)


def history(*, user: User, decision: str = "") -> QuerySet[Swipe]:
    swipes = Swipe.objects.filter(user=user).select_related("paper").order_by("-created_at", "-id")
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
