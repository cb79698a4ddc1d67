"""Computing and reading the stored feature vectors of papers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from scipy import sparse

from . import features
from .models import Paper, PaperFeatures
from .signals import features_computed

BATCH = 2000


def compute_features(*, paper_ids: Iterable[int]) -> int:
    """(Re)compute and store the vectors of these papers, in batches; returns how many were written."""
    ids = list(paper_ids)
    written = 0
    for start in range(0, len(ids), BATCH):
        papers = list(
            Paper.objects.filter(pk__in=ids[start : start + BATCH])
            .only("pk", "title", "abstract", "authors")
            .prefetch_related("categories")
        )
        matrix = features.vectorize(
            features.tokens(
                title=p.title,
                abstract=p.abstract,
                authors=p.author_names,
                categories=[c.code for c in p.categories.all()],
            )
            for p in papers
        )
        rows = [
            PaperFeatures(paper_id=p.pk, scheme=features.SCHEME, vector=features.pack(matrix[i]))
            for i, p in enumerate(papers)
        ]
        PaperFeatures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["paper"], update_fields=["scheme", "vector", "computed_at"]
        )
        written += len(rows)
        transaction.on_commit(partial(features_computed.send, sender=PaperFeatures, paper_ids=[p.pk for p in papers]))
    return written


def missing_or_stale() -> Iterable[int]:
    """Papers without a vector of the current scheme."""
    current = PaperFeatures.objects.filter(scheme=features.SCHEME).values("paper_id")
    return Paper.objects.exclude(pk__in=current).values_list("pk", flat=True).iterator(chunk_size=BATCH)


def matrix_for(paper_ids: Sequence[int]) -> tuple[list[int], sparse.csr_matrix]:
    """The stored vectors of these papers, in this order; papers without one are left out of both."""
    blobs = dict(PaperFeatures.objects.filter(paper_id__in=list(paper_ids)).values_list("paper_id", "vector"))
    kept = [pk for pk in paper_ids if pk in blobs]
    return kept, features.unpack_rows([bytes(blobs[pk]) for pk in kept])


def matrix_of(papers: QuerySet[Paper], limit: int | None = None) -> tuple[list[int], list[int], sparse.csr_matrix]:
    """The stored vectors of a queryset's papers in its order, read in one joined query (no list of ids
    sent back to the database): (ids with a vector, ids without one, their matrix)."""
    rows = papers.values_list("pk", "features__vector")
    with_vector: list[int] = []
    without: list[int] = []
    blobs: list[bytes] = []
    for pk, blob in rows[:limit] if limit else rows:
        if blob is None:
            without.append(pk)
        else:
            with_vector.append(pk)
            blobs.append(bytes(blob))
    return with_vector, without, features.unpack_rows(blobs)
