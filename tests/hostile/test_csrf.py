"""Hostile input, CSRF (issue 14 §3; docs/security.md lists every case with its test id)."""

from __future__ import annotations

import pytest
from django.test import Client

from deck.models import DigestSubscription, SeedPaper
from library.models import ReadingList
from library.selectors import default_list

from ..factories import UserFactory
from .helpers import (
    PASSWORD,
    csrf_token,
)

pytestmark = pytest.mark.django_db


CSRF_PROTECTED = {
    "create-list": ("/lists/new/", {"name": "Thesis"}),
    "share-list": ("/lists/reading-list/share/", {}),
    "save-to-list": ("/save/", {"list": 1, "paper": 1}),
    "seed-upload": ("/settings/interests/seeds/", {"ids": "2401.01234"}),
    "digest-settings": ("/settings/digest/", {"frequency": "daily", "size": 10, "hour": 7, "time_zone": "UTC"}),
    "delete-account": ("/settings/delete/", {"confirm_email": "alice@example.org"}),
    "log-out": ("/accounts/logout/", {}),
}


def _nothing_changed(alice) -> None:
    assert ReadingList.objects.filter(user=alice).count() == 1
    assert not default_list(user=alice).share_token
    assert not SeedPaper.objects.exists()
    assert not DigestSubscription.objects.exists()


@pytest.mark.parametrize(("path", "data"), list(CSRF_PROTECTED.values()), ids=list(CSRF_PROTECTED))
def test_a_post_without_a_csrf_token_is_a_403(alice, path, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    csrf_token(browser)  # the browser holds a CSRF cookie; the forged form has no token
    assert browser.post(path, data).status_code == 403
    _nothing_changed(alice)
    assert "_auth_user_id" in browser.session  # still signed in: even log-out needs the token


def test_a_token_from_another_users_session_is_a_403(alice):
    mallory = UserFactory(email="mallory@example.org")
    attacker = Client(enforce_csrf_checks=True)
    attacker.force_login(mallory)
    stolen = csrf_token(attacker)
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(alice)
    csrf_token(victim)
    assert victim.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": stolen}).status_code == 403
    assert victim.post("/lists/new/", {"name": "Thesis"}, HTTP_X_CSRFTOKEN=stolen).status_code == 403
    _nothing_changed(alice)
    assert victim.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": csrf_token(victim)}).status_code == 302


def test_a_token_from_before_the_login_is_a_403(alice):
    """Logging in rotates the CSRF secret: a token read from the login page (by a script, a proxy log) is
    worth nothing after it."""
    browser = Client(enforce_csrf_checks=True)
    before = csrf_token(browser, "/accounts/login/")
    login = browser.post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD, "csrfmiddlewaretoken": before}
    )
    assert login.status_code == 302
    assert browser.post("/lists/new/", {"name": "Thesis", "csrfmiddlewaretoken": before}).status_code == 403
    _nothing_changed(alice)


def test_a_forged_unsubscribe_link_is_a_400_without_csrf_and_changes_nothing(alice):
    """One of the two CSRF-exempt endpoints: its signed token is the proof, so a forged one is refused."""
    DigestSubscription.objects.create(user=alice, frequency="daily")
    response = Client(enforce_csrf_checks=True).post("/digest/unsubscribe/MQ:forged:signature/")
    assert response.status_code == 400
    assert DigestSubscription.objects.get(user=alice).frequency == "daily"
