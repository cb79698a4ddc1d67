"""Full-text search: ranked on PostgreSQL, filtered by category and date, actionable, and inside my lists."""

import datetime as dt

import pytest
from django.utils import timezone

from deck import services as deck_services
from deck.models import Swipe
from papers.models import Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import API_PAGE, ARXIV_RAW_PAGE
from ..factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog():
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    import_page(page=parse_document(API_PAGE.read_bytes()))


def ids(response):
    return [p.arxiv_id for p in response.context["page"].object_list]


def test_search_finds_by_title_author_and_abstract(client):
    assert ids(client.get("/search/?q=Revisiting norm estimation"))[0] == "0811.3648"
    assert "0811.3648" in ids(client.get("/search/?q=Woodruff"))
    assert "0811.3648" in ids(client.get("/search/?q=pseudorandom generator"))
    assert ids(client.get("/search/?q=")) == []


def test_title_matches_rank_above_abstract_matches(client):
    in_abstract = PaperFactory(title="On fish", abstract="We study the zebrafish heart.", published=timezone.now())
    in_title = PaperFactory(
        title="Zebrafish hearts regenerate", abstract="A study.", published=timezone.now() - dt.timedelta(days=400)
    )
    assert ids(client.get("/search/?q=zebrafish")) == [in_title.arxiv_id, in_abstract.arxiv_id]


def test_filters_by_category_and_date(client):
    everything = client.get("/search/?q=algorithm").context["page"].paginator.count
    in_ds = client.get("/search/?q=algorithm&category=cs.DS")
    assert 0 < in_ds.context["page"].paginator.count < everything
    assert all(p.categories.filter(code="cs.DS").exists() for p in in_ds.context["page"].object_list)
    dated = client.get("/search/?q=testing&from=2024-01-01&to=2026-12-31").context["page"].object_list
    assert dated
    assert all(p.published.year >= 2024 for p in dated)


def test_reversed_dates_are_said_under_to_and_do_not_filter(client):
    reversed_dates = client.get("/search/?q=testing&from=2026-12-31&to=2024-01-01")
    html = reversed_dates.content.decode()
    assert "To (Jan 1, 2024) is before From (Dec 31, 2026): the dates are reversed." in html
    assert 'aria-invalid="true" aria-describedby="to-error"' in html  # the message is the field's
    assert reversed_dates.context["page"].paginator.count > 0  # not "Nothing matches"
    assert "Nothing matches" not in html


def test_the_search_box_takes_the_focus_only_before_a_search(client):
    assert "autofocus" in client.get("/search/").content.decode()
    assert "autofocus" not in client.get("/search/?q=testing").content.decode()  # reading results, not typing


def test_results_can_be_kept_skipped_or_saved(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get("/search/?q=Revisiting norm").content.decode()
    assert ">Keep</button>" in html
    assert ">Skip</button>" in html
    assert 'action="/save/"' in html
    paper = Paper.objects.get(arxiv_id="0811.3648")
    response = client.post("/deck/decide/", {"paper": paper.pk, "decision": "keep", "next": "/search/?q=Revisiting"})
    assert response["Location"] == "/search/?q=Revisiting"
    assert Swipe.objects.get(user=user).paper == paper
    assert "Kept" in client.get("/search/?q=Revisiting norm").content.decode()


def test_search_within_my_lists(client):
    user = UserFactory()
    client.force_login(user)
    deck_services.decide(user=user, paper=Paper.objects.get(arxiv_id="0811.3648"), decision="keep")
    assert ids(client.get("/search/?q=algorithm&in=lists")) == ["0811.3648"]
    assert len(ids(client.get("/search/?q=algorithm"))) > 1


def test_search_escapes_the_query(client):
    html = client.get("/search/?q=<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
