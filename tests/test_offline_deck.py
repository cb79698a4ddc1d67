"""The deck on a phone without signal: the service worker serves the page, decisions queue on the device
and are sent in order, each once, when the network is back; a shared browser never mixes two readers."""

import re
import threading

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deck import selectors
from deck.models import Postponed, Swipe
from library import services as library_services
from library.models import ReadingListEntry
from papers.models import Category, Paper

from .browsing import PASSWORD, centre, sign_in, touch
from .conftest import wait_for
from .factories import PaperFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
SHOWING = "#deck .deck-card:not(.leaving)"


def reader_with_papers(django_user_model, email: str, code: str, count: int = 30):
    user = django_user_model.objects.create_user(email=email, password=PASSWORD)
    category = Category.objects.get(code=code)
    user.followed_categories.add(category)
    now = timezone.now()
    for i in range(count):
        PaperFactory(
            title=f"{code} paper {i}", primary_category=category, listed_at=now - timezone.timedelta(minutes=i)
        )
    return user


def ready_for_offline(page: Page, user) -> None:
    """The worker controls the page and the device holds the deck's next cards."""
    page.wait_for_function("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)")
    held = "reader => window.PaperSwipeStore.copy(reader, 'deck').then((c) => c ? c.value.cards.length : 0)"
    wait_for(lambda: page.evaluate(held, str(user.pk)) >= 20, 20)


def swipe(page: Page, keep: bool) -> str:
    card = page.locator(SHOWING).first
    arxiv_id = card.get_attribute("data-arxiv-id")
    x, y = centre(card.locator(".abstract"))
    direction = 1 if keep else -1
    touch(page, [(x, y)] + [(x + direction * 25 * step, y + step) for step in range(1, 11)])
    expect(page.locator(SHOWING).first).not_to_have_attribute("data-arxiv-id", arxiv_id)
    return arxiv_id


def go_offline_and_decide(page: Page, live_server, user) -> tuple[list[tuple[str, str]], str, str]:
    """Offline: reload, ten drags, one undo, one Save to. Returns the nine decisions, the saved paper, the list."""
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#progress")).to_contain_text("Offline ·")
    decided = []
    for i in range(10):
        keep = i % 3 == 0
        decided.append((swipe(page, keep), "keep" if keep else "skip"))
    expect(page.locator("#outbox-status")).to_have_text("10 decisions waiting to be sent")
    page.get_by_role("button", name="Undo").click()
    undone = decided.pop()
    expect(page.locator(SHOWING).first).to_have_attribute("data-arxiv-id", undone[0])
    expect(page.locator("#outbox-status")).to_have_text("9 decisions waiting to be sent")
    top = page.locator(SHOWING).first
    saved = top.get_attribute("data-arxiv-id")
    top.locator(".save-to select").select_option(label="Thesis")
    top.locator(".save-to .save-only").click()
    expect(page.locator("#outbox-status")).to_have_text("10 decisions waiting to be sent")
    return decided, saved, "Thesis"


def stored(user) -> list[tuple[str, str]]:
    rows = Swipe.objects.filter(user=user).order_by("created_at", "id")
    return list(rows.values_list("paper__arxiv_id", "decision"))


def test_offline_decisions_and_a_save_are_stored_once_in_order_when_the_network_is_back(
    live_server, phone, django_user_model
):
    user = reader_with_papers(django_user_model, "train@example.org", "cs.LG")
    library_services.create_list(user=user, name="Thesis")
    sign_in(phone, live_server.url, user)
    ready_for_offline(phone, user)

    decided, saved, list_name = go_offline_and_decide(phone, live_server, user)
    phone.keyboard.press("n")  # and "Not now" on the card just saved: back tomorrow, learned from nothing
    expect(phone.locator("#outbox-status")).to_have_text("11 decisions waiting to be sent")
    assert Swipe.objects.filter(user=user).count() == 0

    phone.context.set_offline(False)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=20000)
    assert stored(user) == decided
    kept = {arxiv_id for arxiv_id, decision in decided if decision == "keep"}
    in_default = set(
        ReadingListEntry.objects.filter(reading_list__user=user, reading_list__is_default=True).values_list(
            "paper__arxiv_id", flat=True
        )
    )
    assert in_default == kept
    assert list(
        ReadingListEntry.objects.filter(reading_list__name=list_name, reading_list__user=user).values_list(
            "paper__arxiv_id", flat=True
        )
    ) == [saved]

    assert Postponed.objects.filter(user=user, paper__arxiv_id=saved).exists()
    phone.reload()
    expect(phone.locator("#progress")).to_have_text(selectors.progress(user=user).text)


