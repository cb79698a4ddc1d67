"""Items as Zotero's arXiv.org translator saves them, the DataCite DOI in every export, and COinS on
every page that lists papers, decoded the way the Zotero Connector reads them."""

import datetime as dt
import html
import json
import re
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from deck import services as deck_services
from library.exports import Item, PaperData, csl_records, to_bibtex, to_ris
from library.zotero.items import creator, split_name, zotero_item
from papers.models import Category

from ..factories import PaperFactory, UserFactory
from ..zotero_openurl import parse_context_object

HOSTILE_TITLE = "Fast & <b>\"bold\"</b> 'quoted' $\\alpha$-stable Lévy walks"
NAMES = ["Ada Lovelace", "Jean-Pierre de la Fontaine", "D.T. O'Dea", "CMS Collaboration", "Plato"]


def _paper(**fields):
    values = {
        "arxiv_id": "2601.00001",
        "version": 2,
        "title": "Ünïcödé and $\\omega$-TeX:\n  a title",
        "abstract": "An  abstract\nover lines.",
        "author_names": ["Ada Lovelace"],
        "published": dt.date(2026, 1, 2),
        "primary_category": "cs.LG",
        "categories": ("stat.ML", "cs.LG"),
        "doi": "",
        "journal_ref": "",
    }
    return PaperData(**(values | fields))


# ---------------------------------------------------------------- names, as ZU.cleanAuthor(name, "author", false)


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Ada Lovelace", "Ada", "Lovelace"),
        ("Peter W. Sullivan", "Peter W.", "Sullivan"),  # from arXiv.org.js's own test cases
        ("D.T. O'Dea", "D. T.", "O'Dea"),  # periods spaced, as cleanAuthor's initials step does
        ("FRS Last", "F. R. S.", "Last"),  # up to three capitals are initials
        ("ABC DEF", "ABC", "DEF"),  # ... unless the last name is all capitals too
        ("J.-P. Serre", "J.-P.", "Serre"),
        ("Marie-Claude Gaudel", "Marie-Claude", "Gaudel"),
        ("Jean-Pierre de la Fontaine", "Jean-Pierre de la", "Fontaine"),  # no particle rule in Zotero
        ("John Smith Jr.", "John Smith", "Jr"),  # nor a suffix rule: the trailing period goes
        ("Ada Lovelace [UK]", "Ada", "Lovelace [UK"),  # the last name must start with a letter
        ("  Zoë   Ñúñez ", "Zoë", "Ñúñez"),
        ("Plato", "", "Plato"),
    ],
)
def test_names_split_as_zotero_splits_them(name, first, last):
    assert split_name(name) == (first, last)


def test_a_single_word_name_is_a_single_field_creator():
    assert creator("Plato") == {"name": "Plato", "creatorType": "author"}
    assert creator("Ada Lovelace") == {"firstName": "Ada", "lastName": "Lovelace", "creatorType": "author"}


# ---------------------------------------------------------------- the item


def test_the_item_of_a_paper_without_journal_doi_is_the_translators_preprint():
    item = zotero_item(_paper(author_names=["Ada Lovelace"]))
    assert item == {
        "itemType": "preprint",
        "title": "Ünïcödé and $\\omega$-TeX: a title",  # accents and TeX kept, whitespace trimmed
        "creators": [{"firstName": "Ada", "lastName": "Lovelace", "creatorType": "author"}],
        "abstractNote": "An abstract over lines.",
        "date": "2026-01-02",
        "url": "https://arxiv.org/abs/2601.00001",
        "repository": "arXiv",
        "archiveID": "arXiv:2601.00001",
        "DOI": "10.48550/arXiv.2601.00001",
        "extra": "arXiv:2601.00001 [cs.LG]",
        "tags": [{"tag": "cs.LG"}, {"tag": "stat.ML"}],  # primary first
    }


@pytest.mark.django_db
def test_a_journal_doi_and_reference_and_the_comment_go_to_extra_and_the_doi_stays_datacite():
    paper = PaperFactory(
        arxiv_id="hep-th/9901001",
        comment="12 pages,\n3 figures",
        journal_ref="Phys. Rev. D 60 (1999) 1",
        doi="10.1103/PhysRevD.60.000001",
        authors=[{"name": name, "affiliations": []} for name in NAMES],
    )
    item = zotero_item(paper)
    assert item["itemType"] == "preprint"
    assert item["DOI"] == "10.48550/arXiv.hep-th/9901001"
    assert item["extra"].split("\n") == [
        "arXiv:hep-th/9901001",  # an old-style id gets no [category], as in arXiv.org.js
        "Comment: 12 pages, 3 figures",
        "Journal reference: Phys. Rev. D 60 (1999) 1",
        "Related DOI: 10.1103/PhysRevD.60.000001",
    ]
    assert item["creators"][-1] == {"name": "Plato", "creatorType": "author"}
    assert item["creators"][2] == {"firstName": "D. T.", "lastName": "O'Dea", "creatorType": "author"}
    assert item["date"] == "2025-11-25"
    assert [t["tag"] for t in item["tags"]] == [paper.primary_category.code]
    json.dumps(item)  # plain JSON


