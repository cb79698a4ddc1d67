"""What the deck shows besides the cards: progress through the day's announcement."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from papers.models import Paper

from .models import User

COUNT_CAP = 1000


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
        return f"{self.total}{more} unseen in your categories"


def progress_for(user: User, followed: list[int] | None = None) -> Progress:
    if followed is None:
        followed = list(user.followed_categories.values_list("pk", flat=True))
    day = Paper.objects.aggregate(day=Max("announced_on"))["day"]
    if day:
        todays = Paper.objects.in_categories(followed).filter(announced_on=day)
        total = todays.count()
        if total:
            return Progress(done=todays.filter(swipes__user=user).count(), total=total, today=True)
    # No listing yet: count what is left, capped so the count stays cheap on a big catalog.
    left = Paper.objects.in_categories(followed).unseen_by(user).values("pk")[:COUNT_CAP].count()
    return Progress(done=0, total=left, today=False)
