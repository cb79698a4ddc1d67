"""Hostile input, table by table (issue 14 §3): each case names its input, where it goes in and the one
outcome it must have: a clear 4xx, or output that is inert (escaped, ignored, refused with a message),
never a 500. docs/security.md lists every case with its test id.

The regressions of tests/test_hardening.py (bad ids, NUL in forms, invisible list names, huge search
queries, notes of 10,000 characters) are not repeated here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from deck import services as deck_services
from deck.models import DigestSubscription, Interest, SeedPaper, Swipe
from library import services
from library.models import ReadingList, ReadingListEntry
from library.selectors import default_list
from papers.models import Category, Paper
from papers.records import ParsedPage
from papers.references import parse as references

from .factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
ATOM = "{http://www.w3.org/2005/Atom}"


# ---------------------------------------------------------------- helpers


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


@pytest.fixture(autouse=True)
def arxiv():
    """No case may reach the real arXiv; the ones about ids say what would have been asked."""
    fake = FakeArxiv()
    with mock.patch("papers.services.client_from_settings", return_value=fake):
        yield fake


@pytest.fixture
def lg():
    return Category.objects.get(code="cs.LG")


@pytest.fixture
def alice(lg):
    user = UserFactory(email="alice@example.org")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    user.followed_categories.add(lg)
    return user


@pytest.fixture
def as_alice(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def kept(alice, lg):
    """A paper alice kept: in her history and her reading list."""
    paper = PaperFactory(primary_category=lg, title="Zebrafish regeneration")
    deck_services.decide(user=alice, paper=paper, decision="keep")
    return paper


def upload(name: str, data: bytes) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data)}


# ---------------------------------------------------------------- 1. XSS in arXiv text

# {f} names the field, so that each page is checked for the very fields it shows.
ARXIV_XSS = {
    "script-tag": "<script>alert('{f}')</script>",
    "img-onerror": "<img src=x onerror=alert('{f}')>",
    "svg-onload": "<svg/onload=alert('{f}')>",
    "svg-script": "<svg><script>alert('{f}')</script></svg>",
    "attribute-breakout": "\" autofocus onfocus=\"alert('{f}')",
    "javascript-url": "javascript:alert('{f}')",
    "entity-smuggling": "&lt;script&gt;alert('{f}')&lt;/script&gt;",
}
FIELDS = ("title", "abstract", "author", "affiliation", "comment")


@dataclass
class HostileCatalog:
    """Two papers whose every text field carries the payload: one unseen (deck, private feed), one kept
    (history, reading list, which is shared, its feed and exports)."""

    text: Callable[[str], str]
    unseen: Paper
    kept: Paper
    share_token: str
    feed_token: str


@pytest.fixture
def hostile_catalog(request, alice, lg):
    template = ARXIV_XSS[request.param]

    def text(field: str) -> str:
        return template.format(f=field)

    def paper(which: str) -> Paper:
        return PaperFactory(
            primary_category=lg,
            title=f"Zebrafish {which} {text('title')}",
            abstract=text("abstract"),
            comment=text("comment"),
            authors=[{"name": text("author"), "affiliations": [text("affiliation")]}],
        )

    unseen, kept = paper("unseen"), paper("kept")
    deck_services.decide(user=alice, paper=kept, decision="keep")
    shared = services.share_list(reading_list=default_list(user=alice))
    feed = deck_services.reset_feed_token(user=alice)
    return HostileCatalog(text, unseen, kept, shared.share_token, feed.feed_token)


def check_atom(body: bytes, expected: list[tuple[str, str, str]], where: str) -> None:
    """Atom: titles and names are text elements; the summary is typed html, so its text must be the
    escaped abstract. A payload that became XML markup would show up as child elements."""
    for markup in (b"<script", b"<img", b"<svg"):
        assert markup not in body, where
    entries = {e.findtext(f"{ATOM}title"): e for e in ET.fromstring(body).iter(f"{ATOM}entry")}
    for title, abstract, author in expected:
        entry = entries[title]
        title_element = entry.find(f"{ATOM}title")
        assert title_element is not None, where
        assert len(title_element) == 0, where
        assert title_element.get("type", "text") == "text", where
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None, where
        assert (summary.get("type"), summary.text) == ("html", escape(abstract)), where
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == author, where
        for link in entry.iter(f"{ATOM}link"):
            assert link.get("href", "").startswith("http"), where


@pytest.mark.parametrize("hostile_catalog", list(ARXIV_XSS), indirect=True)
def test_arxiv_text_is_shown_escaped_on_every_page(hostile_catalog, as_alice, alice):
    c = hostile_catalog
    title = c.text("title")
    shown = {
        "deck card": ("/", {}, ["title", "abstract", "author"]),
        "paper page": (c.unseen.get_absolute_url(), {}, list(FIELDS)),
        "search results": ("/search/", {"q": "zebrafish"}, ["title", "author"]),
        "history": ("/history/", {}, ["title"]),
        "list page": ("/lists/reading-list/", {}, ["title", "author"]),
    }
    for where, (path, params, fields) in shown.items():
        html = page(as_alice, path, **params)
        assert_inert(html, where)
        for field in fields:
            assert_escaped(html, c.text(field), f"{where}, {field}")
    assert escape(f"Zebrafish unseen {title}") in page(as_alice, "/")  # the deck shows the unseen one

    cards = as_alice.get("/deck/cards/").json()["cards"]
    assert len(cards) == 1
    assert_inert(cards[0], "deck card fetched by the deck's script")
    assert_escaped(cards[0], title, "deck card fetched by the deck's script")

    anonymous = Client()
    shared = page(anonymous, f"/shared/{c.share_token}/")
    assert_inert(shared, "shared list page")
    for field in ("title", "author"):
        assert_escaped(shared, c.text(field), f"shared list page, {field}")

    kept, unseen = (f"Zebrafish {which} {title}" for which in ("kept", "unseen"))
    expected = [(kept, c.text("abstract"), c.text("author"))]
    check_atom(anonymous.get(f"/shared/{c.share_token}/feed/").content, expected, "shared list feed")
    expected = [(unseen, c.text("abstract"), c.text("author"))]
    check_atom(anonymous.get(f"/feed/{c.feed_token}/").content, expected, "private deck feed")

    # Exports are files for reference managers: the text stays as it is, and no browser renders them.
    for fmt in ("bibtex", "ris", "csl-json", "csv"):
        response = as_alice.get(f"/lists/reading-list/export/{fmt}/")
        assert response.status_code == 200
        assert "html" not in response["Content-Type"], fmt
        assert response["Content-Disposition"].startswith("attachment;"), fmt
        assert response["X-Content-Type-Options"] == "nosniff", fmt


# ---------------------------------------------------------------- 2. LaTeX that KaTeX renders

KATEX = {
    "katex-href": r"\href{javascript:alert(1)}{click me}",
    "katex-url": r"\url{javascript:alert(1)}",
    "katex-html-commands": r"\htmlClass{evil}{a}\htmlId{evil}{b}\htmlStyle{color:red}{c}\htmlData{evil=1}{d}",
    "katex-includegraphics": r"\includegraphics[height=1em]{https://evil.example/x.png}",
    "katex-huge-rule": r"\rule{100000em}{100000em}\kern{100000em}",
    "katex-macro-bomb": r"\def\x{\x\x}\x",
    "katex-deep-nesting": "{" * 5000 + "x" + "}" * 5000,
}
MATH_JS = ROOT / "static" / "js" / "math.js"
KATEX_JS = ROOT / "static" / "vendor" / "katex" / "katex.min.js"


@pytest.mark.parametrize("tex", list(KATEX.values()), ids=list(KATEX))
def test_the_server_sends_latex_as_text_for_katex(client, alice, lg, tex):
    """The server never interprets LaTeX: the formula goes out as escaped text inside .math elements."""
    formula = f"${tex}$"
    paper = PaperFactory(primary_category=lg, title=f"Zebrafish {formula}", abstract=f"We show {formula}.")
    client.force_login(alice)
    in_math = re.compile(r'class="[^"]*\bmath\b[^"]*"[^>]*>(<a [^>]*>)?Zebrafish ' + re.escape(escape(formula)))
    for where, path, math in (
        ("paper page", paper.get_absolute_url(), True),
        ("deck card", "/", True),
        ("search", "/search/", False),
    ):
        html = page(client, path, q="zebrafish")
        assert_inert(html, where)
        assert_escaped(html, formula, where)
        assert not math or in_math.search(html), where  # where KaTeX will look for it


# The browser's side, in node: math.js run as the page runs it, with KaTeX's auto-render rule (a ParseError
# shows the source, anything else is thrown to math.js), on each hostile formula and then a plain one.
NODE_HARNESS = r"""
const fs = require("fs");
const [mathJs, katexJs, formulas] = process.argv.slice(1);
const katex = require(katexJs);
const warnings = [];
global.window = {};
// The page as math.js sees it: KaTeX's files "load" at once (renderMathInElement below stands in for them).
global.document = {
  addEventListener() {},
  querySelectorAll: () => [],
  currentScript: { dataset: {} },
  createElement: () => ({}),
  head: { append(element) { setTimeout(() => element.onload(), 0); } },
};
console.warn = (...args) => warnings.push(args.map(String).join(" "));
let options = null;
window.renderMathInElement = (el, opts) => {
  options = opts;
  try {
    el.html = katex.renderToString(el.tex, { ...opts, displayMode: false });
  } catch (error) {
    if (!(error instanceof katex.ParseError)) throw error;
    el.html = null;
  }
};
new Function(fs.readFileSync(mathJs, "utf8"))();
const shown = () => [{}];
const elements = JSON.parse(formulas).map((tex) => ({ tex, textContent: `$${tex}$`, getClientRects: shown }));
window.renderMath({ querySelectorAll: (selector) => (selector === ".math" ? elements : []) }).then(() => {
  process.stdout.write(JSON.stringify({ options, warnings, html: elements.map((el) => el.html) }));
});
"""


@pytest.fixture(scope="module")
def katex_in_the_browser() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "these tests run KaTeX and math.js in node, which the machine image provides"
    formulas = [*KATEX.values(), r"x^2"]
    done = subprocess.run(
        [node, "-e", NODE_HARNESS, str(MATH_JS), str(KATEX_JS), json.dumps(formulas)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # an error math.js let through stops every formula after it
    result = json.loads(done.stdout)
    result["by_tex"] = dict(zip(formulas, result["html"], strict=True))
    return result


def _visible(html: str) -> str:
    """KaTeX's output without its <annotation>, which repeats the TeX source as text."""
    return re.sub(r"<annotation\b.*?</annotation>", "", html, flags=re.S)


