"""The reader steers (issue 23 §5): what the deck has learned, in words, with follow, mute and forget; pause
learning; start over. Every control does what it says, checked in the model itself."""

import pytest
from django.test import Client

from deck import learned
from deck.models import DeckCard, DeckSettings, ForgottenFeature, ReaderModel, SeedPaper, Swipe
from deck.ranking import queues, reader_model
from papers import common_words
from papers.features import hashing
from papers.features.hashing import words
from papers.features.store import compute_features
from papers.models import Paper

from ..factories import PaperFactory, UserFactory
from .conftest import physics_reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "common_words_afresh")]


def quantum(paper: Paper) -> bool:
    return "quantum" in words(f"{paper.title} {paper.abstract}")


@pytest.fixture
def reader(client):
    """A reader who kept the quantum papers among the newest 120 and skipped the rest."""
    user = physics_reader()
    for paper in Paper.objects.order_by("-listed_at", "-id")[:120]:
        Swipe.objects.create(user=user, paper=paper, decision="keep" if quantum(paper) else "skip")
    queues.refresh_queue(user=user)
    client.force_login(user)
    return user


def weight(user, token: str) -> float:
    return float(reader_model.learned(user=user, refit=False).reader.weights[hashing.index_of(token)])


def in_deck(client, paper_id: int, decision: str):
    form = {"paper": paper_id, "decision": decision, "source": "key", "origin": "deck"}
    return client.post("/deck/decide/", form, HTTP_ACCEPT="application/json")


def test_the_page_shows_what_weighs_toward_a_keep_and_a_skip_with_its_controls(client, reader):
    seen = learned.what_it_learned(user=reader)
    assert seen.decisions == 120
    assert "quantum" in {f.label for f in seen.terms.keep} | {w for f in seen.terms.keep for w in f.label.split()}
    assert "quant-ph" in {f.label for f in seen.categories.keep}
    assert seen.terms.skip
    assert all(f.weight > 0 for f in seen.terms.keep)
    assert all(f.weight < 0 for f in seen.terms.skip)
    common = common_words.common()
    assert not {f.label for f in seen.terms.keep + seen.terms.skip} & common
    html = client.get("/settings/learned/").content.decode()
    top = seen.terms.keep[0]
    assert f'aria-label="Forget {top.label}"' in html
    assert f'aria-label="Follow {top.label}"' in html
    assert f'aria-label="Mute {top.label}"' in html
    assert 'href="/settings/learned/"' in client.get("/").content.decode()
    assert 'href="/settings/learned/"' in client.get("/settings/interests/").content.decode()


def test_forget_holds_a_weight_at_zero_until_the_reader_keeps_a_paper_with_it_again(client, reader):
    top = learned.what_it_learned(user=reader).terms.keep[0]
    assert weight(reader, top.token) > 0
    response = client.post("/settings/learned/forget/", {"kind": "term", "value": top.label}, follow=True)
    assert f"Forgot “{top.label}”" in response.content.decode()
    queues.update_queue(user=reader)  # the worker's rerank: a refit without it
    assert weight(reader, top.token) == 0
    assert ReaderModel.objects.get(user=reader).refit_due is False
    # The stored checkpoint too, which the merges of an announcement score with.
    columns, weights = reader_model.weights_of([ReaderModel.objects.get(user=reader)])[reader.pk]
    assert hashing.index_of(top.token) not in set(columns[weights != 0].tolist())
    seen = learned.what_it_learned(user=reader)
    assert top.token not in {f.token for f in seen.terms.keep + seen.terms.skip}
    assert [f.value for f in seen.forgotten] == [top.label]
    # Skipping a paper with it teaches nothing of it either; keeping one brings it back.
    with_it = PaperFactory(title=f"On {top.label}", abstract=f"More on {top.label}.")
    compute_features(paper_ids=[with_it.pk])
    assert top.token in reader_model.tokens_of_paper(with_it)
    in_deck(client, with_it.pk, "keep")
    queues.update_queue(user=reader)
    assert not ForgottenFeature.objects.filter(user=reader).exists()
    assert weight(reader, top.token) != 0


