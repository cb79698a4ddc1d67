"""`make bench`: the deck at scale, for the heaviest reader of a catalog seeded by `manage.py seed_bench`.

BENCH_PAPERS (default 50,000), BENCH_DECISIONS (the heaviest reader's, default 10,000) and BENCH_USERS
(default 10) choose the scale. The seeded database, `<DATABASE_URL's name>_bench_<papers>_<decisions>`,
is kept and reused by later runs at the same scale (seeding 1M papers takes minutes). Every figure is
server time in process with real SQL on PostgreSQL, except the throughput, which is gunicorn driven by
wrk over loopback. Results go to docs/benchmarks.json (one entry per scale) and docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAPERS = int(os.environ.get("BENCH_PAPERS", "50000"))
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "10000"))
USERS = int(os.environ.get("BENCH_USERS", "10"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "300"))
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
BASE_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
RESULTS = ROOT / "docs" / "benchmarks.json"
REPORT = ROOT / "docs" / "benchmarks.md"
PYTHON = sys.executable


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def prepare_database() -> tuple[str, float]:
    """The bench database's URL and how long its seeding took (now or when it was made)."""
    import psycopg

    name = f"{urlsplit(BASE_DATABASE_URL).path.lstrip('/')}_bench_{PAPERS}_{DECISIONS}"
    url = with_path(BASE_DATABASE_URL, f"/{name}")
    with psycopg.connect(with_path(BASE_DATABASE_URL, "/postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists:
        try:
            with psycopg.connect(url) as db:
                row = db.execute("SELECT seconds FROM bench_seed").fetchone()
                if row:
                    print(f"reusing {name} (seeded in {row[0]:.0f} s)")
                    return url, float(row[0])
        except psycopg.Error:
            pass  # half-made: made again below
    with psycopg.connect(with_path(BASE_DATABASE_URL, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", "seed_bench", f"--papers={PAPERS}", f"--users={USERS}", f"--swipes={DECISIONS}"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seconds = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE bench_seed (seconds float)")
        db.execute("INSERT INTO bench_seed VALUES (%s)", [seconds])
    return url, seconds


def percentiles(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000}


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    database_url, seed_seconds = prepare_database()
    broker = with_path(BASE_REDIS_URL, "/14")  # its own Redis database: emptied after the run
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=broker, DJANGO_SETTINGS_MODULE="bench.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's template context, and ALLOWED_HOSTS from our settings
    results: dict[str, Any] = {
        "scale": {"papers": PAPERS, "decisions": DECISIONS, "users": USERS},
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed_s": seed_seconds,
    }
    results |= measure_in_process()
    results |= measure_throughput(database_url, broker)
    results |= measure_ingest()
    write(results)
    import redis

    redis.Redis.from_url(broker).flushdb()


def heaviest() -> Any:
    from accounts.models import User

    return User.objects.get(email="bench0@example.org")


def measure_in_process() -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from deck import selectors, services
    from deck.ranking.queues import refresh_queue
    from library.selectors import default_list

    user = heaviest()
    client = Client()
    client.force_login(user)
    out: dict[str, Any] = {}
    print(f"{PAPERS:,} papers; the reader follows 5 categories and has {user.swipes.count():,} decisions")

    cards = selectors.next_cards(user=user)
    exclude = ",".join(str(c.pk) for c in cards)
    for label, path, headers in (
        ("deck_page", "/", {}),
        # What the page asks for after a decision: the card that comes next, with the progress line.
        ("next_card", f"/deck/cards/?exclude={exclude}&count=1", {"HTTP_ACCEPT": "application/json"}),
        ("refill_3", f"/deck/cards/?exclude={exclude}&count=3", {"HTTP_ACCEPT": "application/json"}),
    ):
        request = lambda path=path, headers=headers: client.get(path, **headers)  # noqa: E731
        timed(request, 20)  # warm: connections, caches, plans
        out[label] = percentiles(timed(request, REPEAT))
        print(f"{label}: " + ", ".join(f"{k} {v:.1f}" for k, v in out[label].items()))

    # Decisions: each POST records one and queues its rerank on Redis; all are undone afterwards.
    decisions = []
    for _ in range(min(200, REPEAT)):
        paper = selectors.next_cards(user=user)[0]
        data = {"paper": paper.pk, "decision": "skip", "source": "key", "origin": "deck"}
        started = time.perf_counter()
        response = client.post("/deck/decide/", data, HTTP_ACCEPT="application/json")
        decisions.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    for _ in decisions:
        services.undo_last(user=user)
    refresh_queue(user=user)
    out["decision_post"] = percentiles(decisions)
    print("decision_post: " + ", ".join(f"{k} {v:.1f}" for k, v in out["decision_post"].items()))

    pages = {
        "deck": "/",
        "list": f"/lists/{default_list(user=user).slug}/",
        "history": "/history/",
        "search": "/search/?q=" + selectors.next_cards(user=user)[0].title.split()[0],
        "paper": selectors.next_cards(user=user)[0].get_absolute_url(),
        "trending": "/papers/trending/",
    }
    out["queries"] = {}
    for name, path in pages.items():
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        out["queries"][name] = len(queries)
    print(f"queries: {out['queries']}")

    out["exports"] = {}
    for fmt in ("bibtex", "ris", "csl-json"):
        path = f"/lists/benchmark-list/export/{fmt}/"
        assert client.get(path).status_code == 200
        out["exports"][fmt] = percentiles(timed(lambda path=path: client.get(path), 30))
        print(f"export {fmt}: p50 {out['exports'][fmt]['p50_ms']:.0f} ms")

    with CaptureQueriesContext(connection) as queries:
        selectors.next_cards(user=user)
    queue_sql = next(q["sql"] for q in queries if "deck_deckcard" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {queue_sql}")
        out["explain_next_card"] = "\n".join(row[0] for row in cursor.fetchall())
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, cookie: str, seconds: int = 10) -> dict[str, float]:
    run = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    if errors:
        raise RuntimeError(f"{url} answered {errors[1]} errors under load:\n{run.stdout}")
    return {"requests_per_s": rate}


def measure_throughput(database_url: str, broker: str) -> dict[str, Any]:
    """The deck page under gunicorn, against a bare login-required view on the same server, same run."""
    if not shutil.which("wrk"):
        raise SystemExit("The throughput figure needs wrk: `make bench` installs it (apt-get install wrk).")
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    user = heaviest()
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": broker, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    config = ["-c", "gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else []
    server = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), *config, "--bind", f"127.0.0.1:{port}", "paperswipe.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        wrk(f"{base}/", store.session_key or "", seconds=3)  # warm every worker
        deck = wrk(f"{base}/", store.session_key or "")
        bare = wrk(f"{base}/bench/bare/", store.session_key or "")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    ratio = deck["requests_per_s"] / bare["requests_per_s"]
    print(f"throughput: deck {deck['requests_per_s']:.0f}/s, bare {bare['requests_per_s']:.0f}/s, ratio {ratio:.2f}")
    return {"throughput": {"deck_per_s": deck["requests_per_s"], "bare_per_s": bare["requests_per_s"], "ratio": ratio}}


def measure_ingest() -> dict[str, Any]:
    """Parse and upsert of a 2,000-entry API page, then the ranker's features for those papers, each
    timed inside a transaction that is rolled back, so the bench database stays as seeded."""
    from django.db import transaction

    from papers.features.store import compute_features
    from papers.models import Paper
    from papers.parsers import parse_document
    from papers.services import upsert_records
    from tests.arxiv_standin import StandIn, make_entries

    entries = make_entries(2000, category="cs.LG", newest=datetime.now(UTC), spacing=timedelta(minutes=1))
    page = StandIn(entries=entries)._api_page({"max_results": "2000"}, empty=False)
    parse, upsert, vectors = [], [], []
    for _ in range(3):
        with transaction.atomic():
            started = time.perf_counter()
            records = parse_document(page).records
            parsed = time.perf_counter()
            upsert_records(records=records)
            done = time.perf_counter()
            ids = list(Paper.objects.filter(arxiv_id__in=[r.arxiv_id for r in records]).values_list("pk", flat=True))
            compute_features(paper_ids=ids)
            vectors.append(time.perf_counter() - done)
            parse.append(parsed - started)
            upsert.append(done - parsed)
            transaction.set_rollback(True)
    total = statistics.median(parse) + statistics.median(upsert)
    out = {
        "parse_s": statistics.median(parse),
        "upsert_s": statistics.median(upsert),
        "of_interval": total / 3.0,
        "features_s": statistics.median(vectors),
    }
    print(f"ingest of 2,000 entries: {total:.2f} s = {out['of_interval']:.2f} of arXiv's 3 s interval")
    return {"ingest": out}


def machine() -> dict[str, Any]:
    import django
    import psycopg
    import redis
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])  # type: ignore[index]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_version = redis.Redis.from_url(BASE_REDIS_URL).info("server")["redis_version"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "redis": redis_version,
        "psycopg": psycopg.__version__,
    }


def write(results: dict[str, Any]) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"scales": {}}
    data["machine"] = machine()
    data["scales"][f"{PAPERS}/{DECISIONS}"] = results
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    from bench.report import render

    REPORT.write_text(render(data))
    print(f"wrote {RESULTS.relative_to(ROOT)} and {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
