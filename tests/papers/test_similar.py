"""Similar papers on a paper page, and "More like this list", from the stored feature vectors."""

import pytest

from library import services as library_services
from library.selectors import default_list
from papers.features.store import compute_features
from papers.models import Paper
from papers.parsers import parse_document
from papers.services import import_page
from papers.similar import similar_papers

from ..conftest import ARXIV_RAW_PAGE
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    compute_features(paper_ids=Paper.objects.values_list("pk", flat=True))


def test_a_paper_page_shows_ten_similar_papers_with_actions(client, catalog):
    paper = Paper.objects.filter(title__icontains="black hole").first()
    similar = similar_papers(paper)
    assert len(similar) == 10
    assert paper not in similar
    shared = set(paper.categories.values_list("pk", flat=True))
    assert all(shared & set(p.categories.values_list("pk", flat=True)) for p in similar)
    # The nearest one really is near: it shares words of the title or abstract.
    words = set(paper.title.lower().split()) | set(paper.abstract.lower().split())
    assert words & set(f"{similar[0].title} {similar[0].abstract}".lower().split())
    client.force_login(UserFactory())
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "Similar papers" in html
    for neighbour in similar:
        assert f'data-arxiv-id="{neighbour.arxiv_id}"' in html
    assert html.count('name="decision" value="keep"') == 11  # the paper and its ten neighbours


def test_more_like_this_list_shows_neighbours_not_in_the_list(client, catalog):
    user = UserFactory()
    the_list = default_list(user=user)
    chosen = list(Paper.objects.filter(title__icontains="quantum")[:5])
    for paper in chosen:
        library_services.add_to_list(reading_list=the_list, paper=paper)
    client.force_login(user)
    response = client.get("/lists/reading-list/more-like-this/")
    found = response.context["papers"]
    assert len(found) == 20
    assert not set(found) & set(chosen)
    assert sum("quantum" in f"{p.title} {p.abstract}".lower() for p in found) >= 10
    other = UserFactory()
    client.force_login(other)
    assert client.get(f"/lists/{the_list.slug}/more-like-this/").status_code == 200  # their own default list
    assert client.get("/lists/thesis/more-like-this/").status_code == 404


def test_a_paper_without_vectors_has_no_similar_section(client):
    from ..factories import PaperFactory

    paper = PaperFactory()
    assert "Similar papers" not in client.get(paper.get_absolute_url()).content.decode()
