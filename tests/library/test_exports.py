"""Exports parsed back with real parsers: bibtexparser for BibTeX, rispy for RIS, json and csv."""

import csv
import datetime as dt
import io
import json

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors

from deck import services as deck_services
from library import selectors, services
from library.exports import (
    FORMATS,
    EntryData,
    Item,
    PaperData,
    bib_field,
    bib_names,
    bibtex_key,
    csl_records,
    to_csl_json,
)
from papers.models import Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import API_PAGE, ARXIV_RAW_PAGE
from ..factories import CategoryFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

# Real papers with LaTeX in the title, non-ASCII names, old-style ids, DOIs and journal references.
PICKS = ["2202.12139", "cs/0503050", "0804.0970", "0811.3648", "0811.3649"]


@pytest.fixture
def library(client):
    import_page(page=parse_document(API_PAGE.read_bytes()))
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    omega = Paper.objects.get(title__startswith="$ω$Test")
    accented = Paper.objects.filter(authors_text__regex=r"[äöüéèßø]").exclude(title__contains="$").first()
    user = UserFactory()
    papers = [*Paper.objects.filter(arxiv_id__in=PICKS).order_by("arxiv_id"), omega, accented]
    for paper in papers:
        deck_services.decide(user=user, paper=paper, decision="keep")
    entry = user.reading_lists.get().entries.get(paper=papers[0])
    services.update_entry(entry=entry, note="Read §3 & the appendix: 50% done")
    client.force_login(user)
    return {p.arxiv_id: p for p in papers}


def export(client, fmt, path="/lists/reading-list/export/"):
    response = client.get(f"{path}{fmt}/")
    assert response.status_code == 200
    return response


def test_bibtex_round_trip(client, library):
    response = export(client, "bibtex")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="paperswipe-reading-list.bib"'
    parsed = bibtexparser.parse_string(
        response.content.decode(), append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors()]
    )
    assert not parsed.failed_blocks
    entries = {e.fields_dict["eprint"].value: e for e in parsed.entries}
    assert set(entries) == set(library)
    assert len({e.key for e in parsed.entries}) == len(library)  # unique keys
    for arxiv_id, paper in library.items():
        entry = entries[arxiv_id]
        fields = {name: f.value for name, f in entry.fields_dict.items()}
        assert fields["archivePrefix"] == "arXiv"
        assert fields["primaryClass"] == paper.primary_category.code
        assert fields["author"] == paper.author_names
        assert entry.key == bibtex_key(paper)
        # The preprint, whatever became of it: @misc, the DataCite DOI, the journal DOI beside it.
        assert entry.entry_type == "misc"
        assert fields["eprinttype"] == "arxiv"
        assert fields["doi"] == f"10.48550/arXiv.{arxiv_id}"
        if paper.doi:
            assert fields["addendum"] == f"Related DOI: {paper.doi}"
        if paper.journal_ref:
            assert fields["journal"]
        if "$" not in paper.title:
            assert fields["title"] == paper.title
    omega = next(
        e
        for e in parsed.entries
        if e.fields_dict["title"].value.endswith("Test: WebView-Oriented Testing for Android Applications")
    )
    assert omega.fields_dict["title"].value.startswith("$")  # math kept as TeX: $\omega $Test
    raw = response.content.decode()
    assert r"$\omega $Test" in raw
    assert r"Read §3 \& the appendix: 50\% done" in raw
    without_note = raw.replace("Read §3", "")
    assert without_note.isascii()  # every accent became a TeX escape
    assert '{\\"{o}}' in raw or "{\\'{e}}" in raw


def test_bibtex_keys_are_stable_across_new_versions(client, library):
    from papers.records import AuthorRecord, PaperRecord
    from papers.services import upsert_records

    before = {
        e.fields_dict["eprint"].value: e.key
        for e in bibtexparser.parse_string(export(client, "bibtex").content.decode()).entries
    }
    paper = library["0811.3648"]
    upsert_records(
        records=[
            PaperRecord(
                arxiv_id=paper.arxiv_id,
                version=3,
                title="A new title",
                abstract="x",
                authors=[AuthorRecord("Daniel M. Kane")],
                categories=["cs.DS"],
            )
        ]
    )
    after = {
        e.fields_dict["eprint"].value: e.key
        for e in bibtexparser.parse_string(export(client, "bibtex").content.decode()).entries
    }
    assert after == before