def test_answers_lost_in_the_middle_of_the_sync_store_nothing_twice(live_server, phone, django_user_model):
    """The device sent four decisions and lost the answers (a tunnel): it still holds them, and sends them
    again with the rest. Each is stored once, and nothing is refused."""
    user = reader_with_papers(django_user_model, "tunnel@example.org", "cs.LG")
    library_services.create_list(user=user, name="Thesis")
    sign_in(phone, live_server.url, user)
    ready_for_offline(phone, user)
    decided, _, _ = go_offline_and_decide(phone, live_server, user)
    reader = str(user.pk)
    first_four = phone.evaluate("reader => PaperSwipeStore.queued(reader).then((ops) => ops.slice(0, 4))", reader)
    assert [op["fields"]["paper"] for op in first_four] == [
        str(pk)
        for pk in Paper.objects.filter(arxiv_id__in=[a for a, _ in decided[:4]])
        .order_by("-listed_at")
        .values_list("pk", flat=True)
    ]

    phone.context.set_offline(False)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=20000)
    assert stored(user) == decided
    phone.context.set_offline(True)
    phone.evaluate(
        "([reader, ops]) => Promise.all(ops.map(({seq, reader: _, ...op}) => PaperSwipeStore.queue(reader, op)))",
        [reader, first_four],
    )
    phone.reload()
    expect(phone.locator("#outbox-status")).to_have_text("4 decisions waiting to be sent")
    phone.context.set_offline(False)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=20000)
    assert stored(user) == decided
    expect(phone.locator("#deck-error")).to_be_hidden()


def test_a_shared_browser_never_shows_one_readers_cards_or_sends_their_decisions_as_another(
    live_server, phone, django_user_model
):
    alice = reader_with_papers(django_user_model, "alice@example.org", "cs.LG")
    bob = reader_with_papers(django_user_model, "bob@example.org", "cs.CY")
    sign_in(phone, live_server.url, alice)
    ready_for_offline(phone, alice)
    alice_cards = set(Paper.objects.filter(primary_category__code="cs.LG").values_list("arxiv_id", flat=True))

    # Alice decides three cards on a train; by the time the network is back her session has ended.
    phone.context.set_offline(True)
    phone.reload()
    queued = [swipe(phone, keep=True) for _ in range(3)]
    expect(phone.locator("#outbox-status")).to_have_text("3 decisions waiting to be sent")
    phone.context.clear_cookies()
    phone.context.set_offline(False)
    expect(phone.get_by_role("alert")).to_contain_text("You are signed out", timeout=20000)
    assert phone.evaluate("r => PaperSwipeStore.copy(r, 'deck')", str(alice.pk)) is None  # her cards are gone
    assert phone.evaluate("r => PaperSwipeStore.queued(r).then((ops) => ops.length)", str(alice.pk)) == 3

    sign_in(phone, live_server.url, bob)
    ready_for_offline(phone, bob)
    phone.context.set_offline(True)
    phone.reload()
    expect(phone.locator("#progress")).to_have_text("Offline · 30 papers on this device")
    shown = set(phone.locator("#deck .deck-card").evaluate_all("cards => cards.map(c => c.dataset.arxivId)"))
    assert len(shown) == 30
    assert not shown & alice_cards
    phone.context.set_offline(False)
    phone.goto(f"{live_server.url}/")
    expect(phone.locator("#outbox-status")).to_be_hidden()
    assert Swipe.objects.filter(user=bob).count() == 0
    assert Swipe.objects.filter(user=alice).count() == 0  # never sent under Bob's session

    phone.get_by_text("Account", exact=True).click()
    phone.get_by_role("button", name="Log out").click()
    expect(phone.get_by_role("link", name="Log in").first).to_be_visible()
    sign_in(phone, live_server.url, alice)  # Alice again: her decisions go now, as hers
    wait_for(lambda: Swipe.objects.filter(user=alice).count() == 3, 20)
    assert [arxiv_id for arxiv_id, _ in stored(alice)] == queued
    assert Swipe.objects.filter(user=bob).count() == 0


