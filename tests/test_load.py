"""Readers swiping at once under gunicorn and PostgreSQL: every acknowledged decision is stored exactly once.

The short version of `bench/bench_load.py` (the 60 s, 50-client run of `make bench`), through the same code:
8 clients for 8 s on a database and a Redis database of its own, not the suite's.
"""

import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from bench.bench_load import run_load, summary, with_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def load_database():
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
    assert base.startswith(("postgres://", "postgresql://")), "the load test seeds PostgreSQL with COPY"
    name = f"{urlsplit(base).path.lstrip('/')}_load_{uuid.uuid4().hex[:8]}"
    yield with_path(base, f"/{name}")
    with psycopg.connect(with_path(base, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_concurrent_swipes_are_stored_exactly_once(load_database):
    broker = with_path(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"), "/12")
    results = run_load(
        database_url=load_database,
        broker_url=broker,
        clients=8,
        seconds=8,
        papers=2000,
        double_click_every=5,  # enough double clicks in a short run
        warmup=2,
    )
    print(summary(results))

    assert results["passed"], summary(results)
    assert results["server_errors"] == 0
    assert results["other_non_2xx"] == {}
    assert results["acknowledged"] == results["stored"] > 0
    assert results["duplicates"] == 0
    assert results["double_clicks"] > 0
    assert results["double_clicks_stored_once"] == results["double_clicks"]
    assert results["decide"]["count"] > results["acknowledged"]  # the double clicks' second replies too
    assert results["cards"]["p99_ms"] > 0
