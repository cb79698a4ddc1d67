"""`make backup` and `make restore`: a database seeded, backed up, dropped and restored holds the same
rows (pg_dump and pg_restore on the real PostgreSQL)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration

COUNT = """
from accounts.models import User
from deck.models import Swipe
from library.models import ReadingListEntry
from papers.models import Paper
print(Paper.objects.count(), User.objects.count(), Swipe.objects.count(), ReadingListEntry.objects.count(),
      sorted(Swipe.objects.values_list("paper__arxiv_id", "decision")))
"""
SEED = """
from accounts.models import User
from deck import services
from papers.models import Paper
user = User.objects.create_user(email="backup@example.org", password="a long passphrase")
for i, paper in enumerate(Paper.objects.order_by("pk")[:5]):
    services.decide(user=user, paper=paper, decision="keep" if i % 2 else "skip")
"""


@pytest.fixture
def database_url():
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paperswipe")
    parts = urlsplit(base)
    name = f"paperswipe_backup_{uuid.uuid4().hex[:8]}"
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    yield url, server, name
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(*args, url: str, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    environment |= {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "paperswipe.settings.local", **env}
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)


def test_backup_drop_restore_round_trip(database_url, tmp_path):
    url, server, name = database_url
    python = sys.executable
    run(python, "scripts/create_database.py", url=url)
    run(python, "manage.py", "migrate", "--noinput", "-v0", url=url)
    run(python, "manage.py", "load_samples", url=url)
    run(python, "manage.py", "shell", "-c", SEED, url=url)
    before = run(python, "manage.py", "shell", "-c", COUNT, url=url).stdout.strip().splitlines()[-1]
    assert before.startswith("1201 1 5 2 [")

    backup = run("make", "--no-print-directory", "backup", f"BACKUP_DIR={tmp_path}", url=url).stdout
    (dump,) = tmp_path.glob("paperswipe-*.dump")
    assert f"backed up to {dump}" in backup

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    run("make", "--no-print-directory", "restore", f"FILE={dump}", url=url)

    assert run(python, "manage.py", "shell", "-c", COUNT, url=url).stdout.strip().splitlines()[-1] == before


def test_restore_without_a_file_says_how(tmp_path):
    result = subprocess.run(["make", "--no-print-directory", "restore"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "usage: make restore FILE=" in result.stdout
