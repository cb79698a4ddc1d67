"""The email digest: who is due and when (time zones, DST), what goes in, one send per period even
under two concurrent runs, the hourly tick's batches (in process and through Redis to a worker), one-click
Keep links and one-click unsubscribe."""

import email.policy
import math
import re
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from allauth.account.models import EmailAddress
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun, task_received
from django.conf import settings as django_settings
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from deck.digest import links as digest_links
from deck.digest import sending as digests
from deck.models import DeckCard, DigestSent, DigestSubscription, Interest, Swipe
from deck.tasks import send_digest_batch, send_digests
from library.models import ReadingListEntry
from papers.models import Category
from paperswipe.celery import app

from ..conftest import wait_for
from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

Frequency = DigestSubscription.Frequency
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def subscribe(user, *, frequency=Frequency.DAILY, hour=7, size=10, weekday=0, zone="Europe/Berlin"):
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    subscription = DigestSubscription.objects.create(
        user=user, frequency=frequency, hour=hour, size=size, weekday=weekday
    )
    # Subscribed long before the moments the tests look at.
    DigestSubscription.objects.filter(pk=subscription.pk).update(changed_at=LONG_AGO)
    subscription.refresh_from_db()
    return subscription


@pytest.fixture
def reader(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def deck_papers(cs_cy):
    """Twelve cs.CY papers, newest first by listing time: the deck's order before any ranking."""
    now = timezone.now()
    papers = []
    for i in range(12):
        paper = PaperFactory(primary_category=cs_cy, listed_at=now - timedelta(hours=i), title=f"Deck paper {i}")
        paper.categories.add(cs_cy)
        papers.append(paper)
    return papers


def text_of(message) -> str:
    return message.body


def html_of(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def keep_links(text: str) -> list[str]:
    return re.findall(r"^   Keep: (\S+)$", text, flags=re.MULTILINE)


# --- contents and order ---------------------------------------------------------------------------


def test_the_digest_holds_the_top_unseen_papers_in_deck_order_as_text_and_html(reader, deck_papers):
    subscribe(reader, size=5)
    # The ranker's queue decides the order: the oldest paper first, then the newest.
    for rank, paper in enumerate([deck_papers[11], deck_papers[0], deck_papers[5], deck_papers[3], deck_papers[7]]):
        DeckCard.objects.create(user=reader, paper=paper, rank=rank, score=0.5)
    DeckCard.objects.create(user=reader, paper=deck_papers[2], rank=9, score=0.1)
    Swipe.objects.create(user=reader, paper=deck_papers[0], decision="skip")  # decided since the queue was built

    assert digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC)) == 1  # 07:05 in Berlin

    (message,) = mail.outbox
    assert message.to == [reader.email]
    text = text_of(message)
    titles = re.findall(r"^\d+\. (.+)$", text, flags=re.MULTILINE)
    assert titles == ["Deck paper 11", "Deck paper 5", "Deck paper 3", "Deck paper 7", "Deck paper 2"]
    links = keep_links(text)
    assert len(links) == 5
    assert links[0].startswith(f"http://localhost:8000/digest/keep/{deck_papers[11].pk}/")
    html = html_of(message)
    assert html.count(">Keep</a>") == 5
    for link in links:
        assert link in html
    assert set(DigestSent.objects.get(user=reader).papers.all()) == {deck_papers[i] for i in (11, 5, 3, 7, 2)}


def test_each_paper_has_collapsed_authors_its_id_and_one_line_of_abstract(reader, cs_cy):
    subscribe(reader, size=5)
    paper = PaperFactory(
        primary_category=cs_cy,
        authors=[{"name": f"Author {i}", "affiliations": []} for i in range(70)],
        abstract="We prove a bound.\nIt is tight in the\n  worst case. More follows.",
        version=2,
    )
    paper.categories.add(cs_cy)

    digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC))

    text = text_of(mail.outbox[0])
    assert "   Author 0, Author 1, Author 2 et al. (+67 more)\n" in text
    assert f"   arXiv:{paper.arxiv_id}v2 · cs.CY\n" in text
    assert "   We prove a bound.\n" in text
    assert "worst case" not in text


