"""The catalog's most frequent words: what a card's reason must never name, since every paper uses them.

Counted by document frequency over the titles and abstracts of the newest COUNTED papers, the same words
the ranker sees (`hashing.words`), once a day per cache: a few seconds, shared by every worker.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from django.core.cache import cache

from .features import hashing
from .models import Paper

MOST_FREQUENT = 5000
COUNTED = 20_000  # the newest papers: today's vocabulary, read in a few seconds
KEPT_FOR = 24 * 3600
CACHE_KEY = f"papers:common-words:{MOST_FREQUENT}:v2"

_memo: tuple[float, tuple[tuple[str, int], ...]] | None = None
_lock = threading.Lock()
_sets: dict[int, frozenset[str]] = {}  # by `top`, for the count `_sets_of`
_sets_of: tuple[tuple[str, int], ...] | None = None


def ranked() -> tuple[tuple[str, int], ...]:
    """The most frequent words with their document frequencies, the most frequent first: from this process's
    memory, the cache, or counted now."""
    global _memo
    with _lock:
        if _memo is not None and time.monotonic() - _memo[0] < KEPT_FOR:
            return _memo[1]
    words = cache.get(CACHE_KEY)
    if words is None:
        words = count()
        cache.set(CACHE_KEY, words, KEPT_FOR)
    with _lock:
        _memo = (time.monotonic(), words)
    return words


def common(top: int = MOST_FREQUENT) -> frozenset[str]:
    """The `top` most frequent words, and every word as frequent as the last of them: a tie is never split.
    Built once per count and kept: a full rescore asks for it twice for each card it explains."""
    words = ranked()
    with _lock:
        found = _sets.get(top) if _sets_of is words else None
    if found is None:
        least = words[top - 1][1] if len(words) > top else 0
        found = frozenset(word for word, n in words if n >= least)
        _keep_set(words, top, found)
    return found


def _keep_set(words: tuple[tuple[str, int], ...], top: int, found: frozenset[str]) -> None:
    global _sets_of
    with _lock:
        if _sets_of is not words:  # counted again since: the sets of the old count go
            _sets.clear()
            _sets_of = words
        _sets[top] = found


def count() -> tuple[tuple[str, int], ...]:
    """Each word's papers among the newest COUNTED: the MOST_FREQUENT first and the words tied with the last."""
    documents: Counter[str] = Counter()
    rows = Paper.objects.order_by("-listed_at", "-id").values_list("title", "abstract")[:COUNTED]
    for title, abstract in rows.iterator(chunk_size=2000):
        documents.update(set(hashing.words(f"{title} {abstract}")))
    ordered = sorted(documents.items(), key=lambda item: (-item[1], item[0]))
    if len(ordered) > MOST_FREQUENT:
        least = ordered[MOST_FREQUENT - 1][1]
        ordered = [(word, n) for word, n in ordered if n >= least]
    return tuple(ordered)


def forget() -> None:
    """After a bulk import (and in tests): count again at the next use."""
    global _memo
    with _lock:
        _memo = None
        _sets.clear()
    cache.delete(CACHE_KEY)
