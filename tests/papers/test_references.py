"""Reference files and pasted ids (papers.references.parse), and fetching the papers they name (ensure_papers)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from papers.arxiv import client_from_settings
from papers.models import Paper
from papers.records import ArxivAPIError
from papers.references.parse import (
    MAX_BYTES,
    MAX_ENTRIES,
    Reference,
    ReferenceFileError,
    parse_id_lines,
    parse_references,
)
from papers.services import PapersUnavailable, ensure_papers

from ..arxiv_standin import make_entries
from ..factories import PaperFactory

REFERENCES = Path(__file__).resolve().parent.parent / "fixtures" / "references"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def parse_fixture(name: str) -> list[Reference]:
    return parse_references((REFERENCES / name).read_bytes(), name)


def ids(references: list[Reference]) -> list[str | None]:
    return [r.arxiv_id for r in references]


# ---------------------------------------------------------------- Zotero exports


def test_zotero_bibtex_export():
    references = parse_fixture("zotero.bib")
    assert references == [
        # @misc preprint: url, doi, note all name it
        Reference(
            "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques", "2202.12139"
        ),
        # @inproceedings with a publisher DOI, eprint + archivePrefix
        Reference("Fairness testing: testing software for discrimination", "1709.03221"),
        # old-style eprint with a version
        Reference("Statistical test of anarchy", "hep-ph/0301050"),
        Reference("$\\omega$Test: WebView-Oriented Testing for Android Applications", "2306.03845"),
        Reference("The Art of Software Testing", None),
        Reference("Über die Prüfung nebenläufiger Software \u2013 Straße und Café", None),  # -- is an en dash
    ]


def test_zotero_ris_export_with_crlf_line_ends():
    data = (REFERENCES / "zotero.ris").read_bytes()
    assert b"\r\n" in data
    assert parse_references(data, "Exported Items.ris") == [
        Reference("Towards Explainable Test Case Prioritisation with Learning-to-Rank Models", "2405.13786"),
        Reference(
            "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward the Galactic "
            "Bulge and Carina",
            "astro-ph/0601001",
        ),
        Reference("Active Fuzzing for Testing and Securing Cyber-Physical Systems", None),  # ACM DOI only
        Reference("The Art of Software Testing", None),
    ]


def test_zotero_csl_json_export():
    assert parse_fixture("zotero.json") == [
        Reference("Automated Test Generation for REST APIs: No Time to Rest Yet", "2204.08348"),
        Reference("ChatGPT and Software Testing Education: Promises & Perils", "2302.03287"),
        Reference(
            "Principles of Equivalence: Their Role in Gravitation Physics and Experiments that Test Them",
            "gr-qc/0103067",
        ),
        Reference("Improving test automation maturity: A multivocal literature review", None),
        Reference("ωTest: WebView-Oriented Testing for Android Applications — Straße, Café, 测试", "2306.03845"),
    ]


# ---------------------------------------------------------------- every field that carries an id


def test_bibtex_fields():
    assert ids(parse_fixture("fields.bib")) == [
        "2405.13786",  # eprint with eprinttype = arXiv (DBLP, biblatex)
        "2005.14124",  # arxivId (Mendeley)
        "2204.08348",  # url to /abs/ with a version
        "2302.03287",  # howpublished = \url{…/pdf/….pdf}
        "2101.09077",  # note = "Preprint, arXiv:… [cs.SE]"
        "2503.05378",  # doi 10.48550/ARXIV.…
        "1205.1866",  # journal = "arXiv preprint arXiv:…" (Google Scholar)
        "2502.07719",  # archiveID = "arXiv:…" (Zotero)
        "1812.11470",  # archive_location
        "2403.16981",  # extra line "arXiv: …"
        "cs/0503050",  # old-style id in a url
        None,  # an eprint of HAL is not an arXiv id
    ]


def test_ris_fields():
    assert ids(parse_fixture("fields.ris")) == [
        "2202.12139",  # UR to /pdf/
        "2204.08348",  # DO
        "2302.03287",  # the second of two N1
        "2101.09077",  # AN
        "2503.05378",  # M3
        "1205.1866",  # T2 = "arXiv preprint arXiv:…"
        "2502.07719",  # JO
        "hep-ph/0301050",  # AR, bare
        None,  # a DOI and a URL elsewhere
    ]


def test_csl_json_fields():
    assert ids(parse_fixture("fields.json")) == [
        "2202.12139",  # URL to /html/
        "2005.14124",  # DOI
        "2101.09077",  # number = "arXiv:…"
        "2503.05378",  # archive_location, bare
        "1205.1866",  # note line "arXiv: …"
        "2502.07719",  # extra line
        "hep-ph/0301050",  # container-title "arXiv preprint arXiv:…"
        None,  # number is a plain integer
    ]


def test_a_file_without_arxiv_ids_keeps_every_entry_without_one():
    # A bare number in a note is not taken for an id: only an arXiv URL, DOI or "arXiv:" prefix names one.
    assert parse_fixture("no_arxiv.bib") == [
        Reference("The Art of Software Testing", None),
        Reference("Fairness testing: testing software for discrimination", None),
    ]


def test_the_content_decides_the_format_not_the_name():
    data = (REFERENCES / "zotero.ris").read_bytes()
    assert parse_references(data, "export.bib") == parse_references(data, "export.ris")
    assert ids(parse_references((REFERENCES / "zotero.json").read_bytes())) == ids(parse_fixture("zotero.json"))


def test_endnote_utf16_and_windows_1252_files():
    ris = (REFERENCES / "zotero.ris").read_text(encoding="utf-8")
    assert parse_references(ris.encode("utf-16"), "endnote.ris") == parse_fixture("zotero.ris")
    bib = "@article{x, title = {Café Müller}, eprint = {2101.09077}, archivePrefix = {arXiv}}\n".encode("cp1252")
    assert parse_references(bib, "old.bib") == [Reference("Café Müller", "2101.09077")]


def test_repeated_bibtex_keys_keep_both_entries():
    data = b"@misc{a, title = {One}, eprint = {2101.09077}}\n@misc{a, title = {Two}, eprint = {2204.08348}}\n"
    assert parse_references(data) == [Reference("One", "2101.09077"), Reference("Two", "2204.08348")]


# ---------------------------------------------------------------- broken and unsuitable files


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken.bib", "The BibTeX file could not be read: the entry at line 7 is broken."),
        ("broken_truncated.ris", "The RIS file could not be read: the record at line 6 has no ER line."),
        ("broken_merged.ris", "The RIS file could not be read: the record at line 1 has no ER line."),
        ("broken.json", "The CSL-JSON file could not be read: Expecting property name enclosed in double quotes"),
    ],
)
def test_a_broken_file_raises_and_returns_nothing(name, message):
    with pytest.raises(ReferenceFileError) as caught:
        parse_fixture(name)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("name", ["zotero.bib", "zotero.ris", "zotero.json"])
def test_a_download_cut_short_is_refused(name):
    data = (REFERENCES / name).read_bytes()
    with pytest.raises(ReferenceFileError, match="could not be read"):
        parse_references(data[: len(data) * 2 // 3], name)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty."),
        (b" \n\t\n", "This file is empty."),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00",
            "This file is not BibTeX, RIS or CSL-JSON.",
        ),
        (b"<!doctype html><html><body>Zotero</body></html>", "This file is not BibTeX, RIS or CSL-JSON."),
        (b"Just some notes\nabout papers\n", "This file is not BibTeX, RIS or CSL-JSON."),
        (b'"a string"', "This file is not BibTeX, RIS or CSL-JSON."),
        (b'{"title": 1} {"title": 2}', "The CSL-JSON file could not be read: Extra data at line 1."),
        (b"[1, 2]", "The CSL-JSON file could not be read: item 1 is not an object."),
        (
            b'{"name": "package.json", "version": "1.0.0"}',
            "The CSL-JSON file could not be read: it is not a list of items.",
        ),
        (b"ER  - \n", "This file is not BibTeX, RIS or CSL-JSON."),
    ],
)
def test_unsuitable_files(data, message):
    with pytest.raises(ReferenceFileError) as caught:
        parse_references(data, "upload")
    assert str(caught.value) == message


def test_a_file_over_5_mb_is_refused_before_reading():
    entry = b"@misc{k, title = {A title}, eprint = {2101.09077}, archivePrefix = {arXiv}}\n"
    data = entry * (MAX_BYTES // len(entry) + 1)
    with pytest.raises(ReferenceFileError, match=r"^This file is larger than 5 MB\.$"):
        parse_references(data, "big.bib")


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("many.bib", "@misc{{k{n}, title = {{Paper {n}}}}}\n"),
        ("many.ris", "TY  - JOUR\nTI  - Paper {n}\nER  - \n"),
        ("many.json", '{{"type": "article", "title": "Paper {n}"}}'),
    ],
)
def test_more_than_5000_entries_are_refused(name, entry):
    separator = "," if name.endswith(".json") else ""
    body = separator.join(entry.format(n=n) for n in range(MAX_ENTRIES + 1))
    data = (f"[{body}]" if name.endswith(".json") else body).encode()
    assert len(data) < MAX_BYTES
    with pytest.raises(ReferenceFileError, match=r"^This file holds more than 5,000 references; please split it\.$"):
        parse_references(data, name)
    # exactly at the limit is fine
    at_limit = separator.join(entry.format(n=n) for n in range(MAX_ENTRIES))
    assert len(parse_references((f"[{at_limit}]" if name.endswith(".json") else at_limit).encode(), name)) == 5000


def test_deeply_nested_json_is_a_clear_error():
    with pytest.raises(ReferenceFileError, match="could not be read: it is nested too deeply"):
        parse_references(b"[" * 100_000 + b"]" * 100_000, "deep.json")


def test_csl_json_accepts_a_single_item_and_an_items_wrapper():
    item = {"type": "article", "title": "Property-Based Mutation Testing", "URL": "https://arxiv.org/abs/2301.13615"}
    expected = [Reference("Property-Based Mutation Testing", "2301.13615")]
    assert parse_references(json.dumps(item).encode()) == expected
    assert parse_references(json.dumps({"items": [item]}).encode()) == expected


# ---------------------------------------------------------------- pasted ids

MESSY_PASTE = """
Papers for the reading group:
https://arxiv.org/abs/2202.12139v1
arXiv:2405.13786, arXiv: 2005.14124; https://arxiv.org/pdf/2204.08348v3.pdf
    http://export.arxiv.org/abs/hep-ph/0301050   math.GT/0309136v2
