"""A 2,000-paper announcement reaches the decks of 10,000 followers while 60 readers swipe (issue 21: ≤ 300 s).

Laid out as production runs it: gunicorn (gunicorn.conf.py) and one Celery worker on every queue, on
PostgreSQL and a Redis database of its own. The followers (bench/readers.py: decisions, lists, mutes, a
model checkpoint and a queue of 300 cards each; one in fifty new) are seeded once into
`<DATABASE_URL's name>_announcement` and each run works on a copy. After 20 s of swiping, 2,000 new papers
are committed and their features computed; the real `merge_new_papers` tasks follow. A follower is reached
when the merge task that holds them has succeeded; the figure runs from the papers' commit to the last
success in the worker's log. Also reported: web latencies and learning lag during the announcement, the
rank queue's length, worker seconds per follower.

Checks (exit status 1 if one fails or the target is missed): every follower reached; no queue over 300
cards, with a duplicate, a decided, muted or unwanted paper; no error in the worker's log, no 5xx.
BENCH_ANNOUNCEMENT_PAPERS, _FOLLOWERS, _NEW and _CLIENTS change the scale; tests/test_announcement.py runs
a tiny one through `run`.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import (  # noqa: E402
    Client,
    Learning,
    Reply,
    django_env,
    drain,
    free_port,
    percentiles,
    readers_of,
    start_gunicorn,
    start_worker,
    stop_gunicorn,
    stop_process,
    unlearned,
    with_path,
)

PYTHON = sys.executable
PAPERS = int(os.environ.get("BENCH_ANNOUNCEMENT_PAPERS", "50000"))
FOLLOWERS = int(os.environ.get("BENCH_ANNOUNCEMENT_FOLLOWERS", "10000"))
ANNOUNCED = int(os.environ.get("BENCH_ANNOUNCEMENT_NEW", "2000"))
CLIENTS = int(os.environ.get("BENCH_ANNOUNCEMENT_CLIENTS", "60"))
PAUSE = 2.0  # each reader's look at a card, 0.5 to 1.5 times this
NEW_EVERY = 50  # one follower in this many is new: no decision, no queue, no model
TEMPLATES = 36  # models fitted for real; every other follower copies the one nearest their categories
CANDIDATES = 20_000  # as deck.ranking.queues.CANDIDATE_LIMIT: a full rescore's reach
QUEUE = 300
LEAD_S = 20.0  # swiping before the announcement: reranks under way, caches warm
TAIL_S = 5.0  # swiping after it
WARMUP_S = 5.0
TARGET_S = 300.0
TIMEOUT_S = 900.0
SLICE_S = 10.0  # how often a client looks whether the run is over
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
BASE_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
PRIORITY_STEPS = (0, 3, 6, 9)  # kombu's Redis transport: a list per step, "rank" and "rank\x06\x16<step>"
MERGE_TASK = "deck.tasks.merge_new_papers"
LOG_LINE = re.compile(
    r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/[^\]]*\] "
    r"Task ([\w.]+)\[([^\]]+)\] (succeeded in ([\d.]+)s: (\S+)|raised)"
)


# --- the database, in processes of their own with bench.settings ------------------------------------------


def setup_django() -> None:
    import django

    django.setup()


def prepare_here(papers: int, followers: int) -> None:
    """Migrate, seed the catalog, write the followers, fit and copy their models, score their queues."""
    from io import StringIO

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    began = time.perf_counter()
    # One seeded user, new (no decision, no queue): bench/readers.py writes the followers.
    call_command("seed_bench", papers=papers, users=1, swipes=0, no_rank=True, stdout=StringIO())
    print(f"catalog of {papers:,} papers: {time.perf_counter() - began:.0f} s", flush=True)
    from bench import readers

    rng = random.Random(1)  # reproducible, not secret
    users = readers.create_users(
        [f"follower-{i}@example.org" for i in range(followers)], password=make_password("bench passphrase 1")
    )
    made = readers.make_readers(rng, [u.pk for u in users], new_every=NEW_EVERY, queues=False)
    print(f"followers: {time.perf_counter() - began:.0f} s", flush=True)
    write_models_and_queues(rng, made)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"models and queues: {time.perf_counter() - began:.0f} s", flush=True)


def write_models_and_queues(rng: random.Random, made: list[Any]) -> None:
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from bench import readers
    from deck.models import DeckSettings
    from deck.ranking import candidate_pool, queues, ranker, reader_model
    from papers.features.store import matrix_for

    by_user = {r.user_id: r for r in made}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, max(id), count(*) FILTER (WHERE decision = 'keep'), "
            "count(*) FILTER (WHERE decision = 'skip') FROM accounts_swipe GROUP BY user_id"
        )
        history = {user: (last, keeps, skips) for user, last, keeps, skips in cursor.fetchall()}
        # Every paper of the busy categories, newest first, with its kind.
        cursor.execute(
            "SELECT p.id, p.announce_type, p.version FROM papers_paper p WHERE EXISTS (SELECT 1 FROM "
            "papers_paper_categories pc WHERE pc.paper_id = p.id AND pc.category_id = ANY(%s)) "
            "ORDER BY p.listed_at DESC, p.id DESC",
            [readers.busy_categories()],
        )
        rows = cursor.fetchall()
    ids, matrix = matrix_for([pk for pk, _, _ in rows])
    position = {pk: i for i, pk in enumerate(ids)}
    kinds = {pk: candidate_pool.kind_of(kind, version) for pk, kind, version in rows}
    replacement = np.array([bool(kinds[pk] & candidate_pool.REPLACEMENT) for pk in ids])
    pools = {c: np.array([position[p] for p in ps if p in position]) for c, ps in readers.category_pools().items()}

    def pool_of(followed: tuple[int, ...]) -> np.ndarray:
        return np.array(sorted({int(i) for c in followed for i in pools.get(c, [])}), dtype=np.int64)

    # The templates: readers with enough decisions to learn from, two of them heavy.
    eligible = [r for r in made if not r.heavy and len(r.decided) >= 30]
    heavy = [r for r in made if r.heavy]
    templates = []
    for reader in rng.sample(eligible, min(TEMPLATES - 2, len(eligible))) + heavy[:2]:
        decided = set(reader.decided)
        unseen = [ids[i] for i in pool_of(reader.followed)[:4000] if ids[i] not in decided]
        _, sample = matrix_for(rng.sample(unseen, min(ranker.UNSEEN_SAMPLE, len(unseen))))
        fitted = reader_model.learned(user=User.objects.get(pk=reader.user_id), unseen=sample)
        if fitted.checkpoint is not None:
            templates.append((reader, fitted))
    print(f"fitted {len(templates)} reader models", flush=True)
    scores = [ranker.predict(fitted.reader, matrix) for _, fitted in templates]
    fitted_users = {reader.user_id for reader, _ in templates}
    no_replacements = set(DeckSettings.objects.filter(include_replacements=False).values_list("user_id", flat=True))
    muted = readers.muted_papers(list(by_user))
    now = timezone.now()
    models, cards, stamps = [], [], []
    pool_cache: dict[tuple[int, ...], np.ndarray] = {}
    shuffle = np.random.default_rng(1)
    for reader in made:
        if reader.new:
            continue
        if reader.followed not in pool_cache:
            pool_cache[reader.followed] = pool_of(reader.followed)
        pool = pool_cache[reader.followed]
        shut = {position[p] for p in reader.decided if p in position}
        shut |= {position[p] for p in muted.get(reader.user_id, ()) if p in position}
        wanted = pool[~np.isin(pool, np.fromiter(shut, dtype=np.int64, count=len(shut)))]
        if reader.user_id in no_replacements:
            wanted = wanted[~replacement[wanted]]
        wanted = wanted[:CANDIDATES]
        overlap = [_jaccard(reader.followed, t.followed) for t, _ in templates]
        best = rng.choice([i for i, o in enumerate(overlap) if o == max(overlap)])
        template = templates[best][1]
        last, keeps, skips = history.get(reader.user_id, (0, 0, 0))
        if last and reader.user_id not in fitted_users:
            checkpoint = template.checkpoint
            assert checkpoint is not None
            fit = (bytes(checkpoint.features), checkpoint.intercept, checkpoint.intercept_precision)
            models.append((reader.user_id, 1, *fit, last, keeps, skips, keeps + skips, now, False, 0))
        if not last:
            continue  # no decision and no model: the deck newest first, as for a new reader
        score = scores[best][wanted]
        # As a full rescore orders them: the predicted top, every fifth card exploring from outside it.
        for slot, (i, explores) in enumerate(ranker.order(score, rng=shuffle, limit=QUEUE)):
            reason = "Exploring" if explores else "Ranked by what you keep"
            rank = (slot + 1) * queues.RANK_STEP  # as queues._write_queue writes it
            cards.append((reader.user_id, ids[wanted[i]], rank, float(min(score[i], 1.0)), explores, False, reason))
        stamps.append((reader.user_id, now, now, False))
    model_columns = (
        "user_id, version, features, intercept, intercept_precision, learned_through, "
        "keeps, skips, decisions_at_refit, refit_at, refit_due, since_full_rescore"
    )
    readers.bulk_copy(
        [
            ("deck_deckcard", "user_id, paper_id, rank, score, exploring, from_follow, reason", cards),
            ("deck_readermodel", model_columns, models),
            ("deck_queuestamp", "user_id, built_from, rescored_from, rescore_due", stamps),
        ]
    )
    print(f"{len(models) + len(templates):,} reader models, {len(cards):,} queued cards", flush=True)


def sessions_here(clients: int) -> None:
    """Signed-in sessions for `clients` followers with a model and a queue, spread over them (heavy ones too)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from accounts.models import User
    from deck.models import ReaderModel

    ids = list(ReaderModel.objects.order_by("user_id").values_list("user_id", flat=True))
    step = max(1, len(ids) // clients)
    sessions = {}
    for user in User.objects.filter(pk__in=ids[::step][:clients]):
        store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        sessions[user.pk] = store.session_key
    print("SESSIONS " + json.dumps(sessions))


def announce_here(count: int) -> None:
    """Insert `count` papers in one transaction, then compute their features as the harvest's task does;
    prints the commit's time and every merge task published (its id and followers)."""
    from celery.signals import after_task_publish
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import readers
    from papers.features.store import compute_features

    published: dict[str, list[int]] = {}

    def record(sender: str | None = None, headers: dict[str, Any] | None = None, body: Any = None, **_: Any) -> None:
        if sender == MERGE_TASK and headers:
            published[headers["id"]] = list(body[0][0])

    after_task_publish.connect(record, weak=False)
    rng = random.Random(7)  # reproducible, not secret
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM papers_paper WHERE primary_category_id = ANY(%s) ORDER BY id", [readers.busy_categories()]
        )
        sources = rng.sample([row[0] for row in cursor.fetchall()], count)
        cursor.execute("SELECT max(id) FROM papers_paper")
        first = cursor.fetchone()[0] + 1
    new_ids = list(range(first, first + count))
    month = f"{(timezone.now().year + 1) % 100:02d}01"  # a month no seeded paper has
    arxiv_ids = [f"{month}.{i + 1:05d}" for i in range(count)]
    columns = (
        "version, title, abstract, authors, comment, journal_ref, doi, license, published, updated, "
        "primary_category_id, announce_type, authors_text, search_vector, author_keys"
    )
    copied = ", ".join(f"p.{c.strip()}" for c in columns.split(","))
    pairs = "unnest(%s::bigint[], %s::bigint[], %s::text[]) AS n(old_id, new_id, arxiv_id)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO papers_paper (id, arxiv_id, {columns}, created_at, modified_at, announced_on, listed_at) "
            f"SELECT n.new_id, n.arxiv_id, {copied}, now(), now(), current_date, now() "
            f"FROM papers_paper p JOIN {pairs} ON p.id = n.old_id",
            [sources, new_ids, arxiv_ids],
        )
        cursor.execute(
            "INSERT INTO papers_paper_categories (paper_id, category_id) SELECT n.new_id, pc.category_id "
            f"FROM papers_paper_categories pc JOIN {pairs} ON pc.paper_id = n.old_id",
            [sources, new_ids, arxiv_ids],
        )
        cursor.execute(
            "INSERT INTO papers_paperversion (paper_id, number, submitted, size) "
            f"SELECT n.new_id, v.number, v.submitted, v.size FROM papers_paperversion v JOIN {pairs} "
            "ON v.paper_id = n.old_id",
            [sources, new_ids, arxiv_ids],
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('papers_paper', 'id'), %s)", [new_ids[-1]])
    committed = time.time()
    print(f"COMMITTED {committed}", flush=True)
    began = time.perf_counter()
    compute_features(paper_ids=new_ids)  # outside a transaction: the signal is sent as the vectors are written
    out = {"committed": committed, "features_and_queueing_s": time.perf_counter() - began, "queued": time.time()}
    print("ANNOUNCED " + json.dumps(out | {"paper_ids": new_ids, "tasks": published}), flush=True)


