"""Offline, reproducible evaluation of the deck's order on the real arXiv papers we ship.

Simulated readers with hidden tastes see the deck card by card, as the site would show it, and their
taste decides keep or skip (with noise). After 5, 10, 20 and 50 decisions we measure the keep-rate of
the next 10 cards, for chronological order, arxiv-sanity-lite's positives-only TF-IDF + LinearSVC, and
our ranker (deck/ranking/ranker.py, exploration included), which is the very code the site runs.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from papers.features import hashing
from papers.parsers import parse_document
from papers.records import PaperRecord

from . import ranker

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "papers" / "sample_data"
# MiniLM and wordllama embeddings of SAMPLE_DIR's papers, written by scripts/embed_sample_papers.py.
EMBEDDINGS = Path(__file__).resolve().parent / "evaluation_data" / "sample_embeddings.npz"
CHECKPOINTS = (5, 10, 20, 50)
NEXT = 10


@dataclass
class Corpus:
    records: list[PaperRecord]
    matrix: sparse.csr_matrix  # our features, as stored for the site
    texts: list[str]  # title and abstract, for the TF-IDF baseline


@dataclass(frozen=True)
class Taste:
    kind: str  # "topic", "authors" or "niche"
    label: str
    likes: Callable[[PaperRecord], bool]


ANCHOR_FILE = "oai_arXivRaw_ListRecords_page1000_2014-01-16.xml"  # 1,000 records, one week, physics


def load_corpus(*, anchor: bool = False) -> Corpus:
    """Every paper we ship, or (anchor) only the 1,000 arXivRaw records of the colleague's measurement."""
    seen: dict[str, PaperRecord] = {}
    for path in sorted(SAMPLE_DIR.glob(ANCHOR_FILE if anchor else "*.xml")):
        for record in parse_document(path.read_bytes()).records:
            if record.abstract and record.title and (record.published or record.updated):
                seen.setdefault(record.arxiv_id, record)
    records = sorted(seen.values(), key=lambda r: r.published or r.updated, reverse=True)  # type: ignore[arg-type,return-value]
    matrix = hashing.vectorize(
        hashing.tokens(title=r.title, abstract=r.abstract, authors=[a.name for a in r.authors], categories=r.categories)
        for r in records
    )
    return Corpus(records=records, matrix=matrix, texts=[f"{r.title} {r.abstract}" for r in records])


# Topics as a reader would describe them: a few word families, matched in the title and abstract.
TOPICS = {
    "black holes and strings": ("black hole", "gravitational wave", "brane", "string theor"),
    "quantum information": ("entangle", "qubit", "quantum comput", "quantum information"),
    "cosmology": ("dark matter", "dark energy", "cosmolog", "inflation"),
    "superconductivity": ("superconduct", "cooper pair"),
    "galaxies and stars": ("galax", "star formation", "stellar"),
    "magnetism": ("spin chain", "ising", "magnetic order", "ferromagnet", "antiferromagnet"),
}


def tastes(corpus: Corpus, rng: random.Random, per_kind: int, *, authors: bool = True) -> list[Taste]:
    """Hidden tastes of three kinds: a topic described by words, certain authors, a cross-list niche."""
    n = len(corpus.records)
    low, high = int(0.02 * n), int(0.20 * n)
    out = [_topic(name, words) for name, words in list(TOPICS.items())[:per_kind]]
    counts = Counter(a.name for r in corpus.records for a in r.authors)
    prolific = [a for a, c in counts.most_common(300) if c >= 2]
    for _ in range(per_kind if authors else 0):
        out.append(_authors(set(rng.sample(prolific, min(15, len(prolific))))))
    cross = Counter(c for r in corpus.records for c in r.categories[1:])
    niches = sorted(c for c, k in cross.items() if low <= k <= high)
    out += [_niche(c) for c in rng.sample(niches, min(per_kind, len(niches)))]
    return out


