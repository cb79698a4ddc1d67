"""Every real recorded arXiv format parses into the same PaperRecord."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from papers.parsers import detect_format, parse_document
from papers.records import ArxivAPIError, ArxivParseError

from ..conftest import (
    API_BLANK_ENTRIES,
    API_EMPTY,
    API_ERROR,
    API_PAGE,
    ARXIV_RAW_PAGE,
    LEGACY_API_PAGE,
    OAI_GET_RECORD,
    OAI_LIST_ARXIV,
    RSS_MULTI,
    RSS_QUANT_PH,
    SAMPLES,
)


def by_id(page):
    return {r.arxiv_id: r for r in page.records}


def test_new_api_page():
    page = parse_document(API_PAGE.read_bytes())
    assert page.format == "atom"
    assert len(page.records) == 100
    assert page.total_results == 214881
    records = by_id(page)
    first = records["2202.12139"]
    assert first.version == 1
    assert first.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert [a.name for a in first.authors] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.categories == ["cs.SE", "cs.LG"]
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.published == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    # Old-style ids keep their slash; versions go up to v9.
    assert {"cs/0503050", "hep-ph/0301050", "gr-qc/0103067"} <= records.keys()
    assert records["2409.05654"].version == 9
    assert [v.number for v in records["2409.05654"].versions] == [1, 9]
    # Affiliations survive, one list per author (feedparser alone would keep only the last).
    assert [(a.name, a.affiliations) for a in records["0804.0970"].authors] == [
        ("Marie-Claude Gaudel", ("LRI",)),
        ("Pascale Le Gall", ("IBISC",)),
    ]
    assert any(r.title == "$ω$Test: WebView-Oriented Testing for Android Applications" for r in page.records)
    assert sum(bool(r.journal_ref) for r in page.records) == 18
    assert sum(bool(r.doi) for r in page.records) == 32


def test_legacy_api_page_is_unwrapped():
    page = parse_document(LEGACY_API_PAGE.read_bytes())
    assert len(page.records) == 10
    assert page.total_results == 31
    record = by_id(page)["1201.4869"]
    assert record.title == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert "\n" not in record.abstract
    assert record.abstract.startswith("As helium-4 is cooled below 2.17 K it undergoes a phase transition")
    assert "cond-mat/0412498" in by_id(page)


def test_api_error_feed_is_an_error_not_a_paper():
    with pytest.raises(ArxivAPIError, match="incorrect id format for abc"):
        parse_document(API_ERROR.read_bytes())


def test_api_empty_result_is_an_empty_page():
    page = parse_document(API_EMPTY.read_bytes())
    assert page.records == []
    assert page.total_results == 0


def test_blank_entries_are_skipped_with_a_warning():
    page = parse_document(API_BLANK_ENTRIES.read_bytes())
    assert [r.arxiv_id for r in page.records] == ["2201.13452"]
    assert page.skipped == 3
    assert len(page.warnings) == 3
    # "35" is an MSC class, not an arXiv category.
    assert page.records[0].categories == ["math.AP"]


def test_truncated_xml_is_an_error(truncated_api_page):
    with pytest.raises(ArxivParseError, match="malformed XML"):
        parse_document(truncated_api_page.read_bytes())


def test_truncated_oai_is_an_error():
    data = ARXIV_RAW_PAGE.read_bytes()
    with pytest.raises(ArxivParseError, match="malformed XML"):
        parse_document(data[: len(data) - 5000])


def test_an_html_page_is_not_an_arxiv_document():
    with pytest.raises(ArxivParseError, match="root element 'html'"):
        parse_document(b"<!doctype html><html><body>503 Service Unavailable</body></html>")


def test_rss_listing():
    page = parse_document(RSS_QUANT_PH.read_bytes())
    assert page.format == "rss"
    assert len(page.records) == 81
    assert Counter(r.announce_type for r in page.records) == {"new": 40, "replace": 22, "cross": 10, "replace-cross": 9}
    record = by_id(page)["2504.17830"]
    assert record.version == 1
    assert record.title == "Self-Adjoint Time Operator in a Weighted Energy Space"
    assert record.abstract.startswith("We introduce a self-adjoint time operator \\(T_w")
    assert record.license == "http://creativecommons.org/licenses/by/4.0/"
    assert record.published == datetime(2025, 4, 28, 4, 0, tzinfo=UTC)
    # dc:creator is one comma-joined string.
    assert [a.name for a in by_id(page)["2504.17881"].authors][:2] == ["Marek Miller", "Jakob Günther"]
    assert by_id(page)["2504.18342"].doi == "10.1016/j.ppnp.2025.104174"
    assert by_id(page)["2504.16299"].categories == ["cs.IT", "math.IT", "quant-ph"]


def test_rss_multi_category_cross_list_keeps_its_own_primary():
    page = parse_document(RSS_MULTI.read_bytes())
    assert [r.announce_type for r in page.records] == ["new", "new", "cross", "replace"]
    cross = by_id(page)["2205.06398"]
    assert cross.version == 2
    assert cross.categories == ["stat.ME", "stat.AP", "stat.ML"]
    assert cross.published is None  # a listing does not date v1 of a v2


def test_empty_rss_feed_on_a_weekend_is_not_an_error():
    data = RSS_QUANT_PH.read_bytes()
    empty = data[: data.index(b"<item>")] + b"</channel></rss>"
    assert parse_document(empty).records == []


def test_oai_arxiv_raw_page_has_full_version_histories():
    page = parse_document(ARXIV_RAW_PAGE.read_bytes())
    assert page.format == "oai"
    assert len(page.records) == 1000
    assert page.resumption_token == "496549|96001"
    assert page.total_results == 907096
    assert sum(len(r.versions) >= 2 for r in page.records) == 393
    longest = max(page.records, key=lambda r: len(r.versions))
    assert (longest.arxiv_id, longest.version, len(longest.versions)) == ("0811.3693", 18, 18)
    record = by_id(page)["0811.3648"]
    assert record.version == 2
    assert record.published == datetime(2008, 11, 21, 22, 55, 7, tzinfo=UTC)
    assert record.updated == datetime(2009, 4, 9, 2, 45, 30, tzinfo=UTC)
    assert [(v.number, v.size) for v in record.versions] == [(1, "90kb"), (2, "71kb")]
    assert record.categories == ["cs.DS", "cs.CC"]
    assert "x_i <-- x_i + v" in record.abstract  # entities decoded, escaped only at render time


def test_oai_arxiv_format_has_structured_authors_but_no_version_number():
    record = parse_document(OAI_GET_RECORD.read_bytes()).records[0]
    assert record.arxiv_id == "1401.2122"
    assert record.version is None
    assert [a.name for a in record.authors] == ["A. Sergyeyev"]
    assert record.published == datetime(2014, 1, 9, tzinfo=UTC)
    assert record.updated == datetime(2017, 10, 23, tzinfo=UTC)
    assert record.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert record.categories[0] == "math.AP"
    assert len(parse_document(OAI_LIST_ARXIV.read_bytes()).records) == 3


def test_oai_error_is_an_error_and_no_records_match_is_empty():
    envelope = (
        b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="%s">x</error></OAI-PMH>'
    )
    assert parse_document(envelope % b"noRecordsMatch").records == []
    with pytest.raises(ArxivAPIError, match="badResumptionToken"):
        parse_document(envelope % b"badResumptionToken")


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.xml")), ids=lambda p: p.name)
def test_format_is_detected_for_every_sample(path):
    expected = {"api": "atom", "rss": "rss", "oai": "oai"}[path.name.split("_")[0]]
    assert detect_format(path.read_bytes()) == expected


def test_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><x>&b;</x></OAI-PMH>'
    )
    with pytest.raises(ArxivParseError, match="malformed XML"):
        parse_document(bomb)
