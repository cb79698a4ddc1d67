"""All HTTP to the Zotero Web API (v3) lives here: the key check, the target collection, item writes.

Every request names API version 3 and carries the reader's key in the `Zotero-API-Key` header (never
in a URL, never in a log line or an error message). Writes go in batches of at most 50 objects, the
API's limit, each with its own `Zotero-Write-Token`, so that a batch retried after a 429 or a 503 is
written once. A `Backoff` header on any answer makes the next request wait that long; `Retry-After` on
a 429 or a 503 says when to retry the same batch. Sleeping goes through `sleep`, which tests replace.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

from papers.ids import datacite_doi
from paperswipe import untrusted_json
from paperswipe.forms import parse_count
from paperswipe.transports import Transport

logger = logging.getLogger(__name__)

API_VERSION = "3"
BATCH_MAX = 50  # objects per write request: more is a 413
PAGE_SIZE = 100  # the API's largest `limit`
ITEM_KEYS_MAX = 50  # keys in one itemKey parameter
MAX_WAIT = 300.0  # a longer Backoff or Retry-After is capped: the caller can try again later
_USER_ID = re.compile(r"[0-9]{1,20}\Z")


class ZoteroError(Exception):
    """Zotero answered something we cannot use (a refused request, an unexpected body)."""


class ZoteroKeyError(ZoteroError):
    """The API key is unknown, belongs to another user, or may not write to the user's library."""


class WrittenUnanswered(ZoteroError):
    """A retried batch's write token was already used: Zotero wrote the batch, its answer was lost."""


class ZoteroUnavailable(ZoteroError):
    """Zotero could not be reached or kept asking us to wait after every retry."""


@dataclass(frozen=True)
class KeyInfo:
    user_id: str
    username: str
    can_write: bool


@dataclass
class WriteResult:
    """Per index of the `items` given to `write_items`: the item's key (created, updated or unchanged)
    and its version, or Zotero's message for an object it refused."""

    keys: dict[int, str] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    unchanged: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failures


