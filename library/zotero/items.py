"""Papers as Zotero itself saves them, and as COinS the Zotero Connector reads off our pages.

The reference is Zotero's arXiv.org translator (arXiv.org.js): a "preprint" with the DataCite DOI
10.48550/arXiv.ID, archiveID "arXiv:ID", repository "arXiv", extra "arXiv:ID [primary]". Where we differ,
on purpose (issue 15 §2): the item stays a preprint even where arXiv names a journal DOI, which goes into
`extra` with the journal reference under arXiv's labels ("Related DOI:", "Journal reference:"), so that
Zotero does not take it for the item's DOI; the comment goes into `extra` (a Web API item carries no notes);
every category is a tag, primary first; `date` is v1's day; the title stays as arXiv writes it, TeX included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from papers.ids import datacite_doi
from papers.models import ARXIV_BASE, Paper

from ..exports import PaperData


def pdf_link(item_key: str, arxiv_id: str) -> dict[str, Any]:
    """The PDF as a child attachment, as the translator names it ("arXiv Fulltext PDF"), but linked
    (linkMode linked_url) rather than stored: it costs no Zotero storage, and the versionless address
    always opens arXiv's latest version."""
    return {
        "itemType": "attachment",
        "parentItem": item_key,
        "linkMode": "linked_url",
        "title": "arXiv Fulltext PDF",
        "url": f"{ARXIV_BASE}/pdf/{arxiv_id}",
        "contentType": "application/pdf",
    }


def abs_page(arxiv_id: str) -> str:
    """The abs page without a version, as the translator stores `url`."""
    return f"{ARXIV_BASE}/abs/{arxiv_id}"


# ---------------------------------------------------------------- names, as ZU.cleanAuthor(name, type, false)

# zotero/utilities, utilities.js, cleanAuthor (the useComma = false branch), step by step:
# 1. strip leading and trailing whitespace, no-break spaces and . , / [ ] : ; the first run of
#    whitespace inside becomes one space (JavaScript's replace without /g: only the first run);
# 2. split at the last space whose right-hand part starts with a letter (so "Ada Lovelace [UK"
#    keeps "Lovelace [UK" as the last name); no space: the whole name is the last name;
# 3. a first name of one to three capitals (A to Z, and the Cyrillic capitals) becomes initials, "FRS" → "F. R. S.",
#    unless the last name is all capitals too (then "ABC" may be a given name);
# 4. every single capital in the first name gets a period: "D.T." → "D. T.", "J.-P." stays "J.-P.",
#    "Jean-Pierre" stays.
# Nothing else: particles and suffixes get no special treatment ("Jean-Pierre de la Fontaine" → first
# "Jean-Pierre de la", last "Fontaine"; "John Smith Jr." → last "Jr"), exactly as Zotero saves them.
# Where the split leaves no first name we use Zotero's single-field form {"name": …} (fieldMode 1),
# which is what a collaboration or a mononym is.

_EDGES = "\\s\u00a0.,/\\[\\]:"
_LEADING = re.compile(f"^[{_EDGES}]+")
_TRAILING = re.compile(f"[{_EDGES}]+$")
_SPACES = re.compile("[\\s\u00a0]+")
_ALL_CAPS = re.compile("[A-Z\u0400-\u042f]+")
_INITIAL = re.compile("-?[A-Z\u0400-\u042f]")
_DASH = re.compile("\\s*([\u002d\u00ad\u2010-\u2015\u2212\u2e3a\u2e3b])\\s*")
_FIRST_NAME_PARTS = re.compile("[\\s.]+|(?=-)")


def _js_split(pattern: re.Pattern[str], text: str) -> list[str]:
    """String.prototype.split(regex) as JavaScript does it: an empty match where the last piece
    started is skipped (Python splits there, which would double the periods of "J.-P.")."""
    if not text:
        return [] if pattern.match(text) else [""]
    parts, start, at = [], 0, 0
    while at < len(text):
        match = pattern.match(text, at)
        if match is None or match.end() == start:
            at += 1
            continue
        parts.append(text[start:at])
        start = at = match.end()
    parts.append(text[start:])
    return parts


def split_name(name: str) -> tuple[str, str]:
    """(firstName, lastName) as Zotero's cleanAuthor(name, "author", false) makes them."""
    name = _SPACES.sub(" ", _TRAILING.sub("", _LEADING.sub("", name)), count=1)
    space = len(name)
    while True:
        space = name.rfind(" ", 0, space) if space > 0 else -1
        last, first = name[space + 1 :], name[: max(space, 0)]
        if not last or last[0].isalpha() or space <= 0:
            break
    if first and _ALL_CAPS.fullmatch(first) and len(first) < 4 and (len(first) == 1 or last.upper() != last):
        first = " ".join(f"{letter}." for letter in first)
    if first:
        cleaned = _DASH.sub("-", re.sub("[\\s,]+$", "", re.sub("^[\\s.]+", "", first)), count=1)
        pieces = _js_split(_FIRST_NAME_PARTS, cleaned)
        first = "".join(piece + ("." if _INITIAL.fullmatch(piece) else "") + " " for piece in pieces)
        first = first.replace(" -", "-").strip()
    return first, last


