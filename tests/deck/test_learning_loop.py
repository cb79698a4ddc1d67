"""The learning loop at a bounded cost (issue 21 §1): one pending rerank per reader, a stored model that each
decision updates and that is fitted again only now and then, the queue's own cards reordered between full
rescores, new papers merged without a rerank, and the next cards nudged within the request."""

import numpy as np
import pytest
import redis
from django.conf import settings as django_settings
from scipy import sparse
from scipy.stats import spearmanr

from deck import selectors
from deck import services as deck_services
from deck.models import DeckCard, QueueStamp, ReaderModel, Swipe
from deck.ranking import arrivals, queues, ranker, reader_model
from deck.tasks import queue_rerank, rerank
from papers.features import hashing
from papers.features.hashing import words
from papers.features.store import compute_features, matrix_for
from papers.models import Category, Paper
from paperswipe.celery import app

from ..factories import PaperFactory, UserFactory
from .conftest import physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture
def reader(catalog):
    return physics_reader()


@pytest.fixture
def small_history(monkeypatch):
    """Checkpoints from the sixth decision on, a refit every tenth: the update path on a small catalog."""
    monkeypatch.setattr(ranker, "SMALL_HISTORY", 5)
    monkeypatch.setattr(ranker, "REFIT_SHARE", 1)
    monkeypatch.setattr(ranker, "REFIT_EVERY", 10)


def about_quantum(paper_id: int) -> bool:
    return "quantum" in words(Paper.objects.get(pk=paper_id).title)


def queue(user) -> list[int]:
    return list(DeckCard.objects.filter(user=user).order_by("rank").values_list("paper_id", flat=True))


def decide(user, paper_id: int, decision: str) -> None:
    """A decision and the rerank a worker runs after it."""
    deck_services.decide(user=user, paper=Paper.objects.get(pk=paper_id), decision=decision)
    queues.update_queue(user=user)


# ---------------------------------------------------------------- one pending rerank per reader


@pytest.fixture
def rank_queue():
    """The real broker with no worker: what waits on the `rank` queue can be counted."""
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=django_settings.REDIS_URL, task_always_eager=False)
    app.control.purge()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    yield client
    app.control.purge()
    app.conf.update(saved)


def test_a_reader_has_at_most_one_rerank_waiting(rank_queue):
    alice, bob = UserFactory(), UserFactory()
    for _ in range(5):
        queue_rerank(alice.pk)
    for _ in range(3):
        queue_rerank(bob.pk)
    assert rank_queue.llen("rank") == 2

    # A worker takes alice's task: from then on a decision of hers asks for exactly one more.
    assert rank_queue.rpop("rank") is not None
    rerank.run(alice.pk)
    for _ in range(4):
        queue_rerank(alice.pk)
    assert rank_queue.llen("rank") == 2


def test_a_decision_during_a_rerank_queues_one_more(rank_queue, reader):
    queue_rerank(reader.pk)
    rank_queue.rpop("rank")  # the worker took it...
    rerank.run(reader.pk)  # ...and ran it; meanwhile nothing else was asked
    assert rank_queue.llen("rank") == 0
    paper = Paper.objects.order_by("-listed_at").first()
    deck_services.decide(user=reader, paper=paper, decision="keep")
    queue_rerank(reader.pk)  # what decide's on_commit does
    assert rank_queue.llen("rank") == 1


def test_the_merges_of_an_announcement_queue_apart_from_reranks(rank_queue, reader, monkeypatch):
    """Merges go to the `default` queue, which a worker takes from in turn with `rank`: they neither hold up
    a rerank for a whole announcement nor wait behind reranks for as long as anyone swipes."""
    from deck import receivers

    monkeypatch.setattr(receivers, "MERGE_BATCH", 2)
    for _ in range(3):
        UserFactory().followed_categories.add(Category.objects.get(code="quant-ph"))
    announced = list(Paper.objects.filter(primary_category__code="quant-ph").values_list("pk", flat=True)[:5])
    app.control.purge()  # the reranks the follows above asked for
    receivers.papers_arrived(sender=Paper, paper_ids=announced)
    queue_rerank(reader.pk)  # a decision after the announcement

    def waiting(queue: str) -> list[str]:
        taken = []
        with app.connection_for_read() as connection:
            while (message := connection.default_channel.basic_get(queue, no_ack=True)) is not None:
                taken.append(message.headers["task"])
        return taken

    assert waiting("rank") == ["deck.tasks.rerank"]
    assert waiting("default") == ["deck.tasks.merge_new_papers"] * 2  # the reader and 3 others, by 2


