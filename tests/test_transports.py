"""The one outgoing HTTP client (paperswipe/transports.py): no request inside a database transaction, and
Retry-After and Backoff, as arXiv's and Zotero's clients both read them."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.db import transaction

from library.zotero.client import client_from_settings as zotero_client_from_settings
from papers import arxiv
from paperswipe.transports import RequestInTransaction, wait_seconds

from .zotero_standin import KEY, USER


@pytest.mark.django_db
def test_no_request_to_arxiv_or_zotero_leaves_inside_a_database_transaction(standin, zotero):
    """A transaction held across arXiv's 3 s spacing and 60 s timeouts holds its locks for minutes: the client
    refuses before anything is sent. Outside one, the same calls go through."""
    arxiv_client, zotero_client = arxiv.client_from_settings(), zotero_client_from_settings()
    with transaction.atomic():
        with pytest.raises(RequestInTransaction, match="arXiv"):
            arxiv_client.fetch_ids(["2202.12139"])
        with pytest.raises(RequestInTransaction, match="Zotero GET /keys/current"):
            zotero_client.check_key(user_id=USER, api_key=KEY)
    assert standin.requests == []
    assert zotero.requests == []

    assert arxiv_client.fetch_ids(["2202.12139"]).records
    assert zotero_client.check_key(user_id=USER, api_key=KEY).user_id == USER
    assert len(standin.requests) == len(zotero.requests) == 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0", 0.0), ("-3", 0.0), ("9999", 300.0), ("inf", 300.0), ("nan", None), ("soon", None), ("", None)],
)
def test_seconds_are_read_and_kept_between_zero_and_the_cap(value, seconds):
    assert wait_seconds(value, cap=300.0) == seconds


def test_an_http_date_is_the_wait_until_then():
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= wait_seconds(in_a_minute, cap=300.0) <= 60
    assert wait_seconds(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True), cap=300.0) == 0.0
