"""The reader's own numbers for /stats/: decisions per day, keep rates, the streak, the time to clear a
day's deck and what the learning changed.

Everything is counted by the database (a handful of grouped queries, however many decisions there are);
Python only walks the grouped rows, at most 90 day slots and 400 announcement days. The chart's geometry
is computed here, as integers, so that the template emits numbers and never markup.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, FilteredRelation, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from papers.models import Paper

from .lift import TIMES, Lift, LiftReport, lift_of, percent
from .models import Swipe
from .selectors import mutes_of, only_wanted_kinds, without_muted

CHART_DAYS = 90
TOP_CATEGORIES = 15
STREAK_LOOKBACK_DAYS = 400
CLEAR_TIME_DAYS = 90
# The first decisions were made while the ranker knew nothing; the latest ones show what it learned.
FIRST_DECISIONS = 20
LATER_DECISIONS = 50
LATER_NEEDED = 20

# The chart in viewBox units. Integers throughout: a number in an SVG attribute must never meet a locale's
# decimal comma.
SLOT_WIDTH = 10
BAR_WIDTH = 8
PLOT_TOP = 24
PLOT_HEIGHT = 180
PLOT_BOTTOM = PLOT_TOP + PLOT_HEIGHT
CHART_WIDTH = CHART_DAYS * SLOT_WIDTH
CHART_HEIGHT = PLOT_BOTTOM + 26
# arXiv announces nothing on weekends and over a few holidays: a streak reaching this close to the start
# of the look-back may well go on before it.
STREAK_EDGE = timedelta(days=7)


def humanize(duration: timedelta) -> str:
    """Say a duration as "4 min", "1 h 10 min" or "2 d 3 h": as precise as a reader cares about."""
    seconds = max(0, int(duration.total_seconds()))
    if seconds < 60:
        return "under 1 min"
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class DaySlot:
    """One local day of the chart, with its bar's geometry (heights are 0 on a day without decisions)."""

    day: date
    kept: int
    skipped: int
    x: int
    kept_y: int
    kept_height: int
    skipped_y: int
    skipped_height: int

    @property
    def total(self) -> int:
        return self.kept + self.skipped

    @property
    def label(self) -> str:
        return f"{self.day.day} {self.day:%b}: {self.kept} kept, {self.skipped} skipped"


@dataclass(frozen=True)
class AxisTick:
    x: int
    label: str
    # A month starting in the last few slots is labelled leftwards, so that the label stays inside the chart.
    anchor: str = "start"


@dataclass(frozen=True)
class DayChart:
    """Keeps and skips per local day, the oldest of the 90 days first and today last."""

    slots: tuple[DaySlot, ...]
    ticks: tuple[AxisTick, ...]
    peak: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bar_width: int = BAR_WIDTH
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM

    @property
    def busy(self) -> list[DaySlot]:
        return [slot for slot in self.slots if slot.total]

    @property
    def decisions(self) -> int:
        return sum(slot.total for slot in self.slots)

    @property
    def description(self) -> str:
        """The chart in one sentence, for screen readers (the aria-label)."""
        busy = self.busy
        if not busy:
            return f"Decisions per day over the last {len(self.slots)} days: none."
        days = "day" if len(busy) == 1 else "days"
        return (
            f"Decisions per day over the last {len(self.slots)} days: {self.decisions} decisions on "
            f"{len(busy)} {days}, at most {self.peak} on one day."
        )


@dataclass(frozen=True)
class CategoryRate:
    code: str
    name: str
    decided: int
    kept: int

    @property
    def percent(self) -> int:
        return percent(self.kept, self.decided)


@dataclass(frozen=True)
class Streak:
    """Consecutive cleared announcement days, the most recent first."""

    days: int = 0
    # The latest announcement day, not cleared yet: the reader still has it, so the count starts before it.
    pending: date | None = None
    # The streak runs back to where we stop looking, so it may be longer.
    at_least: bool = False
    lookback_days: int = STREAK_LOOKBACK_DAYS


@dataclass(frozen=True)
class ClearTime:
    median: timedelta | None = None
    cleared_days: int = 0

    @property
    def text(self) -> str:
        return humanize(self.median) if self.median is not None else "—"


