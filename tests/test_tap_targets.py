"""On a phone (a touch context, not a narrow desktop window) every control a thumb uses is at least 44 by
44 CSS pixels: buttons, links that stand alone, selects, fields, and checkboxes with their labels. Links
inside running text are exempt, as WCAG's target-size criterion exempts them. No page is wider than the
phone, and the deck shows no keyboard help."""

import pytest

from library.models import ReadingListEntry
from library.selectors import default_list
from papers.models import Paper

from .browsing import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]

PAGES = [
    "/",
    "/history/",
    "/settings/interests/",
    "/settings/learned/",
    "/settings/categories/",
    "/settings/digest/",
    "/lists/",
    "/lists/reading-list/",
    "/groups/lab/",
    "/groups/lab/lists/to-discuss/",
    "/groups/lab/lists/to-discuss/{entry}/",
    "/papers/{paper}/",
    "/search/?q=quantum",
]
SMALL_TARGETS = """() => {
  const small = [];
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(controls)) {
    if (el.closest("[hidden], dialog:not([open]), .visually-hidden, .skip-link")) continue;
    const closed = el.closest("details:not([open])");  // folded away: not a target until it opens
    if (closed && !(el.tagName === "SUMMARY" && el.parentElement === closed)) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const text = (el.parentElement.textContent || "").trim();
    if (el.tagName === "A" && style.display === "inline" && text !== el.textContent.trim()) continue;  // in a sentence
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) box = label.getBoundingClientRect();
    }
    if (box.width < 43.5 || box.height < 43.5) {  // a fraction under 44 is rounding
      const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.type || "").trim().slice(0, 40);
      small.push(`${el.tagName.toLowerCase()} "${name}": ${Math.round(box.width)} by ${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def test_every_control_on_a_phone_is_at_least_44_pixels_and_no_page_is_wider_than_it(
    live_server, browser, reader_with_history
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, live_server.url, reader_with_history)
    paper = Paper.objects.first().arxiv_id
    entry = ReadingListEntry.objects.get(reading_list__group__slug="lab").pk
    assert default_list(user=reader_with_history).entries.exists()
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path.format(paper=paper, entry=entry))
        small = page.evaluate(SMALL_TARGETS)
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if wide > 0:  # a long link or table pushing the page sideways
            small.append(f"the page is {wide} px wider than the phone")
        if path == "/" and page.locator("#help-button").is_visible():
            small.append("the Keys button shows on a touch screen, where keys do nothing")
        if small:
            found[path] = small
    context.close()
    assert not found, "\n".join(f"{path}: {target}" for path, targets in found.items() for target in targets)
