"""The Celery app. Without REDIS_URL tasks run eagerly in process (see settings)."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.local")

app = Celery("paperswipe")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(task: Task | None = None, **kwargs: Any) -> None:
    """Before and after each task, as Django does around each request: a connection older than CONN_MAX_AGE,
    broken or left in a transaction is closed, and the next query opens a new one; any other is kept (see
    CELERY_DB_REUSE_MAX). A task run eagerly belongs to the caller's request or transaction: left alone."""
    if task is None or task.request.is_eager:
        return
    from django.db import close_old_connections as close

    close()
