"""A reader's ranker between decisions, at a cost that does not grow with their history.

The model is fitted (`ranker.learn`) from a bounded sample of the history now and then, and stored as a
checkpoint (`ReaderModel`). Each rerank loads the checkpoint and absorbs the decisions made since
(`ranker.absorb`, a few microseconds each): at most REFIT_EVERY of them, because by then a refit is due.
Checkpoints are immutable until the next refit, so a worker keeps the latest ones in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone
from scipy import sparse

from accounts.models import User
from papers.features import hashing
from papers.features.store import matrix_for
from papers.models import Paper

from .. import selectors
from ..models import DeckSettings, ForgottenFeature, ReaderModel, SeedPaper, Swipe
from . import ranker

# What a refit reads: the latest keeps and skips, and an even sample of the older ones, so that an old
# taste still counts without reading a history of 100,000 decisions.
LATEST = 2000
OLDER = 1000
# The kept papers a card's "Like …" reason is looked for among: the latest ones, seeds included.
KEPT_FOR_REASONS = 500


@dataclass
class Learned:
    """The reader's model with every decision so far in it."""

    reader: ranker.TasteModel
    checkpoint: ReaderModel | None  # None before the first decision
    refitted: bool  # fitted from the history in this call (a new version)
    absorbed: int  # decisions absorbed after the checkpoint

    @property
    def decisions(self) -> int:
        """The decisions (and seeds) learned, the checkpoint's and those absorbed since."""
        if self.checkpoint is None:
            return 0
        return self.checkpoint.keeps + self.checkpoint.skips + self.absorbed


def learned(*, user: User, unseen: sparse.csr_matrix | None = None, refit: bool = True) -> Learned:
    """The reader's model now: the checkpoint plus the decisions since, or a refit when one is due.

    `unseen`: some candidates' vectors, which a refit takes as its soft-labelled sample. `refit=False`: the
    checkpoint and what it can absorb, even when a refit is due (scoring a harvest's papers leaves the refit
    to the reader's next rerank); a reader without a checkpoint is fitted all the same.
    """
    # The packed weights are read only when this worker does not hold them unpacked already (`_load`).
    checkpoint = ReaderModel.objects.filter(user=user).defer("features").first()
    newer = _decisions_after(user, checkpoint)
    if checkpoint is None or (refit and (checkpoint.refit_due or _refit_due(checkpoint, len(newer)))):
        return _refit(user, checkpoint, unseen)
    reader = _load(checkpoint)
    ids, rows = matrix_for([pk for pk, _, _ in newer])
    position = {pk: i for i, pk in enumerate(ids)}
    keeps, skips = checkpoint.keeps, checkpoint.skips
    for pk, decision, _ in newer:
        kept = decision == Swipe.Decision.KEEP
        keeps, skips = keeps + kept, skips + (not kept)
        if pk in position:  # a paper without a vector yet teaches nothing
            weight = (keeps + skips) / (2 * (keeps if kept else skips))  # class-balanced, as in a refit
            ranker.absorb(reader, rows[position[pk]], kept=kept, weight=weight)
    if newer:
        forget(user=user, reader=reader)
    return Learned(reader=reader, checkpoint=checkpoint, refitted=False, absorbed=len(newer))


def teaching(*, user: User) -> Q:
    """The decisions the model learns from: none made while learning was paused, none before a start over."""
    since = _learning_since(user)
    return Q(teaches=True) if since is None else Q(teaches=True, created_at__gte=since)


def _seeds(user: User) -> QuerySet[SeedPaper]:
    """The seed papers the model counts as keeps: those given since the last start over."""
    since = _learning_since(user)
    seeds = SeedPaper.objects.filter(user=user)
    return seeds if since is None else seeds.filter(added_at__gte=since)


def _learning_since(user: User) -> datetime | None:
    """When the reader last started over; read once per task (settings_of keeps it on the user)."""
    deck_settings = selectors.settings_of(user=user)
    return deck_settings.learning_since if deck_settings is not None else None


KEPT_AGAIN = 200  # the latest keeps a forgotten feature is looked for in


