"""An announcement reaches every follower's deck while readers swipe, and leaves every queue sound.

The short version of `bench/bench_announcement.py` (2,000 papers to 10,000 followers under 60 readers), through
the same code: 200 papers to 200 followers of a 3,000-paper catalog while 4 readers swipe, under gunicorn and
a real rank worker, on databases and a Redis database of its own, not the suite's.
"""

import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from bench.bench_announcement import run, summary
from bench.bench_load import with_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def announcement_databases():
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
    assert base.startswith(("postgres://", "postgresql://")), "the bench seeds PostgreSQL with COPY"
    name = f"{urlsplit(base).path.lstrip('/')}_announcement_{uuid.uuid4().hex[:8]}"
    yield with_path(base, f"/{name}"), with_path(base, f"/{name}_run")
    with psycopg.connect(with_path(base, "/postgres"), autocommit=True) as admin:
        for database in (f"{name}_run", name):
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_an_announcement_reaches_every_follower_and_leaves_every_queue_sound(announcement_databases):
    template, copy = announcement_databases
    # Database 10: neither the suite's (REDIS_URL's), nor the benches' (11, 13, 14), nor test_load's (12).
    broker = with_path(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"), "/10")
    results = run(
        template_url=template,
        run_url=copy,
        broker_url=broker,
        papers=3000,
        followers=200,
        announced=200,
        clients=4,
        lead=3,
        warmup=2,
        timeout=180,
        tail=1,
    )
    print(summary(results))

    assert all(results["checks"].values()), summary(results)
    assert results["reached_s"] is not None
    assert results["followers"] > 150  # every follower of a busy category, the seeded reader too
    assert results["merge_tasks"] == -(-results["followers"] // results["batch"])
    assert results["followers_with_new_cards"] > 0
    assert results["web"]["whole_run"]["decide"]["count"] > 0
    assert results["learning_lag_s"]["whole_run"]["of"] > 0