def check_here(paper_ids: list[int]) -> None:
    """The state of every queue after the run, from the database; prints JSON."""
    from django.db import connection

    from deck import selectors
    from deck.models import DeckCard, Interest
    from papers.models import Paper

    through = "accounts_user_followed_categories"
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT f.user_id FROM {through} f JOIN papers_paper_categories pc "
            "ON pc.category_id = f.category_id WHERE pc.paper_id = ANY(%s)",
            [paper_ids],
        )
        out["followers"] = sorted(row[0] for row in cursor.fetchall())
        queries = {
            "with_new_cards": "SELECT count(DISTINCT user_id) FROM deck_deckcard WHERE paper_id = ANY(%(new)s)",
            "new_cards": "SELECT count(*) FROM deck_deckcard WHERE paper_id = ANY(%(new)s)",
            "queues": "SELECT count(DISTINCT user_id) FROM deck_deckcard",
            "over_300": "SELECT count(*) FROM (SELECT user_id FROM deck_deckcard GROUP BY user_id "
            f"HAVING count(*) > {QUEUE}) q",
            "longest": "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM deck_deckcard GROUP BY user_id) q",
            "paper_twice": "SELECT count(*) FROM (SELECT 1 FROM deck_deckcard GROUP BY user_id, paper_id "
            "HAVING count(*) > 1) q",
            "decided_in_queue": "SELECT count(*) FROM deck_deckcard d JOIN accounts_swipe s "
            "ON s.user_id = d.user_id AND s.paper_id = d.paper_id",
            "outside_categories": "SELECT count(*) FROM deck_deckcard d WHERE NOT d.from_follow AND NOT EXISTS ("
            f"SELECT 1 FROM papers_paper_categories pc JOIN {through} f ON f.category_id = pc.category_id "
            "WHERE pc.paper_id = d.paper_id AND f.user_id = d.user_id)",
            "left_out_kind": "SELECT count(*) FROM deck_deckcard d JOIN deck_decksettings s ON s.user_id = d.user_id "
            "JOIN papers_paper p ON p.id = d.paper_id WHERE d.paper_id = ANY(%(new)s) AND ("
            "(NOT s.include_replacements AND (p.announce_type IN ('replace', 'replace-cross') "
            "OR (p.announce_type = '' AND p.version > 1))) "
            "OR (NOT s.include_cross_lists AND p.announce_type = 'cross'))",
        }
        for key, sql in queries.items():
            cursor.execute(sql, {"new": paper_ids})
            out[key] = cursor.fetchone()[0]
    announced = Paper.objects.filter(pk__in=paper_ids)
    out["muted_cards"] = sum(
        DeckCard.objects.filter(user_id=mute.user_id, paper__in=announced.filter(selectors.matching(mute))).count()
        for mute in Interest.objects.filter(stance=Interest.Stance.MUTE)
    )
    print("CHECKED " + json.dumps(out))


