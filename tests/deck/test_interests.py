"""Follows, mutes and seed papers: the settings page, a card's "Fewer like this", and the seed import."""

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deck import selectors
from deck import services as deck_services
from deck.models import DeckCard, DeckSettings, DigestSent, Interest, ReaderModel, SeedPaper
from deck.selectors import candidates, matching, next_cards
from papers.models import Category, Paper
from papers.references.parse import parse_references

from ..factories import PaperFactory, UserFactory
from ..test_query_budget import BUDGET

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
    response = logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "keyword", "value": "qu"})
    html = response.content.decode()
    assert response.status_code == 400  # the page again, nothing lost
    error = '<p class="field-error" id="interest-value-error">A keyword has at least 3 characters.</p>'
    assert error in html  # under its field, linked to it
    assert 'value="qu" aria-invalid="true" aria-describedby="interest-value-error"' in html
    assert '<option value="mute" selected>' in html
    muted = Interest.objects.get(user=user, value="string theory")
    logged_in.post(f"/settings/interests/{muted.pk}/remove/")
    assert not Interest.objects.filter(pk=muted.pk).exists()


def test_a_category_is_followed_one_way_and_only_an_offered_one(logged_in, user, cs_cy):
    """Following a category from the interests form or a card follows it as the categories page does; a
    mute of it is lifted. One that PaperSwipe does not offer is refused under the field; any can be muted."""
    offered, hidden = Category.objects.get(code="cs.LG"), Category.objects.get(code="cs.SE")
    Category.objects.filter(pk__in=[offered.pk, cs_cy.pk]).update(is_active=True)
    Category.objects.filter(pk=hidden.pk).update(is_active=False)
    logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "category", "value": "cs.LG"})
    assert Interest.objects.filter(user=user, kind="category", value="cs.LG", stance="mute").exists()

    response = logged_in.post("/settings/interests/set/", {"stance": "follow", "kind": "category", "value": "cs.LG"})
    assert response.status_code == 302
    assert offered in user.followed_categories.all()
    assert not Interest.objects.filter(user=user, kind="category").exists()  # the mute is lifted, no second way
    assert set(selectors.scope_of(user=user).followed) == {cs_cy.pk, offered.pk}
    assert "Following category “cs.LG”." in logged_in.get("/settings/interests/").content.decode()

    response = logged_in.post("/settings/interests/set/", {"stance": "follow", "kind": "category", "value": "cs.SE"})
    assert response.status_code == 400
    assert "PaperSwipe does not offer this category" in response.content.decode()
    assert hidden not in user.followed_categories.all()
    logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "category", "value": "cs.SE"})
    assert Interest.objects.filter(user=user, kind="category", value="cs.SE", stance="mute").exists()


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