10.48550/arXiv.2302.03287\thttps://doi.org/10.48550/arXiv.2101.09077
https://arxiv.org/html/2503.05378v2#S3 <https://arxiv.org/abs/1205.1866>
[OpenCat](https://arxiv.org/abs/2502.07719?context=cs)
2202.12139 (again) 1234.5678x 2413.00001 1501.0001
Attention is all you need
\u00a0
"""


def test_parse_id_lines_over_a_messy_paste():
    found, not_understood = parse_id_lines(MESSY_PASTE)
    assert found == [
        "2202.12139",
        "2405.13786",
        "2005.14124",
        "2204.08348",
        "hep-ph/0301050",
        "math/0309136",  # arXiv drops the subject class of old-style ids
        "2302.03287",
        "2101.09077",
        "2503.05378",
        "1205.1866",
        "2502.07719",
    ]
    # Month 13 does not exist; from 2015 on numbers have five digits.
    assert not_understood == [
        "Papers for the reading group:",
        "(again) 1234.5678x 2413.00001 1501.0001",
        "Attention is all you need",
    ]


def test_parse_id_lines_of_nothing():
    assert parse_id_lines("") == ([], [])
    assert parse_id_lines("\n \n") == ([], [])


def test_old_and_early_new_style_ids():
    assert parse_id_lines(
        "0704.0001 astro-ph/0601001v1 arXiv:quant-ph/0201082 hep-th/9901001 1412.9999 1501.00001"
    ) == (
        ["0704.0001", "astro-ph/0601001", "quant-ph/0201082", "hep-th/9901001", "1412.9999", "1501.00001"],
        [],
    )
    # Before April 2007 there were no new-style ids, after March 2007 no old-style ones.
    assert parse_id_lines("0703.0001 hep-th/0801001")[0] == []


# ---------------------------------------------------------------- ensure_papers over HTTP, against the stand-in


@pytest.mark.django_db
def test_ensure_papers_matches_fetches_and_reports_unknown_ids(standin):
    PaperFactory(arxiv_id="2202.12139")
    result = ensure_papers(
        arxiv_ids=["2202.12139v1", "arXiv:2405.13786", "hep-ph/0301050", "2612.99999", "2405.13786", "not an id"]
    )
    assert result.matched == ["2202.12139"]
    assert result.fetched == ["2405.13786", "hep-ph/0301050"]
    assert result.not_found == ["not an id", "2612.99999"]
    assert [r.params for r in standin.api_requests] == [
        {"id_list": "2405.13786,hep-ph/0301050,2612.99999", "start": "0", "max_results": "3"}
    ]
    fetched = Paper.objects.get(arxiv_id="2405.13786")
    assert fetched.title == "Towards Explainable Test Case Prioritisation with Learning-to-Rank Models"
    assert fetched.authors[0]["name"] == "Aurora Ramírez"
    assert fetched.primary_category.code == "cs.SE"
    assert Paper.objects.get(arxiv_id="hep-ph/0301050").title == "Statistical Test of Anarchy"
    assert not Paper.objects.filter(arxiv_id="2612.99999").exists()

    # Asked again, everything is in the catalog: no request.
    again = ensure_papers(arxiv_ids=["2405.13786", "hep-ph/0301050"])
    assert (again.matched, again.fetched, again.not_found) == (["2405.13786", "hep-ph/0301050"], [], [])
    assert len(standin.api_requests) == 1


@pytest.mark.django_db
def test_ensure_papers_asks_100_ids_per_request(standin):
    standin.entries = make_entries(150, category="cs.LG", newest=NOW, spacing=HOUR)
    wanted = [e.arxiv_id for e in standin.entries]
    result = ensure_papers(arxiv_ids=wanted)
    assert result.fetched == wanted
    assert [r.params["max_results"] for r in standin.api_requests] == ["100", "50"]
    assert Paper.objects.count() == 150


@pytest.mark.django_db
def test_ensure_papers_retries_a_503(standin):
    standin.fail("status", code=503)
    result = ensure_papers(arxiv_ids=["2405.13786"])
    assert result.fetched == ["2405.13786"]
    assert [r.status for r in standin.api_requests] == [503, 200]


@pytest.mark.django_db
def test_ensure_papers_does_not_believe_an_empty_answer_at_once(standin):
    # arXiv sometimes counts results and sends no entries: "not found" must not come from that.
    standin.fail("empty")
    assert ensure_papers(arxiv_ids=["2405.13786"]).fetched == ["2405.13786"]
    assert len(standin.api_requests) == 2


@pytest.mark.django_db
def test_ensure_papers_when_arxiv_stays_down_reports_what_it_knows(standin, settings):
    settings.ARXIV_MAX_ATTEMPTS = 2
    standin.entries = make_entries(150, category="cs.LG", newest=NOW, spacing=HOUR)
    PaperFactory(arxiv_id="2202.12139")
    wanted = ["2202.12139"] + [e.arxiv_id for e in standin.entries]
    standin.fail("", times=1)  # the first page of 100 arrives
    standin.fail("status", code=503, times=2)  # the second never does
    with pytest.raises(PapersUnavailable, match=r"arXiv could not be asked for 50 of the papers: .*HTTP 503") as caught:
        ensure_papers(arxiv_ids=wanted)
    assert caught.value.result.matched == ["2202.12139"]
    assert caught.value.result.fetched == wanted[1:101]
    assert caught.value.unfetched == wanted[101:]
    # The page that arrived is written whole; nothing of the one that did not.
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == set(wanted[:101])


@pytest.mark.django_db
def test_fetch_ids_of_a_malformed_id_is_the_apis_error(standin):
    with pytest.raises(ArxivAPIError, match=r"incorrect id format for 2405\.13786x"):
        client_from_settings().fetch_ids(["2405.13786", "2405.13786x"])
    assert [r.status for r in standin.api_requests] == [400]


@pytest.mark.django_db
def test_fetch_ids_of_unknown_ids_is_an_empty_page(standin):
    page = client_from_settings().fetch_ids(["2612.99999"])
    assert (page.records, page.total_results) == ([], 0)


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("{Deep} {Learning} -- a {Survey}", "Deep Learning \u2013 a Survey"),
        ("``Quoted'' {T}itle", "\u201cQuoted\u201d Title"),
        ('Schr{\\"o}dinger {Bridges} \\& 50\\% more', "Schrödinger Bridges & 50% more"),
        ("Caf\\'e & Bar: 50% of {$\\alpha$}-stable laws", "Café & Bar: 50% of $\\alpha$-stable laws"),
        ("Rock & Roll, 100% pure", "Rock & Roll, 100% pure"),
    ],
)
def test_bibtex_titles_become_text(tex, text):
    data = f"@misc{{k, title = {{{tex}}}, eprint = {{2101.09077}}, archivePrefix = {{arXiv}}}}".encode()
    assert parse_references(data) == [Reference(text, "2101.09077")]
