"""The Zotero Web API client against the stand-in on 127.0.0.1: key check, collection, batched writes
with write tokens, waits that Zotero asks for, per-object failures, updates, and a key kept out of logs."""

import logging

import pytest
import requests

from library.zotero.client import (
    BATCH_MAX,
    ZoteroKeyError,
    ZoteroUnavailable,
    client_from_settings,
)
from library.zotero.items import zotero_item

from ..conftest import Sleeps
from ..factories import PaperFactory
from ..zotero_standin import KEY, OTHER_USERS_KEY, READ_ONLY_KEY, USER


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(zotero, sleeps):
    return client_from_settings(sleep=sleeps)


@pytest.fixture
def items(db):
    def make(n: int) -> list[dict]:
        return [zotero_item(PaperFactory()) for _ in range(n)]

    return make


# ---------------------------------------------------------------- the key


def test_a_valid_key_with_write_access_passes(client, zotero):
    info = client.check_key(user_id=USER, api_key=KEY)
    assert (info.user_id, info.can_write) == (USER, True)
    request = zotero.requests[-1]
    assert request.path == "/keys/current"
    assert request.headers["Zotero-API-Key"] == KEY
    assert request.api_version == "3"


def test_an_unknown_key_is_refused_with_a_clear_message(client, zotero):
    with pytest.raises(ZoteroKeyError, match="does not accept this API key"):
        client.check_key(user_id=USER, api_key="NotAKeyZoteroKnowsAbout")
    assert zotero.requests[-1].status == 403


def test_a_read_only_key_is_refused(client):
    with pytest.raises(ZoteroKeyError, match="cannot write"):
        client.check_key(user_id=USER, api_key=READ_ONLY_KEY)


def test_another_users_key_is_refused(client):
    with pytest.raises(ZoteroKeyError, match=f"not a key of Zotero user {USER}"):
        client.check_key(user_id=USER, api_key=OTHER_USERS_KEY)


def test_a_user_id_that_is_not_a_number_never_reaches_a_url(client, zotero):
    with pytest.raises(ZoteroKeyError, match="is a number"):
        client.check_key(user_id="../keys", api_key=KEY)
    assert zotero.requests == []


# ---------------------------------------------------------------- the collection


def test_the_collection_is_created_once_then_found(client, zotero):
    first = client.ensure_collection(user_id=USER, api_key=KEY, name="PaperSwipe")
    assert [c["data"]["name"] for c in zotero.library(USER).collections.values()] == ["PaperSwipe"]
    assert len(zotero.writes("/collections")) == 1

    again = client.ensure_collection(user_id=USER, api_key=KEY, name="PaperSwipe")
    assert again == first
    assert len(zotero.library(USER).collections) == 1
    assert len(zotero.writes("/collections")) == 1


def test_a_collection_past_the_first_page_is_found(client, zotero):
    library = zotero.library(USER)
    for n in range(150):
        key = f"C{n:07d}"
        library.collections[key] = {"key": key, "version": 1, "data": {"key": key, "version": 1, "name": f"c{n}"}}
    library.collections["WANTED01"] = {"key": "WANTED01", "version": 1, "data": {"name": "PaperSwipe"}}

    assert client.ensure_collection(user_id=USER, api_key=KEY, name="PaperSwipe") == "WANTED01"
    listings = [r for r in zotero.requests if r.method == "GET"]
    assert [r.params["start"] for r in listings] == ["0", "100"]
    assert zotero.writes("/collections") == []


# ---------------------------------------------------------------- writes


def test_the_first_write_creates_the_items(client, zotero, items):
    sent = items(3)
    result = client.write_items(user_id=USER, api_key=KEY, items=sent)

    assert result.ok
    stored = zotero.library(USER).items
    assert set(result.keys) == {0, 1, 2}
    assert [stored[result.keys[i]]["data"]["title"] for i in range(3)] == [item["title"] for item in sent]
    assert stored[result.keys[0]]["data"]["DOI"] == sent[0]["DOI"]


