"""Outside numbers and nested documents, bounded (issue 20 §1, §2, §5): each case answered 500, took tens
of seconds, or leaked, before. The hostile-input corpus (tests/hostile/) is the first round."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deck.models import DeckSettings, SeedPaper
from library.models import ReadingListEntry, ZoteroAccount
from library.selectors import default_list
from library.zotero.client import ZoteroKeyError, client_from_settings
from papers.ids import InvalidArxivId, parse_arxiv_id
from papers.models import Category
from papers.references.parse import MAX_ENTRIES, ReferenceFileError, parse_references
from papers.services import ensure_papers
from paperswipe import untrusted_json

from .factories import PaperFactory, UserFactory
from .zotero_standin import KEY, USER

LONG_VERSION = "2401.01234v" + "9" * 5000
LONG_NUMBER = "1" * 5000


@pytest.fixture
def reader():
    user = UserFactory(email="reader@example.org")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    return user


@pytest.fixture
def as_reader(reader):
    client = Client()
    client.force_login(reader)
    return client


def upload(name: str, data: bytes) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data)}


# ---------------------------------------------------------------- §1 a version of thousands of digits


def test_a_version_is_a_small_number():
    assert parse_arxiv_id("2401.01234v9999") == ("2401.01234", 9999)
    for raw in (LONG_VERSION, "2401.01234v99999", "hep-th/9901001v" + "9" * 5000):
        with pytest.raises(InvalidArxivId):
            parse_arxiv_id(raw)


def test_an_id_with_a_trailing_newline_before_a_slash_is_no_id():
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id("2401.01234\n/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"/papers/{LONG_VERSION}/", f"/papers/https://arxiv.org/abs/{LONG_VERSION}/"])
def test_a_paper_address_with_a_huge_version_is_a_404(client, path):
    PaperFactory(arxiv_id="2401.01234")
    response = client.get(path)
    assert response.status_code == 404
    assert "We don't have that paper" in response.content.decode()


@pytest.mark.django_db
def test_a_seed_id_with_a_huge_version_is_not_an_id(as_reader, reader, standin):
    response = as_reader.post("/settings/interests/seeds/", {"ids": LONG_VERSION})
    assert response.status_code == 200
    assert "0 papers added" in response.content.decode()
    assert standin.api_requests == []
    assert not SeedPaper.objects.exists()


IMPORT_FILES = {
    "bibtex-eprint": ("refs.bib", f"@misc{{k, title={{Long version}}, eprint={{{LONG_VERSION}}}}}\n"),
    "ris-ur": ("refs.ris", f"TY  - JOUR\nTI  - Long version\nUR  - https://arxiv.org/abs/{LONG_VERSION}\nER  - \n"),
    "csl-url": ("refs.json", json.dumps([{"title": "Long version", "URL": f"https://arxiv.org/abs/{LONG_VERSION}"}])),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "text"), list(IMPORT_FILES.values()), ids=list(IMPORT_FILES))
def test_an_imported_entry_with_a_huge_version_is_skipped(as_reader, reader, standin, name, text):
    the_list = default_list(user=reader)
    response = as_reader.post(f"/lists/{the_list.slug}/import/", upload(name, text.encode()))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skipped: no arXiv id in the entry" in html
    assert "Long version" in html
    assert standin.api_requests == []
    assert not ReadingListEntry.objects.exists()


# ---------------------------------------------------------------- §1 a CSL-JSON number of 5,000 digits

HUGE_NUMBER_FILE = f'[{{"title": "Huge", "number": {LONG_NUMBER}}}]'.encode()


@pytest.mark.django_db
def test_a_csl_number_of_5000_digits_refuses_the_seed_file_in_words(as_reader, reader):
    response = as_reader.post("/settings/interests/seeds/", upload("refs.json", HUGE_NUMBER_FILE), follow=True)
    assert response.status_code == 200
    assert "Nothing was added: The CSL-JSON file could not be read: a number has more than 20 digits." in (
        response.content.decode()
    )
    assert not SeedPaper.objects.exists()


@pytest.mark.django_db
def test_a_csl_number_of_5000_digits_refuses_the_import_in_words(as_reader, reader):
    the_list = default_list(user=reader)
    response = as_reader.post(f"/lists/{the_list.slug}/import/", upload("refs.json", HUGE_NUMBER_FILE), follow=True)
    assert response.status_code == 200
    assert "Nothing was imported: The CSL-JSON file could not be read: a number has more than 20 digits." in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
        ('{"a":' * 3000 + "1" + "}" * 3000, "nested too deeply"),
        (f"[{LONG_NUMBER}]", "more than 20 digits"),
        (f"[-{LONG_NUMBER}]", "more than 20 digits"),
        ("[NaN]", "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ("[1,", "Expecting value at line 1"),
    ],
)
def test_untrusted_json_refuses_in_words(text, why):
    with pytest.raises(untrusted_json.UntrustedJSONError, match=why):
        untrusted_json.loads(text)


def test_untrusted_json_reads_ordinary_documents():
    assert untrusted_json.loads(b'\xef\xbb\xbf{"n": 12345678901234567890, "x": [1.5, "]"]}') == {
        "n": 12345678901234567890,
        "x": [1.5, "]"],
    }


# ---------------------------------------------------------------- §1 the CSP report endpoint

NESTED_REPORTS = {"brackets": b"[" * 1500 + b"]" * 1500, "objects": b'{"a":' * 3000 + b"1" + b"}" * 3000}


@pytest.mark.django_db
@pytest.mark.parametrize("body", list(NESTED_REPORTS.values()), ids=list(NESTED_REPORTS))
def test_a_deeply_nested_csp_report_is_a_400(client, body):
    response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 400


@pytest.mark.django_db
def test_csp_reports_are_rate_limited_per_address(client):
    report = json.dumps({"csp-report": {"blocked-uri": "inline", "violated-directive": "script-src"}})
    statuses = [
        client.post("/csp-report/", report, content_type="application/csp-report").status_code for _ in range(31)
    ]
    assert statuses == [204] * 30 + [429]
    other = Client(REMOTE_ADDR="127.0.0.2")
    assert other.post("/csp-report/", report, content_type="application/csp-report").status_code == 204


# ---------------------------------------------------------------- §2 entries on one line


def one_line_bibtex(count: int) -> bytes:
    return "".join(f"@misc{{k{i},eprint={{2401.{i:05d}}}}}" for i in range(1, count + 1)).encode()


def test_bibtex_entries_on_one_line_are_counted_as_the_parser_sees_them():
    assert len(parse_references(one_line_bibtex(MAX_ENTRIES), "refs.bib")) == MAX_ENTRIES
    with pytest.raises(ReferenceFileError, match="more than 5,000 references"):
        parse_references(one_line_bibtex(MAX_ENTRIES + 1), "refs.bib")


@pytest.mark.django_db
def test_40000_one_line_entries_are_refused_before_anything_is_asked(as_reader, reader, standin):
    response = as_reader.post("/settings/interests/seeds/", upload("refs.bib", one_line_bibtex(40_000)), follow=True)
    assert "Nothing was added: This file holds more than 5,000 references; please split it." in (
        response.content.decode()
    )
    assert standin.api_requests == []


@pytest.mark.django_db
def test_5000_one_line_entries_resolve_in_one_request(as_reader, reader, standin):
    """The path a 5,000-entry file takes: all matched or reported, 100 new ids asked in one request."""
    for arxiv_id in ("2401.00001", "2401.00002", "2401.00003"):
        PaperFactory(arxiv_id=arxiv_id)
    response = as_reader.post("/settings/interests/seeds/", upload("refs.bib", one_line_bibtex(MAX_ENTRIES)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not fetched yet: more than 100 papers new to PaperSwipe at once</dt><dd>4897;" in html
    assert len(standin.api_requests) == 1
    assert SeedPaper.objects.filter(user=reader).count() == 3


# ---------------------------------------------------------------- §5 smaller findings


@pytest.mark.django_db
def test_an_id_arxiv_did_not_know_is_not_asked_again_for_a_while(standin):
    assert ensure_papers(arxiv_ids=["2612.99999", "2405.13786"]).not_found == ["2612.99999"]
    again = ensure_papers(arxiv_ids=["2612.99999"])
    assert again.not_found == ["2612.99999"]
    assert len(standin.api_requests) == 1


@pytest.mark.django_db
def test_the_private_deck_feed_is_kept_by_no_cache(client, reader):
    settings = DeckSettings.objects.create(user=reader, feed_token="a-private-token-of-enough-length")
    response = client.get(f"/feed/{settings.feed_token}/")
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store", "no-cache"} <= cache_control


@pytest.mark.django_db
def test_zotero_key_checks_are_rate_limited_per_reader(as_reader, reader, zotero):
    for _ in range(5):
        as_reader.post("/settings/zotero/", {"zotero_user_id": USER, "api_key": "WrongKeyWrongKeyWrongKey"})
    response = as_reader.post("/settings/zotero/", {"zotero_user_id": USER, "api_key": KEY})
    assert "Too many keys were checked in the last minutes" in response.content.decode()
    assert len([r for r in zotero.requests if r.path == "/keys/current"]) == 5
    assert not ZoteroAccount.objects.exists()


@pytest.mark.django_db
def test_a_zotero_user_id_with_a_trailing_newline_is_stored_without_it(as_reader, reader, zotero):
    as_reader.post("/settings/zotero/", {"zotero_user_id": f"{USER}\n", "api_key": KEY})
    assert ZoteroAccount.objects.get(user=reader).zotero_user_id == USER


def test_the_zotero_client_refuses_a_user_id_with_a_trailing_newline(settings):
    settings.ZOTERO_API_URL = "http://127.0.0.1:9"  # never reached: the id is refused first
    with pytest.raises(ZoteroKeyError, match="is a number"):
        client_from_settings().check_key(user_id=f"{USER}\n", api_key=KEY)