def test_arxiv_text_is_escaped_in_the_html_part_and_left_plain_in_the_text_part(reader, cs_cy):
    subscribe(reader, size=5)
    paper = PaperFactory(primary_category=cs_cy, title="Bounds for <script>x</script> & $a<b$")
    paper.categories.add(cs_cy)

    digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC))

    html = html_of(mail.outbox[0])
    assert "<script>x</script>" not in html
    assert "Bounds for &lt;script&gt;x&lt;/script&gt; &amp; $a&lt;b$" in html
    assert "1. Bounds for <script>x</script> & $a<b$\n" in text_of(mail.outbox[0])


def test_every_digest_has_an_unsubscribe_link_and_one_click_headers(reader, deck_papers):
    subscribe(reader)
    digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC))

    message = mail.outbox[0]
    parsed = message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    unsubscribe = re.fullmatch(
        r"<(http://localhost:8000/digest/unsubscribe/\S+/)>", parsed["List-Unsubscribe"].strip()
    )[1]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe: {unsubscribe}" in text_of(message)
    assert unsubscribe in html_of(message)


def test_a_paper_goes_out_in_one_digest_only_and_decided_or_muted_papers_never(reader, deck_papers):
    subscribe(reader, size=5)
    digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC))
    first = set(DigestSent.objects.get(user=reader).papers.all())

    Interest.objects.create(user=reader, kind="keyword", value="paper 6", stance="mute")
    Swipe.objects.create(user=reader, paper=deck_papers[5], decision="keep")
    digests.send_due(now=datetime(2026, 12, 1, 6, 5, tzinfo=UTC))

    second = DigestSent.objects.get(user=reader, period="daily 2026-12-01")
    titles = [p.title for p in second.papers.order_by("-listed_at")]
    assert titles == ["Deck paper 7", "Deck paper 8", "Deck paper 9", "Deck paper 10", "Deck paper 11"]
    assert not first & set(second.papers.all())


def test_a_queued_card_in_a_category_muted_since_is_left_out(reader, deck_papers, cs_cy):
    subscribe(reader, size=5)
    cross_listed = PaperFactory(primary_category=cs_cy, title="Filed under cs.AI too")
    cross_listed.categories.add(cs_cy, Category.objects.get(code="cs.AI"))
    for rank, paper in enumerate([cross_listed, *deck_papers[:6]]):
        DeckCard.objects.create(user=reader, paper=paper, rank=rank, score=0.5)
    Interest.objects.create(user=reader, kind="category", value="cs.AI", stance="mute")  # after the queue

    digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC))

    assert "Filed under cs.AI too" not in text_of(mail.outbox[0])
    assert set(DigestSent.objects.get(user=reader).papers.all()) == set(deck_papers[:5])


def test_nothing_is_sent_when_the_deck_has_nothing_new_and_the_period_stays_open(reader, cs_cy):
    subscribe(reader)
    assert digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC)) == 0
    assert mail.outbox == []
    assert not DigestSent.objects.exists()

    PaperFactory(primary_category=cs_cy).categories.add(cs_cy)  # papers arrive later that day
    assert digests.send_due(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == 1


def test_only_verified_active_subscribers_get_a_digest(user, deck_papers):
    subscribe(user)  # email address not verified
    other = UserFactory(is_active=False)
    other.followed_categories.add(deck_papers[0].primary_category)
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    subscribe(other)
    off = UserFactory()
    EmailAddress.objects.create(user=off, email=off.email, verified=True, primary=True)
    subscribe(off, frequency=Frequency.OFF)

    assert digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC)) == 0
    assert mail.outbox == []


def test_a_failed_send_gives_the_period_back(reader, deck_papers, settings):
    subscribe(reader)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: the send fails
    assert digests.send_due(now=datetime(2026, 11, 30, 6, 5, tzinfo=UTC)) == 0
    assert not DigestSent.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests.send_due(now=datetime(2026, 11, 30, 7, 5, tzinfo=UTC)) == 1


# --- when a digest is due ---------------------------------------------------------------------------


def due_at(subscription, moment: datetime) -> bool:
    return digests.is_due(subscription, now=moment)


