"""A small arXiv stand-in on 127.0.0.1: serves real recorded API entries with paging, and fails on demand.

Entries are the 100 real entries of the recorded API page, re-dated and re-numbered so that a test can
lay out any history it needs. Faults are queued and served one per request, in order.
"""

from __future__ import annotations

import contextlib
import copy
import re
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from .local_server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
RECORDED_API_PAGE = ROOT / "papers" / "sample_data" / "api_query_all-testing_100entries_2026.xml"
RECORDED_RSS = ROOT / "papers" / "sample_data" / "rss_quant-ph_2025-04-28.xml"
RECORDED_ERROR = ROOT / "tests" / "fixtures" / "arxiv" / "api_error_400_incorrect_id_format_2026.xml"
# Recorded id_list answers for old-style ids, served by id along with the entries of the API page.
RECORDED_OLD_STYLE = [
    ROOT / "papers" / "sample_data" / "api_id_list_oldstyle_astro-ph_0601001_2026.xml",
    ROOT / "papers" / "sample_data" / "api_id_list_oldstyle_versioned_quant-ph_0201082v1_2026.xml",
]

ATOM, ARXIV, OPENSEARCH = (
    "http://www.w3.org/2005/Atom",
    "http://arxiv.org/schemas/atom",
    "http://a9.com/-/spec/opensearch/1.1/",
)
ET.register_namespace("", ATOM)
ET.register_namespace("arxiv", ARXIV)
ET.register_namespace("opensearch", OPENSEARCH)
A = "{%s}" % ATOM  # noqa: UP031
_RANGE = re.compile(r"lastUpdatedDate:\[(\d{12}) TO (\d{12})\]")
_CAT = re.compile(r"cat:(\S+)")
# What the API accepts in an id_list: new- or old-style, with or without a version.
_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_VERSION = re.compile(r"v\d+$")


def _templates() -> list[ET.Element]:
    return list(ET.parse(RECORDED_API_PAGE).getroot().iter(f"{A}entry"))


@cache
def _recorded_by_id() -> dict[str, ET.Element]:
    """The real recorded entries under their real ids: 2202.12139, astro-ph/0601001, ..."""
    by_id = {}
    for path in [RECORDED_API_PAGE, *RECORDED_OLD_STYLE]:
        for entry in ET.parse(path).getroot().iter(f"{A}entry"):
            by_id[_VERSION.sub("", entry.findtext(f"{A}id", "").split("/abs/", 1)[1])] = entry
    return by_id


def _error_feed(bad_id: str) -> bytes:
    """The recorded error answer (made for the id "abc"), naming the id this request got wrong."""
    safe = escape(bad_id, {'"': "&quot;"}).encode()
    return RECORDED_ERROR.read_bytes().replace(b"for_abc", b"for_" + safe).replace(b"for abc", b"for " + safe)


@dataclass
class Entry:
    arxiv_id: str
    version: int
    updated: datetime
    categories: list[str]
    element: ET.Element


