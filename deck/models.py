from __future__ import annotations

from django.conf import settings
from django.db import models


class Swipe(models.Model):
    """One decision on one paper. A (user, paper) pair is stored once, whatever clicks or tabs do."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Keep"
        SKIP = "skip", "Skip"

    class Source(models.TextChoices):
        BUTTON = "button", "Button"
        KEY = "key", "Key"
        GESTURE = "gesture", "Gesture"
        HISTORY = "history", "History"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swipes")
    # Indexed as (paper, user) below, so the deck's NOT EXISTS probe never reads the table itself.
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="swipes", db_index=False)
    decision = models.CharField(max_length=4, choices=Decision.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUTTON)
    # The list entry this keep created: undo takes out that entry and never one the user saved by hand.
    list_entry = models.ForeignKey(
        "library.ReadingListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_swipe"  # the table from before the deck had its own app
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_swipe_per_user_and_paper")]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="swipe_history_idx"),
            models.Index(fields=["paper", "user"], name="swipe_paper_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.decision} {self.paper_id}"