def test_an_oversized_upload_is_refused_under_the_file_field(logged_in, user):
    upload = SimpleUploadedFile("huge.bib", b"@misc{a, title={x}}\n" * 300_000)
    response = logged_in.post("/settings/interests/seeds/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<p class="field-error" id="seed-file-error">Files are at most 5 MB.</p>' in html
    assert 'aria-invalid="true" aria-describedby="seed-file-error"' in html
    assert not SeedPaper.objects.exists()


def test_seeds_with_nothing_in_them_say_so_under_the_ids(logged_in, user):
    response = logged_in.post("/settings/interests/seeds/", {"ids": "   "})
    assert response.status_code == 400
    assert 'id="seed-ids-error">Paste arXiv ids or links' in response.content.decode()


@pytest.mark.parametrize("choice", ["author:", "x:y", "author:" + "a" * 120, "keyword:\u200b\u200b", ":"])
def test_crafted_choices_get_a_message_not_an_error(logged_in, user, choice):
    response = logged_in.post("/settings/interests/set/", {"stance": "mute", "choice": choice}, follow=True)
    assert response.status_code == 400  # the interests page, saying what to type
    assert 'class="field-error"' in response.content.decode()
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


# The names of the issue: muting "Ang Li" hid all of them.
NAMES = ["Ang Li", "A. Li", "Hai-Liang Li", "Qiang Li", "Yepang Liu", "Angela Li"]


def paper_by(name: str, category, **fields) -> Paper:
    paper = PaperFactory(primary_category=category, authors=[{"name": name, "affiliations": []}], **fields)
    paper.categories.add(category)
    return paper


def authors_of(papers) -> set[str]:
    return {paper.authors[0]["name"] for paper in papers}


def test_muting_an_author_hides_that_name_and_no_other(user, cs_cy):
    papers = [paper_by(name, cs_cy) for name in NAMES]
    mute = Interest.objects.create(user=user, kind="author", value="Ang Li", stance="mute")
    assert authors_of(candidates(user=user)) == {"Hai-Liang Li", "Qiang Li", "Yepang Liu", "Angela Li"}
    # Cards a rerank wrote before the mute are checked in hand, by the same rule.
    for rank, paper in enumerate(papers):
        DeckCard.objects.create(user=user, paper=paper, rank=rank, score=0.5)
    shown = next_cards(user=user, count=len(NAMES))
    assert authors_of(shown) == {"Hai-Liang Li", "Qiang Li", "Yepang Liu", "Angela Li"}
    assert {p.pk for p in Paper.objects.filter(matching(mute))} == {papers[0].pk, papers[1].pk}


def test_an_initial_mute_hides_every_name_it_may_stand_for(user, cs_cy):
    for name in NAMES:
        paper_by(name, cs_cy)
    Interest.objects.create(user=user, kind="author", value="Li, A.", stance="mute")
    assert authors_of(candidates(user=user)) == {"Hai-Liang Li", "Qiang Li", "Yepang Liu"}


def test_following_an_author_finds_that_name_and_no_other(user, cs_cy):
    from deck.ranking.queues import refresh_queue

    other = Category.objects.get(code="cs.LG")  # followed authors reach the deck from any category
    papers = {name: paper_by(name, other) for name in NAMES}
    follow = Interest.objects.create(user=user, kind="author", value="Ang Li", stance="follow")
    assert authors_of(Paper.objects.filter(matching(follow))) == {"Ang Li", "A. Li"}
    refresh_queue(user=user)
    queued = set(DeckCard.objects.filter(user=user).values_list("paper_id", flat=True))
    assert queued == {papers["Ang Li"].pk, papers["A. Li"].pk}


def test_a_keyword_mute_hides_whole_words_not_parts_of_words(user, cs_cy):
    about = "We study things."
    papers = {
        "title": PaperFactory(primary_category=cs_cy, title="Ion traps for quantum computing", abstract=about),
        "abstract": PaperFactory(primary_category=cs_cy, title="Traps", abstract="Each trapped ion is cooled."),
        "plural": PaperFactory(primary_category=cs_cy, title="Cold ions in a trap", abstract=about),
        "fusion": PaperFactory(primary_category=cs_cy, title="Fusion energy", abstract="Fusion and ionisation."),
        "author": PaperFactory(
            primary_category=cs_cy, title="Databases", abstract=about, authors=[{"name": "Ion Stoica"}]
        ),
    }
    for paper in papers.values():
        paper.categories.add(cs_cy)
    Interest.objects.create(user=user, kind="keyword", value="ion", stance="mute")
    # PostgreSQL matches English word forms ("ions"); never a part of a word, nor an author's name.
    assert set(candidates(user=user)) == {papers["fusion"], papers["author"]}


def test_a_keyword_of_several_words_is_a_phrase_and_stop_words_still_match(user, cs_cy):
    about = "We study things."
    papers = {
        "phrase": PaperFactory(primary_category=cs_cy, title="Black holes evaporate", abstract=about),
        "apart": PaperFactory(primary_category=cs_cy, title="Black and white holes", abstract=about),
        "about": PaperFactory(primary_category=cs_cy, title="All about cats", abstract=about),
        "roundabout": PaperFactory(primary_category=cs_cy, title="Roundabout traffic", abstract=about),
    }
    for paper in papers.values():
        paper.categories.add(cs_cy)
    Interest.objects.create(user=user, kind="keyword", value="black holes", stance="mute")
    Interest.objects.create(user=user, kind="keyword", value="about", stance="mute")  # only a stop word
    assert set(candidates(user=user)) == {papers["apart"], papers["roundabout"]}


@pytest.mark.parametrize(
    ("keyword", "muted", "shown"),
    [
        ("c++", "Fast code in C++ today", "Fast code in C today"),
        ("O(n^2)", "An O(n^2) bound", "An O(n) bound"),
        ("a\\d", "The a\\d trick", "The a1 trick"),
        ("[x]", "Brackets [x] here", "Brackets x here"),
        ("the", "Fast code in the cloud", "Theory of everything"),
    ],
)
def test_a_keyword_of_any_characters_is_literal_text(logged_in, user, cs_cy, keyword, muted, shown):
    papers = {title: PaperFactory(primary_category=cs_cy, title=title) for title in (muted, shown)}
    for paper in papers.values():
        paper.categories.add(cs_cy)
    logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "keyword", "value": keyword})
    assert list(candidates(user=user)) == [papers[shown]]
    assert logged_in.get("/settings/interests/").status_code == 200