BROWSER_CHECKS: dict[str, Callable[[str | None], None]] = {
    "katex-href": lambda html: html is not None and "<a " not in html and "javascript:" not in _visible(html),
    "katex-url": lambda html: html is not None and "<a " not in html and "javascript:" not in _visible(html),
    "katex-html-commands": lambda html: (
        html is not None and not re.search(r'(class|id)="[^"]*\bevil\b|data-evil|color:\s*red', _visible(html))
    ),
    "katex-includegraphics": lambda html: (
        html is not None and "<img" not in html and "evil.example" not in _visible(html)
    ),
    "katex-huge-rule": lambda html: (
        html is not None and max(float(size) for size in re.findall(r"([0-9.]+)em", _visible(html))) <= 10
    ),
    "katex-macro-bomb": lambda html: html is not None and "katex-error" in html and "Too many expansions" in html,
    "katex-deep-nesting": lambda html: html is None,  # left as its source text
}


@pytest.mark.parametrize("case", list(KATEX))
def test_katex_renders_hostile_latex_inert_in_the_browser(katex_in_the_browser, case):
    html = katex_in_the_browser["by_tex"][KATEX[case]]
    assert BROWSER_CHECKS[case](html), html


def test_one_formula_katex_cannot_handle_leaves_the_rest_of_the_page_rendered(katex_in_the_browser):
    """The deep nesting overflows KaTeX's stack: math.js catches it, says so, and goes on to the next."""
    assert katex_in_the_browser["by_tex"]["x^2"] is not None
    assert "katex" in katex_in_the_browser["by_tex"]["x^2"]
    assert any("RangeError" in warning for warning in katex_in_the_browser["warnings"])
    options = katex_in_the_browser["options"]
    assert options["trust"] is False
    assert options["throwOnError"] is False
    assert 0 < options["maxSize"] <= 10
    assert 0 < options["maxExpand"] <= 1000