def test_the_network_cut_in_the_middle_of_the_sync_loses_nothing_and_doubles_nothing(
    live_server, phone, django_user_model, monkeypatch
):
    user = reader_with_papers(django_user_model, "cut@example.org", "cs.LG")
    library_services.create_list(user=user, name="Thesis")
    sign_in(phone, live_server.url, user)
    ready_for_offline(phone, user)
    decided, _, _ = go_offline_and_decide(phone, live_server, user)

    from deck import services as deck_services

    record = deck_services.decide_in_deck
    tunnel = threading.Event()
    arrived = []

    def held_at_the_fourth(**kwargs):  # the fourth decision reaches the server as the train enters a tunnel
        arrived.append(kwargs["paper"])
        if len(arrived) > 3:
            tunnel.wait(20)
        return record(**kwargs)

    monkeypatch.setattr(deck_services, "decide_in_deck", held_at_the_fourth)
    phone.context.set_offline(False)
    wait_for(lambda: len(arrived) >= 4, 20)
    phone.context.set_offline(True)  # the queue half sent
    tunnel.set()
    expect(phone.locator("#outbox-status")).to_have_text(re.compile(r"[1-9] decisions? waiting to be sent"))
    assert 3 <= Swipe.objects.filter(user=user).count() < len(decided)
    phone.context.set_offline(False)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=30000)
    assert stored(user) == decided


def test_a_list_reads_offline_as_last_seen_and_says_so(live_server, phone, django_user_model):
    user = reader_with_papers(django_user_model, "lists@example.org", "cs.LG", count=3)
    thesis = library_services.create_list(user=user, name="Thesis")
    paper = Paper.objects.filter(primary_category__code="cs.LG").first()
    library_services.add_to_list(reading_list=thesis, paper=paper)
    sign_in(phone, live_server.url, user)
    phone.wait_for_function("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)")
    phone.goto(f"{live_server.url}/lists/{thesis.slug}/")
    expect(phone.get_by_role("heading", name="Thesis")).to_be_visible()
    wait_for(lambda: phone.evaluate(f"PaperSwipeStore.copy('{user.pk}', '/lists/{thesis.slug}/')") is not None, 10)

    phone.context.set_offline(True)
    phone.goto(f"{live_server.url}/lists/{thesis.slug}/")
    expect(phone.locator("#offline-banner")).to_contain_text("Offline: your copy from")
    expect(phone.get_by_role("heading", name="Thesis")).to_be_visible()
    expect(phone.locator("#offline-copy")).to_contain_text(paper.title)
    phone.goto(f"{live_server.url}/lists/never-opened/")
    expect(phone.get_by_role("heading", name="You are offline")).to_be_visible()


def test_two_tabs_of_one_reader_send_one_queue_once(live_server, phone, django_user_model):
    user = reader_with_papers(django_user_model, "tabs@example.org", "cs.LG")
    sign_in(phone, live_server.url, user)
    ready_for_offline(phone, user)
    other = phone.context.new_page()
    other.goto(f"{live_server.url}/")
    phone.context.set_offline(True)
    phone.bring_to_front()  # a tab in the background runs its timers slowly, as a browser does
    phone.reload()
    expect(phone.locator("#progress")).to_contain_text("Offline ·")
    first = [swipe(phone, keep=True) for _ in range(3)]
    other.bring_to_front()
    other.reload()  # the second tab leaves out what the first one decided
    expect(other.locator("#outbox-status")).to_have_text("3 decisions waiting to be sent")
    assert not set(other.locator("#deck .deck-card").evaluate_all("cs => cs.map(c => c.dataset.arxivId)")) & set(first)
    second = [swipe(other, keep=False) for _ in range(2)]
    phone.context.set_offline(False)
    wait_for(lambda: Swipe.objects.filter(user=user).count() == 5, 30)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=30000)
    expect(other.locator("#outbox-status")).to_be_hidden(timeout=30000)
    assert stored(user) == [(a, "keep") for a in first] + [(a, "skip") for a in second]
    expect(phone.locator("#deck-error")).to_be_hidden()
    expect(other.locator("#deck-error")).to_be_hidden()


def test_a_paper_decided_meanwhile_on_another_device_keeps_that_decision_and_says_so(
    live_server, phone, django_user_model
):
    user = reader_with_papers(django_user_model, "two.devices@example.org", "cs.LG")
    sign_in(phone, live_server.url, user)
    ready_for_offline(phone, user)
    phone.context.set_offline(True)
    phone.reload()
    expect(phone.locator("#progress")).to_contain_text("Offline ·")
    title = phone.locator(SHOWING).first.locator(".paper-title").inner_text()
    skipped = swipe(phone, keep=False)
    kept_too = swipe(phone, keep=True)
    # Meanwhile, on the laptop: the first paper kept.
    Swipe.objects.create(user=user, paper=Paper.objects.get(arxiv_id=skipped), decision="keep", source="key")

    phone.context.set_offline(False)
    expect(phone.get_by_role("alert")).to_have_text(
        re.compile(rf"You had kept “{re.escape(title)}” already, on another device or tab; that decision stands."),
        timeout=20000,
    )
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=20000)
    assert dict(stored(user)) == {skipped: "keep", kept_too: "keep"}
