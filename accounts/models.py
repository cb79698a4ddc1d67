from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.text import slugify


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A researcher. The email address is the login; there is no username."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    followed_categories = models.ManyToManyField("papers.Category", blank=True, related_name="followers")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


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

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="swipes")
    # Indexed as (paper, user) below, so the deck's NOT EXISTS probe never reads the table itself.
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="swipes", db_index=False)
    decision = models.CharField(max_length=4, choices=Decision.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUTTON)
    # The list entry this keep created: undo takes out that entry and never one the user saved by hand.
    list_entry = models.ForeignKey(
        "ReadingListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_swipe_per_user_and_paper")]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="swipe_history_idx"),
            models.Index(fields=["paper", "user"], name="swipe_paper_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.decision} {self.paper_id}"


class ReadingList(models.Model):
    """A user's named list of papers. Every user has one default list, "Reading list"."""

    DEFAULT_NAME = "Reading list"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reading_lists")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=110)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    # Set when the owner publishes the list: the unguessable part of its read-only URL.
    share_token = models.CharField(max_length=43, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField("papers.Paper", through="ReadingListEntry", related_name="reading_lists")

    class Meta:
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
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reading_list", "paper"], name="paper_once_per_list")]

    def __str__(self) -> str:
        return f"{self.reading_list}: {self.paper_id}"

    @property
    def has_new_version(self) -> bool:
        return bool(self.paper.version and self.seen_version and self.paper.version > self.seen_version)
