"""The embedded default for `make run`: SQLite, eager Celery, emails on the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# `make run` has no proxy in front to compress: pages and static files go out gzipped from here (the deck's
# 374 KB of scripts and styles are about 110 KB compressed). First, so that it compresses what the others
# produce. Production compresses its static files once, at collectstatic (CompressedManifestStaticFilesStorage).
MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *MIDDLEWARE]  # noqa: F405
