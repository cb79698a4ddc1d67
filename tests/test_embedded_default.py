"""The `make run` path end to end: SQLite, tasks in process, the bundled sample, no network."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

# Runs manage.py in subprocesses: seconds each.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHECK_SITE = """
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # records each response's template context
from accounts.models import User

c = Client(HTTP_HOST="localhost")
assert c.get("/papers/").status_code == 200
found = c.get("/search/?q=quantum entanglement").context["page"].paginator.count
user = User.objects.create_user(email="sqlite@example.org", password="a long passphrase")
user.followed_categories.set(user.followed_categories.model.objects.filter(code="quant-ph"))
c.force_login(user)
deck = c.get("/")
# No proxy compresses for `make run`: pages and static files leave it gzipped.
for path in ("/", "/static/css/site.css", "/static/vendor/katex/katex.min.js"):
    assert c.get(path, HTTP_ACCEPT_ENCODING="gzip").get("Content-Encoding") == "gzip", path
print("search", found, "deck", len(deck.context["cards"]), deck.context["progress"].text)
"""


def manage(*args, tmp_path, check=True):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="paperswipe.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path}/embedded.sqlite3",
        ARXIV_API_URL="http://127.0.0.1:9/api/query",  # nothing listens: the offline machine
        ARXIV_RSS_URL="http://127.0.0.1:9/rss/",
        ARXIV_MAX_ATTEMPTS="1",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def test_make_run_path_on_sqlite(tmp_path):
    manage("migrate", "--noinput", tmp_path=tmp_path)
    first = manage("load_samples", tmp_path=tmp_path).stdout.strip().splitlines()[-1]
    assert first == "created 1201, updated 0, unchanged 0, skipped 0"
    again = manage("load_samples", tmp_path=tmp_path).stdout.strip().splitlines()[-1]
    assert again == "created 0, updated 0, unchanged 1201, skipped 0"
    out = manage("shell", "-c", CHECK_SITE, tmp_path=tmp_path).stdout
    _, found, _, cards, *progress = out.strip().splitlines()[-1].split()
    assert int(found) > 0
    assert int(cards) == 5
    assert " ".join(progress).endswith(("papers left", "paper left", "left today"))
    harvest = manage("harvest", "--category", "quant-ph", tmp_path=tmp_path, check=False)
    assert harvest.returncode != 0
    assert "quant-ph: failed" in harvest.stdout
    assert "ConnectionError" in harvest.stdout
    assert manage("shell", "-c", CHECK_SITE.replace("sqlite@", "again@"), tmp_path=tmp_path).returncode == 0


# Written with the models as they were at accounts 0007 (the user table has grown since).
BEFORE_THE_MOVE = """
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.loader import MigrationLoader
apps = MigrationLoader(connection).project_state(("accounts", "0007_remove_swipe_filled_list")).apps
User = apps.get_model("accounts", "User")
Swipe = apps.get_model("accounts", "Swipe")
ReadingList = apps.get_model("accounts", "ReadingList")
ReadingListEntry = apps.get_model("accounts", "ReadingListEntry")
Paper = apps.get_model("papers", "Paper")
user = User.objects.create(email="early@example.org", password=make_password("a long passphrase"))
papers = list(Paper.objects.order_by("pk")[:3])
default = ReadingList.objects.create(user=user, name="Reading list", slug="reading-list", is_default=True)
entry = ReadingListEntry.objects.create(reading_list=default, paper=papers[0], note="kept for later")
Swipe.objects.create(user=user, paper=papers[0], decision="keep", list_entry=entry)
Swipe.objects.create(user=user, paper=papers[1], decision="skip")
"""

AFTER_THE_MOVE = """
from deck.models import Swipe
from library.models import ReadingListEntry
print(sorted(Swipe.objects.values_list("user__email", "decision", "list_entry__note")),
      list(ReadingListEntry.objects.values_list("note", flat=True)))
"""


def test_make_run_on_a_database_from_before_the_move_keeps_users_and_decisions(tmp_path):
    # The tables of the moved models never changed, so today's models can write them at the old head.
    manage("migrate", "accounts", "0007", "--noinput", tmp_path=tmp_path)
    manage("migrate", "papers", "--noinput", tmp_path=tmp_path)  # the catalog's own later tables
    manage("load_samples", tmp_path=tmp_path)
    manage("shell", "-c", BEFORE_THE_MOVE, tmp_path=tmp_path)
    manage("migrate", "--noinput", tmp_path=tmp_path)
    out = manage("shell", "-c", AFTER_THE_MOVE, tmp_path=tmp_path).stdout.strip().splitlines()[-1]
    assert (
        out
        == "[('early@example.org', 'keep', 'kept for later'), ('early@example.org', 'skip', None)] ['kept for later']"
    )
