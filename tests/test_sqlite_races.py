"""The embedded default under `make run`: SQLite behind a threaded server, writes in parallel."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

# Runs manage.py in subprocesses: seconds each.
pytestmark = pytest.mark.integration

# Runs inside `manage.py shell` on a fresh SQLite file, so it sees the `make run` settings as they are.
PARALLEL_WRITES = """
import threading
from django.db import connection
from django.test import Client
from accounts.models import User
from deck.models import Swipe
from papers.models import Category, Paper


print("journal", connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
category = Category.objects.create(code="test.RACE", name="Races", is_active=True)
papers = [Paper.objects.create(arxiv_id=f"2511.{20000 + i}", version=1, title=f"Paper {i}", abstract="",
                               primary_category=category) for i in range(40)]
user = User.objects.create_user(email="racer@example.org", password="a long passphrase")
user.followed_categories.add(category)
statuses, errors = [], []

def client():
    c = Client(raise_request_exception=False, HTTP_ACCEPT="application/json", HTTP_HOST="localhost")
    c.force_login(user)
    return c

def run(work):
    try:
        work()
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()

def decide(batch):
    c = client()
    for paper in batch:
        statuses.append(c.post("/deck/decide/", {"paper": paper.pk, "decision": "keep"}).status_code)

def undo(times):
    c = client()
    for _ in range(times):
        statuses.append(c.post("/deck/undo/").status_code)

threads = [threading.Thread(target=run, args=(work,)) for work in (
    lambda: decide(papers[:20]), lambda: decide(papers[20:]), lambda: undo(15), lambda: undo(15))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("statuses", sorted(set(statuses)), "errors", errors, "requests", len(statuses))
print("swipes", Swipe.objects.count())
c = client()
answers = [c.get("/search/", {"q": query}).status_code for query in (" ".join(["e"] * 999), "w" * 60_000)]
answers += [c.post("/deck/decide/", {"paper": "9" * 25, "decision": "keep"}).status_code]
answers += [c.post("/lists/new/", {"name": "Nul\\x00"}).status_code]
answers += [c.get("/deck/cards/", {"exclude": "²"}).status_code]
print("hostile", answers)
"""


def test_parallel_writes_and_hostile_input_on_sqlite_never_fail(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="paperswipe.settings.local", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = subprocess.run(
        [*manage, "shell", "-c", PARALLEL_WRITES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    journal, statuses, swipes, hostile = result.stdout.strip().splitlines()[-4:]
    assert hostile == "hostile [200, 200, 400, 400, 400]"
    assert statuses == "statuses [200] errors [] requests 70"
    # 40 decisions stored once each, less those the 30 undos took back (an undo may find nothing yet).
    assert journal == "journal wal"
    assert 10 <= int(swipes.split()[1]) <= 40
