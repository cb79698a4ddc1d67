"""Parsing every arXiv response format into PaperRecords: API Atom, RSS 2.0 listings, OAI-PMH.

API pages are read with lxml (`api_atom`): feedparser took about a second for a 2,000-entry page.
feedparser reads the RSS listings, and the rare API page lxml will not read but feedparser did,
with its HTML sanitiser off: it is its slow part, and all text is escaped at render time instead.
OAI-PMH is plain XML, read with ElementTree.
"""

from __future__ import annotations

import calendar
import logging
import re
import xml.etree.ElementTree as ET  # types only; parsing goes through defusedxml
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import struct_time
from typing import Any

import feedparser
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from paperswipe.forms import parse_count

from .api_atom import FeedparserReads, parse_api_page
from .ids import MAX_VERSION_DIGITS, InvalidArxivId, parse_arxiv_id
from .records import (
    ArxivAPIError,
    ArxivParseError,
    AuthorRecord,
    PaperRecord,
    ParsedPage,
    VersionRecord,
    category_codes,
)
from .text import clean_abstract, collapse_spaces, split_authors

logger = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_ATOM = "{http://arxiv.org/schemas/atom}"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV_OAI = "{http://arxiv.org/OAI/arXiv/}"

_ROOT = re.compile(rb"<(?![?!])([A-Za-z][\w.\-]*:)?([A-Za-z][\w.\-]*)")
_RSS_DESCRIPTION = re.compile(
    r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*\nAbstract:\s*(?P<abstract>.*)$", re.S
)


def detect_format(data: bytes) -> str:
    """'atom', 'rss' or 'oai', from the document's root element."""
    match = _ROOT.search(data[:4096])
    root = match.group(2).decode() if match else ""
    formats = {"feed": "atom", "rss": "rss", "OAI-PMH": "oai"}
    if root not in formats:
        raise ArxivParseError(f"not an arXiv API, RSS or OAI-PMH document (root element {root or 'missing'!r})")
    return formats[root]


def parse_document(data: bytes) -> ParsedPage:
    parser = {"atom": parse_atom, "rss": parse_rss, "oai": parse_oai}[detect_format(data)]
    return parser(data)


def _utc(parsed: struct_time | None) -> datetime | None:
    # feedparser's *_parsed values are already in UTC.
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None


def _feed(data: bytes) -> Any:
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not isinstance(parsed.bozo_exception, feedparser.CharacterEncodingOverride):
        raise ArxivParseError(f"malformed XML: {parsed.bozo_exception}")
    return parsed


def parse_atom(data: bytes) -> ParsedPage:
    """An arXiv API page, from the legacy backend or the one in place since November 2025."""
    try:
        return parse_api_page(data)
    except FeedparserReads:
        # Not in its declared encoding, or not an Atom-namespace feed: feedparser read such pages,
        # guessing, before lxml did; it still decides what they hold (or raises, as before).
        return _parse_api_with_feedparser(data)


