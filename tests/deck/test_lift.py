"""Each reader sees their own lift (issue 23 §2): ranked cards against the exploring ones of the same deck,
with a Katz interval, "not enough decisions yet" below the minimum, and month by month."""

import datetime as dt

import pytest

from deck.lift import MIN_EXPLORING, MIN_RANKED, TIMES, TO, Lift, lift_of
from deck.models import Swipe

from ..factories import CategoryFactory, UserFactory
from .test_stats import bulk_papers

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory(time_zone="Europe/Berlin")


def served(user, month: dt.datetime, *, ranked: tuple[int, int], exploring: tuple[int, int], prefix: str) -> None:
    """Decisions on cards the deck served in one month: (kept, of) ranked ones and (kept, of) exploring ones."""
    papers = iter(bulk_papers(CategoryFactory(), [None] * (ranked[1] + exploring[1]), prefix=prefix))
    swipes = []
    for (kept, total), is_exploring in ((ranked, False), (exploring, True)):
        for i in range(total):
            decision = "keep" if i < kept else "skip"
            swipes.append(
                Swipe(user=user, paper=next(papers), decision=decision, origin="deck", served_exploring=is_exploring)
            )
    made = Swipe.objects.bulk_create(swipes)
    Swipe.objects.filter(pk__in=[s.pk for s in made]).update(created_at=month)


def test_the_interval_is_katzs_log_interval():
    # 15 of 100 against 5 of 100: RR 3, SE(log RR) = √(1/15 - 1/100 + 1/5 - 1/100) = 0.4967, so 3·e^(±1.96·0.4967).
    lift = Lift(ranked=100, ranked_kept=15, exploring=100, exploring_kept=5)
    ratio, low, high = lift.estimate
    assert (round(ratio, 3), round(low, 2), round(high, 2)) == (3.0, 1.13, 7.94)
    assert lift.sentence == f"Ranked cards are 3.0{TIMES} as likely to be kept (95% interval 1.1{TO}7.9{TIMES})."


def test_an_interval_across_one_says_so_and_a_zero_stays_finite():
    even = Lift(ranked=100, ranked_kept=20, exploring=30, exploring_kept=6)
    assert even.sentence.endswith("That is not yet told apart from chance.")
    none_explored = Lift(ranked=120, ranked_kept=30, exploring=30, exploring_kept=0)
    ratio, low, high = none_explored.estimate
    # Half a count in each cell: (30.5/121) / (0.5/31) = 15.6, and an interval from 0.98 to 249, honest about
    # how little 30 exploring cards without a keep prove.
    assert (round(ratio, 1), round(low, 2), round(high)) == (15.6, 0.98, 249)
    worse = Lift(ranked=200, ranked_kept=10, exploring=50, exploring_kept=15)
    assert "worse than chance" in worse.sentence


def test_below_the_minimum_it_says_what_is_missing():
    lift = Lift(ranked=MIN_RANKED - 38, ranked_kept=20, exploring=MIN_EXPLORING - 7, exploring_kept=1)
    assert lift.estimate is None
    assert lift.sentence == "Not enough decisions yet."
    assert lift.needed == "38 more ranked cards and 7 more exploring ones"


def test_stats_show_the_lift_month_by_month_from_the_readers_own_served_decisions(client, reader):
    october = dt.datetime(2026, 10, 15, 12, tzinfo=dt.UTC)
    november = dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)
    served(reader, october, ranked=(20, 100), exploring=(5, 25), prefix="1010")
    served(reader, november, ranked=(45, 150), exploring=(3, 40), prefix="1011")
    # Decisions made elsewhere, or before the log, are no evidence about the ranking.
    papers = bulk_papers(CategoryFactory(), [None] * 30, prefix="1012")
    Swipe.objects.bulk_create(Swipe(user=reader, paper=p, decision="keep", origin="page") for p in papers[:20])
    Swipe.objects.bulk_create(Swipe(user=reader, paper=p, decision="skip") for p in papers[20:])
    another = UserFactory()
    served(another, november, ranked=(0, 100), exploring=(25, 25), prefix="1013")

    report = lift_of(user=reader)
    assert (report.overall.ranked, report.overall.ranked_kept) == (250, 65)
    assert (report.overall.exploring, report.overall.exploring_kept) == (65, 8)
    assert [(m.month, m.ranked, m.exploring) for m in report.months] == [
        (dt.date(2026, 11, 1), 150, 40),
        (dt.date(2026, 10, 1), 100, 25),
    ]
    ratio, low, high = report.overall.estimate
    assert round(ratio, 2) == round((65 / 250) / (8 / 65), 2)

    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "Cards the deck ranked for you</dt><dd>26% kept" in html
    assert "Cards it picked at random to explore</dt><dd>12% kept" in html
    interval = f"(95% interval {low:.1f}{TO}{high:.1f}{TIMES})"
    assert f"Ranked cards are {ratio:.1f}{TIMES} as likely to be kept {interval}." in html
    assert "November 2026" in html
    assert "October 2026" in html
    assert "mixes what the ranking learned with what arXiv announced meanwhile" in html


def test_a_new_reader_is_told_how_many_more_decisions_it_takes(client, reader):
    served(reader, dt.datetime(2026, 11, 2, tzinfo=dt.UTC), ranked=(10, 40), exploring=(1, 10), prefix="1020")
    client.force_login(reader)
    html = client.get("/stats/").content.decode()
    assert "Not enough decisions yet: 60 more ranked cards and 15 more exploring ones from the deck" in html
    assert "as likely to be kept" not in html
