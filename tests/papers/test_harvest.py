"""The harvester over real HTTP, against the arXiv stand-in on 127.0.0.1."""

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from papers import harvest
from papers.arxiv import ArxivUnavailable, client_from_settings
from papers.models import Category, HarvestRun, Paper

from ..arxiv_standin import make_entries
from ..conftest import wait_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cs_lg():
    return Category.objects.get(code="cs.LG")


def run_harvest(category, now=NOW, **kwargs):
    return harvest.harvest_category(category_id=category.pk, now=now, **kwargs)


def stored_ids():
    return set(Paper.objects.values_list("arxiv_id", flat=True))


def test_first_run_backfills_seven_days(standin, cs_lg):
    standin.entries = make_entries(300, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)  # 12.5 days
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.OK
    in_window = {e.arxiv_id for e in standin.entries if e.updated >= NOW - timedelta(days=7)}
    assert stored_ids() == in_window
    assert (run.created, run.entries, run.requests) == (len(in_window), len(in_window), 4)
    assert run.window_start == NOW - timedelta(days=7)
    assert run.window_end == NOW
    cs_lg.refresh_from_db()
    assert cs_lg.harvested_through == NOW
    assert all(p.primary_category_id == cs_lg.pk for p in Paper.objects.all())


def test_second_run_creates_nothing_and_stops_paging_early(standin, cs_lg):
    standin.entries = make_entries(300, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    run_harvest(cs_lg)
    again = run_harvest(cs_lg, now=NOW + HOUR)
    assert (again.status, again.created, again.updated) == (HarvestRun.Status.OK, 0, 0)
    # The overlap window holds 100 entries (4 days); paging stops at the first page of nothing new.
    assert again.requests == 1


def test_a_seven_day_outage_is_filled_by_the_next_run(standin, cs_lg):
    standin.entries = make_entries(100, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    run_harvest(cs_lg)
    later = NOW + timedelta(days=7)
    outage = make_entries(7 * 24, category="cs.LG", newest=later - HOUR, spacing=HOUR, first_number=5000)
    standin.entries += outage
    run = run_harvest(cs_lg, now=later)
    assert run.status == HarvestRun.Status.OK
    assert {e.arxiv_id for e in outage} <= stored_ids()
    assert run.created == len(outage)


def test_requests_are_spaced_by_the_interval(standin, cs_lg, settings):
    settings.ARXIV_REQUEST_INTERVAL = 0.25
    standin.entries = make_entries(200, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    run = run_harvest(cs_lg)
    times = [r.at for r in standin.api_requests]
    assert run.requests == len(times) == 4
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.25


def test_503_with_retry_after_is_honoured(standin, cs_lg):
    standin.entries = make_entries(20, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("status", code=503, retry_after=1)
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.OK
    assert run.created == 20
    first, second = standin.api_requests[:2]
    assert first.status == 503
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "code": 429},
        {"kind": "status", "code": 502},
        {"kind": "sleep", "seconds": 1.5},
        {"kind": "reset"},
    ],
)
def test_transient_failures_are_retried(standin, cs_lg, fault, settings):
    if fault["kind"] == "sleep":
        settings.ARXIV_READ_TIMEOUT = 0.5  # the stand-in answers after 1.5 s: a timeout
    standin.entries = make_entries(20, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail(fault.pop("kind"), times=2, **fault)
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.OK
    assert run.created == 20
    assert run.requests == 3


def test_persistent_failure_fails_the_run_with_the_reason(standin, cs_lg, settings):
    settings.ARXIV_MAX_ATTEMPTS = 3
    standin.entries = make_entries(20, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("status", times=3, code=503)
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.FAILED
    assert "after 3 attempts: HTTP 503" in run.error
    assert run.finished_at is not None
    cs_lg.refresh_from_db()
    assert cs_lg.harvested_through is None  # nothing committed: the next run starts the window again
    assert run_harvest(cs_lg).created == 20


def test_truncated_xml_keeps_committed_pages_and_the_next_run_resumes(standin, cs_lg):
    standin.entries = make_entries(160, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("", times=1)  # page 1 is fine
    standin.fail("truncated")  # page 2 is cut off mid-entry
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.PARTIAL
    assert "malformed XML" in run.error
    assert run.created == 50  # page 1 only: nothing of the broken page
    cs_lg.refresh_from_db()
    assert cs_lg.gap_until == standin.entries[49].updated
    resumed = run_harvest(cs_lg, now=NOW + HOUR)
    assert resumed.status == HarvestRun.Status.OK
    assert stored_ids() == {e.arxiv_id for e in standin.entries}
    cs_lg.refresh_from_db()
    assert (cs_lg.gap_from, cs_lg.gap_until) == (None, None)


def test_error_feed_is_logged_and_imports_nothing(standin, cs_lg):
    standin.entries = make_entries(20, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("error_feed")
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.FAILED
    assert "incorrect id format for abc" in run.error
    assert Paper.objects.count() == 0


def test_an_empty_page_in_the_middle_is_asked_again(standin, cs_lg):
    standin.entries = make_entries(120, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("", times=1)
    standin.fail("empty", times=2)
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.OK
    assert run.created == 120
    assert run.requests == 5


def test_an_empty_page_that_stays_empty_is_not_believed(standin, cs_lg, settings):
    settings.ARXIV_EMPTY_PAGE_RETRIES = 2
    standin.entries = make_entries(120, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("", times=1)
    standin.fail("empty", times=3)
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.PARTIAL
    assert "empty page at start=50 of 120" in run.error
    assert run_harvest(cs_lg, now=NOW + HOUR).status == HarvestRun.Status.OK
    assert Paper.objects.count() == 120


def test_newer_versions_update_papers(standin, cs_lg):
    standin.entries = make_entries(10, category="cs.LG", newest=NOW - 2 * HOUR, spacing=HOUR)
    run_harvest(cs_lg)
    standin.entries = make_entries(10, category="cs.LG", newest=NOW + HOUR, spacing=HOUR, version=2)
    run = run_harvest(cs_lg, now=NOW + 2 * HOUR)
    assert (run.created, run.updated) == (0, 10)
    assert set(Paper.objects.values_list("version", flat=True)) == {2}


def test_a_second_harvest_of_a_running_category_is_refused(standin, cs_lg):
    HarvestRun.objects.create(category=cs_lg)
    with pytest.raises(harvest.HarvestAlreadyRunning):
        run_harvest(cs_lg)
    assert HarvestRun.objects.count() == 1


def test_a_run_abandoned_by_a_dead_worker_does_not_block_forever(standin, cs_lg, settings):
    stale = HarvestRun.objects.create(category=cs_lg)
    # Abandonment is judged against the real clock: older than the task's hard time limit.
    long_ago = timezone.now() - timedelta(seconds=settings.HARVEST_TIME_LIMIT + 60)
    HarvestRun.objects.filter(pk=stale.pk).update(started_at=long_ago)
    standin.entries = make_entries(5, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    assert run_harvest(cs_lg).status == HarvestRun.Status.OK
    stale.refresh_from_db()
    assert stale.status == HarvestRun.Status.FAILED
    assert "abandoned" in stale.error


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_two_harvests_started_at_once_make_one_run(standin, settings):
    settings.ARXIV_REQUEST_INTERVAL = 0.2
    category = Category.objects.get(code="cs.LG")
    standin.entries = make_entries(100, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    # The first run's first request is held until the second harvest has been refused, so the two
    # really overlap whatever the machine's load.
    release = threading.Event()
    standin.fail("hold", event=release)
    barrier, outcomes = threading.Barrier(2), []

    def start() -> None:
        barrier.wait()
        try:
            outcomes.append(run_harvest(category).status)
        except harvest.HarvestAlreadyRunning:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: "refused" in outcomes, timeout=30)
    release.set()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert HarvestRun.objects.count() == 1
    assert Paper.objects.count() == 100


def test_without_network_the_run_says_why_and_the_site_still_serves(settings, cs_lg, client):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # the discard port: nothing listens
    settings.ARXIV_MAX_ATTEMPTS = 2
    settings.ARXIV_BACKOFF_BASE = 0.01
    run = run_harvest(cs_lg)
    assert run.status == HarvestRun.Status.FAILED
    assert "ConnectionError" in run.error
    assert client.get("/papers/").status_code == 200


def test_user_agent_names_the_contact(standin, settings):
    settings.ARXIV_CONTACT_EMAIL = "ops@paperswipe.example"
    client_from_settings().search(query="cat:cs.LG", start=0, max_results=1)
    assert "mailto:ops@paperswipe.example" in standin.requests[-1].headers["User-Agent"]


def test_client_raises_on_a_hard_http_error(standin):
    standin.fail("status", code=404)
    with pytest.raises(ArxivUnavailable, match="HTTP 404"):
        client_from_settings().search(query="cat:cs.LG", start=0, max_results=1)


def test_listing_marks_todays_announcements(standin):
    run = harvest.harvest_listing()
    assert run.status == HarvestRun.Status.OK
    assert run.entries == 81
    request = standin.requests[-1]
    assert request.path.startswith("/rss/")
    assert set(request.path.removeprefix("/rss/").split("+")) == set(
        Category.objects.offered().values_list("code", flat=True)
    )
    announced = Paper.objects.filter(announced_on="2025-04-28")
    assert announced.count() == 81
    assert announced.filter(announce_type="new").count() == 40
    assert announced.filter(announce_type="replace-cross").count() == 9


def test_an_empty_weekend_listing_is_not_an_error(standin):
    data = standin.rss_body
    standin.rss_body = data[: data.index(b"<item>")] + b"</channel></rss>"
    run = harvest.harvest_listing()
    assert (run.status, run.entries) == (HarvestRun.Status.OK, 0)


def test_harvest_command(standin, cs_lg, capsys):
    standin.entries = make_entries(30, category="cs.LG", newest=datetime.now(UTC) - HOUR, spacing=HOUR)
    call_command(
        "harvest", "--category", "cs.LG", "--since", (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    )
    assert "cs.LG: ok, 1 requests, 30 entries, created 30" in capsys.readouterr().out
    standin.fail("error_feed")
    with pytest.raises(CommandError, match=r"harvest failed for: cs\.LG"):
        call_command("harvest", "--category", "cs.LG")
    with pytest.raises(CommandError, match=r"unknown category: xx\.YY"):
        call_command("harvest", "--category", "xx.YY")


def test_a_listing_puts_its_papers_at_the_top_of_the_deck_order(standin):
    harvest.harvest_listing()
    announced = datetime(2025, 4, 28, tzinfo=UTC)
    assert set(Paper.objects.values_list("listed_at", flat=True)) == {announced}
    older = standin.rss_body.replace(b"Mon, 28 Apr 2025", b"Fri, 25 Apr 2025")
    standin.rss_body = older
    harvest.harvest_listing()
    assert set(Paper.objects.values_list("announced_on", flat=True)) == {announced.date()}


def test_an_unexpected_error_fails_the_run_instead_of_blocking_the_category(standin, cs_lg, monkeypatch):
    standin.entries = make_entries(5, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(harvest, "import_page", broken)
    with pytest.raises(RuntimeError):
        run_harvest(cs_lg)
    run = HarvestRun.objects.get()
    assert (run.status, run.error) == ("failed", "RuntimeError: database went away")
    monkeypatch.undo()
    assert run_harvest(cs_lg).status == HarvestRun.Status.OK


def test_a_failure_while_filling_a_gap_keeps_the_rest_of_the_gap(standin, cs_lg):
    standin.entries = make_entries(160, category="cs.LG", newest=NOW - HOUR, spacing=HOUR)
    standin.fail("")
    standin.fail("truncated")  # first run: page 2 breaks, a gap is left below page 1
    run_harvest(cs_lg)
    cs_lg.refresh_from_db()
    gap_from, first_gap_until = cs_lg.gap_from, cs_lg.gap_until
    standin.fail("")
    standin.fail("truncated")  # the refill breaks on its second page too
    assert run_harvest(cs_lg, now=NOW + HOUR).status == HarvestRun.Status.PARTIAL
    cs_lg.refresh_from_db()
    assert cs_lg.gap_from == gap_from
    assert cs_lg.gap_until < first_gap_until
    assert run_harvest(cs_lg, now=NOW + 2 * HOUR).status == HarvestRun.Status.OK
    assert stored_ids() == {e.arxiv_id for e in standin.entries}


def test_the_window_end_is_rounded_up_to_the_minute(standin, cs_lg):
    now = NOW + timedelta(seconds=30)
    standin.entries = make_entries(1, category="cs.LG", newest=NOW + timedelta(seconds=15), spacing=HOUR)
    assert run_harvest(cs_lg, now=now).created == 1


def test_a_failed_listing_is_recorded_and_does_not_raise(standin):
    standin.fail("status", times=5, code=503)
    run = harvest.harvest_listing()
    assert run.status == HarvestRun.Status.FAILED
    assert "HTTP 503" in run.error
    standin.rss_body = b"<rss><channel><item><title>cut off"
    assert "malformed XML" in harvest.harvest_listing().error
