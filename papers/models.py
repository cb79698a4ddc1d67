from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from . import names

ARXIV_BASE = "https://arxiv.org"


class CategoryQuerySet(models.QuerySet["Category"]):
    def offered(self) -> CategoryQuerySet:
        """What users may follow and the harvester fetches: active, canonical categories."""
        return self.filter(is_active=True, alias_of__isnull=True)


class Category(models.Model):
    """An arXiv category, e.g. cs.CY. `is_active` means admins offer it to users."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200, blank=True)
    archive = models.CharField(max_length=32, blank=True)
    archive_name = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=32, blank=True, help_text="e.g. cs, math, physics")
    group_name = models.CharField(max_length=200, blank=True)
    in_taxonomy = models.BooleanField(
        default=False, help_text="arXiv still accepts submissions here (false for defunct or unknown codes)."
    )
    # Alias pairs (cs.IT ≡ math.IT) point at one canonical category; papers only ever use the canonical one.
    alias_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="aliases")
    is_active = models.BooleanField(default=False, help_text="Offered to users and harvested.")
    display_order = models.PositiveIntegerField(default=0, help_text="Lower comes first where users pick categories.")
    description = models.CharField(max_length=300, blank=True, help_text="A short description shown to users.")
    # Harvest state: everything last-updated in (backfill start, harvested_through] is in the catalog,
    # except the one window (gap_from, gap_until] that a failed run left behind.
    harvested_through = models.DateTimeField(null=True, blank=True)
    gap_from = models.DateTimeField(null=True, blank=True)
    gap_until = models.DateTimeField(null=True, blank=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.name else self.code


class PaperQuerySet(models.QuerySet["Paper"]):
    def in_categories(self, category_ids: Iterable[int] | QuerySet) -> PaperQuerySet:
        """Papers filed under any of the categories, each once (EXISTS, not a join that repeats rows)."""
        through = Paper.categories.through.objects.filter(paper=OuterRef("pk"), category_id__in=category_ids)
        return self.filter(Exists(through))

    def latest_first(self) -> PaperQuerySet:
        # Papers known only from a "replace" listing have no v1 date yet; they list once a harvest dates them.
        return self.filter(published__isnull=False).order_by("-published", "-id")

    def in_category(self, category: Category) -> PaperQuerySet:
        return self.filter(categories=category)

    def for_listing(self) -> PaperQuerySet:
        return self.select_related("primary_category").prefetch_related("categories")


class ArxivLinks:
    """A paper's arXiv addresses from its `arxiv_id` and `version`: for the model and for plain rows alike."""

    __slots__ = ()
    arxiv_id: str
    version: int | None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id

    @property
    def abs_url(self) -> str:
        return f"{ARXIV_BASE}/abs/{self.versioned_id}"

    @property
    def pdf_url(self) -> str:
        return f"{ARXIV_BASE}/pdf/{self.versioned_id}"


class Paper(ArxivLinks, models.Model):
    """One arXiv paper at its latest known version. The abstract and PDF URLs are derived."""

    arxiv_id = models.CharField(max_length=40, unique=True, help_text="Bare id without version.")
    # Null when the source does not say (OAI `arXiv` records carry dates, not version numbers).
    version = models.PositiveIntegerField(null=True, blank=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    # [{"name": "...", "affiliations": ["..."]}, ...] in the paper's order: read with the paper, never joined.
    authors = models.JSONField(default=list)
    authors_text = models.TextField(blank=True, help_text="The names, comma-joined, for search.")
    # The names folded for follows and mutes, "|ang li|hai-liang li|" (papers/names.py): a name is matched
    # whole, never as a part of another, which a substring of `authors_text` cannot do.
    author_keys = models.TextField(blank=True, default="", editable=False)
    # Full-text search on PostgreSQL: title (A), authors (B), abstract (C); refreshed on every write.
    search_vector = SearchVectorField(null=True, editable=False)
    primary_category = models.ForeignKey(Category, null=True, on_delete=models.PROTECT, related_name="primary_papers")
    categories = models.ManyToManyField(Category, related_name="papers")
    comment = models.TextField(blank=True)
    # From the daily RSS listing: the day arXiv last announced this paper, and how (new, cross, replace...).
    announced_on = models.DateField(null=True, blank=True, db_index=True)
    announce_type = models.CharField(max_length=20, blank=True)
    # When the paper last reached readers: its announcement if a listing told us, else its v1 date.
    # The deck orders by it, newest first.
    listed_at = models.DateTimeField(default=timezone.now)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    license = models.CharField(max_length=255, blank=True, help_text="The license URL arXiv gives.")
    published = models.DateTimeField(null=True, blank=True, help_text="Date of v1.")
    updated = models.DateTimeField(null=True, blank=True, help_text="Date of the latest version.")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["-published", "-id"], name="paper_latest_idx"),
            models.Index(fields=["-listed_at", "-id"], name="paper_deck_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The derived author fields and the search vector, kept by every single save. A hook, not a service
        call: the bulk upsert (papers.services) keeps them itself, and the other writers of a paper are the
        admin's form, the shell and test factories, which call no service of ours."""
        from .search import refresh_search_vectors

        self.authors_text = ", ".join(self.author_names)
        self.author_keys = names.author_keys(self.author_names)
        super().save(*args, **kwargs)
        refresh_search_vectors([self.pk])

    def get_absolute_url(self) -> str:
        return reverse("papers:detail", kwargs={"arxiv_id": self.arxiv_id})

    @property
    def author_names(self) -> list[str]:
        return [author["name"] for author in self.authors]


class PaperVersion(models.Model):
    """One entry of a paper's version history, as far as the sources tell it."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    submitted = models.DateTimeField(null=True, blank=True)
    size = models.CharField(max_length=20, blank=True, help_text="As arXiv reports it, e.g. 90kb.")

    class Meta:
        ordering = ["paper", "number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="unique_paper_version")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.number}"


class HarvestRun(models.Model):
    """One harvest of one category from the API, or of the daily RSS listing."""

    class Source(models.TextChoices):
        API = "api", "arXiv API"
        RSS = "rss", "RSS listing"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="harvests")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on after every committed page: a run whose heartbeat stopped has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    requests = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    network_seconds = models.FloatField(default=0, help_text="Time spent waiting on arXiv, politeness pauses included.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        constraints = [
            # Two beat ticks or two workers never harvest one category at once: the database refuses
            # a second running row.
            models.UniqueConstraint(
                fields=["source", "category"], condition=models.Q(status="running"), name="one_running_harvest"
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status="running", category__isnull=True),
                name="one_running_listing_harvest",
            ),
        ]

    def __str__(self) -> str:
        target = self.category.code if self.category else "listing"
        return f"{self.get_source_display()} {target} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class PaperFeatures(models.Model):
    """A paper's feature vector (papers/features/hashing.py), computed once when the paper enters the catalog."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="features")
    scheme = models.PositiveSmallIntegerField(help_text="The recipe's version that made this vector.")
    vector = models.BinaryField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "paper features"

    def __str__(self) -> str:
        return f"features of {self.paper_id}"
