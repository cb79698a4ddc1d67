"""Production serving: gunicorn.conf.py, WhiteNoise's hashed and compressed static files through gunicorn,
and the settings for connections, sessions, the cache and the Celery queues."""

import gzip
import http.client
import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, wait_for

HOST = "paperswipe.example.org"
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "paperswipe.settings.production",
    "SECRET_KEY": "k3#Vq9!zR7@pL2$mW8^tY4&nB6*cX1%hJ5-fG0+dS" * 2,
    "ALLOWED_HOSTS": HOST,
    "SITE_URL": f"https://{HOST}",
    "DATABASE_URL": "sqlite:///:memory:",  # static files and redirects never reach the database
}
# What a deployment sets or a developer's shell may carry, and must not leak into these processes.
DROPPED = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "BIND", "STATIC_ROOT"}


def environment(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith(("GUNICORN_", "WEB_"))}
    return {**clean, **PRODUCTION_ENV, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_config(**env: str) -> dict:
    """gunicorn.conf.py's settings as gunicorn reads them, under the given environment."""
    saved = dict(os.environ)
    for key in ("PORT", "BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS"):
        os.environ.pop(key, None)
    os.environ.update(env)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_gunicorn_listens_on_port_and_takes_its_numbers_from_the_environment():
    default = gunicorn_config()
    assert default["bind"] == ["127.0.0.1:8000"]
    assert default["worker_class"] == "gthread"
    assert 1 < default["workers"] <= 8
    assert default["threads"] == 4
    assert default["preload_app"] is False
    assert default["accesslog"] == "-"
    assert "%(M)sms" in default["access_log_format"]
    assert default["max_requests"] > 0
    assert default["max_requests_jitter"] > 0
    assert default["graceful_timeout"] < 30 <= default["timeout"]

    configured = gunicorn_config(PORT="9123", WEB_CONCURRENCY="3", GUNICORN_THREADS="8", FORWARDED_ALLOW_IPS="10.0.0.2")
    assert configured["bind"] == ["127.0.0.1:9123"]
    assert (configured["workers"], configured["threads"]) == (3, 8)
    assert configured["forwarded_allow_ips"] == "10.0.0.2"
    several = gunicorn_config(PORT="9123", BIND="0.0.0.0:80,unix:/run/ps.sock")
    assert several["bind"] == ["0.0.0.0:80", "unix:/run/ps.sock"]


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=environment(STATIC_ROOT=str(root)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def accepting(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """gunicorn with gunicorn.conf.py, as the Procfile's `web` starts it, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "paperswipe.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def server(static_root, tmp_path_factory):
    """gunicorn with gunicorn.conf.py and production settings on a free port, as the Procfile's `web`."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = environment(
        STATIC_ROOT=str(static_root), PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_THREADS="2", PYTHONUNBUFFERED="1"
    )
    process = start_gunicorn(env, log)
    wait_for(lambda: accepting(port) or process.poll() is not None, 30)
    if process.poll() is not None:
        pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
    yield port, log
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": HOST, **headers})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.integration
def test_hashed_static_files_are_cached_for_good_and_compressed(server, static_root):
    port, log = server
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    original = (ROOT / "static" / "css" / "site.css").read_bytes()
    behind_the_proxy = {"X-Forwarded-Proto": "https"}

    status, headers, body = get(port, f"/static/{hashed}", **behind_the_proxy, **{"Accept-Encoding": "identity"})
    assert status == 200
    # A hashed name never changes content: WhiteNoise lets browsers and CDNs keep it for good (ten years).
    assert headers["cache-control"] == "max-age=315360000, public, immutable"
    assert "content-encoding" not in headers
    assert body == original

    status, headers, body = get(port, f"/static/{hashed}", **behind_the_proxy, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert len(body) < len(original) / 2
    assert gzip.decompress(body) == original
    assert headers["cache-control"] == "max-age=315360000, public, immutable"

    # The unhashed name still works, for a minute of caching only: its content changes with each deploy.
    status, headers, _ = get(port, "/static/css/site.css", **behind_the_proxy)
    assert (status, headers["cache-control"]) == (200, "max-age=60, public")

    # The access log line is written after the response.
    assert wait_for(
        lambda: re.search(rf'"GET /static/{re.escape(hashed)} HTTP/1.1" 200 \d+ \d+ms', log.read_text()), 10
    )


@pytest.mark.integration
def test_plain_http_is_redirected_to_https(server):
    port, _ = server
    status, headers, _ = get(port, "/papers/")
    assert (status, headers["location"]) == (301, f"https://{HOST}/papers/")


SHOW_SETTINGS = """
import json
from django.conf import settings
from paperswipe.celery import app
db = settings.DATABASES["default"]
route = lambda name: app.amqp.router.route({}, name)["queue"].name
print(json.dumps({
    "conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"],
    "session_engine": settings.SESSION_ENGINE, "cache": settings.CACHES["default"],
    "queues": {name: route(name) for name in (
        "papers.tasks.harvest_category", "papers.tasks.harvest_listing", "papers.tasks.harvest_all",
        "papers.tasks.compute_features", "deck.tasks.rerank", "deck.tasks.send_digests")},
}))
"""


def show_settings(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env={k: v for k, v in environment().items() if k not in {"REDIS_URL", "REDIS_CACHE_URL", "CONN_MAX_AGE"}} | env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.integration
def test_production_keeps_connections_and_puts_sessions_and_the_cache_in_redis():
    shown = show_settings(REDIS_URL="redis://127.0.0.1:6379/3", REDIS_CACHE_URL="redis://127.0.0.1:6379/4")
    assert (shown["conn_max_age"], shown["health_checks"]) == (60, True)
    # Read from Redis, written through to the database: a Redis flush logs nobody out.
    assert shown["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert shown["cache"]["LOCATION"] == "redis://127.0.0.1:6379/4"
    assert shown["cache"]["KEY_PREFIX"] == "paperswipe"
    assert shown["queues"] == {
        "papers.tasks.harvest_category": "harvest",
        "papers.tasks.harvest_listing": "harvest",
        "papers.tasks.harvest_all": "harvest",
        "papers.tasks.compute_features": "rank",
        "deck.tasks.rerank": "rank",
        "deck.tasks.send_digests": "default",
    }
    assert show_settings(REDIS_URL="redis://127.0.0.1:6379/3", CONN_MAX_AGE="0")["conn_max_age"] == 0


@pytest.mark.integration
def test_without_redis_the_embedded_default_is_unchanged():
    shown = show_settings(DJANGO_SETTINGS_MODULE="paperswipe.settings.local", DATABASE_URL="sqlite:///:memory:")
    assert shown["conn_max_age"] == 0
    assert shown["session_engine"] == "django.contrib.sessions.backends.db"
    assert shown["cache"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.integration
def test_no_request_fails_while_processes_are_replaced(static_root, tmp_path):
    """Processes replaced every 15 requests under four clients that never retry: every request answered.

    A client reuses its connection whenever the server allows it, as a proxy's upstream pool does; gunicorn
    answers "Connection: close" (GUNICORN_KEEPALIVE 0), so no request is ever sent on a connection a
    stopping process is closing."""
    import threading

    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = environment(
        STATIC_ROOT=str(static_root),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        GUNICORN_MAX_REQUESTS="15",
        GUNICORN_MAX_REQUESTS_JITTER="0",
    )
    process = start_gunicorn(env, log)
    outcomes: list[str] = []
    try:
        wait_for(lambda: accepting(port) or process.poll() is not None, 30)

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for _ in range(40):
                try:
                    connection.request("GET", "/robots.txt", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
                    response = connection.getresponse()
                    response.read()
                    outcomes.append(f"{response.status} {response.getheader('Connection', '')}")
                    if response.will_close:
                        connection.close()
                        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                except (OSError, http.client.HTTPException) as error:  # no retry: this is the failure
                    outcomes.append(type(error).__name__)
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.close()

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    assert len(outcomes) == 160
    assert [o for o in outcomes if not o.startswith(("200", "301", "404"))] == []
    assert all(o.endswith("close") for o in outcomes)
    assert log.read_text().count("Autorestarting worker") >= 8  # 160 requests, a process per 15
