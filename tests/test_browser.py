"""In Chromium, as a new user would: sign up, confirm, pick categories, swipe, undo, find the list."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from deck.models import Swipe
from papers.models import Category, Paper

from .browsing import PASSWORD, centre, sign_in, touch
from .conftest import wait_for
from .factories import PaperFactory

SHOWING = "#deck .deck-card:not(.leaving)"


def top_id(page: Page) -> str:
    """The card the reader sees: the first that is not flying off."""
    return page.locator(SHOWING).first.get_attribute("data-arxiv-id")


def decide_with_key(page: Page, key: str) -> str:
    before = top_id(page)
    with page.expect_response(re.compile(r"/deck/decide/$")) as response:
        page.keyboard.press(key)
    assert response.value.ok
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", before)
    return before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_new_user_signs_up_swipes_undoes_and_finds_the_kept_papers(live_server, page):
    now = timezone.now()
    for i, code in enumerate(["cs.LG", "cs.CY"] * 6):
        PaperFactory(
            title=f"Paper {i} on $\\alpha$-divergences",
            primary_category=Category.objects.get(code=code),
            listed_at=now - timezone.timedelta(minutes=i),
        )

    # 1. Sign up, and confirm by the link in the email.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("new.researcher@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("Verify Your Email Address")).to_be_visible()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)[0]
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    # 2. Confirming signs the reader in (no third typing of the password) and asks for categories: pick two.
    # Four screens from the sign-up form to the first card: sign up, "check your email", confirm, categories.
    expect(page).to_have_url(re.compile(r"/settings/categories/$"))
    page.get_by_label("cs.LG · Machine Learning").check()
    page.get_by_label("cs.CY · Computers and Society").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))  # the deck's script is running
    expect(page.get_by_role("button", name="Keep", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Skip", exact=True)).to_be_visible()
    expect(page.locator("#deck .katex").first).to_be_visible()  # math rendered by our own KaTeX

    # 3. Keep two with →, 4. skip one with ←.
    kept = [decide_with_key(page, "ArrowRight"), decide_with_key(page, "ArrowRight")]
    skipped = decide_with_key(page, "ArrowLeft")

    # 5. Drag one card to the right on a phone-sized screen.
    page.set_viewport_size({"width": 390, "height": 844})
    card = page.locator(SHOWING).first
    dragged = card.get_attribute("data-arxiv-id")
    box = card.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 60
    with page.expect_response(re.compile(r"/deck/decide/$")):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 80, y, steps=5)
        expect(card.locator(".stamp-keep")).not_to_have_css("opacity", "0")
        page.mouse.move(x + 260, y, steps=10)
        page.mouse.up()
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", dragged)

    # 6. Undo once: the dragged paper comes back on top.
    with page.expect_response(re.compile(r"/deck/undo/$")):
        page.get_by_role("button", name="Undo").click()
    expect(page.locator(SHOWING).first).to_have_attribute("data-arxiv-id", dragged)

    # 7. The reading list holds exactly the kept papers.
    page.goto(f"{live_server.url}/lists/reading-list/")
    listed = page.locator(".paper-row").evaluate_all("rows => rows.map(r => r.dataset.arxivId)")
    assert sorted(listed) == sorted(kept)
    decisions = dict(Swipe.objects.values_list("paper__arxiv_id", "decision"))
    assert decisions == {kept[0]: "keep", kept[1]: "keep", skipped: "skip"}
    assert set(Swipe.objects.values_list("source", flat=True)) == {"key"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_the_deck_works_without_javascript(live_server, browser, django_user_model):
    user = django_user_model.objects.create_user(email="nojs@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    papers = [PaperFactory(primary_category=Category.objects.get(code="cs.LG")) for _ in range(3)]
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    first = top_id(page)
    page.locator(SHOWING).first.get_by_role("button", name="Keep", exact=True).click()
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", first)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator(SHOWING).first).to_have_attribute("data-arxiv-id", first)
    assert Swipe.objects.count() == 0
    assert {p.arxiv_id for p in papers} >= {first}
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_researcher_organises_exports_and_shares_a_list(live_server, page, django_user_model):
    import bibtexparser
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(email="lists@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    now = timezone.now()
    for i in range(5):
        PaperFactory(
            title=f"Listable paper {i}",
            primary_category=Category.objects.get(code="cs.LG"),
            listed_at=now - timezone.timedelta(minutes=i),
        )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))

    # 1. Keep three.
    kept = [decide_with_key(page, "ArrowRight") for _ in range(3)]

    # 2. Create the list "Thesis".
    page.goto(f"{live_server.url}/lists/")
    page.get_by_label("New list").fill("Thesis")
    page.get_by_role("button", name="Create list").click()
    expect(page).to_have_url(re.compile(r"/lists/thesis/$"))

    # 3. Move one paper into it.
    page.goto(f"{live_server.url}/lists/reading-list/")
    page.get_by_role("button", name="Move", exact=True).click()  # nothing ticked: said in the bar, no request
    expect(page.locator("#bulk-form").get_by_role("alert")).to_have_text("Select at least one paper first.")
    expect(page.locator("li.entry")).to_have_count(3)
    row = page.locator(f'li.entry[data-arxiv-id="{kept[0]}"]')
    row.get_by_role("checkbox").check()
    expect(page.locator("#bulk-error")).to_be_hidden()
    page.get_by_label("Target list").select_option(label="Thesis")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved 1 to “Thesis”.")).to_be_visible()
    expect(page.locator(f'li.entry[data-arxiv-id="{kept[0]}"]')).to_have_count(0)

    # 4. Mark one read, 5. add a note.
    row = page.locator(f'li.entry[data-arxiv-id="{kept[1]}"]')
    row.get_by_label("State").select_option("read")
    row.get_by_role("button", name="Save", exact=True).click()
    row = page.locator(f'li.entry[data-arxiv-id="{kept[2]}"]')
    expect(row.get_by_label("Note")).to_be_hidden()  # a note is written on demand
    row.get_by_text("Add a note").click()
    row.get_by_label("Note").fill("Compare with section 4 of the thesis draft")
    row.get_by_role("button", name="Save note").click()
    row = page.locator(f'li.entry[data-arxiv-id="{kept[2]}"]')
    expect(row.locator(".entry-note")).to_have_text("Compare with section 4 of the thesis draft")  # shown, not a box
    expect(row.get_by_text("Edit note")).to_be_visible()
    page.goto(f"{live_server.url}/lists/reading-list/?state=read")
    expect(page.locator("li.entry")).to_have_count(1)
    expect(page.locator("li.entry").first).to_have_attribute("data-arxiv-id", kept[1])

    # 6. Export BibTeX: three entries with the right eprint ids.
    page.goto(f"{live_server.url}/lists/")
    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX").click()
    bib = bibtexparser.parse_string(open(download.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert sorted(e.fields_dict["eprint"].value for e in bib.entries) == sorted(kept)

    # 7. Share the list and open it logged out.
    page.goto(f"{live_server.url}/lists/thesis/")
    page.get_by_role("button", name="Share list").click()
    share_url = page.locator("#share-url").get_attribute("href")
    assert "/shared/" in share_url
    stranger = page.context.browser.new_context()
    public = stranger.new_page()
    public.goto(share_url)
    expect(public.get_by_role("heading", name="Thesis")).to_be_visible()
    expect(public.locator(f'li.entry[data-arxiv-id="{kept[0]}"]')).to_have_count(1)
    expect(public.get_by_role("button", name="Save")).to_have_count(0)
    stranger.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_on_a_phone_a_drag_works_from_anywhere_on_the_card_and_a_tap_still_opens(live_server, phone, django_user_model):
    user = django_user_model.objects.create_user(email="thumb@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    now = timezone.now()
    authors = [{"name": f"Author Number {i}", "affiliations": ["Somewhere"]} for i in range(8)]
    cs_lg, cs_cy = Category.objects.get(code="cs.LG"), Category.objects.get(code="cs.CY")
    for i in range(8):
        paper = PaperFactory(
            title=f"A paper with many authors, part {i}",
            authors=authors,
            primary_category=cs_lg,
            listed_at=now - timezone.timedelta(minutes=i),
        )
        paper.categories.add(cs_cy)
    sign_in(phone, live_server.url, user)
    deck_url = phone.url
    card = phone.locator(SHOWING).first

    # A drag decides wherever the thumb lands: the author line, a category chip, the abstract, the title.
    starts = {
        "authors": ".authors summary",
        "chip": ".category.primary a",
        "abstract": ".abstract",
        "title": ".paper-title a",
    }
    dragged = {}
    for i, (where, selector) in enumerate(starts.items()):
        before = card.get_attribute("data-arxiv-id")
        x, y = centre(card.locator(selector))
        direction = 1 if i % 2 == 0 else -1
        with phone.expect_response(re.compile(r"/deck/decide/$")) as response:
            touch(phone, [(x, y)] + [(x + direction * 25 * step, y + step) for step in range(1, 11)])
        assert response.value.ok, where
        expect(card).not_to_have_attribute("data-arxiv-id", before)
        assert phone.url == deck_url, f"a drag from the {where} followed a link"
        dragged[before] = "keep" if direction > 0 else "skip"
    decisions = {
        paper: (decision, source)
        for paper, decision, source in Swipe.objects.values_list("paper__arxiv_id", "decision", "source")
    }
    assert decisions == {paper: (decision, "gesture") for paper, decision in dragged.items()}

    # A short drag is taken back: the card stays and nothing is decided.
    top = card.get_attribute("data-arxiv-id")
    x, y = centre(card.locator(".abstract"))
    touch(phone, [(x, y), (x + 30, y), (x + 60, y)])
    expect(card).to_have_attribute("data-arxiv-id", top)
    expect(card).not_to_have_class(re.compile(r"dragging|leaving"))

    # An upward swipe scrolls the page and decides nothing.
    x, y = centre(card.locator(".abstract"))
    touch(phone, [(x, y)] + [(x + step, y - 20 * step) for step in range(1, 11)])
    expect(card).to_have_attribute("data-arxiv-id", top)

    # A tap on the author line still opens the authors.
    authors_box = card.locator("details.authors")
    expect(authors_box).not_to_have_attribute("open", "")
    touch(phone, [centre(card.locator(".authors summary"))])
    expect(authors_box).to_have_attribute("open", "")
    expect(card.get_by_text("Author Number 7")).to_be_visible()

    # And a tap on a category chip follows its link.
    touch(phone, [centre(card.locator(".category.primary a"))])
    expect(phone).to_have_url(re.compile(r"/papers/\?category=cs\.LG$"))
    assert Swipe.objects.count() == len(starts)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_with_a_mouse_a_drag_from_a_link_decides_and_a_short_one_follows_nothing(live_server, page, django_user_model):
    user = django_user_model.objects.create_user(email="mouse@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    now = timezone.now()
    for i in range(4):
        PaperFactory(primary_category=Category.objects.get(code="cs.LG"), listed_at=now - timezone.timedelta(minutes=i))
    sign_in(page, live_server.url, user)
    deck_url = page.url
    card = page.locator(SHOWING).first

    # A drag that starts on the title link decides, and the link is not followed nor dragged away.
    before = card.get_attribute("data-arxiv-id")
    x, y = centre(card.locator(".paper-title a"))
    with page.expect_response(re.compile(r"/deck/decide/$")):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 300, y, steps=12)
        page.mouse.up()
    expect(card).not_to_have_attribute("data-arxiv-id", before)
    assert Swipe.objects.get().decision == "skip"

    # A drag that falls short on a category chip puts the card back and does not follow the chip.
    top = card.get_attribute("data-arxiv-id")
    x, y = centre(card.locator(".category.primary a"))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=4)
    page.mouse.up()
    expect(card).to_have_attribute("data-arxiv-id", top)
    page.wait_for_function("card => card.style.transform === ''", arg=card.element_handle())  # put back
    page.wait_for_load_state("networkidle")  # a followed link would have navigated by now
    assert page.url == deck_url
    assert Swipe.objects.count() == 1

    # A click is still a click.
    card.locator(".paper-title a").click()
    expect(page).to_have_url(re.compile(r"/papers/\d+\.\d+/$"))


def inside_viewport(page: Page, locator) -> bool:
    box, view = locator.bounding_box(), page.viewport_size
    right, bottom = box["x"] + box["width"], box["y"] + box["height"]
    return box["x"] >= 0 and box["y"] >= 0 and right <= view["width"] and bottom <= view["height"]


def exposed(page: Page, name: str) -> dict:
    """What a screen reader is told about the focusable element named `name`: Chromium's own accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    for node in nodes:
        props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        if node.get("name", {}).get("value") == name and props.get("focusable"):
            return {"role": node["role"]["value"], **props}
    raise AssertionError(f"nothing focusable named {name!r}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_on_a_phone_the_navigation_shows_every_destination(live_server, phone, django_user_model):
    user = django_user_model.objects.create_user(email="pocket@example.org", password=PASSWORD, is_staff=True)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    PaperFactory(primary_category=Category.objects.get(code="cs.LG"), listed_at=timezone.now())
    sign_in(phone, live_server.url, user)
    nav = phone.get_by_role("navigation", name="Main")

    # Nothing is cut off: the navigation does not scroll sideways, and what it shows is on the screen.
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth")
    for name in ["Deck", "Lists", "Search", "Papers"]:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert inside_viewport(phone, link), name
    menu = nav.locator("summary", has_text="Account")
    expect(menu).to_be_visible()
    assert inside_viewport(phone, menu)
    assert exposed(phone, "Account")["expanded"] is False
    in_menu = ["History", "Categories", "Account settings", "Your data", "Admin"]
    rest = [nav.get_by_role("link", name=name, exact=True) for name in in_menu]
    rest.append(nav.get_by_role("button", name="Log out"))
    for item in rest:
        expect(item).to_be_hidden()

    # A tap on Account shows the rest, all on the screen; a tap elsewhere puts it away.
    touch(phone, [centre(menu)])
    assert exposed(phone, "Account")["expanded"] is True
    expect(nav.get_by_text("pocket@example.org")).to_be_visible()
    for item in rest:
        expect(item).to_be_visible()
        assert inside_viewport(phone, item)
    touch(phone, [(195, 700)])
    expect(rest[0]).to_be_hidden()

    # With the keyboard: Enter opens it, Tab walks into it, Escape closes it and returns to the button.
    menu.focus()
    phone.keyboard.press("Enter")
    expect(rest[0]).to_be_visible()
    phone.keyboard.press("Tab")
    expect(rest[0]).to_be_focused()
    phone.keyboard.press("Escape")
    expect(rest[0]).to_be_hidden()
    expect(menu).to_be_focused()
    phone.keyboard.press("Enter")
    expect(rest[0]).to_be_visible()

    # Every item goes where it says.
    touch(phone, [centre(nav.get_by_role("link", name="Categories", exact=True))])
    expect(phone).to_have_url(re.compile(r"/settings/categories/$"))
    touch(phone, [centre(menu)])
    touch(phone, [centre(nav.get_by_role("button", name="Log out"))])
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_reader_with_a_hidden_taste_gets_more_of_it_after_thirty_cards(live_server, page, django_user_model):
    from deck.models import Swipe
    from deck.selectors import candidates
    from papers.features.hashing import words
    from papers.parsers import parse_document
    from papers.services import import_page

    from .conftest import ARXIV_RAW_PAGE

    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))  # the features follow on commit
    user = django_user_model.objects.create_user(email="taste@example.org", password=PASSWORD)
    user.followed_categories.set(
        Category.objects.filter(
            code__in=["quant-ph", "cond-mat.str-el", "hep-th", "gr-qc", "math-ph", "cond-mat.mes-hall", "hep-ph"]
        )
    )

    def likes(arxiv_id: str) -> bool:  # the hidden taste: quantum physics, described by one word
        paper = Paper.objects.get(arxiv_id=arxiv_id)
        return "quantum" in words(f"{paper.title} {paper.abstract}")

    def swipe(n: int) -> list[bool]:
        liked = []
        for _ in range(n):
            liked.append(likes(top_id(page)))
            decide_with_key(page, "ArrowRight" if liked[-1] else "ArrowLeft")
        return liked

    sign_in(page, live_server.url, user)
    swipe(30)
    assert Swipe.objects.filter(user=user).count() == 30
    chronological = [likes(p.arxiv_id) for p in candidates(user=user)[:10]]
    page.reload()
    expect(page.locator(".why").first).to_be_visible()  # each ranked card says why it is there
    ranked = swipe(10)
    assert sum(ranked) > sum(chronological), (ranked, chronological)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_reader_opts_into_the_digest_and_keeps_a_paper_from_the_email_logged_out(
    live_server, browser, page, django_user_model, settings, capsys
):
    from django.core.management import call_command

    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as under `make run`
    user = django_user_model.objects.create_user(email="inbox@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    papers = [PaperFactory(primary_category=Category.objects.get(code="cs.LG")) for _ in range(6)]
    sign_in(page, live_server.url, user)

    page.goto(f"{live_server.url}/settings/digest/")
    page.get_by_label("Daily").check()
    page.get_by_label("Papers in each digest").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your digest settings are saved.")).to_be_visible()

    capsys.readouterr()
    call_command("send_digests", "--frequency", "daily")
    printed = capsys.readouterr().out
    assert "Sent 1 digest." in printed
    keep_links = re.findall(r"^   Keep: (\S+)$", printed, flags=re.MULTILINE)
    assert len(keep_links) == 5

    logged_out = browser.new_context()
    inbox = logged_out.new_page()
    inbox.goto(keep_links[0])
    expect(inbox.get_by_role("button", name="Keep")).to_be_visible()
    assert not Swipe.objects.exists()  # opening the link records nothing
    inbox.get_by_role("button", name="Keep").click()
    expect(inbox.get_by_text("Kept.")).to_be_visible()
    swipe = Swipe.objects.get()
    assert (swipe.user, swipe.decision, swipe.source) == (user, "keep", "email")
    assert swipe.paper in papers
    logged_out.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_no_page_breaks_the_content_security_policy(live_server, page, django_user_model):
    """The production policy is on in every test; here the browser itself reports any violation."""
    user = django_user_model.objects.create_user(email="csp@example.org", password=PASSWORD)
    category = Category.objects.get(code="cs.LG")
    user.followed_categories.add(category)
    paper = PaperFactory(primary_category=category, title="Rates for $\\alpha$-divergences")
    paper.categories.add(category)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    sign_in(page, live_server.url, user)
    expect(page.locator("#deck .katex").first).to_be_visible()  # KaTeX ran under the policy
    page.locator(SHOWING).first.get_by_role("link", name="Preview PDF").click()
    expect(page.locator("dialog iframe")).to_be_attached()
    page.keyboard.press("Escape")
    for path in ("/lists/", "/history/", paper.get_absolute_url(), "/stats/", "/settings/digest/", "/settings/zotero/"):
        page.goto(f"{live_server.url}{path}")
        page.locator(".account-menu summary").click()  # site.js: the menu opens and closes
        page.keyboard.press("Escape")
    assert violations == []


@pytest.mark.usefixtures("taxonomy")
def test_a_reader_connects_zotero_and_sends_a_list_with_notes(live_server, page, django_user_model, zotero):
    from library import services as library_services
    from library.models import ZoteroSend
    from library.zotero.sync import run_send

    from .zotero_standin import KEY, USER

    user = django_user_model.objects.create_user(email="zotero@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    thesis = library_services.create_list(user=user, name="Thesis")
    papers = PaperFactory.create_batch(3)
    for paper in papers:
        library_services.add_to_list(reading_list=thesis, paper=paper)
    thesis.entries.filter(paper=papers[0]).update(note="Compare with <our> bound & eq. 3")
    sign_in(page, live_server.url, user)

    page.goto(f"{live_server.url}/lists/thesis/")
    page.get_by_role("button", name="Send to Zotero", exact=True).click()
    expect(page.get_by_text("Connect your Zotero library first")).to_be_visible()  # the button led here

    page.get_by_label("Zotero user ID").fill(USER)
    page.get_by_label("Zotero API key").fill("NotTheRightKeyAtAll0000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Zotero does not accept this API key")).to_be_visible()
    page.get_by_label("Zotero API key").fill(KEY)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Connected to the Zotero library of reader")).to_be_visible()
    expect(page.locator(".key-tail")).to_have_text(KEY[-4:])
    assert KEY not in page.content()

    page.goto(f"{live_server.url}/lists/thesis/")
    page.get_by_label("with my notes, as Zotero notes").check()
    page.get_by_role("button", name="Send to Zotero", exact=True).click()
    expect(page.locator(".zotero-status")).to_have_text("Sent 3 of 3 to Zotero in the collection “Thesis”.")
    assert sorted(item["archiveID"] for item in zotero.items_of(USER)) == sorted(f"arXiv:{p.arxiv_id}" for p in papers)
    [note] = zotero.items_of(USER, "note")
    assert "Compare with &lt;our&gt; bound &amp; eq. 3" in note["note"]

    page.get_by_role("button", name="Send to Zotero", exact=True).click()  # again: nothing new
    wait_for(lambda: ZoteroSend.objects.filter(state=ZoteroSend.State.DONE).count() == 2)
    expect(page.locator(".zotero-status")).to_have_text("Sent 3 of 3 to Zotero in the collection “Thesis”.")
    expect(page.locator(".messages")).to_have_count(0)  # the state is on the page once, not twice
    assert (len(zotero.items_of(USER)), len(zotero.items_of(USER, "note"))) == (3, 1)

    # A send a worker has yet to run: the page follows it without a reload.
    library_services.add_to_list(reading_list=thesis, paper=PaperFactory())
    queued = ZoteroSend.objects.create(user=user, reading_list=thesis, collection_name="Thesis")
    page.goto(f"{live_server.url}/lists/thesis/")
    expect(page.locator(".zotero-status")).to_have_text("Queued: on its way to Zotero.")
    run_send(send_id=queued.pk)
    expect(page.locator(".zotero-status .zotero-state")).to_have_text(
        "Sent 4 of 4 to Zotero in the collection “Thesis”.", timeout=10_000
    )
    assert len(zotero.items_of(USER)) == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_a_visitor_tries_the_deck_signs_up_and_finds_the_trial_decisions_stored(live_server, page):
    Category.objects.filter(code="cs.LG").update(is_active=True)
    now = timezone.now()
    papers = [
        PaperFactory(
            title=f"Trial paper {i}",
            primary_category=Category.objects.get(code="cs.LG"),
            listed_at=now - timezone.timedelta(minutes=i),
        )
        for i in range(3)
    ]
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep up with arXiv, one card at a time")
    page.get_by_role("link", name="Try the deck").click()
    expect(page.get_by_text("your decisions cannot be stored")).to_be_visible()
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))  # the trial's script is running
    page.get_by_role("link", name="Keep").click()  # only the top card shows
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("k")
    expect(page.locator("#trial-summary")).to_contain_text("You kept 2 of 3")

    page.locator("#trial-done").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("trial@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)[0]
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/settings/categories/$"))
    expect(page.get_by_role("status").filter(has_text="from the trial deck")).to_contain_text("Your 3 decisions")
    stored = dict(Swipe.objects.filter(user__email="trial@example.org").values_list("paper_id", "decision"))
    assert stored == {papers[0].pk: "keep", papers[1].pk: "skip", papers[2].pk: "keep"}
    assert page.evaluate("() => localStorage.getItem('paperswipe:trial')") is None  # stored once, then forgotten
    page.reload()
    assert Swipe.objects.filter(user__email="trial@example.org").count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_katex_loads_only_where_a_card_or_page_holds_math(live_server, page, django_user_model):
    category = Category.objects.get(code="cs.LG")
    plain = PaperFactory(title="Plain words only", abstract="No formulas here.", primary_category=category)
    maths = PaperFactory(
        title="Bounds on $\\alpha$-divergences",
        abstract="Plain.",
        primary_category=category,
        listed_at=timezone.now() - timezone.timedelta(days=400),  # far behind the plain one in the deck
    )
    user = django_user_model.objects.create_user(email="plain@example.org", password=PASSWORD)
    user.followed_categories.set([category])
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in(page, live_server.url, user)
    expect(page.locator(SHOWING).first).to_have_attribute("data-arxiv-id", plain.arxiv_id)
    page.wait_for_load_state("networkidle")
    assert not [url for url in fetched if "katex" in url]  # the deck's first card has no math: no KaTeX

    page.goto(f"{live_server.url}{maths.get_absolute_url()}")
    expect(page.locator(".katex").first).to_be_visible()
    assert [url for url in fetched if url.endswith("katex.min.js")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_not_now_by_key_and_by_tap_puts_a_card_off_until_tomorrow_and_undo_brings_it_back(
    live_server, browser, django_user_model
):
    from deck.models import Postponed

    user = django_user_model.objects.create_user(email="later@example.org", password=PASSWORD)
    user.followed_categories.add(Category.objects.get(code="cs.LG"))
    now = timezone.now()
    for i in range(6):
        PaperFactory(primary_category=Category.objects.get(code="cs.LG"), listed_at=now - timezone.timedelta(minutes=i))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = phone.new_page()
    sign_in(page, live_server.url, user)
    first = top_id(page)
    with page.expect_response(re.compile(r"/deck/later/$")) as response:
        page.locator(SHOWING).first.get_by_role("button", name="Not now").tap()
    assert response.value.ok
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", first)
    expect(page.locator("#deck-status")).to_contain_text("Not now (back tomorrow)")
    second = top_id(page)
    with page.expect_response(re.compile(r"/deck/later/$")):
        page.keyboard.press("n")
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", second)
    assert sorted(Postponed.objects.values_list("paper__arxiv_id", flat=True)) == sorted([first, second])
    assert not Swipe.objects.exists()
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    assert {first, second}.isdisjoint(
        page.locator("#deck .deck-card").evaluate_all("cs => cs.map(c => c.dataset.arxivId)")
    )
    page.get_by_role("button", name="Undo").tap()
    expect(page.locator(SHOWING).first).to_have_attribute("data-arxiv-id", second)
    assert list(Postponed.objects.values_list("paper__arxiv_id", flat=True)) == [first]
    phone.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_keys_pressed_faster_than_the_server_answers_decide_each_card_once_and_the_deck_goes_on(
    live_server, page, django_user_model
):
    category = Category.objects.get(code="cs.LG")
    now = timezone.now()
    for i in range(30):
        PaperFactory(title=f"Paper {i}", primary_category=category, listed_at=now - timezone.timedelta(minutes=i))
    user = django_user_model.objects.create_user(email="fast@example.org", password=PASSWORD)
    user.followed_categories.set([category])
    sign_in(page, live_server.url, user)
    showing = page.locator(SHOWING).first
    presses = "jjkjjjkjjjjj"
    shown = []
    for key in presses:  # a fast reader: each press as soon as the next card shows, none waiting for the server
        shown.append(showing.get_attribute("data-arxiv-id"))
        page.keyboard.press(key)
        expect(showing).not_to_have_attribute("data-arxiv-id", shown[-1])
    wait_for(lambda: Swipe.objects.filter(user=user).count() == len(presses))
    decisions = dict(Swipe.objects.filter(user=user).values_list("paper__arxiv_id", "decision"))
    expected = {arxiv_id: "keep" if key == "k" else "skip" for arxiv_id, key in zip(shown, presses, strict=True)}
    assert decisions == expected
    expect(showing).to_be_visible()  # 18 papers are left: the deck never looks empty, however fast the keys
    expect(page.locator("#caught-up")).to_be_hidden()
    for _ in range(5):  # and it keeps refilling as the reader goes on
        assert decide_with_key(page, "j") not in decisions
    # Sent in order, one after another (the outbox): the last answers come a moment after the cards moved.
    wait_for(lambda: Swipe.objects.filter(user=user).count() == len(presses) + 5)