# ---------------------------------------------------------------- the stored model


def test_absorbing_decisions_moves_the_model_as_a_refit_does():
    """Fit on two topics, then absorb skips of a third: the scores of held-out papers follow a refit on
    all of it closely (rank correlation), and the third topic sinks."""
    rng = np.random.default_rng(7)

    def paper(topic: str) -> sparse.csr_matrix:
        topic_words = [f"{topic}{i}" for i in rng.choice(40, 8)]
        return hashing.vectorize([[*topic_words, *(f"common{i}" for i in rng.choice(200, 6))]])

    kept = sparse.vstack([paper("graph") for _ in range(40)]).tocsr()
    skipped = sparse.vstack([paper("star") for _ in range(60)]).tocsr()
    later = sparse.vstack([paper("spin") for _ in range(15)]).tocsr()
    held_out = sparse.vstack([paper(t) for t in ("graph", "star", "spin") for _ in range(30)]).tocsr()

    online = ranker.learn(kept, skipped)
    before = ranker.predict(online, held_out)
    for i in range(later.shape[0]):
        total = 40 + 60 + i + 1
        ranker.absorb(online, later[i], kept=False, weight=total / (2 * (60 + i + 1)))
    refit = ranker.learn(kept, sparse.vstack([skipped, later]).tocsr())

    after, expected = ranker.predict(online, held_out), ranker.predict(refit, held_out)
    assert spearmanr(after, expected).statistic > 0.9
    spin = slice(60, 90)
    assert after[spin].mean() < before[spin].mean() - 0.1
    assert after[:30].mean() > after[spin].mean()


def test_exploring_cards_reach_the_top_as_the_reader_decides_the_cards_before_them(reader):
    """The reorder after each decision keeps an exploring card in its place: it comes up in its turn."""
    queues.refresh_queue(user=reader)
    for i in range(6):  # a model first: exploring cards come with one
        decide(reader, queue(reader)[0], "keep" if i % 2 else "skip")
    queues.refresh_queue(user=reader)
    shown = []
    for _ in range(30):
        top = DeckCard.objects.filter(user=reader).order_by("rank").first()
        shown.append(top.exploring)
        decide(reader, top.paper_id, "keep" if about_quantum(top.paper_id) else "skip")
    assert 4 <= sum(shown) <= 8  # one in five, whatever the full rescores in between redraw


def test_past_a_small_history_decisions_are_absorbed_and_a_refit_comes_every_so_often(reader, small_history):
    newest = list(Paper.objects.order_by("-listed_at").values_list("pk", flat=True)[:40])
    queues.refresh_queue(user=reader)
    for pk in newest[:6]:
        decide(reader, pk, "keep" if about_quantum(pk) else "skip")
    checkpoint = ReaderModel.objects.get(user=reader)
    version = checkpoint.version
    for pk in newest[6:14]:
        decide(reader, pk, "keep" if about_quantum(pk) else "skip")
    checkpoint.refresh_from_db()
    assert checkpoint.version == version  # the refit was at the fifth: nine decisions absorbed since
    learned = reader_model.learned(user=reader)
    assert (learned.refitted, learned.absorbed) == (False, 9)
    decide(reader, newest[14], "skip")  # the tenth since the refit
    checkpoint.refresh_from_db()
    assert checkpoint.version == version + 1
    assert checkpoint.learned_through == Swipe.objects.filter(user=reader).latest("id").pk


def test_an_undo_refits_the_model_without_the_decision(reader, small_history):
    newest = list(Paper.objects.order_by("-listed_at").values_list("pk", flat=True)[:8])
    queues.refresh_queue(user=reader)
    for pk in newest:
        decide(reader, pk, "keep" if about_quantum(pk) else "skip")
    version = ReaderModel.objects.get(user=reader).version
    deck_services.undo_last(user=reader)
    assert ReaderModel.objects.get(user=reader).refit_due
    queues.update_queue(user=reader)
    checkpoint = ReaderModel.objects.get(user=reader)
    assert (checkpoint.version, checkpoint.refit_due) == (version + 1, False)
    assert checkpoint.keeps + checkpoint.skips == 7


