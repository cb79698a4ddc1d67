"""The decision in reach: on a laptop both buttons are inside the window on every card, however long the card.

Ten real cards from the arXiv sample, one of them with 300 authors and one with an abstract of over
2,000 characters (real papers run to 59 authors and 1,863 characters in the sample: the two are a real
paper's with the list and the abstract lengthened from other real papers')."""

import dataclasses

import pytest
from playwright.sync_api import Page, expect

from deck.models import Swipe
from papers.models import Category
from papers.parsers import parse_document
from papers.records import ParsedPage
from papers.services import import_page

from .browsing import PASSWORD, sign_in
from .conftest import ARXIV_RAW_PAGE, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]

CATEGORY = "hep-th"


@pytest.fixture
def ten_real_cards() -> dict[str, str]:
    """Ten hep-th papers from the sample, two of them stretched; returns what each stretched one is."""
    records = parse_document(ARXIV_RAW_PAGE.read_bytes()).records
    chosen = [r for r in records if r.primary_category == CATEGORY][:10]
    authors = [a for r in records for a in r.authors]
    abstracts = " ".join(r.abstract for r in records[:5])
    many, long = chosen[3], chosen[6]
    chosen[3] = dataclasses.replace(many, authors=(many.authors + authors)[:300])
    chosen[6] = dataclasses.replace(long, abstract=(long.abstract + " " + abstracts)[:2400])
    assert len(chosen) == 10
    assert len(chosen[3].authors) == 300
    assert len(chosen[6].abstract) > 2000
    import_page(page=ParsedPage(format="arXivRaw", records=chosen))
    return {many.arxiv_id: "300 authors", long.arxiv_id: "2,400-character abstract"}


@pytest.fixture
def reader_at(live_server, browser, django_user_model, ten_real_cards):
    """A hep-th reader signed in, in a window of the given size: returns (user, page)."""
    pages = []

    def open_deck(email: str, width: int = 1280, height: int = 720):
        user = django_user_model.objects.create_user(email=email, password=PASSWORD)
        user.followed_categories.set(Category.objects.filter(code=CATEGORY))
        page = browser.new_page(viewport={"width": width, "height": height})
        pages.append(page)
        sign_in(page, live_server.url, user)
        return user, page

    yield open_deck
    for page in pages:
        page.close()


def fully_inside(page: Page, selector: str, wait: float = 3.0) -> bool:
    """Whether the element's whole box is inside the window, once the card has settled (math, fonts)."""
    try:
        expect(page.locator(selector)).to_be_in_viewport(ratio=1, timeout=wait * 1000)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1024, 768)])
def test_keep_and_skip_are_inside_the_window_on_every_card_on_a_laptop(reader_at, ten_real_cards, width, height):
    user, page = reader_at(f"laptop{width}@example.org", width, height)
    seen = []
    for _ in range(10):
        card = page.locator("#deck .deck-card").first
        expect(card, f"after {seen}").to_be_visible()
        arxiv_id = card.get_attribute("data-arxiv-id")
        seen.append(arxiv_id)
        for button in ("Keep", "Skip"):
            selector = f"#deck .deck-card:first-child .decide button:text-is('{button}')"
            assert fully_inside(page, selector), (
                f"{button} is outside the {width} by {height} window on {arxiv_id} "
                f"({ten_real_cards.get(arxiv_id, 'a real card')}): {page.locator(selector).bounding_box()}"
            )
        page.locator(f"#deck .deck-card[data-arxiv-id='{arxiv_id}'] .decide button:text-is('Skip')").click()
        gone = page.locator(f"#deck .deck-card[data-arxiv-id='{arxiv_id}']")
        try:
            expect(gone).to_have_count(0, timeout=10_000)
        except AssertionError as error:  # say what the page said
            said = page.locator("#deck-status").inner_text(), page.locator("#deck-error").inner_text()
            raise AssertionError(f"{arxiv_id} stayed after Skip; the page said {said}") from error
    expect(page.locator("#caught-up")).to_be_visible()
    assert set(ten_real_cards) <= set(seen)  # the long ones were among them
    assert len(set(seen)) == 10
    # A card leaves when its flight ends and the outbox tells the server after: the last skip may still be
    # on its way.
    assert wait_for(lambda: Swipe.objects.filter(user=user).count() == 10, 15)


def test_a_skip_that_moves_cards_back_never_takes_away_the_card_on_top(reader_at, ten_real_cards):
    """After a skip the server moves the cards most like it back in the queue and the page drops those it
    holds, but not the one on top: the reader is reading it, and a key pressed as it went would decide
    another. The answer here names the next two cards, the one now on top and the one behind it."""
    user, page = reader_at("moved-back@example.org")
    held = page.locator("#deck .deck-card")
    skipped, shown, behind = (held.nth(i).get_attribute("data-paper") for i in range(3))

    def moving_back_the_next_two(route):
        answer = route.fetch()  # the server's real answer, with only these two ids put in
        route.fulfill(response=answer, json=answer.json() | {"withdrawn": [int(shown), int(behind)]})

    page.route("**/deck/decide/", moving_back_the_next_two)
    page.keyboard.press("ArrowLeft")
    expect(page.locator(f"#deck .deck-card[data-paper='{skipped}']")).to_have_count(0)
    assert wait_for(lambda: Swipe.objects.filter(user=user, paper_id=int(skipped)).exists(), 10)
    expect(held.nth(1)).not_to_have_attribute("data-paper", behind)  # the one behind made way
    expect(held.first).to_have_attribute("data-paper", shown)
    expect(held.first).to_be_visible()
    expect(held.first).to_be_focused()
    page.unroute_all(behavior="wait")  # the next answer as the server gives it, and none left in the handler
    page.keyboard.press("ArrowRight")
    expect(page.locator("#deck-status")).to_contain_text("Kept: ")
    kept = wait_for(lambda: list(Swipe.objects.filter(user=user, decision="keep").values_list("paper_id", flat=True)))
    assert kept == [int(shown)]


