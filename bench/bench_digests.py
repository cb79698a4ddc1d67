"""`make bench`: 10,000 email digests due in one hour, sent by a real Celery worker, each exactly once.

12,000 readers (bench/readers.py) on a 20,000-paper catalog in `<name>_digests`, made afresh each run: time
zones around the world, decisions, queues, mutes, a month of earlier digests for half; 10,000 have a digest
due this hour, 2,000 none (already sent, address not verified, turned off). The Procfile's worker for the
`default` queue sends them with Django's file email backend after the beat task `send_digests` is queued
once; timed from that to the last email written, target ≤ 300 s. Checks (exit status 1 if one fails): every
due reader has exactly one new DigestSent and one email, nobody else has either, nothing arrives later.
BENCH_DIGESTS and BENCH_DIGESTS_NOT_DUE change the numbers.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
BROKER_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
DUE = int(os.environ.get("BENCH_DIGESTS", "10000"))
NOT_DUE = int(os.environ.get("BENCH_DIGESTS_NOT_DUE", "2000"))
PAPERS = 20_000
TARGET_S = 300.0
TIMEOUT_S = 1200.0
CONCURRENCY = 2
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]
HEAVY_DECISIONS = 3_000  # as bench/readers.py gives its heaviest readers
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
EMAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


NAME = urlsplit(BASE_DATABASE_URL).path.lstrip("/")
DATABASE_URL = with_path(BASE_DATABASE_URL, f"/{NAME}_digests")
# This process and the worker: the bench database, the real broker, the bench settings.
os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=BROKER_URL, DJANGO_SETTINGS_MODULE="bench.settings")
os.environ.setdefault("TQDM_DISABLE", "1")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from accounts.models import User  # noqa: E402
from bench import readers  # noqa: E402
from bench.bench_load import launch_worker, stop_process  # noqa: E402
from deck.digest import sending as digests  # noqa: E402
from deck.models import DeckCard, DigestSent, DigestSubscription  # noqa: E402

Frequency = DigestSubscription.Frequency


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(with_path(BASE_DATABASE_URL, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}_digests" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{NAME}_digests"')


def make_readers(rng: random.Random, *, due: int, not_due: int) -> dict[str, list[int]]:
    """The readers (bench/readers.py) and everything a digest reads of them; returns the user ids of each group."""
    total = due + not_due
    users = readers.create_users(
        [f"digest-{i}@example.org" for i in range(total)],
        password=make_password("bench passphrase 1"),
        time_zones=[ZONES[i % len(ZONES)] for i in range(total)],
    )
    ids = [u.pk for u in users]
    groups = {
        "due": ids[:due],
        "already_sent": ids[due : due + not_due // 2],
        "unverified": ids[due + not_due // 2 : due + 3 * not_due // 4],
        "off": ids[due + 3 * not_due // 4 :],
    }
    unverified = set(groups["unverified"])
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=u.pk not in unverified, primary=True) for u in users],
        batch_size=2000,
    )
    off = set(groups["off"])
    DigestSubscription.objects.bulk_create(
        [
            DigestSubscription(
                user=u,
                frequency=Frequency.OFF if u.pk in off else (Frequency.WEEKLY if i % 5 == 0 else Frequency.DAILY),
                size=rng.choice((5, 10, 10, 10, 20, 30)),
            )
            for i, u in enumerate(users)
        ],
        batch_size=2000,
    )
    sent: list[tuple[Any, ...]] = []
    sent_papers: list[tuple[Any, ...]] = []
    now = datetime.now(UTC)

    def earlier_digests(reader: readers.Reader) -> None:
        if reader.index % 2 == 0:  # a month of earlier digests, ten papers each
            for days in range(2, 32):
                sent_id = len(sent) + 1
                day = (now - timedelta(days=days)).date()
                sent.append((sent_id, reader.user_id, f"daily {day.isoformat()}", now - timedelta(days=days)))
                sent_papers.extend((sent_id, p) for p in rng.sample(reader.unseen[:2000], 10))

    made = readers.make_readers(
        rng,
        ids,
        each=earlier_digests,
        also=lambda: [
            ("deck_digestsent", "id, user_id, period, sent_at", sent),
            ("deck_digestsent_papers", "digestsent_id, paper_id", sent_papers),
        ],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('deck_digestsent', 'id'), %s)", [len(sent) + 1])
        cursor.execute("ANALYZE")
    print(
        f"readers: {total:,} ({due:,} due), {sum(len(r.decided) for r in made):,} decisions, "
        f"{DeckCard.objects.count():,} queued cards, {len(sent):,} earlier digests",
        flush=True,
    )
    return groups


def make_due_now(groups: dict[str, list[int]], *, now: datetime) -> None:
    """Each reader's hour (and weekday) set to the one that has just come in their zone, subscribed long ago;
    the "already sent" readers get this period's DigestSent row."""
    for zone in ZONES:
        local = now.astimezone(ZoneInfo(zone))
        DigestSubscription.objects.filter(user__time_zone=zone, user__email__startswith="digest-").update(
            hour=local.hour, weekday=local.weekday(), changed_at=LONG_AGO
        )
    already = DigestSubscription.objects.filter(user_id__in=groups["already_sent"]).select_related("user")
    DigestSent.objects.bulk_create(
        [DigestSent(user_id=s.user_id, period=digests.period_of(s, now=now)[0]) for s in already]
    )


