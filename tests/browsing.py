"""Chromium through Playwright for the browser tests: Debian's own build, never a downloaded one, and the
people who use the site: a desktop window, a phone with touch, a signed-in reader."""

import os
import re
import threading

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "a very long passphrase"

# `make test` runs two test processes on two cores, next to Chromium, the live server and at times a gunicorn
# cluster: a page may take longer than Playwright's 5 s default to show what it will show. An assertion that
# holds passes as soon as it does; only one that fails waits the whole 15 s.
expect.set_options(timeout=15_000)


class LiveRequests:
    """Requests the live server is still answering. A test may end (its condition met) while the server thread
    still works on the request that met it, say the rerank after an undo; flushing the database under that
    request deadlocks, so the tables are emptied only once the server is idle. The test client runs in the
    main thread and is not counted."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        request_started.connect(self.started, weak=False)
        request_finished.connect(self.finished, weak=False)

    def started(self, **kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            with self.lock:
                self.count += 1

    def finished(self, **kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            with self.lock:
                self.count -= 1


live_requests = LiveRequests()


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(request):
    if "live_server" not in request.fixturenames:
        yield
        return
    # Set up after the database fixture, so torn down before its flush; the pages of the test, set up
    # after this, are closed by then and send nothing new.
    request.getfixturevalue("transactional_db")
    yield
    from .conftest import wait_for

    wait_for(lambda: live_requests.count <= 0, 30)


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread while the browser is open; the tests'
    # own ORM calls are still synchronous, so Django's async guard is lifted for this module only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A phone as the browser sees one: touch, mobile viewport rules, 390 by 844 CSS pixels."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, base_url: str, user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))


def touch(page: Page, points: list[tuple[float, float]]) -> None:
    """One finger down at the first point, through the others, and up: real touch input through CDP."""
    cdp = page.context.new_cdp_session(page)
    (x, y), *moves = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in moves:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + min(box["width"] / 2, 40), box["y"] + box["height"] / 2


@pytest.fixture
def reader_with_history(django_user_model):
    """A reader with a history, a kept paper in a shared list, an empty list and papers with math."""
    from deck import services as deck_services
    from library import services as library_services
    from library.selectors import default_list
    from papers.models import Category, Paper
    from papers.parsers import parse_document
    from papers.services import import_page

    from .conftest import API_PAGE

    import_page(page=parse_document(API_PAGE.read_bytes()))
    user = django_user_model.objects.create_user(email="reader@example.org", password=PASSWORD)
    codes = Paper.objects.values_list("primary_category__code", flat=True).distinct()
    user.followed_categories.set(Category.objects.filter(code__in=codes))
    papers = list(Paper.objects.order_by("-listed_at")[:4])
    for paper, decision in zip(papers, ["keep", "skip", "keep", "skip"], strict=True):
        deck_services.decide(user=user, paper=paper, decision=decision)
    library_services.create_list(user=user, name="Empty")
    library_services.share_list(reading_list=default_list(user=user))
    lab_group(user, papers)
    return user


def lab_group(owner, papers) -> None:
    """ "Lab", owned by the reader: a list with a paper, a thread, a vote, a member who shares keeps, a link."""
    from deck import services as deck_services
    from library import services as library_services
    from library.groups import invitations
    from library.groups import lists as group_lists
    from library.groups import services as group_services
    from library.models import Membership

    from .factories import UserFactory

    group = group_services.create_group(user=owner, name="Lab")
    mine = group.memberships.get()
    colleague = UserFactory(name="Grace Hopper")
    Membership.objects.create(group=group, user=colleague, shares_keeps=True)
    deck_services.decide(user=colleague, paper=papers[1], decision="keep")
    shared = group_lists.create_group_list(by=mine, name="To discuss")
    entry, _ = library_services.add_to_list(reading_list=shared, paper=papers[0], by=colleague)
    group_lists.add_comment(user=colleague, entry=entry, text="Section 3 answers https://arxiv.org/abs/2401.00001")
    group_lists.toggle_vote(user=colleague, entry=entry, vote=True)
    invitations.make_link(by=mine, max_uses=5)
