"""Papers like a paper, or like a whole list: nearest neighbours over the stored feature vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.core.cache import cache
from django.db.models import QuerySet
from scipy import sparse

from .features.store import matrix_for
from .models import Paper

POOL = 5_000  # the newest papers sharing a category are searched: a bounded, recent neighbourhood


def nearest(*, query: sparse.csr_matrix, pool: Sequence[int], k: int = 10, exclude: Sequence[int] = ()) -> list[int]:
    """The k papers of `pool` most like `query` (one row, or the mean of several), best first."""
    skip = set(exclude)
    ids, matrix = matrix_for([pk for pk in pool if pk not in skip])
    if not ids or not query.shape[0]:
        return []
    centre = query if query.shape[0] == 1 else sparse.csr_matrix(query.mean(axis=0))
    scores = (matrix @ centre.T).toarray().ravel()
    best = np.argsort(-scores)[:k]
    return [ids[i] for i in best if scores[i] > 0]


def pool_for(papers: QuerySet[Paper]) -> list[int]:
    """The recent papers that share a category with these."""
    categories = Paper.categories.through.objects.filter(paper__in=papers).values("category_id")
    neighbours = Paper.objects.filter(categories__in=categories).order_by("-listed_at", "-id")
    return list(dict.fromkeys(neighbours.values_list("pk", flat=True)[: POOL * 2]))[:POOL]


SIMILAR_TTL = 3600  # neighbours change only as new papers arrive; an hour late is fine on a paper page


def similar_papers(paper: Paper, *, k: int = 10) -> list[Paper]:
    """The paper page's "Similar papers", kept in the cache: the search reads thousands of vectors."""
    key = f"papers:similar:{paper.pk}:{paper.version}:{k}"
    found = cache.get(key)
    if found is None:
        found = _similar_papers(paper, k=k)
        cache.set(key, found, SIMILAR_TTL)
    return found


def _similar_papers(paper: Paper, *, k: int) -> list[Paper]:
    own_ids, own = matrix_for([paper.pk])
    if not own_ids:
        return []
    ids = nearest(query=own, pool=pool_for(Paper.objects.filter(pk=paper.pk)), k=k, exclude=[paper.pk])
    return _in_order(ids)


def like_these(paper_ids: Sequence[int], *, k: int = 10) -> list[Paper]:
    """ "More like this list": the neighbours of the list's centre that are not in it."""
    ids, rows = matrix_for(list(paper_ids)[:500])
    if not ids:
        return []
    found = nearest(query=rows, pool=pool_for(Paper.objects.filter(pk__in=ids)), k=k, exclude=paper_ids)
    return _in_order(found)


def _in_order(ids: list[int]) -> list[Paper]:
    by_id = Paper.objects.select_related("primary_category").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
