"""What the deck shows besides the cards: a progress line that counts what the deck will show."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Subquery

from papers.models import Paper

from .models import Swipe, User

COUNT_CAP = 1000


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


def progress_for(user: User, followed: list[int] | None = None) -> Progress:
    """At most three bounded queries: the latest announcement, the next card, then one count."""
    if followed is None:
        followed = list(user.followed_categories.values_list("pk", flat=True))
    deck = Paper.objects.deck_for(user, followed)
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
