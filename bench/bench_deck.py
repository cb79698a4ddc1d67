"""`make bench`: server time and SQL queries of the deck (/) for a user with 10,000 decisions,
and of a 2,000-paper reading list: its page and its BibTeX export.

The catalog holds 50,000 papers in the user's categories (ids 2601.00000 on, one a minute); the user
has decided on the 10,000 newest, so the deck has to skip past all of them to find the next card.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from deck.models import Swipe  # noqa: E402
from library.models import ReadingListEntry  # noqa: E402
from library.selectors import default_list  # noqa: E402
from papers.models import Category, Paper  # noqa: E402

PAPERS = int(os.environ.get("BENCH_PAPERS", "50000"))
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "10000"))
REPEAT, LIST_SIZE = 20, 2_000


def populate() -> User:
    category = Category.objects.get(code="cs.LG")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    authors = [{"name": f"Author {i}", "affiliations": []} for i in range(8)]
    papers = [
        Paper(
            arxiv_id=f"2601.{i:05d}",
            version=1,
            title=f"Paper {i}",
            abstract="An abstract. " * 40,
            authors=authors,
            primary_category=category,
            published=start + timedelta(minutes=i),
            listed_at=start + timedelta(minutes=i),
        )
        for i in range(PAPERS)
    ]
    Paper.objects.bulk_create(papers, batch_size=5000)
    through = Paper.categories.through
    ids = list(Paper.objects.values_list("pk", flat=True))
    through.objects.bulk_create([through(paper_id=pk, category_id=category.pk) for pk in ids], batch_size=5000)
    user = User.objects.create_user(email="bench@example.org", password="bench passphrase")
    user.followed_categories.add(category)
    newest = Paper.objects.order_by("-listed_at").values_list("pk", flat=True)[:DECISIONS]
    Swipe.objects.bulk_create([Swipe(user=user, paper_id=pk, decision="skip") for pk in newest], batch_size=5000)
    the_list = default_list(user=user)
    ReadingListEntry.objects.bulk_create(
        [ReadingListEntry(reading_list=the_list, paper_id=pk, seen_version=1) for pk in newest[:LIST_SIZE]]
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    return user


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = populate()
        client = Client()
        client.force_login(user)
        print(f"database: {connection.vendor}; {PAPERS:,} papers, user with {DECISIONS:,} decisions")
        for label, path in (
            ("GET /", "/"),
            (f"list of {LIST_SIZE:,}, page 1", "/lists/reading-list/"),
            (f"BibTeX of {LIST_SIZE:,}", "/lists/reading-list/export/bibtex/"),
        ):
            client.get(path)  # warm up
            times = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            print(
                f"{label}: median {statistics.median(times) * 1000:.1f} ms, p90 "
                f"{sorted(times)[int(REPEAT * 0.9) - 1] * 1000:.1f} ms over {REPEAT} requests, "
                f"{len(queries)} SQL queries"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
