"""Settings for pytest. DATABASE_URL and REDIS_URL, when set, point the suite at real servers."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ARXIV_REQUEST_INTERVAL = 0.05
# Tasks run in process in tests; the broker test starts a real worker on REDIS_URL explicitly.
CELERY_TASK_ALWAYS_EAGER = True
# A test adds papers and ranks again within a second: the worker's category pools catch up on every use.
DECK_POOL_CATCH_UP_SECONDS = 0
