"""/stats/: decisions per local day, keep rates, the streak of cleared days, the time to clear a day and
what the learning changed, for a reader with nothing, with one day and with a year of decisions."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from deck.models import DeckSettings, Interest, Swipe
from deck.stats import TIMES, humanize, percent, stats_of
from papers.models import Paper

from ..factories import CategoryFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def topic():
    return CategoryFactory(code="test.ST", name="Statistics of tests")


@pytest.fixture
def reader(topic):
    user = UserFactory()
    user.followed_categories.add(topic)
    return user


def swipe(user, paper, decision, at):
    """One decision at a given moment (created_at is auto_now_add, so it is set afterwards)."""
    made = Swipe.objects.create(user=user, paper=paper, decision=decision)
    Swipe.objects.filter(pk=made.pk).update(created_at=at)
    return made


def bulk_papers(category, days, *, prefix):
    """Papers in one category, bulk-created: `days` is a list of announcement dates (or None), one per paper."""
    Paper.objects.bulk_create(
        Paper(
            arxiv_id=f"{prefix}.{i:05d}",
            version=1,
            title=f"Paper {prefix} {i}",
            primary_category=category,
            announced_on=day,
        )
        for i, day in enumerate(days)
    )
    papers = list(Paper.objects.filter(arxiv_id__startswith=f"{prefix}.").order_by("arxiv_id"))
    through = Paper.categories.through
    through.objects.bulk_create(through(paper_id=paper.pk, category_id=category.pk) for paper in papers)
    return papers


def bulk_swipes(user, decisions):
    """(paper, decision, at) triples, bulk-created and then dated in one bulk update."""
    swipes = Swipe.objects.bulk_create(
        Swipe(user=user, paper=paper, decision=decision) for paper, decision, _ in decisions
    )
    for made, (_, _, at) in zip(swipes, decisions, strict=True):
        made.created_at = at
    Swipe.objects.bulk_update(swipes, ["created_at"])
    return swipes


def sequence(user, category, decisions, *, start):
    """Decisions one minute apart, in the given order, each on a paper of its own."""
    papers = bulk_papers(category, [None] * len(decisions), prefix="9999")
    bulk_swipes(
        user,
        [
            (paper, decision, start + dt.timedelta(minutes=i))
            for i, (paper, decision) in enumerate(zip(papers, decisions, strict=True))
        ],
    )


# The login and the empty page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/stats/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_no_decisions_gives_a_friendly_page_without_a_chart(client, reader, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        stats = stats_of(user=reader)
    assert (stats.decisions, stats.keeps, stats.skips) == (0, 0, 0)
    assert stats.chart is None
    assert stats.categories == ()
    assert stats.streak.days == 0
    assert stats.clearing.text == "—"
    client.force_login(reader)
    response = client.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No decisions yet" in html
    assert f'href="{reverse("deck:deck")}"' in html
    assert "<svg" not in html
    assert "css/stats.css" in html


# One day


@pytest.fixture
def one_day(reader, topic):
    """Today's three papers in the followed category, all decided within four minutes (two kept), a
    muted one and one outside the followed categories, both undecided, and one old paper of another
    category, skipped today."""
    now = timezone.now()
    today = now.date()  # the reader's zone is UTC
    # Always on today, whenever the test runs; a decision a few minutes ahead of `now` changes nothing.
    start = dt.datetime.combine(today, dt.time(0, 1), tzinfo=UTC)
    todays = [PaperFactory(primary_category=topic, announced_on=today) for _ in range(3)]
    PaperFactory(primary_category=topic, announced_on=today, title="A muted subject")
    Interest.objects.create(user=reader, kind="keyword", value="muted subject", stance="mute")
    PaperFactory(primary_category=CategoryFactory(code="test.NF"), announced_on=today)
    other = PaperFactory(primary_category=CategoryFactory(code="test.OT", name="Other things"))
    swipe(reader, todays[0], "keep", start)
    swipe(reader, todays[1], "skip", start + dt.timedelta(minutes=1))
    swipe(reader, todays[2], "keep", start + dt.timedelta(minutes=4))
    swipe(reader, other, "skip", start + dt.timedelta(minutes=5))
    return now


def test_one_day_counts_rates_streak_and_time_to_clear(client, reader, one_day):
    stats = stats_of(user=reader, now=one_day)
    assert (stats.decisions, stats.keeps, stats.skips, stats.keep_percent) == (4, 2, 2, 50)
    slots = stats.chart.slots
    assert slots[-1].day == one_day.date()
    assert (slots[-1].kept, slots[-1].skipped) == (2, 2)
    assert sum(slot.total for slot in slots[:-1]) == 0
    assert [(c.code, c.kept, c.decided, c.percent) for c in stats.categories] == [
        ("test.ST", 2, 3, 67),
        ("test.OT", 0, 1, 0),
    ]
    # The muted paper and the unfollowed category's paper are not in the day's deck: the day is cleared.
    assert stats.streak.days == 1
    assert stats.streak.pending is None
    assert stats.clearing.median == dt.timedelta(minutes=4)
    assert stats.clearing.cleared_days == 1
    assert not stats.learning.ready
    assert stats.learning.needed == 36

    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert f"<title>{one_day.day} {one_day:%b}: 2 kept, 2 skipped</title>" in html
    assert html.count('<g class="bar">') == 1
    assert '<svg class="day-chart" viewBox="0 0 900 230" role="img" aria-label="' in html
    assert "<summary>Show as a table</summary>" in html
    assert re.search(r"<td>2/3</td>\s*<td class=\"rate\">.*?<rect class=\"fill\" width=\"67\"", html)
    assert "Statistics of tests" in html
    assert "4 min" in html
    assert "1 day<" in html
    assert "36 more decisions" in html


def test_a_day_with_a_paper_left_is_not_cleared_and_waits_as_the_latest(reader, topic, one_day):
    PaperFactory(primary_category=topic, announced_on=one_day.date())
    stats = stats_of(user=reader, now=one_day)
    assert stats.streak.days == 0
    assert stats.streak.pending == one_day.date()
    assert stats.clearing.median is None
    assert stats.clearing.text == "—"


def test_a_day_with_a_left_out_kind_undecided_is_cleared(reader, topic, one_day):
    """The day's deck is what the deck shows: a cross-list the reader left out does not hold the day."""
    PaperFactory(primary_category=topic, announced_on=one_day.date(), announce_type="cross")
    assert stats_of(user=reader, now=one_day).streak.pending == one_day.date()
    DeckSettings.objects.create(user=reader, include_cross_lists=False)
    reader = type(reader).objects.get(pk=reader.pk)  # the deck settings are read once per user object
    stats = stats_of(user=reader, now=one_day)
    assert stats.streak.pending is None
    assert stats.streak.days == 1


