"""Every URL pattern, visited anonymously: only an explicit list of public pages answers 200; the
pages behind a secret token answer 4xx to a wrong token; everything else sends to the login page.
A new view that forgets @login_required fails here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {
    "",  # the front door for a visitor, the deck for a reader
    "try/",
    "papers/",
    "papers/trending/",
    "papers/<path:arxiv_id>/",
    "search/",
    "accounts/login/",
    "accounts/signup/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/done/",
    "accounts/confirm-email/",
    "accounts/inactive/",
    "accounts/login/code/confirm/",
    "accounts/3rdparty/signup/",
    "accounts/social/signup/",
    "accounts/3rdparty/login/cancelled/",
    "accounts/3rdparty/login/error/",
    "accounts/social/login/cancelled/",
    "accounts/social/login/error/",
    # The installable app: the same for everyone, nothing of anyone's (tests/test_installable_app.py).
    "manifest.webmanifest",
    "sw.js",
    "offline/",
}
# A secret in the address is the key: a wrong one is refused, never a page.
BY_TOKEN = {
    "shared/<str:token>/",
    "shared/<str:token>/feed/",
    "feed/<str:token>/",
    "digest/keep/<int:paper_id>/<str:token>/",
    "digest/unsubscribe/<str:token>/",
    "groups/join/<str:token>/",
    "club/unsubscribe/<str:token>/",
    "accounts/confirm-email/<str:key>/",
    "accounts/password/reset/key/<uidb36>-<key>/",
}
# POST-only endpoints that need no login: browsers post reports without a session.
POST_ONLY_PUBLIC = {"csp-report/"}
# OAuth providers' entry points: a button that continues to the provider, or a refusal; no data.
OAUTH = re.compile(r"^accounts/(github|google|orcid)/")


def routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:\w+>", "999999", route)
    route = re.sub(r"<path:\w+>", "2401.00001", route)
    route = re.sub(r"<(?:str:|slug:)?\w+>", "nope", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "nope", route)
    return "/" + route


ALL = sorted(r for r in routes(get_resolver().url_patterns) if not r.startswith("admin/"))


def test_the_sweep_sees_every_app():
    assert len(ALL) > 60
    for expected in ("", "lists/", "settings/digest/", "papers/", "accounts/login/"):
        assert expected in ALL


@pytest.mark.parametrize("route", ALL)
def test_anonymous_visitors_get_only_public_pages(client, route):
    response = client.get(concrete(route))
    if route in PUBLIC:
        # 404: the dummy paper id does not exist; 301/302: allauth sends a visitor with no pending step to
        # log in, or from an old address to its new one; 401: allauth's "login failed" page
        assert response.status_code in (200, 301, 302, 401, 404), route
        if response.status_code in (301, 302):
            assert response["Location"].startswith("/accounts/"), route
    elif route in BY_TOKEN or "(?P<key>" in route:
        assert 400 <= response.status_code < 500 or response.status_code == 302, route
    elif route in POST_ONLY_PUBLIC:
        assert response.status_code == 405, route
    elif OAUTH.match(route):
        # "Continue to GitHub?" (a button that POSTs), or a refusal without a pending login
        assert response.status_code in (200, 302, 400, 401, 404, 405), route
    elif response.status_code == 301:  # allauth's old addresses move to their new ones, also behind login
        assert response["Location"].startswith("/accounts/"), route
    else:
        assert response.status_code == 302, (route, response.status_code)
        assert response["Location"].startswith("/accounts/login/") or route.startswith("accounts/"), route


def test_the_admin_sends_anonymous_visitors_to_its_login(client):
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_provider_without_an_app_is_not_found_rather_than_an_error(client):
    """GitHub, Google and ORCID are installed, but none is configured in the tests."""
    assert client.get("/accounts/github/login/").status_code == 404
    assert client.get("/accounts/orcid/login/callback/").status_code == 404
