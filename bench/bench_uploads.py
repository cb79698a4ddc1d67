"""`make bench`: how long a reference upload of MAX_ENTRIES (5,000) entries takes to answer, whatever its layout.

A reader's file goes through the real views (the test client, real SQL on PostgreSQL) as seed papers and as a
list's Import…, in four layouts: BibTeX one entry per line block, BibTeX all on one line, RIS and CSL-JSON.
Every id is in the catalog (the most rows written), so arXiv is never asked. A 40,000-entry one-line file,
which once took 50 s, must be refused at once. Results go under "uploads" in docs/benchmarks.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.test")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from deck.models import SeedPaper  # noqa: E402
from library.models import ReadingListEntry  # noqa: E402
from library.selectors import default_list  # noqa: E402
from papers.models import Category, Paper  # noqa: E402
from papers.references.parse import MAX_ENTRIES  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
TARGET_S = 2.0
IDS = [f"2401.{i:05d}" for i in range(1, MAX_ENTRIES + 1)]


def bibtex_blocks(ids: list[str]) -> str:
    return "\n".join(f"@misc{{k{n},\n  title = {{Paper {n}}},\n  eprint = {{{i}}}\n}}" for n, i in enumerate(ids))


def bibtex_one_line(ids: list[str]) -> str:
    return "".join(f"@misc{{k{n},title={{Paper {n}}},eprint={{{i}}}}}" for n, i in enumerate(ids))


def ris(ids: list[str]) -> str:
    return "".join(f"TY  - JOUR\nTI  - Paper {n}\nUR  - https://arxiv.org/abs/{i}\nER  - \n" for n, i in enumerate(ids))


def csl_json(ids: list[str]) -> str:
    return json.dumps([{"type": "article", "title": f"Paper {n}", "number": f"arXiv:{i}"} for n, i in enumerate(ids)])


LAYOUTS: dict[str, tuple[str, Callable[[list[str]], str]]] = {
    "BibTeX, an entry per block": ("refs.bib", bibtex_blocks),
    "BibTeX, all on one line": ("refs.bib", bibtex_one_line),
    "RIS": ("refs.ris", ris),
    "CSL-JSON": ("refs.json", csl_json),
}


def seed_catalog() -> None:
    category = Category.objects.get(code="cs.LG")
    at = datetime(2024, 1, 2, tzinfo=UTC)
    Paper.objects.bulk_create(
        Paper(arxiv_id=i, version=1, title=i, primary_category=category, published=at, updated=at) for i in IDS
    )


def timed_post(client: Client, path: str, filename: str, data: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.post(path, {"file": SimpleUploadedFile(filename, data)})
    return time.perf_counter() - start, response.status_code


def measure() -> dict[str, Any]:
    from paperswipe.celery import app

    # As in production, the rerank that new seeds ask for is queued for a worker, not run inside the request.
    app.conf.update(task_always_eager=False, broker_url="memory://")
    seed_catalog()
    user = User.objects.create_user(email="bench-uploads@example.org", password="unused-password-for-bench")
    client = Client()
    client.force_login(user)
    the_list = default_list(user=user)
    results: dict[str, Any] = {"entries": MAX_ENTRIES, "repeat": REPEAT, "target_s": TARGET_S, "layouts": []}
    for layout, (filename, render) in LAYOUTS.items():
        data = render(IDS).encode()
        seeds, imports = [], []
        for _ in range(REPEAT):
            SeedPaper.objects.filter(user=user).delete()
            ReadingListEntry.objects.filter(reading_list=the_list).delete()
            seconds, status = timed_post(client, "/settings/interests/seeds/", filename, data)
            assert status == 200, (layout, "seeds", status)
            seeds.append(seconds)
            seconds, status = timed_post(client, f"/lists/{the_list.slug}/import/", filename, data)
            assert status == 200, (layout, "import", status)
            imports.append(seconds)
        assert SeedPaper.objects.filter(user=user).count() == MAX_ENTRIES, layout
        assert ReadingListEntry.objects.filter(reading_list=the_list).count() == MAX_ENTRIES, layout
        results["layouts"].append(
            {
                "layout": layout,
                "bytes": len(data),
                "seeds_s": statistics.median(seeds),
                "import_s": statistics.median(imports),
            }
        )
    hostile = bibtex_one_line([f"2401.{i % 99999 + 1:05d}" for i in range(40_000)]).encode()
    seconds, status = timed_post(client, "/settings/interests/seeds/", "refs.bib", hostile)
    results["refused_40000_one_line_s"] = seconds
    return results


def report(results: dict[str, Any]) -> str:
    lines = [
        f"reference uploads of {results['entries']:,} entries, median of {results['repeat']} (target ≤ "
        f"{results['target_s']:.0f} s each)",
        f"{'layout':30} {'KB':>6} {'seeds s':>8} {'import s':>9}",
    ]
    for r in results["layouts"]:
        lines.append(f"{r['layout']:30} {r['bytes'] / 1024:6.0f} {r['seeds_s']:8.2f} {r['import_s']:9.2f}")
    lines.append(f"a 40,000-entry one-line file, refused: {results['refused_40000_one_line_s']:.2f} s")
    return "\n".join(lines)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results = measure()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(report(results))
    from bench.report import write_section

    write_section("uploads", results)


if __name__ == "__main__":
    main()