def test_a_decision_the_server_refuses_keeps_the_card_and_says_so_in_view(reader_at, ten_real_cards):
    user, page = reader_at("refused@example.org")
    top = page.locator("#deck .deck-card").first
    arxiv_id = top.get_attribute("data-arxiv-id")
    page.route("**/deck/decide/", lambda route: route.fulfill(status=500, body="Server Error"))
    page.locator("#deck .deck-card:first-child .decide button:text-is('Keep')").click()

    toast = page.get_by_role("alert")
    expect(toast).to_contain_text("Your keep was not saved: the server had a problem (500)")
    assert fully_inside(page, "#deck-error")
    expect(page.locator("#deck .deck-card").first).to_have_attribute("data-arxiv-id", arxiv_id)  # the card is back
    expect(page.locator("#deck .deck-card").first).to_be_visible()
    assert not Swipe.objects.filter(user=user).exists()

    page.unroute("**/deck/decide/")
    page.locator("#deck .deck-card:first-child .decide button:text-is('Keep')").click()
    expect(toast).to_be_hidden()  # the next saved decision clears it
    expect(page.locator(f"#deck .deck-card[data-arxiv-id='{arxiv_id}']")).to_have_count(0)
    assert wait_for(lambda: Swipe.objects.filter(user=user).first(), 10).paper.arxiv_id == arxiv_id


def test_a_long_abstract_stops_at_a_whole_line_and_shows_the_rest_on_demand(live_server, reader_at, ten_real_cards):
    _, page = reader_at("abstract@example.org")
    long = next(arxiv_id for arxiv_id, what in ten_real_cards.items() if "abstract" in what)
    page.goto(f"{live_server.url}/?show={long}")
    abstract = page.locator("#deck .deck-card:first-child .abstract")
    expect(page.locator("#deck .deck-card").first).to_have_attribute("data-arxiv-id", long)
    size = abstract.evaluate(
        "(el) => ({shown: el.clientHeight, full: el.scrollHeight, line: parseFloat(getComputedStyle(el).lineHeight)})"
    )
    assert size["full"] > size["shown"] * 1.5  # clamped
    lines = size["shown"] / size["line"]
    assert abs(lines - round(lines)) < 0.05, size  # at a line boundary, not through a line of letters
    show = page.get_by_role("button", name="Show full abstract")
    expect(show).to_have_attribute("aria-expanded", "false")
    show.click()
    expect(page.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    assert abstract.evaluate("(el) => el.scrollHeight <= el.clientHeight + 1")  # all of it


def test_after_a_decision_the_next_card_has_the_focus_and_the_page_says_what_was_done(reader_at, ten_real_cards):
    user, page = reader_at("focus@example.org")
    first = page.locator("#deck .deck-card").first
    title, arxiv_id = first.locator(".paper-title").inner_text(), first.get_attribute("data-arxiv-id")
    expect(page.locator(".messages")).to_contain_text("Successfully signed in")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".messages")).to_have_count(0)  # a one-time note goes with the first decision
    status = page.get_by_role("status").filter(has_text="Kept")
    expect(status).to_have_text(f"Kept: {title}")
    # The card that came up has the focus: a screen reader reads its title (the card is labelled by it).
    expect(page.locator("#deck .deck-card").first).to_be_focused()
    assert page.evaluate("() => document.activeElement.getAttribute('aria-labelledby')").startswith("title-")

    page.keyboard.press("u")
    expect(page.locator("#deck-status")).to_have_text(f"Undid: Keep · {title}")
    expect(page.locator("#deck .deck-card").first).to_have_attribute("data-arxiv-id", arxiv_id)
    expect(page.locator("#deck .deck-card").first).to_be_focused()
    # The page undoes at once and the outbox tells the server after: the test ends once the server has it.
    assert wait_for(lambda: not Swipe.objects.filter(user=user).exists(), 10)


def test_saving_from_the_card_stays_on_the_card_and_keep_and_save_is_one_decision(reader_at, ten_real_cards):
    from library import services as library_services

    user, page = reader_at("saver@example.org")
    thesis = library_services.create_list(user=user, name="Thesis")
    page.reload()  # the card's list menu now has it
    page.evaluate("() => { window.stillHere = true; }")  # gone if the page reloads
    card = page.locator("#deck .deck-card").first
    title, arxiv_id = card.locator(".paper-title").inner_text(), card.get_attribute("data-arxiv-id")
    card.get_by_label("Save to list").select_option(label="Thesis")
    card.get_by_role("button", name="Save to…").click()
    expect(page.locator("#deck-status")).to_have_text(f"Saved in “Thesis”: {title}")
    assert page.evaluate("() => window.stillHere") is True  # a background request, not a reload
    expect(page.locator("#deck .deck-card").first).to_have_attribute("data-arxiv-id", arxiv_id)  # still deciding
    assert thesis.entries.filter(paper__arxiv_id=arxiv_id).exists()
    assert not Swipe.objects.filter(user=user).exists()

    card.get_by_role("button", name="Keep and save").click()
    expect(page.locator("#deck-status")).to_have_text(f"Kept and saved in “Thesis”: {title}")
    expect(page.locator(f"#deck .deck-card[data-arxiv-id='{arxiv_id}']")).to_have_count(0)
    swipe = wait_for(lambda: Swipe.objects.filter(user=user).first(), 10)
    assert (swipe.decision, swipe.paper.arxiv_id) == ("keep", arxiv_id)
