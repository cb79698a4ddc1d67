"""The harvesting service: fetch new and updated papers of a category from the arXiv API, gap-free.

A run covers date windows of `lastUpdatedDate`, each paged newest first. Every page is committed
on its own, so a run that fails half-way keeps what it wrote; the category then remembers the one
window it did not finish (its gap), and the next run fills that window first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .arxiv import ArxivClient, ArxivUnavailable, client_from_settings
from .models import Category, HarvestRun, Paper
from .records import ArxivParseError, PaperRecord, ParsedPage
from .services import import_page

logger = logging.getLogger(__name__)

Progress = Callable[[HarvestRun], None]


class HarvestAlreadyRunning(Exception):
    pass


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    # Entries older than this were complete before the run: a page of nothing new there ends the window.
    complete_before: datetime | None
    is_gap: bool = False


def harvest_category(
    *,
    category_id: int,
    since: datetime | None = None,
    client: ArxivClient | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> HarvestRun:
    """Harvest one category. Raises HarvestAlreadyRunning if another run of it is under way."""
    now = now or timezone.now()
    category = Category.objects.get(pk=category_id)
    windows = plan_windows(category, since=since, now=now)
    run = _start_run(source=HarvestRun.Source.API, category=category, window_start=windows[0].since, window_end=now)
    client = client or client_from_settings()
    window, cursor = windows[0], Cursor(windows[0].until)
    try:
        for window in windows:
            cursor = Cursor(window.until)
            _harvest_window(client, run, category, window, cursor, progress)
            _window_done(category, window)
    except (ArxivUnavailable, ArxivParseError) as error:
        logger.warning("harvest of %s stopped: %s", category.code, error)
        _window_failed(category, window, cursor.oldest)
        run.error = str(error)
        run.status = HarvestRun.Status.PARTIAL if run.entries else HarvestRun.Status.FAILED
    except Exception as error:
        # Anything unexpected still ends the run, so that the category is not blocked until it expires.
        _window_failed(category, window, cursor.oldest)
        run.error, run.status = f"{type(error).__name__}: {error}", HarvestRun.Status.FAILED
        raise
    else:
        run.status = HarvestRun.Status.OK
    finally:
        _finish(run, client)
    return run


def plan_windows(category: Category, *, since: datetime | None, now: datetime) -> list[Window]:
    overlap = timedelta(hours=settings.ARXIV_HARVEST_OVERLAP_HOURS)
    windows = []
    if category.gap_from and category.gap_until:
        windows.append(Window(category.gap_from - overlap, category.gap_until, category.gap_from, is_gap=True))
    if since is not None:
        windows.append(Window(since, now, None))
    elif category.harvested_through:
        windows.append(Window(category.harvested_through - overlap, now, category.harvested_through))
    else:
        windows.append(Window(now - timedelta(days=settings.ARXIV_BACKFILL_DAYS), now, None))
    return windows


@dataclass
class Cursor:
    """The oldest last-update a window has committed: everything newer in the window is in."""

    oldest: datetime


def _harvest_window(
    client: ArxivClient, run: HarvestRun, category: Category, window: Window, cursor: Cursor, progress: Progress | None
) -> None:
    """Fetch and commit a window page by page, newest first, moving the cursor after each page."""
    query = f"cat:{category.code} AND lastUpdatedDate:[{_minute(window.since)} TO {_minute(window.until, up=True)}]"
    start = 0
    while True:
        page = _fetch_believable_page(client, query=query, start=start)
        result = import_page(page=page)
        run.entries += len(page.records)
        run.created += result.created
        run.updated += result.updated
        run.unchanged += result.unchanged
        _save_progress(run, client)
        if progress:
            progress(run)
        dates = [r.updated for r in page.records if r.updated]
        if not page.records:
            return
        oldest = min(dates) if dates else window.since
        cursor.oldest = oldest
        start += len(page.records) + page.skipped
        if start >= (page.total_results or 0):
            return
        if result.created + result.updated == 0 and window.complete_before and oldest <= window.complete_before:
            return  # we are back in territory an earlier run already harvested


def _fetch_believable_page(client: ArxivClient, *, query: str, start: int) -> ParsedPage:
    """arXiv sometimes answers a page in the middle of a result set with no entries: ask again first."""
    page = client.search(query=query, start=start, max_results=settings.ARXIV_PAGE_SIZE)
    for _ in range(settings.ARXIV_EMPTY_PAGE_RETRIES):
        if page.records or start >= (page.total_results or 0):
            return page
        logger.info("arXiv returned an empty page at start=%d of %s; asking again", start, page.total_results)
        page = client.search(query=query, start=start, max_results=settings.ARXIV_PAGE_SIZE)
    if not page.records and start < (page.total_results or 0):
        raise ArxivUnavailable(f"arXiv kept returning an empty page at start={start} of {page.total_results}")
    return page


def _window_done(category: Category, window: Window) -> None:
    if window.is_gap:
        category.gap_from = category.gap_until = None
    else:
        category.harvested_through = window.until
    category.save(update_fields=["harvested_through", "gap_from", "gap_until"])


def _window_failed(category: Category, window: Window, cursor: datetime) -> None:
    """Remember the part of the window still missing: (lower bound, oldest entry committed]."""
    if cursor >= window.until and not window.is_gap:
        return  # nothing of this window was committed: the next run simply starts it again
    if window.is_gap:
        category.gap_until = cursor
    else:
        category.gap_from = window.complete_before or window.since
        category.gap_until = cursor
        category.harvested_through = window.until
    category.save(update_fields=["harvested_through", "gap_from", "gap_until"])


def harvest_listing(*, client: ArxivClient | None = None) -> HarvestRun:
    """Read today's RSS announcement of every offered category in one request, and mark what it announced."""
    codes = list(Category.objects.offered().values_list("code", flat=True))
    run = _start_run(source=HarvestRun.Source.RSS, category=None, window_start=None, window_end=None)
    client = client or client_from_settings()
    try:
        page = client.listing(codes) if codes else ParsedPage(format="rss", records=[])
        result = import_page(page=page)
        mark_announced(records=page.records, day=page.announced_on)
        run.entries, run.created = len(page.records), result.created
        run.updated, run.unchanged = result.updated, result.unchanged
        run.status = HarvestRun.Status.OK
    except (ArxivUnavailable, ArxivParseError) as error:
        run.error, run.status = str(error), HarvestRun.Status.FAILED
    except Exception as error:
        run.error, run.status = f"{type(error).__name__}: {error}", HarvestRun.Status.FAILED
        raise
    finally:
        _finish(run, client)
    return run


