"""Cleaning arXiv's text fields: whitespace, hard-wrapped abstracts, author strings, TeX accents."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")

# TeX accent commands as arXiv metadata uses them in author names: St\'ephane, {\"u}, \c{c}.
_COMBINING = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_ACCENT = re.compile(r"""\{?\\(?P<cmd>['`^"~=.]|[uvHckr](?=[{\s]))\s*\{?(?P<char>\\i|[A-Za-z])\}?\}?""")
_LETTERS = {
    r"\ss": "ß",
    r"\o": "ø",
    r"\O": "Ø",
    r"\aa": "å",
    r"\AA": "Å",
    r"\ae": "æ",
    r"\AE": "Æ",
    r"\l": "ł",
    r"\L": "Ł",
}
_LETTER = re.compile(r"\{(\\(?:ss|aa|AA|ae|AE|o|O|l|L))\}|(\\(?:ss|aa|AA|ae|AE|o|O|l|L))(?![A-Za-z]) ?")


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def clean_abstract(text: str) -> str:
    """Undo arXiv's hard wrapping. A line that starts with spaces begins a new paragraph."""
    paragraphs: list[list[str]] = []
    for line in text.strip("\n").split("\n"):
        if not line.strip():
            paragraphs.append([])
        elif not paragraphs or line[:1].isspace():
            paragraphs.append([line.strip()])
        else:
            paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(lines) for lines in paragraphs if lines)


def decode_tex_accents(text: str) -> str:
    if "\\" not in text:
        return text

    def accent(match: re.Match[str]) -> str:
        char = "i" if match["char"] == "\\i" else match["char"]
        return unicodedata.normalize("NFC", char + _COMBINING[match["cmd"]])

    text = _ACCENT.sub(accent, text)
    return _LETTER.sub(lambda m: _LETTERS[m[1] or m[2]], text)


def split_authors(text: str) -> list[tuple[str, list[str]]]:
    """Split "A (MIT), B, and C (IHEP, CAS)" into [(name, [affiliations]), ...].

    Commas inside parentheses belong to affiliations; " and " joins the last author.
    """
    chunks: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            chunks.append(text[start:i])
            start = i + 1
    chunks.append(text[start:])

    authors: list[tuple[str, list[str]]] = []
    for chunk in chunks:
        for part in re.split(r"\s+and\s+(?![^()]*\))", chunk.strip()):
            part = re.sub(r"^and\s+", "", part.strip())
            if not part:
                continue
            name, _, rest = part.partition("(")
            name = collapse_spaces(decode_tex_accents(name))
            affiliation = collapse_spaces(decode_tex_accents(rest.rsplit(")", 1)[0])) if rest else ""
            if name:
                authors.append((name, [affiliation] if affiliation else []))
            elif affiliation and authors:
                # A trailing "((1) MIT, (2) CERN)" block belongs to the authors before it.
                authors[-1][1].append(affiliation)
    return authors