def test_three_hundred_authors_are_three_hundred_creators_in_order():
    names = [f"Author{n} Number{n}" for n in range(300)]
    item = zotero_item(_paper(author_names=names))
    assert len(item["creators"]) == 300
    assert [c["lastName"] for c in item["creators"]] == [f"Number{n}" for n in range(300)]


# ---------------------------------------------------------------- exports carry the DataCite DOI


def test_every_export_carries_the_datacite_doi_and_keeps_the_journal_doi():
    items = [Item(_paper(doi="10.1000/journal", journal_ref="J. Things 1 (2026)")), Item(_paper(arxiv_id="2601.00002"))]
    bib = to_bibtex(items)
    assert "doi = {10.48550/arXiv.2601.00001}" in bib
    assert "doi = {10.48550/arXiv.2601.00002}" in bib
    assert "Related DOI: 10.1000/journal" in bib
    assert bib.count("@misc{") == 2
    assert bib.count("eprinttype = {arxiv}") == 2
    ris = to_ris(items)
    assert "DO  - 10.48550/arXiv.2601.00001" in ris
    assert "N1  - Related DOI: 10.1000/journal" in ris
    assert ris.count("TY  - UNPB") == 2
    csl = csl_records(items)
    assert [r["DOI"] for r in csl] == ["10.48550/arXiv.2601.00001", "10.48550/arXiv.2601.00002"]
    assert [r["type"] for r in csl] == ["article", "article"]
    assert csl[0]["note"] == "Related DOI: 10.1000/journal"
    assert "note" not in csl[1]


# ---------------------------------------------------------------- COinS on every page


def coins(page: str) -> list[str]:
    """The ContextObjects of a page's COinS spans, as the browser hands them to the Zotero Connector."""
    return [html.unescape(title) for title in re.findall(r'<span class="Z3988" title="([^"]*)"></span>', page)]


def assert_coins_of(context_object: str, paper) -> None:
    """The span decodes, as Zotero decodes it, to the fields of the item section 2 sends."""
    decoded = parse_qs(context_object, keep_blank_values=True, strict_parsing=True)
    assert decoded["ctx_ver"] == ["Z39.88-2004"]
    assert decoded["rft.genre"] == ["preprint"]
    saved = parse_context_object(context_object)
    expected = zotero_item(paper)
    assert saved is not None
    assert saved["itemType"] == "preprint"
    for field in ("title", "abstractNote", "date", "url", "DOI"):
        assert saved[field] == expected[field], field
    assert saved["publisher"] == expected["repository"]  # publisher is a preprint's repository's base field
    assert saved["tags"] == [expected["tags"][0]["tag"]]  # the primary category, as rows know it
    as_pairs = [(c.get("firstName", ""), c.get("lastName") or c.get("name")) for c in saved["creators"]]
    assert as_pairs == [(c.get("firstName", ""), c.get("lastName") or c.get("name")) for c in expected["creators"]]


@pytest.fixture
def reader_and_paper(client):
    cs_cy = Category.objects.get(code="cs.CY")
    paper = PaperFactory(
        title=HOSTILE_TITLE,
        primary_category=cs_cy,
        authors=[{"name": name, "affiliations": []} for name in NAMES],
        listed_at=timezone.now(),
    )
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    client.force_login(user)
    return user, paper


@pytest.mark.django_db
def test_the_deck_card_carries_coins_that_decode_to_the_paper(client, reader_and_paper):
    _, paper = reader_and_paper
    page = client.get("/").content.decode()
    assert "<b>" not in page.split('class="Z3988"')[1].split("</span>")[0]  # escaped in the attribute
    (context_object,) = coins(page)
    assert_coins_of(context_object, paper)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/lists/reading-list/", "/history/", "/papers/trending/", "/search/?q=Lévy"])
def test_list_history_trending_and_search_rows_carry_coins(client, reader_and_paper, path):
    user, paper = reader_and_paper
    other = PaperFactory(title="Walks, again: Lévy & co", authors=[{"name": "Plato", "affiliations": []}])
    # Trending shows a paper once three readers kept it: two more, so that it shows these.
    for reader in (user, UserFactory(), UserFactory()):
        for each in (paper, other):
            deck_services.decide(user=reader, paper=each, decision="keep")
    page = client.get(path).content.decode()
    found = {parse_context_object(co)["title"]: co for co in coins(page)}
    assert set(found) == {HOSTILE_TITLE, other.title}
    assert_coins_of(found[HOSTILE_TITLE], paper)
    assert_coins_of(found[other.title], other)  # a single-word name: one creator, not two
