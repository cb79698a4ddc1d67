"""`make bench`: the learning deck. Features for a day's 2,000 new papers; retraining and rescoring one
reader with 1,000 decisions over 20,000 candidates; the next card from the ranked queue (p50/p95).

Papers get arXiv-like text made from the real abstracts we ship, shuffled, so that the features have the
sparsity of real ones. BENCH_CANDIDATES and BENCH_RANK_DECISIONS change the sizes.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.dispatch import Signal  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from deck.models import Swipe  # noqa: E402
from deck.ranking import queues  # noqa: E402
from deck.selectors import next_cards  # noqa: E402
from papers.features.store import compute_features  # noqa: E402
from papers.models import Category, Paper  # noqa: E402
from papers.parsers import parse_document  # noqa: E402
from papers.signals import features_computed  # noqa: E402

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "20000"))
DECISIONS = int(os.environ.get("BENCH_RANK_DECISIONS", "1000"))
DAY = 2_000
SAMPLE = ROOT / "papers" / "sample_data" / "oai_arXivRaw_ListRecords_page1000_2014-01-16.xml"


def populate() -> tuple[User, list[int]]:
    records = parse_document(SAMPLE.read_bytes()).records
    words = [w for r in records for w in f"{r.title} {r.abstract}".split()]
    names = [a.name for r in records for a in r.authors]
    rng = random.Random(1)
    category = Category.objects.get(code="hep-th")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    total = CANDIDATES + DECISIONS
    papers = [
        Paper(
            arxiv_id=f"2601.{i:05d}",
            version=1,
            title=" ".join(rng.sample(words, 10)),
            abstract=" ".join(rng.sample(words, 150)),
            authors=[{"name": n, "affiliations": []} for n in rng.sample(names, rng.randint(1, 8))],
            primary_category=category,
            published=start + timedelta(minutes=i),
            listed_at=start + timedelta(minutes=i),
        )
        for i in range(total)
    ]
    Paper.objects.bulk_create(papers, batch_size=5000)
    through = Paper.categories.through
    ids = list(Paper.objects.order_by("-listed_at").values_list("pk", flat=True))
    through.objects.bulk_create([through(paper_id=pk, category_id=category.pk) for pk in ids], batch_size=5000)
    user = User.objects.create_user(email="ranker@example.org", password="bench passphrase")
    user.followed_categories.add(category)
    Swipe.objects.bulk_create(
        [Swipe(user=user, paper_id=pk, decision="keep" if rng.random() < 0.2 else "skip") for pk in ids[:DECISIONS]],
        batch_size=5000,
    )
    return user, ids


@contextmanager
def without_receivers(signal: Signal) -> Iterator[None]:
    receivers, signal.receivers = signal.receivers, []
    signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        signal.receivers = receivers
        signal.sender_receivers_cache.clear()


def timed(work: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return sorted(times)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user, ids = populate()
        # The vectors alone: the readers' reranks they trigger run in their own tasks in production.
        with without_receivers(features_computed):
            day = timed(lambda: compute_features(paper_ids=ids[:DAY]), 3)
        print(f"features for a day's {DAY:,} new papers: median {statistics.median(day):.2f} s")
        compute_features(paper_ids=ids)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        rerank = timed(lambda: queues.refresh_queue(user=user), 5)
        print(
            f"retrain + rescore + store the queue, {DECISIONS:,} decisions, {CANDIDATES:,} candidates: "
            f"median {statistics.median(rerank):.2f} s, max {rerank[-1]:.2f} s (target ≤ 1 s)"
        )
        cards = timed(lambda: next_cards(user=user, exclude=[]), 200)
        with CaptureQueriesContext(connection) as queries:
            next_cards(user=user, exclude=[])
        print(
            f"next cards from the ranked queue: p50 {cards[len(cards) // 2] * 1000:.1f} ms, "
            f"p95 {cards[int(len(cards) * 0.95)] * 1000:.1f} ms (target p95 ≤ 15 ms), {len(queries)} SQL queries"
        )
        client = Client()
        client.force_login(user)
        client.get("/")
        page = timed(lambda: client.get("/"), 30)
        print(
            f"GET / (ranked): p50 {page[len(page) // 2] * 1000:.1f} ms, p95 {page[int(len(page) * 0.95)] * 1000:.1f} ms"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
