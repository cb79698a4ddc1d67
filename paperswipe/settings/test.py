"""Settings for pytest. DATABASE_URL and REDIS_URL, when set, point the suite at real servers."""

import os
from urllib.parse import urlsplit, urlunsplit

# pytest-xdist runs the suite in two processes. Each clears its cache around every test and starts brokers
# and workers of its own, so each has a Redis database of its own: REDIS_URL's number plus the worker's
# (gw0 keeps it, gw1 takes the next). Set before the base settings read it, and in the environment, so the
# processes a test starts inherit it; SUITE_REDIS_URL keeps the original, so that they do not add again.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL") and "SUITE_REDIS_URL" not in os.environ:
    os.environ["SUITE_REDIS_URL"] = os.environ["REDIS_URL"]
    _redis = urlsplit(os.environ["REDIS_URL"])
    _number = int(_redis.path.strip("/") or 0) + int(_worker[2:])
    os.environ["REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{_number}"))

from .base import *  # noqa: E402, F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ARXIV_REQUEST_INTERVAL = 0.05
# Tasks run in process in tests; the broker test starts a real worker on REDIS_URL explicitly.
CELERY_TASK_ALWAYS_EAGER = True
# A test adds papers and ranks again within a second: the worker's category pools catch up on every use.
DECK_POOL_CATCH_UP_SECONDS = 0