class ZoteroClient:
    def __init__(
        self,
        *,
        base_url: str,
        sleep: Callable[[float], None] = time.sleep,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.library_version: int | None = None  # the Last-Modified-Version of the latest answer
        self.transport = Transport(
            name="Zotero",
            unavailable=ZoteroUnavailable,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_wait=MAX_WAIT,
            headers={"Zotero-API-Version": API_VERSION},
            backoff_header="Backoff",
            sleep=sleep,
        )

    # ------------------------------------------------------------ the operations

    def check_key(self, *, user_id: str, api_key: str) -> KeyInfo:
        """The key's owner and rights; ZoteroKeyError unless it is `user_id`'s key with write access."""
        _check_user_id(user_id)
        response = self._request("GET", "/keys/current", api_key=api_key)
        if response.status_code in (403, 404):
            raise ZoteroKeyError("Zotero does not accept this API key: it may have been mistyped or revoked.")
        body = _json(response, "the key check")
        owner = str(body.get("userID", ""))
        if owner != user_id:
            # Never say whose key it is: a stranger's key typed here must not reveal its owner.
            raise ZoteroKeyError(
                f"This API key is not a key of Zotero user {user_id}: check the user ID and the key shown on "
                "zotero.org/settings/keys."
            )
        user_access = (body.get("access") or {}).get("user") or {}
        can_write = user_access.get("library") is True and user_access.get("write") is True
        if not can_write:
            raise ZoteroKeyError(
                "This API key cannot write to your Zotero library: edit the key on zotero.org/settings/keys "
                'and tick "Allow library access" and "Allow write access".'
            )
        return KeyInfo(user_id=owner, username=str(body.get("username", "")), can_write=can_write)

    def ensure_collection(self, *, user_id: str, api_key: str, name: str) -> str:
        """The key of the user's collection called `name` (top-level ones first), created when missing."""
        _check_user_id(user_id)
        found = self._find_collection(user_id=user_id, api_key=api_key, name=name)
        if found is not None:
            return found
        path = f"/users/{user_id}/collections"
        try:
            result = self._write_batch(path, api_key=api_key, objects=[{"name": name, "parentCollection": False}])
        except WrittenUnanswered:
            found = self._find_collection(user_id=user_id, api_key=api_key, name=name)
            if found is None:
                raise ZoteroError("Zotero did not create the collection") from None
            return found
        key = _successful_keys(result).get("0")
        if key is None:
            message = _failure_messages(result).get("0", "no key in Zotero's answer")
            raise ZoteroError(f"Zotero did not create the collection: {message}")
        return key

    def _find_collection(self, *, user_id: str, api_key: str, name: str) -> str | None:
        path = f"/users/{user_id}/collections"
        listed = self._objects(path, api_key=api_key, params={}, doing="listing collections")
        found = [c for c in listed if c.get("name") == name]
        found.sort(key=lambda c: bool(c.get("parentCollection")))  # a top-level one first
        return str(found[0]["key"]) if found else None

    def get_items(self, *, user_id: str, api_key: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The current `data` of the items with these keys, by key, those in the trash included (with
        "deleted": 1). An item deleted for good is missing from the answer."""
        _check_user_id(user_id)
        found: dict[str, dict[str, Any]] = {}
        for offset in range(0, len(keys), ITEM_KEYS_MAX):
            chunk = keys[offset : offset + ITEM_KEYS_MAX]
            params = {"itemKey": ",".join(chunk), "includeTrashed": 1, "limit": ITEM_KEYS_MAX, "format": "json"}
            for data in self._objects(f"/users/{user_id}/items", api_key=api_key, params=params, doing="reading items"):
                if data.get("key") in chunk:
                    found[str(data["key"])] = data
        return found

    def find_arxiv_item(self, *, user_id: str, api_key: str, arxiv_id: str) -> dict[str, Any] | None:
        """A top-level item already in the library for this arXiv paper (saved with the Zotero Connector,
        say): found by the id in any field, kept only if its DOI, archive ID, URL or Extra names the
        paper. The newest such item, or None."""
        _check_user_id(user_id)
        params = {"q": arxiv_id, "qmode": "everything", "limit": 25, "format": "json"}
        path = f"/users/{user_id}/items/top"
        listed = self._objects(path, api_key=api_key, params=params, doing="searching the library", pages=1)
        found = [data for data in listed if names_paper(data, arxiv_id) and not data.get("deleted")]
        return max(found, key=lambda data: data.get("version") or 0, default=None)

    def items_since(self, *, user_id: str, api_key: str, since: int) -> list[dict[str, Any]]:
        """The `data` of every item created or changed after library version `since`, oldest first."""
        _check_user_id(user_id)
        params = {"since": since, "includeTrashed": 1, "format": "json"}
        changed = list(self._objects(f"/users/{user_id}/items", api_key=api_key, params=params, doing="reading items"))
        return sorted(changed, key=lambda data: data.get("version") or 0)

    def current_version(self, *, user_id: str, api_key: str) -> int | None:
        """The library's version now (every answer about a library carries it), read with the smallest list."""
        _check_user_id(user_id)
        response = self._request("GET", f"/users/{user_id}/items", api_key=api_key, params={"limit": 1})
        self._raise_for_refusal(response, "reading the library's version")
        return self.library_version

    def _objects(
        self, path: str, *, api_key: str, params: dict[str, Any], doing: str, pages: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """The `data` of each object a listing answers, page after page (at most `pages` of them)."""
        start, read = 0, 0
        limit = min(int(params.get("limit", PAGE_SIZE)), PAGE_SIZE)
        while True:
            response = self._request("GET", path, api_key=api_key, params={**params, "start": start, "limit": limit})
            self._raise_for_refusal(response, doing)
            page = _json(response, doing)
            if not isinstance(page, list):
                raise ZoteroError(f"Zotero's answer to {doing} was not a list")
            for obj in page:
                if isinstance(obj, dict) and isinstance(obj.get("data"), dict):
                    yield {"key": obj.get("key"), **obj["data"]}  # the object's key, should its data lack one
            start, read = start + len(page), read + 1
            total = parse_count(response.headers.get("Total-Results", ""))
            if len(page) < limit or (total is not None and start >= total) or read == pages:
                return

    def write_items(self, *, user_id: str, api_key: str, items: list[dict[str, Any]]) -> WriteResult:
        """Create the items (or update those carrying "key" and "version"), BATCH_MAX per request."""
        _check_user_id(user_id)
        path = f"/users/{user_id}/items"
        result = WriteResult()
        for offset in range(0, len(items), BATCH_MAX):
            batch = items[offset : offset + BATCH_MAX]
            version_before = self.library_version
            try:
                answer = self._write_batch(path, api_key=api_key, objects=batch)
            except WrittenUnanswered:
                answer = self._recover(user_id=user_id, api_key=api_key, batch=batch, since=version_before)
            successful = answer.get("successful") or {}
            for index, key in _successful_keys(answer).items():
                if (at := _position(index, offset, len(batch))) is not None:
                    result.keys[at] = key
                    version = (successful.get(index) or {}).get("version")
                    if isinstance(version, int):
                        result.versions[at] = version
            for index, key in (answer.get("unchanged") or {}).items():
                if (at := _position(index, offset, len(batch))) is not None:
                    result.keys[at] = str(key)
                    result.unchanged.add(at)
            for index, message in _failure_messages(answer).items():
                if (at := _position(index, offset, len(batch))) is not None:
                    result.failures[at] = message
            unanswered = set(range(offset, offset + len(batch))) - set(result.keys) - set(result.failures)
            for at in unanswered:
                result.failures[at] = "Zotero's answer did not mention this item"
        return result

    def _recover(self, *, user_id: str, api_key: str, batch: list[dict[str, Any]], since: int | None) -> dict[str, Any]:
        """The answer to a batch Zotero wrote but whose answer never arrived (the retry's write token was
        refused as used): the items changed since the library version seen before it, matched to the
        batch's objects (an update by its key, a new item by its arXiv id, a note by its parent), so that
        nothing is created twice."""
        changed = self.items_since(user_id=user_id, api_key=api_key, since=since or 0)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for data in changed:  # oldest first: the newest of several matches wins
            found[("key", str(data.get("key", "")))] = data
            found[identity(data)] = data
        answer: dict[str, Any] = {"successful": {}, "failed": {}}
        for index, sent in enumerate(batch):
            match = found.get(("key", sent["key"])) if "key" in sent else found.get(identity(sent))
            if match is None:
                answer["failed"][str(index)] = {"code": 0, "message": "Zotero's answer was lost; send again"}
            else:
                answer["successful"][str(index)] = {"key": match["key"], "version": match.get("version")}
        return answer

    # ------------------------------------------------------------ HTTP

    def _write_batch(self, path: str, *, api_key: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
        if len(objects) > BATCH_MAX:
            raise ValueError(f"a write takes at most {BATCH_MAX} objects, not {len(objects)}")
        token = uuid.uuid4().hex  # the same for every retry of this batch: Zotero writes it once
        response = self._request("POST", path, api_key=api_key, json=objects, headers={"Zotero-Write-Token": token})
        if response.status_code == 412:
            raise WrittenUnanswered("Zotero had already written this batch, but its answer was lost")
        self._raise_for_refusal(response, "writing")
        body = _json(response, "the write")
        if not isinstance(body, dict):
            raise ZoteroError("Zotero's answer to a write was not an object")
        return body

    def _raise_for_refusal(self, response: requests.Response, doing: str) -> None:
        if response.status_code == 403:
            raise ZoteroKeyError(f"Zotero refused {doing}: the API key has no access to this library")
        if response.status_code != 200:
            raise ZoteroError(f"Zotero answered HTTP {response.status_code} {doing}: {response.text[:200]}")

    def _request(
        self,
        method: str,
        path: str,
        *,
        api_key: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One request, retried on 429, 5xx and network errors (paperswipe/transports.py). The answer of
        anything else is returned."""
        response = self.transport.request(
            method,
            self.base_url + path,
            label=f"{method} {path}",
            params=params,
            json=json,
            headers={"Zotero-API-Key": api_key, **(headers or {})},
        )
        version = parse_count(response.headers.get("Last-Modified-Version", ""))
        if version is not None:
            self.library_version = version
        return response


def names_paper(data: dict[str, Any], arxiv_id: str) -> bool:
    """Whether an item describes this arXiv paper: the DataCite DOI, the archive ID, the abs or pdf URL
    (any version), or "arXiv:ID" in Extra, as Zotero's arXiv translator and our exports write them."""
    escaped = re.escape(arxiv_id.lower())
    if str(data.get("DOI", "")).lower() == datacite_doi(arxiv_id).lower():
        return True
    if str(data.get("archiveID", "")).lower() == f"arxiv:{arxiv_id.lower()}":
        return True
    if re.search(rf"arxiv\.org/(abs|pdf)/{escaped}(v\d+)?(\.pdf)?/?$", str(data.get("url", "")).lower()):
        return True
    return re.search(rf"(^|\n)arxiv: ?{escaped}(v\d+)?\b", str(data.get("extra", "")).lower()) is not None


def identity(data: dict[str, Any]) -> tuple[str, str]:
    """What tells our objects apart in a library: an item's arXiv id, a child's type and parent."""
    if data.get("itemType") in ("note", "attachment"):
        return (f"{data['itemType']} of", str(data.get("parentItem", "")))
    if data.get("archiveID"):
        return ("arXiv", str(data["archiveID"]))
    return ("key", str(data.get("key", "")))


def _check_user_id(user_id: str) -> None:
    if not _USER_ID.match(user_id):
        raise ZoteroKeyError("A Zotero user ID is a number: the one shown on zotero.org/settings/keys.")


def _position(index: object, offset: int, size: int) -> int | None:
    """The input position of a batch's answer index ("0", "1", …); None for one outside the batch."""
    position = parse_count(index)
    if position is None or position >= size:
        return None
    return offset + position


def _json(response: requests.Response, what: str) -> Any:
    try:
        return untrusted_json.loads(response.content)
    except untrusted_json.UntrustedJSONError as error:
        raise ZoteroError(f"Zotero's answer to {what} was not JSON we accept: {error}") from error


def _successful_keys(answer: dict[str, Any]) -> dict[str, str]:
    """Index → key from `success` (key strings) and `successful` (full objects)."""
    keys = {str(i): str(k) for i, k in (answer.get("success") or {}).items()}
    for index, obj in (answer.get("successful") or {}).items():
        if isinstance(obj, dict) and obj.get("key"):
            keys.setdefault(str(index), str(obj["key"]))
    return keys


def _failure_messages(answer: dict[str, Any]) -> dict[str, str]:
    messages = {}
    for index, failure in (answer.get("failed") or {}).items():
        if isinstance(failure, dict):
            messages[str(index)] = f"{failure.get('code', '?')}: {failure.get('message', 'refused')}"
        else:
            messages[str(index)] = str(failure)
    return messages


def client_from_settings(*, sleep: Callable[[float], None] = time.sleep, max_attempts: int = 5) -> ZoteroClient:
    """A worker tries five times; a page the reader waits on (the key check) passes fewer."""
    return ZoteroClient(
        base_url=settings.ZOTERO_API_URL,
        sleep=sleep,
        max_attempts=max_attempts,
        backoff_base=settings.ZOTERO_BACKOFF_BASE,
    )