def test_skips_absorbed_between_refits_sink_a_topic(reader, small_history):
    queues.refresh_queue(user=reader)
    before = queue(reader)
    base = sum(map(about_quantum, before[:60])) / 60
    quantum = [pk for pk in before if about_quantum(pk)][:8]
    others = [pk for pk in before if not about_quantum(pk)][:6]
    for pk in others:
        decide(reader, pk, "keep")
    for pk in quantum:  # absorbed: the refit after the fifth decision is the last one
        decide(reader, pk, "skip")
    assert ReaderModel.objects.get(user=reader).version == 5  # refitted up to the fifth decision only
    ranked = [c.paper_id for c in DeckCard.objects.filter(user=reader, exploring=False).order_by("rank")]
    assert sum(map(about_quantum, ranked[:60])) / 60 < base / 2


def test_a_change_of_categories_rescores_every_candidate(reader, small_history):
    queues.refresh_queue(user=reader)
    stamp = QueueStamp.objects.get(user=reader)
    reader.followed_categories.add(Category.objects.get(code="math.AG"))
    stamp.refresh_from_db()
    assert stamp.rescore_due
    queues.update_queue(user=reader)
    stamp.refresh_from_db()
    assert not stamp.rescore_due
    assert stamp.rescored_from == stamp.built_from


# ---------------------------------------------------------------- new papers


def likes_quantum(reader) -> list[int]:
    """Four keeps on quantum papers and eight skips of others, each reranked; returns the kept papers."""
    queues.refresh_queue(user=reader)
    before = queue(reader)
    kept = [pk for pk in before if about_quantum(pk)][:4]
    for pk in kept + [pk for pk in before if not about_quantum(pk)][:8]:
        decide(reader, pk, "keep" if pk in kept else "skip")
    return kept


def test_new_papers_are_merged_into_the_queue_without_a_rerank(
    reader, small_history, django_capture_on_commit_callbacks
):
    kept = likes_quantum(reader)
    model = ReaderModel.objects.get(user=reader)
    built_from = QueueStamp.objects.get(user=reader).built_from
    queued = DeckCard.objects.filter(user=reader).count()  # decisions since the full rescore took cards out
    kept_title = Paper.objects.get(pk=kept[0]).title
    quant_ph = Category.objects.get(code="quant-ph")
    alike = PaperFactory(primary_category=quant_ph, title=kept_title, abstract="Quantum entanglement of spin chains.")
    unlike = PaperFactory(primary_category=quant_ph, title="Tax policy", abstract="Fiscal rules for small towns.")
    with django_capture_on_commit_callbacks(execute=True):  # the features' signal queues the merge
        compute_features(paper_ids=[alike.pk, unlike.pk])
    ranks = dict(DeckCard.objects.filter(user=reader).values_list("paper_id", "rank"))
    assert alike.pk in ranks
    assert ranks[alike.pk] < ranks.get(unlike.pk, queues.QUEUE_LENGTH)
    merged = len(ranks.keys() & {alike.pk, unlike.pk})
    assert DeckCard.objects.filter(user=reader).count() == min(queues.QUEUE_LENGTH, queued + merged)
    assert ReaderModel.objects.get(user=reader).version == model.version  # no refit
    assert QueueStamp.objects.get(user=reader).built_from == built_from  # nothing new was learned


def test_a_merge_leaves_out_what_the_reader_does_not_want_and_keeps_the_queue_whole(reader, small_history):
    from deck.models import DeckSettings, Interest

    kept = likes_quantum(reader)
    DeckSettings.objects.create(user=reader, include_cross_lists=False)
    deck_services.set_interest(user=reader, kind=Interest.Kind.AUTHOR, value="Mallory Muted", stance="mute")
    deck_services.set_interest(user=reader, kind=Interest.Kind.KEYWORD, value="Tonpi", stance="mute")
    queues.update_queue(user=reader)
    quant_ph, math_ag = Category.objects.get(code="quant-ph"), Category.objects.get(code="math.AG")
    like = Paper.objects.get(pk=kept[0])
    text = {"title": like.title, "abstract": like.abstract}
    wanted = PaperFactory(primary_category=quant_ph, **text)
    cross = PaperFactory(primary_category=quant_ph, announce_type="cross", **text)
    muted = PaperFactory(primary_category=quant_ph, authors=[{"name": "Mallory Muted"}], **text)
    elsewhere = PaperFactory(primary_category=math_ag, **text)
    # The deck's SQL matches a keyword's English word forms (PostgreSQL's stemming): "Tonpi" mutes "tonpis".
    stemmed = PaperFactory(primary_category=quant_ph, title=f"{like.title} of tonpis", abstract=like.abstract)
    decided = PaperFactory(primary_category=quant_ph, **text)
    deck_services.decide(user=reader, paper=decided, decision="skip")
    new = [wanted, cross, muted, stemmed, elsewhere, decided]
    compute_features(paper_ids=[p.pk for p in new])

    arrivals.merge_papers(user_ids=[reader.pk], paper_ids=[p.pk for p in new])

    cards = list(DeckCard.objects.filter(user=reader).order_by("rank").values_list("paper_id", "rank"))
    papers = [pk for pk, _ in cards]
    assert wanted.pk in papers
    assert not {cross.pk, muted.pk, stemmed.pk, elsewhere.pk, decided.pk} & set(papers)
    ranks = [rank for _, rank in cards]
    assert ranks == sorted(set(ranks))  # no two cards at one rank
    assert len(set(papers)) == len(papers) <= queues.QUEUE_LENGTH
    card = DeckCard.objects.get(user=reader, paper=wanted)
    assert card.reason or card.reason_paper_id  # a merged card says why, too