def forget(*, user: User, reader: ranker.TasteModel) -> None:
    """Hold the weights of what the reader told the model to forget at zero, in place. A forgotten feature
    that a keep since carries comes back: the reader kept a paper with it again."""
    forgotten = list(ForgottenFeature.objects.filter(user=user).values_list("pk", "token", "created_at"))
    if not forgotten or reader.weights is None:
        return
    since = min(created for _, _, created in forgotten)
    keeps = (
        Swipe.objects.filter(teaching(user=user), user=user, decision=Swipe.Decision.KEEP, created_at__gt=since)
        .order_by("-created_at", "-id")
        .values_list("paper_id", "created_at")[:KEPT_AGAIN]
    )
    kept_at = dict(keeps)
    tokens_of = {paper.pk: set(tokens_of_paper(paper)) for paper in _papers_with_text(list(kept_at))}
    back = [
        pk
        for pk, token, created in forgotten
        if any(at > created and token in tokens_of.get(paper, ()) for paper, at in kept_at.items())
    ]
    if back:
        ForgottenFeature.objects.filter(pk__in=back).delete()
    for pk, token, _ in forgotten:
        if pk not in back:
            reader.weights[hashing.index_of(token)] = 0.0


def _papers_with_text(paper_ids: list[int]) -> list[Paper]:
    fields = ("pk", "title", "abstract", "authors")
    return list(Paper.objects.filter(pk__in=paper_ids).only(*fields).prefetch_related("categories"))


def tokens_of_paper(paper: Paper) -> list[str]:
    """The paper's features as its stored vector has them (papers/hashing.py), unhashed."""
    codes = [category.code for category in paper.categories.all()]
    return hashing.tokens(title=paper.title, abstract=paper.abstract, authors=paper.author_names, categories=codes)


def _refit_due(checkpoint: ReaderModel, newer: int) -> bool:
    return newer >= ranker.refit_interval(checkpoint.keeps + checkpoint.skips + newer)


def _decisions_after(user: User, checkpoint: ReaderModel | None) -> list[tuple[int, str, int]]:
    """(paper, decision, id) of the decisions newer than the checkpoint, oldest first. A reader's decisions
    take their account's lock, so their ids and times grow together: the history index finds them."""
    swipes = Swipe.objects.filter(teaching(user=user), user=user)
    if checkpoint is not None:
        since = checkpoint.refit_at or timezone.now()
        swipes = swipes.filter(created_at__gte=since - CLOCK_SLACK, pk__gt=checkpoint.learned_through)
    return list(swipes.order_by("created_at", "id").values_list("paper_id", "decision", "id")[: ranker.REFIT_EVERY + 1])


CLOCK_SLACK = timedelta(minutes=5)  # two web servers' clocks may disagree a little


def _refit(user: User, checkpoint: ReaderModel | None, unseen: sparse.csr_matrix | None) -> Learned:
    """Fit from a bounded sample of the history and store the checkpoint."""
    started = timezone.now()
    keep, skip = Q(decision=Swipe.Decision.KEEP), Q(decision=Swipe.Decision.SKIP)
    history = Swipe.objects.filter(teaching(user=user), user=user).aggregate(
        last=Max("id"), keeps=Count("id", filter=keep), skips=Count("id", filter=skip)
    )
    learned_through = history["last"] or 0
    keep_ids = _sample(user, Swipe.Decision.KEEP, learned_through, history["keeps"])
    skip_ids = _sample(user, Swipe.Decision.SKIP, learned_through, history["skips"])
    skipped_set = set(skip_ids)
    seed_ids = _seeds(user).values_list("paper_id", flat=True)
    seeds = [pk for pk in seed_ids if pk not in skipped_set]  # a seed the reader skipped since is a skip
    _, kept = matrix_for(list(dict.fromkeys(seeds + keep_ids)))
    _, skipped = matrix_for(skip_ids)
    reader = ranker.learn(kept, skipped, unseen)
    forget(user=user, reader=reader)  # before it is stored: a merge scores with the stored weights
    if reader.weights is None:  # only keeps or only skips, and nothing unseen to weigh them against
        if checkpoint is not None:
            checkpoint.delete()
        return Learned(reader=reader, checkpoint=None, refitted=True, absorbed=0)
    checkpoint = checkpoint or ReaderModel(user=user)
    checkpoint.version += 1
    checkpoint.features = _pack(reader)
    checkpoint.intercept, checkpoint.intercept_precision = reader.intercept, reader.intercept_precision
    checkpoint.learned_through = learned_through
    checkpoint.keeps, checkpoint.skips = history["keeps"] + len(seeds), history["skips"]
    checkpoint.decisions_at_refit = checkpoint.keeps + checkpoint.skips
    checkpoint.refit_at, checkpoint.refit_due = started, False
    checkpoint.save()
    _remember(checkpoint, reader)
    return Learned(reader=reader, checkpoint=checkpoint, refitted=True, absorbed=0)


