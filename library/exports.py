"""Reference exports that Zotero, JabRef, EndNote and Pandoc accept: BibTeX, RIS, CSL-JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from papers.models import Paper

from .models import ReadingListEntry


@dataclass(frozen=True)
class Item:
    paper: Paper
    entry: ReadingListEntry | None = None
    list_name: str = ""


# ---------------------------------------------------------------- BibTeX

# arXiv titles and abstracts are already TeX: keep their commands and math, escape only what would
# break a .bib file, and spell non-ASCII letters as TeX accents.
_ACCENTS = {
    "\u0301": "'",
    "\u0300": "`",
    "\u0302": "^",
    "\u0308": '"',
    "\u0303": "~",
    "\u0304": "=",
    "\u0307": ".",
    "\u0306": "u",
    "\u030c": "v",
    "\u030b": "H",
    "\u0327": "c",
    "\u0328": "k",
    "\u030a": "r",
}
_LETTERS = {
    "ß": r"{\ss}",
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "å": r"{\aa}",
    "Å": r"{\AA}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "\u0131": r"{\i}",
    "\u2013": "--",
    "\u2014": "---",
    "\u2019": "'",
    "\u2018": "`",
    "\u201c": "``",
    "\u201d": "''",
}
_GREEK_CAPITALS = {"GAMMA", "DELTA", "THETA", "LAMBDA", "XI", "PI", "SIGMA", "UPSILON", "PHI", "PSI", "OMEGA"}


def _greek(ch: str) -> str | None:
    """The TeX command for a Greek letter (\\alpha, \\Omega), from its Unicode name."""
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER ") and " " not in name[19:]:
        return "\\" + name[19:].lower()
    if name.startswith("GREEK CAPITAL LETTER ") and name[21:] in _GREEK_CAPITALS:
        return "\\" + name[21:].capitalize()
    return None


_UNESCAPED = re.compile(r"(?<!\\)([&%#])")


def tex(text: str, *, in_math: bool = False) -> str:
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in _LETTERS:
            out.append(_LETTERS[ch])
        elif command := _greek(ch):
            out.append(command + " " if in_math else f"${command}$")
        else:
            base, *marks = list(unicodedata.normalize("NFD", ch))
            if marks and all(m in _ACCENTS for m in marks) and base.isascii():
                wrapped = base
                for mark in marks:
                    wrapped = f"\\{_ACCENTS[mark]}{{{wrapped}}}"
                out.append("{" + wrapped + "}")
            else:
                out.append(ch)  # left as UTF-8, which biber and modern BibTeX read
    return "".join(out)


def bib_field(text: str) -> str:
    """Escape TeX from arXiv for a braced BibTeX field: &, % and # outside math; balanced braces kept."""
    parts = re.split(r"(\$[^$]*\$)", text)
    escaped = "".join(tex(p, in_math=True) if p.startswith("$") else _UNESCAPED.sub(r"\\\1", tex(p)) for p in parts)
    if not _balanced(escaped):
        # An unbalanced brace could close the field and inject another: make every brace literal.
        escaped = re.sub(r"(?<!\\)([{}])", r"\\\1", escaped)
    if (len(escaped) - len(escaped.rstrip("\\"))) % 2:
        escaped += " "  # a last lone backslash would escape the field's closing brace for biber
    return escaped


_PLAIN_TEXT_TEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def bib_text(text: str) -> str:
    """A user's plain text (a note) for a BibTeX field: every TeX special is literal."""
    return tex("".join(_PLAIN_TEXT_TEX.get(ch, ch) for ch in text))


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"(?<!\\)[{}]", text):
        depth += 1 if match[0] == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def bibtex_key(paper: Paper) -> str:
    """Stable and unique: first author's surname, year, and the arXiv id (which is unique)."""
    surname = paper.author_names[0].split()[-1] if paper.author_names else "anon"
    surname = re.sub(r"[^A-Za-z]", "", unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode())
    year = paper.published.year if paper.published else ""
    return f"{surname.lower() or 'anon'}{year}_{re.sub(r'[^0-9A-Za-z]', '_', paper.arxiv_id)}"


