"""Parts of a group's page that apps above the library add: deck adds "Kept in your group this week".

The library imports nothing above it (tests/test_layout.py); an app above appends here in its
AppConfig.ready() a function of the reader's membership that returns the part's HTML, or "" for none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

from ..models import Membership

Panel = Callable[[Membership], SafeString | str]
panels: list[Panel] = []
