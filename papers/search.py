"""Full-text search over titles, authors and abstracts.

PostgreSQL: a stored, weighted tsvector with a GIN index, ranked with SearchRank. SQLite (the
embedded default): every word must appear in the title, the authors or the abstract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import CombinedExpression

CONFIG = "english"
# A search is a few words. Longer input costs seconds of parsing and matching (or fails outright on
# SQLite's LIKE limits) for no better result, so only this much of it is searched.
MAX_WORDS = 32
MAX_CHARS = 300

# Personal scopes a signed-in reader can search within, e.g. "lists": the papers in their own lists.
# The apps that own that data register a filter here (papers imports none of them).
personal_scopes: dict[str, Callable[[QuerySet, Any], QuerySet]] = {}


def search_vector() -> CombinedExpression:
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("authors_text", weight="B", config=CONFIG)
        + SearchVector("abstract", weight="C", config=CONFIG)
    )


def refresh_search_vectors(paper_ids: Iterable[int]) -> None:
    """One UPDATE for a batch of written papers; nothing to do outside PostgreSQL."""
    from .models import Paper

    if connection.vendor == "postgresql":
        Paper.objects.filter(pk__in=list(paper_ids)).update(search_vector=search_vector())


def bounded_query(text: str) -> tuple[str, bool]:
    """The part of a query that is searched, and whether anything was left out."""
    words = text.split()
    bounded = " ".join(words[:MAX_WORDS])[:MAX_CHARS].strip()
    return bounded, bounded != " ".join(words)


def search(papers: QuerySet, text: str) -> QuerySet:
    text, _ = bounded_query(text)
    if not text:
        return papers.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        return (
            papers.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published", "-id")
        )
    for word in text.split():
        papers = papers.filter(Q(title__icontains=word) | Q(authors_text__icontains=word) | Q(abstract__icontains=word))
    return papers.order_by("-published", "-id")
