import datetime as dt

import factory

from accounts.models import User
from papers.models import Category, Paper


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"researcher{n}@example.org")
    password = factory.django.Password("correct horse battery staple")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test.C{n}")
    name = factory.Sequence(lambda n: f"Test category {n}")
    is_active = True


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper
        skip_postgeneration_save = True

    arxiv_id = factory.Sequence(lambda n: f"2511.{10000 + n:05d}")
    version = 1
    title = factory.Sequence(lambda n: f"A paper about things, part {n}")
    abstract = "We study things and find that they are interesting."
    authors = factory.LazyFunction(lambda: [{"name": "Ada Lovelace", "affiliations": []}])
    primary_category = factory.SubFactory(CategoryFactory)
    published = factory.LazyFunction(lambda: dt.datetime(2025, 11, 25, 18, 0, tzinfo=dt.UTC))
    updated = factory.SelfAttribute("published")

    @factory.post_generation
    def with_categories(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and self.primary_category:
            self.categories.add(self.primary_category)
