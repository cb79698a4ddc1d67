"""Import… on a list page: a Zotero export (BibTeX, RIS or CSL-JSON) into the list. Entries with an arXiv
id are matched in the catalog or fetched from the arXiv stand-in; the others are listed as skipped."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from library import services
from library.models import ReadingListEntry
from library.selectors import default_list
from papers.models import Paper
from papers.references.parse import parse_references

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db
REFERENCES = Path(__file__).resolve().parent.parent / "fixtures" / "references"


@pytest.fixture
def reader(client):
    user = UserFactory()
    client.force_login(user)
    return user, services.create_list(user=user, name="Thesis")


def in_list(reading_list) -> set[str]:
    return set(ReadingListEntry.objects.filter(reading_list=reading_list).values_list("paper__arxiv_id", flat=True))


@pytest.mark.parametrize("name", ["zotero.bib", "zotero.ris", "zotero.json"])
def test_a_zotero_export_fills_the_list_and_names_what_it_skipped(client, reader, standin, name):
    user, thesis = reader
    data = (REFERENCES / name).read_bytes()
    references = parse_references(data, name)
    with_id = [r.arxiv_id for r in references if r.arxiv_id]
    without = [r.title for r in references if not r.arxiv_id]
    PaperFactory(arxiv_id=with_id[0])

    html = client.post("/lists/thesis/import/", {"file": SimpleUploadedFile(name, data)}).content.decode()

    assert "Found in PaperSwipe</dt><dd>1" in html
    assert "Skipped: no arXiv id in the entry" in html
    for title in without:
        assert title.split(":")[0][:20] in html
    imported = in_list(thesis)
    assert with_id[0] in imported
    assert imported <= set(with_id)
    assert imported == set(Paper.objects.filter(arxiv_id__in=with_id).values_list("arxiv_id", flat=True))
    assert not in_list(default_list(user=user))  # only the chosen list


def test_importing_again_adds_nothing_twice_and_keeps_notes(client, reader, standin):
    _, thesis = reader
    data = (REFERENCES / "zotero.bib").read_bytes()
    client.post("/lists/thesis/import/", {"file": SimpleUploadedFile("zotero.bib", data)})
    first = in_list(thesis)
    assert first
    ReadingListEntry.objects.filter(reading_list=thesis).update(note="read this first")
    client.post("/lists/thesis/import/", {"file": SimpleUploadedFile("zotero.bib", data)})
    assert ReadingListEntry.objects.filter(reading_list=thesis).count() == len(first)
    assert set(ReadingListEntry.objects.filter(reading_list=thesis).values_list("note", flat=True)) == {
        "read this first"
    }


@pytest.mark.parametrize("name", ["broken.bib", "broken.json", "broken_truncated.ris"])
def test_a_broken_file_imports_nothing_and_says_so(client, reader, name):
    _, thesis = reader
    upload = SimpleUploadedFile(name, (REFERENCES / name).read_bytes())
    response = client.post("/lists/thesis/import/", {"file": upload}, follow=True)
    assert response.redirect_chain == [("/lists/thesis/", 302)]
    assert "Nothing was imported" in response.content.decode()
    assert not in_list(thesis)


def test_the_list_page_offers_import(client, reader):
    html = client.get("/lists/thesis/").content.decode()
    assert "<summary>Import…</summary>" in html
    assert 'action="/lists/thesis/import/"' in html
    assert 'enctype="multipart/form-data"' in html


def test_an_oversized_or_missing_file_is_refused(client, reader):
    _, thesis = reader
    huge = SimpleUploadedFile("huge.bib", b"@misc{a, title={x}}\n" * 300_000)
    response = client.post("/lists/thesis/import/", {"file": huge}, follow=True)
    assert "Files are at most 5 MB." in response.content.decode()
    response = client.post("/lists/thesis/import/", {}, follow=True)
    assert response.redirect_chain == [("/lists/thesis/", 302)]
    assert not in_list(thesis)


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_our_own_export_imports_back_into_another_list(client, reader, fmt):
    user, thesis = reader
    papers = [
        PaperFactory(),
        PaperFactory(arxiv_id="hep-th/9901001", title="Old-style id & <angle> brackets"),
        PaperFactory(title="Ünïcödé $\\alpha$-TeX", doi="10.1103/PhysRevD.1.1", journal_ref="Phys. Rev. D 1, 1"),
    ]
    for paper in papers:
        services.add_to_list(reading_list=thesis, paper=paper)
    exported = client.get(f"/lists/thesis/export/{fmt}/")
    assert exported.status_code == 200
    filename = exported["Content-Disposition"].split('filename="')[1].rstrip('"')
    copy = services.create_list(user=user, name="Copy")

    html = client.post("/lists/copy/import/", {"file": SimpleUploadedFile(filename, exported.content)})

    assert html.status_code == 200
    assert in_list(copy) == {p.arxiv_id for p in papers}
    page = html.content.decode()
    assert "3 papers in “Copy”" in page
    assert "Found in PaperSwipe</dt><dd>3" in page
    assert "Skipped" not in page
