"""How long an outside service asks us to wait: `Retry-After` (RFC 9110: seconds or an HTTP date) and
Zotero's `Backoff` (seconds), read the same way for arXiv and Zotero."""

from __future__ import annotations

import math
from datetime import datetime
from email.utils import parsedate_to_datetime


def wait_seconds(value: str | None, *, cap: float) -> float | None:
    """The wait the header asks for, between 0 and `cap`; None when it says nothing usable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(tz=when.tzinfo)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), cap)
