"""The ranker judged on real decisions: `manage.py evaluate_ranking --from-log`, and the admin's Ranking page.

For every reader with at least MIN_DECISIONS decisions, the earlier TRAIN_SHARE of them (by time) train each
method and the later ones are scored: ROC AUC (does a kept paper score above a skipped one?) and the keep
rate of the ten the method puts first, against the reader's own keep rate over those decisions. The methods
are the site's ranker (deck/ranking/ranker.py, fitted as a refit does), chronological order (newest first, what a
listing shows) and arxiv-sanity-lite's positives-only TF-IDF + LinearSVC. When the deck served the later
decisions, the scores it logged then (deck/serving_log.py) are judged too: the ranker as it really ran,
with whatever it knew at each moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC

from papers.features.store import matrix_for
from papers.models import Paper

from ..models import Swipe
from . import ranker

MIN_DECISIONS = 50
TRAIN_SHARE = 0.7
TOP = 10
LATEST = 2000  # a reader's latest decisions are replayed: the cost per reader is bounded
MIN_SERVED = 10  # later decisions with a logged score, for the "as served" row to count a reader

RANKER = "PaperSwipe ranker"
CHRONOLOGICAL = "chronological (newest first)"
SVM = "positives-only TF-IDF + LinearSVC"
AS_SERVED = "PaperSwipe as served (logged scores)"
METHODS = (RANKER, CHRONOLOGICAL, SVM, AS_SERVED)


@dataclass
class MethodResult:
    aucs: list[float] = field(default_factory=list)
    top_rates: list[float] = field(default_factory=list)

    @property
    def auc(self) -> float | None:
        return float(np.mean(self.aucs)) if self.aucs else None

    @property
    def top_rate(self) -> float | None:
        return float(np.mean(self.top_rates)) if self.top_rates else None


@dataclass
class LogEvaluation:
    readers: int = 0
    decisions: int = 0
    scored: int = 0  # later decisions scored, all readers
    base_rates: list[float] = field(default_factory=list)  # each reader's keep rate over their later decisions
    methods: dict[str, MethodResult] = field(default_factory=lambda: {name: MethodResult() for name in METHODS})

    @property
    def base_rate(self) -> float | None:
        return float(np.mean(self.base_rates)) if self.base_rates else None


@dataclass(frozen=True)
class _Decision:
    paper_id: int
    kept: bool
    served_score: float | None


def evaluate_log(*, min_decisions: int = MIN_DECISIONS, max_readers: int | None = None) -> LogEvaluation:
    """Every reader with at least `min_decisions` (the `max_readers` with most, when given), replayed."""
    readers = Swipe.objects.values("user").annotate(n=Count("pk")).filter(n__gte=min_decisions).order_by("-n", "user")
    result = LogEvaluation()
    background = list(Paper.objects.order_by("-listed_at", "-id").values_list("pk", flat=True)[:BACKGROUND])
    for row in readers[:max_readers] if max_readers else readers:
        _replay(row["user"], result, background)
    return result


# The catalog's newest papers: the unseen papers a fit weighs the decisions against (the ranker's soft-labelled
# sample, the SVM's negatives), as the deck's candidates are. Never the scored papers themselves: a method that
# trains on them as negatives pushes the ones most like the keeps down hardest, and its order turns upside down.
BACKGROUND = 1000


def _replay(user_id: int, result: LogEvaluation, background: list[int]) -> None:
    rows = Swipe.objects.filter(user_id=user_id).order_by("-created_at", "-id")
    latest = list(rows.values_list("paper_id", "decision", "served_score")[:LATEST])[::-1]
    decisions = [_Decision(pk, decision == Swipe.Decision.KEEP, score) for pk, decision, score in latest]
    ids, matrix = matrix_for([d.paper_id for d in decisions])
    row_of = {pk: i for i, pk in enumerate(ids)}
    decisions = [d for d in decisions if d.paper_id in row_of]  # a paper without a vector teaches nothing
    split = int(len(decisions) * TRAIN_SHARE)
    train, test = decisions[:split], decisions[split:]
    labels = np.array([d.kept for d in test])
    if not train or not test or not any(d.kept for d in train):
        return
    result.readers += 1
    result.decisions += len(decisions)
    result.scored += len(test)
    result.base_rates.append(float(labels.mean()))
    decided = {d.paper_id for d in decisions}
    unseen = [pk for pk in background if pk not in decided]
    texts = _texts([d.paper_id for d in decisions] + unseen)
    scorers: dict[str, Callable[[], np.ndarray]] = {
        RANKER: lambda: _ranker_scores(train, test, matrix, row_of, unseen),
        CHRONOLOGICAL: lambda: _newest_first([d.paper_id for d in test]),
        SVM: lambda: _svm_scores(train, test, unseen, texts),
    }
    for name, scores in scorers.items():
        _judge(result.methods[name], scores(), labels)
    served = [i for i, d in enumerate(test) if d.served_score is not None]
    if len(served) >= MIN_SERVED:
        logged = np.array([test[i].served_score for i in served], dtype=float)
        _judge(result.methods[AS_SERVED], logged, labels[served])


def _judge(method: MethodResult, scores: np.ndarray, labels: np.ndarray) -> None:
    order = np.argsort(-scores, kind="stable")
    method.top_rates.append(float(labels[order[:TOP]].mean()))
    if 0 < labels.sum() < len(labels):  # AUC needs a keep and a skip among the later decisions
        method.aucs.append(float(roc_auc_score(labels, scores)))


def _ranker_scores(
    train: list[_Decision], test: list[_Decision], matrix: sparse.csr_matrix, row_of: dict[int, int], unseen: list[int]
) -> np.ndarray:
    """The site's ranker fitted as a refit does, from the earlier decisions and a sample of unseen papers."""
    kept = matrix[[row_of[d.paper_id] for d in train if d.kept]]
    skipped = matrix[[row_of[d.paper_id] for d in train if not d.kept]]
    later = matrix[[row_of[d.paper_id] for d in test]]
    _, candidates = matrix_for(unseen[: ranker.UNSEEN_SAMPLE * 5])
    return ranker.predict(ranker.learn(kept, skipped, candidates), later)


