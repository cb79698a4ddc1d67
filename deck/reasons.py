"""A card's reason in words the reader recognises, when no kept paper is close enough to name.

`ranking.explain` says first what brought the card (a follow), that it is exploring, or "Like <title>,
which you kept". Otherwise, in this order: an author the reader kept more than once, a category they keep
much more often than the others, or the paper's own phrases that weigh most toward a keep in their model,
never one of the catalog's most frequent words ("sparse principal components", not "construction").
The reader's kept authors and keen categories (`Tastes`) are read at a full rescore, from their latest
decisions only, and kept in the cache for the merges of an announcement.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache

from accounts.models import User
from papers import common_words
from papers.features import hashing
from papers.models import Paper
from papers.names import fold_name

from .models import Swipe
from .ranking import ranker, reader_model

TASTE_DECISIONS = 1000  # the latest decisions a reader's keen categories are counted over
KEEN_DECIDED = 5  # a category is "kept much more" only on this many decisions…
KEEN_KEPT = 3
KEEN_FACTOR = 2.0  # …and at twice the reader's keep rate over the others, or more
AUTHOR_KEPT = 2  # an author named once the reader kept this many of their papers
TASTES_TTL = 24 * 3600
# A phrase of two words is distinctive unless both are among the catalog's very commonest ("recent results").
VERY_COMMON = 500
PHRASES = 2  # at most this many in a reason


@dataclass(frozen=True)
class Tastes:
    authors: dict[str, int] = field(default_factory=dict)  # folded name -> kept papers with them (AUTHOR_KEPT+)
    categories: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (kept, decided), keen ones


def tastes_of(*, user: User, kept_ids: Iterable[int]) -> Tastes:
    """The authors of the reader's latest kept papers (`kept_ids`), counted, and the categories they keep much
    more than the rest in their latest TASTE_DECISIONS decisions: two bounded reads. Cached for merges."""
    authors: Counter[str] = Counter()
    for keys in Paper.objects.filter(pk__in=list(kept_ids)).values_list("author_keys", flat=True):
        authors.update({key for key in keys.split("|") if key})
    latest = Swipe.objects.filter(reader_model.teaching(user=user), user=user).order_by("-created_at", "-id")
    latest = latest[:TASTE_DECISIONS]
    decided: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for code, decision in latest.values_list("paper__primary_category__code", "decision"):
        if code:
            decided[code] += 1
            kept[code] += decision == Swipe.Decision.KEEP
    keen = {}
    for code, n in decided.items():
        others, others_kept = decided.total() - n, kept.total() - kept[code]
        others_rate = others_kept / others if others else 0.0
        if n >= KEEN_DECIDED and kept[code] >= KEEN_KEPT and kept[code] / n >= KEEN_FACTOR * others_rate:
            keen[code] = (kept[code], n)
    tastes = Tastes(authors={a: n for a, n in authors.items() if n >= AUTHOR_KEPT}, categories=keen)
    cache.set(_key(user.pk), tastes, TASTES_TTL)
    return tastes


def cached_tastes(*, user_ids: list[int]) -> dict[int, Tastes]:
    """The tastes a reader's latest full rescore read, by reader (none for a reader not ranked today)."""
    found = cache.get_many([_key(pk) for pk in user_ids])
    return {pk: found.get(_key(pk), Tastes()) for pk in user_ids}


def _key(user_id: int) -> str:
    return f"deck:tastes:{user_id}"


def in_words(*, paper: Paper, reader: ranker.TasteModel, tastes: Tastes) -> str:
    """The reason for a ranked card that no kept paper is close to."""
    for name in paper.author_names[: hashing.AUTHORS_COUNTED]:
        if (times := tastes.authors.get(fold_name(name), 0)) >= AUTHOR_KEPT:
            return f"By {name}, {times} of whose papers you kept"
    category = paper.primary_category
    if category is not None and category.code in tastes.categories:
        kept, decided = tastes.categories[category.code]
        return f"In {category.code}, where you kept {kept} of your last {decided}"
    if phrases := distinctive_phrases(paper=paper, reader=reader):
        quoted = " and ".join(f"“{phrase}”" for phrase in phrases)
        return f"Because you kept papers on {quoted}"
    return "Ranked by what you keep"


def distinctive_phrases(*, paper: Paper, reader: ranker.TasteModel) -> list[str]:
    """The paper's words and two-word phrases that weigh most toward a keep in the reader's model, leaving out
    the catalog's MOST_FREQUENT words and phrases of two very common ones."""
    if reader.weights is None:
        return []
    terms, columns = _quotable(paper.pk, f"{paper.title}. {paper.abstract}")
    if not terms:
        return []
    weights = reader.weights[columns]
    common, very_common = common_words.common(), common_words.common(VERY_COMMON)
    found: dict[str, float] = {}
    for i in np.flatnonzero(weights > 0):  # most of a paper's terms weigh nothing: only these are looked at
        term, parts = terms[i], terms[i].split()
        if (len(parts) == 1 and term in common) or (len(parts) == 2 and set(parts) <= very_common):
            continue
        found.setdefault(term, float(weights[i]))
    chosen: list[str] = []
    for term, weight in sorted(found.items(), key=lambda item: -item[1]):
        if chosen and weight < found[chosen[0]] / 2:
            break
        if not any(set(term.split()) & set(other.split()) for other in chosen):  # "spin" beside "spin chain"
            chosen.append(term)
        if len(chosen) == PHRASES:
            break
    return chosen


@functools.lru_cache(maxsize=2000)  # a few readers' queues; about 12 kB a paper
def _quotable(paper_id: int, text: str) -> tuple[tuple[str, ...], np.ndarray]:
    """A paper's quotable terms and their feature columns, tokenised and hashed once per worker: every full
    rescore explains mostly the same papers again. (The text is part of the key: a new version changes it.)"""
    terms = tuple(
        term
        for term in dict.fromkeys(hashing.terms(text))
        if not (" " in term and term.split()[1].endswith("ed"))  # "light emitted", "universe filled": half a clause
    )
    return terms, np.fromiter((hashing.index_of(term) for term in terms), dtype=np.int64, count=len(terms))