def test_only_old_decisions_draw_no_empty_chart(client, reader, topic):
    swipe(reader, PaperFactory(primary_category=topic), "keep", timezone.now() - dt.timedelta(days=120))
    stats = stats_of(user=reader)
    assert stats.decisions == 1
    assert len(stats.chart.slots) == 90
    assert stats.chart.busy == []
    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "No decisions in the last 90 days" in html
    assert 'class="day-chart"' not in html
    assert "test.ST" in html


def test_a_decision_after_local_midnight_counts_on_the_next_local_day(reader, topic):
    now = dt.datetime(2025, 11, 13, 12, 0, tzinfo=UTC)
    late, later = PaperFactory(primary_category=topic), PaperFactory(primary_category=topic)
    swipe(reader, late, "keep", dt.datetime(2025, 11, 12, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    swipe(reader, later, "skip", dt.datetime(2025, 11, 12, 23, 30, tzinfo=UTC))  # 00:30 on the 13th in Berlin

    in_utc = stats_of(user=reader, now=now).chart.slots
    assert (in_utc[-2].day, in_utc[-2].kept, in_utc[-2].skipped) == (dt.date(2025, 11, 12), 1, 1)
    assert in_utc[-1].total == 0

    reader.time_zone = "Europe/Berlin"
    in_berlin = stats_of(user=reader, now=now)
    slots = in_berlin.chart.slots
    assert (slots[-2].day, slots[-2].kept, slots[-2].skipped) == (dt.date(2025, 11, 12), 1, 0)
    assert (slots[-1].day, slots[-1].kept, slots[-1].skipped) == (dt.date(2025, 11, 13), 0, 1)
    assert slots[-1].label == "13 Nov: 0 kept, 1 skipped"
    assert in_berlin.zone_name == "Europe/Berlin"
    # "Today" is the reader's: at 23:30 UTC it is already tomorrow in Berlin.
    assert stats_of(user=reader, now=dt.datetime(2025, 11, 13, 23, 30, tzinfo=UTC)).chart.slots[-1].day == dt.date(
        2025, 11, 14
    )


# What the learning changed


def test_the_keep_rate_change_compares_the_first_twenty_with_the_latest_fifty(reader, topic):
    start = dt.datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    # 2 of the first 20 kept; 10 in the middle, all kept, that neither part may count; 25 of the last 50.
    first = ["keep"] * 2 + ["skip"] * 18
    middle = ["keep"] * 10
    latest = ["keep", "skip"] * 25
    sequence(reader, topic, first + middle + latest, start=start)
    learning = stats_of(user=reader, now=start + dt.timedelta(days=1)).learning
    assert (learning.first_count, learning.first_kept, learning.later_count, learning.later_kept) == (20, 2, 50, 25)
    assert (learning.first_percent, learning.later_percent) == (10, 50)
    assert learning.ratio == pytest.approx(5.0)
    assert learning.change == f"5.0{TIMES} as many keeps"


def test_a_first_keep_rate_of_zero_shows_points_not_a_ratio(client, reader, topic):
    start = timezone.now() - dt.timedelta(hours=2)
    sequence(reader, topic, ["skip"] * 20 + ["keep"] * 5 + ["skip"] * 15, start=start)
    learning = stats_of(user=reader).learning
    assert (learning.first_percent, learning.later_count, learning.later_percent) == (0, 20, 25)
    assert learning.ratio is None
    assert learning.change == "+25 percentage points"
    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "+25 percentage points" in html
    assert "0% kept" in html
    assert "25% kept" in html
    assert TIMES not in html


def test_too_few_later_decisions_say_how_many_more_are_needed(client, reader, topic):
    sequence(reader, topic, ["keep"] * 39, start=timezone.now() - dt.timedelta(hours=1))
    learning = stats_of(user=reader).learning
    assert (learning.first_count, learning.later_count) == (20, 19)
    assert not learning.ready
    assert learning.change == ""
    assert learning.needed == 1
    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "1 more decision and" in html
    assert "as many keeps" not in html


# A year


@pytest.fixture
def year(reader, topic):
    """Two papers announced every day of the last 365, each day decided (a keep, then a skip ten minutes
    later), except that today and six days ago one paper is left; three days took two hours."""
    now = dt.datetime.combine(timezone.now().date(), dt.time(12, 0), tzinfo=UTC)
    today = now.date()
    days = [today - dt.timedelta(days=back) for back in range(365)]
    papers = bulk_papers(topic, [day for day in days for _ in range(2)], prefix="2600")
    decisions = []
    for back, day in enumerate(days):
        first, second = papers[2 * back], papers[2 * back + 1]
        morning = dt.datetime.combine(day, dt.time(9, 0), tzinfo=UTC)
        decisions.append((first, "keep", morning))
        if back in (0, 6):
            continue
        took = dt.timedelta(hours=2) if back in (10, 20, 30) else dt.timedelta(minutes=10)
        decisions.append((second, "skip", morning + took))
    bulk_swipes(reader, decisions)
    return now


def test_a_year_of_decisions_in_a_bounded_number_of_queries(client, reader, year, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        stats = stats_of(user=reader, now=year)
    assert (stats.decisions, stats.keeps, stats.skips) == (728, 365, 363)

    slots = stats.chart.slots
    assert len(slots) == 90
    assert slots[0].day == year.date() - dt.timedelta(days=89)
    assert slots[-1].day == year.date()
    assert [slot.day for slot in slots] == [slots[0].day + dt.timedelta(days=i) for i in range(90)]
    assert (slots[-1].kept, slots[-1].skipped) == (1, 0)
    assert (slots[-7].kept, slots[-7].skipped) == (1, 0)
    assert sum(slot.total for slot in slots) == 2 * 90 - 2
    assert stats.chart.peak == 2
    assert all(slot.kept_height == 90 for slot in slots)  # one of two at the peak: half of the 180 units

    # Today is not cleared yet, so the count starts yesterday and stops at the day six days ago.
    assert stats.streak.pending == year.date()
    assert stats.streak.days == 5
    assert not stats.streak.at_least
    # 88 cleared days in the last 90 (all but today and six days ago): three took two hours, the rest ten minutes.
    assert stats.clearing.cleared_days == 88
    assert stats.clearing.text == "10 min"
    assert [(c.code, c.decided, c.kept) for c in stats.categories] == [("test.ST", 728, 365)]
    assert stats.learning.ready
    # The latest 50: today's keep, five full days, the keep of six days ago, then 19 full days.
    assert (stats.learning.first_percent, stats.learning.later_kept, stats.learning.later_percent) == (50, 26, 52)
    assert stats.learning.change == f"1.0{TIMES} as many keeps"

    client.force_login(reader)
    with django_assert_max_num_queries(14):
        html = client.get("/stats/").content.decode()
    assert html.count('<g class="bar">') == 90
    six_days_ago = year.date() - dt.timedelta(days=6)
    assert f"<title>{six_days_ago.day} {six_days_ago:%b}: 1 kept, 0 skipped</title>" in html
    assert html.count('<tr><th scope="row">') == 90  # the table holds every non-empty day
    assert "5 days" in html
    assert f"You still have {year.day} {year:%b} to clear" in html
    assert "10 min" in html


def test_a_streak_stops_at_the_first_uncleared_announcement_day(reader, year):
    Swipe.objects.filter(user=reader, paper__announced_on=year.date() - dt.timedelta(days=3), decision="skip").delete()
    stats = stats_of(user=reader, now=year)
    assert stats.streak.days == 2
    # Clearing today makes it count too, from today.
    today_left = Paper.objects.filter(announced_on=year.date()).exclude(swipes__user=reader).get()
    swipe(reader, today_left, "skip", year)
    stats = stats_of(user=reader, now=year)
    assert stats.streak.pending is None
    assert stats.streak.days == 3


def test_a_streak_back_to_where_we_stop_looking_says_at_least(reader, topic, year):
    today = year.date()
    Swipe.objects.filter(user=reader, paper__announced_on=today - dt.timedelta(days=6)).delete()
    left = Paper.objects.filter(announced_on=today - dt.timedelta(days=6))
    bulk_swipes(reader, [(paper, "skip", year) for paper in left])
    stats = stats_of(user=reader, now=year)
    assert stats.streak.days == 364
    assert not stats.streak.at_least  # no announcement day in the 36 days before the oldest one

    # Cleared days up to 398 days back, and one never decided 402 days back, past where we look.
    older = bulk_papers(topic, [today - dt.timedelta(days=back) for back in [*range(365, 399), 402]], prefix="2601")
    bulk_swipes(reader, [(paper, "keep", year) for paper in older[:-1]])
    stats = stats_of(user=reader, now=year)
    assert stats.streak.days == 364 + 34
    assert stats.streak.at_least


# Escaping and the small helpers


def test_a_hostile_category_is_escaped(client, reader):
    hostile = CategoryFactory(code="x.<b>", name="<script>alert(1)</script>")
    swipe(reader, PaperFactory(primary_category=hostile), "keep", timezone.now())
    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x.&lt;b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "x.<b>" not in html


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (dt.timedelta(seconds=20), "under 1 min"),
        (dt.timedelta(minutes=4, seconds=10), "4 min"),
        (dt.timedelta(hours=1, minutes=10), "1 h 10 min"),
        (dt.timedelta(hours=2), "2 h"),
        (dt.timedelta(days=2, hours=3), "2 d 3 h"),
    ],
)
def test_durations_read_as_a_person_would_say_them(duration, text):
    assert humanize(duration) == text


def test_percentages_round_halves_up_and_never_divide_by_zero():
    assert percent(1, 8) == 13
    assert percent(2, 3) == 67
    assert percent(0, 0) == 0


def test_an_unknown_time_zone_falls_back_to_utc(reader, topic):
    reader.time_zone = "Mars/Olympus_Mons"
    now = dt.datetime(2025, 11, 13, 0, 30, tzinfo=ZoneInfo("UTC"))
    swipe(reader, PaperFactory(primary_category=topic), "keep", now)
    stats = stats_of(user=reader, now=now)
    assert stats.zone_name == "UTC"
    assert stats.chart.slots[-1].day == dt.date(2025, 11, 13)
