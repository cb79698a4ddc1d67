"""Load: 50 clients swipe for 60 s against gunicorn and PostgreSQL over loopback, then every decision is counted.

One thread per client, each a reader with a keep-alive connection and the CSRF cookie of its first GET /,
working the page as static/js/deck.js does: it holds the cards served, decides the top one (POST
/deck/decide/), and below 3 cards asks for more. One decision in 20 is posted twice at once, a double click.
Latencies are taken at the client, after a warm-up; a connection closed under a request (a worker replaced
after max_requests) is retried once on a new one, as a browser does. The database `<name>_load` is seeded
afresh each run (`seed_bench --papers 20000 --users 50`); gunicorn runs gunicorn.conf.py.

Checks (exit status 1 if one fails): no 5xx; the decisions acknowledged are exactly the rows stored, reader
by reader; no (user, paper) twice; each double click stored once; every keep in the default list. The
learning runs (60 and 150 readers) add the Celery worker and the learning lag. BENCH_LOAD_SECONDS,
BENCH_LOAD_CLIENTS and BENCH_LOAD_PAUSE change the run; tests/test_load.py runs a short one.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
PAPERS = 20_000
DOUBLE_CLICK_EVERY = 20  # one decision in this many is posted twice at once
PAUSE = float(os.environ.get("BENCH_LOAD_PAUSE", "0"))  # a reader's look at a card before deciding; 0: none
WARMUP = 5.0  # seconds of next-card requests, not counted, before the run: connections, caches, plans
EXCLUDE_LAST = 50  # the decided cards a client leaves out of its next-card request (the form takes 100)
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
BASE_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
CARD_ID = re.compile(r'<article class="card paper deck-card"[^>]* data-paper="(\d+)"')
REFILL_BELOW, BATCH = 3, 5  # as static/js/deck.js: a refill when fewer cards are held, up to a full page


def card_ids(html: list[str]) -> list[int]:
    """The papers of these cards, in order."""
    return [int(pk) for text in html for pk in CARD_ID.findall(text)]


# Run in the bench database's own Django (bench.settings), in a process of its own: migrate, seed, each
# reader's deck ranked once, as after their first visit, and a signed-in session per reader, as a login
# leaves it.
PREPARE = """
import json
import sys
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.utils.module_loading import import_string
from accounts.models import User
from deck.ranking.queues import refresh_queue

papers, users, swipes = map(int, sys.argv[1:4])
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_bench", papers=papers, users=users, swipes=swipes, no_rank=True, stdout=sys.stderr)

