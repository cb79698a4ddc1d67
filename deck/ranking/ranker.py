"""The reader model: what one user keeps and skips, learned over paper features, and the deck's order.

Pure functions over sparse matrices (papers/features/hashing.py), so that the site, the evaluation
(`manage.py evaluate_ranking`) and the tests run the very same code.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

EXPLORE_EVERY = 5  # one card in five comes from outside the predicted top, so the deck keeps learning
C = 10.0  # inverse regularisation: less held 20 decisions back, more changed nothing (evaluate_ranking)


@dataclass
class TasteModel:
    """What was learned from one user's keeps (seed papers included) and skips."""

    kept: sparse.csr_matrix
    skipped: sparse.csr_matrix
    weights: np.ndarray | None  # one weight per feature; None before any decision
    intercept: float = 0.0
    # The curvature of the fit's objective at its optimum, per feature and for the intercept: how sure the
    # model is of each weight. `absorb` moves a weight less the more evidence it already rests on.
    precision: np.ndarray | None = None
    intercept_precision: float = 1.0

    @property
    def knows_anything(self) -> bool:
        return self.weights is not None


def learn(
    kept: sparse.csr_matrix, skipped: sparse.csr_matrix, candidates: sparse.csr_matrix | None = None
) -> TasteModel:
    """A logistic regression with keeps as positives and skips as negatives, class-balanced.

    A sample of the unseen `candidates` joins with a soft label at the prior keep-rate and a small
    weight: with only skips the model moves away from the skipped topics, with only keeps it moves
    toward them, and with many decisions it barely matters (measured with evaluate_ranking). Only the
    columns the examples use are fitted: a few thousand instead of the whole hashed space, same result.
    """
    n_kept, n_skipped = kept.shape[0], skipped.shape[0]
    if not n_kept and not n_skipped:
        return TasteModel(kept=kept, skipped=skipped, weights=None)
    total = n_kept + n_skipped
    rows, labels = [kept, skipped], [np.ones(n_kept), np.zeros(n_skipped)]
    weights = [np.full(n_kept, total / (2 * max(n_kept, 1))), np.full(n_skipped, total / (2 * max(n_skipped, 1)))]
    if candidates is not None and candidates.shape[0]:
        sample = candidates[np.random.default_rng(total).permutation(candidates.shape[0])[:UNSEEN_SAMPLE]]
        rows += [sample, sample]
        labels += [np.ones(sample.shape[0]), np.zeros(sample.shape[0])]
        weights += [
            np.full(sample.shape[0], UNSEEN_WEIGHT * PRIOR),
            np.full(sample.shape[0], UNSEEN_WEIGHT * (1 - PRIOR)),
        ]
    x = sparse.vstack(rows).tocsr()
    y = np.concatenate(labels)
    if len(set(y)) < 2:
        return TasteModel(kept=kept, skipped=skipped, weights=None)
    columns = np.unique(x.indices)
    model = LogisticRegression(C=C, solver="liblinear", max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[:, columns], y, sample_weight=np.concatenate(weights))
    full = np.zeros(x.shape[1], dtype=np.float32)
    full[columns] = model.coef_.ravel()
    intercept = float(model.intercept_[0])
    # The diagonal of the Hessian of liblinear's objective (½‖w‖² + C Σ sᵢ logloss), intercept included:
    # 1 + C Σᵢ sᵢ pᵢ(1-pᵢ) xᵢⱼ², the Laplace approximation that `absorb` updates one decision at a time.
    p = 1.0 / (1.0 + np.exp(-(x @ full + intercept)))
    spread = C * np.concatenate(weights) * p * (1 - p)
    precision = (1.0 + x.multiply(x).T @ spread).astype(np.float32)
    return TasteModel(
        kept=kept,
        skipped=skipped,
        weights=full,
        intercept=intercept,
        precision=precision,
        intercept_precision=float(1.0 + spread.sum()),
    )


def absorb(reader: TasteModel, row: sparse.csr_matrix, *, kept: bool, weight: float) -> float:
    """One new decision into a fitted model, in place, for the cost of the paper's own features.

    The online step of Bayesian logistic regression with a diagonal Laplace approximation (Chapelle & Li,
    "An Empirical Evaluation of Thompson Sampling", 2011): the new weights minimise
    ½ Σⱼ qⱼ (wⱼ - mⱼ)² + C·weight·logloss(decision), with m the weights and q the precisions so far; then q
    grows by the decision's curvature. A weight that rests on many decisions moves little, a new topic's a
    lot. The optimum lies along x/q, so it is a one-dimensional Newton solve. Returns the step taken along
    x/q, which scores every other paper's change: Δzᵢ = step · (xᵢ · x/q).
    """
    assert reader.weights is not None, "absorb needs a fitted model"
    assert reader.precision is not None
    cols, x = row.indices, row.data.astype(np.float64)
    q = reader.precision[cols].astype(np.float64)
    z0 = float(x @ reader.weights[cols]) + reader.intercept
    spread = float((x * x / q).sum()) + 1.0 / reader.intercept_precision
    label, cost = (1.0 if kept else 0.0), C * weight
    step = 0.0
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(z0 + step * spread)
        step -= (step + cost * (p - label)) / (1.0 + cost * p * (1 - p) * spread)
    p = _sigmoid(z0 + step * spread)
    reader.weights[cols] += (step * x / q).astype(np.float32)
    reader.intercept += step / reader.intercept_precision
    reader.precision[cols] += (cost * p * (1 - p) * x * x).astype(np.float32)
    reader.intercept_precision += cost * p * (1 - p)
    return step


