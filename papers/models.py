from __future__ import annotations

from django.db import models
from django.urls import reverse

ARXIV_BASE = "https://arxiv.org"


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

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.name else self.code


class PaperQuerySet(models.QuerySet["Paper"]):
    def latest_first(self) -> PaperQuerySet:
        # Papers known only from a "replace" listing have no v1 date yet; they list once a harvest dates them.
        return self.filter(published__isnull=False).order_by("-published", "-id")

    def in_category(self, category: Category) -> PaperQuerySet:
        return self.filter(categories=category)

    def for_listing(self) -> PaperQuerySet:
        return self.select_related("primary_category").prefetch_related("categories")


class Paper(models.Model):
    """One arXiv paper at its latest known version. The abstract and PDF URLs are derived."""

    arxiv_id = models.CharField(max_length=40, unique=True, help_text="Bare id without version.")
    # Null when the source does not say (OAI `arXiv` records carry dates, not version numbers).
    version = models.PositiveIntegerField(null=True, blank=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    # [{"name": "...", "affiliations": ["..."]}, ...] in the paper's order: read with the paper, never joined.
    authors = models.JSONField(default=list)
    primary_category = models.ForeignKey(Category, null=True, on_delete=models.PROTECT, related_name="primary_papers")
    categories = models.ManyToManyField(Category, related_name="papers")
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    license = models.URLField(max_length=255, blank=True)
    published = models.DateTimeField(null=True, blank=True, help_text="Date of v1.")
    updated = models.DateTimeField(null=True, blank=True, help_text="Date of the latest version.")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["-published", "-id"], name="paper_latest_idx")]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("papers:detail", kwargs={"arxiv_id": self.arxiv_id})

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id

    @property
    def abs_url(self) -> str:
        return f"{ARXIV_BASE}/abs/{self.versioned_id}"

    @property
    def pdf_url(self) -> str:
        return f"{ARXIV_BASE}/pdf/{self.versioned_id}"

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