sessions = {}
for user in User.objects.order_by("pk"):
    refresh_queue(user=user)
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    sessions[user.pk] = store.session_key
print("SESSIONS " + json.dumps(sessions))
"""


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def django_env(database_url: str, broker_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "REDIS_CACHE_URL": broker_url,  # the cache and the cached sessions too: all in the emptied database
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }


def prepare_database(database_url: str, broker_url: str, *, papers: int, users: int, swipes: int = 0) -> dict[int, str]:
    """(Re)create the database, migrate, seed and rank it; returns each reader's session key by user id."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(with_path(database_url, "/postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = django_env(database_url, broker_url) | {"TQDM_DISABLE": "1"}
    done = subprocess.run(
        [PYTHON, "-c", PREPARE, str(papers), str(users), str(swipes)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"preparing {name} failed:\n{done.stderr[-4000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("SESSIONS "))
    return {int(pk): key for pk, key in json.loads(line.removeprefix("SESSIONS ")).items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_config(env: dict[str, str]) -> dict[str, int]:
    """The processes and threads gunicorn.conf.py gives gunicorn in this environment."""
    import runpy

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        return {"workers": int(config["workers"]), "threads": int(config["threads"])}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def start_gunicorn(database_url: str, broker_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Gunicorn with the repo's config, returned once every worker has been forked and one answers."""
    env = django_env(database_url, broker_url)
    workers = gunicorn_config(env)["workers"]
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "paperswipe.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,  # the access log: a line a request
            stderr=stderr,  # errors and gunicorn's own messages
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            if log.read_text().count("Booting worker") < workers:
                raise ConnectionRefusedError
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/bench/bare/")
            connection.getresponse().read()
            connection.close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                stop_gunicorn(server)
                raise RuntimeError("gunicorn did not answer within 60 s") from None
            time.sleep(0.2)


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)  # quick shutdown: every request has been answered
        try:
            server.wait(timeout=10)  # a worker caught booting can hold the master up to graceful_timeout
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def start_worker(database_url: str, broker_url: str, log: Path) -> subprocess.Popen[bytes]:
    """The Celery worker as the Procfile runs it (2 processes, every queue), returned once it is ready."""
    return launch_worker(django_env(database_url, broker_url), log, queue="harvest,rank,default", concurrency=2)


def launch_worker(env: dict[str, str], log: Path, *, queue: str, concurrency: int) -> subprocess.Popen[bytes]:
    """A Celery worker on one queue, its output in `log`, returned once it says it is ready."""
    command = [PYTHON, "-m", "celery", "-A", "paperswipe", "worker", "-Q", queue, "-c", str(concurrency)]
    command += ["-l", "INFO"]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_process(worker)
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return worker


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # a Celery worker finishes its tasks on SIGTERM
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Learning:
    """What the bench sees of the learning loop while it runs: the rank queue's length, and each reader's
    QueueStamp.built_from with the time it was first seen (a decision is learned once built_from passes it)."""

    database_url: str
    broker_url: str
    every: float = 0.25
    lengths: list[int] = field(default_factory=list)
    seen: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)  # user: (seen at, built_from)
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        import psycopg
        import redis

        broker = redis.Redis.from_url(self.broker_url)
        with psycopg.connect(self.database_url, autocommit=True) as db:
            while not self.stop.is_set():
                self.lengths.append(int(broker.llen("rank")))
                now = datetime.now(UTC)
                for user_id, built_from in db.execute("SELECT user_id, built_from FROM deck_queuestamp"):
                    stamps = self.seen.setdefault(user_id, [])
                    if not stamps or stamps[-1][1] != built_from:
                        stamps.append((now, built_from))
                self.stop.wait(self.every)

    def lag(self, decisions: list[tuple[int, datetime]]) -> list[float]:
        """Seconds from each decision to the first sight of its reader's queue built from after it."""
        lags = []
        for user_id, made_at in decisions:
            learned = next((seen for seen, built in self.seen.get(user_id, []) if built >= made_at), None)
            if learned is not None:
                lags.append(max(0.0, (learned - made_at).total_seconds()))
        return lags


@dataclass
class CpuUse:
    """Where the machine's cores go during a run: CPU seconds by process group (gunicorn, the Celery worker,
    PostgreSQL, Redis, these clients, anything else), read from /proc once a second so that a process that
    ends during the run (a recycled gunicorn worker) still counts; one that lives less than a second is missed
    (a PostgreSQL backend for a single connection). Linux only; elsewhere it stays empty."""

    started: dict[int, tuple[str, float]] = field(default_factory=dict)
    latest: dict[int, tuple[str, float]] = field(default_factory=dict)

    @staticmethod
    def snapshot() -> dict[int, tuple[str, float]]:
        from paperswipe.forms import parse_count

        ticks, mine = os.sysconf("SC_CLK_TCK"), os.getpid()
        found = {}
        for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
            pid = parse_count(entry)
            if pid is None:  # not a process
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # ended meanwhile
                continue
            fields = stat.rsplit(")", 1)[1].split()
            group = "clients" if pid == mine else next((name for name, mark in CPU_GROUPS if mark in command), "other")
            found[pid] = (group, (int(fields[11]) + int(fields[12])) / ticks)
        return found

    def start(self) -> None:
        self.started = self.latest = self.snapshot()

    def sample(self) -> None:
        self.latest = self.latest | self.snapshot()

    def seconds(self) -> dict[str, float]:
        used: Counter[str] = Counter()
        for pid, (group, seconds) in self.latest.items():
            used[group] += seconds - self.started.get(pid, (group, 0.0))[1]
        return {group: round(seconds, 1) for group, seconds in used.most_common()}


CPU_GROUPS = [("gunicorn", "gunicorn"), ("celery", "celery"), ("postgres", "postgres"), ("redis", "redis-server")]


# --- the clients ----------------------------------------------------------------------------------------


@dataclass
class Reply:
    kind: str  # "cards" or "decide"
    status: int  # 0: the connection failed (reset, closed, timed out)
    seconds: float
    error: str = ""


@dataclass
class Client:
    """One reader swiping: their session, their connections and everything they saw."""

    user_id: int
    session_key: str
    port: int
    rng: random.Random
    double_click_every: int
    replies: list[Reply] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)  # paper -> decision, from replies saying created
    created_twice: list[int] = field(default_factory=list)  # a second "created" for one paper: a duplicate
    acknowledged: set[int] = field(default_factory=set)  # papers with any 200 reply
    double_clicks: list[tuple[int, list[tuple[int, bool | None]]]] = field(default_factory=list)
    served_again: list[int] = field(default_factory=list)  # a card served after this reader decided it
    ran_out: bool = False
    unanswered: int = 0  # requests that failed on a new connection too
    crashed: str = ""  # the exception that stopped this client early, if any
    recording: bool = False  # not during the warm-up
    jitter: bool = False  # each pause 0.5 to 1.5 times `pause`, as people differ card to card
    csrf: str = ""
    held: list[int] = field(default_factory=list)  # the cards the page holds, in order: first GET /'s
    recent: deque[int] = field(default_factory=lambda: deque(maxlen=EXCLUDE_LAST))  # decided lately
    decided: set[int] = field(default_factory=set)
    withdrawn: set[int] = field(default_factory=set)  # papers the last decision's reply said moved back
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.connections = [self._connect(), self._connect()]  # the second: a double click's other request
        self.used = [0, 0]  # requests answered on each connection since it was opened

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()

    def _headers(self, form: bool = False) -> dict[str, str]:
        headers = {"Accept": "application/json", "Cookie": f"sessionid={self.session_key}; csrftoken={self.csrf}"}
        if form:
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf}
        return headers

    def send(self, kind: str, method: str, path: str, body: str | None = None, slot: int = 0) -> tuple[int, bytes]:
        """One request on the client's keep-alive connection; a connection that fails is recorded (status 0)
        and the request sent once more on a new one, as a browser would for a connection closed under it."""
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.connections[slot].request(method, path, body=body, headers=self._headers(body is not None))
                response = self.connections[slot].getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                where = f"{'a kept-alive' if self.used[slot] else 'a new'} {'second ' if slot else ''}connection"
                self._record(Reply(kind, 0, time.perf_counter() - started, f"{type(error).__name__} on {where}"))
                self.connections[slot].close()
                self.connections[slot], self.used[slot] = self._connect(), 0
                if attempt:
                    with self.lock:
                        self.unanswered += 1
                    return 0, b""
                continue
            self._record(Reply(kind, response.status, time.perf_counter() - started))
            self.used[slot] += 1
            if response.status >= 500 or response.getheader("Connection", "").lower() == "close":
                self.connections[slot].close()
                self.connections[slot], self.used[slot] = self._connect(), 0
            return response.status, data
        return 0, b""

    def _record(self, reply: Reply) -> None:
        with self.lock:
            if self.recording:
                self.replies.append(reply)

    def sign_in(self) -> None:
        """GET / as the page load: the CSRF cookie it sets is what the deck's script sends back."""
        self.connections[0].request("GET", "/", headers={"Cookie": f"sessionid={self.session_key}"})
        response = self.connections[0].getresponse()
        self.held = card_ids([response.read().decode()])
        cookies = " ".join(response.headers.get_all("Set-Cookie") or [])
        found = re.search(r"csrftoken=([A-Za-z0-9]+)", cookies)
        if response.status != 200 or not found:
            raise RuntimeError(f"GET / for user {self.user_id}: {response.status}, no csrftoken cookie")
        self.csrf = found[1]

    def decide(self, paper: int, decision: str, slot: int) -> tuple[int, bool | None]:
        body = urlencode({"paper": paper, "decision": decision, "source": "key", "origin": "deck"})
        status, data = self.send("decide", "POST", "/deck/decide/", body, slot)
        created = None
        if status == 200:
            reply = json.loads(data)
            decided = reply["decided"]
            with self.lock:
                self.withdrawn |= set(reply.get("withdrawn", []))
            created = bool(decided["created"])
            with self.lock:
                self.acknowledged.add(paper)
                if created:
                    if paper in self.created:
                        self.created_twice.append(paper)
                    self.created[paper] = decided["decision"]
        return status, created

    def double_click(self, paper: int, decision: str) -> None:
        """The same decision twice at once, on two connections, as a second click sends it before the
        first reply is back."""
        outcomes: list[tuple[int, bool | None]] = []
        other = threading.Thread(target=lambda: outcomes.append(self.decide(paper, decision, 1)))
        other.start()
        outcomes.append(self.decide(paper, decision, 0))
        other.join()
        self.double_clicks.append((paper, outcomes))

    def swipe(self, seconds: float, warmup: float, pause: float, start: threading.Barrier) -> None:
        try:
            self.sign_in()
            until = time.monotonic() + warmup
            while time.monotonic() < until:
                self.send("cards", "GET", "/deck/cards/?count=1")
        except Exception as error:  # reported as a failed check
            self.crashed = f"{type(error).__name__}: {error}"
        self.recording = True
        start.wait()
        if self.crashed:
            return
        until = time.monotonic() + seconds
        try:
            self._swipe_until(until, pause)
        except Exception as error:  # reported as a failed check
            self.crashed = f"{type(error).__name__}: {error}"

    def _swipe_until(self, until: float, pause: float) -> None:
        """As static/js/deck.js does: the page holds the cards it was served, decides the top one, drops the
        ones a decision withdrew, and refills below REFILL_BELOW cards, leaving out what it holds and what
        it decided lately."""
        held, recent, decided = self.held, self.recent, self.decided  # kept between calls: a run may come in slices
        while time.monotonic() < until:
            if len(held) < REFILL_BELOW:
                exclude = ",".join(map(str, [*held, *recent]))
                path = "/deck/cards/?" + urlencode({"count": max(1, BATCH - len(held)), "exclude": exclude})
                status, data = self.send("cards", "GET", path)
                if status != 200:
                    continue
                held += [pk for pk in card_ids(json.loads(data)["cards"]) if pk not in held]
                if not held:
                    self.ran_out = True
                    return
            paper = held.pop(0)
            if paper in decided:
                self.served_again.append(paper)
            if pause:
                time.sleep(pause * (self.rng.uniform(0.5, 1.5) if self.jitter else 1))
            decision = self.rng.choice(("keep", "skip"))
            self.withdrawn = set()
            if self.rng.randrange(self.double_click_every) == 0:
                self.double_click(paper, decision)
            else:
                self.decide(paper, decision, 0)
            held[:] = [pk for pk in held if pk not in self.withdrawn]
            decided.add(paper)
            recent.append(paper)


