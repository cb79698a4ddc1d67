"""Public catalog pages: no login, everything escaped, a friendly 404."""

import datetime as dt

import pytest
from django.utils import timezone

from papers.models import Category
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import API_PAGE, ARXIV_RAW_PAGE
from ..factories import PaperFactory

pytestmark = pytest.mark.django_db

SEED_AUTHORS = ["Yoshua Bengio", "Stephen Clare", "Carina Prunkl"] + [f"Author {i}" for i in range(66)]


@pytest.fixture
def seed_paper():
    """The card PaperSwipe grew from: arXiv:2511.19863, 69 authors, cs.CY, published two weeks ago."""
    return PaperFactory(
        arxiv_id="2511.19863",
        title="International AI Safety Report 2025: Second Key Update: Technical Safeguards and Risk Management",
        authors=[{"name": n, "affiliations": []} for n in SEED_AUTHORS],
        primary_category=Category.objects.get(code="cs.CY"),
        published=timezone.now() - dt.timedelta(days=15),
    )


def test_paper_page_shows_the_card(client, seed_paper):
    response = client.get("/papers/2511.19863/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "International AI Safety Report 2025: Second Key Update" in html
    assert "Version 1" in html
    assert "arXiv:2511.19863" in html
    assert "Yoshua Bengio, Stephen Clare, Carina Prunkl et al. (+66 more)" in html
    assert "Author 65" in html  # the full list is there, behind <details>
    assert "cs.CY" in html
    assert "Computers and Society" in html
    assert "Published <time" in html
    assert ">2 weeks ago</time>" in html
    published = seed_paper.published.strftime("%b %-d, %Y")
    assert f'title="{published}, ' in html
    assert 'href="https://arxiv.org/abs/2511.19863v1"' in html
    assert 'href="https://arxiv.org/pdf/2511.19863v1"' in html
    assert 'data-arxiv-id="2511.19863"' in html


@pytest.mark.parametrize(
    "path", ["/papers/2511.19863v1/", "/papers/arXiv:2511.19863/", "/papers/https://arxiv.org/abs/2511.19863v2/"]
)
def test_id_forms_redirect_to_the_one_paper_url(client, seed_paper, path):
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"] == "/papers/2511.19863/"


def test_old_style_ids_keep_their_slash(client):
    import_page(page=parse_document(API_PAGE.read_bytes()))
    response = client.get("/papers/cs/0503050/")
    assert response.status_code == 200
    assert "arXiv:cs/0503050" in response.content.decode()
    assert client.get("/papers/cs/0503050v1/")["Location"] == "/papers/cs/0503050/"


def test_version_history_is_shown(client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    html = client.get("/papers/0811.3648/").content.decode()
    assert "Version 2" in html
    assert "v1:" in html
    assert "(90kb)" in html
    assert "(71kb)" in html


@pytest.mark.parametrize("path", ["/papers/2511.99999/", "/papers/not-an-id/", "/papers/hep-th/9901001/"])
def test_unknown_paper_is_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We don't have that paper" in response.content.decode()
    assert "look it up on arXiv" in response.content.decode()


def test_arxiv_text_is_escaped(client):
    PaperFactory(
        arxiv_id="2401.00001",
        title="<script>alert(1)</script> Bounds for $a<b$ & $c>d$",
        abstract="We show $x<y$ & <b>bold</b> claims.",
        authors=[{"name": "<img src=x onerror=alert(1)>", "affiliations": ["R&D <Lab>"]}],
        comment="<i>10 pages</i>",
    )
    html = client.get("/papers/2401.00001/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bounds for $a&lt;b$ &amp; $c&gt;d$" in html
    assert "We show $x&lt;y$ &amp; &lt;b&gt;bold&lt;/b&gt; claims." in html
    assert "<img src=x" not in html
    assert "R&amp;D &lt;Lab&gt;" in html
    assert "&lt;i&gt;10 pages&lt;/i&gt;" in html
    listing = client.get("/papers/").content.decode()
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;" in listing


def test_list_shows_latest_first_and_paginates(client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    response = client.get("/papers/")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 1000
    assert len(page.object_list) == 25
    dates = [p.published for p in page.object_list]
    assert dates == sorted(dates, reverse=True)
    assert "1,000 papers" in response.content.decode()
    second = client.get("/papers/?page=2").context["page"]
    assert second.object_list[0].published <= dates[-1]
    assert client.get("/papers/?page=999").context["page"].number == 40


def test_list_filters_by_category(client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    response = client.get("/papers/?category=math.AP")
    papers = list(response.context["page"].object_list)
    assert papers
    assert all(p.categories.filter(code="math.AP").exists() for p in papers)
    assert response.context["page"].paginator.count < 1000
    assert "math.AP · Analysis of PDEs" in response.content.decode()


def test_filtering_by_an_alias_shows_the_canonical_category(client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    by_alias = client.get("/papers/?category=math.MP").context["page"].paginator.count
    by_canonical = client.get("/papers/?category=math-ph").context["page"].paginator.count
    assert by_alias == by_canonical > 0


def test_unknown_category_filter_says_so(client, seed_paper):
    response = client.get("/papers/?category=nope.XX")
    assert response.status_code == 200
    assert "There is no category" in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_list_query_count_does_not_grow_with_the_page(client, django_assert_max_num_queries):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    with django_assert_max_num_queries(4):
        client.get("/papers/")


def test_detail_query_count_is_fixed(client, seed_paper, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get("/papers/2511.19863/")


def test_home_is_the_front_door_for_anonymous_visitors_with_the_way_to_sign_in(client):
    html = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in html
    assert 'href="/accounts/signup/"' in html


def test_pagination_keeps_the_filter(client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    html = client.get("/papers/?category=math.AP").content.decode()
    assert 'href="?category=math.AP&amp;page=2"' in html
