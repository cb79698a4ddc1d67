"""The catalog upsert: idempotent, version-aware, bulk, all-or-nothing per page."""

import dataclasses
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.models import Category, Paper, PaperVersion
from papers.parsers import parse_document
from papers.records import AuthorRecord, PaperRecord, ParsedPage, VersionRecord
from papers.services import import_page, upsert_records

from ..conftest import API_PAGE, ARXIV_RAW_PAGE, OAI_GET_RECORD, RSS_MULTI, RSS_QUANT_PH

pytestmark = pytest.mark.django_db


def record(version=1, **changes):
    day = 25 + (version or 1) - 1
    base = PaperRecord(
        arxiv_id="2511.19863",
        version=version,
        title=f"Title of v{version}",
        abstract=f"Abstract of v{version}",
        authors=[AuthorRecord("Yoshua Bengio"), AuthorRecord(f"Author of v{version}")],
        categories=["cs.CY"],
        published=datetime(2025, 11, 25, tzinfo=UTC),
        updated=datetime(2025, 11, day, tzinfo=UTC),
        versions=[VersionRecord(version or 1, datetime(2025, 11, day, tzinfo=UTC))],
    )
    return dataclasses.replace(base, **changes)


def test_arxiv_raw_page_creates_1000_papers_with_histories_and_is_idempotent():
    page = parse_document(ARXIV_RAW_PAGE.read_bytes())
    first = import_page(page=page)
    assert (first.created, first.updated, first.unchanged) == (1000, 0, 0)
    assert Paper.objects.count() == 1000
    assert PaperVersion.objects.count() == sum(len(r.versions) for r in page.records) == 1632
    paper = Paper.objects.get(arxiv_id="0811.3693")
    assert paper.version == 18
    assert list(paper.versions.values_list("number", flat=True)) == list(range(1, 19))

    again = import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1000)
    assert Paper.objects.count() == 1000
    assert PaperVersion.objects.count() == 1632


def test_a_page_is_written_with_a_fixed_number_of_queries():
    page = parse_document(ARXIV_RAW_PAGE.read_bytes())
    with CaptureQueriesContext(connection) as first:
        import_page(page=page)
    with CaptureQueriesContext(connection) as again:
        import_page(page=page)
    # Bulk statements, not a save() per row. SQLite splits them by its variable limit, hence the headroom.
    assert len(first) < 50
    assert len(again) < 20


def test_newer_version_replaces_content_and_extends_history():
    upsert_records(records=[record(1)])
    result = upsert_records(records=[record(2)])
    assert (result.created, result.updated) == (0, 1)
    paper = Paper.objects.get(arxiv_id="2511.19863")
    assert (paper.version, paper.title, paper.abstract) == (2, "Title of v2", "Abstract of v2")
    assert paper.author_names == ["Yoshua Bengio", "Author of v2"]
    assert paper.published == datetime(2025, 11, 25, tzinfo=UTC)
    assert paper.updated == datetime(2025, 11, 26, tzinfo=UTC)
    assert list(paper.versions.values_list("number", flat=True)) == [1, 2]


def test_older_or_equal_version_changes_nothing():
    upsert_records(records=[record(3)])
    before = Paper.objects.values().get()
    older = upsert_records(records=[record(2, title="Stale title", categories=["cs.AI"])])
    equal = upsert_records(records=[record(3, title="Same version, other title")])
    assert (older.updated, older.unchanged) == (0, 1)
    assert (equal.updated, equal.unchanged) == (0, 1)
    assert Paper.objects.values().get() == before
    assert list(Paper.objects.get().categories.values_list("code", flat=True)) == ["cs.CY"]
    assert PaperVersion.objects.count() == 1


def test_cross_list_merges_categories():
    upsert_records(records=[record(1)])
    result = upsert_records(records=[record(1, categories=["cs.AI", "cs.LG"])])
    assert result.updated == 1
    paper = Paper.objects.get()
    assert sorted(paper.categories.values_list("code", flat=True)) == ["cs.AI", "cs.CY", "cs.LG"]
    assert paper.primary_category.code == "cs.CY"


def test_unknown_category_is_created_inactive_never_dropped():
    upsert_records(records=[record(1, categories=["cs.CY", "cs.ZZ"])])
    unknown = Category.objects.get(code="cs.ZZ")
    assert not unknown.is_active
    assert not unknown.in_taxonomy
    assert unknown in Paper.objects.get().categories.all()