def test_ris_round_trip(client, library):
    response = export(client, "ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="paperswipe-reading-list.ris"'
    records = rispy.loads(response.content.decode())
    # M2, which Zotero's RIS.js imports into Extra; rispy knows no M2 and keeps it as an unknown tag.
    by_id = {r["unknown_tag"]["M2"][0].removeprefix("arXiv: "): r for r in records}
    assert set(by_id) == set(library)
    for arxiv_id, paper in library.items():
        record = by_id[arxiv_id]
        assert record["authors"] == paper.author_names
        assert record["title"] == " ".join(paper.title.split())
        assert record["urls"] == [paper.abs_url]
        assert record["year"] == str(paper.published.year)
        assert record["type_of_reference"] == "UNPB"
        assert record["doi"] == f"10.48550/arXiv.{arxiv_id}"
        if paper.doi:
            assert f"Related DOI: {paper.doi}" in record["notes"]
        assert not any(note.startswith("arXiv") for note in record.get("notes", []))  # not a child note


def test_csl_json_round_trip(client, library):
    response = export(client, "csl-json")
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    items = {i["number"].removeprefix("arXiv:"): i for i in json.loads(response.content)}
    assert set(items) == set(library)
    for arxiv_id, paper in library.items():
        item = items[arxiv_id]
        assert item["title"] == paper.title
        assert [
            f"{a['given']} {a['family']}" if "family" in a else a["literal"] for a in item["author"]
        ] == paper.author_names
        assert item["issued"]["date-parts"][0][:3] == [paper.published.year, paper.published.month, paper.published.day]
        assert item["URL"] == paper.abs_url
        assert item["type"] == "article"  # Zotero's CSL mapping for its preprint type
        assert item["number"] == f"arXiv:{arxiv_id}"  # Zotero: the preprint's archiveID
        assert item["DOI"] == f"10.48550/arXiv.{arxiv_id}"
        if paper.doi:
            assert item["note"].endswith(f"Related DOI: {paper.doi}")


def test_csv_round_trip(client, library):
    response = export(client, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = {r["arxiv_id"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == set(library)
    assert rows["0811.3648"]["title"] == "Revisiting Norm Estimation in Data Streams"
    assert rows["0811.3648"]["state"] == "unread"
    assert rows["0811.3648"]["list"] == "Reading list"


def test_whole_library_export_holds_each_paper_once(client, library):
    user = Paper.objects.get(arxiv_id="0811.3648").list_entries.get().reading_list.user
    other = services.create_list(user=user, name="Thesis")
    services.add_to_list(reading_list=other, paper=library["0811.3648"])
    response = export(client, "bibtex", "/library/export/")
    assert response["Content-Disposition"] == 'attachment; filename="paperswipe-library.bib"'
    parsed = bibtexparser.parse_string(response.content.decode())
    assert sorted(e.fields_dict["eprint"].value for e in parsed.entries) == sorted(library)


def test_unknown_format_is_404(client, library):
    assert client.get("/lists/reading-list/export/docx/").status_code == 404


def test_paper_pages_carry_highwire_tags_for_zotero(client, library):
    html = client.get("/papers/0804.0970/").content.decode()
    assert '<meta name="citation_title" content="' in html
    assert '<meta name="citation_author" content="Marie-Claude Gaudel">' in html
    assert '<meta name="citation_author" content="Pascale Le Gall">' in html
    assert '<meta name="citation_arxiv_id" content="0804.0970">' in html
    assert '<meta name="citation_pdf_url" content="https://arxiv.org/pdf/0804.0970v1">' in html
    assert '<meta name="citation_date" content="2008/' in html


def test_a_title_cannot_inject_bibtex_fields_and_csv_cells_are_not_formulas(client):
    user = UserFactory()
    paper = PaperFactory(title="Broken} , note = {injected", authors=[{"name": "=HYPERLINK(1)", "affiliations": []}])
    deck_services.decide(user=user, paper=paper, decision="keep")
    client.force_login(user)
    parsed = bibtexparser.parse_string(export(client, "bibtex").content.decode())
    assert not parsed.failed_blocks
    assert "note" not in parsed.entries[0].fields_dict
    row = next(csv.DictReader(io.StringIO(export(client, "csv").content.decode())))
    assert row["authors"] == "'=HYPERLINK(1)"


def test_notes_travel_in_ris_and_csl_json(client, library):
    ris = rispy.loads(export(client, "ris").content.decode())
    assert any("Read §3 & the appendix: 50% done" in r.get("notes", []) for r in ris)
    csl = json.loads(export(client, "csl-json").content)
    notes = [i["note"].split("\n")[0] for i in csl if "note" in i and not i["note"].startswith("Related DOI: ")]
    assert notes == ["Read §3 & the appendix: 50% done"]


# ---------------------------------------------------------------- speed-minded rewrites, same output

EXPORT_QUERIES = 5  # session, user, the list, its entries with their papers, their papers' categories


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json", "csv"])
def test_an_export_costs_the_same_queries_for_3_papers_as_for_40(client, fmt, django_assert_max_num_queries):
    user = UserFactory()
    small, big = services.create_list(user=user, name="Small"), services.create_list(user=user, name="Big")
    categories = [CategoryFactory(display_order=3 - n) for n in range(3)]  # display order against code order
    for n in range(40):
        paper = PaperFactory(
            primary_category=categories[0],
            authors=[{"name": f"Author {k}", "affiliations": ["Somewhere"]} for k in range(n % 7 + 1)],
            doi=f"10.1000/x{n}" if n % 2 else "",
        )
        paper.categories.add(*categories[: n % 3 + 1])
        services.add_to_list(reading_list=big, paper=paper)
        if n < 3:
            services.add_to_list(reading_list=small, paper=paper)
    client.force_login(user)
    counts = []
    for the_list in (small, big):
        with django_assert_max_num_queries(EXPORT_QUERIES) as queries:
            response = client.get(f"/lists/{the_list.slug}/export/{fmt}/")
        assert response.status_code == 200
        counts.append(len(queries))
    with django_assert_max_num_queries(EXPORT_QUERIES):
        assert client.get(f"/library/export/{fmt}/").status_code == 200
    assert counts[0] == counts[1]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert {row["categories"] for row in rows} == {
            " ".join(c.code for c in reversed(categories[:k])) for k in (1, 2, 3)
        }


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Fast & Furious: 100% of #1", r"Fast \& Furious: 100\% of \#1"),
        (r"Already escaped: \& \% \#", r"Already escaped: \& \% \#"),
        (r"$\alpha$-stable & {Lévy} processes", r"$\alpha$-stable \& {L{\'{e}}vy} processes"),
        ("Math $a & b$ keeps its ampersand", "Math $a & b$ keeps its ampersand"),
        ("ω in text, $ω$ in math", r"$\omega$ in text, $\omega $ in math"),
        ("Broken} , note = {injected", r"Broken\} , note = \{injected"),
        ("ends in a backslash \\", "ends in a backslash \\ "),
        ("ends in two backslashes \\\\", "ends in two backslashes \\\\"),
        ("Søren\u2013Łukasz Żółć “quoted”", r"S{\o}ren--{\L}ukasz {\.{Z}}{\'{o}}{\l}{\'{c}} ``quoted''"),
        ("Ünïcödé 李", r"{\"{U}}n{\"{i}}c{\"{o}}d{\'{e}} 李"),
        ("{Nested {braces}} stay", "{Nested {braces}} stay"),
        (r"\{escaped\} braces", r"\{escaped\} braces"),
    ],
)
def test_bibtex_field_escaping(text, field):
    """The escaping as it was before the fast paths (checked against the old code on random strings)."""
    assert bib_field(text) == field


@pytest.mark.parametrize(
    "names",
    [
        ["Jörg Müller", "Ada Lovelace", "Łukasz Żółć"],
        ["A & B Collaboration", "{CMS} Collaboration", "Back\\"],
        ["Plain Name"],
        [],
    ],
)
def test_an_author_field_escapes_each_name_on_its_own(names):
    assert bib_names(names) == " and ".join(bib_field(name) for name in names)


def test_bibtex_special_characters_come_back_from_bibtexparser(client):
    user = UserFactory()
    title = "Fast & Furious: 100% of #1 {Lévy} walks for Søren, Jörg and Ærøskøbing"
    names = ["Jörg Müller", "Łukasz Żółć", "François Lefèvre", "A & B Collaboration", "Plato"]
    paper = PaperFactory(title=title, authors=[{"name": name, "affiliations": []} for name in names])
    deck_services.decide(user=user, paper=paper, decision="keep")
    client.force_login(user)
    raw = export(client, "bibtex").content.decode()
    assert raw.isascii()
    parsed = bibtexparser.parse_string(raw, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors()])
    assert not parsed.failed_blocks
    fields = {name: f.value for name, f in parsed.entries[0].fields_dict.items()}
    assert fields["title"] == title.replace("{Lévy}", "Lévy")  # the braces only keep BibTeX's case
    assert fields["author"] == names


def _paper(**fields):
    values = {
        "arxiv_id": "2601.00001",
        "version": 2,
        "title": 'A "quoted" title\\ with a\nline break, a tab\t, \x00 and 😀',
        "abstract": "Ünïcödé and \u2028 separators",
        "author_names": ["Ada Lovelace", "Plato", "Jean-Pierre de la Fontaine", ""],
        "published": dt.date(2026, 1, 2),
        "primary_category": "cs.LG",
        "categories": ("cs.LG", "stat.ML"),
        "doi": "10.1000/x",
        "journal_ref": "J. Things 1 (2026)",
    }
    return PaperData(**(values | fields))


def test_csl_json_keeps_unicode_as_it_is_and_escapes_what_json_must():
    entry = EntryData(note="a note with “quotes” and \\", state="read", added_at=dt.datetime(2026, 1, 3, tzinfo=dt.UTC))
    items = [
        Item(_paper(), entry, "List"),
        Item(_paper(arxiv_id="2601.00002", author_names=[], published=None, doi="", journal_ref="")),
        Item(
            _paper(arxiv_id="2601.00003", version=None, author_names=["Single"]),
            EntryData("", "unread", entry.added_at),
        ),
    ]
    text = to_csl_json(items)
    assert "Ünïcödé" in text  # as it is, not as \u escapes
    assert "😀" in text
    assert '\\"quoted\\"' in text  # what JSON must escape, escaped
    assert "\\u0000" in text
    records = json.loads(text)
    assert records == csl_records(items)
    assert records[0]["title"] == _paper().title
    assert records[2]["author"] == [{"literal": "Single"}]
    assert to_csl_json([]) == "[]"


def test_the_export_reads_the_same_values_as_the_models_hold(library):
    """The selector reads tuples (names from the JSON in SQL, the day of publication, categories in one
    query); exported from the models instead, every format comes out the same."""
    the_list = Paper.objects.get(arxiv_id="0811.3648").list_entries.get().reading_list
    entries = the_list.entries.order_by("-added_at", "-id")
    from_rows = selectors.export_items(entries)
    from_models = [Item(e.paper, e, the_list.name) for e in entries.select_related("paper__primary_category")]
    assert [i.paper for i in from_rows] == [i.paper for i in from_models]
    assert [i.entry for i in from_rows] == [i.entry for i in from_models]
    assert any(len(i.paper.categories) > 1 for i in from_rows)
    for _, _, render in FORMATS.values():
        assert render(from_rows) == render(from_models)