def mark_announced(*, records: list[PaperRecord], day: date | None) -> None:
    """Weekends and holidays bring an empty listing: nothing to mark, and that is not an error."""
    if not records or day is None:
        return
    by_type: dict[str, list[str]] = {}
    for record in records:
        by_type.setdefault(record.announce_type or "new", []).append(record.arxiv_id)
    # arXiv announces at 20:00 US Eastern on the evening before the listing's date: midnight UTC is close.
    listed_at = datetime.combine(day, time(), tzinfo=UTC)
    with transaction.atomic():
        for announce_type, ids in by_type.items():
            # An older listing imported late must not undo a newer one.
            papers = Paper.objects.filter(Q(announced_on__isnull=True) | Q(announced_on__lte=day), arxiv_id__in=ids)
            papers.update(announced_on=day, announce_type=announce_type, listed_at=listed_at)


def _start_run(
    *, source: str, category: Category | None, window_start: datetime | None, window_end: datetime | None
) -> HarvestRun:
    # A run is abandoned once past the task's time limit, or once its heartbeat has stopped (a worker killed
    # mid-run acknowledges nothing and leaves its run "running"): the category is free again for this run.
    now = timezone.now()
    too_old = Q(started_at__lt=now - timedelta(seconds=settings.HARVEST_TIME_LIMIT))
    silent = Q(heartbeat_at__lt=now - timedelta(seconds=settings.HARVEST_STALL_SECONDS))
    running = HarvestRun.objects.filter(source=source, category=category, status=HarvestRun.Status.RUNNING)
    running.filter(too_old | silent).update(
        status=HarvestRun.Status.FAILED, finished_at=now, error="abandoned: the worker stopped mid-run"
    )
    try:
        with transaction.atomic():
            return HarvestRun.objects.create(
                source=source, category=category, window_start=window_start, window_end=window_end, heartbeat_at=now
            )
    except IntegrityError as error:
        what = category.code if category else "the listing"
        raise HarvestAlreadyRunning(f"a harvest of {what} is already running") from error


def _save_progress(run: HarvestRun, client: ArxivClient) -> None:
    run.requests, run.network_seconds = client.stats.requests, client.stats.network_seconds
    run.heartbeat_at = timezone.now()
    fields = ["requests", "network_seconds", "entries", "created", "updated", "unchanged", "heartbeat_at"]
    run.save(update_fields=fields)


def _finish(run: HarvestRun, client: ArxivClient) -> None:
    run.requests, run.network_seconds = client.stats.requests, client.stats.network_seconds
    run.finished_at = timezone.now()
    run.save()


def _minute(value: datetime, *, up: bool = False) -> str:
    """The API's date syntax has minutes: YYYYMMDDHHMM, in UTC. Round the upper bound up."""
    value = value.astimezone(UTC)
    if up and (value.second or value.microsecond):
        value += timedelta(minutes=1)
    return value.strftime("%Y%m%d%H%M")