def test_a_keyword_on_a_card_in_hand_matches_whole_words_any_case_and_accents(user, cs_cy):
    shown = PaperFactory(primary_category=cs_cy, title="Fusion energy", abstract="A café near the reactor.")
    muted = PaperFactory(primary_category=cs_cy, title="Trapped ION clocks", abstract="We study things.")
    accented = PaperFactory(primary_category=cs_cy, title="Things", abstract="The Café effect.")
    for rank, paper in enumerate((shown, muted, accented)):
        DeckCard.objects.create(user=user, paper=paper, rank=rank, score=0.5)
    mutes = [
        Interest(user=user, kind="keyword", value="ion", stance="mute"),
        Interest(user=user, kind="keyword", value="cafe effect", stance="mute"),
    ]
    assert next_cards(user=user, mutes=mutes, count=3) == [shown]


def test_the_settings_page_says_how_many_unseen_papers_each_mute_hides(logged_in, user, cs_cy):
    elsewhere = Category.objects.get(code="cs.LG")  # not followed: never in the deck, never counted
    by_her = [paper_by("Ang Li", cs_cy) for _ in range(3)]
    paper_by("Ang Li", elsewhere)
    paper_by("Qiang Li", cs_cy)
    deck_services.decide(user=user, paper=by_her[0], decision="skip")  # seen: not hidden any more
    PaperFactory(primary_category=cs_cy, title="Ion traps").categories.add(cs_cy)
    for kind, value in [("author", "Ang Li"), ("keyword", "ion"), ("keyword", "zebra"), ("category", "cs.LG")]:
        logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": kind, "value": value})
    html = logged_in.get("/settings/interests/").content.decode()
    hidden = dict(re.findall(r"</span> ([^<]+?) <span class=\"hidden-count\">\(([^)]+)\)</span>", html))
    assert hidden == {
        "Ang Li": "hides 2 unseen papers",
        "ion": "hides 1 unseen paper",
        "zebra": "hides no unseen papers",
        "cs.LG": "hides no unseen papers",
    }
    assert "a single word is a surname" in html


