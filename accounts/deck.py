"""What the deck shows besides the cards: progress through the day's announcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from papers.models import Paper

from .models import User

COUNT_CAP = 1000
RECENT = timedelta(days=7)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    today: bool  # counting the latest announcement rather than everything unseen

    @property
    def text(self) -> str:
        if self.today:
            return f"{min(self.done + 1, self.total)} of {self.total} new in your categories"
        more = "+" if self.total >= COUNT_CAP else ""
        return f"{self.total}{more} unseen this week in your categories"


def progress_for(user: User, followed: list[int] | None = None) -> Progress:
    if followed is None:
        followed = list(user.followed_categories.values_list("pk", flat=True))
    in_followed = Paper.objects.in_categories(followed)
    # The latest announcement that reached these categories (today's, on a working day).
    day = (
        in_followed.filter(announced_on__isnull=False)
        .order_by("-announced_on")
        .values_list("announced_on", flat=True)
        .first()
    )
    if day:
        todays = in_followed.filter(announced_on=day)
        total = todays.count()
        if total:
            return Progress(done=todays.filter(swipes__user=user).count(), total=total, today=True)
    # No listing in these categories: count what is left from the last week, capped, so that the
    # count never walks a big catalog or a long history.
    recent = Paper.objects.filter(listed_at__gte=timezone.now() - RECENT)
    left = recent.in_categories(followed).unseen_by(user).values("pk")[:COUNT_CAP].count()
    return Progress(done=0, total=left, today=False)
