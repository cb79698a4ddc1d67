"""Hostile input, reference files: broken, enormous, hostile (issue 14 §3; docs/security.md lists each case)."""

from __future__ import annotations

from unittest import mock

import pytest

from deck.models import SeedPaper
from papers.references import parse as references

from ..factories import PaperFactory
from .helpers import (
    assert_inert,
    messages_of,
    upload,
)

pytestmark = pytest.mark.django_db


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
