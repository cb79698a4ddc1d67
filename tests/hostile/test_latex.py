"""Hostile input, LaTeX that KaTeX renders (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from django.utils.html import escape

from ..factories import PaperFactory
from .helpers import (
    ROOT,
    assert_escaped,
    assert_inert,
    page,
)

pytestmark = pytest.mark.django_db


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
