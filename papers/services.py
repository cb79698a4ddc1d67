"""Writing arXiv records into the catalog: an idempotent, bulk upsert keyed by arxiv_id."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .arxiv import ID_LIST_MAX, ArxivClient, ArxivUnavailable, client_from_settings
from .ids import InvalidArxivId, parse_arxiv_id
from .models import Category, Paper, PaperVersion
from .names import author_keys
from .records import ArxivParseError, PaperRecord, ParsedPage
from .search import refresh_search_vectors
from .tasks import compute_features

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
CONTENT_FIELDS = [
    "version",
    "title",
    "abstract",
    "authors",
    "authors_text",
    "author_keys",
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
    written = [p.pk for p in new_papers] + [p.pk for p in changed_papers]
    refresh_search_vectors(written)
    if written:  # the ranker's vectors, in their own task once these rows are committed
        transaction.on_commit(lambda: compute_features.delay(written))
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
    paper.author_keys = author_keys(a["name"] for a in paper.authors)
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


@dataclass
class EnsuredPapers:
    """Each asked id in one list, as a bare id, in the order asked; not_found starts with what was no id."""

    matched: list[str] = field(default_factory=list)  # already in the catalog
    fetched: list[str] = field(default_factory=list)  # fetched from arXiv now and upserted
    not_found: list[str] = field(default_factory=list)  # unknown to arXiv, or not an arXiv id at all


class PapersUnavailable(Exception):
    """arXiv failed part-way. `result` holds what is known; `unfetched` the ids arXiv was not asked about."""

    def __init__(self, message: str, *, result: EnsuredPapers, unfetched: list[str]) -> None:
        super().__init__(message)
        self.result = result
        self.unfetched = unfetched


def ensure_papers(*, arxiv_ids: list[str], client: ArxivClient | None = None) -> EnsuredPapers:
    """Have the catalog hold these papers: fetch from arXiv those it lacks, ID_LIST_MAX per request.

    Ids may carry a version or a prefix; results list bare ids. Not wrapped in one transaction, so that
    no database transaction waits on the network: each fetched page is upserted atomically on its own,
    and a failure raises PapersUnavailable with the pages before it kept and reported.
    """
    result = EnsuredPapers()
    wanted: dict[str, None] = {}
    for raw in arxiv_ids:
        try:
            wanted.setdefault(parse_arxiv_id(raw)[0], None)
        except InvalidArxivId:
            result.not_found.append(raw)  # never sent: arXiv's error feed would fail the whole batch
    present = set(Paper.objects.filter(arxiv_id__in=list(wanted)).values_list("arxiv_id", flat=True))
    result.matched = [i for i in wanted if i in present]
    missing = [i for i in wanted if i not in present]
    # An id arXiv did not know a moment ago is not asked about again for a while: the same file uploaded
    # twice would otherwise spend a 3 s request slot per 100 such ids each time.
    known_absent = set(cache.get_many([_not_found_key(i) for i in missing]))
    result.not_found += [i for i in missing if _not_found_key(i) in known_absent]
    missing = [i for i in missing if _not_found_key(i) not in known_absent]
    if not missing:
        return result
    client = client or client_from_settings()
    for start in range(0, len(missing), ID_LIST_MAX):
        batch = missing[start : start + ID_LIST_MAX]
        try:
            page = _fetch_believable_ids(client, batch)
        except (ArxivUnavailable, ArxivParseError) as error:
            raise PapersUnavailable(
                f"arXiv could not be asked for {len(missing) - start} of the papers: {error}",
                result=result,
                unfetched=missing[start:],
            ) from error
        upsert_records(records=page.records)
        found = {record.arxiv_id for record in page.records}
        result.fetched += [i for i in batch if i in found]
        absent = [i for i in batch if i not in found]
        result.not_found += absent
        cache.set_many(dict.fromkeys(map(_not_found_key, absent), True), NOT_FOUND_MEMORY)
    return result


# arXiv ids appear at announcement, once a weekday: an id unknown now stays unknown for hours.
NOT_FOUND_MEMORY = 6 * 3600


def _not_found_key(arxiv_id: str) -> str:
    return f"arxiv:not-found:{arxiv_id}"


def _fetch_believable_ids(client: ArxivClient, ids: list[str]) -> ParsedPage:
    """arXiv sometimes answers with no entries while counting results: ask again before believing "not found".

    The legacy backend's blank entries for unknown ids are counted as skipped, and are an answer.
    """
    page = client.fetch_ids(ids)
    for _ in range(settings.ARXIV_EMPTY_PAGE_RETRIES):
        if page.records or page.skipped or not page.total_results:
            return page
        logger.info("arXiv answered no entries for %d ids but counted %d; asking again", len(ids), page.total_results)
        page = client.fetch_ids(ids)
    if not page.records and not page.skipped and page.total_results:
        raise ArxivUnavailable(f"arXiv kept returning no entries while counting {page.total_results}")
    return page
