"""The one record type every arXiv format parses into, before it touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

# arXiv category codes: cs.LG, hep-th, q-fin.EC, astro-ph.CO. Not MSC ("35K57") or ACM ("F.2.2") classes.
CATEGORY_CODE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?\Z")


class ArxivParseError(ValueError):
    """The document is not a well-formed arXiv response; nothing from it may be imported."""


class ArxivAPIError(ArxivParseError):
    """arXiv answered with an error document (the API's "Error" entry, an OAI-PMH <error>)."""


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    name: str
    affiliations: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "affiliations": list(self.affiliations)}


@dataclass(frozen=True, slots=True)
class VersionRecord:
    number: int
    submitted: datetime | None = None
    size: str = ""


@dataclass(slots=True)
class PaperRecord:
    arxiv_id: str
    version: int | None
    title: str
    abstract: str
    authors: list[AuthorRecord]
    categories: list[str]  # primary first, no duplicates
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    license: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    versions: list[VersionRecord] = field(default_factory=list)
    announce_type: str = ""  # RSS only: new, cross, replace or replace-cross

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None


@dataclass(slots=True)
class ParsedPage:
    """What one response holds: its records and what is needed to page on."""

    format: str
    records: list[PaperRecord]
    skipped: int = 0
    total_results: int | None = None
    resumption_token: str = ""
    announced_on: date | None = None  # RSS: the day of the announcement the listing shows
    warnings: list[str] = field(default_factory=list)


def category_codes(terms: list[str], primary: str | None = None) -> list[str]:
    """Valid category codes, primary first, each once."""
    ordered = ([primary] if primary else []) + terms
    seen: dict[str, None] = {}
    for term in ordered:
        term = (term or "").strip()
        if CATEGORY_CODE.match(term):
            seen.setdefault(term, None)
    return list(seen)
