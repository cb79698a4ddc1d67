import pytest

from deck.compiled_sql import CompiledQueries, fetch_one
from deck.models import Swipe

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_query_is_built_once_per_key_and_the_oldest_key_goes_first():
    built: list[str] = []

    def build(name: str):
        def queryset():
            built.append(name)
            return Swipe.objects.filter(user__email=name).values("pk")[:1]

        return queryset

    compiled = CompiledQueries(size=2)
    first = compiled.sql("a", build("a"))
    assert compiled.sql("a", build("a")) == first
    compiled.sql("b", build("b"))
    compiled.sql("c", build("c"))  # one more than the size: "a" goes
    compiled.sql("b", build("b"))
    compiled.sql("a", build("a"))
    assert built == ["a", "b", "c", "a"]
    assert first[1] == ("a",)


def test_the_compiled_sql_runs_with_its_parameters():
    user = UserFactory()
    sql, params = CompiledQueries(size=1).sql("count", lambda: Swipe.objects.filter(user=user).values("user_id")[:1])
    assert fetch_one(sql, params) is None
    assert fetch_one(f"SELECT COUNT(*) FROM ({sql}) AS q", params) == (0,)
