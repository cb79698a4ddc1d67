"""arXiv identifiers: every form arXiv uses, reduced to the bare id and an optional version."""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^(?:oai:arxiv\.org:|arxiv:|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)",
    re.IGNORECASE,
)
# re.ASCII: \d is 0-9 only, not every script's digits (a fullwidth id is not an arXiv id).
_NEW_STYLE = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?\Z", re.ASCII)
# Old-style ids name an archive, sometimes with a subject class that arXiv drops: math.GT/0309136 → math/0309136.
_OLD_STYLE = re.compile(r"^(?P<archive>[a-z][a-z\-]*)(?:\.[A-Za-z\-]+)?/(?P<num>\d{7})(?:v(?P<v>\d+))?\Z", re.ASCII)


# arXiv's most revised papers have a few dozen versions. A version is read only up to this many digits, so that
# "v" and 5,000 nines is a bad id, not a 500 from int()'s limit on long numbers.
MAX_VERSION_DIGITS = 4


class InvalidArxivId(ValueError):
    pass


def datacite_doi(arxiv_id: str) -> str:
    """The DOI arXiv registers with DataCite for every paper (arXiv blog, 2022-02-17): exports and Zotero items
    name the preprint by it, and an item in a reader's Zotero library is recognised by it."""
    return f"10.48550/arXiv.{arxiv_id}"


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Return (bare id, version or None) for any id form: URLs, `oai:arXiv.org:`, `arXiv:`, `vN`."""
    text = _PREFIX.sub("", raw.strip())
    text = text.removesuffix(".pdf").rstrip("/")
    if match := _NEW_STYLE.match(text):
        bare = match["id"]
    elif match := _OLD_STYLE.match(text):
        bare = f"{match['archive']}/{match['num']}"
    else:
        raise InvalidArxivId(f"not an arXiv identifier: {raw[:40]!r}")
    if match["v"] and len(match["v"]) > MAX_VERSION_DIGITS:
        raise InvalidArxivId(f"not an arXiv version: {raw[:40]!r}")
    version = int(match["v"]) if match["v"] else None
    if version == 0:
        raise InvalidArxivId(f"arXiv versions start at 1: {raw[:40]!r}")
    return bare, version


def bare_arxiv_id(raw: str) -> str:
    return parse_arxiv_id(raw)[0]