def to_bibtex(items: Sequence[Item]) -> str:
    blocks = []
    for item in items:
        p = item.paper
        published = p.journal_ref or p.doi
        fields = [
            ("title", bib_field(p.title)),
            ("author", " and ".join(bib_field(name) for name in p.author_names)),
            ("year", str(p.published.year) if p.published else ""),
            ("month", p.published.strftime("%b").lower() if p.published else ""),
            ("eprint", p.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("primaryClass", p.primary_category.code if p.primary_category else ""),
            ("journal", bib_field(p.journal_ref) if p.journal_ref else ("arXiv preprint" if p.doi else "")),
            ("doi", p.doi),
            ("url", p.abs_url),
            ("abstract", bib_field(p.abstract)),
            ("note", bib_text(item.entry.note) if item.entry and item.entry.note else ""),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        blocks.append(f"@{'article' if published else 'misc'}{{{bibtex_key(p)},\n{body}\n}}\n")
    return "\n".join(blocks)


# ---------------------------------------------------------------- RIS


def to_ris(items: Sequence[Item]) -> str:
    lines = []
    for item in items:
        p = item.paper
        lines.append(f"TY  - {'JOUR' if p.journal_ref or p.doi else 'UNPB'}")
        lines += [f"AU  - {_ris(name)}" for name in p.author_names]
        lines.append(f"TI  - {_ris(p.title)}")
        if p.abstract:
            lines.append(f"AB  - {_ris(p.abstract)}")
        if p.published:
            lines += [f"PY  - {p.published:%Y}", f"DA  - {p.published:%Y/%m/%d}"]
        if p.journal_ref:
            lines.append(f"JO  - {_ris(p.journal_ref)}")
        lines.append(f"UR  - {p.abs_url}")
        if p.doi:
            lines.append(f"DO  - {p.doi}")
        lines.append(f"N1  - arXiv:{p.arxiv_id}")
        if item.entry and item.entry.note:
            lines.append(f"N1  - {_ris(item.entry.note)}")
        if p.primary_category:
            lines.append(f"KW  - {p.primary_category.code}")
        lines.append("ER  - ")
        lines.append("")
    return "\r\n".join(lines)


def _ris(text: str) -> str:
    return " ".join(text.split())  # one line per tag


# ---------------------------------------------------------------- CSL-JSON


def to_csl_json(items: Sequence[Item]) -> str:
    records = []
    for item in items:
        p = item.paper
        record: dict[str, object] = {
            "id": f"arXiv:{p.arxiv_id}",
            "type": "article-journal" if p.journal_ref or p.doi else "article",
            "title": p.title,
            "author": [_csl_name(name) for name in p.author_names],
            "abstract": p.abstract,
            "URL": p.abs_url,
            "number": p.arxiv_id,
            "publisher": "arXiv",
            "genre": "Preprint",
        }
        if p.published:
            record["issued"] = {"date-parts": [[p.published.year, p.published.month, p.published.day]]}
        if p.doi:
            record["DOI"] = p.doi
        if p.journal_ref:
            record["container-title"] = p.journal_ref
        if item.entry and item.entry.note:
            record["note"] = item.entry.note
        records.append(record)
    return json.dumps(records, ensure_ascii=False, indent=2)


def _csl_name(name: str) -> dict[str, str]:
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given} if given else {"literal": name}


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = [
    "arxiv_id",
    "version",
    "title",
    "authors",
    "published",
    "primary_category",
    "categories",
    "doi",
    "journal_ref",
    "url",
    "pdf_url",
    "list",
    "state",
    "note",
    "added",
]


def _cell(value: object) -> object:
    """Spreadsheets run cells that start with = + - @ as formulas: quote those."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(items: Sequence[Item]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        p, entry = item.paper, item.entry
        writer.writerow(
            map(
                _cell,
                [
                    p.arxiv_id,
                    p.version or "",
                    p.title,
                    "; ".join(p.author_names),
                    p.published.date().isoformat() if p.published else "",
                    p.primary_category.code if p.primary_category else "",
                    " ".join(c.code for c in p.categories.all()),
                    p.doi,
                    p.journal_ref,
                    p.abs_url,
                    p.pdf_url,
                    item.list_name,
                    entry.state if entry else "",
                    entry.note if entry else "",
                    entry.added_at.isoformat() if entry else "",
                ],
            )
        )
    return out.getvalue()


FORMATS = {
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", to_bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", to_ris),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json", to_csl_json),
    "csv": ("text/csv; charset=utf-8", "csv", to_csv),
}