def test_math_js_keeps_katex_untrusted_and_bounded():
    """The same options read from the file, for machines without node."""
    source = MATH_JS.read_text()
    assert re.search(r"\btrust:\s*false\b", source)
    assert re.search(r"\bthrowOnError:\s*false\b", source)
    size = re.search(r"\bmaxSize:\s*(\d+)", source)
    assert size
    assert 0 < int(size[1]) <= 10
    expand = re.search(r"\bmaxExpand:\s*(\d+)", source)
    assert expand
    assert 0 < int(expand[1]) <= 1000
    assert re.search(r"try\s*{\s*window\.renderMathInElement", source)


# ---------------------------------------------------------------- 3. XSS in what users type

LIST_NAMES = {
    "list-name-script": "<script>alert('list')</script>",
    "list-name-img-onerror": '"><img src=x onerror=alert(1)>',
}


@pytest.mark.parametrize("name", list(LIST_NAMES.values()), ids=list(LIST_NAMES))
def test_a_hostile_list_name_is_shown_escaped_everywhere(as_alice, alice, lg, kept, name):
    response = as_alice.post("/lists/new/", {"name": name}, follow=True)
    assert response.status_code == 200
    assert f"Created the list “{name}”." in messages_of(response)
    hostile = alice.reading_lists.get(is_default=False)
    assert hostile.name == name
    PaperFactory(primary_category=lg, title="Zebrafish unseen")  # a deck card, with its Save to… menu
    shared = services.share_list(reading_list=hostile)
    services.add_to_list(reading_list=hostile, paper=kept)
    pages = {
        "message and list page": response.content.decode(),
        "lists overview": page(as_alice, "/lists/"),
        "move/copy target on another list": page(as_alice, "/lists/reading-list/"),
        "Save to… on a deck card": page(as_alice, "/"),
        "Save to… in search results": page(as_alice, "/search/", q="zebrafish"),
        "Save to… in history": page(as_alice, "/history/"),
        "shared list page": page(Client(), f"/shared/{shared.share_token}/"),
    }
    for where, html in pages.items():
        assert_inert(html, where)
        assert_escaped(html, name, where)
    feed = Client().get(f"/shared/{shared.share_token}/feed/").content
    assert b"<script" not in feed
    assert b"<img" not in feed
    assert ET.fromstring(feed).findtext(f"{ATOM}title") == f"{name} · PaperSwipe"


NOTES = {  # "Kumquat" marks the note: it must never reach the shared page or feed
    "note-textarea-breakout": "</textarea><script>alert('Kumquat')</script>",
    "note-csv-formula": '=HYPERLINK("https://evil.example","Kumquat")',
}


@pytest.mark.parametrize("note", list(NOTES.values()), ids=list(NOTES))
def test_a_hostile_note_is_escaped_on_its_page_and_never_shared(as_alice, alice, kept, note):
    entry = ReadingListEntry.objects.get(reading_list__user=alice, paper=kept)
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": note, "state": "reading"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == note
    html = page(as_alice, "/lists/reading-list/")
    assert_inert(html, "list page")
    assert f"{escape(note)}</textarea>" in html
    assert html.count("</textarea>") == html.count("<textarea")  # the note closed no textarea
    shared = services.share_list(reading_list=default_list(user=alice))
    assert "Kumquat" not in page(Client(), f"/shared/{shared.share_token}/")
    assert b"Kumquat" not in Client().get(f"/shared/{shared.share_token}/feed/").content
    csv_text = as_alice.get("/lists/reading-list/export/csv/").content.decode()
    assert re.search(r"(^|,)\"?=", csv_text, re.M) is None  # no cell starts a formula
    if note.startswith("="):
        assert "'=HYPERLINK" in csv_text
    reply = as_alice.post(
        f"/lists/reading-list/entries/{entry.pk}/", {"note": note, "state": "read"}, HTTP_ACCEPT="application/json"
    )
    assert reply["Content-Type"] == "application/json"
    assert reply.json()["note"] == note


REFLECTED = "\"'><svg onload=alert(1)>"  # 24 characters: within the 32 of a category filter
SEARCH_PAGES = {  # path, query, whether the page shows the term again
    "search-query": ("/search/", {"q": REFLECTED}, True),
    "search-query-in-my-lists": ("/search/", {"q": REFLECTED, "in": "lists"}, True),
    "list-filter-words": ("/lists/reading-list/", {"q": REFLECTED}, True),
    "papers-category-filter": ("/papers/", {"category": REFLECTED}, True),
    "trending-category-filter": ("/papers/trending/", {"category": REFLECTED}, False),
    "login-next-field": ("/accounts/login/", {"next": REFLECTED}, True),
}


