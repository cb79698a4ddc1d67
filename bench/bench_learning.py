"""`make bench`: what a decision costs the worker that learns from it, for readers with 1k, 10k and 100k decisions.

A catalog from `manage.py seed_bench` (BENCH_LEARNING_PAPERS, default 400,000, so that the heaviest reader's
100,000 decisions fit in their five categories), kept as `<DATABASE_URL's name>_bench_learning_<papers>` for
later runs. The lighter readers are copies of the heaviest one's newest 1,000 and 10,000 decisions. For each
reader: one full rebuild (the worker's caches warm, the model fitted), then DECISIONS decisions on the top of
the deck as the site makes them (`deck.services.decide`, 15% keeps), each followed by the rerank a worker runs
(`deck.ranking.queues.update_queue`), timed in wall-clock and in the worker process's CPU. The refits and full
rescores that fall due in that run are in the average. Then a refit from the whole history, forced, on its own.
Results go under "learning" in docs/benchmarks.json.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import with_path  # noqa: E402

PAPERS = int(os.environ.get("BENCH_LEARNING_PAPERS", "400000"))
HEAVIEST = 100_000
READERS = (1_000, 10_000, HEAVIEST)
DECISIONS = int(os.environ.get("BENCH_LEARNING_DECISIONS", "120"))
TARGET_MS = 50.0
REFIT_TARGET_S = 1.0
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
PYTHON = sys.executable


def prepare_database() -> str:
    import psycopg

    name = f"{urlsplit(BASE_DATABASE_URL).path.lstrip('/')}_bench_learning_{PAPERS}"
    url = with_path(BASE_DATABASE_URL, f"/{name}")
    with psycopg.connect(with_path(BASE_DATABASE_URL, "/postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists:
        with psycopg.connect(url) as db:
            if db.execute("SELECT to_regclass('bench_seed')").fetchone()[0]:
                print(f"reusing {name}")
                return url
    with psycopg.connect(with_path(BASE_DATABASE_URL, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    seed = [f"--papers={PAPERS}", "--users=1", f"--swipes={HEAVIEST}", "--no-rank"]
    subprocess.run([PYTHON, "manage.py", "seed_bench", *seed], cwd=ROOT, env=env, check=True)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE bench_seed (seconds float)")
    return url


def readers() -> dict[int, Any]:
    """The heaviest reader and two lighter copies of their newest decisions, made once."""
    from django.db import connection

    from accounts.models import User

    heaviest = User.objects.order_by("pk").first()
    assert heaviest is not None
    found = {HEAVIEST: heaviest}
    for count in READERS[:-1]:
        user, created = User.objects.get_or_create(email=f"bench-learning-{count}@example.org")
        if created:
            user.followed_categories.set(heaviest.followed_categories.all())
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO accounts_swipe (user_id, paper_id, decision, source, created_at) "
                    "SELECT %s, paper_id, decision, source, created_at FROM accounts_swipe WHERE user_id = %s "
                    "ORDER BY created_at DESC LIMIT %s",
                    [user.pk, heaviest.pk, count],
                )
        found[count] = user
    return found


def measure_reader(user: Any, rng: random.Random) -> dict[str, float]:
    from deck import services
    from deck.models import DeckCard, ReaderModel
    from deck.ranking import queues, reader_model
    from papers.models import Paper

    ReaderModel.objects.filter(user=user).delete()
    started = time.perf_counter()
    queues.refresh_queue(user=user)
    first_build = time.perf_counter() - started
    walls, cpus, refits = [], [], 0
    for _ in range(DECISIONS):
        top = DeckCard.objects.filter(user=user).order_by("rank").values_list("paper_id", flat=True).first()
        paper = Paper.objects.only("pk", "version").get(pk=top)
        services.decide(user=user, paper=paper, decision="keep" if rng.random() < 0.15 else "skip")
        version = ReaderModel.objects.filter(user=user).values_list("version", flat=True).first()
        wall, cpu = time.perf_counter(), time.process_time()
        queues.update_queue(user=user)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        refits += ReaderModel.objects.filter(user=user).values_list("version", flat=True).first() != version
    reader_model.history_changed(user=user)
    started = time.perf_counter()
    reader_model.learned(user=user)
    refit = time.perf_counter() - started
    return {
        "first_build_s": first_build,
        "wall_ms_mean": 1000 * statistics.mean(walls),
        "cpu_ms_mean": 1000 * statistics.mean(cpus),
        "wall_ms_p50": 1000 * statistics.median(walls),
        "wall_ms_max": 1000 * max(walls),
        "refits": refits,
        "refit_s": refit,
    }


def main() -> None:
    url = prepare_database()
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from paperswipe.celery import app

    app.conf.update(task_always_eager=False, broker_url="memory://")  # the reranks are what we time, by hand
    rng = random.Random(21)
    results: dict[str, Any] = {
        "papers": PAPERS,
        "decisions": DECISIONS,
        "target_ms": TARGET_MS,
        "refit_target_s": REFIT_TARGET_S,
        "readers": {},
    }
    for count, user in readers().items():
        r = measure_reader(user, rng)
        results["readers"][str(count)] = r
        print(
            f"{count:>7,} decisions: per decision {r['wall_ms_mean']:.1f} ms wall, {r['cpu_ms_mean']:.1f} ms CPU "
            f"(p50 {r['wall_ms_p50']:.1f}, max {r['wall_ms_max']:.0f}; {r['refits']} refits in {DECISIONS}); "
            f"first build {r['first_build_s']:.2f} s; a refit {r['refit_s']:.2f} s"
        )
    from bench.report import write_section

    write_section("learning", results)


if __name__ == "__main__":
    main()
