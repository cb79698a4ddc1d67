"""Follows, mutes and seed papers: the settings page, a card's "Fewer like this", and the seed import."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deck.models import DeckCard, Interest, SeedPaper
from papers.models import Paper
from papers.references import parse_references

from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db
REFERENCES = Path(__file__).resolve().parent.parent / "fixtures" / "references"


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_the_interests_page_needs_a_login(client):
    assert client.get("/settings/interests/")["Location"].startswith("/accounts/login/")


def test_onboarding_offers_seed_papers(logged_in):
    html = logged_in.get("/settings/categories/").content.decode()
    assert 'action="/settings/interests/seeds/"' in html


def test_follow_and_mute_from_the_settings_page_and_remove(logged_in, user):
    logged_in.post("/settings/interests/set/", {"stance": "follow", "kind": "author", "value": " Ada  Lovelace\u200b"})
    logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "keyword", "value": "string theory"})
    assert set(Interest.objects.filter(user=user).values_list("stance", "kind", "value")) == {
        ("follow", "author", "Ada Lovelace"),
        ("mute", "keyword", "string theory"),
    }
    html = logged_in.get("/settings/interests/").content.decode()
    assert "Ada Lovelace" in html
    assert "string theory" in html
    response = logged_in.post(
        "/settings/interests/set/", {"stance": "mute", "kind": "keyword", "value": "qu"}, follow=True
    )
    assert "A keyword has at least 3 characters" in response.content.decode()
    muted = Interest.objects.get(user=user, value="string theory")
    logged_in.post(f"/settings/interests/{muted.pk}/remove/")
    assert not Interest.objects.filter(pk=muted.pk).exists()


def test_another_users_interest_is_404(logged_in, user):
    theirs = Interest.objects.create(user=UserFactory(), kind="author", value="Someone", stance="mute")
    assert logged_in.post(f"/settings/interests/{theirs.pk}/remove/").status_code == 404
    assert Interest.objects.filter(pk=theirs.pk).exists()


def test_fewer_like_this_on_a_card_mutes_and_takes_the_papers_out(logged_in, user, cs_cy):
    paper = PaperFactory(primary_category=cs_cy, authors=[{"name": "Grace Hopper", "affiliations": []}])
    other = PaperFactory(primary_category=cs_cy)
    for p in (paper, other):
        p.categories.add(cs_cy)
    html = logged_in.get("/").content.decode()
    assert 'value="author:Grace Hopper"' in html  # the card offers to mute or follow its author
    assert '<option value="keyword:' in html  # and to follow one of its title words
    DeckCard.objects.create(user=user, paper=paper, rank=0, score=0.9)
    response = logged_in.post(
        "/settings/interests/set/", {"stance": "mute", "choice": "author:Grace Hopper", "next": "/"}
    )
    assert response["Location"] == "/"
    assert not DeckCard.objects.filter(user=user, paper=paper).exists()
    assert paper not in logged_in.get("/").context["cards"]


def test_pasted_ids_become_seed_papers(logged_in, user):
    known = PaperFactory(arxiv_id="2401.01234")
    response = logged_in.post(
        "/settings/interests/seeds/", {"ids": "https://arxiv.org/abs/2401.01234v2\nnot an id at all"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 paper added" in html
    assert "not an id at all" in html
    assert list(SeedPaper.objects.filter(user=user).values_list("paper", flat=True)) == [known.pk]


@pytest.mark.parametrize("name", ["zotero.bib", "zotero.ris", "zotero.json"])
def test_a_zotero_export_matches_fetches_and_lists_entries_without_an_id(logged_in, user, standin, name):
    data = (REFERENCES / name).read_bytes()
    references = parse_references(data, name)
    with_id = [r.arxiv_id for r in references if r.arxiv_id]
    without = [r.title for r in references if not r.arxiv_id]
    assert with_id
    assert without
    PaperFactory(arxiv_id=with_id[0])
    upload = SimpleUploadedFile(name, data)
    html = logged_in.post("/settings/interests/seeds/", {"file": upload}).content.decode()
    assert "Found in PaperSwipe</dt><dd>1" in html
    assert "Skipped: no arXiv id in the entry" in html
    for title in without:
        assert title.split(":")[0][:20] in html
    seeded = set(SeedPaper.objects.filter(user=user).values_list("paper__arxiv_id", flat=True))
    assert with_id[0] in seeded
    assert seeded <= set(with_id)
    assert set(Paper.objects.filter(arxiv_id__in=with_id).values_list("arxiv_id", flat=True)) >= seeded


@pytest.mark.parametrize("name", ["broken.bib", "broken.json", "broken_truncated.ris"])
def test_a_broken_file_says_so_and_saves_nothing(logged_in, user, name):
    upload = SimpleUploadedFile(name, (REFERENCES / name).read_bytes())
    response = logged_in.post("/settings/interests/seeds/", {"file": upload}, follow=True)
    assert "Nothing was added" in response.content.decode()
    assert not SeedPaper.objects.filter(user=user).exists()


def test_a_file_without_arxiv_ids_adds_nothing_and_lists_the_titles(logged_in, user):
    upload = SimpleUploadedFile("no_arxiv.bib", (REFERENCES / "no_arxiv.bib").read_bytes())
    html = logged_in.post("/settings/interests/seeds/", {"file": upload}).content.decode()
    assert "0 papers added" in html
    assert "Skipped: no arXiv id in the entry" in html
    assert not SeedPaper.objects.filter(user=user).exists()


def test_an_oversized_upload_is_refused(logged_in, user):
    upload = SimpleUploadedFile("huge.bib", b"@misc{a, title={x}}\n" * 300_000)
    response = logged_in.post("/settings/interests/seeds/", {"file": upload}, follow=True)
    assert "Files are at most 5 MB" in response.content.decode()
    assert not SeedPaper.objects.exists()


@pytest.mark.parametrize("choice", ["author:", "x:y", "author:" + "a" * 120, "keyword:\u200b\u200b", ":"])
def test_crafted_choices_get_a_message_not_an_error(logged_in, user, choice):
    response = logged_in.post("/settings/interests/set/", {"stance": "mute", "choice": choice}, follow=True)
    assert response.status_code == 200
    assert not Interest.objects.filter(user=user).exists()


def test_a_bibtex_title_nested_three_thousand_deep_is_read_not_a_500(logged_in, user):
    hostile = b"@article{a, title={\\x " + b"{" * 3000 + b"a" + b"}" * 3000 + b"}, eprint={2401.01234}}\n"
    PaperFactory(arxiv_id="2401.01234")
    response = logged_in.post("/settings/interests/seeds/", {"file": SimpleUploadedFile("x.bib", hostile)})
    assert response.status_code == 200
    assert SeedPaper.objects.filter(user=user).count() == 1


def test_a_card_muted_after_its_queue_was_written_is_not_shown(logged_in, user, cs_cy):
    paper = PaperFactory(primary_category=cs_cy, authors=[{"name": "Grace Hopper", "affiliations": []}])
    other = PaperFactory(primary_category=cs_cy)
    DeckCard.objects.create(user=user, paper=paper, rank=0, score=0.9)
    DeckCard.objects.create(user=user, paper=other, rank=1, score=0.8)
    Interest.objects.create(user=user, kind="author", value="grace hopper", stance="mute")  # as a late rerank left it
    assert logged_in.get("/").context["cards"] == [other]


def test_cards_fetched_in_the_background_return_their_forms_to_the_deck(logged_in, user, cs_cy):
    for _ in range(2):
        PaperFactory(primary_category=cs_cy).categories.add(cs_cy)
    cards = logged_in.get("/deck/cards/", HTTP_ACCEPT="application/json").json()["cards"]
    assert cards
    assert all('name="next" value="/"' in card for card in cards)
    assert not any("/deck/cards/" in card for card in cards)
