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
        EMAIL = "email", "Email digest"

    class Origin(models.TextChoices):
        """Where the paper was shown when the reader decided: the deck's ranked queue judges the ranker, the
        others do not. Blank on decisions made before the log began."""

        DECK = "deck", "Deck"
        PAGE = "page", "Paper page, search or list"
        EMAIL = "email", "Email digest"
        TRIAL = "trial", "Trial deck before sign-up"

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
    # How the card was served (deck/serving_log.py): what the queue said of it when the reader decided.
    # Null when the deck did not serve it from the ranked queue (another page, or before the queue existed).
    # Defaults in the database too: bulk loads (bench/, COPY) that predate the log leave them out.
    origin = models.CharField(max_length=5, choices=Origin.choices, blank=True, default="", db_default="")
    served_rank = models.PositiveIntegerField(null=True, blank=True, help_text="Its place when the queue was built.")
    served_score = models.FloatField(null=True, blank=True, help_text="The predicted probability of a keep.")
    served_exploring = models.BooleanField(null=True, blank=True, help_text="Drawn at random from outside the top.")
    served_reason = models.CharField(
        max_length=300, blank=True, default="", db_default="", help_text="The reason the card showed."
    )
    served_reason_paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    model_version = models.PositiveIntegerField(null=True, blank=True, help_text="The reader's model then.")
    # False for a decision made while the reader had paused learning: stored, shown, never learned from.
    teaches = models.BooleanField(default=True, db_default=True)
    # Made by the page for each decision, online or queued offline: a resend is the same decision.
    device_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "accounts_swipe"  # the table from before the deck had its own app
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_swipe_per_user_and_paper"),
            models.UniqueConstraint(fields=["user", "device_id"], name="one_swipe_per_device_decision"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="swipe_history_idx"),
            models.Index(fields=["paper", "user"], name="swipe_paper_user_idx"),
            # Only decisions whose card named a kept paper: deleting a paper finds them without a scan.
            models.Index(
                fields=["served_reason_paper"],
                condition=models.Q(served_reason_paper__isnull=False),
                name="swipe_reason_paper_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.decision} {self.paper_id}"


class DeckCard(models.Model):
    """A user's ranked queue of unseen papers, rebuilt by the ranker after each decision.

    The deck reads it in `rank` order, one index range scan; nothing is fitted or scored in a request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deck_cards")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    score = models.FloatField(help_text="The predicted probability of a keep.")
    exploring = models.BooleanField(default=False, help_text="Taken from outside the predicted top, to learn.")
    from_follow = models.BooleanField(default=False, help_text="Brought in by a followed author or keyword.")
    # "Why this card", from the ranker's real reasons: a sentence, and the kept paper it names, if any.
    reason = models.CharField(max_length=300, blank=True)
    reason_paper = models.ForeignKey("papers.Paper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_deck_card_per_paper")]
        indexes = [models.Index(fields=["user", "rank"], name="deck_card_rank_idx")]

    def __str__(self) -> str:
        return f"{self.user} #{self.rank}: {self.paper_id}"


class Interest(models.Model):
    """An author, a keyword or a category the reader follows (more of it) or mutes (never again)."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        KEYWORD = "keyword", "Keyword"
        CATEGORY = "category", "Category"

    class Stance(models.TextChoices):
        FOLLOW = "follow", "Follow"
        MUTE = "mute", "Mute"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=100)
    stance = models.CharField(max_length=6, choices=Stance.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stance", "kind", "value"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "value"], name="one_interest_per_value")]

    def __str__(self) -> str:
        return f"{self.user} {self.stance}s {self.kind} {self.value}"


class SeedPaper(models.Model):
    """A paper the reader wrote or liked, given at onboarding or in the settings: a keep for the model."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seed_papers")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_seed_per_paper")]

    def __str__(self) -> str:
        return f"{self.user} seed {self.paper_id}"


class DeckSettings(models.Model):
    """What a reader's deck takes from the day's listing; new submissions are always in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deck_settings")
    include_cross_lists = models.BooleanField(default=True, help_text="Papers filed elsewhere, cross-listed here.")
    include_replacements = models.BooleanField(default=True, help_text="New versions of older papers.")
    # The unguessable part of the private Atom feed of the deck; resetting it retires the old address.
    feed_token = models.CharField(max_length=43, unique=True, null=True, blank=True)
    # The reader steers the learning (deck/learned.py): decisions made while paused teach nothing, and after
    # "Start over" the model learns only from what came after.
    learning_paused = models.BooleanField(default=False)
    learning_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deck settings"

    def __str__(self) -> str:
        return f"deck settings of {self.user}"


class DigestSubscription(models.Model):
    """Whether, how often and when a reader gets the top of their deck by email."""

    class Frequency(models.TextChoices):
        OFF = "off", "Off"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest")
    frequency = models.CharField(max_length=6, choices=Frequency.choices, default=Frequency.OFF)
    size = models.PositiveSmallIntegerField(default=10, help_text="Papers per digest, 5 to 50.")
    hour = models.PositiveSmallIntegerField(default=7, help_text="The hour of the day, in the reader's time zone.")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["frequency"], name="digest_frequency_idx")]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} digest of {self.user}"


