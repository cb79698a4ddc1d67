"""What every hostile-input case checks with: is a page inert, is a text escaped, what did it say."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from papers.records import ParsedPage

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
ATOM = "{http://www.w3.org/2005/Atom}"


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def assert_inert(html: str, where: str) -> None:
    """Nothing on the page can run: no inline script, no element a payload brings (img, svg, iframe…),
    no event handler attribute and no javascript: address, whatever text the page shows."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert not (tag == "script" and "src" not in attrs), (where, "inline <script>")
        assert tag not in {"img", "svg", "object", "embed", "math", "base"}, (where, tag)
        if tag == "iframe":  # the deck's PDF preview, blank until a card asks for arXiv's PDF
            assert attrs == {"id": "pdf-frame", "title": "PDF preview", "src": "about:blank"}, (where, attrs)
        assert not [name for name in attrs if name.startswith("on")], (where, tag, attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            assert not attrs.get(name, "").strip().lower().startswith("javascript:"), (where, tag, attrs)


def assert_escaped(html: str, text: str, where: str) -> None:
    """`text` is on the page, as text: escaped where it has <, >, &, ' or " and never as markup."""
    assert escape(text) in html, f"{where}: {text!r} is not shown"
    if escape(text) != text:
        assert text not in html, f"{where}: {text!r} is in the page unescaped"


def page(client: Client, path: str, **params: Any) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def csrf_token(client: Client, path: str = "/lists/") -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(client, path))
    assert match, f"no CSRF token on {path}"
    return match[1]


def messages_of(response) -> list[str]:
    return [m.message for m in response.context["messages"]] if response.context else []


def said(response, text: str) -> bool:
    """Whether a message of the page (after a redirect) holds `text`."""
    return any(text in message for message in messages_of(response))


class FakeArxiv:
    """Stands in for papers.arxiv.ArxivClient: records every id the site would have asked arXiv for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def fetch_ids(self, ids: list[str]) -> ParsedPage:
        self.asked += ids
        return ParsedPage(format="api", records=[], total_results=0)


def upload(name: str, data: bytes) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data)}