def _parse_api_with_feedparser(data: bytes) -> ParsedPage:
    """The feedparser reader of API pages: the fallback of `parse_atom`, and the reference its lxml
    reader is tested against (tests/papers/test_api_parser.py)."""
    feed = _feed(data)
    page = ParsedPage(format="atom", records=[], total_results=_int(feed.feed.get("opensearch_totalresults")))
    affiliations = _atom_affiliations(data) if b"affiliation>" in data else {}
    for entry in feed.entries:
        entry_id = entry.get("id", "")
        if "/api/errors" in entry_id or (entry.get("title") == "Error" and not entry.get("arxiv_primary_category")):
            raise ArxivAPIError(f"arXiv API error: {collapse_spaces(entry.get('summary', entry_id))}")
        if not entry_id:
            # The legacy backend answers unknown ids in an id_list with blank entries.
            page.skipped += 1
            page.warnings.append("skipped a blank entry with no id")
            continue
        try:
            arxiv_id, version = parse_arxiv_id(entry_id)
        except InvalidArxivId as error:
            page.skipped += 1
            page.warnings.append(str(error))
            continue
        published, updated = _utc(entry.get("published_parsed")), _utc(entry.get("updated_parsed"))
        versions = [VersionRecord(1, published)] if published else []
        if version and version > 1 and updated:
            versions.append(VersionRecord(version, updated))
        names = [collapse_spaces(author.get("name", "")) for author in entry.get("authors", [])]
        entry_affiliations = affiliations.get(entry_id) or [()] * len(names)
        page.records.append(
            PaperRecord(
                arxiv_id=arxiv_id,
                version=version,
                title=collapse_spaces(entry.get("title", "")),
                abstract=clean_abstract(entry.get("summary", "")),
                authors=[AuthorRecord(n, a) for n, a in zip(names, entry_affiliations, strict=False) if n],
                categories=category_codes(
                    [tag.get("term", "") for tag in entry.get("tags", [])],
                    primary=(entry.get("arxiv_primary_category") or {}).get("term"),
                ),
                comment=collapse_spaces(entry.get("arxiv_comment", "")),
                journal_ref=collapse_spaces(entry.get("arxiv_journal_ref", "")),
                doi=collapse_spaces(entry.get("arxiv_doi", "")),
                published=published,
                updated=updated,
                versions=versions,
            )
        )
    return page


def _atom_affiliations(data: bytes) -> dict[str, list[tuple[str, ...]]]:
    """Affiliations per author, by entry id. feedparser keeps only the last one of each entry."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as error:
        raise ArxivParseError(f"malformed XML: {error}") from error
    result: dict[str, list[tuple[str, ...]]] = {}
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        result[entry_id] = [
            tuple(collapse_spaces(a.text or "") for a in author.iter(f"{ARXIV_ATOM}affiliation"))
            for author in entry.iter(f"{ATOM}author")
        ]
    return result


def parse_rss(data: bytes) -> ParsedPage:
    """A daily listing feed in arXiv's 2024 RSS format. Empty on weekends and holidays."""
    feed = _feed(data)
    # pubDate is midnight US Eastern of the announcement day; its UTC date is the same day.
    channel_date = _utc(feed.feed.get("published_parsed"))
    page = ParsedPage(format="rss", records=[], announced_on=channel_date.date() if channel_date else None)
    for item in feed.entries:
        match = _RSS_DESCRIPTION.match(item.get("summary", ""))
        try:
            arxiv_id, version = parse_arxiv_id(match["id"] if match else item.get("id", ""))
        except InvalidArxivId as error:
            page.skipped += 1
            page.warnings.append(str(error))
            continue
        announced = _utc(item.get("published_parsed"))
        page.records.append(
            PaperRecord(
                arxiv_id=arxiv_id,
                version=version,
                title=collapse_spaces(item.get("title", "")),
                abstract=clean_abstract(match["abstract"]) if match else "",
                authors=[AuthorRecord(n, tuple(a)) for n, a in split_authors(item.get("author", ""))],
                categories=category_codes([tag.get("term", "") for tag in item.get("tags", [])]),
                journal_ref=collapse_spaces(item.get("arxiv_journal_reference", "")),
                doi=collapse_spaces(item.get("arxiv_doi", "")),
                license=item.get("rights", "").strip(),
                # A listing gives the announcement date only; for a v1 that stands in for the submission.
                published=announced if version == 1 else None,
                updated=announced if version == 1 else None,
                announce_type=match["type"] if match else "",
            )
        )
    return page