NEWTON_STEPS = 6  # the solve is one-dimensional and smooth: six steps reach float precision


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + float(np.exp(-z)))


UNSEEN_SAMPLE = 200  # unseen papers that join each fit with a soft label
UNSEEN_WEIGHT = 0.05  # their weight against one decision's
PRIOR = 0.2  # the soft label: about the share of papers a reader keeps


def predict(reader: TasteModel, candidates: sparse.csr_matrix) -> np.ndarray:
    """The probability that the user keeps each candidate (0.5 for all before any decision)."""
    if reader.weights is None:
        return np.full(candidates.shape[0], 0.5)
    return 1.0 / (1.0 + np.exp(-(candidates @ reader.weights + reader.intercept)))


def order(
    scores: np.ndarray, *, rng: np.random.Generator, explore: bool = True, limit: int | None = None, phase: int = 0
) -> list[tuple[int, bool]]:
    """The first `limit` candidates by predicted keep, best first, with every EXPLORE_EVERY-th card drawn
    at random from outside the predicted top: (candidate index, exploring).

    `phase`: the reader's decisions so far. The exploring slots continue the count across rebuilds, so that
    one decision in EXPLORE_EVERY meets an exploring card: slots counted afresh from each rebuild put the
    first one fifth, and a reader whose queue is rebuilt every few decisions never reached it."""
    limit = len(scores) if limit is None else min(limit, len(scores))
    ranked = np.argsort(-scores, kind="stable")
    if not explore or len(ranked) < EXPLORE_EVERY:
        return [(int(i), False) for i in ranked[:limit]]
    top = max(EXPLORE_EVERY, len(ranked) // EXPLORE_EVERY)
    inside = iter(ranked[:top])
    outside = list(rng.permutation(ranked[top:]))
    placed: list[tuple[int, bool]] = []
    while len(placed) < limit:
        if (len(placed) + phase) % EXPLORE_EVERY == EXPLORE_EVERY - 1 and outside:
            placed.append((int(outside.pop()), True))
        elif (nxt := next(inside, None)) is not None:
            placed.append((int(nxt), False))
        else:  # the top is used up: the rest in predicted order
            placed += [(int(i), False) for i in sorted(outside, key=lambda i: -scores[i])][: limit - len(placed)]
            break
    return placed


# A first deck that learns fast: until a reader's first keep (seed papers count), and for at most FIRST_CARDS
# decisions, the deck leads with one paper from each of FIRST_CARDS topic clusters of the newest TEACHING_POOL
# candidates: the newest few often share a topic, and ten skips of one topic teach the model little. With the
# simulated readers (evaluate_ranking) it lifted the keep-rate of the next 10 cards after 10 and after 20
# decisions on all shipped papers and on the anchor set; leading with the picks even after a keep did not.
FIRST_CARDS = 10
TEACHING_POOL = 2000


def teaching(*, keeps: int, decisions: int) -> bool:
    """Whether the deck still leads with the teaching picks."""
    return keeps == 0 and decisions < FIRST_CARDS


def teaching_picks(candidates: sparse.csr_matrix, k: int = FIRST_CARDS) -> list[int]:
    """One candidate per k-means cluster (the one nearest its centre), the largest cluster first.

    Clustered on a 50-dimension SVD of the columns the candidates use (of the whole hashed space it took 4 s
    for 2,000 papers, on the used columns 0.14 s with two power iterations), seeded, so a rebuild with the
    same candidates picks the same papers."""
    if candidates.shape[0] <= k:
        return list(range(candidates.shape[0]))
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    used = candidates[:, np.unique(candidates.indices)]
    dimensions = min(50, used.shape[1] - 1, used.shape[0] - 1)
    reduced = normalize(TruncatedSVD(dimensions, n_iter=2, random_state=0).fit_transform(used))
    clusters = KMeans(k, n_init=4, random_state=0).fit(reduced)
    picks = []
    for cluster in np.argsort(-np.bincount(clusters.labels_, minlength=k), kind="stable"):
        members = np.flatnonzero(clusters.labels_ == cluster)
        if len(members):
            distance = np.linalg.norm(reduced[members] - clusters.cluster_centers_[cluster], axis=1)
            picks.append(int(members[np.argmin(distance)]))
    return picks


def nearest_kept(reader: TasteModel, candidates: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate, the kept paper most like it (a row of reader.kept) and their cosine similarity."""
    if not reader.kept.shape[0] or not candidates.shape[0]:
        return np.full(candidates.shape[0], -1), np.zeros(candidates.shape[0])
    similarities = (candidates @ reader.kept.T.tocsr()).toarray()
    best = similarities.argmax(axis=1)
    return best, similarities[np.arange(len(best)), best]


# Up to this many decisions each one changes the model most (the class balance above all): the site fits it
# from the whole history after every decision (deck/ranking/reader_model.py).
SMALL_HISTORY = 50
# Past it, a refit once the decisions absorbed since the last are a tenth of the history, and at least every
# REFIT_EVERY: a refit reads a bounded sample, so its cost per decision stays flat as the history grows.
REFIT_SHARE = 10
REFIT_EVERY = 100


def refit_interval(decisions: int) -> int:
    """How many decisions a reader with this many makes between refits."""
    if decisions <= SMALL_HISTORY:
        return 1
    return min(REFIT_EVERY, max(1, decisions // REFIT_SHARE))
