"""`make bench`: one category harvest of 2,000 new entries from the arXiv stand-in on 127.0.0.1.

It runs with the production politeness settings (ARXIV_REQUEST_INTERVAL, default 3 s, and
ARXIV_PAGE_SIZE, default 500) and splits the time into waiting on the network, politeness pauses
included, and our own processing (parsing and writing).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.test")
os.environ.setdefault("ARXIV_REQUEST_INTERVAL", "3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from papers import harvest  # noqa: E402
from papers.models import Category  # noqa: E402
from tests.arxiv_standin import StandIn, make_entries  # noqa: E402

ENTRIES = 2000


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    now = datetime.now(UTC)
    server = StandIn(
        entries=make_entries(ENTRIES, category="cs.LG", newest=now - timedelta(minutes=1), spacing=timedelta(minutes=4))
    ).start()
    try:
        settings.ARXIV_API_URL = f"{server.base_url}/api/query"
        settings.ARXIV_REQUEST_INTERVAL = float(os.environ["ARXIV_REQUEST_INTERVAL"])
        category = Category.objects.get(code="cs.LG")
        started = time.perf_counter()
        run = harvest.harvest_category(category_id=category.pk, now=now)
        total = time.perf_counter() - started
        own = total - run.network_seconds
        print(
            f"database: {connection.vendor}; interval {settings.ARXIV_REQUEST_INTERVAL:g} s, "
            f"page size {settings.ARXIV_PAGE_SIZE}"
        )
        print(f"harvest of {run.created} new entries in {run.requests} requests: status {run.status}")
        print(f"  total {total:.2f} s = network {run.network_seconds:.2f} s (pauses included) + own {own:.2f} s")
    finally:
        server.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