def test_a_batch_of_followers_is_merged_in_queries_that_do_not_grow_with_it(reader, small_history):
    """A merge task's followers are read and written together; one who decided a paper since their model
    was stored has the decision absorbed and never gets that paper; one without a queue is rebuilt."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    kept = likes_quantum(reader)
    model = ReaderModel.objects.get(user=reader)
    queued = list(DeckCard.objects.filter(user=reader))
    quant_ph = Category.objects.get(code="quant-ph")
    like = Paper.objects.get(pk=kept[0])
    alike = PaperFactory(primary_category=quant_ph, title=like.title, abstract=like.abstract)
    compute_features(paper_ids=[alike.pk])

    def follower(*, decided: bool = False) -> object:
        """The reader's model and queue under another account, as a copy would stand."""
        user = UserFactory()
        user.followed_categories.set(reader.followed_categories.all())
        ReaderModel.objects.create(
            user=user,
            features=model.features,
            intercept=model.intercept,
            keeps=model.keeps,
            skips=model.skips,
            refit_at=timezone.now(),
        )
        fields = ("paper_id", "rank", "score", "exploring", "reason")
        DeckCard.objects.bulk_create([DeckCard(user=user, **{f: getattr(c, f) for f in fields}) for c in queued])
        if decided:
            deck_services.decide(user=user, paper=alike, decision="skip")
        return user

    def merge(users) -> int:
        with CaptureQueriesContext(connection) as queries:
            arrivals.merge_papers(user_ids=[u.pk for u in users], paper_ids=[alike.pk])
        return len(queries)

    few = [follower(), follower(decided=True)]
    many = [follower() for _ in range(6)] + [follower(decided=True)]
    merge([follower()])  # from its first merge task on, a worker holds the announced papers
    assert merge(few) == merge(many)
    for user in few + many:
        cards = {
            pk: (reason, like)
            for pk, reason, like in DeckCard.objects.filter(user=user).values_list(
                "paper_id", "reason", "reason_paper_id"
            )
        }
        decided = Swipe.objects.filter(user=user, paper=alike).exists()
        assert (alike.pk in cards) is not decided
        assert decided or any(cards[alike.pk])  # a merged card says why, too
        assert len(cards) <= queues.QUEUE_LENGTH


def test_a_reader_without_a_model_gets_the_new_papers_first_after_the_first_deck(reader, small_history):
    """Before a first decision the deck is newest first after the first deck's picks: a queue has the new
    papers put right behind them; without a queue the deck reads the newest papers, these first, and nothing
    is written."""
    quant_ph = Category.objects.get(code="quant-ph")
    fresh = PaperFactory(primary_category=quant_ph, title="Tax policy", abstract="Fiscal rules for small towns.")
    compute_features(paper_ids=[fresh.pk])
    newcomer = UserFactory()
    newcomer.followed_categories.set(reader.followed_categories.all())

    assert arrivals.merge_papers(user_ids=[newcomer.pk], paper_ids=[fresh.pk]) == 0
    assert not DeckCard.objects.filter(user=newcomer).exists()
    assert selectors.next_cards(user=newcomer)[0].pk == fresh.pk

    queues.refresh_queue(user=newcomer)  # as following categories has a worker do
    DeckCard.objects.filter(user=newcomer, paper=fresh).delete()  # as if built before the paper came
    assert arrivals.merge_papers(user_ids=[newcomer.pk], paper_ids=[fresh.pk]) == 1
    cards = list(DeckCard.objects.filter(user=newcomer).order_by("rank"))
    picks = [card for card in cards if card.reason == queues.TEACHING]
    assert len(picks) >= ranker.FIRST_CARDS - 1
    assert cards[: len(picks)] == picks  # the first deck stays first
    assert (cards[len(picks)].paper_id, cards[len(picks)].reason) == (fresh.pk, "Newest in your categories")


