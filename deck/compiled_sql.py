"""SQL compiled once per process, for the progress line that every deck page and every decision reads.

Building the line's querysets costs several times what PostgreSQL spends running them. Measured by
`bench/bench_load.py` on 2026-12-04, the same code building them on every request instead: 50 saturating
clients got 90 requests/s rather than 119, and 60 swiping readers a decision p99 of 611 ms rather than 232 ms
(target 150 ms), with gunicorn spending 51 CPU seconds rather than 37 in the minute.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models import QuerySet


class CompiledQueries:
    """The SQL and parameters of querysets, by a key that names everything their filters depend on."""

    def __init__(self, *, size: int) -> None:
        self._size = size
        self._sql: OrderedDict[Hashable, tuple[str, tuple[Any, ...]]] = OrderedDict()

    def sql(self, key: Hashable, build: Callable[[], QuerySet[Any]]) -> tuple[str, tuple[Any, ...]]:
        found = self._sql.get(key)
        if found is None:
            sql, params = build().query.sql_with_params()
            found = self._sql[key] = (sql, tuple(params))
            if len(self._sql) > self._size:
                self._sql.popitem(last=False)  # the oldest: bounded, whatever the number of readers
        return found


def fetch_one(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