def test_learn_again_and_the_controls_are_private_checked_and_parsed(client, reader):
    anonymous = Client()
    assert anonymous.get("/settings/learned/")["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post("/settings/learned/forget/", {"kind": "term", "value": "quantum"}).status_code == 403
    assert strict.post("/settings/learned/start-over/", {"confirm": "on"}).status_code == 403
    assert not ForgottenFeature.objects.exists()
    client.post("/settings/learned/forget/", {"kind": "category", "value": "quant-ph"})
    forgotten = ForgottenFeature.objects.get(user=reader)
    assert forgotten.token == "category:quant-ph"
    other = Client()
    other.force_login(UserFactory())
    assert other.post(f"/settings/learned/{forgotten.pk}/again/").status_code == 404
    assert client.post(f"/settings/learned/{forgotten.pk}/again/").status_code == 302
    assert not ForgottenFeature.objects.exists()
    for bad in ({"kind": "category", "value": "xx.NOPE"}, {"kind": "term", "value": "quantum spin chain"}, {}):
        assert client.post("/settings/learned/forget/", bad).status_code == 400
    assert not ForgottenFeature.objects.exists()


def test_pause_keeps_decisions_out_of_the_model_and_the_order_as_it_is(client, reader):
    response = client.post("/settings/learned/pause/", {})
    assert response.status_code == 400  # not confirmed: said under the box
    assert '<p class="field-error" id="pause-confirm-error">Tick the box to confirm.</p>' in response.content.decode()
    assert not DeckSettings.objects.filter(user=reader, learning_paused=True).exists()
    client.post("/settings/learned/pause/", {"confirm": "on"})
    before = list(DeckCard.objects.filter(user=reader).order_by("rank").values_list("paper_id", flat=True))
    learned_before = ReaderModel.objects.get(user=reader)
    for paper_id in before[:5]:
        assert in_deck(client, paper_id, "keep").status_code == 200
    queues.update_queue(user=reader)  # even a rerank (rerank_stale) learns nothing from them
    assert set(Swipe.objects.filter(paper_id__in=before[:5]).values_list("teaches", flat=True)) == {False}
    after = list(DeckCard.objects.filter(user=reader).order_by("rank").values_list("paper_id", flat=True))
    assert after[:50] == before[5:55]  # the order stays
    model = ReaderModel.objects.get(user=reader)
    assert (model.keeps, model.skips, model.version) == (
        learned_before.keeps,
        learned_before.skips,
        learned_before.version,
    )
    assert "Learning is paused" in client.get("/settings/learned/").content.decode()

    client.post("/settings/learned/pause/", {"resume": "1"})
    in_deck(client, after[0], "skip")
    queues.update_queue(user=reader)
    assert reader_model.learned(user=reader).decisions == 121  # the 120 and the one after resuming


def test_start_over_learns_only_from_what_comes_after(client, reader):
    SeedPaper.objects.create(user=reader, paper=Paper.objects.exclude(swipes__user=reader).first())
    assert client.post("/settings/learned/start-over/", {}).status_code == 400
    client.post("/settings/learned/start-over/", {"confirm": "on"})
    assert not ReaderModel.objects.filter(user=reader).exists()
    assert Swipe.objects.filter(user=reader).count() == 120  # the history stays
    assert not learned.what_it_learned(user=reader).anything
    queues.update_queue(user=reader)
    queued = list(DeckCard.objects.filter(user=reader).order_by("rank").values_list("paper_id", flat=True))
    assert in_deck(client, queued[0], "keep").status_code == 200
    assert in_deck(client, queued[1], "skip").status_code == 200
    queues.update_queue(user=reader)
    model = ReaderModel.objects.get(user=reader)
    assert (model.keeps, model.skips) == (1, 1)  # neither the 120 before nor the seed paper