def test_120_items_go_in_three_batches_with_distinct_write_tokens(client, zotero, items):
    sent = items(120)
    result = client.write_items(user_id=USER, api_key=KEY, items=sent)

    writes = zotero.writes()
    assert [len(r.body) for r in writes] == [50, 50, 20]
    assert all(len(r.body) <= BATCH_MAX for r in writes)
    tokens = [r.write_token for r in writes]
    assert len(set(tokens)) == 3
    assert all(t and len(t) == 32 for t in tokens)
    assert sorted(result.keys) == list(range(120))
    stored = zotero.library(USER).items
    assert len(stored) == 120
    # Every index maps to the item that was sent at that index, across batches.
    assert all(stored[result.keys[i]]["data"]["url"] == sent[i]["url"] for i in range(120))


@pytest.mark.parametrize(("status", "header", "wait"), [(429, {"retry_after": 7}, 7.0), (503, {"backoff": 12}, 12.0)])
def test_a_429_or_503_is_waited_out_and_the_batch_retried_with_the_same_token(
    client, zotero, items, sleeps, status, header, wait
):
    zotero.fail("status", code=status, **header)
    result = client.write_items(user_id=USER, api_key=KEY, items=items(2))

    assert sleeps == [wait]
    writes = zotero.writes()
    assert [r.status for r in writes] == [status, 200]
    assert writes[0].write_token == writes[1].write_token
    assert result.ok
    assert len(zotero.library(USER).items) == 2


def test_a_backoff_on_a_success_delays_the_next_batch(client, zotero, items, sleeps):
    zotero.fail("backoff", seconds=5)
    result = client.write_items(user_id=USER, api_key=KEY, items=items(60))

    assert sleeps == [5.0]
    assert [r.status for r in zotero.writes()] == [200, 200]
    assert len(result.keys) == 60


def test_zotero_that_keeps_refusing_ends_in_unavailable(client, zotero, items, sleeps):
    zotero.fail("status", times=10, code=503, retry_after=1)
    with pytest.raises(ZoteroUnavailable, match="HTTP 503"):
        client.write_items(user_id=USER, api_key=KEY, items=items(1))
    assert len(zotero.writes()) == client.transport.max_attempts
    assert sleeps == [1.0] * (client.transport.max_attempts - 1)
    assert zotero.library(USER).items == {}


def test_a_refused_object_is_reported_for_its_index_while_the_others_are_written(client, zotero, items):
    sent = items(3)
    del sent[1]["itemType"]
    result = client.write_items(user_id=USER, api_key=KEY, items=sent)

    assert not result.ok
    assert set(result.failures) == {1}
    assert "itemType" in result.failures[1]
    assert result.failures[1].startswith("400")
    assert set(result.keys) == {0, 2}
    assert len(zotero.library(USER).items) == 2


def test_a_read_only_key_cannot_write(client, zotero, items):
    with pytest.raises(ZoteroKeyError):
        client.write_items(user_id=USER, api_key=READ_ONLY_KEY, items=items(1))
    assert zotero.writes()[0].status == 403
    assert zotero.library(USER).items == {}


def test_an_update_with_key_and_version_changes_the_stored_item(client, zotero, items):
    first = client.write_items(user_id=USER, api_key=KEY, items=items(1))
    key, version = first.keys[0], first.versions[0]

    update = {"key": key, "version": version, "extra": "arXiv:2511.10000 [cs.LG]\nComment: v2 adds proofs"}
    second = client.write_items(user_id=USER, api_key=KEY, items=[update])

    assert second.ok
    assert second.keys == {0: key}
    stored = zotero.library(USER).items
    assert len(stored) == 1
    assert stored[key]["data"]["extra"].endswith("v2 adds proofs")
    assert stored[key]["version"] > version
    assert stored[key]["data"]["itemType"] == "preprint"


def test_an_update_with_a_stale_version_is_reported(client, zotero, items):
    first = client.write_items(user_id=USER, api_key=KEY, items=items(1))
    stale = {"key": first.keys[0], "version": first.versions[0] - 1, "title": "Changed"}

    result = client.write_items(user_id=USER, api_key=KEY, items=[stale])
    assert result.failures[0].startswith("412")


def test_a_batch_written_but_unanswered_is_not_written_twice_and_its_keys_are_recovered(client, zotero, items):
    client.write_items(user_id=USER, api_key=KEY, items=items(3))  # already in the library, not in the batch
    batch = items(2)
    zotero.fail("lost")

    result = client.write_items(user_id=USER, api_key=KEY, items=batch)

    writes = zotero.writes()[1:]
    assert [r.status for r in writes] == [200, 412]
    assert writes[0].write_token == writes[1].write_token
    assert len(zotero.library(USER).items) == 5
    assert result.ok
    stored = zotero.library(USER).items
    assert [stored[result.keys[i]]["data"]["archiveID"] for i in (0, 1)] == [item["archiveID"] for item in batch]
    read_back = zotero.requests[-1]
    assert (read_back.method, read_back.params["since"]) == ("GET", "1")  # only what changed after version 1


