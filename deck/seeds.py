"""Seed papers: "papers I wrote or liked", pasted as ids or links or uploaded as a reference file."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from papers.references.resolve import Resolution, resolve

from .models import SeedPaper
from .ranking.reader_model import history_changed
from .tasks import rerank_on_commit


def add_seed_papers(*, user: User, pasted: str = "", data: bytes | None = None, filename: str = "") -> Resolution:
    """Parse, match or fetch, and store the seeds. A broken file raises ReferenceFileError, nothing saved."""
    report = resolve(pasted=pasted, data=data, filename=filename)
    if not report.added:
        return report
    with transaction.atomic():
        SeedPaper.objects.bulk_create([SeedPaper(user=user, paper=p) for p in report.papers()], ignore_conflicts=True)
        history_changed(user=user)  # seeds count as keeps: the model is fitted again with them
        rerank_on_commit(user.pk)
    return report
