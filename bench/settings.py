"""Settings for `make bench`: the test settings on the bench database, with a real broker and one
extra URL, a bare login-required view to compare the deck's throughput against."""

from paperswipe.settings.test import *  # noqa: F403
from paperswipe.settings.test import env

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["*"]
# A decision queues its rerank on the broker, as in production; nothing consumes it during the bench.
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The test settings catch the worker's category pools up on every use; production's cadence here.
DECK_POOL_CATCH_UP_SECONDS = 30