class DigestSent(models.Model):
    """One digest a reader was sent, claimed before it goes out: the unique period is what stops a
    second beat tick or a second worker from sending the same digest again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=20, help_text='"daily 2026-11-29" or "weekly 2026-W48", in local time.')
    sent_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField("papers.Paper", related_name="+", blank=True)

    class Meta:
        verbose_name_plural = "digests sent"
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="one_digest_per_period")]

    def __str__(self) -> str:
        return f"{self.period} digest of {self.user}"


class QueueStamp(models.Model):
    """When a reader's ranked queue was last rebuilt from their decisions. A decision newer than this,
    whose rerank never ran (the broker was down when it was queued), is found by `rerank_stale`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_stamp")
    # When the rebuild began reading: a decision made while it ran is newer, and will be picked up.
    built_from = models.DateTimeField()
    # When every candidate was last scored (not only the queue's cards), and whether that is due now
    # because what the deck may show changed: categories, mutes, follows, settings.
    rescored_from = models.DateTimeField(null=True, blank=True)
    rescore_due = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"queue of {self.user} built from {self.built_from:%Y-%m-%d %H:%M:%S}"


class ReaderModel(models.Model):
    """A reader's fitted ranker, kept between decisions so that each decision updates it instead of fitting
    it again from the whole history (deck/ranking/reader_model.py).

    The weights and their precisions are stored sparse: only the features the fit or a later decision
    touched. `learned_through` is the id of the latest decision in the model: a user's decisions lock
    their account row, so their ids grow in the order they commit.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_model")
    version = models.PositiveIntegerField(default=0, help_text="Bumped by every refit from the history.")
    features = models.BinaryField(help_text="Packed feature indices, weights and precisions.")
    intercept = models.FloatField(default=0.0)
    intercept_precision = models.FloatField(default=1.0)
    learned_through = models.BigIntegerField(default=0, help_text="The id of the latest decision learned.")
    keeps = models.PositiveIntegerField(default=0, help_text="Keeps and seeds the model has learned.")
    skips = models.PositiveIntegerField(default=0)
    decisions_at_refit = models.PositiveIntegerField(default=0)
    refit_at = models.DateTimeField(null=True, blank=True)
    # An undo, a change of mind or new seed papers: the history changed under the model, so the next
    # rerank fits it again from the history instead of updating it.
    refit_due = models.BooleanField(default=False)
    # Decisions absorbed since every candidate (not only the queue) was last scored.
    since_full_rescore = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"model v{self.version} of {self.user}"


class ForgottenFeature(models.Model):
    """A term, author or category the reader told the model to forget: its weight is held at zero until the
    reader keeps a paper with it again (deck/ranking/reader_model.py)."""

    class Kind(models.TextChoices):
        TERM = "term", "Term"
        AUTHOR = "author", "Author"
        CATEGORY = "category", "Category"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forgotten")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=100, help_text="As the reader saw it: the words, a name, a code.")
    token = models.CharField(
        max_length=120, help_text="The feature (papers/features/hashing.py) whose weight is zeroed."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="one_forget_per_feature")]

    def __str__(self) -> str:
        return f"{self.user} forgot {self.kind} {self.value}"


class Postponed(models.Model):
    """ "Not now": a paper the reader put off. It is out of the deck until `until` (the start of their next
    day), then back in its place; nothing is learned from it, and Undo takes it back like a decision."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="postponed")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "postponed papers"
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_postponement_per_paper")]
        indexes = [models.Index(fields=["user", "-created_at"], name="postponed_latest_idx")]

    def __str__(self) -> str:
        return f"{self.user} put off {self.paper_id} until {self.until:%Y-%m-%d %H:%M}"
