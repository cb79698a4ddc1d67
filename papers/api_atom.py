"""arXiv API pages (export.arxiv.org/api/query, Atom 1.0) read with lxml, behind `parsers.parse_atom`.

It holds the ingest target, parse + upsert of a 2,000-entry page within half of arXiv's 3 s interval:
0.13 of it, where feedparser's pure-Python handlers make it 0.46 to 0.49 (bench_scale, 2026-12-04).
The records are the ones feedparser made, quirks included (stripped text, its windows-1252 repair, the
first title but the last id, `<updated>` falling back to `<published>`): tests/papers/test_api_parser.py
compares both readers on every recorded page. Pages arXiv does not send (not in their declared encoding,
outside the Atom namespace) raise FeedparserReads and go to feedparser.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from lxml import etree

from paperswipe.forms import parse_count

from .ids import InvalidArxivId, parse_arxiv_id
from .records import (
    ArxivAPIError,
    ArxivParseError,
    AuthorRecord,
    PaperRecord,
    ParsedPage,
    VersionRecord,
    category_codes,
)
from .text import clean_abstract, collapse_spaces

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

_FEED, _ENTRY, _ID, _TITLE, _SUMMARY = (f"{_ATOM}{t}" for t in ("feed", "entry", "id", "title", "summary"))
_AUTHOR, _NAME, _CATEGORY = (f"{_ATOM}{t}" for t in ("author", "name", "category"))
_PUBLISHED, _UPDATED = f"{_ATOM}published", f"{_ATOM}updated"
_PRIMARY, _COMMENT, _JOURNAL_REF = f"{_ARXIV}primary_category", f"{_ARXIV}comment", f"{_ARXIV}journal_ref"
_DOI, _AFFILIATION = f"{_ARXIV}doi", f"{_ARXIV}affiliation"
_TOTAL_RESULTS = f"{_OPENSEARCH}totalResults"

# feedparser's table (feedparser.html._cp1252): the C1 controls that windows-1252 assigns.
_CP1252 = str.maketrans(
    {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
)
# The one date form both arXiv backends use: 2022-02-24T15:05:19Z, 2016-10-09T00:00:00-04:00.
_W3DTF = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


class FeedparserReads(ArxivParseError):
    """A document lxml will not read, but feedparser read (with its own guesses) before lxml came."""


def parse_api_page(data: bytes) -> ParsedPage:
    """An arXiv API page, from the legacy backend or the one in place since November 2025."""
    root = _parse_xml(data)
    if root.tag != _FEED:
        raise FeedparserReads(f"root element {root.tag!r} is not an Atom feed")
    entries, total = [], None
    for child in root:
        if child.tag == _ENTRY:
            entries.append(child)
        elif child.tag == _TOTAL_RESULTS:
            total = _feed_text(child)
    page = ParsedPage(format="atom", records=[], total_results=_int(total))
    for entry in entries:
        record = _entry_record(entry, page)
        if record is not None:
            page.records.append(record)
    return page


def _parse_xml(data: bytes) -> Any:
    # A new parser per call: an lxml parser must not be used by two threads at once. Entities are
    # never expanded, nothing is fetched, and libxml2's size limits stay on.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,  # SAX (feedparser, ElementTree) never saw comments or PIs:
        remove_pis=True,  # the text around them is one text, as there.
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        if _not_plain_utf8(data):
            raise FeedparserReads(f"not readable in its declared encoding: {error}") from error
        raise ArxivParseError(f"malformed XML: {error}") from error
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    # arXiv sends no DTD. Entity declarations are how XML bombs and XXE work, and an external DTD
    # leaves undeclared entities unread: refused, as defusedxml refuses them for the OAI pages.
    if docinfo.system_url or docinfo.public_id or (dtd is not None and any(True for _ in dtd.iterentities())):
        raise ArxivParseError("malformed XML: entity declarations and external DTDs are not accepted")
    return root


def _not_plain_utf8(data: bytes) -> bool:
    """Whether feedparser would have guessed at the encoding (it tries windows-1252 where UTF-8 fails)."""
    declared = _XML_ENCODING.match(data)
    if declared and declared[1].lower() not in (b"utf-8", b"utf8"):
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _entry_record(entry: Any, page: ParsedPage) -> PaperRecord | None:
    """One entry as a record; None (counted and warned about in `page`) for a blank or unknown id."""
    entry_id, title, summary = "", None, None
    published_text, updated_text = None, None
    comment = journal_ref = doi = ""
    primary, authors, terms = None, [], []
    for child in entry:
        tag = child.tag
        if tag == _AUTHOR:
            authors.append(child)
        elif tag == _CATEGORY:
            terms.append(child.get("term") or "")
            terms.append(_feed_text(child))
        elif tag == _ID:
            entry_id = _feed_text(child)
        elif tag == _TITLE:
            if not title:
                title = _feed_text(child)
        elif tag == _SUMMARY:
            if summary is None:
                summary = _feed_text(child)
        elif tag == _PUBLISHED:
            published_text = _feed_text(child)
        elif tag == _UPDATED:
            updated_text = _feed_text(child)
        elif tag == _PRIMARY:
            primary = child
        elif tag == _COMMENT:
            comment = _feed_text(child)
        elif tag == _JOURNAL_REF:
            journal_ref = _feed_text(child)
        elif tag == _DOI:
            doi = _feed_text(child)
    # feedparser kept an element with attributes as a dict of them, one without as its text.
    primary_term = primary.get("term") if primary is not None and len(primary.attrib) else None
    has_primary = primary is not None and bool(len(primary.attrib) or _feed_text(primary))
    if "/api/errors" in entry_id or (title == "Error" and not has_primary):
        raise ArxivAPIError(f"arXiv API error: {collapse_spaces(summary if summary is not None else entry_id)}")
    if not entry_id:
        # The legacy backend answers unknown ids in an id_list with blank entries.
        page.skipped += 1
        page.warnings.append("skipped a blank entry with no id")
        return None
    try:
        arxiv_id, version = parse_arxiv_id(entry_id)
    except InvalidArxivId as error:
        page.skipped += 1
        page.warnings.append(str(error))
        return None
    published = _date(published_text) if published_text is not None else None
    updated = _date(updated_text) if updated_text is not None else published
    versions = [VersionRecord(1, published)] if published else []
    if version and version > 1 and updated:
        versions.append(VersionRecord(version, updated))
    named = [(_author_name(author), _affiliations(author)) for author in authors]
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=collapse_spaces(title or ""),
        abstract=clean_abstract(summary or ""),
        authors=[AuthorRecord(name, affiliations) for name, affiliations in named if name],
        categories=category_codes(terms, primary=primary_term),
        comment=collapse_spaces(comment),
        journal_ref=collapse_spaces(journal_ref),
        doi=collapse_spaces(doi),
        published=published,
        updated=updated,
        versions=versions,
    )


def _author_name(author: Any) -> str:
    name = ""
    for child in author:
        if child.tag == _NAME:
            name = _own_text(child)  # the last <name> counted
    return collapse_spaces(name)


def _affiliations(author: Any) -> tuple[str, ...]:
    # Every <arxiv:affiliation> inside the author, its text up to a first child element: as
    # ElementTree read them for the feedparser path (feedparser alone kept one per entry).
    return tuple(collapse_spaces(a.text or "") for a in author.iter(_AFFILIATION))


def _own_text(element: Any) -> str:
    """The element's text without its child elements' text: what a SAX handler collects for it."""
    text = element.text or ""
    if len(element):
        text += "".join(child.tail or "" for child in element)
    return text


def _feed_text(element: Any) -> str:
    """An element's text as feedparser's `pop()` made it."""
    text = _own_text(element).strip()
    if text.isascii():
        return text
    # feedparser repairs UTF-8 that someone decoded as Latin-1 ("Ã©" → "é"), when all of it is.
    with contextlib.suppress(UnicodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_CP1252)


def _date(text: str) -> datetime | None:
    """A UTC datetime, to the second, as feedparser's `*_parsed` value gave it."""
    if match := _W3DTF.fullmatch(text):
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        try:
            stamp = datetime(year, month, day, hour, minute, second)
            if match[7]:
                offset = timedelta(hours=int(match[8]), minutes=int(match[9]))
                stamp = stamp - offset if match[7] == "+" else stamp + offset
            return stamp.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            pass  # feedparser's reader has the last word on impossible dates
    parsed = _parse_date(text)
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None


def _int(text: str | None) -> int | None:
    return parse_count(text) if text is not None else None
