"""People's names compared as names: "A. Li" is Ang Li, and neither is Hai-Liang Li, Qiang Li or Yepang Liu.

Each paper stores its authors' folded names as `author_keys`, "|ang li|hai-liang li|". A follow or a mute
of an author becomes a regular expression over those keys (`name_pattern`) that PostgreSQL (`~`), SQLite
(REGEXP, which Django runs with Python's `re`) and Python read alike: it uses only literal letters, `\\|`,
`[^ |]`-style brackets, `(?:...)` and `*`, which mean the same in Python and in PostgreSQL's AREs.

Changing how names fold changes what the stored keys must hold: such a change needs a data migration that
refills `author_keys`, as papers/migrations/0010_author_keys.py filled them first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Letters that carry no combining mark to strip, so NFKD leaves them as they are.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "\u0131": "i", "þ": "th"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u02b9`\u00b4]")
_AFFILIATION = re.compile(r"\([^)]*\)")  # "Ang Li (MIT)": a source that put the affiliation into the name
_NOT_NAME = re.compile(r"[^\w-]+|_")
_SPACED_HYPHENS = re.compile(r"\s*-[-\s]*")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})

# Matches no key: keys are never empty between two bars.
NO_NAME = r"\|\|"


def fold_text(text: str) -> str:
    """Case and accents folded away: "José" and "JOSE" are both "jose"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_PLAIN_LETTERS)


def fold_name(name: str) -> str:
    """A name as its comparable key: given names first, then the surname, in plain lower-case words.

    "Li, Ang" and "ANG LI" give "ang li"; "H.-L. Li" gives "h-l li"; "José  M. García" gives "jose m garcia".
    Hyphens stay inside a word ("hai-liang"), apostrophes go ("o'brien" is "obrien"), and a closing
    "Jr."/"III" is left out, as BibTeX's "Surname, Jr., Given" form has it too.
    """
    text = _APOSTROPHES.sub("", _AFFILIATION.sub(" ", name))
    text = _given_names_first(text)
    text = _DASHES.sub("-", fold_text(text))
    text = _SPACED_HYPHENS.sub("-", _NOT_NAME.sub(" ", text))
    words = [word.strip("-") for word in text.split()]
    words = [word for word in words if word]
    if len(words) > 2 and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


def _given_names_first(name: str) -> str:
    """ "Surname, Given" and "Surname, Jr., Given" as "Given Surname"; a name without a comma as it is."""
    parts = [part.strip() for part in name.split(",")]
    surname, rest = parts[0], [part for part in parts[1:] if part and not _is_suffix(part)]
    return " ".join([*rest, surname]) if rest else surname


def _is_suffix(part: str) -> bool:
    return fold_text(part).strip(" .") in _SUFFIXES


def author_keys(names: Iterable[str]) -> str:
    """What `Paper.author_keys` stores: each author's folded name between bars, "|ang li|qiang li|"."""
    keys = [key for key in map(fold_name, names) if key]
    return f"|{'|'.join(keys)}|" if keys else ""


def name_pattern(value: str) -> str:
    """A regular expression that finds the name `value` in `author_keys`, the same in Python and SQL.

    The surname must be the whole surname. A single word is a surname: "Li" is every author called Li.
    Given names match one by one, in order: a full name matches itself or its initial ("Ang" ~ "A."),
    an initial matches any given name it begins ("A." ~ "Ang", "Angela", "H." ~ "Hai-Liang"), and a
    hyphen or a space may join the parts ("Hai-Liang" ~ "H.-L." ~ "Hai Liang"). The author may also
    carry middle initials the value leaves out ("Geoffrey Hinton" ~ "Geoffrey E. Hinton"). A name is
    never a part of another: "Ang Li" matches neither "Angela Li", "Qiang Li" nor "Hai-Liang Li".
    """
    words = fold_name(value).split()
    if not words:
        return NO_NAME
    surname = words[-1]
    if len(words) == 1:
        return rf"\|(?:[^|]* )?{surname}\|"
    parts = [part for word in words[:-1] for part in word.split("-") if part]
    given = "[ -]".join(map(_given_pattern, parts))
    return rf"\|{given}(?: [^ |-])* {surname}\|"


def _given_pattern(part: str) -> str:
    if len(part) == 1:
        return f"{part}[^ |]*"  # an initial: whatever given name it begins, hyphenated ones too
    return f"(?:{part}|{part[0]})"  # a full given name, or its initial


def has_name(keys: str, value: str) -> bool:
    """`name_pattern` on a paper in hand, exactly as the database applies it."""
    return _name_regex(value).search(keys) is not None


@functools.lru_cache(maxsize=1024)  # the same few mutes are checked on every deck request
def _name_regex(value: str) -> re.Pattern[str]:
    return re.compile(name_pattern(value))