def semantic_tastes(
    corpus: Corpus, rng: random.Random, count: int, *, exemplars: int = 3, liked: int = 50
) -> list[Taste]:
    """Tastes by meaning, not by words: the `liked` papers nearest (by MiniLM, which the product does not use)
    to a few hidden exemplar papers, so that no word list defines them."""
    minilm = embeddings(corpus, "minilm")
    out = []
    for _ in range(count):
        hidden = rng.sample(range(len(corpus.records)), exemplars)
        nearest = (minilm @ minilm[hidden].T).max(axis=1)
        ids = {corpus.records[i].arxiv_id for i in np.argsort(-nearest, kind="stable")[:liked]}
        label = "near " + ", ".join(corpus.records[i].arxiv_id for i in hidden)
        out.append(Taste("semantic", label, lambda r, ids=ids: r.arxiv_id in ids))  # type: ignore[misc]
    return out


def embeddings(corpus: Corpus, kind: str) -> np.ndarray:
    """The stored `kind` ("minilm" or "wordllama") embedding of each corpus paper, unit length, as float32."""
    stored = np.load(EMBEDDINGS)
    row = {arxiv_id: i for i, arxiv_id in enumerate(stored["ids"].tolist())}
    vectors = stored[kind][[row[r.arxiv_id] for r in corpus.records]].astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def _authors(group: set[str]) -> Taste:
    return Taste("authors", f"{len(group)} authors", lambda r: any(a.name in group for a in r.authors))


def _topic(name: str, words: tuple[str, ...]) -> Taste:
    return Taste("topic", name, lambda r: any(w in f"{r.title} {r.abstract}".lower() for w in words))


def _niche(code: str) -> Taste:
    return Taste("niche", f"cross-listed {code}", lambda r: code in r.categories[1:])


