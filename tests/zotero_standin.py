"""A Zotero Web API v3 stand-in on 127.0.0.1 that refuses what the real API refuses.

Per zotero.org/support/dev/web_api/v3 (basics, write_api): API keys (`add_key`, GET /keys/current, 403 for
an unknown key or one without write access), each user's collections and items in memory with keys and
versions, paged lists, writes of at most 50 objects (413 past it) answered by index, Zotero-Write-Token
(412 when reused), item versions (412 when stale), Zotero's schema for the item types we write, `since` and
`itemKey` reads, trashed items left out, Last-Modified-Version on every answer.

Faults are queued and served one per request in order (`status` with retry_after/backoff, `backoff`, `lost`
drops the connection), optionally waiting for a matching request (on=("POST", "/items")); `refuse` makes the
writes of one archiveID fail.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .local_server import LocalServer

BATCH_MAX = 50
# The keys the `zotero` fixture (tests/conftest.py) registers: a reader's, read-only, and another user's.
USER = "4567890"
OTHER_USER = "1234567"
KEY = "P9NiFoyLeZu2bZNvvuQPDWsd"  # the shape of a real key: 24 letters and digits
READ_ONLY_KEY = "ReadOnlyKeyReadOnlyKey01"
OTHER_USERS_KEY = "OtherUsersKeyOtherUsers2"
ITEM_KEYS_MAX = 50
PAGE_MAX = 100
KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # Zotero's object keys: 8 of these
_USER_PATH = re.compile(r"^/users/(\d+)/(collections|items|items/top)$")


@dataclass
class ApiKey:
    user_id: str
    username: str = "reader"
    library: bool = True
    write: bool = True


@dataclass
class Library:
    version: int = 0
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    write_tokens: set[str] = field(default_factory=set)


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def api_version(self) -> str | None:
        return self.headers.get("Zotero-API-Version")

    @property
    def write_token(self) -> str | None:
        return self.headers.get("Zotero-Write-Token")


@dataclass
class ZoteroStandIn:
    keys: dict[str, ApiKey] = field(default_factory=dict)
    libraries: dict[str, Library] = field(default_factory=dict)
    faults: deque = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    refusals: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    # ------------------------------------------------------------ set-up and inspection

    def add_key(self, api_key: str, *, user_id: str, write: bool = True, library: bool = True) -> None:
        self.keys[api_key] = ApiKey(user_id=user_id, write=write, library=library)

    def library(self, user_id: str) -> Library:
        return self.libraries.setdefault(user_id, Library())

    def fail(self, kind: str, times: int = 1, **options: object) -> None:
        for _ in range(times):
            self.faults.append((kind, options))

    def refuse(self, archive_id: str, *, code: int = 413, message: str = "Item too large") -> None:
        self.refusals[archive_id] = (code, message)

    def items_of(self, user_id: str, item_type: str = "preprint") -> list[dict[str, Any]]:
        """The `data` of the user's items of that type, trashed ones included."""
        return [o["data"] for o in self.library(user_id).items.values() if o["data"].get("itemType") == item_type]

    def writes(self, path_end: str = "/items") -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_end)]

    def start(self) -> ZoteroStandIn:
        self.http = LocalServer(self._handle, methods=("GET", "POST"))
        return self

    def stop(self) -> None:
        self.http.stop()

    @property
    def base_url(self) -> str:
        return self.http.base_url

    # ------------------------------------------------------------ serving

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = Request(method, url.path, params, dict(handler.headers.items()))
        with self._lock:
            self.requests.append(request)
            kind, options = self._next_fault(method, url.path)
            if kind == "status":
                request.status = int(str(options.get("code", 503)))
                headers = {}
                if "retry_after" in options:
                    headers["Retry-After"] = str(options["retry_after"])
                if "backoff" in options:
                    headers["Backoff"] = str(options["backoff"])
                return self._send(handler, request, request.status, "Service unavailable", headers)
            headers = {"Backoff": str(options.get("seconds", 1))} if kind == "backoff" else {}
            if raw:
                try:
                    request.body = json.loads(raw)
                except ValueError:
                    return self._send(handler, request, 400, "Invalid JSON", headers)
            status, body = self._route(method, url.path, params, request)
            if kind == "lost":  # done, but the answer never arrives: the connection drops
                request.status = status
                handler.close_connection = True
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(2)
                return None
            return self._send(handler, request, status, body, headers)

    def _next_fault(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The first queued fault for this request: one with on=(method, path ending) waits for its match."""
        for at, (kind, options) in enumerate(self.faults):
            on = options.get("on")
            if on is None or (method == on[0] and path.endswith(on[1])):
                del self.faults[at]
                return kind, options
        return "", {}

    def _route(self, method: str, path: str, params: dict[str, str], request: Request) -> tuple[int, Any]:
        key = self.keys.get(request.headers.get("Zotero-API-Key", ""))
        if key is None:
            return 403, "Forbidden"
        if path == "/keys/current" and method == "GET":
            return 200, {
                "key": request.headers["Zotero-API-Key"],
                "userID": int(key.user_id),
                "username": key.username,
                "access": {"user": {"library": key.library, "files": key.library, "notes": True, "write": key.write}},
            }
        match = _USER_PATH.match(path)
        if match is None:
            return 404, "Not found"
        user_id, kind, top = match[1], match[2].removesuffix("/top"), match[2].endswith("/top")
        if top and method != "GET":
            return 405, "Method not allowed"
        if user_id != key.user_id or not key.library:
            return 403, "Forbidden"
        library = self.library(user_id)
        if method == "GET":
            return self._list(library, kind, params, request, top=top)
        if not key.write:
            return 403, "Write access denied"
        return self._write(library, user_id, kind, request)

    def _list(
        self, library: Library, kind: str, params: dict[str, str], request: Request, *, top: bool = False
    ) -> tuple[int, Any]:
        objects = list((library.collections if kind == "collections" else library.items).values())
        if top:
            objects = [o for o in objects if not o["data"].get("parentItem")]
        if kind == "items" and params.get("q"):
            objects = [o for o in objects if _matches(o["data"], params["q"], params.get("qmode", "titleCreatorYear"))]
        if kind == "items":
            if params.get("includeTrashed") != "1":
                objects = [o for o in objects if not o["data"].get("deleted")]  # /items leaves the trash out
            if "since" in params:
                objects = [o for o in objects if o["version"] > int(params["since"])]
            if "itemKey" in params:
                wanted = params["itemKey"].split(",")
                if len(wanted) > ITEM_KEYS_MAX:
                    return 400, f"Cannot request more than {ITEM_KEYS_MAX} items by key"
                objects = [o for o in objects if o["key"] in wanted]
        start, limit = int(params.get("start", 0)), min(int(params.get("limit", 25)), PAGE_MAX)
        request.response_headers = {"Total-Results": str(len(objects)), "Last-Modified-Version": str(library.version)}
        return 200, objects[start : start + limit]

    def _write(self, library: Library, user_id: str, kind: str, request: Request) -> tuple[int, Any]:
        objects = request.body
        if not isinstance(objects, list):
            return 400, "Uploaded data must be a JSON array"
        if len(objects) > BATCH_MAX:
            return 413, f"Only {BATCH_MAX} objects can be saved in a single request"
        token = request.write_token
        if token is not None:
            if token in library.write_tokens:
                return 412, "Write token already used"
            library.write_tokens.add(token)
        store = library.collections if kind == "collections" else library.items
        version = library.version + 1
        answer: dict[str, dict[str, Any]] = {"successful": {}, "success": {}, "unchanged": {}, "failed": {}}
        changed = False
        for index, data in enumerate(objects):
            outcome = _missing_reference(library, data) or self._write_one(store, kind, data, version)
            if isinstance(data, dict) and data.get("archiveID") in self.refusals:
                outcome = (*self.refusals[data["archiveID"]], data.get("key", ""))
            if isinstance(outcome, tuple):
                code, message, obj_key = outcome
                answer["failed"][str(index)] = {"key": obj_key, "code": code, "message": message}
            elif outcome is None:
                answer["unchanged"][str(index)] = data["key"]
            else:
                changed = True
                obj = self._wrap(user_id, outcome)
                store[outcome["key"]] = obj
                answer["successful"][str(index)] = obj
                answer["success"][str(index)] = outcome["key"]
        if changed:
            library.version = version
        request.response_headers = {"Last-Modified-Version": str(library.version)}
        return 200, answer

    @staticmethod
    def _write_one(
        store: dict[str, dict[str, Any]], kind: str, data: Any, version: int
    ) -> dict[str, Any] | tuple[int, str, str] | None:
        """The new data of the object, None when nothing changed, or (code, message, key) for a refusal."""
        if not isinstance(data, dict):
            return 400, "Object must be a JSON object", ""
        obj_key = data.get("key")
        if obj_key is not None and obj_key in store:
            existing = store[obj_key]["data"]
            if "version" not in data:
                return 428, "JSON 'version' property or If-Unmodified-Since-Version header not provided", obj_key
            if data["version"] != existing["version"]:
                return 412, f"{kind[:-1].capitalize()} has been modified since specified version", obj_key
            merged = {**existing, **data}
            if kind == "items" and (refusal := _invalid_item(merged)):
                return 400, refusal, obj_key
            if merged == existing:
                return None
            return {**merged, "version": version}
        if obj_key is not None and data.get("version", 0) != 0:
            return 404, f"{kind[:-1].capitalize()} doesn't exist", obj_key
        if kind == "items" and not data.get("itemType"):
            return 400, "'itemType' property not provided", obj_key or ""
        if kind == "items" and (refusal := _invalid_item(data)):
            return 400, refusal, obj_key or ""
        if kind == "collections" and not data.get("name"):
            return 400, "Collection name cannot be empty", obj_key or ""
        new_key = obj_key or "".join(random.choice(KEY_CHARS) for _ in range(8))
        return {**data, "key": new_key, "version": version}

    @staticmethod
    def _wrap(user_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": data["key"],
            "version": data["version"],
            "library": {"type": "user", "id": int(user_id), "name": "reader"},
            "meta": {},
            "data": data,
        }

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, request: Request, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        request.status = status
        if isinstance(body, str):
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(body).encode(), "application/json"
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Zotero-API-Version", "3")
        for name, value in {**request.response_headers, **headers}.items():
            handler.send_header(name, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(payload)


# The fields Zotero's schema (zotero/zotero-schema, schema.json) allows on the item types we write; any
# other property is refused with a 400 for that object, as the API does.
_COMMON = {"key", "version", "itemType", "tags", "collections", "relations", "dateAdded", "dateModified", "deleted"}
ITEM_FIELDS = {
    "preprint": _COMMON
    | {
        "creators",
        "title",
        "abstractNote",
        "genre",
        "repository",
        "archiveID",
        "place",
        "date",
        "series",
        "seriesNumber",
        "DOI",
        "citationKey",
        "url",
        "accessDate",
        "archive",
        "archiveLocation",
        "shortTitle",
        "language",
        "libraryCatalog",
        "callNumber",
        "rights",
        "extra",
    },
    "note": _COMMON | {"note", "parentItem"},
    "attachment": _COMMON
    | {
        "parentItem",
        "linkMode",
        "title",
        "accessDate",
        "url",
        "note",
        "contentType",
        "charset",
        "filename",
        "md5",
        "mtime",
    },
}
LINK_MODES = {"imported_file", "imported_url", "linked_file", "linked_url", "embedded_image"}
CREATOR_TYPES = {"preprint": {"author", "contributor", "editor", "reviewedAuthor"}}


def _matches(data: dict[str, Any], query: str, mode: str) -> bool:
    """Quick search: in titleCreatorYear mode the title, creators and date; in everything mode every
    field (the API also searches full text, which the stand-in has none of). Case-insensitive."""
    if mode == "everything":
        haystack = json.dumps(data, ensure_ascii=False)
    else:
        names = [" ".join(str(v) for k, v in c.items() if k != "creatorType") for c in data.get("creators", [])]
        haystack = " ".join([str(data.get("title", "")), *names, str(data.get("date", ""))])
    return query.lower() in haystack.lower()


def _missing_reference(library: Library, data: Any) -> tuple[int, str, str] | None:
    """A note's parent item and an item's collections must exist in the library (the API's 409s and 400s)."""
    if not isinstance(data, dict):
        return None
    parent = data.get("parentItem")
    if parent and parent not in library.items:
        return 400, f"Parent item {parent} doesn't exist", data.get("key", "")
    for collection in data.get("collections", []) if isinstance(data.get("collections"), list) else []:
        if collection not in library.collections:
            return 409, f"Collection {collection} doesn't exist", data.get("key", "")
    return None


def _invalid_item(data: dict[str, Any]) -> str | None:
    """Zotero's message for an item the API refuses, or None."""
    item_type = data.get("itemType")
    allowed = ITEM_FIELDS.get(str(item_type))
    if allowed is None:
        return f"Unknown item type '{item_type}'"
    for name in data:
        if name not in allowed:
            return f"'{name}' is not a valid field for type '{item_type}'"
    if "parentItem" in data and item_type not in ("note", "attachment"):
        return "Parent item cannot be set for top-level items"
    if data.get("parentItem") and data.get("collections"):
        return "Child items cannot be assigned to collections"
    if item_type == "attachment" and data.get("linkMode") not in LINK_MODES:
        return f"Invalid linkMode '{data.get('linkMode')}'"
    for creator in data.get("creators", []):
        if creator.get("creatorType") not in CREATOR_TYPES.get(str(item_type), set()):
            return f"'{creator.get('creatorType')}' is not a valid creator type for item type '{item_type}'"
        named = "name" in creator
        split = "firstName" in creator or "lastName" in creator
        if named == split:
            return "Creator must have either 'name' or 'firstName' and 'lastName'"
    for tag in data.get("tags", []):
        if not isinstance(tag, dict) or not str(tag.get("tag", "")).strip():
            return "Tag must be an object with a non-empty 'tag'"
    if not isinstance(data.get("collections", []), list):
        return "'collections' must be an array"
    return None