def test_alias_categories_map_to_one_canonical_category():
    import_page(page=parse_document(OAI_GET_RECORD.read_bytes()))
    codes = sorted(Paper.objects.get(arxiv_id="1401.2122").categories.values_list("code", flat=True))
    # math.MP is an alias of math-ph: the paper is filed once, under the canonical code.
    assert codes == ["hep-th", "math-ph", "math.AP", "math.DG", "nlin.SI"]


def test_duplicate_ids_in_one_page_keep_the_newest():
    result = upsert_records(records=[record(1), record(3), record(2)])
    assert (result.created, result.unchanged) == (1, 2)
    assert Paper.objects.get().version == 3


def test_unknown_version_compares_by_date():
    # The OAI `arXiv` format has no version numbers: a later update date is a newer version.
    upsert_records(records=[record(2)])
    later = record(None, title="Revised", updated=datetime(2026, 1, 1, tzinfo=UTC), versions=[])
    assert upsert_records(records=[later]).updated == 1
    earlier = record(None, title="Ancient", updated=datetime(2020, 1, 1, tzinfo=UTC), versions=[])
    assert upsert_records(records=[earlier]).unchanged == 1
    assert Paper.objects.get().title == "Revised"


def test_a_listing_then_the_api_dates_the_paper():
    # RSS announces 2205.06398v2 without its v1 date; the API entry for the same version supplies it.
    import_page(page=parse_document(RSS_MULTI.read_bytes()))
    assert Paper.objects.get(arxiv_id="2205.06398").published is None
    dated = record(2, arxiv_id="2205.06398", published=datetime(2022, 5, 12, tzinfo=UTC))
    assert upsert_records(records=[dated]).updated == 1
    assert Paper.objects.get(arxiv_id="2205.06398").published == datetime(2022, 5, 12, tzinfo=UTC)


def test_a_failing_batch_writes_nothing(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PaperVersion.objects, "bulk_create", explode)
    page = parse_document(API_PAGE.read_bytes())
    with pytest.raises(RuntimeError):
        import_page(page=page)
    assert Paper.objects.count() == 0


def test_every_sample_format_lands_in_one_catalog():
    for path in (API_PAGE, RSS_QUANT_PH, ARXIV_RAW_PAGE):
        import_page(page=parse_document(path.read_bytes()))
    assert Paper.objects.count() == 100 + 81 + 1000
    listed = Paper.objects.get(arxiv_id="2504.16299")
    assert sorted(listed.categories.values_list("code", flat=True)) == ["cs.IT", "quant-ph"]


def test_empty_page_is_fine():
    assert (
        str(import_page(page=ParsedPage(format="atom", records=[]))) == "created 0, updated 0, unchanged 0, skipped 0"
    )


def test_a_record_without_a_version_never_erases_a_known_one():
    upsert_records(records=[record(2)])
    undated_version = record(None, title="From OAI arXiv format", updated=datetime(2026, 1, 1, tzinfo=UTC))
    upsert_records(records=[undated_version])
    assert Paper.objects.get().version == 2
    assert upsert_records(records=[record(4, updated=None)]).updated == 1
    assert (Paper.objects.get().version, Paper.objects.get().title) == (4, "Title of v4")


def test_pages_larger_than_a_batch_are_written_in_batches(monkeypatch):
    import papers.services

    monkeypatch.setattr(papers.services, "BATCH_SIZE", 300)
    page = parse_document(ARXIV_RAW_PAGE.read_bytes())
    result = import_page(page=page)
    assert (result.created, Paper.objects.count()) == (1000, 1000)
    assert PaperVersion.objects.count() == 1632


def test_a_newer_version_refreshes_search_and_may_move_the_primary_category():
    from papers.search import search

    upsert_records(records=[record(1)])
    upsert_records(records=[record(2, title="Holographic entanglement", categories=["hep-th", "cs.CY"])])
    paper = Paper.objects.get()
    assert paper.primary_category.code == "hep-th"
    assert list(search(Paper.objects.all(), "holographic")) == [paper]
    assert not search(Paper.objects.all(), "Title of v1").exists()