@dataclass(frozen=True)
class Learning:
    """The keep rate of the first decisions against the latest ones (never the same decision twice)."""

    first_count: int = 0
    first_kept: int = 0
    later_count: int = 0
    later_kept: int = 0

    @property
    def ready(self) -> bool:
        return self.first_count == FIRST_DECISIONS and self.later_count >= LATER_NEEDED

    @property
    def needed(self) -> int:
        """How many more decisions until the comparison means something."""
        return max(0, FIRST_DECISIONS + LATER_NEEDED - self.first_count - self.later_count)

    @property
    def first_percent(self) -> int:
        return percent(self.first_kept, self.first_count)

    @property
    def later_percent(self) -> int:
        return percent(self.later_kept, self.later_count)

    @property
    def ratio(self) -> float | None:
        """Later keep rate over first keep rate; None when the first one was 0 %."""
        if not self.ready or self.first_kept == 0:
            return None
        return (self.later_kept * self.first_count) / (self.later_count * self.first_kept)

    @property
    def change(self) -> str:
        if not self.ready:
            return ""
        ratio = self.ratio
        if ratio is not None:
            return f"{ratio:.1f}{TIMES} as many keeps"
        # From 0 % any rise is "infinitely many times": points say it plainly.
        points = self.later_percent - self.first_percent
        return f"{points:+d} percentage points"


@dataclass(frozen=True)
class ReaderStats:
    decisions: int
    keeps: int = 0
    skips: int = 0
    zone_name: str = "UTC"
    today: date | None = None
    chart: DayChart | None = None
    categories: tuple[CategoryRate, ...] = ()
    streak: Streak = field(default_factory=Streak)
    clearing: ClearTime = field(default_factory=ClearTime)
    learning: Learning = field(default_factory=Learning)
    lift: LiftReport = field(default_factory=lambda: LiftReport(overall=Lift(), months=()))

    @property
    def keep_percent(self) -> int:
        return percent(self.keeps, self.decisions)


def stats_of(*, user: User, now: datetime | None = None) -> ReaderStats:
    """All of /stats/ in at most nine queries; a reader without decisions costs one."""
    zone = user.zone
    today = (now or timezone.now()).astimezone(zone).date()
    swipes = Swipe.objects.filter(user=user)
    totals = swipes.aggregate(decisions=Count("pk"), keeps=Count("pk", filter=Q(decision=Swipe.Decision.KEEP)))
    if not totals["decisions"]:
        return ReaderStats(decisions=0, zone_name=str(zone), today=today)
    streak, clearing = _streak_and_clearing(user=user, today=today)
    return ReaderStats(
        decisions=totals["decisions"],
        keeps=totals["keeps"],
        skips=totals["decisions"] - totals["keeps"],
        zone_name=str(zone),
        today=today,
        chart=_day_chart(user=user, today=today),
        categories=_category_rates(user=user),
        streak=streak,
        clearing=clearing,
        learning=_learning(user=user, decisions=totals["decisions"]),
        lift=lift_of(user=user),
    )


