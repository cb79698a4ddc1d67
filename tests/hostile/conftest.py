"""The hostile-input cases' reader, her category and kept paper, and an arXiv that records what it is asked."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from deck import services as deck_services
from papers.models import Category

from ..factories import PaperFactory, UserFactory
from .helpers import FakeArxiv


@pytest.fixture(autouse=True)
def arxiv():
    """No case may reach the real arXiv; the ones about ids say what would have been asked."""
    fake = FakeArxiv()
    with mock.patch("papers.services.client_from_settings", return_value=fake):
        yield fake


@pytest.fixture
def lg():
    return Category.objects.get(code="cs.LG")


@pytest.fixture
def alice(lg):
    user = UserFactory(email="alice@example.org")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    user.followed_categories.add(lg)
    return user


@pytest.fixture
def as_alice(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def kept(alice, lg):
    """A paper alice kept: in her history and her reading list."""
    paper = PaperFactory(primary_category=lg, title="Zebrafish regeneration")
    deck_services.decide(user=alice, paper=paper, decision="keep")
    return paper
