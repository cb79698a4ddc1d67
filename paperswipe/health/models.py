from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class QueueRebuild(models.Model):
    """One rebuild of a reader's queue. `deck.QueueStamp` holds only the latest, but the learning lag needs
    when each decision first reached the queue: the first rebuild built from a time after it. Written by a
    receiver on the stamp's save; kept a day (`tasks.prune`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    built_from = models.DateTimeField(help_text="The reader's decisions made before this are in the queue.")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The first rebuild after a decision: one range of one reader.
            models.Index(fields=["user", "built_from"], name="rebuild_user_built_idx"),
            models.Index(fields=["written_at"], name="rebuild_written_idx"),  # the pruning
        ]

    def __str__(self) -> str:
        return f"queue of {self.user_id} built from {self.built_from:%Y-%m-%d %H:%M:%S}"


class DigestFailure(models.Model):
    """An email digest that could not be sent (`deck.signals.digest_failed`); the next tick tries again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=20)
    error = models.TextField(blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.period} digest of {self.user_id} failed"
