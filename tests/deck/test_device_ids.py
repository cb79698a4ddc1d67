"""Decisions carry the id their page made for them: a queue sent again after a lost answer stores each
once, a decision made meanwhile elsewhere stands and the late one is refused in words, and an undo queued
offline takes back the decision it names."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deck.models import Postponed, Swipe
from library.models import ReadingListEntry

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def papers(cs_cy):
    now = timezone.now()
    return [
        PaperFactory(primary_category=cs_cy, listed_at=now - dt.timedelta(hours=i), title=f"Paper <{i}> & co")
        for i in range(4)
    ]


@pytest.fixture
def reader(client, user):
    client.force_login(user)
    return user


def decide(client, paper, decision, device_id, **extra):
    data = {"paper": paper.pk, "decision": decision, "source": "gesture", "origin": "deck", "device_id": device_id}
    return client.post("/deck/decide/", data, **extra)


def test_a_resent_decision_is_the_same_decision(client, reader, papers):
    device_id = str(uuid.uuid4())
    first = decide(client, papers[0], "keep", device_id, **JSON)
    again = decide(client, papers[0], "keep", device_id, **JSON)
    assert first.json()["decided"] == {"created": True, "decision": "keep"}
    assert again.status_code == 200
    assert again.json()["decided"] == {"created": False, "decision": "keep"}
    swipe = Swipe.objects.get(user=reader)
    assert str(swipe.device_id) == device_id
    assert ReadingListEntry.objects.filter(reading_list__user=reader, paper=papers[0]).count() == 1


def test_a_decision_made_first_elsewhere_stands_and_the_late_one_is_refused_in_words(client, reader, papers):
    decide(client, papers[0], "keep", str(uuid.uuid4()), **JSON)  # on the phone, online
    late = decide(client, papers[0], "skip", str(uuid.uuid4()), **JSON)  # the laptop's offline queue
    assert late.status_code == 409
    assert (
        late.json()["error"]
        == ("You had kept “Paper &lt;0&gt; &amp; co” already, on another device or tab; that decision stands.")
        or late.json()["error"]
        == "You had kept “Paper <0> & co” already, on another device or tab; that decision stands."
    )
    assert list(Swipe.objects.filter(user=reader).values_list("decision", flat=True)) == ["keep"]


def test_without_json_the_refusal_is_a_message_on_the_deck(client, reader, papers):
    decide(client, papers[0], "skip", str(uuid.uuid4()))
    response = decide(client, papers[0], "keep", str(uuid.uuid4()), follow=True)
    assert "You had skipped “Paper &lt;0&gt; &amp; co” already" in response.content.decode()


def test_one_id_cannot_name_two_decisions(client, reader, papers):
    device_id = str(uuid.uuid4())
    decide(client, papers[0], "keep", device_id, **JSON)
    reused = decide(client, papers[1], "keep", device_id, **JSON)
    assert reused.status_code == 409
    assert not Swipe.objects.filter(user=reader, paper=papers[1]).exists()


def test_the_database_holds_the_rule(reader, papers):
    device_id = uuid.uuid4()
    Swipe.objects.create(user=reader, paper=papers[0], decision="keep", device_id=device_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Swipe.objects.create(user=reader, paper=papers[1], decision="skip", device_id=device_id)
    other = UserFactory()
    Swipe.objects.create(user=other, paper=papers[0], decision="keep", device_id=device_id)  # per reader
    Swipe.objects.create(user=reader, paper=papers[2], decision="keep")  # decisions without an id: any number
    Swipe.objects.create(user=reader, paper=papers[3], decision="keep")


def test_a_bad_id_is_refused(client, reader, papers):
    response = decide(client, papers[0], "keep", "not-a-uuid", **JSON)
    assert response.status_code == 400
    assert not Swipe.objects.exists()


def test_an_undo_queued_offline_takes_back_the_decision_it_names_once(client, reader, papers):
    named, later = str(uuid.uuid4()), str(uuid.uuid4())
    decide(client, papers[0], "keep", named, **JSON)
    decide(client, papers[1], "skip", later, **JSON)
    undone = client.post("/deck/undo/", {"device_id": named}, **JSON).json()
    assert undone["undone"] == papers[0].arxiv_id
    assert set(Swipe.objects.filter(user=reader).values_list("paper_id", flat=True)) == {papers[1].pk}
    assert not ReadingListEntry.objects.filter(reading_list__user=reader, paper=papers[0]).exists()
    again = client.post("/deck/undo/", {"device_id": named}, **JSON).json()
    assert again["undid"] == "There is nothing to undo."
    assert Swipe.objects.filter(user=reader).count() == 1


def test_an_undo_cannot_reach_another_readers_decision(client, reader, papers):
    other = UserFactory()
    device_id = uuid.uuid4()
    Swipe.objects.create(user=other, paper=papers[0], decision="keep", device_id=device_id)
    response = client.post("/deck/undo/", {"device_id": str(device_id)}, **JSON).json()
    assert response["undid"] == "There is nothing to undo."
    assert Swipe.objects.filter(user=other).count() == 1


def test_a_queue_sent_under_another_readers_session_is_refused(client, reader, papers):
    alice = UserFactory()
    response = client.post(
        "/deck/decide/",
        {"paper": papers[0].pk, "decision": "keep", "device_id": str(uuid.uuid4())},
        HTTP_X_PAPERSWIPE_READER=str(alice.pk),
        **JSON,
    )
    assert response.status_code == 403
    assert not Swipe.objects.exists()
    own = client.post(
        "/deck/decide/",
        {"paper": papers[0].pk, "decision": "keep", "device_id": str(uuid.uuid4())},
        HTTP_X_PAPERSWIPE_READER=str(reader.pk),
        **JSON,
    )
    assert own.status_code == 200
    assert Swipe.objects.get().user == reader


def test_a_queue_sent_after_the_session_ended_is_refused(client, reader, papers):
    client.logout()
    response = client.post(
        "/deck/decide/", {"paper": papers[0].pk, "decision": "keep"}, HTTP_X_PAPERSWIPE_READER=str(reader.pk), **JSON
    )
    assert response.status_code == 403
    assert not Swipe.objects.exists()


def test_an_undo_queued_offline_takes_back_that_papers_not_now_once(client, reader, papers):
    client.post("/deck/later/", {"paper": papers[0].pk}, **JSON)
    decide(client, papers[1], "keep", str(uuid.uuid4()), **JSON)  # made after it: an undo of the latest would take this
    undone = client.post("/deck/undo/", {"postponed": papers[0].pk}, **JSON).json()
    assert undone["undone"] == papers[0].arxiv_id
    assert not Postponed.objects.filter(user=reader).exists()
    again = client.post("/deck/undo/", {"postponed": papers[0].pk}, **JSON).json()
    assert again["undid"] == "There is nothing to undo."
    assert Swipe.objects.filter(user=reader, paper=papers[1]).exists()  # the keep stands