def test_a_merge_into_a_full_queue_takes_only_papers_that_beat_its_weakest(reader, small_history):
    kept = likes_quantum(reader)
    queues.refresh_queue(user=reader)
    assert DeckCard.objects.filter(user=reader).count() == queues.QUEUE_LENGTH
    quant_ph = Category.objects.get(code="quant-ph")
    like = Paper.objects.get(pk=kept[0])
    liked = PaperFactory(primary_category=quant_ph, title=like.title, abstract=like.abstract)
    disliked = PaperFactory(primary_category=quant_ph, title="Tax policy", abstract="Fiscal rules for small towns.")
    compute_features(paper_ids=[liked.pk, disliked.pk])
    learned = reader_model.learned(user=reader, refit=False)
    _, rows = matrix_for([liked.pk, disliked.pk])
    liked_score, disliked_score = ranker.predict(learned.reader, rows)
    assert liked_score > disliked_score
    weakest = (liked_score + disliked_score) / 2  # the queue's cards all score between the two
    DeckCard.objects.filter(user=reader).update(score=weakest)

    assert arrivals.merge_papers(user_ids=[reader.pk], paper_ids=[liked.pk, disliked.pk]) == 1

    papers = queue(reader)
    assert liked.pk in papers
    assert disliked.pk not in papers
    assert len(papers) == queues.QUEUE_LENGTH


def test_a_merge_writes_the_new_cards_between_the_queued_ones_without_moving_them(reader, small_history):
    kept = likes_quantum(reader)
    queues.refresh_queue(user=reader)
    before = dict(DeckCard.objects.filter(user=reader).values_list("pk", "rank"))
    quant_ph = Category.objects.get(code="quant-ph")
    like = Paper.objects.get(pk=kept[0])
    liked = PaperFactory(primary_category=quant_ph, title=like.title, abstract=like.abstract)
    compute_features(paper_ids=[liked.pk])

    assert arrivals.merge_papers(user_ids=[reader.pk], paper_ids=[liked.pk]) == 1

    after = dict(DeckCard.objects.filter(user=reader).values_list("pk", "rank"))
    assert len(after) == queues.QUEUE_LENGTH
    (dropped,) = before.keys() - after.keys()  # the last card, pushed out of a full queue
    assert before[dropped] == max(before.values())
    assert all(after[pk] == rank for pk, rank in before.items() if pk != dropped)  # no queued card rewritten
    cards = list(DeckCard.objects.filter(user=reader).order_by("rank"))
    at = [c.paper_id for c in cards].index(liked.pk)
    ranked_below = [c.score for c in cards[at + 1 :] if not c.exploring]
    assert all(score < cards[at].score for score in ranked_below)


def test_a_queue_without_room_between_its_ranks_is_renumbered_by_a_merge(reader, small_history):
    """Ranks written before RANK_STEP (0, 1, 2, ...) leave no room: the merge renumbers that queue once."""
    kept = likes_quantum(reader)
    queues.refresh_queue(user=reader)
    for position, card in enumerate(DeckCard.objects.filter(user=reader).order_by("rank")):
        DeckCard.objects.filter(pk=card.pk).update(rank=position)
    quant_ph = Category.objects.get(code="quant-ph")
    like = Paper.objects.get(pk=kept[0])
    liked = PaperFactory(primary_category=quant_ph, title=like.title, abstract=like.abstract)
    compute_features(paper_ids=[liked.pk])

    assert arrivals.merge_papers(user_ids=[reader.pk], paper_ids=[liked.pk]) == 1

    ranks = list(DeckCard.objects.filter(user=reader).order_by("rank").values_list("rank", flat=True))
    assert ranks == [(i + 1) * queues.RANK_STEP for i in range(queues.QUEUE_LENGTH)]
    assert liked.pk in queue(reader)


# ---------------------------------------------------------------- the nudge within the request