def test_a_daily_digest_is_due_from_the_chosen_hour_in_the_readers_time_zone(reader):
    berlin = subscribe(reader, hour=7)  # UTC+1 in winter, UTC+2 in summer
    assert not due_at(berlin, datetime(2026, 11, 30, 5, 59, tzinfo=UTC))
    assert due_at(berlin, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    assert not due_at(berlin, datetime(2026, 7, 1, 4, 59, tzinfo=UTC))
    assert due_at(berlin, datetime(2026, 7, 1, 5, 0, tzinfo=UTC))
    # The period is the local day: 23:30 UTC is already tomorrow in Berlin.
    assert digests.period_of(berlin, now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))[0] == "daily 2026-12-01"

    tokyo = subscribe(UserFactory(), hour=7, zone="Asia/Tokyo")
    assert due_at(tokyo, datetime(2026, 11, 29, 22, 0, tzinfo=UTC))  # 07:00 on the 30th in Tokyo
    assert digests.period_of(tokyo, now=datetime(2026, 11, 29, 22, 0, tzinfo=UTC))[0] == "daily 2026-11-30"


def test_a_skipped_hour_on_the_spring_dst_day_sends_at_the_next_hour(reader):
    # New York jumps from 01:59 EST to 03:00 EDT on 8 March 2026: 02:00 never happens.
    new_york = subscribe(reader, hour=2, zone="America/New_York")
    assert not due_at(new_york, datetime(2026, 3, 8, 6, 59, tzinfo=UTC))  # 01:59 EST
    assert due_at(new_york, datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # 03:00 EDT


def test_the_repeated_hour_of_the_autumn_dst_day_sends_once(reader, deck_papers):
    # New York has 01:00 twice on 1 November 2026 (EDT, then EST): one digest.
    subscribe(reader, hour=1, zone="America/New_York")
    assert digests.send_due(now=datetime(2026, 11, 1, 5, 0, tzinfo=UTC)) == 1  # 01:00 EDT
    assert digests.send_due(now=datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) == 0  # 01:00 EST
    assert len(mail.outbox) == 1
    assert digests.send_due(now=datetime(2026, 11, 2, 6, 0, tzinfo=UTC)) == 1  # the next day


def test_a_weekly_digest_is_due_on_its_weekday_and_sent_once_that_week(reader, deck_papers):
    subscribe(reader, frequency=Frequency.WEEKLY, weekday=0, hour=7, zone="Asia/Tokyo")
    assert digests.send_due(now=datetime(2026, 11, 29, 21, 0, tzinfo=UTC)) == 0  # Monday 06:00 in Tokyo
    assert digests.send_due(now=datetime(2026, 11, 29, 22, 0, tzinfo=UTC)) == 1  # Monday 07:00
    assert digests.send_due(now=datetime(2026, 12, 2, 22, 0, tzinfo=UTC)) == 0  # Thursday, same week
    assert DigestSent.objects.get().period == "weekly 2026-W49"
    assert digests.send_due(now=datetime(2026, 12, 6, 22, 0, tzinfo=UTC)) == 1  # the next Monday


def test_a_tick_missed_during_downtime_is_made_up_later_the_same_day(reader, deck_papers):
    subscribe(reader, hour=7)
    assert digests.send_due(now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == 1


def test_turning_the_digest_on_after_todays_hour_starts_tomorrow(reader, deck_papers):
    subscription = subscribe(reader, hour=7)
    DigestSubscription.objects.filter(pk=subscription.pk).update(changed_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert digests.send_due(now=datetime(2026, 11, 30, 11, 0, tzinfo=UTC)) == 0
    subscription.refresh_from_db()
    next_send = digests.next_send(subscription, now=datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert next_send.isoformat() == "2026-12-01T07:00:00+01:00"
    assert digests.send_due(now=datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) == 1


def test_send_digests_with_a_frequency_sends_all_of_it_now_and_never_twice(reader, deck_papers, capsys):
    subscribe(reader, hour=23)
    weekly = UserFactory()
    weekly.followed_categories.add(deck_papers[0].primary_category)
    EmailAddress.objects.create(user=weekly, email=weekly.email, verified=True, primary=True)
    subscribe(weekly, frequency=Frequency.WEEKLY)

    call_command("send_digests", "--frequency", "daily")
    assert capsys.readouterr().out == "Sent 1 digest.\n"
    assert [m.to for m in mail.outbox] == [[reader.email]]
    call_command("send_digests", "--frequency", "daily")
    assert capsys.readouterr().out == "Sent 0 digests.\n"


def test_an_hourly_beat_entry_runs_the_digests():
    task = PeriodicTask.objects.get(task="deck.tasks.send_digests")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("0", "*")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_two_concurrent_runs_send_one_digest(reader, deck_papers):
    """Two workers pick up the same tick on PostgreSQL: the unique period lets one of them send."""
    subscribe(reader)
    now = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)
    barrier = threading.Barrier(2)
    results = []

    def run() -> None:
        try:
            ((subscription, period),) = list(digests.due(now=now))  # both see the digest as due
            barrier.wait(timeout=10)
            results.append(digests.send_one(subscription, period=period))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
    assert DigestSent.objects.count() == 1


# --- the hourly tick at scale: batches -----------------------------------------------------------------


def due_today(cs_cy, count: int) -> list:
    """Readers of cs.CY, verified, whose daily digest is due from 00:00 UTC: due whenever the test runs.

    The tick reads the clock: the test starts a minute clear of the next hour, so that nothing set up
    for this hour (or this day, at midnight UTC) is in another period when the tick comes.
    """
    wait_for(lambda: timezone.now().minute != 59, timeout=70)
    readers = []
    for _ in range(count):
        user = UserFactory()
        user.followed_categories.add(cs_cy)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        subscribe(user, hour=0, zone="UTC")
        readers.append(user)
    return readers


def not_due_now(cs_cy) -> list:
    """Subscribers the tick must leave alone, whatever the time: today's digest already sent, the address
    not verified, the digest off, and the hour not come yet (23:00 where it is not 23:00 yet)."""
    sent, unverified, off, later = (UserFactory() for _ in range(4))
    for user in (sent, off, later):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    now = timezone.now()
    zone = "UTC" if now.hour < 23 else "Asia/Tokyo"  # nine hours apart: one of them is before 23:00
    for user, frequency, hour, where in [
        (sent, Frequency.DAILY, 0, "UTC"),
        (unverified, Frequency.DAILY, 0, "UTC"),
        (off, Frequency.OFF, 0, "UTC"),
        (later, Frequency.DAILY, 23, zone),
    ]:
        user.followed_categories.add(cs_cy)
        subscription = subscribe(user, frequency=frequency, hour=hour, zone=where)
    subscription = DigestSubscription.objects.select_related("user").get(user=sent)
    DigestSent.objects.create(user=sent, period=digests.period_of(subscription, now=now)[0])
    return [sent, unverified, off, later]


def test_under_make_run_the_tick_sends_every_batch_in_process(cs_cy, deck_papers, monkeypatch):
    """No REDIS_URL: Celery runs eagerly (the test settings too), and the fan-out still sends everything."""
    monkeypatch.setattr(digests, "BATCH_SIZE", 2)
    readers = due_today(cs_cy, 5)
    others = not_due_now(cs_cy)

    assert send_digests() == 3  # batches of 2, 2 and 1

    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    sent_now = DigestSent.objects.exclude(user=others[0]).values_list("user_id", flat=True)
    assert sorted(sent_now) == sorted(r.pk for r in readers)
    assert send_digests() == 0  # the next tick finds everyone's period claimed
    assert len(mail.outbox) == 5


def test_a_batch_delivered_twice_sends_each_digest_once_for_the_period_it_was_queued_for(cs_cy, deck_papers):
    readers = due_today(cs_cy, 3)
    for reader in readers:
        reader.time_zone = "Europe/Berlin"
        reader.save(update_fields=["time_zone"])
    DigestSubscription.objects.filter(user__in=readers).update(hour=23)
    # The tick came at 23:30 in Berlin; the batch may run after midnight, and sends the day it was queued for.
    tick = datetime(2026, 11, 30, 22, 30, tzinfo=UTC).isoformat()
    ids = [r.pk for r in readers]

    assert send_digest_batch(ids, tick) == 3
    assert send_digest_batch(ids, tick) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    assert set(DigestSent.objects.values_list("period", flat=True)) == {"daily 2026-11-30"}
    assert DigestSent.objects.count() == 3


def test_a_batch_leaves_out_whoever_is_not_due_when_it_runs(cs_cy, deck_papers):
    """Queued for everyone, the batch reads the subscriptions again: the unsubscribed, the unverified and
    those already sent get nothing."""
    readers = due_today(cs_cy, 2)
    others = not_due_now(cs_cy)
    DigestSubscription.objects.filter(user=readers[1]).update(frequency=Frequency.OFF)  # unsubscribed since

    assert send_digest_batch([u.pk for u in readers + others], timezone.now().isoformat()) == 1

    assert [m.to for m in mail.outbox] == [[readers[0].email]]


def test_a_batch_reads_its_papers_once_for_all_its_readers(cs_cy, deck_papers):
    readers = due_today(cs_cy, 4)
    for reader in readers:  # the same ranked queue for everyone: the batch reads these 12 papers once
        DeckCard.objects.bulk_create(
            DeckCard(user=reader, paper=paper, rank=rank, score=0.5) for rank, paper in enumerate(deck_papers)
        )

    with CaptureQueriesContext(connection) as queries:
        assert digests.send_batch(user_ids=[r.pk for r in readers], now=timezone.now()) == 4

    papers_read = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "papers_paper"."id"')]
    assert len(papers_read) == 1
    assert [len(DigestSent.objects.get(user=r).papers.all()) for r in readers] == [10, 10, 10, 10]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_two_copies_of_a_batch_at_once_send_each_digest_once(cs_cy, deck_papers, monkeypatch):
    """Both copies have read the batch's readers as due and picked their papers before either claims."""
    readers = due_today(cs_cy, 4)
    barrier = threading.Barrier(2)
    pick = digests.papers_for

    def pick_then_wait(subscriptions):
        picked = pick(subscriptions)
        barrier.wait(timeout=10)
        return picked

    monkeypatch.setattr(digests, "papers_for", pick_then_wait)
    results = []

    def run() -> None:
        try:
            results.append(digests.send_batch(user_ids=[r.pk for r in readers], now=timezone.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 2  # neither copy failed
    assert sum(results) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    assert DigestSent.objects.count() == 4


@pytest.fixture
def worker():
    """A real Celery worker of two threads on the real Redis broker, in this process (so that mail.outbox
    sees its emails); yields the args and return value of each digest batch it finished (following a
    category queues reranks too: the worker runs those, unrecorded)."""
    assert django_settings.REDIS_URL, "these tests need the real Redis: set REDIS_URL (make test does)"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=django_settings.REDIS_URL, task_always_eager=False)
    app.control.purge()  # nothing left over from an earlier run may reach this worker
    finished: list[tuple[list, object]] = []
    running: set[str] = set()

    def start(request=None, **kwargs) -> None:  # received: reserved by this worker, perhaps not begun
        running.add(request.id)

    def record(task_id=None, task=None, args=None, retval=None, **kwargs) -> None:
        running.discard(task_id)
        if task.name == "deck.tasks.send_digest_batch":
            finished.append((list(args or ()), retval))

    task_received.connect(start, weak=False)
    task_postrun.connect(record, weak=False)
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
            yield finished
            # A rerank still running when the test's tables are emptied deadlocks with the TRUNCATE: drop what
            # waits, then let what runs finish.
            app.control.purge()
            wait_for(lambda: not running)
    finally:
        task_received.disconnect(start)
        task_postrun.disconnect(record)
        app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_the_tick_queues_a_batch_per_batch_size_of_due_readers_to_a_worker(cs_cy, deck_papers, worker, monkeypatch):
    monkeypatch.setattr(digests, "BATCH_SIZE", 3)
    readers = due_today(cs_cy, 7)
    others = not_due_now(cs_cy)

    assert send_digests() == math.ceil(7 / 3)

    wait_for(lambda: len(worker) == 3)
    batches = [args[0] for args, _ in worker]
    assert sorted(len(b) for b in batches) == [1, 3, 3]
    assert sorted(pk for b in batches for pk in b) == sorted(r.pk for r in readers)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    assert not set(DigestSent.objects.filter(user__in=others[1:]).values_list("user_id", flat=True))
    assert DigestSent.objects.filter(user=others[0]).count() == 1  # the one sent before the tick


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_two_ticks_at_once_and_a_batch_delivered_again_send_each_digest_once(cs_cy, deck_papers, worker, monkeypatch):
    """Two beats fire the same tick while a worker already sends, and a batch is delivered a second time
    (a worker died before acknowledging it): every reader gets one digest."""
    monkeypatch.setattr(digests, "BATCH_SIZE", 2)
    readers = due_today(cs_cy, 5)
    barrier = threading.Barrier(2)
    queued = []

    def tick() -> None:
        try:
            barrier.wait(timeout=10)
            queued.append(send_digests())
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    send_digest_batch.delay([r.pk for r in readers[:2]], timezone.now().isoformat())
    total = sum(queued) + 1
    assert sum(queued) >= 3  # the first tick queues ceil(5 / 2); the second whatever was not claimed yet

    wait_for(lambda: len(worker) == total)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    assert sorted(DigestSent.objects.values_list("user_id", flat=True)) == sorted(r.pk for r in readers)
    assert sum(retval for _, retval in worker) == 5


# --- one-click Keep ----------------------------------------------------------------------------------


def keep_path(user, paper) -> str:
    return digest_links.keep_url(user=user, paper=paper).removeprefix("http://localhost:8000")


def test_opening_a_keep_link_records_nothing_and_pressing_keep_keeps_like_the_deck(client, reader, deck_papers):
    paper = deck_papers[3]
    path = keep_path(reader, paper)

    page = client.get(path)
    assert page.status_code == 200
    assert paper.title in page.content.decode()
    assert '<button type="submit" class="primary keep">Keep</button>' in page.content.decode()
    assert not Swipe.objects.exists()  # a mail scanner opening the link changes nothing

    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    done = csrf_client.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert "Kept." in done.content.decode()
    swipe = Swipe.objects.get()
    assert (swipe.user, swipe.paper, swipe.decision, swipe.source) == (reader, paper, "keep", "email")
    assert ReadingListEntry.objects.filter(reading_list__user=reader, paper=paper).exists()

    again = csrf_client.post(path, {"csrfmiddlewaretoken": token})  # a second press
    assert "You already kept this paper" in again.content.decode()
    assert Swipe.objects.count() == 1


def test_the_keep_button_is_checked_against_csrf(reader, deck_papers):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(keep_path(reader, deck_papers[0])).status_code == 403
    assert not Swipe.objects.exists()


def test_a_tampered_keep_link_is_refused_and_changes_nothing(client, reader, deck_papers):
    path = keep_path(reader, deck_papers[0])
    head, token = path.rstrip("/").rsplit("/", 1)
    tampered = f"{head}/{token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}/"
    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert not Swipe.objects.exists()


def test_a_keep_link_made_for_another_paper_is_refused(client, reader, deck_papers):
    token = keep_path(reader, deck_papers[0]).rstrip("/").rsplit("/", 1)[1]
    response = client.post(f"/digest/keep/{deck_papers[1].pk}/{token}/")
    assert response.status_code == 400
    assert not Swipe.objects.exists()


def test_a_keep_link_forged_for_another_user_cannot_be_made(client, reader, deck_papers):
    other = UserFactory()
    own = keep_path(reader, deck_papers[0]).rstrip("/").rsplit("/", 1)[1]
    # The user id sits inside the signature: swapping it breaks the link.
    _, rest = own.split(":", 1)
    forged_payload = signing.b64_encode(str(other.pk).encode()).decode()
    assert client.post(f"/digest/keep/{deck_papers[0].pk}/{forged_payload}:{rest}/").status_code == 400
    assert not Swipe.objects.filter(user=other).exists()


def test_a_keep_link_keeps_for_its_reader_even_when_someone_else_is_signed_in(client, reader, deck_papers):
    other = UserFactory()
    client.force_login(other)
    client.post(keep_path(reader, deck_papers[0]))
    assert list(Swipe.objects.values_list("user", flat=True)) == [reader.pk]


def test_a_keep_link_expires_after_fourteen_days(client, reader, deck_papers, monkeypatch):
    issued = timezone.now() - timedelta(days=14, minutes=1)
    monkeypatch.setattr(signing.time, "time", lambda: issued.timestamp())
    path = keep_path(reader, deck_papers[0])
    monkeypatch.undo()

    response = client.post(path)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not Swipe.objects.exists()

    fresh_enough = timezone.now() - timedelta(days=13, hours=23)
    monkeypatch.setattr(signing.time, "time", lambda: fresh_enough.timestamp())
    path = keep_path(reader, deck_papers[0])
    monkeypatch.undo()
    assert client.post(path).status_code == 200
    assert Swipe.objects.filter(source="email").count() == 1


def test_a_keep_link_for_a_missing_paper_is_not_found(client, reader):
    token = signing.dumps(reader.pk, salt="deck.digest.keep:999999")
    assert client.get(f"/digest/keep/999999/{token}/").status_code == 404


# --- unsubscribe -------------------------------------------------------------------------------------


def unsubscribe_path(user) -> str:
    return digest_links.unsubscribe_url(user=user).removeprefix("http://localhost:8000")


def test_one_click_unsubscribe_works_without_login_or_csrf_cookie(reader):
    subscribe(reader)
    path = unsubscribe_path(reader)
    mail_client = Client(enforce_csrf_checks=True)  # as a mail provider POSTs it (RFC 8058)

    page = mail_client.get(path)
    assert page.status_code == 200
    assert DigestSubscription.objects.get(user=reader).frequency == Frequency.DAILY  # opening changes nothing

    done = mail_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert DigestSubscription.objects.get(user=reader).frequency == Frequency.OFF


def test_unsubscribe_works_when_signed_in_too(client, reader):
    subscribe(reader)
    client.force_login(reader)
    assert client.post(unsubscribe_path(reader)).status_code == 200
    assert DigestSubscription.objects.get(user=reader).frequency == Frequency.OFF


def test_a_tampered_unsubscribe_link_changes_nothing(client, reader):
    subscribe(reader)
    other = UserFactory()
    subscribe(other)
    path = unsubscribe_path(other)
    response = client.post(path[:-3] + "xx/")
    assert response.status_code == 400
    # A Keep token is not an unsubscribe token: the salts differ.
    keep_token = keep_path(reader, PaperFactory()).rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/digest/unsubscribe/{keep_token}/").status_code == 400
    assert set(DigestSubscription.objects.values_list("frequency", flat=True)) == {Frequency.DAILY}


# --- settings ------------------------------------------------------------------------------------------


def test_the_settings_page_needs_login(client):
    response = client.get("/settings/digest/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_reader_chooses_frequency_size_and_hour_in_their_time_zone(client, reader):
    client.force_login(reader)
    html = client.get("/settings/digest/").content.decode()
    labels = re.findall(
        r'<label class="radio"><input type="radio" name="frequency" value="(\w+)"[^>]*> (\w+)</label>', html
    )
    assert labels == [("off", "Off"), ("daily", "Daily"), ("weekly", "Weekly")]
    assert '<button type="submit" class="primary">Save</button>' in html
    assert 'name="size" value="10"' in html  # the default
    assert "data-guess-zone" in html  # the browser's zone is offered until one is saved

    response = client.post(
        "/settings/digest/",
        {"frequency": "weekly", "size": "25", "hour": "18", "weekday": "4", "time_zone": "America/Sao_Paulo"},
    )
    assert response.status_code == 302
    subscription = DigestSubscription.objects.get(user=reader)
    assert (subscription.frequency, subscription.size, subscription.hour, subscription.weekday) == ("weekly", 25, 18, 4)
    reader.refresh_from_db()
    assert reader.time_zone == "America/Sao_Paulo"
    page = client.get("/settings/digest/").content.decode()
    assert "Your next digest: <time" in page
    assert "Friday" in page
    assert "18:00" in page
    assert "data-guess-zone" not in page


def test_digest_errors_are_linked_to_their_fields_the_time_zone_too(client, reader):
    client.force_login(reader)
    fields = {"frequency": "daily", "size": "51", "hour": "8", "weekday": "0", "time_zone": "Mars/Olympus_Mons"}
    html = client.post("/settings/digest/", fields).content.decode()
    for name in ("size", "time_zone"):
        assert f'aria-invalid="true" aria-describedby="id_{name}_error"' in html, name
        assert f'<ul class="errorlist" id="id_{name}_error">' in html, name
    assert not DigestSubscription.objects.filter(user=reader).exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"size": "4"},
        {"size": "51"},
        {"size": "ten"},
        {"hour": "24"},
        {"frequency": "hourly"},
        {"time_zone": "Mars/Olympus_Mons"},
        {"weekday": "7"},
    ],
)
def test_bad_settings_are_answered_and_nothing_is_saved(client, reader, bad):
    client.force_login(reader)
    data = {"frequency": "daily", "size": "10", "hour": "7", "weekday": "0", "time_zone": "Europe/Berlin", **bad}
    response = client.post("/settings/digest/", data)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not DigestSubscription.objects.exists()
    reader.refresh_from_db()
    assert reader.time_zone == "UTC"


def test_download_my_data_holds_the_digest_settings_and_time_zone(client, reader):
    subscribe(reader, frequency=Frequency.WEEKLY, size=20, hour=18, weekday=4, zone="Asia/Tokyo")
    client.force_login(reader)
    data = client.get("/settings/data/download/").json()
    assert data["account"]["time_zone"] == "Asia/Tokyo"
    assert data["email_digest"] == {"frequency": "weekly", "size": 20, "hour": 18, "weekday": 4}
