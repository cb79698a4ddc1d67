"""`make bench`: seconds to parse and upsert real arXiv pages, on the database DATABASE_URL names.

Each case runs in a fresh throwaway test database; each repetition is rolled back, so every
first import really inserts. Reports the median of REPEAT runs, and the peak parse memory.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from papers.parsers import parse_document  # noqa: E402
from papers.services import import_page  # noqa: E402

SAMPLES = ROOT / "papers" / "sample_data"
CASES = {
    "API Atom, 100 entries": SAMPLES / "api_query_all-testing_100entries_2026.xml",
    "OAI arXivRaw, 1000 records": SAMPLES / "oai_arXivRaw_ListRecords_page1000_2014-01-16.xml",
    "RSS listing, 81 items": SAMPLES / "rss_quant-ph_2025-04-28.xml",
}
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


class Rollback(Exception):
    pass


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_rollback(fn: Callable[[], float]) -> float:
    result = 0.0
    try:
        with transaction.atomic():
            result = fn()
            raise Rollback
    except Rollback:
        pass
    return result


def bench_case(data: bytes) -> dict[str, float]:
    parse = statistics.median(timed(lambda: parse_document(data)) for _ in range(REPEAT))
    page = parse_document(data)
    first = statistics.median(in_rollback(lambda: timed(lambda: import_page(page=page))) for _ in range(REPEAT))

    def again() -> float:
        import_page(page=page)
        return timed(lambda: import_page(page=parse_document(data)))

    reimport = statistics.median(in_rollback(again) for _ in range(REPEAT))
    tracemalloc.start()
    parse_document(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"parse": parse, "upsert": first, "total": parse + first, "reimport": reimport, "peak_mib": peak / 2**20}


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}, median of {REPEAT} runs, each rolled back")
        print(f"{'case':30} {'parse s':>8} {'upsert s':>9} {'total s':>8} {'re-import s':>12} {'parse peak MiB':>15}")
        for name, path in CASES.items():
            r = bench_case(path.read_bytes())
            print(
                f"{name:30} {r['parse']:8.3f} {r['upsert']:9.3f} {r['total']:8.3f} {r['reimport']:12.3f}"
                f" {r['peak_mib']:15.1f}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
