"""Computing and reading the stored feature vectors of papers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import partial

import numpy as np
from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from scipy import sparse

from ..models import Paper, PaperFeatures
from ..signals import features_computed
from . import hashing

BATCH = 2000
# A vector in the worker's cache: (paper, when it was computed, in seconds since the epoch). The stamp names
# the vector: a recomputed one (a new version of the paper) has a new key.
Key = tuple[int, float]


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
        matrix = hashing.vectorize(
            hashing.tokens(
                title=p.title,
                abstract=p.abstract,
                authors=p.author_names,
                categories=[c.code for c in p.categories.all()],
            )
            for p in papers
        )
        rows = [
            PaperFeatures(paper_id=p.pk, scheme=hashing.SCHEME, vector=hashing.pack(matrix[i]))
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
    current = PaperFeatures.objects.filter(scheme=hashing.SCHEME).values("paper_id")
    return Paper.objects.exclude(pk__in=current).values_list("pk", flat=True).iterator(chunk_size=BATCH)


def matrix_for(paper_ids: Sequence[int]) -> tuple[list[int], sparse.csr_matrix]:
    """The stored vectors of these papers, in this order; papers without one are left out of both."""
    keys = keys_of(paper_ids)
    return [pk for pk, _ in keys], vectors.matrix(keys)


def keys_of(paper_ids: Sequence[int]) -> list[Key]:
    """(paper, when its vector was computed) of these papers in this order, those without a vector left out."""
    stamps = dict(_features_of(paper_ids).values_list("paper_id", "computed_at"))
    return [(pk, stamps[pk].timestamp()) for pk in paper_ids if pk in stamps]


def stamped(papers: QuerySet[Paper], limit: int | None = None) -> tuple[list[Key], list[int]]:
    """A queryset's papers in its order as (id, when its vector was computed), and the ids without one."""
    rows = papers.values_list("pk", "features__computed_at")
    keys: list[Key] = []
    without: list[int] = []
    for pk, stamp in rows[:limit] if limit else rows:
        if stamp is None:
            without.append(pk)
        else:
            keys.append((pk, stamp.timestamp()))
    return keys, without


def _features_of(paper_ids: Sequence[int]) -> QuerySet[PaperFeatures]:
    """The vectors of these papers. On PostgreSQL the ids go as one array: 20,000 of them in an IN list
    cost psycopg 0.7 s to lay out, and PostgreSQL more to plan."""
    if connection.vendor == "postgresql":
        # The SQL is the model's own table name; the ids go as a parameter.
        column = f'"{PaperFeatures._meta.db_table}"."paper_id"'
        match = RawSQL(f"{column} = ANY(%s)", [list(paper_ids)], BooleanField())  # noqa: S611
        return PaperFeatures.objects.filter(match)
    return PaperFeatures.objects.filter(paper_id__in=list(paper_ids))


Row = tuple[np.ndarray, np.ndarray]  # a vector's feature indices (int32) and weights (float32)


class VectorCache:
    """Unpacked vectors by (paper, when computed), least recently used out first.

    Every reader who follows cs.LG ranks the same 20,000 cs.LG papers: a worker reads each vector once
    instead of once per rerank. The time it was computed is part of the key, so a recomputed vector (a new
    version of the paper) is read again, never served stale.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._cache: OrderedDict[Key, Row] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def matrix(self, keys: Sequence[Key]) -> sparse.csr_matrix:
        found: dict[Key, Row] = {}
        with self._lock:
            for key in keys:
                if (row := self._cache.get(key)) is not None:
                    self._cache.move_to_end(key)
                    found[key] = row
        missing = [key for key in keys if key not in found]
        self.hits, self.misses = self.hits + len(found), self.misses + len(missing)
        if missing:
            read = _features_of([pk for pk, _ in missing]).values_list("paper_id", "vector")
            fetched = {pk: _row(bytes(blob)) for pk, blob in read}
            with self._lock:
                for key in missing:
                    if key[0] in fetched:
                        found[key] = self._cache[key] = fetched[key[0]]
                while len(self._cache) > self.rows:
                    self._cache.popitem(last=False)
        return _stack([found[key] for key in keys if key in found])

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _row(blob: bytes) -> Row:
    n = len(blob) // 6
    return (
        np.frombuffer(blob, dtype="<i4", count=n).copy(),
        np.frombuffer(blob, dtype="<f2", count=n, offset=4 * n).astype(np.float32),
    )


def _stack(rows: list[Row]) -> sparse.csr_matrix:
    """One CSR matrix from rows in hand: two concatenations, no per-row matrix."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(cols) for cols, _ in rows], out=indptr[1:])
    cols = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int32)
    data = np.concatenate([d for _, d in rows]) if rows else np.zeros(0, np.float32)
    return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), hashing.N_FEATURES), dtype=np.float32)


# About 1 KB a vector: 60,000 of them are the newest papers of a dozen busy categories, ~70 MB a process.
vectors = VectorCache(rows=60_000)
