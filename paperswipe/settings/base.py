"""Settings shared by every environment. Everything that differs comes from the environment."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is convenient in development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-only-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.orcid",
    "django_celery_beat",
    "django_celery_results",
    "csp",
    "accounts",
    "papers",
    "deck",
    "library",
    "paperswipe.health",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "paperswipe.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "accounts.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PrivateResponsesMiddleware",
    "accounts.middleware.SameReaderMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UnconfiguredProviderMiddleware",
]

# Content-Security-Policy (django-csp): our own scripts only, each inline one with the request's nonce;
# no plugins; frames only from arXiv (the PDF preview); violations reported to /csp-report/.
# Styles allow inline: KaTeX positions the math it renders with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": ["https://arxiv.org", "https://export.arxiv.org"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    },
}
SECURE_REFERRER_POLICY = "same-origin"

ROOT_URLCONF = "paperswipe.urls"
WSGI_APPLICATION = "paperswipe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is a SQLite file in the project, so `make run` needs no server.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)  # production keeps them 60 s
# A connection kept between requests (CONN_MAX_AGE > 0) is checked before its first use in each request:
# after a database restart or a connection dropped while idle, the request reconnects instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # runserver answers each request in a thread of its own: readers must not block the writer
    # (write-ahead log), a writer waits for the lock instead of failing at once (timeout), and a
    # transaction takes the write lock when it starts, not halfway through (IMMEDIATE).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "deck:deck"
LOGIN_URL = "account_login"

# django-allauth: the email address is the login; there is no username.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# allauth counts these in the cache beside its own limits (which it keeps as they are): our endpoints that
# anyone can post to, or that call an outside service for each post.
ACCOUNT_RATE_LIMITS = {
    "csp_report": "30/m/ip",
    "zotero_key_check": "5/m/user,20/h/user",
}
ACCOUNT_LOGOUT_REDIRECT_URL = "papers:list"
# The link in the confirmation email signs the new reader in (in the browser they signed up in) and the deck
# sends them on to pick categories: no third typing of the password. Emails name the site, not the host.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "PaperSwipe: "
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PaperSwipe"
# allauth's rate limits stay on (its defaults: e.g. 5 failed logins per account per 5 minutes); they use
# the cache, which is Redis when REDIS_URL is set, so they hold across every web process. Behind a reverse
# proxy, allauth must know how many proxies put addresses in X-Forwarded-For to limit by the client's
# address and not the proxy's: ALLAUTH_TRUSTED_PROXY_COUNT (0, the default, means no proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# Social login appears only for providers configured here (from the environment) or in the admin.
SOCIALACCOUNT_PROVIDERS = {
    provider: {"APPS": [{"client_id": env(f"{prefix}_CLIENT_ID"), "secret": env(f"{prefix}_SECRET")}]}
    for provider, prefix in (("github", "GITHUB"), ("google", "GOOGLE"), ("orcid", "ORCID"))
    if env(f"{prefix}_CLIENT_ID", default="")
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True

# The site's own address, for links that leave it: the email digest's Keep and unsubscribe links.
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")
DIGEST_LINK_DAYS = 14  # a Keep link in a digest works this long

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production static files are served straight from their sources; production collects them.
WHITENOISE_USE_FINDERS = True

# REDIS_URL switches Celery, the cache and the sessions from in-process (and the database) to Redis.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # The cache shares the broker's Redis database unless REDIS_CACHE_URL names another, its keys under a
    # prefix of their own. Django's cache.clear() empties the whole database (FLUSHDB), queued tasks
    # included: a database of its own (redis://host:6379/2) keeps a clear away from the queues.
    CACHES = {
        "default": {
            # Redis's own cache backend, except that an unreachable Redis means misses, not errors.
            "BACKEND": "paperswipe.cache.ForgivingRedisCache",
            "LOCATION": env("REDIS_CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "paperswipe",
            # Fail fast when Redis is away rather than hold the request.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    # Sessions are read from the cache and written through to the database (cached_db): a request reads
    # no session row, and a Redis restart, flush or eviction logs nobody out. Plain "cache" sessions
    # would save the write at login, but lose every session with Redis's memory.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
# Failed tasks only, with their traceback, in the database (django-celery-results) for the admin's Health page:
# a success writes nothing, so the hot path stays as it was; beat's daily `celery.backend_cleanup` drops
# failures older than `result_expires` (a day). Nothing reads a task's return value.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True  # the task's name and arguments beside the error
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = True
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup closes the database connection before and after every task unless this is set: a new
# PostgreSQL backend (a fork, cold caches, a login) for every rerank, a sixth of a worker's CPU at 60 readers.
# Tasks keep theirs as requests do instead (paperswipe/celery.py: CONN_MAX_AGE, a health check after an
# error); the fixup still closes it every thousand tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue per kind of work, so that no kind waits behind another and each can have workers of its own
# (README, "Scaling out"). `harvest`: minutes per task, most of them waiting for the turn at arXiv that
# papers/arxiv.py hands out one at a time across every worker. `rank`: the deck a reader waits for after
# a decision, and the vectors of new papers; short and CPU-bound. `default`: the rest (email digests, and
# the merges of an announcement into its followers' queues: bulk work that must neither hold up a reader's
# rerank nor wait for the readers to stop). A worker started without -Q consumes all three, taking from
# each in turn when several have tasks waiting.
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in ("harvest", "rank", "default")]
# A worker process takes the next task when it starts one, not four ahead: a rerank queued behind a long task
# goes to the process that is free.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "papers.tasks.harvest_*": {"queue": "harvest"},
    "papers.tasks.compute_features": {"queue": "rank"},
    "deck.tasks.rerank": {"queue": "rank"},
    "deck.tasks.merge_new_papers": {"queue": "default"},
}

ARXIV_API_URL = env("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_RSS_URL = env("ARXIV_RSS_URL", default="https://rss.arxiv.org/rss/")
ARXIV_REQUEST_INTERVAL = env.float("ARXIV_REQUEST_INTERVAL", default=3.0)
# How often a rank worker's shared category pools read what was listed since (deck/ranking/candidate_pool.py).
DECK_POOL_CATCH_UP_SECONDS = env.float("DECK_POOL_CATCH_UP_SECONDS", default=30)
ARXIV_CONTACT_EMAIL = env("ARXIV_CONTACT_EMAIL", default="")
ARXIV_CONNECT_TIMEOUT = env.float("ARXIV_CONNECT_TIMEOUT", default=10.0)
ARXIV_READ_TIMEOUT = env.float("ARXIV_READ_TIMEOUT", default=60.0)
ARXIV_MAX_ATTEMPTS = env.int("ARXIV_MAX_ATTEMPTS", default=5)
ARXIV_BACKOFF_BASE = env.float("ARXIV_BACKOFF_BASE", default=2.0)
ARXIV_PAGE_SIZE = env.int("ARXIV_PAGE_SIZE", default=500)
ARXIV_EMPTY_PAGE_RETRIES = env.int("ARXIV_EMPTY_PAGE_RETRIES", default=3)
# The API lists a paper by its submission time, but arXiv announces it up to a few days later
# (weekends, holidays): each run looks back this far behind the last one.
ARXIV_HARVEST_OVERLAP_HOURS = env.float("ARXIV_HARVEST_OVERLAP_HOURS", default=96)
ARXIV_BACKFILL_DAYS = env.int("ARXIV_BACKFILL_DAYS", default=7)
ARXIV_CATCHUP_HOURS = env.int("ARXIV_CATCHUP_HOURS", default=6)
ZOTERO_API_URL = env("ZOTERO_API_URL", default="https://api.zotero.org")
ZOTERO_BACKOFF_BASE = env.float("ZOTERO_BACKOFF_BASE", default=2.0)  # seconds before the first retry
HARVEST_TIME_LIMIT = env.int("HARVEST_TIME_LIMIT", default=3600)
# A running harvest that committed no page for this long has lost its worker (killed, machine gone).
# Pages come seconds apart; ten minutes leaves room for arXiv's 503s, backoffs and the queue for the lock.
HARVEST_STALL_SECONDS = env.int("HARVEST_STALL_SECONDS", default=600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