def _day_chart(*, user: User, today: date) -> DayChart:
    zone = user.zone
    first_day = today - timedelta(days=CHART_DAYS - 1)
    # A day early on the index: local midnight can fall in a DST gap; the day filter then cuts exactly.
    since = datetime.combine(first_day, time.min, tzinfo=zone) - timedelta(days=1)
    rows = (
        Swipe.objects.filter(user=user, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .filter(day__gte=first_day, day__lte=today)
        .values("day")
        .annotate(
            kept=Count("pk", filter=Q(decision=Swipe.Decision.KEEP)),
            skipped=Count("pk", filter=Q(decision=Swipe.Decision.SKIP)),
        )
        .order_by()
    )
    counts = {row["day"]: (row["kept"], row["skipped"]) for row in rows}
    peak = max((kept + skipped for kept, skipped in counts.values()), default=0)
    slots = []
    ticks = []
    for index in range(CHART_DAYS):
        day = first_day + timedelta(days=index)
        kept, skipped = counts.get(day, (0, 0))
        x = index * SLOT_WIDTH + (SLOT_WIDTH - BAR_WIDTH) // 2
        kept_height = _bar_height(kept, peak)
        skipped_height = _bar_height(skipped, peak)
        slots.append(
            DaySlot(
                day=day,
                kept=kept,
                skipped=skipped,
                x=x,
                kept_y=PLOT_BOTTOM - kept_height,
                kept_height=kept_height,
                skipped_y=PLOT_BOTTOM - kept_height - skipped_height,
                skipped_height=skipped_height,
            )
        )
        if day.day == 1:
            anchor = "end" if index >= CHART_DAYS - 3 else "start"
            ticks.append(AxisTick(x=index * SLOT_WIDTH, label=f"{day:%b}", anchor=anchor))
    return DayChart(slots=tuple(slots), ticks=tuple(ticks), peak=peak)


def _bar_height(count: int, peak: int) -> int:
    """A share of the plot's height; at least one unit, so that one decision next to a busy day shows."""
    if not count or not peak:
        return 0
    return max(1, round(PLOT_HEIGHT * count / peak))


def _category_rates(*, user: User) -> tuple[CategoryRate, ...]:
    rows = (
        Swipe.objects.filter(user=user, paper__primary_category__isnull=False)
        .values("paper__primary_category", "paper__primary_category__code", "paper__primary_category__name")
        .annotate(decided=Count("pk"), kept=Count("pk", filter=Q(decision=Swipe.Decision.KEEP)))
        .order_by("-decided", "paper__primary_category__code")[:TOP_CATEGORIES]
    )
    return tuple(
        CategoryRate(
            code=row["paper__primary_category__code"],
            name=row["paper__primary_category__name"],
            decided=row["decided"],
            kept=row["kept"],
        )
        for row in rows
    )


@dataclass(frozen=True)
class _DeckDay:
    """One announcement day of the reader's deck: its papers, those decided, the first and last decision."""

    day: date
    total: int
    done: int
    first: datetime | None
    last: datetime | None

    @property
    def cleared(self) -> bool:
        return self.done == self.total


def _streak_and_clearing(*, user: User, today: date) -> tuple[Streak, ClearTime]:
    """One grouped query over the announcement days of the last 400 days, newest first.

    Each day's deck is what the deck itself would show of that day: the followed categories, the wanted
    kinds, nothing muted. The reader's own swipe is joined on (paper, user), at most one row per paper,
    so one pass counts the day's papers, the decided ones and the first and last decision.
    """
    since = today - timedelta(days=STREAK_LOOKBACK_DAYS)
    papers = without_muted(
        only_wanted_kinds(Paper.objects.in_categories(user.followed_categories.values("pk")), user=user),
        mutes=mutes_of(user=user),
    )
    rows = (
        papers.filter(announced_on__gte=since)
        .annotate(mine=FilteredRelation("swipes", condition=Q(swipes__user=user)))
        .values("announced_on")
        .annotate(
            total=Count("pk"),
            done=Count("mine__pk"),
            first=Min("mine__created_at"),
            last=Max("mine__created_at"),
        )
        .order_by("-announced_on")
    )
    days = [
        _DeckDay(day=row["announced_on"], total=row["total"], done=row["done"], first=row["first"], last=row["last"])
        for row in rows
        if row["announced_on"] is not None  # never, past the filter; said for the type checker
    ]
    if not days:
        return Streak(), ClearTime()
    pending = days[0].day if not days[0].cleared else None
    counted = days[1:] if pending else days
    length = 0
    for deck_day in counted:
        if not deck_day.cleared:
            break
        length += 1
    reaches_back = bool(counted) and length == len(counted) and counted[-1].day - since <= STREAK_EDGE
    streak = Streak(days=length, pending=pending, at_least=reaches_back)

    recent = today - timedelta(days=CLEAR_TIME_DAYS - 1)
    durations = [
        (deck_day.last - deck_day.first).total_seconds()
        for deck_day in days
        if deck_day.day >= recent and deck_day.cleared and deck_day.first and deck_day.last
    ]
    median = timedelta(seconds=statistics.median(durations)) if durations else None
    return streak, ClearTime(median=median, cleared_days=len(durations))


def _learning(*, user: User, decisions: int) -> Learning:
    in_order = Swipe.objects.filter(user=user).values_list("decision", flat=True)
    first = list(in_order.order_by("created_at", "id")[:FIRST_DECISIONS])
    # The latest ones, but never one of the first: with 30 decisions the later part is the last 10.
    later_count = min(LATER_DECISIONS, max(0, decisions - FIRST_DECISIONS))
    later = list(in_order.order_by("-created_at", "-id")[:later_count]) if later_count else []
    return Learning(
        first_count=len(first),
        first_kept=first.count(Swipe.Decision.KEEP),
        later_count=len(later),
        later_kept=later.count(Swipe.Decision.KEEP),
    )
