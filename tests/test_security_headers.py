"""The Content-Security-Policy (django-csp), the Permissions- and Referrer-Policy, and the endpoint that
receives CSP violation reports."""

import json
import logging
import re

import pytest
from django.test import Client

from library.selectors import default_list
from papers.models import Category

from .factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def reader(client):
    category = Category.objects.get(code="cs.LG")
    user = UserFactory()
    user.followed_categories.add(category)
    paper = PaperFactory(primary_category=category, title="Bounds")
    paper.categories.add(category)
    client.force_login(user)
    return user, paper


def test_every_page_has_a_policy_without_inline_scripts_and_frames_only_from_arxiv(client, reader):
    response = client.get("/")
    policy = directives(response)
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-src"] == ["https://arxiv.org", "https://export.arxiv.org"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["report-uri"] == ["/csp-report/"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    anonymous = Client().get("/papers/")
    assert "Content-Security-Policy" in anonymous


def test_no_page_carries_an_inline_script_or_handler(client, reader):
    user, paper = reader
    pages = [
        "/",
        "/history/",
        "/lists/",
        f"/lists/{default_list(user=user).slug}/",
        "/search/?q=bounds",
        paper.get_absolute_url(),
        "/papers/",
        "/papers/trending/",
        "/stats/",
        "/settings/digest/",
        "/settings/interests/",
        "/settings/categories/",
        "/settings/data/",
    ]
    for page in pages:
        html = client.get(page).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (page, tag)
        assert not re.search(r"\son[a-z]+=", html), page  # onclick=, onsubmit=: blocked by the policy
    login = Client().get("/accounts/login/").content.decode()
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", login))


REPORT = {
    "csp-report": {
        "document-uri": "https://paperswipe.example.org/",
        "violated-directive": "script-src-elem",
        "blocked-uri": "inline",
    }
}


def test_a_violation_report_is_logged_without_a_csrf_token(caplog):
    browser = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="paperswipe.csp"):
        response = browser.post("/csp-report/", json.dumps(REPORT), content_type="application/csp-report")
    assert response.status_code == 204
    assert "script-src-elem" in caplog.text


@pytest.mark.parametrize(
    ("body", "status"),
    [("not json", 400), ("{" + " " * 30_000 + "}", 413)],
)
def test_a_bad_or_huge_report_is_refused(body, status, caplog):
    with caplog.at_level(logging.WARNING, logger="paperswipe.csp"):
        response = Client().post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == status
    assert "CSP violation" not in caplog.text


def test_reports_are_posted_only():
    assert Client().get("/csp-report/").status_code == 405