@pytest.mark.parametrize(("path", "query", "echoed"), list(SEARCH_PAGES.values()), ids=list(SEARCH_PAGES))
def test_a_hostile_search_term_is_echoed_escaped(client, alice, kept, path, query, echoed):
    if not path.startswith("/accounts/"):
        client.force_login(alice)
    html = page(client, path, **query)
    assert_inert(html, path)
    assert REFLECTED not in html
    if echoed:
        assert_escaped(html, REFLECTED, path)


def test_a_hostile_interest_is_shown_escaped(as_alice, alice):
    value = "<script>alert('author')</script>"
    response = as_alice.post(
        "/settings/interests/set/", {"kind": "author", "value": value, "stance": "follow"}, follow=True
    )
    assert response.status_code == 200
    assert Interest.objects.get(user=alice).value == value
    html = response.content.decode()
    assert_inert(html, "interests page")
    assert_escaped(html, value, "interests page")
    assert f"Following author “{value}”." in messages_of(response)


SEED_FILES = {
    "bibtex-title-script": ("hostile.bib", b"@misc{a, title = {<script>alert('bib')</script>}}\n"),
    "ris-title-img-onerror": ("hostile.ris", b"TY  - JOUR\nTI  - <img src=x onerror=alert('ris')>\nER  - \n"),
    "csl-json-title-svg": ("hostile.json", json.dumps([{"title": "<svg onload=alert('json')>"}]).encode()),
}