class Method:
    name = ""

    def scores(self, kept: list[int], skipped: list[int], unseen: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def order(self, kept: list[int], skipped: list[int], unseen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return unseen[np.argsort(-self.scores(kept, skipped, unseen), kind="stable")]


class Chronological(Method):
    name = "chronological"

    def scores(self, kept: list[int], skipped: list[int], unseen: np.ndarray) -> np.ndarray:
        return -unseen.astype(float)  # the corpus is newest first


class PositivesOnlySVM(Method):
    """arxiv-sanity-lite: an SVM with the kept papers as positives and every other paper as a negative."""

    name = "positives-only TF-IDF + LinearSVC"

    def __init__(self, corpus: Corpus) -> None:
        self.x = TfidfVectorizer(sublinear_tf=True, stop_words="english", max_features=20000).fit_transform(
            corpus.texts
        )

    def scores(self, kept: list[int], skipped: list[int], unseen: np.ndarray) -> np.ndarray:
        if not kept:
            return -unseen.astype(float)
        y = np.zeros(self.x.shape[0])
        y[kept] = 1
        svm = LinearSVC(C=0.1, class_weight="balanced", max_iter=10000).fit(self.x, y)
        return svm.decision_function(self.x[unseen])


class OurRanker(Method):
    """deck/ranking/ranker.py as the site runs it: keeps and skips, a recency tie-break, one card in five exploring,
    and until the first keep a first deck of one paper per topic cluster (`ranker.teaching_picks`)."""

    def __init__(self, corpus: Corpus, *, explore: bool = True, first_deck: bool = True) -> None:
        self.x = corpus.matrix
        self.explore, self.first_deck = explore, first_deck
        self.name = "PaperSwipe ranker" + ("" if explore else " (no exploration)")
        self.name += "" if first_deck else " (newest first until the first keep)"
        # Every simulated reader starts from the same candidates, and the site keeps its picks: drawn once.
        self.picks = ranker.teaching_picks(self.x[: ranker.TEACHING_POOL]) if first_deck else []

    def scores(self, kept: list[int], skipped: list[int], unseen: np.ndarray) -> np.ndarray:
        candidates = self.x[unseen]
        reader = ranker.learn(self.x[kept], self.x[skipped], candidates)
        base = ranker.predict(reader, candidates) if reader.knows_anything else np.full(len(unseen), 0.5)
        return base + np.linspace(1e-3, 0, len(unseen))

    def order(self, kept: list[int], skipped: list[int], unseen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        scores = self.scores(kept, skipped, unseen)
        explore = self.explore and bool(kept or skipped)
        phase = len(kept) + len(skipped)  # as the site counts: one decision in five meets an exploring card
        placed = [i for i, _ in ranker.order(scores, rng=rng, explore=explore, phase=phase)]
        if self.first_deck and ranker.teaching(keeps=len(kept), decisions=phase):
            position = {card: i for i, card in enumerate(unseen.tolist())}
            picks = [position[card] for card in self.picks if card in position]
            chosen = set(picks)
            placed = picks + [i for i in placed if i not in chosen]
        return unseen[placed]


class CheckpointedRanker(OurRanker):
    """The site's loop past a small history (deck/ranking/reader_model.py): a refit every `refit_every` decisions,
    each decision in between absorbed into the model (ranker.absorb), every candidate scored each time."""

    def __init__(self, corpus: Corpus, *, refit_every: int = 0, small_history: int = 0) -> None:
        """`refit_every` 0: the site's own schedule, ranker.refit_interval."""
        super().__init__(corpus)
        self.refit_every, self.small_history = refit_every, small_history
        after = f" past {small_history} decisions" if small_history else ""
        self.name = (
            f"PaperSwipe ranker, refit every {refit_every}{after}, decisions absorbed between"
            if refit_every
            else "PaperSwipe ranker, the site's schedule (refit each time up to 50, then every tenth)"
        )
        self._reader: ranker.TasteModel | None = None
        self._known: set[int] = set()
        self._fitted_at = 0

    def scores(self, kept: list[int], skipped: list[int], unseen: np.ndarray) -> np.ndarray:
        decided = set(kept) | set(skipped)
        new = decided - self._known
        if (
            self._reader is None
            or not self._reader.knows_anything
            or not self._known <= decided  # a new simulated reader
            or len(decided) - self._fitted_at >= (self.refit_every or ranker.refit_interval(len(decided)))
            or len(decided) <= self.small_history
        ):
            self._reader = ranker.learn(self.x[kept], self.x[skipped], self.x[unseen])
            self._fitted_at = len(decided)
        else:
            keeps, skips = len(set(kept) - new), len(set(skipped) - new)
            for card in sorted(new, key=lambda c: (kept + skipped).index(c)):
                is_keep = card in kept
                keeps, skips = keeps + is_keep, skips + (not is_keep)
                weight = (keeps + skips) / (2 * (keeps if is_keep else skips))
                ranker.absorb(self._reader, self.x[card], kept=is_keep, weight=weight)
        self._known = decided
        candidates = self.x[unseen]
        base = ranker.predict(self._reader, candidates) if self._reader.knows_anything else np.full(len(unseen), 0.5)
        return base + np.linspace(1e-3, 0, len(unseen))


WORD_EMBEDDING_WEIGHT = 0.5  # of 0.3, 0.5, 1 and 2, the best on the semantic readers


class WordEmbeddingRanker(OurRanker):
    """The ranker on the hashed words plus wordllama's static word embedding of title and abstract (256
    dense columns after the hashed ones, scaled by `weight` against the words' unit length)."""

    def __init__(self, corpus: Corpus, *, weight: float = WORD_EMBEDDING_WEIGHT) -> None:
        super().__init__(corpus)
        self.name = f"PaperSwipe ranker + wordllama embedding (weight {weight:g})"
        self.x = sparse.hstack([corpus.matrix, sparse.csr_matrix(weight * embeddings(corpus, "wordllama"))]).tocsr()


def simulate(
    method: Method,
    likes: np.ndarray,
    *,
    seed: int,
    noise: float,
    seeds: Sequence[int] = (),
    checkpoints: Sequence[int] = CHECKPOINTS,
) -> dict[int, float]:
    """One reader: decide card by card; at each checkpoint, the keep-rate of the next NEXT cards."""
    rng = np.random.default_rng(seed)
    noisy = random.Random(seed)  # noqa: S311 -- a seeded simulation
    n = len(likes)
    kept: list[int] = list(seeds)
    skipped: list[int] = []
    seen = np.zeros(n, bool)
    seen[list(seeds)] = True
    rates = {}
    for decisions in range(max(checkpoints) + 1):
        unseen = np.flatnonzero(~seen)
        deck = method.order(kept, skipped, unseen, rng)
        if decisions in checkpoints:
            rates[decisions] = float(likes[deck[:NEXT]].mean())
        if decisions == max(checkpoints):
            break
        card = int(deck[0])
        seen[card] = True
        keep = bool(likes[card])
        if noisy.random() < noise:
            keep = not keep if keep else noisy.random() < 0.5  # a liked paper skipped, or a random keep
        (kept if keep else skipped).append(card)
    return rates


def evaluate(
    *,
    readers_per_kind: int = 5,
    runs: int = 3,
    noise: float = 0.1,
    checkpoints: Sequence[int] = CHECKPOINTS,
    anchor: bool = False,
    online: bool = False,
    semantic: bool = False,
    word_embedding: bool = False,
) -> dict[str, object]:
    """`anchor`: the colleague's setting, 1,000 arXivRaw records and keyword or cross-list tastes only.
    `online`: also the checkpointed loop, refitting every 10 and every 25 decisions.
    `semantic`: readers whose taste is the papers nearest a few hidden exemplars by meaning, as many as the
    three kinds of the other readers together. `word_embedding`: also the ranker with wordllama's vectors."""
    corpus = load_corpus(anchor=anchor)
    rng = random.Random(2026)  # noqa: S311 -- a seeded simulation
    if semantic:
        reader_tastes = semantic_tastes(corpus, rng, 3 * readers_per_kind)
    else:
        reader_tastes = tastes(corpus, rng, readers_per_kind, authors=not anchor)
    methods: list[Method] = [Chronological(), PositivesOnlySVM(corpus), OurRanker(corpus)]
    if word_embedding:
        methods.append(WordEmbeddingRanker(corpus, weight=WORD_EMBEDDING_WEIGHT))
    if len(checkpoints) == len(CHECKPOINTS):
        methods.append(OurRanker(corpus, explore=False))  # what exploration costs, in the full run only
        methods.append(OurRanker(corpus, first_deck=False))  # and what the first deck brings
    if online:
        methods += [CheckpointedRanker(corpus, refit_every=10), CheckpointedRanker(corpus, refit_every=25)]
        methods.append(CheckpointedRanker(corpus))
    table: dict[str, dict[int, list[float]]] = {m.name: {c: [] for c in checkpoints} for m in methods}
    cold: dict[str, list[float]] = {m.name: [] for m in methods}
    for t, taste in enumerate(reader_tastes):
        likes = np.array([taste.likes(r) for r in corpus.records])
        for run in range(runs):
            seed = 1000 * t + run
            liked = [int(i) for i in np.flatnonzero(likes)]
            three = random.Random(seed).sample(liked, 3)  # noqa: S311 -- a seeded simulation
            for method in methods:
                for checkpoint, rate in simulate(
                    method, likes, seed=seed, noise=noise, checkpoints=checkpoints
                ).items():
                    table[method.name][checkpoint].append(rate)
                cold[method.name].append(
                    simulate(method, likes, seed=seed, noise=noise, seeds=three, checkpoints=(0,))[0]
                )
    return {
        "papers": len(corpus.records),
        "readers": [f"{t.kind}: {t.label} ({sum(t.likes(r) for r in corpus.records)} liked)" for t in reader_tastes],
        "runs": runs,
        "noise": noise,
        "checkpoints": list(checkpoints),
        "table": {name: {c: float(np.mean(v)) for c, v in rows.items()} for name, rows in table.items()},
        "cold": {name: float(np.mean(v)) for name, v in cold.items()},
    }