def test_the_standin_refuses_what_zotero_refuses(zotero, items):
    base = f"{zotero.base_url}/users/{USER}/items"
    three = items(3)
    assert requests.get(f"{zotero.base_url}/keys/current", timeout=5).status_code == 403
    too_many = requests.post(base, json=three * 17, headers={"Zotero-API-Key": KEY}, timeout=5)
    assert too_many.status_code == 413
    # No Zotero-API-Version: answered as version 3, and recorded.
    first = requests.post(base, json=three, headers={"Zotero-API-Key": KEY, "Zotero-Write-Token": "a" * 32}, timeout=5)
    assert first.status_code == 200
    assert zotero.requests[-1].api_version is None
    again = requests.post(base, json=three, headers={"Zotero-API-Key": KEY, "Zotero-Write-Token": "a" * 32}, timeout=5)
    assert again.status_code == 412
    assert len(zotero.library(USER).items) == 3


# ---------------------------------------------------------------- the key stays out of logs


def test_the_key_never_appears_in_log_output(client, zotero, items, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 and requests log too
    zotero.fail("status", code=429, retry_after=1)
    zotero.fail("status", code=503, backoff=1)
    client.check_key(user_id=USER, api_key=KEY)
    client.ensure_collection(user_id=USER, api_key=KEY, name="PaperSwipe")
    client.write_items(user_id=USER, api_key=KEY, items=items(2))
    with pytest.raises(ZoteroKeyError) as refused:
        client.check_key(user_id=USER, api_key=READ_ONLY_KEY)

    assert any("Zotero" in r.getMessage() for r in caplog.records)  # the retries were logged
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert KEY not in logged
    assert READ_ONLY_KEY not in logged
    assert READ_ONLY_KEY not in str(refused.value)


# ---------------------------------------------------------------- finding a paper already there


@pytest.mark.parametrize(
    ("data", "names_it"),
    [
        ({"DOI": "10.48550/arXiv.2401.01234"}, True),
        ({"DOI": "10.48550/ARXIV.2401.01234"}, True),  # DOIs are case-insensitive
        ({"archiveID": "arXiv:2401.01234"}, True),
        ({"url": "https://arxiv.org/abs/2401.01234v3"}, True),
        ({"url": "http://arxiv.org/pdf/2401.01234.pdf"}, True),
        ({"extra": "Type: article\narXiv: 2401.01234"}, True),  # Better BibTeX and our RIS import
        ({"extra": "arXiv:2401.01234 [cs.LG]"}, True),  # Zotero's arXiv translator
        ({"extra": "Cites arXiv:2401.01234"}, False),  # a mention is not the paper
        ({"url": "https://arxiv.org/abs/2401.012345"}, False),
        ({"archiveID": "arXiv:2401.01234", "DOI": ""}, True),
        ({"title": "2401.01234"}, False),
    ],
)
def test_an_item_names_a_paper_only_by_its_identifiers(data, names_it):
    from library.zotero.client import names_paper

    assert names_paper(data, "2401.01234") is names_it


def test_a_paper_already_in_the_library_is_found_by_its_identifiers(client, zotero, items):
    first, second = items(2)
    mention = {**items(1)[0], "extra": f"Cites {first['archiveID']}"}
    client.write_items(user_id=USER, api_key=KEY, items=[first, mention])
    arxiv_id = first["archiveID"].removeprefix("arXiv:")

    found = client.find_arxiv_item(user_id=USER, api_key=KEY, arxiv_id=arxiv_id)

    assert found is not None
    assert found["archiveID"] == first["archiveID"]
    search = zotero.requests[-1]
    assert (search.path, search.params["q"], search.params["qmode"]) == (
        f"/users/{USER}/items/top",
        arxiv_id,
        "everything",
    )
    assert client.find_arxiv_item(user_id=USER, api_key=KEY, arxiv_id=second["archiveID"][6:]) is None
