from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import slugify


class ReadingList(models.Model):
    """A user's named list of papers. Every user has one default list, "Reading list"."""

    DEFAULT_NAME = "Reading list"
    DEFAULT_SLUG = "reading-list"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_lists")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=110)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    # Set when the owner publishes the list: the unguessable part of its read-only URL.
    share_token = models.CharField(max_length=43, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField("papers.Paper", through="ReadingListEntry", related_name="reading_lists")

    class Meta:
        db_table = "accounts_readinglist"  # the table from before the library had its own app
        ordering = ["-is_default", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "slug"], name="unique_list_slug_per_user"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(is_default=True), name="one_default_list"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.slug = self.slug or slugify(self.name)[:100] or "list"
        super().save(*args, **kwargs)


class ReadingListEntry(models.Model):
    class State(models.TextChoices):
        UNREAD = "unread", "Unread"
        READING = "reading", "Reading"
        READ = "read", "Read"

    NOTE_MAX = 10_000

    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="list_entries")
    added_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNREAD)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    # The paper's version when the user last opened it: a newer one is shown as "updated to vN".
    seen_version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "accounts_readinglistentry"
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reading_list", "paper"], name="paper_once_per_list")]

    def __str__(self) -> str:
        return f"{self.reading_list}: {self.paper_id}"

    @property
    def has_new_version(self) -> bool:
        return bool(self.paper.version and self.seen_version and self.paper.version > self.seen_version)
