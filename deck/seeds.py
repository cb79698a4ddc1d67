"""Seed papers: "papers I wrote or liked", pasted as ids or links or uploaded as a reference file."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import User
from papers.models import Paper
from papers.references import Reference, parse_id_lines, parse_references
from papers.services import PapersUnavailable, ensure_papers

from .models import SeedPaper
from .tasks import rerank

MAX_FETCHED = 100  # unknown ids fetched from arXiv in one visit: one API request


@dataclass
class SeedReport:
    """What became of each piece the reader gave: matched in the catalog, fetched from arXiv, or not."""

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


def add_seed_papers(*, user: User, pasted: str = "", data: bytes | None = None, filename: str = "") -> SeedReport:
    """Parse, match or fetch, and store the seeds. A broken file raises ReferenceFileError, nothing saved."""
    report = SeedReport()
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
    ids = [i for i in ids if i not in set(report.too_many)]
    try:
        result = ensure_papers(arxiv_ids=ids)
    except PapersUnavailable as error:  # arXiv failed part-way: what is known still counts
        result = error.result
        report.error = f"arXiv could not be reached for {len(error.unfetched)} of them; try those again later."
    report.matched, report.fetched, report.not_found = result.matched, result.fetched, result.not_found
    found = Paper.objects.filter(arxiv_id__in=report.matched + report.fetched)
    with transaction.atomic():
        SeedPaper.objects.bulk_create([SeedPaper(user=user, paper=p) for p in found], ignore_conflicts=True)
        transaction.on_commit(lambda: rerank.delay(user.pk))
    return report