def test_hidden_counts_say_when_they_cover_only_the_newest_papers(logged_in, user, cs_cy, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    paper_by("Qiang Li", cs_cy)
    for _ in range(4):  # the newest: the count reads three of these four
        paper_by("Ang Li", cs_cy)
    Interest.objects.create(user=user, kind="author", value="A. Li", stance="mute")
    html = logged_in.get("/settings/interests/").content.decode()
    assert "(hides 3 of your newest 3 unseen papers)" in html


def test_the_settings_page_counts_every_mute_in_one_query(client, user, cs_cy, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"  # as in production, with Redis
    client.force_login(user)
    for name in NAMES:
        paper_by(name, cs_cy)

    def queries() -> int:
        client.get("/settings/interests/")  # the reader's settings are cached by the first visit
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/settings/interests/").status_code == 200
        return len(captured)

    Interest.objects.create(user=user, kind="author", value="Ang Li", stance="mute")
    one = queries()
    for value in ("Qiang Li", "Yepang Liu", "fusion"):
        kind = "keyword" if value == "fusion" else "author"
        deck_services.set_interest(user=user, kind=kind, value=value, stance="mute")
    assert queries() == one
    assert one <= BUDGET


def test_download_my_data_holds_follows_mutes_seeds_and_deck_settings(logged_in, user, cs_cy):
    seed = PaperFactory(arxiv_id="2401.01234")
    logged_in.post("/settings/interests/seeds/", {"ids": "2401.01234"})
    logged_in.post("/settings/interests/set/", {"stance": "follow", "kind": "author", "value": "Ang Li"})
    logged_in.post("/settings/interests/set/", {"stance": "mute", "kind": "keyword", "value": "fusion"})
    logged_in.post("/settings/deck/", {"include_cross_lists": "on"})
    logged_in.post("/settings/deck/feed/")
    card = paper_by("Qiang Li", cs_cy)
    DeckCard.objects.create(user=user, paper=card, rank=0, score=0.75, reason="New in your categories")
    DigestSent.objects.create(user=user, period="daily 2026-11-29").papers.add(card)
    ReaderModel.objects.create(user=user, version=3, keeps=4, skips=9, features=bytes(12 * 7))
    data = logged_in.get("/settings/data/download/").json()
    interests = [{k: i[k] for k in ("kind", "value", "stance")} for i in data["interests"]]
    assert interests == [
        {"kind": "author", "value": "Ang Li", "stance": "follow"},
        {"kind": "keyword", "value": "fusion", "stance": "mute"},
    ]
    assert all(i["created_at"] for i in data["interests"])
    assert [s["arxiv_id"] for s in data["seed_papers"]] == [seed.arxiv_id]
    assert data["seed_papers"][0]["added_at"]
    assert data["deck_settings"] == {
        "include_cross_lists": True,
        "include_replacements": False,
        "private_feed": True,
        "learning_paused": False,
        "learning_since": None,
        "forgotten": [],
    }
    token = DeckSettings.objects.get(user=user).feed_token
    assert token not in json.dumps(data)  # the feed's key stays out of a file that travels
    assert [(c["arxiv_id"], c["rank"], c["reason"]) for c in data["deck_queue"]["cards"]] == [
        (card.arxiv_id, 0, "New in your categories")
    ]
    assert [(d["period"], d["papers"]) for d in data["digests_sent"]] == [("daily 2026-11-29", [card.arxiv_id])]
    assert data["reader_model"] == {
        "version": 3,
        "keeps_learned": 4,
        "skips_learned": 9,
        "refitted_at": None,
        "features_weighted": 7,
    }


# On SQLite (`make run`): no search vector; the same names and words through Python's `re`, in SQL (REGEXP)
# and in hand.
ON_SQLITE = """
from accounts.models import User
from deck.models import Interest
from deck.selectors import candidates, is_muted
from papers.models import Category, Paper

category = Category.objects.get(code="cs.CY")
user = User.objects.create_user(email="sqlite@example.org", password="a long passphrase")
user.followed_categories.add(category)
for n, (title, name) in enumerate([
    ("On traps", "Ang Li"), ("On clocks", "A. Li"), ("On lasers", "Hai-Liang Li"), ("On bits", "Qiang Li"),
    ("Ion traps", "Ada Lovelace"), ("Fusion energy", "Ada Lovelace"), ("All about cats", "Ada Lovelace"),
    ("Roundabouts", "Ada Lovelace"), ("Black holes evaporate", "Ada Lovelace"), ("Black and white holes", "Ada"),
]):
    paper = Paper(arxiv_id=f"2511.{n:05d}", version=1, title=title, primary_category=category,
                  authors=[{"name": name, "affiliations": []}])
    paper.save()
    paper.categories.add(category)
for kind, value in [("author", "Li, Ang"), ("keyword", "ION"), ("keyword", "about"), ("keyword", "black holes")]:
    Interest.objects.create(user=user, kind=kind, value=value, stance="mute")
mutes = list(Interest.objects.all())
print(sorted(p.title for p in candidates(user=user)))
print(sorted(p.title for p in Paper.objects.all() if not is_muted(p, mutes)))
"""


@pytest.mark.integration
def test_names_and_whole_words_match_alike_on_sqlite(tmp_path):
    from ..test_embedded_default import manage

    manage("migrate", "--noinput", tmp_path=tmp_path)
    in_sql, in_hand = manage("shell", "-c", ON_SQLITE, tmp_path=tmp_path).stdout.strip().splitlines()[-2:]
    shown = "['Black and white holes', 'Fusion energy', 'On bits', 'On lasers', 'Roundabouts']"
    assert in_sql == shown
    assert in_hand == shown
