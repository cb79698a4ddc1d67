"""References a reader gives us (pasted ids and links, or a BibTeX, RIS or CSL-JSON file such as a Zotero
export) resolved to catalog papers: matched, fetched from arXiv by id, or reported as not found.

One code path for the deck's seed papers and for importing a file into a reading list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Paper
from ..services import PapersUnavailable, ensure_papers
from .parse import Reference, parse_id_lines, parse_references

MAX_FETCHED = 100  # unknown ids fetched from arXiv in one visit: one API request


@dataclass
class Resolution:
    """What became of each piece: matched in the catalog, fetched from arXiv, or not."""

    matched: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    without_id: list[str] = field(default_factory=list)  # titles of file entries that carry no arXiv id
    not_understood: list[str] = field(default_factory=list)  # pasted pieces that are no arXiv id
    too_many: list[str] = field(default_factory=list)  # not in the catalog, past what one visit fetches
    error: str = ""  # arXiv could not be reached: what was matched still counts

    @property
    def added(self) -> int:
        return len(self.matched) + len(self.fetched)

    def papers(self) -> list[Paper]:
        """The papers found, in the order they were given."""
        order = {arxiv_id: i for i, arxiv_id in enumerate(self.matched + self.fetched)}
        found = Paper.objects.filter(arxiv_id__in=list(order))
        return sorted(found, key=lambda paper: order[paper.arxiv_id])


def resolve(*, pasted: str = "", data: bytes | None = None, filename: str = "") -> Resolution:
    """Parse, then match or fetch. A broken file raises ReferenceFileError before anything is fetched."""
    report = Resolution()
    wanted: dict[str, None] = {}
    if pasted.strip():
        pasted_ids, report.not_understood = parse_id_lines(pasted)
        wanted.update(dict.fromkeys(pasted_ids))
    if data is not None:
        references: list[Reference] = parse_references(data, filename)
        wanted.update(dict.fromkeys(r.arxiv_id for r in references if r.arxiv_id))
        report.without_id = [r.title or "(untitled)" for r in references if not r.arxiv_id]
    ids = list(wanted)
    if not ids:
        return report
    known = set(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", flat=True))
    unknown = [i for i in ids if i not in known]
    # arXiv is asked politely, 100 ids a request and 3 s apart: a request waits for one at most.
    report.too_many = unknown[MAX_FETCHED:]
    left_out = set(report.too_many)  # once: a set built per id made a 40,000-entry file take 50 s
    ids = [i for i in ids if i not in left_out]
    try:
        result = ensure_papers(arxiv_ids=ids)
    except PapersUnavailable as error:  # arXiv failed part-way: what is known still counts
        result = error.result
        report.error = f"arXiv could not be reached for {len(error.unfetched)} of them; try those again later."
    report.matched, report.fetched, report.not_found = result.matched, result.fetched, result.not_found
    return report
