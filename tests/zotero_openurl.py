"""What Zotero makes of a COinS span: parseContextObject from zotero/utilities (openurl.js), ported for
the formats and keys our spans use, so that tests see the item the Zotero Connector would save.

Kept as the JavaScript does it: the journal format makes a journalArticle whatever the genre; keys are
read in order, rft.atitle counts as the title only while the item is a journalArticle (or a book section
or conference paper), rft.type switches to any Zotero item type; "+" and "%2B" both become a space
before decoding; an empty value is skipped; rft.aulast/rft.aufirst make a "complex" author that is
dropped when a plain rft.au author has the same last name and a first name that starts the same.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from library.zotero.items import split_name

ITEM_TYPES = {"preprint", "journalArticle", "book", "bookSection", "conferencePaper", "report", "document"}


def clean_author(name: str, creator_type: str) -> dict[str, str]:
    """ZU.cleanAuthor(name, type, false), which library.zotero.items.split_name ports."""
    if "," in name:
        raise NotImplementedError("cleanAuthor's comma form is not ported; our spans never need it")
    first, last = split_name(name)
    return {"firstName": first, "lastName": last, "creatorType": creator_type}


def parse_context_object(co: str) -> dict[str, Any] | None:
    parts = co.split("&")
    item: dict[str, Any] = {"creators": [], "tags": []}
    for part in parts:
        if part.startswith("rft_val_fmt="):
            fmt = unquote(part[12:])
            if fmt == "info:ofi/fmt:kev:mtx:journal":
                item["itemType"] = "journalArticle"
            elif fmt == "info:ofi/fmt:kev:mtx:book":
                item["itemType"] = "book"
            if "itemType" in item:
                break
    if "itemType" not in item:
        return None
    complex_authors: list[dict[str, Any]] = []
    for part in parts:
        key, value = part.split("=")[0], part.split("=")[1]
        value = unquote(re.sub(r"\+|%2[bB]", " ", value))
        if not value:
            continue
        kind = item["itemType"]
        if key == "rft_id":
            if value[:8].lower() == "info:doi":
                item["DOI"] = value[9:]
            elif re.match(r"^https?://", value):
                item["url"] = value
        elif key == "rft.atitle" and kind in ("journalArticle", "bookSection", "conferencePaper"):
            item["title"] = value
        elif key == "rft.jtitle" and kind == "journalArticle":
            item["publicationTitle"] = value
        elif key == "rft.date":
            item["date"] = value
        elif key in ("rft.aulast", "rft.aufirst"):
            part_name = "lastName" if key == "rft.aulast" else "firstName"
            last = complex_authors[-1] if complex_authors else None
            if last is not None and not last.get(part_name):
                last[part_name] = value
            else:
                complex_authors.append({part_name: value, "creatorType": "author", "offset": len(item["creators"])})
        elif key == "rft.au":
            item["creators"].append(clean_author(value, "author"))
        elif key in ("rft.pub", "rft.publisher"):
            item["publisher"] = value
        elif key == "rft.description":
            item["abstractNote"] = value
        elif key == "rft.subject":
            item["tags"].append(value)
        elif key == "rft.type" and value in ITEM_TYPES:
            item["itemType"] = value
    inserted = 0
    for author in complex_authors:
        offset = author.pop("offset")
        first = author.get("firstName", "")
        duplicate = any(
            plain["lastName"] == author.get("lastName") and plain["firstName"] and plain["firstName"].startswith(first)
            for plain in item["creators"]
        )
        if not duplicate:
            item["creators"].insert(offset + inserted, author)
            inserted += 1
    return item
