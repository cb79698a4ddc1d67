"""Reference files and pasted ids, reduced to titles and bare arXiv ids.

One parser for BibTeX, RIS and CSL-JSON (what Zotero, Mendeley, JabRef, Google Scholar, ADS and DBLP
export) and one for pasted text. Both only read: deciding what a reference means (a keep, a list
entry) is the caller's business. A broken file raises `ReferenceFileError` and yields nothing, so
that a caller never acts on half of a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import bibtexparser
import rispy
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from paperswipe import untrusted_json

from ..ids import InvalidArxivId, parse_arxiv_id

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 5000


class ReferenceFileError(ValueError):
    """The file cannot be used; the message is meant for the user who uploaded it."""


@dataclass(frozen=True)
class Reference:
    title: str
    arxiv_id: str | None  # bare, without version: "2401.01234", "hep-th/9901001"


# ---------------------------------------------------------------- finding ids

_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?/\d{7})(?:v\d+)?(?!\d)"
# Only ids that say they are arXiv's: a URL, the DataCite DOI, or an "arXiv:" prefix. A bare number in
# free text (a note, a journal name) could be anything.
_ID_IN_TEXT = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<url>{_ID})|10\.48550/arxiv\.(?P<doi>{_ID})|\barxiv:\s*(?P<prefixed>{_ID})",
    re.IGNORECASE | re.ASCII,  # ASCII: digits are 0-9, as in arXiv's ids
)


def _plausible(bare: str) -> bool:
    """arXiv's numbering rules, so that a typo never reaches the API, whose error feed fails a whole batch.

    New-style ids began in 0704, with five digits from 1501; old-style ones ran from 9108 to 0703.
    """
    if "/" in bare:
        yymm = bare.rsplit("/", 1)[1][:4]
        return 1 <= int(yymm[2:]) <= 12 and (yymm >= "9108" or yymm <= "0703")
    yymm, number = bare.split(".")
    if not 1 <= int(yymm[2:]) <= 12 or yymm < "0704":
        return False
    return len(number) == (5 if yymm >= "1501" else 4)


def _bare(raw: str) -> str | None:
    try:
        bare = parse_arxiv_id(raw)[0]
    except InvalidArxivId:
        return None
    return bare if _plausible(bare) else None


def _id_in_text(text: str) -> str | None:
    for match in _ID_IN_TEXT.finditer(text):
        if bare := _bare(match["url"] or match["doi"] or match["prefixed"]):
            return bare
    return None


def _id_in_field(value: str, *, bare_allowed: bool) -> str | None:
    """A field that holds nothing but an id (eprint, arxivId, archiveID) may hold it bare."""
    value = value.strip()
    if bare_allowed and (bare := _bare(value)):
        return bare
    return _id_in_text(value)


def _first_id(fields: Iterable[tuple[str, bool]]) -> str | None:
    """The id of the first field, most specific first, that names one."""
    return next((found for value, bare in fields if value and (found := _id_in_field(value, bare_allowed=bare))), None)


# ---------------------------------------------------------------- files


def parse_references(data: bytes, filename: str = "") -> list[Reference]:
    """Every entry of a BibTeX, RIS or CSL-JSON file, in file order, with its arXiv id or None."""
    if len(data) > MAX_BYTES:
        raise ReferenceFileError(f"This file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    text = _decode(data)
    if not text.strip():
        raise ReferenceFileError("This file is empty.")
    kind = _detect(text, filename.lower().rsplit(".", 1)[-1] if "." in filename else "")
    parse = {"BibTeX": _parse_bibtex, "RIS": _parse_ris, "CSL-JSON": _parse_csl_json}[kind]
    return parse(text)


def _decode(data: bytes) -> str:
    # EndNote writes UTF-16 with a BOM, Zotero UTF-8 with one, old tools Windows-1252.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReferenceFileError("This file is not BibTeX, RIS or CSL-JSON.") from None
    if b"\x00" in data:  # a PDF, an image, a zip
        raise ReferenceFileError("This file is not BibTeX, RIS or CSL-JSON.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_BIBTEX_ENTRY = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)
# What bibtexparser takes for a block start: `@type{` anywhere between blocks, not only at a line's start
# (`@misc{a,...}@misc{b,...}` on one line is two entries). An @ inside a value counts too: a file is
# refused a little early rather than parsed past the limit.
_BIBTEX_BLOCK = re.compile(r"@[ \t]*(\w*)[ \t]*[{(]")
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)", re.MULTILINE)


def _detect(text: str, extension: str) -> str:
    """The format from the content; the extension only settles a file that starts with stray lines."""
    start = text.lstrip()
    if start.startswith(("[", "{")):
        return "CSL-JSON"
    if start.startswith("TY  -") or (extension == "ris" and re.search(r"^TY  -", text, re.MULTILINE)):
        return "RIS"
    if _BIBTEX_ENTRY.search(text):
        return "BibTeX"
    raise ReferenceFileError("This file is not BibTeX, RIS or CSL-JSON.")


def _check_count(count: int) -> None:
    if count > MAX_ENTRIES:
        raise ReferenceFileError(f"This file holds more than {MAX_ENTRIES:,} references; please split it.")


# JSON can escape half a surrogate pair ("\ud800"); no page can encode that as UTF-8, so the seed report that
# shows the title answered 500. Each half becomes U+FFFD, as a UTF-8 decoder would have made it.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _clean(text: str) -> str:
    return " ".join(_LONE_SURROGATE.sub("\ufffd", text).split())


# ---------------------------------------------------------------- BibTeX

_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False)
_NOT_ENTRIES = {"string", "comment", "preamble"}


def _parse_bibtex(text: str) -> list[Reference]:
    # Count before parsing: a huge file is refused without spending seconds on it.
    _check_count(sum(1 for m in _BIBTEX_BLOCK.finditer(text) if m[1].lower() not in _NOT_ENTRIES))
    library = bibtexparser.parse_string(text)
    entries: list[Entry] = list(library.entries)
    for failed in library.failed_blocks:
        # A repeated key or field is a warning to BibTeX itself, and hand-merged files have them: keep
        # the entry. Anything else (an unclosed brace, a missing comma) means the file is broken.
        if isinstance(failed, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock) and isinstance(
            failed.ignore_error_block, Entry
        ):
            # Such an entry skipped the parse stack: take off the braces and quotes around its values here.
            entry = RemoveEnclosingMiddleware().transform_entry(failed.ignore_error_block, library)
            entries.append(entry if isinstance(entry, Entry) else failed.ignore_error_block)
            continue
        line = (failed.start_line or 0) + 1
        raise ReferenceFileError(f"The BibTeX file could not be read: the entry at line {line} is broken.")
    entries.sort(key=lambda e: e.start_line or 0)
    budget = _TexBudget()
    return [_bibtex_reference(entry, budget) for entry in entries]


# pylatexenc spends 10 to 20 µs on each character of hostile TeX (\'{e} or $x$ repeated): a 4 MB title of it
# held the upload for over a minute, past gunicorn's 30 s timeout, which kills the worker. A file hands it
# this many characters at most; titles past that lose their braces and backslashes the quick way instead.
TEX_BUDGET = 50_000


@dataclass
class _TexBudget:
    left: int = TEX_BUDGET

    def take(self, text: str) -> bool:
        """Whether `text` still fits in what is left, spending it if so."""
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def _bibtex_reference(entry: Entry, budget: _TexBudget | None = None) -> Reference:
    # Field names are case-insensitive in BibTeX: Zotero writes archivePrefix, others archiveprefix.
    fields: dict[str, str] = {}
    for field in entry.fields:
        fields.setdefault(field.key.lower(), str(field.value))  # a repeated field: BibTeX keeps the first
    title = _tex_title(fields.get("title", ""), budget)
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    # An eprint of another archive (HAL, bioRxiv) is not an arXiv id; one with no archive named may be.
    eprint = fields.get("eprint", "") if prefix in {"arxiv", ""} else ""
    return Reference(
        title,
        _first_id(
            [
                (eprint, True),
                (fields.get("arxivid", ""), True),  # Mendeley
                (fields.get("archiveid", ""), True),  # Zotero's Archive ID: "arXiv:2401.01234"
                (fields.get("archive_location", ""), True),
                *((fields.get(name, ""), False) for name in _BIBTEX_TEXT_FIELDS),
            ]
        ),
    )


def _tex_title(tex: str, budget: _TexBudget | None = None) -> str:
    """The title as text: {\\"U}ber becomes Über, -- an en dash.

    Most titles only hold case-protecting braces, and pylatexenc takes half a millisecond a title
    (seconds for a large file): those skip it.
    """
    if not any(ch in tex for ch in "\\$~"):
        for source, target in _TEX_PUNCTUATION:
            tex = tex.replace(source, target)
        return _clean(tex)
    if budget is not None and not budget.take(tex):
        return _clean(re.sub(r"[{}\\]", "", tex))
    # A bare & or % is meant literally in a title; pylatexenc would drop it (a tab stop) or the rest (a comment).
    try:
        return _clean(_LATEX.latex_to_text(_BARE_SPECIAL.sub(r"\\\1", tex)))
    except (RecursionError, ValueError, IndexError):  # hostile nesting: the braces go, the text stays
        return _clean(re.sub(r"[{}\\]", "", tex))


_TEX_PUNCTUATION = [("{", ""), ("}", ""), ("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d")]
_BARE_SPECIAL = re.compile(r"(?<!\\)([&%])")


_BIBTEX_TEXT_FIELDS = ("doi", "url", "howpublished", "journal", "journaltitle", "number", "note", "extra")


# ---------------------------------------------------------------- RIS


def _parse_ris(text: str) -> list[Reference]:
    text = "\n".join(text.splitlines())
    _check_count(_ris_records(text))
    # With only TY mapped, rispy files every other tag under "tags" as raw lists: UR, DO, N1, AR ...
    records = rispy.loads(text, mapping={"TY": "TY", "UK": "tags"}, list_tags=[])
    return [_ris_reference(record.get("tags", {})) for record in records]


def _ris_records(text: str) -> int:
    """The number of records, once every TY is closed by its ER.

    rispy drops a last record that lacks its ER line and merges two records when one lacks it in the
    middle: a truncated file must be refused, not half-read.
    """
    open_at: int | None = None
    count = 0
    for number, line in enumerate(text.split("\n"), start=1):
        tag = line[:2] if _RIS_LINE.match(line) else ""
        if (tag == "TY" and open_at is not None) or (tag == "ER" and open_at is None):
            where = f"the record at line {open_at} has no ER line" if open_at else f"line {number} ends no record"
            raise ReferenceFileError(f"The RIS file could not be read: {where}.")
        if tag == "TY":
            open_at, count = number, count + 1
        elif tag == "ER":
            open_at = None
    if open_at is not None:
        raise ReferenceFileError(f"The RIS file could not be read: the record at line {open_at} has no ER line.")
    return count


def _ris_reference(tags: dict[str, list[str]]) -> Reference:
    def values(*names: str) -> list[str]:
        return [value for name in names for value in tags.get(name, [])]

    title = _clean(" ".join(values("TI")) or " ".join(values("T1")))
    return Reference(
        title,
        _first_id(
            [
                *((v, True) for v in values("AN", "AR")),  # accession number / article number: an id alone
                *((v, False) for v in values("DO", "UR", "M3", "M2", "M1", "N1", "T2", "JO", "L1", "L2")),
            ]
        ),
    )


# ---------------------------------------------------------------- CSL-JSON


def _parse_csl_json(text: str) -> list[Reference]:
    try:
        data = untrusted_json.loads(text)
    except untrusted_json.UntrustedJSONError as error:
        raise ReferenceFileError(f"The CSL-JSON file could not be read: {error}.") from None
    # Zotero and Pandoc write a list; a single item and {"items": [...]} are seen in the wild too.
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    elif isinstance(data, dict) and ("type" in data or "title" in data):
        data = [data]
    if not isinstance(data, list):
        raise ReferenceFileError("The CSL-JSON file could not be read: it is not a list of items.")
    _check_count(len(data))
    return list(_csl_references(data))


def _csl_references(items: list[Any]) -> Iterator[Reference]:
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ReferenceFileError(f"The CSL-JSON file could not be read: item {number} is not an object.")

        def text(name: str, item: dict[str, Any] = item) -> str:
            value = item.get(name)
            return str(value) if isinstance(value, str | int | float) else ""

        yield Reference(
            _clean(text("title")),
            _first_id(
                [
                    (text("number"), True),  # Zotero: "arXiv:2401.01234" for a preprint
                    (text("archive_location"), True),
                    *((text(name), False) for name in ("DOI", "URL", "container-title", "note", "extra")),
                ]
            ),
        )


# ---------------------------------------------------------------- pasted text

_SEPARATORS = re.compile(r"[\s,;]+")
# "arXiv: 2401.01234" and "arXiv 2401.01234" are one id, not a word and an id.
_LOOSE_PREFIX = re.compile(r"\barxiv:?\s+(?=\d{4}\.\d|[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?/\d)", re.IGNORECASE | re.ASCII)
_DOI = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)?10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_WRAPPERS = "<>()[]{}\"'`.,;:"


def parse_id_lines(text: str) -> tuple[list[str], list[str]]:
    """Bare ids from pasted text, in order and each once, and the pieces that were not ids.

    Ids and URLs may share a line; words between them that are not ids come back as one piece per run
    ("Attention is all you need"), so that the user sees what was left out.
    """
    ids: dict[str, None] = {}
    not_understood: list[str] = []
    for line in text.splitlines():
        run: list[str] = []
        for token in _SEPARATORS.split(_LOOSE_PREFIX.sub("arXiv:", line)):
            if not token:
                continue
            if bare := _id_in_token(token):
                ids.setdefault(bare, None)
                if run:
                    not_understood.append(" ".join(run))
                    run = []
            else:
                run.append(token)
        if run:
            not_understood.append(" ".join(run))
    return list(ids), not_understood


def _id_in_token(token: str) -> str | None:
    token = token.strip(_WRAPPERS)
    if "arxiv.org/" in token.lower():
        token = re.split(r"[?#]", token, maxsplit=1)[0]  # ?context=cs, #S3
    if doi := _DOI.match(token):
        token = doi["id"]
    # A token that only holds an id somewhere inside, as in a Markdown link: [title](https://arxiv.org/abs/…).
    return _bare(token) or _id_in_text(token)