# --- the run ----------------------------------------------------------------------------------------------


ClientT = TypeVar("ClientT", bound=Client)


def readers_of(
    sessions: dict[int, str],
    *,
    port: int,
    seed: int,
    double_click_every: int,
    jitter: bool,
    kind: type[ClientT] = Client,  # type: ignore[assignment]
) -> list[ClientT]:
    """A client per signed-in reader, each with a random stream of its own that a seed makes repeatable."""
    return [
        kind(
            user_id=pk,
            session_key=key,
            port=port,
            rng=random.Random(seed * 1000 + i),
            double_click_every=double_click_every,
            jitter=jitter,
        )
        for i, (pk, key) in enumerate(sorted(sessions.items()))
    ]


def percentiles(times: list[float]) -> dict[str, float]:
    if len(times) < 2:
        return {"p50_ms": times[0] * 1000 if times else 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "count": len(times)}
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000, "count": len(times)}


def run_load(
    *,
    database_url: str,
    broker_url: str,
    clients: int = CLIENTS,
    seconds: float = SECONDS,
    papers: int = PAPERS,
    double_click_every: int = DOUBLE_CLICK_EVERY,
    warmup: float = WARMUP,
    pause: float = PAUSE,
    seed: int = 1,
    worker: bool = False,
    swipes: int = 0,
) -> dict[str, Any]:
    """Prepare the database, swipe under gunicorn, check; returns the results with `checks` and `passed`.

    `worker`: a Celery worker consumes the rank queue, as in production, and the learning lag and the
    queue's length are measured; each pause then varies from 0.5 to 1.5 times `pause`. `swipes`: the
    heaviest reader's history (seed_bench's --swipes; the others have up to a tenth of it)."""
    import psycopg
    import redis

    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure: recorded with them
    started_at = time.perf_counter()
    sessions = prepare_database(database_url, broker_url, papers=papers, users=clients, swipes=swipes)
    print(f"prepared {papers:,} papers and {clients} ranked readers in {time.perf_counter() - started_at:.0f} s")
    with psycopg.connect(database_url) as db:
        before = db.execute("SELECT coalesce(max(id), 0) FROM accounts_swipe").fetchone()[0]  # type: ignore[index]
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "gunicorn.log"
        began = time.perf_counter()
        server = start_gunicorn(database_url, broker_url, port, log)
        print(f"gunicorn ready in {time.perf_counter() - began:.1f} s; warming up {warmup:g} s, then {seconds:g} s")
        rank_worker = start_worker(database_url, broker_url, Path(folder) / "worker.log") if worker else None
        watcher = Learning(database_url, broker_url)
        watching = threading.Thread(target=watcher.watch, daemon=True)
        drained = 0.0
        cpu_use = CpuUse()
        try:
            team = readers_of(sessions, port=port, seed=seed, double_click_every=double_click_every, jitter=worker)
            barrier = threading.Barrier(len(team) + 1)  # every client starts at once, for `seconds` from then
            threads = [threading.Thread(target=c.swipe, args=(seconds, warmup, pause, barrier)) for c in team]
            for thread in threads:
                thread.start()
            barrier.wait()
            began, cpu_before = time.perf_counter(), time.process_time()
            cpu_use.start()
            if worker:
                watching.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=1.0)
                    cpu_use.sample()
            elapsed = time.perf_counter() - began
            cpu_use.sample()
            if worker:
                drained = drain(watcher, database_url, before)
            load_after = os.getloadavg()[0]
            for client in team:
                client.close()
            cpu = time.process_time() - cpu_before
        finally:
            watcher.stop.set()
            if rank_worker is not None:
                stop_process(rank_worker)
            stopping = time.perf_counter()
            stop_gunicorn(server)
            broker.flushdb()
            print(f"gunicorn stopped in {time.perf_counter() - stopping:.1f} s")
        server_log = log.read_text(errors="replace")
    with psycopg.connect(database_url) as db:
        stored = db.execute("SELECT user_id, paper_id, decision FROM accounts_swipe WHERE id > %s", [before]).fetchall()
        duplicates = db.execute(
            "SELECT user_id, paper_id, count(*) FROM accounts_swipe GROUP BY user_id, paper_id HAVING count(*) > 1"
        ).fetchall()
        keeps_unlisted = db.execute(
            "SELECT count(*) FROM accounts_swipe s WHERE s.id > %s AND s.decision = 'keep' AND NOT EXISTS ("
            " SELECT 1 FROM accounts_readinglistentry e JOIN accounts_readinglist l ON l.id = e.reading_list_id"
            " WHERE l.user_id = s.user_id AND l.is_default AND e.paper_id = s.paper_id)",
            [before],
        ).fetchone()[0]  # type: ignore[index]
    results = judge(team, stored, duplicates, keeps_unlisted, elapsed, seconds, server_log)
    if worker:
        learning = learning_results(watcher, database_url, before, drained)
        results["checks"] |= learning.pop("checks_learning")
        results |= learning
        results["passed"] = all(results["checks"].values())
    results["client_cpu_s"] = cpu  # the clients' own share of the machine's cores
    results["cpu_s_by_process"] = cpu_use.seconds()  # during the run, drain left out
    results["papers"] = papers
    results["pause_s"] = pause
    results["gunicorn"] = gunicorn_config(django_env(database_url, broker_url))
    results["warmup_s"] = warmup
    results["load_average_before"] = load_before
    results["load_average_after"] = load_after  # the 1-minute average: mostly the run itself
    return results