def clear_of_midnight() -> None:
    """A reader's period is their local day; every zone here turns its day at :00 or :30 UTC. Start at
    least a minute clear of that, so that the hour set above is still today's when the beat task reads it."""
    while (datetime.now(UTC).minute % 30) == 29:
        time.sleep(5)


def worker_settings(directory: Path, outbox: Path) -> str:
    """A settings module of the bench settings with the file email backend, importable by the worker."""
    (directory / "bench_digest_settings.py").write_text(
        "from bench.settings import *  # noqa: F403\n\n"
        'EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"\n'
        f"EMAIL_FILE_PATH = {str(outbox)!r}\n"
    )
    return "bench_digest_settings"


def start_worker(settings_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": worker_settings(settings_dir, settings_dir / "outbox"),
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT)]),
    }
    return launch_worker(env, log, queue="default", concurrency=CONCURRENCY)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    stop_process(worker, timeout=60)


def recipients(outbox: Path) -> list[str]:
    """The To: address of every email the file backend has written in full (a file per connection, that is
    per batch; a message counts once the separator after it is written)."""
    found = []
    for path in outbox.glob("*.log"):
        *complete, _ = path.read_bytes().split(EMAIL_SEPARATOR)
        found += [str(email.message_from_bytes(m, policy=email.policy.default)["To"]) for m in complete]
    return found


def purge_default_queue() -> None:
    from paperswipe.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")


def task_lines(log: str, task: str) -> list[tuple[float, int]]:
    """(seconds, return value) of each success the worker logged for this task."""
    pattern = re.compile(rf"Task {re.escape(task)}\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)")
    return [(float(s), int(n)) for s, n in pattern.findall(log)]


def finished(log: str, outbox: Path) -> bool:
    """The beat task ran, every batch it queued has ended (a failed one too), and every email the batches
    say they sent is written."""
    fan_out = task_lines(log, "deck.tasks.send_digests")
    if not fan_out:
        return False
    batches = task_lines(log, "deck.tasks.send_digest_batch")
    failed = len(re.findall(r"Task deck\.tasks\.send_digest_batch\[[^\]]+\] raised", log))
    if len(batches) + failed < fan_out[0][1]:
        return False
    return len(recipients(outbox)) >= sum(n for _, n in batches)


