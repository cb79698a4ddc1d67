"""`make bench`: Lighthouse on the deck page as a phone sees it: performance, accessibility and best practices,
each at least 95 (issue 25).

Lighthouse comes from npm (`make bench` installs it into bench/lighthouse/) and runs on Debian's Chromium,
headless, with its default mobile profile (a mid-range phone's screen, a slowed CPU and network). The site
is laid out as production runs it: gunicorn (gunicorn.conf.py) and the Procfile's Celery worker on
PostgreSQL and Redis, 5,000 papers from `seed_bench` in `<DATABASE_URL's name>_lighthouse`, one signed-in
reader whose ranked deck is the page. Results go under "lighthouse" in docs/benchmarks.json and .md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import (  # noqa: E402
    free_port,
    prepare_database,
    start_gunicorn,
    start_worker,
    stop_gunicorn,
    stop_process,
    with_path,
)
from bench.report import write_section  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGET = 95
PAPERS = 5000


def run_lighthouse(url: str, session_key: str, out: Path) -> dict[str, Any]:
    flags = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={flags}",
        "--extra-headers=" + json.dumps({"Cookie": f"sessionid={session_key}"}),
    ]
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
    return json.loads(out.read_text())


def failing_audits(report: dict[str, Any], category: str) -> list[str]:
    """What cost points, by title, so that a score under target says why."""
    refs = report["categories"][category]["auditRefs"]
    audits = report["audits"]
    return [
        audits[ref["id"]]["title"]
        for ref in refs
        if ref["weight"] and audits[ref["id"]]["score"] is not None and audits[ref["id"]]["score"] < 0.9
    ]


def main() -> None:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
    name = urlsplit(base).path.lstrip("/") or "paperswipe"
    database_url = with_path(base, f"/{name}_lighthouse")
    broker = with_path(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "/12")
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: `make bench` installs it (npm, into bench/lighthouse/).")
    sessions = prepare_database(database_url, broker, papers=PAPERS, users=1)
    session_key = next(iter(sessions.values()))
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_gunicorn(database_url, broker, port, Path(tmp) / "gunicorn.log")
        worker = start_worker(database_url, broker, Path(tmp) / "worker.log")
        try:
            report = run_lighthouse(f"http://127.0.0.1:{port}/", session_key, Path(tmp) / "report.json")
        finally:
            stop_gunicorn(server)
            stop_process(worker)
    loaded = [item["url"] for item in report["audits"]["network-requests"]["details"]["items"]]
    if not any("/js/deck" in url for url in loaded):  # the front door for visitors has no deck
        raise SystemExit(f"Lighthouse did not see the signed-in deck: {report['finalDisplayedUrl']}, {loaded[:5]}")
    scores = {category: round(report["categories"][category]["score"] * 100) for category in CATEGORIES}
    results = {
        "when": datetime.now(UTC).isoformat(timespec="minutes"),
        "lighthouse": report["lighthouseVersion"],
        "chromium": report["environment"]["hostUserAgent"],
        "form_factor": report["configSettings"]["formFactor"],
        "papers": PAPERS,
        "url": report["finalDisplayedUrl"],
        "requests": len(loaded),
        "target": TARGET,
        "scores": scores,
        "below_target": {c: failing_audits(report, c) for c in CATEGORIES if scores[c] < TARGET},
        "largest_contentful_paint_ms": report["audits"]["largest-contentful-paint"]["numericValue"],
        "total_byte_weight": report["audits"]["total-byte-weight"]["numericValue"],
    }
    write_section("lighthouse", results)
    print("lighthouse: " + ", ".join(f"{c} {s}" for c, s in scores.items()) + f" (target ≥ {TARGET} each)")
    if any(score < TARGET for score in scores.values()):
        print("below target: " + json.dumps(results["below_target"]))


if __name__ == "__main__":
    main()