def make_entries(
    n: int, *, category: str, newest: datetime, spacing: timedelta, first_number: int = 1, version: int = 1
) -> list[Entry]:
    """n real entries filed under `category`, the newest updated at `newest`, each `spacing` older."""
    templates = _templates()
    entries = []
    for i in range(n):
        element = copy.deepcopy(templates[i % len(templates)])
        arxiv_id = f"2611.{first_number + i:05d}"
        updated = newest - i * spacing
        element.find(f"{A}id").text = f"http://arxiv.org/abs/{arxiv_id}v{version}"
        element.find(f"{A}updated").text = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
        element.find(f"{A}published").text = (updated - timedelta(days=version - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for tag in element.findall(f"{A}category"):
            element.remove(tag)
        ET.SubElement(element, f"{A}category", term=category, scheme="http://arxiv.org/schemas/atom")
        element.find(f"{{{ARXIV}}}primary_category").set("term", category)
        entries.append(Entry(arxiv_id, version, updated, [category], element))
    return entries


@dataclass
class Request:
    at: float
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass
class StandIn:
    entries: list[Entry] = field(default_factory=list)
    rss_body: bytes = field(default_factory=RECORDED_RSS.read_bytes)
    faults: deque = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)

    def fail(self, kind: str, times: int = 1, **options: object) -> None:
        """Queue a fault: status (code=, retry_after=), sleep (seconds=), hold (event=), truncated,
        error_feed, empty, reset. An empty kind serves the request normally."""
        for _ in range(times):
            self.faults.append((kind, options))

    def start(self) -> StandIn:
        self.http = LocalServer(self._handle, methods=("GET",))
        return self

    def stop(self) -> None:
        self.http.stop()

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def api_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/query"]

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        request = Request(time.monotonic(), url.path, params, dict(handler.headers.items()))
        self.requests.append(request)
        kind, options = self.faults.popleft() if self.faults else ("", {})
        if kind == "status":
            request.status = int(options.get("code", 503))
            headers = {"Retry-After": str(options["retry_after"])} if "retry_after" in options else {}
            return self._send(handler, request.status, b"<html><body>Service Unavailable</body></html>", headers)
        if kind == "reset":
            handler.close_connection = True
            handler.wfile.flush()
            handler.connection.shutdown(2)
            return None
        if kind == "sleep":  # a slow server, for read timeouts
            time.sleep(float(options.get("seconds", 1)))
        if kind == "hold":  # answer only once the test says so
            options["event"].wait(30)
        if kind == "error_feed":
            request.status = 400
            return self._send(handler, 400, RECORDED_ERROR.read_bytes())
        if url.path.startswith("/rss/"):
            return self._send(handler, 200, self.rss_body)
        if bad := next((i for i in params.get("id_list", "").split(",") if i and not _ID.match(i)), None):
            request.status = 400  # the API refuses the whole request over one malformed id
            return self._send(handler, 400, _error_feed(bad))
        body = self._api_page(params, empty=kind == "empty")
        if kind == "truncated":
            body = body[: len(body) // 2]
        return self._send(handler, 200, body)

    def _api_page(self, params: dict[str, str], *, empty: bool) -> bytes:
        query = params.get("search_query", "")
        if "id_list" in params:
            matches = self._by_ids(params["id_list"])
        else:
            entries = [e for e in self.entries if (m := _CAT.search(query)) is None or m[1] in e.categories]
            if window := _RANGE.search(query):
                since = datetime.strptime(window[1], "%Y%m%d%H%M").replace(tzinfo=UTC)
                until = datetime.strptime(window[2], "%Y%m%d%H%M").replace(tzinfo=UTC) + timedelta(minutes=1)
                entries = [e for e in entries if since <= e.updated < until]
            entries.sort(key=lambda e: e.updated, reverse=True)
            matches = [e.element for e in entries]
        start, size = int(params.get("start", 0)), int(params.get("max_results", 10))
        feed = ET.Element(f"{A}feed")
        ET.SubElement(feed, f"{A}id").text = "https://arxiv.org/api/standin"
        ET.SubElement(feed, f"{A}title").text = f"arXiv Query: search_query={query}"
        ET.SubElement(feed, f"{{{OPENSEARCH}}}itemsPerPage").text = str(size)
        ET.SubElement(feed, f"{{{OPENSEARCH}}}totalResults").text = str(len(matches))
        ET.SubElement(feed, f"{{{OPENSEARCH}}}startIndex").text = str(start)
        if not empty:
            feed.extend(matches[start : start + size])
        return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

    def _by_ids(self, id_list: str) -> list[ET.Element]:
        """The entries an id_list names, in its order; unknown ids are left out, as the API does since 2025."""
        known = _recorded_by_id() | {e.arxiv_id: e.element for e in self.entries}
        wanted = [_VERSION.sub("", i) for i in id_list.split(",") if i]
        return [known[i] for i in dict.fromkeys(wanted) if i in known]

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)