def drain(watcher: Learning, database_url: str, before: int, limit: float = 180.0) -> float:
    """Seconds until the rank queue is empty and every reader's queue is built from after their last decision
    (the learning the load left behind), watching all the while; at most `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not unlearned(database_url, before) and (not watcher.lengths or watcher.lengths[-1] == 0):
            break
        time.sleep(0.5)
    time.sleep(2 * watcher.every)  # the watcher's last look
    return time.monotonic() - started


def unlearned(database_url: str, before: int) -> list[int]:
    """Readers whose latest decision of the run is newer than the state their queue was built from."""
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT s.user_id FROM accounts_swipe s LEFT JOIN deck_queuestamp q ON q.user_id = s.user_id "
            "WHERE s.id > %s GROUP BY s.user_id, q.built_from "
            "HAVING q.built_from IS NULL OR max(s.created_at) > q.built_from",
            [before],
        ).fetchall()
    return [row[0] for row in rows]


def learning_results(watcher: Learning, database_url: str, before: int, drained: float) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(database_url) as db:
        decisions = db.execute("SELECT user_id, created_at FROM accounts_swipe WHERE id > %s", [before]).fetchall()
    lags = watcher.lag(decisions)
    left = unlearned(database_url, before)
    cuts = statistics.quantiles(lags, n=100, method="inclusive") if len(lags) > 1 else [0.0] * 99
    return {
        "worker": True,
        "learning_lag_s": {
            "p50": cuts[49],
            "p90": cuts[89],
            "p99": cuts[98],
            "learned": len(lags),
            "of": len(decisions),
        },
        "rank_queue_max": max(watcher.lengths, default=0),
        "drained_s": drained,
        "unlearned_readers": len(left),
        "checks_learning": {
            "every reader's final queue built after their last decision": not left,
            "every decision seen learned": len(lags) == len(decisions),
        },
    }


def judge(
    team: list[Client],
    stored: list[tuple[int, int, str]],
    duplicates: list[tuple[int, int, int]],
    keeps_unlisted: int,
    elapsed: float,
    seconds: float,
    server_log: str,
) -> dict[str, Any]:
    replies = [r for c in team for r in c.replies]
    statuses = Counter(f"{r.kind} {r.status or r.error}" for r in replies)
    server_errors = sum(1 for r in replies if r.status >= 500)
    failed_connections = [r for r in replies if r.status == 0]
    other = dict(Counter(f"{r.kind} {r.status}" for r in replies if r.status and not 200 <= r.status < 300))
    by_user: dict[int, dict[int, str]] = {}
    for user_id, paper_id, decision in stored:
        by_user.setdefault(user_id, {})[paper_id] = decision
    acknowledged = sum(len(c.created) + len(c.created_twice) for c in team)
    mismatched = {
        c.user_id: {"acknowledged": len(c.created) + len(c.created_twice), "stored": len(by_user.get(c.user_id, {}))}
        for c in team
        if c.created != by_user.get(c.user_id, {}) or c.created_twice
    }
    unstored = sum(1 for c in team for paper in c.acknowledged if paper not in by_user.get(c.user_id, {}))
    pairs = [(c.user_id, paper, outcomes) for c in team for paper, outcomes in c.double_clicks]
    bad_pairs = [
        (user_id, paper, outcomes)
        for user_id, paper, outcomes in pairs
        if sorted(outcomes, key=str) != [(200, False), (200, True)] or paper not in by_user.get(user_id, {})
    ]
    tracebacks = server_log.count("Traceback")
    checks = {
        "no server errors (>= 500)": server_errors == 0,
        "every request answered (one retry on a new connection)": not any(c.unanswered for c in team),
        "acknowledged decisions == rows stored, reader by reader": not mismatched and acknowledged == len(stored),
        "every decision answered 200 is stored": unstored == 0,
        "no duplicate (user, paper)": not duplicates,
        "each double click stored once, one reply created": not bad_pairs,
        "every stored keep in the default list": keeps_unlisted == 0,
        "no decided card served again": not any(c.served_again for c in team),
        "no traceback in gunicorn's log": tracebacks == 0,
        "no client stopped by an exception": not any(c.crashed for c in team),
    }
    cards = [r.seconds for r in replies if r.kind == "cards" and r.status]
    decides = [r.seconds for r in replies if r.kind == "decide" and r.status]
    workers = re.findall(r"Booting worker with pid", server_log)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": len(team),
        "seconds": seconds,
        "elapsed_s": elapsed,
        "cores": os.cpu_count(),
        "requests": len(replies),
        "requests_per_s": len(replies) / elapsed,
        "decisions_per_s": acknowledged / elapsed,
        "acknowledged": acknowledged,
        "stored": len(stored),
        "stored_keeps": sum(1 for row in stored if row[2] == "keep"),
        "duplicates": len(duplicates),
        "double_clicks": len(pairs),
        "double_clicks_stored_once": len(pairs) - len(bad_pairs),
        "server_errors": server_errors,
        "failed_connections": len(failed_connections),
        "failed_connections_by_error": dict(Counter(f"{r.kind} {r.error}" for r in failed_connections)),
        "unanswered": sum(c.unanswered for c in team),
        "other_non_2xx": other,
        "statuses": dict(sorted(statuses.items())),
        "readers_out_of_cards": sum(1 for c in team if c.ran_out),
        "workers_booted": len(workers),
        "cards": percentiles(cards),
        "decide": percentiles(decides),
        "checks": checks,
        "passed": all(checks.values()),
    }
    if mismatched:
        results["mismatched"] = {str(k): v for k, v in list(mismatched.items())[:10]}
    if any(c.crashed for c in team):
        results["crashed"] = sorted({c.crashed for c in team if c.crashed})
    if bad_pairs:
        results["bad_double_clicks"] = [list(map(str, p)) for p in bad_pairs[:10]]
    if not results["passed"]:
        errors = [line for line in server_log.splitlines() if "Error" in line or "Traceback" in line]
        results["server_log_errors"] = errors[:40]
    return results


def summary(results: dict[str, Any]) -> str:
    lines = [
        f"{results['clients']} clients for {results['seconds']:.0f} s: {results['requests']:,} requests, "
        f"{results['requests_per_s']:.0f}/s; {results['acknowledged']:,} decisions acknowledged, "
        f"{results['stored']:,} stored, {results['duplicates']} duplicates; double clicks "
        f"{results['double_clicks_stored_once']}/{results['double_clicks']} stored once; "
        f"{results['server_errors']} server errors, {results['failed_connections']} connections closed under a "
        f"request (retried: {results['unanswered']} unanswered), other non-2xx: {results['other_non_2xx'] or 'none'}; "
        f"gunicorn booted {results['workers_booted']} workers; the clients used {results['client_cpu_s']:.1f} s "
        f"of CPU in {results['elapsed_s']:.0f} s",
        "CPU seconds during the run: "
        + ", ".join(f"{group} {seconds:.1f}" for group, seconds in results.get("cpu_s_by_process", {}).items()),
    ]
    for kind in ("cards", "decide"):
        p = results[kind]
        lines.append(f"{kind}: p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms")
    if results.get("worker"):
        lag = results["learning_lag_s"]
        lines.append(
            f"learning lag: p50 {lag['p50']:.1f} s, p90 {lag['p90']:.1f} s, p99 {lag['p99']:.1f} s "
            f"({lag['learned']:,} of {lag['of']:,} decisions seen learned); rank queue at most "
            f"{results['rank_queue_max']}; drained {results['drained_s']:.0f} s after the run"
        )
    lines += [f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in results["checks"].items()]
    for key in ("mismatched", "bad_double_clicks", "crashed", "server_log_errors"):
        if key in results:
            lines.append(f"{key}: {results[key]}")
    return "\n".join(lines)


# The learning loop under load (issue 21): readers deciding a card every ~2 s (0.5-1.5x) and every ~4 s,
# with the rank queue's worker running, on 50,000 papers and histories of up to 3,000 decisions.
LEARNING_RUNS = {"60 readers, a decision every ~2 s": (60, 2.0), "150 readers, a decision every ~4 s": (150, 4.0)}
LEARNING_PAPERS = 50_000
LEARNING_SWIPES = 3_000


def main() -> None:
    from bench.report import write_section

    name = urlsplit(BASE_DATABASE_URL).path.lstrip("/")
    database_url, broker_url = with_path(BASE_DATABASE_URL, f"/{name}_load"), with_path(BASE_REDIS_URL, "/13")
    failed = []
    if os.environ.get("BENCH_LOAD_LEARNING_ONLY") != "1":
        results = run_load(database_url=database_url, broker_url=broker_url)
        print(summary(results))
        write_section("load", results)
        failed += [] if results["passed"] else ["load"]
    learning = {}
    for label, (clients, pause) in LEARNING_RUNS.items():
        results = run_load(
            database_url=database_url,
            broker_url=broker_url,
            clients=clients,
            pause=pause,
            papers=LEARNING_PAPERS,
            swipes=LEARNING_SWIPES,
            worker=True,
        )
        print(label)
        print(summary(results))
        learning[label] = results
        failed += [] if results["passed"] else [label]
    write_section("load_learning", learning)
    if failed:
        raise SystemExit(f"load: a check failed in {', '.join(failed)}")


if __name__ == "__main__":
    main()
