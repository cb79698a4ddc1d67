"""Retry-After and Backoff, as arXiv's and Zotero's clients both read them."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from paperswipe.waits import wait_seconds


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