def parse_oai(data: bytes) -> ParsedPage:
    """An OAI-PMH GetRecord or ListRecords page in the `arXivRaw` or `arXiv` metadata format."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as error:
        raise ArxivParseError(f"malformed XML: {error}") from error
    for oai_error in root.iter(f"{OAI}error"):
        if oai_error.get("code") == "noRecordsMatch":
            return ParsedPage(format="oai", records=[])
        raise ArxivAPIError(f"OAI-PMH error {oai_error.get('code')}: {collapse_spaces(oai_error.text or '')}")
    page = ParsedPage(format="oai", records=[])
    for record in root.iter(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        if header is not None and header.get("status") == "deleted":
            page.skipped += 1
            continue
        raw, full = record.find(f".//{ARXIV_RAW}arXivRaw"), record.find(f".//{ARXIV_OAI}arXiv")
        try:
            if raw is not None:
                page.records.append(_arxiv_raw_record(raw))
            elif full is not None:
                page.records.append(_arxiv_record(full))
            else:
                raise ArxivParseError("a record has neither arXivRaw nor arXiv metadata")
        except InvalidArxivId as error:
            page.skipped += 1
            page.warnings.append(str(error))
    token = root.find(f".//{OAI}resumptionToken")
    page.resumption_token = (token.text or "").strip() if token is not None else ""
    if token is not None:
        page.total_results = _int(token.get("completeListSize"))
    return page


def _text(element: ET.Element, ns: str, tag: str) -> str:
    return collapse_spaces(element.findtext(f"{ns}{tag}") or "")


def _arxiv_raw_record(meta: ET.Element) -> PaperRecord:
    ns = ARXIV_RAW
    versions = []
    for v in meta.findall(f"{ns}version"):
        try:
            digits = (v.get("version") or "").lstrip("v")
            number = parse_count(digits) if len(digits) <= MAX_VERSION_DIGITS else None
            if not number:
                raise ValueError(f"not a version: {digits[:20]!r}")
            submitted = parsedate_to_datetime(v.findtext(f"{ns}date") or "").astimezone(UTC)
        except (TypeError, ValueError) as error:
            raise ArxivParseError(f"bad version entry in {meta.findtext(f'{ns}id')}: {error}") from error
        versions.append(VersionRecord(number, submitted, (v.findtext(f"{ns}size") or "").strip()))
    versions.sort(key=lambda v: v.number)
    arxiv_id, _ = parse_arxiv_id(meta.findtext(f"{ns}id") or "")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=versions[-1].number if versions else None,
        title=_text(meta, ns, "title"),
        abstract=clean_abstract(meta.findtext(f"{ns}abstract") or ""),
        authors=[AuthorRecord(n, tuple(a)) for n, a in split_authors(_text(meta, ns, "authors"))],
        categories=category_codes(_text(meta, ns, "categories").split()),
        comment=_text(meta, ns, "comments"),
        journal_ref=_text(meta, ns, "journal-ref"),
        doi=_text(meta, ns, "doi"),
        license=_text(meta, ns, "license"),
        published=versions[0].submitted if versions else None,
        updated=versions[-1].submitted if versions else None,
        versions=versions,
    )


def _arxiv_record(meta: ET.Element) -> PaperRecord:
    """The `arXiv` format has structured authors and created/updated dates, but no version numbers."""
    ns = ARXIV_OAI
    authors = []
    for author in meta.iter(f"{ns}author"):
        parts = [_text(author, ns, "forenames"), _text(author, ns, "keyname"), _text(author, ns, "suffix")]
        affiliations = tuple(collapse_spaces(a.text or "") for a in author.findall(f"{ns}affiliation"))
        authors.append(AuthorRecord(" ".join(p for p in parts if p), affiliations))
    created, updated = _date(_text(meta, ns, "created")), _date(_text(meta, ns, "updated"))
    arxiv_id, _ = parse_arxiv_id(meta.findtext(f"{ns}id") or "")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=None if updated else 1,
        title=_text(meta, ns, "title"),
        abstract=clean_abstract(meta.findtext(f"{ns}abstract") or ""),
        authors=authors,
        categories=category_codes(_text(meta, ns, "categories").split()),
        comment=_text(meta, ns, "comments"),
        journal_ref=_text(meta, ns, "journal-ref"),
        doi=_text(meta, ns, "doi"),
        license=_text(meta, ns, "license"),
        published=created,
        updated=updated or created,
        versions=[VersionRecord(1, created)] if created else [],
    )


def _date(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC) if text else None


def _int(text: str | None) -> int | None:
    return parse_count(text) if text is not None else None
