"""deck/ranking/ranker.py on its own: pure functions over sparse rows, so no database and no catalog."""

import numpy as np
import pytest
from scipy import sparse

from deck.ranking import ranker

WIDTH = 40  # columns of the toy feature space


def rows(*columns: list[int]) -> sparse.csr_matrix:
    """One unit-length row per list of columns, equal weights on each."""
    matrix = sparse.lil_matrix((len(columns), WIDTH), dtype=np.float32)
    for i, cols in enumerate(columns):
        for col in cols:
            matrix[i, col] = 1 / np.sqrt(len(cols))
    return matrix.tocsr()


def topic(first: int, n: int, rng: np.random.Generator) -> sparse.csr_matrix:
    """n papers on one topic: three of five columns starting at `first`."""
    return rows(*[sorted(rng.choice(range(first, first + 5), 3, replace=False).tolist()) for _ in range(n)])


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_before_any_decision_the_model_knows_nothing_and_scores_everything_alike(rng):
    empty = sparse.csr_matrix((0, WIDTH), dtype=np.float32)
    reader = ranker.learn(empty, empty, topic(0, 5, rng))
    assert not reader.knows_anything
    assert ranker.predict(reader, topic(10, 4, rng)).tolist() == [0.5] * 4


def test_keeps_and_skips_order_unseen_papers_by_their_topic(rng):
    reader = ranker.learn(topic(0, 6, rng), topic(10, 6, rng), topic(20, 50, rng))
    kept_like, skipped_like = ranker.predict(reader, topic(0, 5, rng)), ranker.predict(reader, topic(10, 5, rng))
    assert kept_like.min() > 0.5 > skipped_like.max()


def test_skips_alone_teach_the_deck_through_the_unseen_papers(rng):
    """With no keep yet, the soft-labelled unseen sample is the other class: skipped topics sink."""
    empty = sparse.csr_matrix((0, WIDTH), dtype=np.float32)
    reader = ranker.learn(empty, topic(10, 5, rng), topic(0, 50, rng))
    assert reader.knows_anything
    assert ranker.predict(reader, topic(10, 5, rng)).max() < ranker.predict(reader, topic(0, 5, rng)).min()


def test_absorbing_a_decision_moves_its_columns_and_less_where_evidence_is_old(rng):
    reader = ranker.learn(topic(0, 20, rng), topic(10, 20, rng), topic(20, 50, rng))
    known, new = rows([0, 1, 2]), rows([30, 31, 32])  # a topic the model rests on, one it never saw
    before = ranker.predict(reader, sparse.vstack([known, new]).tocsr())
    ranker.absorb(reader, known, kept=False, weight=1.0)
    ranker.absorb(reader, new, kept=True, weight=1.0)
    after = ranker.predict(reader, sparse.vstack([known, new]).tocsr())
    assert after[0] < before[0]  # a skip lowers what it was about
    assert after[1] > before[1]  # a keep raises it
    assert after[1] - before[1] > before[0] - after[0]  # the unseen topic moves further


def test_every_fifth_card_explores_and_the_count_goes_on_across_rebuilds(rng):
    scores = np.linspace(1, 0, 100)
    placed = ranker.order(scores, rng=rng, limit=20)
    exploring = [i for i, (_, flag) in enumerate(placed) if flag]
    assert exploring == [4, 9, 14, 19]
    top = max(ranker.EXPLORE_EVERY, 100 // ranker.EXPLORE_EVERY)
    assert all(index >= top for index, flag in placed if flag)  # from outside the predicted top
    assert [index for index, flag in placed if not flag] == list(range(16))  # the rest best first
    after_two = ranker.order(scores, rng=rng, limit=10, phase=2)  # two decisions since: slots 2 and 7
    assert [i for i, (_, flag) in enumerate(after_two) if flag] == [2, 7]
    assert [index for index, _ in ranker.order(scores, rng=rng, explore=False, limit=5)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("decisions", "interval"), [(1, 1), (50, 1), (60, 6), (300, 30), (5_000, 100)])
def test_refits_grow_rarer_with_history_up_to_every_hundredth(decisions, interval):
    assert ranker.refit_interval(decisions) == interval


def test_the_first_deck_picks_one_paper_per_topic_and_the_same_ones_again(rng):
    papers = sparse.vstack([topic(5 * t, 30, rng) for t in range(8)]).tocsr()  # eight topics of 30
    picks = ranker.teaching_picks(papers, k=8)
    assert sorted(index // 30 for index in picks) == list(range(8))  # one from each topic
    assert ranker.teaching_picks(papers, k=8) == picks  # seeded: a rebuild draws the same
    assert ranker.teaching_picks(papers[:5], k=8) == [0, 1, 2, 3, 4]  # fewer papers than picks: all
    assert ranker.teaching(keeps=0, decisions=ranker.FIRST_CARDS - 1)
    assert not ranker.teaching(keeps=0, decisions=ranker.FIRST_CARDS)
    assert not ranker.teaching(keeps=1, decisions=1)  # the first keep (or a seed paper) ends it


def test_the_nearest_kept_paper_is_the_one_sharing_most_words():
    reader = ranker.learn(rows([0, 1, 2], [10, 11, 12]), rows([20, 21]))
    best, similarity = ranker.nearest_kept(reader, rows([10, 11, 13], [30]))
    assert best[0] == 1
    assert similarity[0] == pytest.approx(2 / 3)
    assert similarity[1] == 0