def test_three_skips_on_a_topic_and_the_next_card_is_not_on_it(reader, client):
    """No worker runs here (on_commit callbacks do not run in this test's transaction): only the nudge."""
    queues.refresh_queue(user=reader)
    cards = list(DeckCard.objects.filter(user=reader).order_by("rank"))
    quantum = [c for c in cards if about_quantum(c.paper_id)][:12]
    rest = [c for c in cards if not about_quantum(c.paper_id)]
    for rank, card in enumerate(quantum + rest):  # the deck opens on a run of one topic
        card.rank = rank
    DeckCard.objects.bulk_update(cards, ["rank"])
    client.force_login(reader)
    withdrawn = []
    for card in quantum[:3]:
        reply = client.post(
            "/deck/decide/", {"paper": card.paper_id, "decision": "skip"}, headers={"accept": "application/json"}
        )
        assert reply.status_code == 200
        withdrawn += reply.json()["withdrawn"]
    assert withdrawn
    assert all(about_quantum(pk) for pk in withdrawn[:3])
    nxt = client.get("/deck/cards/?count=1", headers={"accept": "application/json"}).json()["cards"][0]
    next_id = int(nxt.split('data-paper="', 1)[1].split('"', 1)[0])
    assert not about_quantum(next_id)
    assert QueueStamp.objects.filter(user=reader).first().built_from < Swipe.objects.latest("created_at").created_at


def test_a_keep_brings_the_cards_most_like_it_forward(reader):
    queues.refresh_queue(user=reader)
    decided = DeckCard.objects.filter(user=reader).order_by("rank")[0].paper_id
    deck_services.decide(user=reader, paper=Paper.objects.get(pk=decided), decision="keep")
    window = list(DeckCard.objects.filter(user=reader).order_by("rank")[: queues.NUDGE_WINDOW])
    assert queues.nudge_queue(user=reader, paper_id=decided, kept=True) == []
    after = list(DeckCard.objects.filter(user=reader).order_by("rank")[: queues.NUDGE_WINDOW])
    assert {c.paper_id for c in after} == {c.paper_id for c in window}  # the window keeps its cards
    _, rows = matrix_for([decided, *(c.paper_id for c in after)])
    similarity = (rows[1:] @ rows[0].T).toarray().ravel()
    alike = similarity >= queues.NUDGE_SIMILARITY
    assert 0 < alike.sum() < len(after)
    assert list(alike) == sorted(alike, reverse=True)  # every card like it before every other
    assert [c.paper_id for c in after] != [c.paper_id for c in window]


@pytest.mark.parametrize("rows", [1, 2, 31])
def test_the_nudge_measures_likeness_as_the_sparse_product_does(rows):
    rng = np.random.default_rng(rows)
    matrix = sparse.random(rows, hashing.N_FEATURES, density=3e-4, format="csr", dtype=np.float32, random_state=rng)
    shared = matrix.indices[: matrix.indptr[1]][:5]
    matrix = sparse.vstack(
        [
            matrix,
            sparse.csr_matrix((np.ones(len(shared)), (np.zeros(len(shared)), shared)), shape=(1, hashing.N_FEATURES)),
        ]
    ).tocsr()
    expected = (matrix[1:] @ matrix[0].T).toarray().ravel()
    assert np.allclose(queues._similarities_to_first(matrix), expected)
    assert expected[-1] > 0  # the row sharing the first's words is measured alike
    empty_first = sparse.vstack([sparse.csr_matrix((1, hashing.N_FEATURES)), matrix]).tocsr()
    assert list(queues._similarities_to_first(empty_first)) == [0.0] * matrix.shape[0]


def test_queue_writes_commit_without_waiting_for_the_disk_and_decisions_wait(reader, catalog):
    """A rerank's rows can be rebuilt (rerank_stale finds a queue older than the last decision): they skip the
    WAL flush; a decision is acknowledged only once it is on disk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    relaxed = "SET LOCAL synchronous_commit TO OFF"
    with CaptureQueriesContext(connection) as rerank:
        queues.refresh_queue(user=reader)
    with CaptureQueriesContext(connection) as decision:
        deck_services.decide_in_deck(user=reader, paper=catalog.first(), decision="skip")
    assert relaxed in [q["sql"] for q in rerank.captured_queries]
    assert relaxed not in [q["sql"] for q in decision.captured_queries]
    with queues.derived_write(), connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
