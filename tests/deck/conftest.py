import pytest

from papers import common_words
from papers.features.store import compute_features, vectors
from papers.models import Category, Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..conftest import ARXIV_RAW_PAGE
from ..factories import UserFactory

# The categories of the 1,000 real arXivRaw records (`catalog`).
FOLLOWED = ["astro-ph", "hep-ph", "hep-th", "quant-ph", "gr-qc", "cond-mat.str-el", "math-ph"]


@pytest.fixture
def cs_cy():
    return Category.objects.get(code="cs.CY")


@pytest.fixture
def user(cs_cy):
    """A reader who follows cs.CY."""
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    return user


def _import_catalog() -> None:
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    compute_features(paper_ids=Paper.objects.values_list("pk", flat=True))


@pytest.fixture(scope="module")
def _module_catalog(django_db_setup, django_db_blocker):
    """Imported once per module, committed; each test's own writes roll back around it."""
    with django_db_blocker.unblock():
        categories = set(Category.objects.values_list("pk", flat=True))
        _import_catalog()
    yield
    with django_db_blocker.unblock():
        Paper.objects.all().delete()
        Category.objects.exclude(pk__in=categories).delete()  # the codes the import added
    vectors.clear()


@pytest.fixture
def catalog(_module_catalog, db):
    """The 1,000 real arXivRaw records of one week of physics, with their stored vectors.

    A transactional test empties every table when it ends, so the next test that asks imports it again."""
    if not Paper.objects.exists():
        _import_catalog()
    vectors.clear()
    return Paper.objects.all()


def physics_reader():
    """A new reader who follows the catalog's categories."""
    user = UserFactory()
    user.followed_categories.set(Category.objects.filter(code__in=FOLLOWED))
    return user


@pytest.fixture
def common_words_afresh():
    """The catalog's common words counted over this test's catalog, not one cached by an earlier test."""
    common_words.forget()
    yield
    common_words.forget()
