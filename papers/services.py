"""Writing arXiv records into the catalog: an idempotent, bulk upsert keyed by arxiv_id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import Category, Paper, PaperVersion
from .records import PaperRecord, ParsedPage
from .search import refresh_search_vectors

BATCH_SIZE = 2000
CONTENT_FIELDS = [
    "version",
    "title",
    "abstract",
    "authors",
    "authors_text",
    "primary_category",
    "comment",
    "journal_ref",
    "doi",
    "license",
    "published",
    "updated",
    "modified_at",
]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def __iadd__(self, other: ImportResult) -> ImportResult:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        return self

    def __str__(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, skipped {self.skipped}"


def import_page(*, page: ParsedPage) -> ImportResult:
    """Upsert a parsed page, one transaction per batch of BATCH_SIZE records."""
    result = ImportResult(skipped=page.skipped)
    for start in range(0, len(page.records), BATCH_SIZE):
        result += upsert_records(records=page.records[start : start + BATCH_SIZE])
    return result


@transaction.atomic
def upsert_records(*, records: Sequence[PaperRecord]) -> ImportResult:
    """Create new papers, replace a paper only on a newer version, and merge cross-listed categories.

    An equal version may still add categories and version dates; an older version changes nothing.
    """
    latest = _latest_per_id(records)
    result = ImportResult(unchanged=len(records) - len(latest))
    category_ids = _canonical_category_ids({code for r in latest.values() for code in r.categories})
    existing = {p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=latest.keys())}
    have_categories = set(
        Paper.categories.through.objects.filter(paper__in=existing.values()).values_list("paper_id", "category_id")
    )
    have_versions = set(PaperVersion.objects.filter(paper__in=existing.values()).values_list("paper_id", "number"))

    new_papers, changed_papers, merges = [], [], []
    for record in latest.values():
        paper = existing.get(record.arxiv_id)
        if paper is None:
            paper = _apply(record, Paper(arxiv_id=record.arxiv_id), category_ids)
            paper.listed_at = record.published or record.updated or paper.modified_at
            new_papers.append(paper)
            merges.append((paper, record))
        elif (order := _compare(record, paper)) < 0:
            result.unchanged += 1
        else:
            if order > 0:
                _apply(record, paper, category_ids)
            changed = order > 0 or _fill_dates(record, paper)
            if changed:
                changed_papers.append(paper)
            adds = _missing_links(paper.pk, record, category_ids, have_categories, have_versions)
            if changed or adds:
                result.updated += 1
            else:
                result.unchanged += 1
            merges.append((paper, record))
    result.created = len(new_papers)

    Paper.objects.bulk_create(new_papers)
    Paper.objects.bulk_update(changed_papers, CONTENT_FIELDS)
    Paper.categories.through.objects.bulk_create(
        [
            Paper.categories.through(paper_id=paper.pk, category_id=category_ids[code])
            for paper, record in merges
            for code in record.categories
            if (paper.pk, category_ids[code]) not in have_categories
        ],
        ignore_conflicts=True,  # alias pairs (cs.IT, math.IT) map to one canonical row
    )
    refresh_search_vectors([p.pk for p in new_papers] + [p.pk for p in changed_papers])
    PaperVersion.objects.bulk_create(
        [
            PaperVersion(paper_id=paper.pk, number=v.number, submitted=v.submitted, size=v.size)
            for paper, record in merges
            for v in record.versions
            if (paper.pk, v.number) not in have_versions
        ],
        ignore_conflicts=True,
    )
    return result


def _latest_per_id(records: Iterable[PaperRecord]) -> dict[str, PaperRecord]:
    latest: dict[str, PaperRecord] = {}
    for record in records:
        seen = latest.get(record.arxiv_id)
        if seen is None or _compare(record, seen) > 0:
            latest[record.arxiv_id] = record
    return latest


def _compare(record: PaperRecord, current: Paper | PaperRecord) -> int:
    """+1 if record is a newer version than current, -1 if older, 0 if the same.

    Versions are compared when both are known; otherwise the dates of the latest version are.
    """
    if record.version and current.version:
        a, b = record.version, current.version
    elif record.updated and current.updated:
        a, b = record.updated, current.updated  # type: ignore[assignment]
    elif record.version and not current.version:
        return 1  # a known version beats an unknown one
    else:
        return 0
    return (a > b) - (a < b)


def _apply(record: PaperRecord, paper: Paper, category_ids: dict[str, int]) -> Paper:
    """Put a newer record's content on the paper. Fields the source does not carry keep their value."""
    # The OAI `arXiv` format has no version numbers: never forget one we knew.
    paper.version = record.version or paper.version
    paper.title = record.title or paper.title
    paper.abstract = record.abstract or paper.abstract
    paper.authors = [a.as_json() for a in record.authors] or paper.authors
    paper.authors_text = ", ".join(a["name"] for a in paper.authors)
    if record.primary_category:
        paper.primary_category_id = category_ids[record.primary_category]
    for name in ("comment", "journal_ref", "doi", "license"):
        setattr(paper, name, getattr(record, name) or getattr(paper, name))
    paper.published = paper.published or record.published
    paper.updated = record.updated or paper.updated
    paper.modified_at = timezone.now()
    return paper


def _fill_dates(record: PaperRecord, paper: Paper) -> bool:
    """The same version from a richer source may date a paper that a listing left undated."""
    if paper.published or not record.published:
        return False
    paper.published, paper.updated = record.published, paper.updated or record.updated
    paper.modified_at = timezone.now()
    return True


def _missing_links(
    paper_id: int,
    record: PaperRecord,
    category_ids: dict[str, int],
    have_categories: set[tuple[int, int]],
    have_versions: set[tuple[int, int]],
) -> bool:
    return any((paper_id, category_ids[c]) not in have_categories for c in record.categories) or any(
        (paper_id, v.number) not in have_versions for v in record.versions
    )


def _canonical_category_ids(codes: set[str]) -> dict[str, int]:
    """Map codes to the ids of their canonical categories. Unknown codes are created inactive."""
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    Category.objects.bulk_create(
        [Category(code=code, archive=code.split(".")[0], group=code.split(".")[0]) for code in codes - known],
        ignore_conflicts=True,
    )
    rows = Category.objects.filter(code__in=codes).values_list("code", "id", "alias_of_id")
    return {code: alias_of_id or pk for code, pk, alias_of_id in rows}
