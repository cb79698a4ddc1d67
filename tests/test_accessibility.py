"""axe-core in Chromium on every page a reader sees, signed in and out, in the light and the dark scheme:
no violation at all (the target is none serious or critical; the moderate ones, a missing h1 or a skipped
heading level, are as cheap to keep out). axe-core is vendored (tests/vendor/axe-core, MPL-2.0): the suite runs
offline. The context bypasses the site's CSP so that the test may inject axe; the site is not changed."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from library.groups import invitations
from library.models import Invitation, ReadingListEntry
from library.selectors import default_list
from papers.models import Paper

from .browsing import sign_in
from .conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# Paths with {paper} (a paper with math in its title or abstract) and {token} (a shared list).
PUBLIC = [
    "/",
    "/try/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/papers/",
    "/papers/{paper}/",
    "/papers/trending/",
    "/search/?q=quantum",
    "/shared/{token}/",
    "/groups/join/{invite}/",
]
PRIVATE = [
    "/",
    "/history/",
    "/stats/",
    "/settings/interests/",
    "/settings/learned/",
    "/settings/categories/",
    "/settings/digest/",
    "/settings/zotero/",
    "/settings/data/",
    "/lists/",
    "/groups/",
    "/groups/lab/",
    "/groups/lab/lists/to-discuss/",
    "/groups/lab/lists/to-discuss/{entry}/",
    "/lists/reading-list/",
    "/lists/empty/",
    "/papers/{paper}/",
    "/search/?q=quantum",
    "/accounts/email/",
    "/accounts/password/change/",
]
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.length} nodes, e.g. `
      + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


def axe_violations(browser: Browser, base: str, paths: list[str], scheme: str, user=None) -> dict[str, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    if user is not None:
        sign_in(page, base, user)
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.ok, f"{path}: {response.status}"
        page.add_script_tag(path=AXE)
        if violations := page.evaluate(RUN_AXE):
            found[path] = violations
    context.close()
    return found


def filled(paths: list[str], user) -> list[str]:
    math = Paper.objects.filter(abstract__contains="$").first() or Paper.objects.first()
    token = default_list(user=user).share_token
    entry = ReadingListEntry.objects.get(reading_list__group__slug="lab")
    invite = invitations.token_for(Invitation.objects.get(group__slug="lab"))
    return [p.format(paper=math.arxiv_id, token=token, entry=entry.pk, invite=invite) for p in paths]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation_signed_out(live_server, browser, reader_with_history, scheme):
    found = axe_violations(browser, live_server.url, filled(PUBLIC, reader_with_history), scheme)
    assert not found, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation_signed_in(live_server, browser, reader_with_history, scheme):
    reader = reader_with_history
    found = axe_violations(browser, live_server.url, filled(PRIVATE, reader), scheme, user=reader)
    assert not found, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_offline_deck_and_the_offline_note_have_no_violation(live_server, browser, reader_with_history, scheme):
    """What the service worker shows without a network: the deck from the device's cards with a decision
    waiting to be sent, and the note on a page the device does not keep."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server.url, reader_with_history)
    page.wait_for_function("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)")
    held = "reader => window.PaperSwipeStore.copy(reader, 'deck').then((c) => c ? c.value.cards.length : 0)"
    wait_for(lambda: page.evaluate(held, str(reader_with_history.pk)) > 1, 20)
    context.set_offline(True)
    found = {}
    for path in ("/", "/stats/"):
        page.goto(live_server.url + path)
        if path == "/":
            expect(page.locator("#progress")).to_contain_text("Offline ·")
            page.keyboard.press("j")
            expect(page.locator("#outbox-status")).to_have_text("1 decision waiting to be sent")
        else:
            expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        page.add_script_tag(path=AXE)
        if violations := page.evaluate(RUN_AXE):
            found[path] = violations
    context.close()
    assert not found, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)