def creator(name: str) -> dict[str, str]:
    first, last = split_name(name)
    if not first:
        return {"name": last or name.strip(), "creatorType": "author"}
    return {"firstName": first, "lastName": last, "creatorType": "author"}


# ---------------------------------------------------------------- the item


def _trim_internal(text: str) -> str:
    """ZU.trimInternal: every run of whitespace one space, none at the ends."""
    return " ".join(text.split())


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _categories(paper: Paper | PaperData) -> list[str]:
    if isinstance(paper, PaperData):
        codes: Iterable[str] = paper.categories
        primary = paper.primary_category
    else:
        codes = [c.code for c in paper.categories.all()] if paper.pk else []
        primary = paper.primary_category.code if paper.primary_category else ""
    ordered = [primary] if primary else []
    return ordered + [code for code in codes if code != primary]


def _primary(paper: Paper | PaperData) -> str:
    if isinstance(paper, PaperData):
        return paper.primary_category
    return paper.primary_category.code if paper.primary_category else ""


def extra_lines(paper: Paper | PaperData) -> list[str]:
    primary = _primary(paper)
    arxiv = f"arXiv:{paper.arxiv_id}"
    lines = [f"{arxiv} [{primary}]" if primary and "/" not in paper.arxiv_id else arxiv]
    comment = _trim_internal(getattr(paper, "comment", "") or "")
    if comment:
        lines.append(f"Comment: {comment}")
    if paper.journal_ref:
        lines.append(f"Journal reference: {_trim_internal(paper.journal_ref)}")
    if paper.doi:
        lines.append(f"Related DOI: {paper.doi}")
    return lines


def zotero_item(paper: Paper | PaperData) -> dict[str, Any]:
    """The paper as Zotero Web API item JSON (the `data` object), the way Zotero's arXiv.org translator
    saves a preprint; see the module's docstring for where and why we differ."""
    published = _day(paper.published)
    return {
        "itemType": "preprint",
        "title": _trim_internal(paper.title),
        "creators": [creator(name) for name in paper.author_names if name.strip()],
        "abstractNote": _trim_internal(paper.abstract),
        "date": published.isoformat() if published else "",
        "url": abs_page(paper.arxiv_id),
        "repository": "arXiv",
        "archiveID": f"arXiv:{paper.arxiv_id}",
        "DOI": datacite_doi(paper.arxiv_id),
        "extra": "\n".join(extra_lines(paper)),
        "tags": [{"tag": code} for code in _categories(paper)],
    }


# ---------------------------------------------------------------- COinS

# A ContextObject in KEV (Z39.88-2004) that Zotero's COinS translator (zotero/translators, COinS.js)
# hands to parseContextObject (zotero/utilities, openurl.js). That parser makes a journalArticle of the
# journal format whatever the genre, reads rft.atitle as the title only while the item is still a
# journalArticle, and switches the type when it meets rft.type naming a Zotero item type: so rft.type
# "preprint" comes last. rft.au is every author (cleanAuthor), rft.aulast/rft.aufirst the first one split
# the same way (merged with it), the two rft_id the abs page (→ url) and info:doi/ the DataCite DOI
# (→ DOI), rft.pub "arXiv" (→ publisher, a preprint's repository), rft.description the abstract and
# rft.subject the primary category (→ a tag). No KEV key reaches archiveID; the DOI carries the arXiv id.
# rft.genre=preprint stays for other OpenURL readers, for which it is the journal format's own genre.
# Known loss in Zotero: its parser reads "+" and "%2B" alike as a space, so "C++" arrives as "C  ".


def coins_pairs(paper: Paper | PaperData) -> list[tuple[str, str]]:
    names = [name for name in paper.author_names if name.strip()]
    pairs = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "preprint"),
        ("rft.atitle", _trim_internal(paper.title)),
    ]
    first, last = split_name(names[0]) if names else ("", "")
    if first:  # without a first name Zotero would keep rft.aulast as a second copy of the author
        pairs += [("rft.aulast", last), ("rft.aufirst", first)]
    pairs += [("rft.au", _trim_internal(name)) for name in names]
    published = _day(paper.published)
    if published:
        pairs.append(("rft.date", published.isoformat()))
    pairs += [
        ("rft_id", abs_page(paper.arxiv_id)),
        ("rft_id", f"info:doi/{datacite_doi(paper.arxiv_id)}"),
        ("rft.pub", "arXiv"),
    ]
    # A page that lists papers without their abstracts (/papers/) defers the column: no query per row.
    deferred = paper.get_deferred_fields() if isinstance(paper, Paper) else set()
    if "abstract" not in deferred and paper.abstract.strip():
        pairs.append(("rft.description", _trim_internal(paper.abstract)))
    primary = _primary(paper)
    if primary:  # the primary category only, as Zotero's arXiv translator tags: rows carry no other
        pairs.append(("rft.subject", primary))
    pairs.append(("rft.type", "preprint"))
    return pairs


def coins_title(paper: Paper | PaperData) -> str:
    """The span's title attribute before HTML escaping: the ContextObject, URL-encoded."""
    return urlencode(coins_pairs(paper))
