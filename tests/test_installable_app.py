"""The installable app: manifest, service worker, offline page, and what a phone's share sheet sends."""

import json
import re
import struct
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from papers.models import Category, Paper

from .browsing import CHROMIUM, FLAGS, sign_in
from .factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_names_the_app_its_icons_and_its_share_target(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["short_name"] == "PaperSwipe"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        width, height = png_size(b"".join(image.streaming_content) if image.streaming else image.content)
        assert icon["sizes"] == f"{width}x{height}"
        sizes.setdefault(icon["purpose"], set()).add(width)
    assert sizes["any"] >= {192, 512}
    assert 512 in sizes["maskable"]
    assert manifest["share_target"]["action"] == "/shared-in/"


def test_every_page_links_the_manifest_and_a_theme_colour_for_each_theme(client):
    html = client.get("/papers/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'name="theme-color" content="#b31b1b" media="(prefers-color-scheme: light)"' in html
    assert 'name="theme-color" content="#171b21" media="(prefers-color-scheme: dark)"' in html


def test_the_worker_is_served_at_the_root_and_keeps_only_the_public_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    shell = json.loads(re.search(r"^const SHELL = (.*);$", source, re.M).group(1))
    assert shell[0] == "/offline/"
    assert any(url.endswith(".woff2") for url in shell)
    assert any("katex.min.js" in url for url in shell)
    assert any(url.endswith("deck.js") for url in shell)
    assert any(url.endswith("site.css") for url in shell)
    for url in shell:
        assert url == "/offline/" or url.startswith("/static/"), url  # nothing a user owns
        assert client.get(url).status_code == 200, url
    assert re.search(r'^const VERSION = "[0-9a-f]{16}";$', source, re.M)


def test_the_policy_lets_the_worker_and_the_manifest_load(client):
    policy = client.get("/papers/")["Content-Security-Policy"]
    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy


def test_the_offline_page_is_the_same_for_everyone_and_shows_no_account(client):
    anonymous = client.get("/offline/")
    assert anonymous.status_code == 200
    assert "public" in anonymous["Cache-Control"]
    user = UserFactory(email="private.reader@example.org")
    client.force_login(user)
    signed_in = client.get("/offline/").content.decode()
    assert "private.reader@example.org" not in signed_in
    assert "You are offline" in signed_in


# ---------------------------------------------------------------- share target


@pytest.fixture
def reader(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "shared",
    [
        {"url": "https://arxiv.org/abs/2401.01234v2"},
        {"url": "https://arxiv.org/pdf/2401.01234"},
        {"title": "Look", "text": "Worth reading: arXiv:2401.01234 (the second part)"},
    ],
)
def test_a_shared_link_or_id_opens_save_to_for_the_paper(client, reader, shared):
    paper = PaperFactory(arxiv_id="2401.01234")
    response = client.get(f"/shared-in/?{urlencode(shared)}")
    assert response.status_code == 302
    assert response["Location"] == f"{paper.get_absolute_url()}#save-{paper.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'id="save-{paper.pk}"' in page
    assert "choose a list to save" in page


def test_a_shared_paper_not_in_the_catalog_is_fetched_from_arxiv(client, reader, standin):
    assert not Paper.objects.filter(arxiv_id="astro-ph/0601001").exists()
    response = client.get("/shared-in/?" + urlencode({"url": "https://arxiv.org/abs/astro-ph/0601001"}))
    paper = Paper.objects.get(arxiv_id="astro-ph/0601001")
    assert response["Location"] == f"{paper.get_absolute_url()}#save-{paper.pk}"


def test_a_share_without_an_arxiv_id_says_so(client, reader):
    response = client.get(
        "/shared-in/?" + urlencode({"text": "a recipe for <b>bread</b>", "url": "https://example.org/"})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "What was shared holds no arXiv link or id." in html
    assert "<b>bread" not in html


def test_an_unknown_id_is_named(client, reader, standin):
    response = client.get("/shared-in/?" + urlencode({"url": "https://arxiv.org/abs/2401.99999"}))
    assert response.status_code == 404
    assert "arXiv has no paper 2401.99999." in response.content.decode()


def test_sharing_needs_an_account(client):
    response = client.get("/shared-in/?" + urlencode({"url": "https://arxiv.org/abs/2401.01234"}))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ---------------------------------------------------------------- in Chromium


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_chromium_finds_the_app_installable_and_serves_the_offline_page_without_network(live_server, browser, tmp_path):
    # A profile on disk: Chromium never offers to install from an incognito profile, a new context's kind.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        args=FLAGS,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        has_touch=True,
        is_mobile=True,
    )
    try:
        check_installable_and_offline(live_server, context.pages[0] if context.pages else context.new_page())
    finally:
        context.close()


def check_installable_and_offline(live_server, phone):
    user = UserFactory()
    user.set_password("a very long passphrase")
    user.save()
    category = Category.objects.get(code="cs.LG")
    user.followed_categories.add(category)
    paper = PaperFactory(primary_category=category)
    sign_in(phone, live_server.url, user)
    phone.wait_for_function("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)")
    cdp = phone.context.new_cdp_session(phone)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    phone.wait_for_function(
        "reader => window.PaperSwipeStore.copy(reader, 'deck').then((c) => !!c && c.value.cards.length === 1)",
        arg=str(user.pk),
    )

    phone.context.set_offline(True)
    phone.reload()  # answered by the worker: the offline page, with the card this device kept
    expect(phone.get_by_role("heading", name="Your deck (offline)")).to_be_attached()
    expect(phone.locator("#progress")).to_have_text("Offline · 1 paper on this device")
    expect(phone.locator("#deck .deck-card")).to_have_attribute("data-arxiv-id", paper.arxiv_id)
    assert user.email not in phone.content()
    phone.goto(f"{live_server.url}/stats/")  # a page no device keeps
    expect(phone.get_by_role("heading", name="You are offline")).to_be_visible()
    phone.context.set_offline(False)
    phone.goto(f"{live_server.url}/")
    expect(phone.get_by_role("heading", name="Your deck", exact=True)).to_be_attached()