@pytest.mark.parametrize(("name", "data"), list(SEED_FILES.values()), ids=list(SEED_FILES))
def test_a_hostile_title_in_an_uploaded_file_is_reported_escaped(as_alice, alice, name, data):
    title = references.parse_references(data, name)[0].title
    response = as_alice.post("/settings/interests/seeds/", upload(name, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skipped: no arXiv id in the entry" in html
    assert_inert(html, "seed report")
    assert_escaped(html, title, "seed report")


# ---------------------------------------------------------------- 4. oversized fields and bodies


def test_a_list_name_over_100_characters_is_refused(as_alice, alice):
    response = as_alice.post("/lists/new/", {"name": "x" * 101})
    assert response.status_code == 400  # the lists page, the error under the name
    assert "Ensure this value has at most 100 characters (it has 101)." in response.content.decode()
    assert alice.reading_lists.count() == 1


def test_a_note_of_a_million_characters_is_refused_and_shown_again(as_alice, alice, kept):
    entry = ReadingListEntry.objects.get(reading_list__user=alice)
    response = as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": "n" * 1_000_000})
    assert response.status_code == 400
    assert "Notes are at most 10,000 characters (this one has 1000000)." in response.content.decode()
    entry.refresh_from_db()
    assert entry.note == ""


BODY_LIMITS = {
    # Django refuses these before any view: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) and _NUMBER_FIELDS (1,000).
    "form-body-3-mb": ("/lists/new/", {"name": "x" * 3_000_000}),
    "pasted-ids-10-mb": ("/settings/interests/seeds/", {"ids": "2401.01234\n" * 1_000_000}),
    "1100-form-fields": ("/lists/reading-list/entries/remove/", {f"field{i}": "1" for i in range(1100)}),
}


@pytest.mark.parametrize(("path", "data"), list(BODY_LIMITS.values()), ids=list(BODY_LIMITS))
def test_an_oversized_body_is_a_400(as_alice, alice, path, data):
    assert as_alice.post(path, data).status_code == 400
    assert alice.reading_lists.count() == 1
    assert not SeedPaper.objects.exists()


def test_a_10_mb_seed_upload_is_refused_with_a_message(as_alice, alice):
    data = b"@misc{k, title = {A title}, eprint = {2401.01234}}\n" * 210_000  # 10.5 MB
    assert len(data) > 10_000_000
    response = as_alice.post("/settings/interests/seeds/", upload("library.bib", data))
    assert response.status_code == 400  # the interests page, the message under the file field
    assert "Files are at most 5 MB." in response.content.decode()
    assert not SeedPaper.objects.exists()


def test_a_bulk_action_on_600_entries_is_refused_with_a_message(as_alice, alice, kept):
    ids = [str(ReadingListEntry.objects.get().pk)] + [str(n) for n in range(10**6, 10**6 + 599)]
    response = as_alice.post("/lists/reading-list/entries/remove/", {"entries": ids}, follow=True)
    assert response.redirect_chain == [("/lists/reading-list/", 302)]
    assert said(response, "At most 500 ids at once.")
    assert ReadingListEntry.objects.count() == 1


def test_a_deck_refill_excluding_101_cards_is_a_400(as_alice):
    response = as_alice.get("/deck/cards/", {"exclude": ",".join(str(n) for n in range(1, 102))})
    assert response.status_code == 400


def test_20001_characters_of_pasted_ids_are_refused_with_a_message(as_alice):
    response = as_alice.post("/settings/interests/seeds/", {"ids": "x" * 20_001})
    assert response.status_code == 400
    html = response.content.decode()
    message = "Ensure this value has at most 20000 characters (it has 20001)."
    assert f'<p class="field-error" id="seed-ids-error">{message}</p>' in html  # one error, the one that is true
    assert not SeedPaper.objects.exists()


# ---------------------------------------------------------------- 5. invalid and tricky arXiv ids

# 2401.01234 in fullwidth digits (U+FF10…) and in Arabic-Indic ones (U+0660…): Unicode digits, not ASCII.
FULLWIDTH_ID = "2401.01234".translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
ARABIC_INDIC_ID = "2401.01234".translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
PAPER_PATHS = {
    "version-zero": ("/papers/2401.01234v0/", 404),
    "six-digit-number": ("/papers/2401.123456/", 404),
    "path-traversal": ("/papers/..%2F..%2Fetc%2Fpasswd/", 404),
    "fullwidth-digits": (f"/papers/{FULLWIDTH_ID}/", 404),
    "javascript-url": ("/papers/javascript:alert(1)/", 404),
    "foreign-host-prefix": ("/papers/https://evil.example/abs/2401.01234/", 404),
    "5000-digits": ("/papers/" + "9" * 5000 + "/", 404),
    "script-in-path": ("/papers/%3Cscript%3Ealert(1)%3C%2Fscript%3E/", 404),
    "arxiv-url-prefix": ("/papers/https://arxiv.org/abs/2401.01234v2/", 301),
}


@pytest.mark.parametrize(("path", "status"), list(PAPER_PATHS.values()), ids=list(PAPER_PATHS))
def test_a_tricky_paper_address_is_a_404_or_the_one_paper_url(client, lg, path, status):
    PaperFactory(arxiv_id="2401.01234", primary_category=lg)
    response = client.get(path)
    assert response.status_code == status
    if status == 301:
        assert response["Location"] == "/papers/2401.01234/"
    else:
        html = response.content.decode()
        assert "We don't have that paper" in html
        assert_inert(html, path)
        assert re.findall(r'href="(https://arxiv\.org/abs/[^"]*)"', html), "the arXiv link is https"


def test_implausible_pasted_ids_are_listed_and_never_sent_to_arxiv(as_alice, alice, arxiv):
    pasted = "\n".join(
        [
            "2401.01234v0",  # versions start at 1
            "0000.00000",  # month 00
            "0013.12345",  # month 13
            "0612.12345",  # new-style numbering began in 0704
            "1501.1234",  # five digits from 1501
            "astro-ph/9107001",  # arXiv began in 9108
            "hep-th/99013",  # old-style numbers have seven digits
            "2401.01234\u200b",  # a zero-width space glued on
        ]
    )
    response = as_alice.post("/settings/interests/seeds/", {"ids": pasted})
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 papers added" in html
    for piece in pasted.splitlines():
        assert escape(piece) in html, piece
    assert arxiv.asked == []
    assert not SeedPaper.objects.exists()


@pytest.mark.parametrize("digits", [FULLWIDTH_ID, ARABIC_INDIC_ID], ids=["fullwidth", "arabic-indic"])
def test_ids_in_non_ascii_digits_are_not_sent_to_arxiv(as_alice, alice, arxiv, digits):
    response = as_alice.post("/settings/interests/seeds/", {"ids": f"{digits}\n2401.05678"})
    assert response.status_code == 200
    assert arxiv.asked == ["2401.05678"]


# ---------------------------------------------------------------- 6. Unicode edge cases

UNICODE_NOTES = {
    "note-rtl-override": "read \u202egnp.exe\u202c later",
    "note-zero-width": "zero\u200bwidth\u200d\ufeff joiners",
    "note-combining-marks": "Z\u0336\u0321a\u0337" + "\u0301" * 300 + "lgo",
}


@pytest.mark.parametrize("note", list(UNICODE_NOTES.values()), ids=list(UNICODE_NOTES))
def test_invisible_characters_in_a_note_are_kept_and_shown_inside_its_textarea(as_alice, alice, kept, note):
    """A note is the user's own text: it is stored as typed and shown only to them, escaped, inside its
    textarea, where a direction override cannot reach the rest of the page."""
    entry = ReadingListEntry.objects.get(reading_list__user=alice)
    assert as_alice.post(f"/lists/reading-list/entries/{entry.pk}/", {"note": note}).status_code == 302
    entry.refresh_from_db()
    assert entry.note == note
    html = page(as_alice, "/lists/reading-list/")
    assert re.search(r"<textarea[^>]*>" + re.escape(escape(note)) + "</textarea>", html)
    assert note in as_alice.get("/lists/reading-list/export/csl-json/").json()[0]["note"]


def test_a_list_name_of_zalgo_text_over_100_characters_is_refused(as_alice, alice):
    response = as_alice.post("/lists/new/", {"name": "Z" + "\u0336" * 150})
    assert response.status_code == 400
    assert "Ensure this value has at most 100 characters (it has 151)." in response.content.decode()
    assert alice.reading_lists.count() == 1


def test_a_list_name_of_combining_marks_only_is_kept_escaped_with_a_plain_slug(as_alice, alice):
    """Combining marks are visible characters (Unicode category M): the name is kept, the slug falls back."""
    response = as_alice.post("/lists/new/", {"name": "\u0301\u0302\u0303"}, follow=True)
    created = alice.reading_lists.get(is_default=False)
    assert (created.name, created.slug) == ("\u0301\u0302\u0303", "list")
    assert response.redirect_chain[-1][0] == "/lists/list/"
    assert_inert(response.content.decode(), "list page")


def test_an_interest_loses_its_direction_override_and_zero_width_space(as_alice, alice):
    as_alice.post("/settings/interests/set/", {"kind": "author", "value": "\u202eAda\u200b Lovelace", "stance": "mute"})
    assert Interest.objects.get(user=alice).value == "Ada Lovelace"


NUL = {
    "nul-in-a-query-key": lambda c: c.get("/search/", {"q\x00": "x"}),
    "nul-in-a-page-number": lambda c: c.get("/history/", {"page": "1\x00"}),
    "nul-in-pasted-ids": lambda c: c.post("/settings/interests/seeds/", {"ids": "2401.01234\x00"}),
    "nul-in-an-interest": lambda c: c.post(
        "/settings/interests/set/", {"kind": "author", "value": "A\x00", "stance": "mute"}
    ),
    "nul-in-a-redirect-target": lambda c: c.post("/deck/decide/", {"paper": 1, "decision": "keep", "next": "/\x00"}),
}


@pytest.mark.parametrize("send", list(NUL.values()), ids=list(NUL))
def test_a_nul_byte_in_a_parameter_is_a_400(as_alice, alice, send):
    response = send(as_alice)
    assert response.status_code == 400
    assert response.content == b"Requests may not contain NUL characters."
    assert not Interest.objects.exists()
    assert not SeedPaper.objects.exists()
    assert not Swipe.objects.exists()


@pytest.mark.parametrize("path", ["/shared/%00/", "/papers/2401.01234%00/", "/lists/a%00b/"])
def test_a_nul_byte_in_any_address_is_refused_before_any_view(client, path):
    """NUL used to reach PostgreSQL, which refuses it in text: a 500. RejectNulMiddleware now answers."""
    response = client.get(path)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.parametrize("path", ["/shared/%00/feed/", "/feed/%00/"], ids=["shared-feed", "private-feed"])
def test_a_nul_byte_in_a_feed_address_is_a_4xx(path):
    response = Client(raise_request_exception=False).get(path)
    assert 400 <= response.status_code < 500, response.status_code


def test_a_nul_byte_inside_an_uploaded_file_refuses_the_file(as_alice):
    response = as_alice.post("/settings/interests/seeds/", upload("a.bib", b"@misc{a,\x00 title={x}}"), follow=True)
    assert response.redirect_chain == [("/settings/interests/", 302)]
    assert said(response, "Nothing was added: This file is not BibTeX, RIS or CSL-JSON.")


def test_invalid_utf_8_in_a_query_is_replaced_not_an_error(as_alice):
    response = as_alice.get("/search/?q=%ED%A0%80%FF%FEzebra")
    assert response.status_code == 200
    assert "\ufffd" in response.context["q"]


def test_half_a_surrogate_pair_in_a_json_title_is_reported_not_a_500(as_alice):
    """json.loads makes "\\ud800" a lone surrogate, which no page can encode: it was a 500 (fixed in
    papers/references/parse.py)."""
    response = as_alice.post("/settings/interests/seeds/", upload("a.json", b'[{"title": "half \\ud800 pair"}]'))
    assert response.status_code == 200
    assert "half \ufffd pair" in response.content.decode()


# ---------------------------------------------------------------- 7. malformed POSTs

MALFORMED = {
    "multipart-cut-short": (
        b'--x\r\nContent-Disposition: form-data; name="paper"\r\n\r\n1',
        "multipart/form-data; boundary=x",
        400,
    ),
    "multipart-without-boundary": (b"--x\r\nbroken", "multipart/form-data", 400),
    "invalid-utf-8-form": (b"paper=%FF%FE&decision=keep", "application/x-www-form-urlencoded", 400),
    "binary-garbage-form": (b"\xff\xfe\x00\x01garbage", "application/x-www-form-urlencoded", 400),
    "json-instead-of-a-form": (b'{"paper": 1, "decision": "keep"}', "application/json", 400),
}


@pytest.mark.parametrize(("body", "content_type", "status"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_post_is_a_400(as_alice, alice, body, content_type, status):
    response = as_alice.post("/deck/decide/", body, content_type=content_type)
    assert response.status_code == status
    assert not Swipe.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_on_a_post_only_view_are_a_405(as_alice, alice, method):
    assert getattr(as_alice, method)("/lists/new/").status_code == 405
    assert alice.reading_lists.count() == 1


# ---------------------------------------------------------------- 8. CSRF

CSRF_PROTECTED = {
    "create-list": ("/lists/new/", {"name": "Thesis"}),
    "share-list": ("/lists/reading-list/share/", {}),
    "save-to-list": ("/save/", {"list": 1, "paper": 1}),
    "seed-upload": ("/settings/interests/seeds/", {"ids": "2401.01234"}),
    "digest-settings": ("/settings/digest/", {"frequency": "daily", "size": 10, "hour": 7, "time_zone": "UTC"}),
    "delete-account": ("/settings/delete/", {"confirm_email": "alice@example.org"}),
    "log-out": ("/accounts/logout/", {}),
}


def _nothing_changed(alice) -> None:
    assert ReadingList.objects.filter(user=alice).count() == 1
    assert not default_list(user=alice).share_token
    assert not SeedPaper.objects.exists()
    assert not DigestSubscription.objects.exists()


@pytest.mark.parametrize(("path", "data"), list(CSRF_PROTECTED.values()), ids=list(CSRF_PROTECTED))
def test_a_post_without_a_csrf_token_is_a_403(alice, path, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    csrf_token(browser)  # the browser holds a CSRF cookie; the forged form has no token
    assert browser.post(path, data).status_code == 403
    _nothing_changed(alice)
    assert "_auth_user_id" in browser.session  # still signed in: even log-out needs the token


def test_a_token_from_another_users_session_is_a_403(alice):
    mallory = UserFactory(email="mallory@example.org")
    attacker = Client(enforce_csrf_checks=True)
    attacker.force_login(mallory)
    stolen = csrf_token(attacker)
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(alice)
    csrf_token(victim)
    assert victim.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": stolen}).status_code == 403
    assert victim.post("/lists/new/", {"name": "Thesis"}, HTTP_X_CSRFTOKEN=stolen).status_code == 403
    _nothing_changed(alice)
    assert victim.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": csrf_token(victim)}).status_code == 302


def test_a_token_from_before_the_login_is_a_403(alice):
    """Logging in rotates the CSRF secret: a token read from the login page (by a script, a proxy log) is
    worth nothing after it."""
    browser = Client(enforce_csrf_checks=True)
    before = csrf_token(browser, "/accounts/login/")
    login = browser.post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD, "csrfmiddlewaretoken": before}
    )
    assert login.status_code == 302
    assert browser.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": before}).status_code == 403
    _nothing_changed(alice)


def test_a_forged_unsubscribe_link_is_a_400_without_csrf_and_changes_nothing(alice):
    """One of the two CSRF-exempt endpoints: its signed token is the proof, so a forged one is refused."""
    DigestSubscription.objects.create(user=alice, frequency="daily")
    response = Client(enforce_csrf_checks=True).post("/digest/unsubscribe/MQ:forged:signature/")
    assert response.status_code == 400
    assert DigestSubscription.objects.get(user=alice).frequency == "daily"


# ---------------------------------------------------------------- 9. open redirects

FOREIGN_TARGETS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "\t//evil.example",
    "https://testserver@evil.example",
]
LOCAL_TARGET = "/history/?decision=keep"


@dataclass
class Redirects:
    alice: Any
    paper: Paper
    entry: ReadingListEntry
    thesis: ReadingList


@pytest.fixture
def redirects(alice, kept):
    return Redirects(
        alice, kept, ReadingListEntry.objects.get(paper=kept), services.create_list(user=alice, name="Thesis")
    )


def _signed_in(r: Redirects) -> Client:
    client = Client()
    client.force_login(r.alice)
    return client


def _log_in(r: Redirects, target: str):
    return Client().post("/accounts/login/", {"login": r.alice.email, "password": PASSWORD, "next": target})


def _log_out(r: Redirects, target: str):
    return _signed_in(r).post("/accounts/logout/", {"next": target})


def _post(path: Callable[[Redirects], str], data: Callable[[Redirects], dict]) -> Callable[[Redirects, str], Any]:
    return lambda r, target: _signed_in(r).post(path(r), {**data(r), "next": target})


# view: (send a `next`, where a refused one lands)
NEXT_TAKERS: dict[str, tuple[Callable[[Redirects, str], Any], str]] = {
    "deck-decide": (_post(lambda r: "/deck/decide/", lambda r: {"paper": r.paper.pk, "decision": "skip"}), "/"),
    "follow-or-mute": (
        _post(
            lambda r: "/settings/interests/set/", lambda r: {"kind": "keyword", "value": "graphene", "stance": "follow"}
        ),
        "/settings/interests/",
    ),
    "entries-state": (
        _post(lambda r: "/lists/reading-list/entries/state/", lambda r: {"entries": r.entry.pk, "state": "read"}),
        "/lists/reading-list/",
    ),
    "entries-copy": (
        _post(lambda r: "/lists/reading-list/entries/copy/", lambda r: {"entries": r.entry.pk, "target": r.thesis.pk}),
        "/lists/reading-list/",
    ),
    "entries-move": (
        _post(lambda r: "/lists/reading-list/entries/move/", lambda r: {"entries": r.entry.pk, "target": r.thesis.pk}),
        "/lists/reading-list/",
    ),
    "entries-remove": (
        _post(lambda r: "/lists/reading-list/entries/remove/", lambda r: {"entries": r.entry.pk}),
        "/lists/reading-list/",
    ),
    "entry-note": (
        _post(lambda r: f"/lists/reading-list/entries/{r.entry.pk}/", lambda r: {"note": "n", "state": "read"}),
        "/lists/reading-list/",
    ),
    "save-to-list": (_post(lambda r: "/save/", lambda r: {"list": r.thesis.pk, "paper": r.paper.pk}), "/lists/thesis/"),
    "login": (_log_in, "/"),
    "logout": (_log_out, "/papers/"),
}


@pytest.mark.parametrize(("send", "fallback"), list(NEXT_TAKERS.values()), ids=list(NEXT_TAKERS))
def test_every_next_refuses_other_sites_and_keeps_local_pages(redirects, send, fallback):
    for target in FOREIGN_TARGETS:
        response = send(redirects, target)
        assert (response.status_code, response["Location"]) == (302, fallback), target
    response = send(redirects, LOCAL_TARGET)
    assert (response.status_code, response["Location"]) == (302, LOCAL_TARGET)


def test_the_admin_login_hands_next_to_the_checked_login(client):
    response = client.get("/admin/login/", {"next": "https://evil.example"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# ---------------------------------------------------------------- 10. page numbers, sorts and filters

PAGE_NUMBERS = {
    "page-negative": "-1",
    "page-zero": "0",
    "page-huge": "99999999999999999999999",
    "page-5000-digits": "9" * 5000,
    "page-not-a-number": "abc",
    "page-float": "1.5",
    "page-exponent": "1e3",
}


@pytest.mark.parametrize("number", list(PAGE_NUMBERS.values()), ids=list(PAGE_NUMBERS))
def test_a_bad_page_number_shows_a_real_page(as_alice, alice, kept, number):
    """Paginator.get_page: not a number is the first page, out of range the last; never an error."""
    shared = services.share_list(reading_list=default_list(user=alice))
    for path, params in (
        ("/papers/", {}),
        ("/search/", {"q": "zebrafish"}),
        ("/history/", {}),
        ("/lists/reading-list/", {}),
        (f"/shared/{shared.share_token}/", {}),
    ):
        response = as_alice.get(path, {**params, "page": number})
        assert response.status_code == 200, path
        assert response.context["page"].number == 1, path
        assert "Zebrafish regeneration" in response.content.decode(), path


UNKNOWN_VALUES = {
    "list-sort-unknown": ("/lists/reading-list/", {"sort": "DROP TABLE"}, 200),
    "list-state-unknown": ("/lists/reading-list/", {"state": "burnt"}, 200),
    "history-decision-unknown": ("/history/", {"decision": "maybe"}, 200),
    "search-date-invalid": ("/search/", {"q": "zebrafish", "from": "2024-13-45"}, 200),
    "search-scope-unknown": ("/search/", {"q": "zebrafish", "in": "everyone"}, 200),
    "papers-category-unknown": ("/papers/", {"category": "no.SUCH"}, 200),
    "export-format-unknown": ("/lists/reading-list/export/docx/", {}, 404),
    "deck-refill-count-too-big": ("/deck/cards/", {"count": "999"}, 400),
    "deck-refill-count-not-a-number": ("/deck/cards/", {"count": "five"}, 400),
}


@pytest.mark.parametrize(("path", "params", "status"), list(UNKNOWN_VALUES.values()), ids=list(UNKNOWN_VALUES))
def test_an_unknown_sort_or_filter_value_is_ignored_or_refused(as_alice, kept, path, params, status):
    response = as_alice.get(path, params)
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        if path == "/papers/":
            assert "no.SUCH" in html  # "no category no.SUCH": said, and every paper listed
        if "from" in params:
            assert "Enter a valid date." in html
        assert "Zebrafish regeneration" in html  # the bad value is dropped, the rest still shows


def test_changing_a_decision_with_an_unknown_filter_is_a_400(as_alice, alice, kept):
    swipe = Swipe.objects.get(user=alice)
    assert as_alice.post(f"/history/{swipe.pk}/", {"decision": "skip", "filter": "//evil.example"}).status_code == 400
    assert Swipe.objects.get(pk=swipe.pk).decision == "keep"


# ---------------------------------------------------------------- 11. reference files: broken, enormous, hostile

ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]><lolz>&lol9;</lolz>"
)
REFUSED_FILES = {
    "bibtex-unclosed-brace": (
        "a.bib",
        b"@article{a, title = {Unclosed, eprint = {2401.01234}\n",
        "BibTeX file could not be read",
    ),
    "ris-record-without-er": ("a.ris", b"TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n", "has no ER line"),
    "csl-json-nested-100000-deep": ("a.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "csl-json-not-a-list": ("a.json", b'{"items": 5}', "it is not a list of items"),
    "csl-json-infinite-number": ("a.json", b"[1e999999]", "item 1 is not an object"),
    "ris-5001-records": ("a.ris", b"TY  - JOUR\nTI  - x\nER  - \n" * 5001, "more than 5,000 references"),
    "xml-entity-bomb": ("a.bib", ENTITY_BOMB, "not BibTeX, RIS or CSL-JSON"),
    "utf-16-half-a-character": ("a.bib", b"\xff\xfe@\x00m\x00\x00\xd8", "not BibTeX, RIS or CSL-JSON"),
    "pdf-bytes": ("paper.bib", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00", "not BibTeX, RIS or CSL-JSON"),
    "empty-file": ("a.bib", b" \n\t\n", "This file is empty."),
}


@pytest.mark.parametrize(("name", "data", "said"), list(REFUSED_FILES.values()), ids=list(REFUSED_FILES))
def test_a_broken_or_hostile_reference_file_is_refused_with_a_message(as_alice, name, data, said):
    response = as_alice.post("/settings/interests/seeds/", upload(name, data), follow=True)
    assert response.redirect_chain == [("/settings/interests/", 302)]
    (message,) = messages_of(response)
    assert message.startswith("Nothing was added: "), message
    assert said in message, message
    assert not SeedPaper.objects.exists()


READ_FILES = {
    "bibtex-string-concatenation": (
        "a.bib",
        b'@string{s0 = "aaaaaaaaaa"}\n'
        + b"".join(b"@string{s%d = s%d # s%d}\n" % (i, i - 1, i - 1) for i in range(1, 30))
        + b"@misc{x, title = s29, eprint = {2401.01234}}\n",
    ),
    "csl-json-odd-types": ("a.json", b'[{"title": {"a": [1]}, "number": ["2401.01234"], "URL": null, "note": 7}]'),
    "bibtex-title-3000-accents": ("a.bib", b"@misc{x, title = {" + b"\\'{e}" * 3000 + b"}, eprint = {2401.01234}}"),
}


@pytest.mark.parametrize(("name", "data"), list(READ_FILES.values()), ids=list(READ_FILES))
def test_an_odd_but_readable_reference_file_is_read(as_alice, alice, lg, name, data):
    PaperFactory(arxiv_id="2401.01234", primary_category=lg)
    response = as_alice.post("/settings/interests/seeds/", upload(name, data))
    assert response.status_code == 200
    assert_inert(response.content.decode(), "seed report")
    expected = 0 if name.endswith(".json") else 1  # CSL-JSON's "number" must be text to be read
    assert SeedPaper.objects.filter(user=alice).count() == expected


def test_a_bibtex_title_of_4_mb_of_tex_accents_is_read_within_the_timeout(as_alice, alice, lg):
    """pylatexenc took over a minute on this, past gunicorn's 30 s timeout (fixed in papers/references/parse.py:
    a file hands it 50,000 characters at most)."""
    PaperFactory(arxiv_id="2401.01234", primary_category=lg)
    data = b"@misc{x, title = {" + b"\\'{e}" * 800_000 + b"}, eprint = {2401.01234}}\n"
    data += b"".join(b'@misc{k%d, title = {\\"U%d ' % (i, i) + b"\\'{e}" * 40 + b"}}\n" for i in range(2000))
    spent = []
    real = references._LATEX.latex_to_text
    with mock.patch.object(references._LATEX, "latex_to_text", lambda tex: spent.append(len(tex)) or real(tex)):
        response = as_alice.post("/settings/interests/seeds/", upload("library.bib", data))
    assert response.status_code == 200
    assert sum(spent) <= references.TEX_BUDGET
    html = response.content.decode()
    assert "\u00dc0 " in html  # the first titles still read as text: \"U is Ü
    assert "U1999 " in html  # the last ones lose only their TeX
    assert SeedPaper.objects.filter(user=alice).count() == 1