def _newest_first(paper_ids: list[int]) -> np.ndarray:
    """A listing's order: the newest listed (or published) first."""
    rows = Paper.objects.filter(pk__in=paper_ids).values_list("pk", "listed_at", "published")
    when: dict[int, float] = {}
    for pk, listed, published in rows:
        moment = listed or published
        when[pk] = moment.timestamp() if moment else 0.0
    return np.array([when.get(pk, 0.0) for pk in paper_ids])


def _texts(paper_ids: list[int]) -> dict[int, str]:
    rows = Paper.objects.filter(pk__in=paper_ids).values_list("pk", "title", "abstract")
    return {pk: f"{title} {abstract}" for pk, title, abstract in rows}


def _svm_scores(train: list[_Decision], test: list[_Decision], unseen: list[int], texts: dict[int, str]) -> np.ndarray:
    """arxiv-sanity-lite: the kept papers against every other paper (the reader's skips and the catalog's
    newest), TF-IDF over all of them; it never reads a skip as more than another paper."""
    papers = [d.paper_id for d in train] + unseen + [d.paper_id for d in test]
    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", max_features=20000).fit_transform(
        [texts.get(pk, "") for pk in papers]
    )
    fitted = len(train) + len(unseen)
    y = np.array([1 if i < len(train) and train[i].kept else 0 for i in range(fitted)])
    svm = LinearSVC(C=0.1, class_weight="balanced", max_iter=10000).fit(x[:fitted], y)
    return svm.decision_function(x[fitted:])


def render(result: LogEvaluation) -> str:
    """The table, in Markdown (the command prints it; the admin page shows the same numbers)."""
    if not result.readers:
        return f"No reader has {MIN_DECISIONS} decisions yet: nothing to evaluate."
    lines = [
        f"{result.readers:,} readers with at least {MIN_DECISIONS} decisions, {result.decisions:,} decisions; the "
        f"first {TRAIN_SHARE:.0%} of each reader's train, the later {result.scored:,} are scored. Their keep rate: "
        f"{result.base_rate:.2f}.",
        "",
        f"| order | readers | ROC AUC | keep rate of the top {TOP} |",
        "|---|---|---|---|",
    ]
    for name, method in result.methods.items():
        auc = f"{method.auc:.2f}" if method.auc is not None else "n/a"
        top = f"{method.top_rate:.2f}" if method.top_rate is not None else "n/a"
        lines.append(f"| {name} | {len(method.top_rates)} | {auc} | {top} |")
    return "\n".join(lines)
