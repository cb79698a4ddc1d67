"""How much the deck's ranking helps one reader, measured on their own decisions (/stats/).

One card in five of the deck is drawn at random from outside the predicted top (`ranker.order`): those
exploring cards are a control built into every deck. The ranked cards' keep rate over the exploring ones'
is the lift; its 95 % interval is Katz's log interval for a ratio of two proportions (Katz et al., 1978),
with half a count added to each cell when one rate is zero (the ratio is then still finite and wide).
Only decisions on cards the ranked queue served count (deck/serving_log.py): other pages, the trial deck
and the deck's first cards, before it had a queue, had no ranker to judge; nor had the first deck's
teaching picks, chosen to cover the reader's topics (`ranker.teaching_picks`), so they count on neither side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from accounts.models import User

from .models import Swipe
from .ranking.queues import TEACHING

# Below these the interval is too wide to say anything: at 100 and 25 cards, with 30 % and 8 % kept, it
# spans about 2 to 7 times. A reader reaches them after about 125 decisions in the deck.
MIN_RANKED = 100
MIN_EXPLORING = 25
Z_95 = 1.959964
TIMES = "\N{MULTIPLICATION SIGN}"
TO = "\N{EN DASH}"


def percent(part: int, whole: int) -> int:
    """A whole percentage, halves rounded up (Python's round() would round 12.5 % to 12)."""
    if whole <= 0:
        return 0
    return (200 * part + whole) // (2 * whole)


@dataclass(frozen=True)
class Lift:
    """Ranked against exploring cards over one stretch of time (all time, or one month)."""

    ranked: int = 0
    ranked_kept: int = 0
    exploring: int = 0
    exploring_kept: int = 0
    month: date | None = None

    @property
    def ready(self) -> bool:
        return self.ranked >= MIN_RANKED and self.exploring >= MIN_EXPLORING

    @property
    def ranked_percent(self) -> int:
        return percent(self.ranked_kept, self.ranked)

    @property
    def exploring_percent(self) -> int:
        return percent(self.exploring_kept, self.exploring)

    @property
    def estimate(self) -> tuple[float, float, float] | None:
        """The ratio of keep rates and its 95 % interval (Katz log), or None before both counts are there."""
        if not self.ready:
            return None
        a, n1, b, n2 = float(self.ranked_kept), float(self.ranked), float(self.exploring_kept), float(self.exploring)
        if a == 0 or b == 0:  # a zero rate: half a count in each cell keeps the log finite
            a, n1, b, n2 = a + 0.5, n1 + 1, b + 0.5, n2 + 1
        ratio = (a / n1) / (b / n2)
        spread = Z_95 * math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
        return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)

    @property
    def sentence(self) -> str:
        """'Ranked cards are 3.9 times as likely to be kept (95% interval 2.3 to 6.8 times).', in signs, or what
        it cannot say yet."""
        estimate = self.estimate
        if estimate is None:
            return "Not enough decisions yet."
        ratio, low, high = estimate
        interval = f"95% interval {low:.1f}{TO}{high:.1f}{TIMES}"
        said = f"Ranked cards are {ratio:.1f}{TIMES} as likely to be kept ({interval})."
        if low <= 1 <= high:
            return f"{said} That is not yet told apart from chance."
        if high < 1:
            return f"{said} The ranking is doing worse than chance for you: tell us, and see what it learned."
        return said

    @property
    def needed(self) -> str:
        """What is missing, in decisions: "38 more ranked cards and 7 more exploring ones"."""
        parts = []
        if self.ranked < MIN_RANKED:
            parts.append(f"{MIN_RANKED - self.ranked} more ranked cards")
        if self.exploring < MIN_EXPLORING:
            parts.append(f"{MIN_EXPLORING - self.exploring} more exploring ones")
        return " and ".join(parts)


@dataclass(frozen=True)
class LiftReport:
    overall: Lift
    months: tuple[Lift, ...]  # the newest month first


def lift_of(*, user: User) -> LiftReport:
    """The lift over all time and per month (in the reader's time zone), in one grouped query."""
    served = Swipe.objects.filter(user=user, served_exploring__isnull=False).exclude(served_reason=TEACHING)
    rows = (
        served.annotate(month=TruncMonth("created_at", tzinfo=user.zone))
        .values("month", "served_exploring")
        .annotate(n=Count("pk"), kept=Count("pk", filter=Q(decision=Swipe.Decision.KEEP)))
        .order_by()
    )
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        month = row["month"].date()
        kind = "exploring" if row["served_exploring"] else "ranked"
        cell = counts.setdefault(month, {})
        cell[kind], cell[f"{kind}_kept"] = row["n"], row["kept"]
    months = tuple(Lift(month=month, **counts[month]) for month in sorted(counts, reverse=True))
    overall = Lift(
        ranked=sum(m.ranked for m in months),
        ranked_kept=sum(m.ranked_kept for m in months),
        exploring=sum(m.exploring for m in months),
        exploring_kept=sum(m.exploring_kept for m in months),
    )
    return LiftReport(overall=overall, months=months)
