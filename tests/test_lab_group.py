"""Reading together, end to end in two browsers (issue 26 §6): A makes a group and an invitation link; B signs
up through it and joins; both save papers to the group's list; B comments and votes; A sees the comment and
the week's pick, then removes B, who gets 404 on the group, its list and its export."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from library.models import Membership, ReadingListEntry
from papers.models import Category

from .browsing import CHROMIUM, FLAGS, PASSWORD, sign_in
from .factories import PaperFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]


def save_to_group_list(page: Page, base: str, paper) -> None:
    page.goto(base + paper.get_absolute_url())
    page.get_by_label("Save to list").select_option(label="To discuss")
    page.get_by_role("button", name="Save to…").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved in “Theory lab · To discuss”: {paper.title}")


def test_two_researchers_read_together_until_one_is_removed(live_server, browser, django_user_model):
    base = live_server.url
    category = Category.objects.get(code="cs.LG")
    first = PaperFactory(title="Braiding <anyons> & qubits", primary_category=category)
    second = PaperFactory(title="A second paper to discuss", primary_category=category)
    alice = django_user_model.objects.create_user(email="alice@example.org", password=PASSWORD, name="Alice")
    alice.followed_categories.set([category])

    # A: a group, its list and an invitation link for two people.
    a = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(a, base, alice)
    a.goto(f"{base}/groups/")
    a.get_by_label("New group").fill("Theory lab")
    a.get_by_role("button", name="New group").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Theory lab")
    a.get_by_label("New list").fill("To discuss")
    a.get_by_role("button", name="Make list").click()
    a.goto(f"{base}/groups/theory-lab/")
    a.get_by_label("People who may use the link").fill("2")
    a.get_by_role("button", name="Invite", exact=True).click()
    link = a.locator("input.invite-link").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/groups/join/[\w:-]+/", link.replace("http://localhost:8000", base))
    link = base + link[link.index("/groups/join/") :]

    # B, in a browser of their own: the link, signed out, leads through sign-up and back to "Join".
    other = browser.browser_type.launch(executable_path=CHROMIUM, args=FLAGS)
    try:
        b = other.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True).new_page()
        b.goto(link)
        expect(b.get_by_text("Alice invites you")).to_be_visible()
        b.get_by_role("link", name="Sign up to join").click()
        b.get_by_label("Email").fill("bob@example.org")
        b.get_by_label("Password:", exact=True).fill(PASSWORD)
        b.get_by_label("Password (again):").fill(PASSWORD)
        b.get_by_role("button", name="Sign Up").click()
        confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)[0]
        b.goto(confirm.replace("http://testserver", base))
        b.get_by_role("button", name="Confirm").click()
        expect(b.get_by_role("heading", level=1)).to_have_text("Join “Theory lab”")
        b.get_by_role("button", name="Join Theory lab").click()
        expect(b.get_by_role("status")).to_contain_text("Welcome to “Theory lab”.")
        assert Membership.objects.get(user__email="bob@example.org").role == "member"
        expect(b.locator(".group-lists")).to_contain_text("To discuss")

        # Both save a paper to the group's list.
        save_to_group_list(a, base, first)
        save_to_group_list(b, base, second)
        entry = ReadingListEntry.objects.get(paper=first)
        b.goto(f"{base}/groups/theory-lab/lists/to-discuss/")
        expect(b.locator(f"#entry-{entry.pk}")).to_contain_text("Added by Alice")
        expect(b.locator(f"#entry-{entry.pk} h2")).to_have_text("Braiding <anyons> & qubits")

        # B comments and votes.
        b.locator(f"#entry-{entry.pk}").get_by_role("link", name=re.compile("0 comments")).click()
        b.get_by_role("textbox", name="Comment").fill("Section 3 settles it: https://arxiv.org/abs/2401.00001")
        b.get_by_role("button", name="Comment", exact=True).click()
        b.evaluate("() => { window.stillHere = true; }")  # gone if the page reloads
        b.get_by_role("button", name=re.compile(r"\+1 for journal club · 0")).click()
        expect(b.get_by_role("button", name=re.compile(r"\+1 for journal club · 1"))).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(b.get_by_role("status").filter(has_text="Voted")).to_have_text("Voted for journal club.")
        assert b.evaluate("() => window.stillHere") is True  # voted in place, by static/js/groups.js

        # A sees B's comment, its link, and the week's pick.
        a.goto(f"{base}/groups/theory-lab/lists/to-discuss/")
        expect(a.locator(f"#entry-{entry.pk}")).to_contain_text("1 comment")
        a.locator(f"#entry-{entry.pk}").get_by_role("link", name=re.compile("1 comment")).click()
        comment = a.locator(".comment").first
        expect(comment).to_contain_text("bob@example.org")
        expect(comment.get_by_role("link", name="https://arxiv.org/abs/2401.00001")).to_be_visible()
        a.goto(f"{base}/groups/theory-lab/")
        pick = "This week\u2019s pick so far, 1 vote: Braiding <anyons> & qubits"
        expect(a.locator(".club-pick")).to_contain_text(pick)

        # A removes B; B gets 404 on the group, the list, an entry and the export.
        a.once("dialog", lambda dialog: dialog.accept())
        a.get_by_role("listitem").filter(has_text="bob@example.org").get_by_role("button", name="Remove").click()
        expect(a.get_by_role("status")).to_contain_text("bob@example.org is no longer in the group.")
        for path in ("", "lists/to-discuss/", f"lists/to-discuss/{entry.pk}/", "lists/to-discuss/export/bibtex/"):
            response = b.request.get(f"{base}/groups/theory-lab/{path}")
            assert response.status == 404, path
        b.goto(f"{base}/groups/theory-lab/")
        expect(b.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    finally:
        other.close()
