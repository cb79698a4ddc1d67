"""A Celery worker killed with SIGKILL in the middle of a harvest, through the real Redis broker: the
killed run is recorded as abandoned once its heartbeat stops, and the next run completes the
category with no gap and no duplicate."""

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count

from papers import harvest
from papers.models import Category, HarvestRun, Paper, PaperVersion
from papers.tasks import harvest_category
from paperswipe.celery import app

from ..arxiv_standin import make_entries
from ..conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "paperswipe", "worker", "-Q", "harvest", "-P", "solo"]
CELERY += ["--without-heartbeat", "--without-mingle", "--without-gossip"]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_worker_killed_mid_harvest_leaves_no_gap_and_no_duplicate(standin, settings):
    assert django_settings.REDIS_URL, "this test needs the real Redis: set REDIS_URL (make test does)"
    now = datetime.now(UTC)
    standin.entries = make_entries(60, category="cs.LG", newest=now - timedelta(hours=1), spacing=timedelta(hours=1))
    held = threading.Event()
    standin.fail("sleep", times=2, seconds=0)  # two pages answered
    standin.fail("hold", event=held)  # the third waits: the worker is mid-harvest when it dies
    category = Category.objects.get(code="cs.LG")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paperswipe.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "ARXIV_API_URL": settings.ARXIV_API_URL,
        "ARXIV_PAGE_SIZE": "10",
        # The dead worker's hold on the arXiv lock expires after connect + read timeout: short here.
        "ARXIV_CONNECT_TIMEOUT": "1",
        "ARXIV_READ_TIMEOUT": "4",
    }
    worker = subprocess.Popen(
        [*CELERY, "-n", f"doomed-{os.getpid()}@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    try:
        app.conf.update(broker_url=django_settings.REDIS_URL, task_always_eager=False)
        app.control.purge()
        harvest_category.delay(category.pk)
        wait_for(lambda: len(standin.api_requests) >= 3, 60)
        killed = HarvestRun.objects.get(category=category)
        assert (killed.status, killed.entries) == ("running", 20)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        held.set()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        app.control.purge()  # the unacknowledged task would come back after the visibility timeout
        app.conf.update(saved)

    # While its heartbeat is recent, the dead run still holds the category.
    with pytest.raises(harvest.HarvestAlreadyRunning):
        harvest.harvest_category(category_id=category.pk)
    settings.HARVEST_STALL_SECONDS = 0  # as ten minutes later
    run = harvest.harvest_category(category_id=category.pk)

    killed.refresh_from_db()
    assert killed.status == "failed"
    assert killed.error == "abandoned: the worker stopped mid-run"
    assert run.status == "ok"
    assert Paper.objects.filter(categories=category).count() == 60  # no gap
    assert not PaperVersion.objects.values("paper", "number").annotate(n=Count("id")).filter(n__gt=1).exists()
    category.refresh_from_db()
    assert category.harvested_through is not None