def run(groups: dict[str, list[int]], directory: Path) -> dict[str, Any]:
    from deck.tasks import send_digests

    outbox = directory / "outbox"
    outbox.mkdir()
    log = directory / "worker.log"
    purge_default_queue()
    connections.close_all()
    worker = start_worker(directory, log)
    try:
        clear_of_midnight()
        now = datetime.now(UTC)
        make_due_now(groups, now=now)
        since = datetime.now(UTC)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        send_digests.delay()
        expected = len(groups["due"])
        done_at = None
        while time.perf_counter() - started < TIMEOUT_S:
            if finished(log.read_text(errors="replace"), outbox):
                done_at = time.perf_counter()
                break
            time.sleep(0.5)
        elapsed = (done_at or time.perf_counter()) - started
        time.sleep(5)  # anything sent twice would arrive now
    finally:
        stop_worker(worker)
    text = log.read_text(errors="replace")
    sent_to = Counter(recipients(outbox))
    claimed = Counter(DigestSent.objects.filter(sent_at__gte=since).values_list("user_id", flat=True))
    due_emails = set(User.objects.filter(pk__in=groups["due"]).values_list("email", flat=True))
    due_ids = set(groups["due"])
    fan_out = task_lines(text, "deck.tasks.send_digests")
    batches = task_lines(text, "deck.tasks.send_digest_batch")
    busy = sum(s for s, _ in batches)
    sent = sum(n for _, n in batches)
    checks = {
        "every due reader: one DigestSent row": set(claimed) == due_ids and set(claimed.values()) == {1},
        "every due reader: one email": set(sent_to) == due_emails and set(sent_to.values()) == {1},
        "no reader who was not due: a row or an email": set(claimed) <= due_ids and set(sent_to) <= due_emails,
        "the beat task ran once and queued ceil(due / batch) batches": len(fan_out) == 1
        and fan_out[0][1] == -(-expected // digests.BATCH_SIZE),
        "no errors in the worker's log": "ERROR" not in text and "Traceback" not in text,
    }
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "concurrency": CONCURRENCY,
        "batch_size": digests.BATCH_SIZE,
        "due": expected,
        "not_due": sum(len(ids) for key, ids in groups.items() if key != "due"),
        "papers": PAPERS,
        "finished": done_at is not None,
        "seconds": elapsed,
        "digests_per_s": sum(sent_to.values()) / elapsed,
        "target_s": TARGET_S,
        "rows": sum(claimed.values()),
        "emails": sum(sent_to.values()),
        "fan_out_s": fan_out[0][0] if fan_out else None,
        "batches": len(batches),
        "worker_ms_per_digest": 1000 * busy / sent if sent else None,
        "checks": checks,
        "passed": done_at is not None and elapsed <= TARGET_S and all(checks.values()),
    }


def summary(results: dict[str, Any]) -> str:
    lines = [
        f"digests: {results['due']:,} due ({results['not_due']:,} subscribers not due), a worker of "
        f"{results['concurrency']} processes on {results['cores']} cores (load {results['load_average_before']:.1f})",
        f"all sent in {results['seconds']:.1f} s (target ≤ {results['target_s']:.0f} s): "
        f"{results['digests_per_s']:.1f} digests/s; {results['rows']:,} rows, {results['emails']:,} emails",
        f"fan-out {results['fan_out_s'] or 0:.2f} s, {results['batches']} batches of {results['batch_size']}, "
        f"{results['worker_ms_per_digest'] or 0:.1f} ms per digest in a worker process",
    ]
    lines += [f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in results["checks"].items()]
    return "\n".join(lines)


def prepare() -> dict[str, list[int]]:
    recreate_database()
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_bench", papers=PAPERS, users=10, swipes=HEAVY_DECISIONS, stdout=StringIO())
    print(f"catalog of {PAPERS:,} papers (seed_bench): {time.perf_counter() - began:.0f} s", flush=True)
    groups = make_readers(random.Random(1), due=DUE, not_due=NOT_DUE)  # reproducible, not secret
    print(f"prepared {NAME}_digests in {time.perf_counter() - began:.0f} s", flush=True)
    return groups


def main() -> None:
    from bench.report import write_section

    groups = prepare()
    with tempfile.TemporaryDirectory(prefix="bench-digests-") as directory:
        results = run(groups, Path(directory))
    print(summary(results))
    write_section("digests", results)
    if not results["passed"]:
        raise SystemExit("digests: a check failed or the target was missed")


if __name__ == "__main__":
    main()
