import pytest

from papers.models import Category

from ..factories import UserFactory


@pytest.fixture
def cs_cy():
    return Category.objects.get(code="cs.CY")


@pytest.fixture
def user(cs_cy):
    """A reader who follows cs.CY."""
    user = UserFactory()
    user.followed_categories.add(cs_cy)
    return user
