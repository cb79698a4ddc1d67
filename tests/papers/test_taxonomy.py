import pytest

from papers.models import Category
from papers.taxonomy import DEFAULT_OFFERED, sync_taxonomy

pytestmark = pytest.mark.django_db


def test_the_whole_taxonomy_is_loaded_by_migration():
    assert Category.objects.count() == 185
    assert Category.objects.filter(in_taxonomy=True).count() == 155
    cy = Category.objects.get(code="cs.CY")
    assert (cy.name, cy.archive, cy.group, cy.group_name) == ("Computers and Society", "cs", "cs", "Computer Science")
    assert Category.objects.get(code="hep-th").group_name == "Physics"


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("math.IT", "cs.IT"),
        ("eess.SY", None),
        ("cs.SY", "eess.SY"),
        ("cs.NA", "math.NA"),
        ("math.MP", "math-ph"),
        ("stat.TH", "math.ST"),
        ("q-fin.EC", "econ.GN"),
    ],
)
def test_aliases_point_at_one_canonical_code(alias, canonical):
    category = Category.objects.select_related("alias_of").get(code=alias)
    assert (category.alias_of.code if category.alias_of else None) == canonical


def test_a_handful_of_popular_categories_are_offered_by_default():
    assert set(Category.objects.filter(is_active=True).values_list("code", flat=True)) == DEFAULT_OFFERED


def test_resync_keeps_admin_choices():
    Category.objects.filter(code="cs.CY").update(is_active=False)
    Category.objects.filter(code="math.CO").update(is_active=True)
    assert sync_taxonomy(Category) == 0
    assert not Category.objects.get(code="cs.CY").is_active
    assert Category.objects.get(code="math.CO").is_active