def in_django(database_url: str, broker_url: str, command: str, *args: object, timeout: float = 3600) -> str:
    """Run one of this file's commands in a process of its own on that database; returns its output."""
    env = django_env(database_url, broker_url) | {"TQDM_DISABLE": "1"}
    done = subprocess.run(
        [PYTHON, __file__, command, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def tagged(output: str, tag: str) -> Any:
    line = next(line for line in output.splitlines() if line.startswith(f"{tag} "))
    return json.loads(line.removeprefix(f"{tag} "))


# --- the run ------------------------------------------------------------------------------------------------


def prepare_database(template_url: str, broker_url: str, *, papers: int, followers: int) -> float:
    """The kept database at this scale, made when missing or of another scale; returns its seeding time."""
    import psycopg

    name = urlsplit(template_url).path.lstrip("/")
    admin_url = with_path(template_url, "/postgres")
    try:
        with psycopg.connect(template_url) as db:
            row = db.execute("SELECT seconds, papers, followers FROM bench_seed").fetchone()
        if row and (row[1], row[2]) == (papers, followers):
            print(f"reusing {name} (seeded in {row[0]:.0f} s)", flush=True)
            return float(row[0])
    except psycopg.Error:
        pass  # missing or half-made: made again below
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    began = time.perf_counter()
    print(in_django(template_url, broker_url, "prepare", papers, followers), end="", flush=True)
    seconds = time.perf_counter() - began
    with psycopg.connect(template_url, autocommit=True) as db:
        db.execute("CREATE TABLE bench_seed (seconds float, papers int, followers int)")
        db.execute("INSERT INTO bench_seed VALUES (%s, %s, %s)", [seconds, papers, followers])
    return seconds


def copy_database(template_url: str, run_url: str) -> float:
    import psycopg

    began = time.perf_counter()
    template, name = (urlsplit(url).path.lstrip("/") for url in (template_url, run_url))
    with psycopg.connect(with_path(run_url, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # A file copy: the default (WAL_LOG) writes a few GB through the WAL instead.
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return time.perf_counter() - began


@dataclass
class Watch(Learning):
    """bench_load's watcher for the swiping readers only (10,000 stamps every 0.25 s would be a load of their
    own), with the tasks waiting on the rank and default queues counted over every priority's list and each
    look's time kept."""

    users: list[int] = field(default_factory=list)
    series: list[tuple[float, int]] = field(default_factory=list)  # (epoch seconds, tasks waiting)

    def watch(self) -> None:
        import psycopg
        import redis

        broker = redis.Redis.from_url(self.broker_url)
        # Reranks wait on `rank`, merges on `default` (paperswipe/settings/base.py): both, every priority's list.
        keys = [
            queue if step == 0 else f"{queue}\x06\x16{step}" for queue in ("rank", "default") for step in PRIORITY_STEPS
        ]
        with psycopg.connect(self.database_url, autocommit=True) as db:
            while not self.stop.is_set():
                pipe = broker.pipeline()
                for key in keys:
                    pipe.llen(key)
                waiting = sum(pipe.execute())
                self.lengths.append(waiting)
                self.series.append((time.time(), waiting))
                now = datetime.now(UTC)
                rows = db.execute(
                    "SELECT user_id, built_from FROM deck_queuestamp WHERE user_id = ANY(%s)", [self.users]
                )
                for user_id, built_from in rows:
                    stamps = self.seen.setdefault(user_id, [])
                    if not stamps or stamps[-1][1] != built_from:
                        stamps.append((now, built_from))
                self.stop.wait(self.every)


@dataclass
class Swiper(Client):
    """bench_load's client, swiping until told to stop, with each reply's time kept."""

    ended: list[float] = field(default_factory=list)  # epoch seconds of each recorded reply
    done: threading.Event = field(default_factory=threading.Event)

    def _record(self, reply: Reply) -> None:
        with self.lock:
            if self.recording:
                self.replies.append(reply)
                self.ended.append(time.time())

    def _swipe_until(self, until: float, pause: float) -> None:
        # Slices of bench_load's loop: the run ends when the announcement has arrived, not at a fixed time.
        while not self.done.is_set() and time.monotonic() < until and not self.ran_out:
            super()._swipe_until(min(until, time.monotonic() + SLICE_S), pause)


def merge_log(log: str) -> dict[str, tuple[float, float, int] | None]:
    """Each merge task that ended: (when, seconds, cards placed) for a success, None for a failure."""
    ended: dict[str, tuple[float, float, int] | None] = {}
    for stamp, task, task_id, outcome, seconds, value in LOG_LINE.findall(log):
        if task != MERGE_TASK:
            continue
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()  # the worker logs local time
        ended[task_id] = (at, float(seconds), int(value)) if outcome != "raised" else None
    return ended


def _jaccard(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int]) -> float:
    """How much two readers' followed categories overlap."""
    return len(set(a) & set(b)) / len(set(a) | set(b))


def task_seconds(log: str, task: str) -> list[float]:
    return [float(seconds) for _, name, _, outcome, seconds, _ in LOG_LINE.findall(log) if name == task and seconds]


def run(
    *,
    template_url: str,
    run_url: str,
    broker_url: str,
    papers: int = PAPERS,
    followers: int = FOLLOWERS,
    announced: int = ANNOUNCED,
    clients: int = CLIENTS,
    pause: float = PAUSE,
    lead: float = LEAD_S,
    warmup: float = WARMUP_S,
    timeout: float = TIMEOUT_S,
    tail: float = TAIL_S,
    seed: int = 1,
) -> dict[str, Any]:
    """Prepare (or reuse) the database, copy it, swipe, announce, wait for every merge, check."""
    import psycopg
    import redis

    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    seed_s = prepare_database(template_url, broker_url, papers=papers, followers=followers)
    copy_s = copy_database(template_url, run_url)
    sessions = tagged(in_django(run_url, broker_url, "sessions", clients), "SESSIONS")
    sessions = {int(pk): key for pk, key in sessions.items()}
    with psycopg.connect(run_url) as db:
        before = db.execute("SELECT coalesce(max(id), 0) FROM accounts_swipe").fetchone()[0]  # type: ignore[index]
    load_before = os.getloadavg()
    print(f"copied the database in {copy_s:.0f} s; load average {load_before[0]:.2f}", flush=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-announcement-") as folder:
        server_log, worker_log = Path(folder) / "gunicorn.log", Path(folder) / "worker.log"
        server = start_gunicorn(run_url, broker_url, port, server_log)
        worker = None
        watcher = Watch(run_url, broker_url, users=list(sessions))
        team: list[Swiper] = []
        threads: list[threading.Thread] = []
        started, worker_pid, drained = time.time(), 0, 0.0
        announcement: dict[str, Any] = {}
        ended: dict[str, tuple[float, float, int] | None] = {}
        done_at = None
        try:
            worker = start_worker(run_url, broker_url, worker_log)
            worker_pid = worker.pid
            team = readers_of(sessions, port=port, seed=seed, double_click_every=20, jitter=True, kind=Swiper)
            barrier = threading.Barrier(len(team) + 1)
            threads = [threading.Thread(target=c.swipe, args=(10 * timeout, warmup, pause, barrier)) for c in team]
            for thread in threads:
                thread.start()
            barrier.wait()
            started = time.time()
            threading.Thread(target=watcher.watch, daemon=True).start()
            time.sleep(lead)
            print(f"{len(team)} readers swiping for {lead:g} s; announcing {announced:,} papers", flush=True)
            announce_out = in_django(run_url, broker_url, "announce", announced, timeout=timeout)
            announcement = tagged(announce_out, "ANNOUNCED")
            tasks: dict[str, list[int]] = announcement["tasks"]
            print(
                f"committed; features and {len(tasks)} merge tasks queued in "
                f"{announcement['features_and_queueing_s']:.1f} s; waiting for them",
                flush=True,
            )
            while time.time() - announcement["committed"] < timeout:
                ended = merge_log(worker_log.read_text(errors="replace"))
                if all(task_id in ended for task_id in tasks):
                    done_at = time.time()
                    break
                time.sleep(0.5)
            time.sleep(tail)
        finally:
            for client in team:
                client.done.set()
            for thread in threads:
                thread.join()
            drained = drain(watcher, run_url, before) if team else 0.0
            watcher.stop.set()
            if worker is not None:
                stop_process(worker)
            stop_gunicorn(server)
            broker.flushdb()
            for client in team:
                client.close()
        worker_text = worker_log.read_text(errors="replace")
        server_text = server_log.read_text(errors="replace")
    ended = merge_log(worker_text)
    checked = tagged(in_django(run_url, broker_url, "check", json.dumps(announcement["paper_ids"])), "CHECKED")
    return judge(
        announcement=announcement,
        ended=ended,
        done_at=done_at,
        checked=checked,
        team=team,
        watcher=watcher,
        run_url=run_url,
        before=before,
        started=started,
        drained=drained,
        worker_text=worker_text,
        server_text=server_text,
        extra={
            "papers": papers,
            "followers_made": followers,
            "announced": announced,
            "clients": len(team),
            "pause_s": pause,
            "lead_s": lead,
            "seed_s": seed_s,
            "copy_s": copy_s,
            "worker_pid": worker_pid,
            "load_average_before": load_before[0],
            "load_average_before_5_15": [load_before[1], load_before[2]],
            "load_average_after": os.getloadavg()[0],
            "cores": os.cpu_count(),
            "target_s": TARGET_S,
            "timeout_s": timeout,
        },
    )


def judge(
    *,
    announcement: dict[str, Any],
    ended: dict[str, tuple[float, float, int] | None],
    done_at: float | None,
    checked: dict[str, Any],
    team: list[Swiper],
    watcher: Watch,
    run_url: str,
    before: int,
    started: float,
    drained: float,
    worker_text: str,
    server_text: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    import psycopg

    committed = announcement["committed"]
    tasks: dict[str, list[int]] = announcement["tasks"]
    succeeded = {task_id: ended[task_id] for task_id in tasks if ended.get(task_id)}
    failed = [task_id for task_id in tasks if task_id in ended and ended[task_id] is None]
    covered = {user for task_id in succeeded for user in tasks[task_id]}
    followers = set(checked["followers"])
    last = max((e[0] for e in succeeded.values() if e), default=None)
    reached_s = (last - committed) if last is not None and len(succeeded) == len(tasks) else None
    merge_busy = sum(e[1] for e in succeeded.values() if e)
    until = last or time.time()

    # The web during the announcement: replies that ended between the commit and the last merge.
    def replies(kind: str, window: bool) -> list[Reply]:
        return [
            r
            for c in team
            for r, at in zip(c.replies, c.ended, strict=True)
            if r.kind == kind and (not window or committed <= at <= until)
        ]

    web = {}
    for label, window in (("during", True), ("whole_run", False)):
        cards, decides = replies("cards", window), replies("decide", window)
        web[label] = {
            "cards": percentiles([r.seconds for r in cards if r.status]),
            "decide": percentiles([r.seconds for r in decides if r.status]),
            "server_errors": sum(1 for r in cards + decides if r.status >= 500),
            "failed_connections": sum(1 for r in cards + decides if r.status == 0),
        }
    with psycopg.connect(run_url) as db:
        decisions = db.execute("SELECT user_id, created_at FROM accounts_swipe WHERE id > %s", [before]).fetchall()
    lags = {}
    for label, window in (("during", True), ("whole_run", False)):
        chosen = [(u, at) for u, at in decisions if not window or committed <= at.timestamp() <= until]
        seen = watcher.lag(chosen)
        cuts = statistics.quantiles(seen, n=100, method="inclusive") if len(seen) > 1 else [0.0] * 99
        lags[label] = {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "learned": len(seen), "of": len(chosen)}
    # The rank queue every 10 s from the commit: the most tasks waiting in each.
    queue = [(at - committed, n) for at, n in watcher.series]
    buckets: dict[int, int] = {}
    for at, n in queue:
        buckets[int(at // 10) * 10] = max(buckets.get(int(at // 10) * 10, 0), n)
    left = unlearned(run_url, before)
    rerank_s = task_seconds(worker_text, "deck.tasks.rerank")
    checks = {
        f"every follower covered by a merge task that succeeded ({len(followers):,})": followers <= covered
        and not failed
        and done_at is not None,
        f"no queue over {QUEUE} cards": checked["over_300"] == 0,
        "no paper twice in a queue": checked["paper_twice"] == 0,
        "no decided paper in a queue": checked["decided_in_queue"] == 0,
        "no card outside the reader's categories (follows aside)": checked["outside_categories"] == 0,
        "no announced paper in the queue of a reader who muted it": checked["muted_cards"] == 0,
        "no announced paper of a kind the reader left out": checked["left_out_kind"] == 0,
        "no ERROR or traceback in the worker's log": "ERROR" not in worker_text and "Traceback" not in worker_text,
        "no 5xx, no traceback in gunicorn's log": web["whole_run"]["server_errors"] == 0
        and "Traceback" not in server_text,
        "no client stopped by an exception": not any(c.crashed for c in team),
        "every swiping reader's queue built after their last decision": not left,
    }
    results = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **extra,
        "followers": len(followers),
        "merge_tasks": len(tasks),
        "batch": max((len(users) for users in tasks.values()), default=0),
        "reached_s": reached_s,
        "features_and_queueing_s": announcement["features_and_queueing_s"],
        "followers_with_new_cards": checked["with_new_cards"],
        "new_cards_in_queues": checked["new_cards"],
        "cards_placed_by_merges": sum(e[2] for e in succeeded.values() if e),
        "worker_s_merges": merge_busy,
        "worker_ms_per_follower": 1000 * merge_busy / len(covered) if covered else None,
        "merge_task_s": {
            "p50": statistics.median([e[1] for e in succeeded.values() if e]) if succeeded else 0.0,
            "max": max((e[1] for e in succeeded.values() if e), default=0.0),
        },
        "reranks": len(rerank_s),
        "rerank_ms_mean": 1000 * statistics.mean(rerank_s) if rerank_s else 0.0,
        "web": web,
        "learning_lag_s": lags,
        "rank_queue_max": max((n for _, n in queue), default=0),
        "rank_queue_every_10_s": {str(k): v for k, v in sorted(buckets.items()) if k >= -10},
        "run_s": time.time() - started,
        "drained_s": drained,
        "decisions": len(decisions),
        "longest_queue": checked["longest"],
        "checks": checks,
    }
    results["passed"] = all(checks.values()) and reached_s is not None and reached_s <= TARGET_S
    if not results["passed"]:
        errors = [line for line in worker_text.splitlines() if "ERROR" in line or "Traceback" in line]
        results["worker_log_errors"] = errors[:20]
        results["failed_tasks"] = failed[:10]
        results["crashed"] = sorted({c.crashed for c in team if c.crashed})
    return results


def summary(r: dict[str, Any]) -> str:
    reached = f"{r['reached_s']:.1f} s" if r["reached_s"] is not None else "NOT within the timeout"
    during, lag = r["web"]["during"], r["learning_lag_s"]["during"]
    lines = [
        f"announcement of {r['announced']:,} papers to {r['followers']:,} followers ({r['merge_tasks']} merge tasks "
        f"of up to {r['batch']}), {r['clients']} readers swiping, load average {r['load_average_before']:.2f} before",
        f"reached every follower's deck in {reached} (target ≤ {r['target_s']:.0f} s); features + queueing "
        f"{r['features_and_queueing_s']:.1f} s",
        f"{r['followers_with_new_cards']:,} followers hold a new paper ({r['new_cards_in_queues']:,} cards; the merges "
        f"placed {r['cards_placed_by_merges']:,}); worker {r['worker_ms_per_follower'] or 0:.1f} ms per follower, "
        f"merge task p50 {r['merge_task_s']['p50']:.2f} s, max {r['merge_task_s']['max']:.2f} s",
        f"during it: next card p50 {during['cards']['p50_ms']:.0f} / p99 {during['cards']['p99_ms']:.0f} ms, decision "
        f"p50 {during['decide']['p50_ms']:.0f} / p99 {during['decide']['p99_ms']:.0f} ms, "
        f"{during['server_errors']} 5xx; learning lag p50 {lag['p50']:.1f} / p90 {lag['p90']:.1f} / p99 "
        f"{lag['p99']:.1f} s ({lag['learned']} of {lag['of']} decisions); {r['reranks']} reranks, "
        f"{r['rerank_ms_mean']:.0f} ms mean",
        f"rank queue, most waiting per 10 s from the commit: {r['rank_queue_every_10_s']}",
    ]
    lines += [f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in r["checks"].items()]
    return "\n".join(lines)


def main() -> None:
    from bench.report import write_section

    name = urlsplit(BASE_DATABASE_URL).path.lstrip("/")
    results = run(
        template_url=with_path(BASE_DATABASE_URL, f"/{name}_announcement"),
        run_url=with_path(BASE_DATABASE_URL, f"/{name}_announcement_run"),
        broker_url=with_path(BASE_REDIS_URL, "/11"),
    )
    print(summary(results))
    write_section("announcement", results)
    if not results["passed"]:
        raise SystemExit("announcement: a check failed or the target was missed")


COMMANDS = {
    "prepare": lambda args: prepare_here(int(args[0]), int(args[1])),
    "sessions": lambda args: sessions_here(int(args[0])),
    "announce": lambda args: announce_here(int(args[0])),
    "check": lambda args: check_here(json.loads(args[0])),
}

if __name__ == "__main__":
    if len(sys.argv) > 1:
        setup_django()
        COMMANDS[sys.argv[1]](sys.argv[2:])
    else:
        main()
