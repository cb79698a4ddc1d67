"""All HTTP to arXiv lives here: politeness, retries and timeouts, then parsing.

arXiv asks for one connection at a time and a pause of 3 s between requests. The pause is kept
across every worker and process by a lock in Redis when REDIS_URL is set, and per process otherwise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

from paperswipe.transports import Transport, user_agent

from .parsers import parse_document
from .records import ParsedPage

logger = logging.getLogger(__name__)

ID_LIST_MAX = 100  # ids per id_list request: a URL arXiv still answers quickly
MAX_RETRY_AFTER = 300.0


class ArxivUnavailable(Exception):
    """arXiv could not be reached or kept failing after every retry."""


class LocalThrottle:
    """One request at a time per process, `interval` seconds after the previous one ended."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last_end = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            time.sleep(max(0.0, self._last_end + self.interval - time.monotonic()))
            try:
                yield
            finally:
                self._last_end = time.monotonic()


class RedisThrottle:
    """The same rule for every process sharing a Redis: a lock for the connection, a key for the last end."""

    LOCK_KEY = "paperswipe:arxiv:connection"
    LAST_KEY = "paperswipe:arxiv:last-request-end"

    def __init__(self, url: str, interval: float, hold_timeout: float) -> None:
        self.redis = redis.Redis.from_url(url)
        self.interval = interval
        self.hold_timeout = hold_timeout

    def _now(self) -> float:
        seconds, micros = self.redis.time()  # one clock for every machine
        return seconds + micros / 1e6

    @contextmanager
    def slot(self) -> Iterator[None]:
        # The lock expires on its own if a worker dies holding it.
        with self.redis.lock(self.LOCK_KEY, timeout=self.hold_timeout, sleep=0.02):
            last = self.redis.get(self.LAST_KEY)
            if last is not None:
                time.sleep(max(0.0, float(last) + self.interval - self._now()))
            try:
                yield
            finally:
                self.redis.set(self.LAST_KEY, repr(self._now()), ex=max(60, int(self.interval * 10)))


@cache
def shared_throttle(redis_url: str, interval: float, hold_timeout: float) -> LocalThrottle | RedisThrottle:
    if redis_url:
        return RedisThrottle(redis_url, interval, hold_timeout)
    return LocalThrottle(interval)


@dataclass
class ClientStats:
    requests: int = 0
    network_seconds: float = 0.0


class ArxivClient:
    def __init__(
        self,
        *,
        api_url: str,
        rss_url: str,
        throttle: LocalThrottle | RedisThrottle,
        contact_email: str = "",
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 120.0,
    ) -> None:
        self.api_url = api_url
        self.rss_url = rss_url.rstrip("/") + "/"
        self.throttle = throttle
        self.stats = ClientStats()
        self.transport = Transport(
            name="arXiv",
            unavailable=ArxivUnavailable,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_wait=MAX_RETRY_AFTER,
            headers={"User-Agent": user_agent(contact_email=contact_email)},
            slot=throttle.slot,  # one connection at a time, 3 s apart, across every worker
        )

    def search(self, *, query: str, start: int, max_results: int) -> ParsedPage:
        """One page of the API, newest update first."""
        params: dict[str, str | int] = {
            "search_query": query,
            "start": start,
            "max_results": max_results,
            "sortBy": "lastUpdatedDate",
            "sortOrder": "descending",
        }
        return parse_document(self._get(self.api_url, params))

    def fetch_ids(self, ids: list[str]) -> ParsedPage:
        """The API's entries for up to ID_LIST_MAX bare ids. Ids arXiv does not know are absent from the page."""
        if not 0 < len(ids) <= ID_LIST_MAX:
            raise ValueError(f"fetch_ids takes 1 to {ID_LIST_MAX} ids, not {len(ids)}")
        # Without max_results the API answers only the first 10 of an id_list.
        params: dict[str, str | int] = {"id_list": ",".join(ids), "start": 0, "max_results": len(ids)}
        return parse_document(self._get(self.api_url, params))

    def listing(self, categories: list[str]) -> ParsedPage:
        """Today's announcement for several categories in one request: /rss/cs.LG+cs.AI."""
        return parse_document(self._get(self.rss_url + "+".join(categories), {}))

    def _get(self, url: str, params: dict[str, str | int]) -> bytes:
        started, sent = time.monotonic(), self.transport.attempts
        try:
            response = self.transport.request("GET", url, params=params)
        finally:
            self.stats.requests += self.transport.attempts - sent
            self.stats.network_seconds += time.monotonic() - started  # politeness pauses and retries included
        # 400 carries the API's error feed, which the parser turns into a clear error.
        if response.status_code in (200, 400):
            return response.content
        raise ArxivUnavailable(f"arXiv answered HTTP {response.status_code} for {response.url}")


def client_from_settings() -> ArxivClient:
    s = settings
    return ArxivClient(
        api_url=s.ARXIV_API_URL,
        rss_url=s.ARXIV_RSS_URL,
        contact_email=s.ARXIV_CONTACT_EMAIL,
        connect_timeout=s.ARXIV_CONNECT_TIMEOUT,
        read_timeout=s.ARXIV_READ_TIMEOUT,
        max_attempts=s.ARXIV_MAX_ATTEMPTS,
        backoff_base=s.ARXIV_BACKOFF_BASE,
        throttle=shared_throttle(s.REDIS_URL, s.ARXIV_REQUEST_INTERVAL, s.ARXIV_READ_TIMEOUT + s.ARXIV_CONNECT_TIMEOUT),
    )
