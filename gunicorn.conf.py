"""Gunicorn for PaperSwipe: `gunicorn -c gunicorn.conf.py paperswipe.wsgi` (the Procfile's `web`).

Every number comes from the environment; the defaults suit a small machine of two cores behind a
TLS-terminating reverse proxy (nginx, Caddy, a load balancer). Gunicorn reads this file itself, before
Django, so it reads the process environment only, never the project's .env.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    # The cores this process may run on: a container limited by cpuset sees its own, not the host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


# Where to listen. 127.0.0.1 serves a proxy on the same machine and keeps the plain-HTTP port off the
# network; in a container, or with the proxy on another machine, set BIND=0.0.0.0:8000 (several
# addresses: comma-separated; a unix socket: unix:/run/paperswipe.sock).
bind = [address.strip() for address in os.environ.get("BIND", f"127.0.0.1:{_int('PORT', 8000)}").split(",")]

# Processes and threads. A request is short and mostly waits for PostgreSQL (the deck reads its ranked
# queue, no model runs in a request), so each process answers several at once on threads (gthread); the
# GIL lets a process use one core at most, so there are more processes than cores. 2 x cores + 1 is
# gunicorn's rule of thumb: 5 processes x 4 threads = 20 requests at once on two cores. The cap keeps
# a large machine's PostgreSQL connections in check: each thread keeps one (CONN_MAX_AGE), so a web
# machine holds up to workers x threads of them.
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", min(2 * _cores() + 1, 8))
threads = _int("GUNICORN_THREADS", 4)

# With threads, `timeout` is how long a process may go without a heartbeat (a hung interpreter), not a
# cap on one request; 30 s is gunicorn's default and ample.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy, `make up` stopping) requests in flight get this long to finish: less than the
# 30 s that Kubernetes and most process managers wait before SIGKILL, far more than any request needs.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# No keep-alive: every response says "Connection: close", and the proxy (or a client) sends each request on a
# new connection, which only a live process accepts. With keep-alive, a process replaced after max_requests
# closes its idle connections, and a request sent on one at that moment fails: 21 of them in one 60 s load
# run, each a 502 for a decision behind a proxy that does not retry a POST (nginx does not, by default). A
# new connection on the same machine costs well under a millisecond; the browser's own keep-alive is with
# the proxy and is not affected. `bench/bench_load.py` counts connections closed under a request: 0.
keepalive = _int("GUNICORN_KEEPALIVE", 0)

# Each process is replaced after about five thousand requests, a cheap guard against slow memory growth
# (caches in libraries, fragmentation); the jitter keeps the processes from restarting all at once. Not
# sooner: a replacement costs a second or two of a core to import Django and throws away the process's warm
# caches (vectors for the nudge, compiled SQL); at 60 readers every thousand requests was one replacement
# every ten seconds.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# No preloading: each worker process imports Django itself after the fork. A HUP then reloads new code
# gracefully (old processes finish their requests, new ones start from the new code), where a preloaded
# master would keep serving the code it loaded at start; nothing opened while importing (a database or
# Redis connection, a thread) can end up shared between forked processes; and a process replaced after
# max_requests starts clean. The price is memory pages not shared between processes and a second or two
# per process at start, small for a handful of processes.
preload_app = False

# The access log goes to stdout, one line a request with its time in milliseconds (%(M)s), the client
# the proxy saw (X-Forwarded-For) and the user agent; errors and gunicorn's own messages go to stderr.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'

# The proxies whose X-Forwarded-Proto gunicorn believes when it sets wsgi.url_scheme: the proxy on this
# machine by default; set FORWARDED_ALLOW_IPS to the proxy's address (or network) when it is elsewhere.
# Django itself trusts X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER), so the proxy must always set it,
# overwriting whatever the client sent, and gunicorn must be reachable only through the proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn's control socket lives at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn): a second
# gunicorn on the machine (`make up` beside the tests) would take it over. Processes are managed by
# signals (TERM stops, HUP reloads, TTIN/TTOU add and remove a process).
control_socket_disable = True

# Each worker touches a heartbeat file every second; in memory (/dev/shm) a slow or full disk never
# stalls a worker into being killed for silence.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108