def _sample(user: User, decision: str, through: int, count: int) -> list[int]:
    """The papers of the latest LATEST decisions of this kind (`count` in all), and about OLDER of the rest,
    every n-th by id, so that only the sample crosses the wire."""
    swipes = Swipe.objects.filter(teaching(user=user), user=user, decision=decision, pk__lte=through)
    latest = list(swipes.order_by("-created_at", "-id").values_list("paper_id", "created_at")[:LATEST])
    if len(latest) < LATEST or count <= LATEST:
        return [pk for pk, _ in latest]
    step = max(1, (count - LATEST) // OLDER)
    older = swipes.filter(created_at__lte=latest[-1][1]).annotate(every=Mod("id", step)).filter(every=0)
    chosen = {pk for pk, _ in latest}
    return [pk for pk, _ in latest] + [
        pk for pk in older.values_list("paper_id", flat=True)[:OLDER] if pk not in chosen
    ]


def kept_for_reasons(*, user: User) -> tuple[list[int], sparse.csr_matrix]:
    """The latest kept papers and seeds, with their vectors: what a card's "Like …" names. Read only when
    reasons are written (a full rescore, a merge), not for a reorder."""
    kept = Swipe.objects.filter(teaching(user=user), user=user, decision=Swipe.Decision.KEEP)
    kept = kept.order_by("-created_at", "-id")
    seeds = _seeds(user).exclude(
        Q(paper__in=Swipe.objects.filter(user=user, decision=Swipe.Decision.SKIP).values("paper"))
    )
    ids = list(kept.values_list("paper_id", flat=True)[:KEPT_FOR_REASONS])
    ids += list(seeds.order_by("-added_at").values_list("paper_id", flat=True)[:KEPT_FOR_REASONS])
    return matrix_for(list(dict.fromkeys(ids)))


def kept_for_reasons_of(*, user_ids: list[int]) -> dict[int, tuple[list[int], sparse.csr_matrix]]:
    """`kept_for_reasons` for a batch of readers (a merge task's followers): two queries and one read of
    vectors for all of them."""
    newest = Window(RowNumber(), partition_by=F("user_id"), order_by=[F("created_at").desc(), F("id").desc()])
    kept = (
        Swipe.objects.filter(user_id__in=user_ids, decision=Swipe.Decision.KEEP, teaches=True)
        .annotate(newest=newest)
        .filter(newest__lte=KEPT_FOR_REASONS)
        .order_by("user_id", "newest")
    )
    # Readers who started over learn only from what came after (`teaching`).
    since: dict[int, datetime] = {
        user_id: at
        for user_id, at in DeckSettings.objects.filter(user_id__in=user_ids).values_list("user_id", "learning_since")
        if at is not None
    }
    ids: dict[int, list[int]] = {pk: [] for pk in user_ids}
    for user_id, paper_id, at in kept.values_list("user_id", "paper_id", "created_at"):
        if user_id not in since or at >= since[user_id]:
            ids[user_id].append(paper_id)
    skipped = Swipe.objects.filter(user=OuterRef("user"), paper=OuterRef("paper"), decision=Swipe.Decision.SKIP)
    seeds = SeedPaper.objects.filter(user_id__in=user_ids).exclude(Exists(skipped)).order_by("user_id", "-added_at")
    seeded: dict[int, list[int]] = {pk: [] for pk in user_ids}
    for user_id, paper_id, at in seeds.values_list("user_id", "paper_id", "added_at"):
        if user_id not in since or at >= since[user_id]:
            seeded[user_id].append(paper_id)
    every = list(dict.fromkeys(pk for user_id in user_ids for pk in ids[user_id] + seeded[user_id][:KEPT_FOR_REASONS]))
    found, matrix = matrix_for(every)
    row_of = {pk: i for i, pk in enumerate(found)}
    result = {}
    for user_id in user_ids:
        theirs = [pk for pk in dict.fromkeys(ids[user_id] + seeded[user_id][:KEPT_FOR_REASONS]) if pk in row_of]
        result[user_id] = (theirs, matrix[[row_of[pk] for pk in theirs]])
    return result


# ---------------------------------------------------------------- checkpoints, packed and kept in memory


def weights_of(checkpoints: list[ReaderModel]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The stored weights of these checkpoints as (feature indices, weights), by reader: from this worker's
    memory, the others' packed blobs in one query. Scoring with them needs no dense model."""
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    missing: dict[int, ReaderModel] = {}
    with _memory_lock:
        for checkpoint in checkpoints:
            if (arrays := _memory.get(_memory_key(checkpoint))) is not None:
                found[checkpoint.user_id] = arrays[0], arrays[1]
            else:
                missing[checkpoint.pk] = checkpoint
    for pk, blob in ReaderModel.objects.filter(pk__in=list(missing)).values_list("pk", "features"):
        checkpoint = missing[pk]
        arrays = _unpack(bytes(blob))
        _keep(_memory_key(checkpoint), arrays)
        found[checkpoint.user_id] = arrays[0], arrays[1]
    return found


def _touched(reader: ranker.TasteModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The features the model touched: their indices, weights and precisions (the others are 0 and 1)."""
    assert reader.weights is not None
    assert reader.precision is not None
    cols = np.flatnonzero((reader.precision != 1.0) | (reader.weights != 0.0)).astype("<i4")
    return cols, reader.weights[cols].astype("<f4"), reader.precision[cols].astype("<f4")


def _pack(reader: ranker.TasteModel) -> bytes:
    return b"".join(array.tobytes() for array in _touched(reader))


def _unpack(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(blob) // 12
    return (
        np.frombuffer(blob, dtype="<i4", count=n),
        np.frombuffer(blob, dtype="<f4", count=n, offset=4 * n),
        np.frombuffer(blob, dtype="<f4", count=n, offset=8 * n),
    )


_MEMORY_BYTES = 256 * 2**20  # checkpoints a worker process keeps, unpacked, most recently used first
_memory: OrderedDict[tuple[int, int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
_memory_lock = threading.Lock()


def _memory_key(checkpoint: ReaderModel) -> tuple[int, int, float]:
    """A checkpoint never changes once written: its reader, version and time name it for good."""
    return checkpoint.user_id, checkpoint.version, checkpoint.refit_at.timestamp() if checkpoint.refit_at else 0.0


def _remember(checkpoint: ReaderModel, reader: ranker.TasteModel) -> None:
    _keep(_memory_key(checkpoint), _touched(reader))


def _keep(key: tuple[int, int, float], arrays: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    with _memory_lock:
        _memory[key] = arrays
        _memory.move_to_end(key)
        while sum(a.nbytes for entry in _memory.values() for a in entry) > _MEMORY_BYTES and len(_memory) > 1:
            _memory.popitem(last=False)


def _load(checkpoint: ReaderModel) -> ranker.TasteModel:
    """The checkpoint as a dense model (8 MB for 2²⁰ features, allocated in a millisecond)."""
    key = _memory_key(checkpoint)
    with _memory_lock:
        arrays = _memory.get(key)
        if arrays is not None:
            _memory.move_to_end(key)
    if arrays is None:
        arrays = _unpack(bytes(checkpoint.features))
        _keep(key, arrays)
    cols, weights, precision = arrays
    dense_weights = np.zeros(hashing.N_FEATURES, dtype=np.float32)
    dense_precision = np.ones(hashing.N_FEATURES, dtype=np.float32)
    dense_weights[cols], dense_precision[cols] = weights, precision
    empty = sparse.csr_matrix((0, hashing.N_FEATURES), dtype=np.float32)
    return ranker.TasteModel(
        kept=empty,
        skipped=empty,
        weights=dense_weights,
        intercept=checkpoint.intercept,
        precision=dense_precision,
        intercept_precision=checkpoint.intercept_precision,
    )


def history_changed(*, user: User) -> None:
    """An undo, a change of mind or new seeds: the next rerank refits instead of updating."""
    ReaderModel.objects.filter(user=user).update(refit_due=True)
