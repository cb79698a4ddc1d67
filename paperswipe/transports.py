"""Every outgoing HTTP request goes through here (arXiv: papers/arxiv.py, Zotero: library/zotero/client.py).

One retry rule for every outside API: 429, 5xx and network errors are retried, `Retry-After` (RFC 9110:
seconds or an HTTP date) is honoured up to a cap, and otherwise the wait grows exponentially with full
jitter, so that workers that failed together do not retry together. An API's own manners are small hooks:
arXiv's one-connection-at-a-time spacing is a `slot` held around each attempt, Zotero's `Backoff` header
a wait before the next request. And no request leaves while a database transaction is open: a transaction
held across arXiv's 3 s spacing and 60 s timeouts would hold its row locks for minutes.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.db import connections

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def user_agent(*, contact_email: str = "") -> str:
    """Who is asking and, where the API asks for it (arXiv), whom to write to."""
    contact = f"; mailto:{contact_email}" if contact_email else ""
    return f"PaperSwipe/1.0 (arXiv reader for researchers{contact})"


class RequestInTransaction(RuntimeError):
    """An outside request was about to leave while a database transaction is open: a programming error."""


class Transport:
    """One outside API: a session with its headers and timeouts, and the shared retry rule.

    `unavailable` is the API's own exception, raised with what went wrong last once every attempt failed.
    `slot` is entered around each attempt (arXiv's spacing lock). `backoff_header` names a header with which
    any answer asks for a pause before the next request (Zotero's `Backoff`). `sleep` is replaceable in tests.
    """

    def __init__(
        self,
        *,
        name: str,
        unavailable: type[Exception],
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        backoff_base: float,
        backoff_cap: float,
        max_wait: float,
        headers: dict[str, str] | None = None,
        slot: Callable[[], AbstractContextManager[object]] = nullcontext,
        backoff_header: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name, self.unavailable = name, unavailable
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts, self.backoff_base, self.backoff_cap = max_attempts, backoff_base, backoff_cap
        self.max_wait = max_wait
        self.slot, self.backoff_header, self.sleep = slot, backoff_header, sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent()
        self.session.headers.update(headers or {})
        self.attempts = 0  # requests sent, retries included
        self._wait_before_next = 0.0

    def request(self, method: str, url: str, *, label: str = "", **kwargs: Any) -> requests.Response:
        """The first answer that is not retryable, its body read; `unavailable` after the last attempt.

        `label` names the request in log lines (never the URL's query, never a header: keys travel there)."""
        refuse_inside_transaction(f"{self.name} {label}".strip())
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            if self._wait_before_next > 0:
                wait, self._wait_before_next = self._wait_before_next, 0.0
                logger.info("%s asked for a backoff; waiting %.1f s", self.name, wait)
                self.sleep(wait)
            retry_after: float | None = None
            try:
                with self.slot():
                    self.attempts += 1
                    response = self.session.request(method, url, timeout=self.timeout, **kwargs)
                    response.content  # noqa: B018 -- the whole body, inside the slot: a broken one is retried
            except requests.RequestException as error:  # connection, timeout, broken chunked or gzip body
                last_problem = type(error).__name__  # not str(error), which can echo the request
            else:
                if self.backoff_header:
                    backoff = wait_seconds(response.headers.get(self.backoff_header), cap=self.max_wait)
                    self._wait_before_next = max(self._wait_before_next, backoff or 0.0)
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                last_problem = f"HTTP {response.status_code}"
                retry_after = wait_seconds(response.headers.get("Retry-After"), cap=self.max_wait)
            if attempt < self.max_attempts:
                delay = self._delay(attempt, retry_after)
                logger.warning(
                    "%s: %s%s (attempt %d of %d); retrying in %.1f s",
                    self.name,
                    last_problem,
                    f" on {label}" if label else "",
                    attempt,
                    self.max_attempts,
                    delay,
                )
                self.sleep(delay)
        raise self.unavailable(f"{self.name} unavailable after {self.max_attempts} attempts: {last_problem}")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is None and self._wait_before_next == 0:
            return random.uniform(0.5, 1.0) * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))  # noqa: S311
        # Retry-After and a Backoff on the same answer: the longer one, waited once.
        delay = max(retry_after or 0.0, self._wait_before_next)
        self._wait_before_next = 0.0
        return delay


def refuse_inside_transaction(what: str) -> None:
    """Raise RequestInTransaction when a transaction is open on any database connection. The test case's
    own wrapping transactions (pytest-django's `django_db`) do not count: only the code's."""
    for connection in connections.all(initialized_only=True):
        if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            raise RequestInTransaction(f"{what}: an outside request inside a database transaction")


def wait_seconds(value: str | None, *, cap: float) -> float | None:
    """The wait a `Retry-After` or `Backoff` header asks for, between 0 and `cap`; None when it says nothing
    usable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(tz=when.tzinfo)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), cap)
