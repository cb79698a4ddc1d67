"""The deck page weighs at most 150 KB compressed before the PDF, and its first card needs no script.

Counted as a browser fetches it on a first visit: the HTML of five cards and every stylesheet and
script it links, gzip-compressed as WhiteNoise serves them, plus the two KaTeX fonts that every card
with math loads (already compressed woff2).
"""

import gzip
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from papers.models import Category

from .factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

BUDGET = 150_000
FONTS = ["vendor/katex/fonts/KaTeX_Main-Regular.woff2", "vendor/katex/fonts/KaTeX_Math-Italic.woff2"]


@pytest.fixture
def deck_html(client) -> str:
    category = Category.objects.get(code="cs.LG")
    user = UserFactory()
    user.followed_categories.add(category)
    for i in range(8):
        paper = PaperFactory(
            primary_category=category,
            listed_at=timezone.now() - timedelta(minutes=i),
            title=f"On $\\alpha$-divergences and the rate $O(n^{{-1/2}})$, part {i}",
            abstract="We study $f$-divergences & show bounds. " * 40,
            authors=[{"name": f"Author {n}", "affiliations": ["A university"]} for n in range(40)],
        )
        paper.categories.add(category)
    client.force_login(user)
    return client.get("/").content.decode()


def linked_assets(html: str) -> list[str]:
    """Stylesheets and scripts the page links, and KaTeX's files, which math.js loads when a card holds math
    (every card here does)."""
    pattern = r'<(?:link rel="stylesheet" href|script src)="/static/([^"]+)"|data-[a-z-]+="/static/([^"]+)"'
    found = re.findall(pattern, html)
    return [linked or loaded for linked, loaded in found]


def test_the_deck_page_weighs_at_most_150_kb_compressed(deck_html):
    assets = linked_assets(deck_html)
    assert "vendor/katex/katex.min.js" in assets  # the heavy one is really counted
    sizes = {"page": len(gzip.compress(deck_html.encode()))}
    for asset in assets:
        sizes[asset] = len(gzip.compress(Path(finders.find(asset)).read_bytes()))
    for font in FONTS:
        sizes[font] = len(Path(finders.find(font)).read_bytes())
    assert sum(sizes.values()) <= BUDGET, sizes


def test_the_first_card_is_in_the_html_and_no_script_blocks_it(deck_html):
    assert deck_html.count('<article class="card paper deck-card"') == 5
    first_card = deck_html.index('<article class="card paper deck-card"')
    for script in re.finditer(r"<script\b[^>]*>", deck_html):
        tag = script[0]
        # Scripts before the card may only be deferred; inline ones only after it.
        assert " defer" in tag or " async" in tag or script.start() > first_card, tag
